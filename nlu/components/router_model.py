"""The department router: text → handling department, learned from a city's past work orders.

Model: TF-IDF (sublinear) of jieba word unigrams + bigrams, stacked with TF-IDF of character 1–3-grams,
into a linear SVM (LinearSVC, C=1). Confidence: a softmax over the SVM's decision values with a
temperature fitted on a 10 % split of the training data (so argmax = the SVM's decision, and the
probabilities are calibrated enough to threshold). Labels are whatever the history CSV holds.

Needs scikit-learn (the Rasa venv has 1.1.3); imports are local so the bot venv can import this module.
Pickled with the standard library; the analyzers are module-level so the pickle loads anywhere this
package is importable.
"""
from __future__ import annotations

import csv
import hashlib
import math
import pickle
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

FORMAT_VERSION = 1
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

# A small built-in stop list for when the history comes without one.
DEFAULT_STOPWORDS = set("""的 了 是 在 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那 啊 吧 呢 吗
嘅 咗 喺 啲 佢 我们 你们 他们 她 它 被 把 让 给 与 及 或 而 但 如果 因为 所以 请 您好 你好 谢谢 麻烦""".split())

_JIEBA = None


def jieba_tokenizer():
    """A private jieba tokenizer: immune to user dictionaries other code loads into `jieba`."""
    global _JIEBA
    if _JIEBA is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        _JIEBA = jieba.Tokenizer()
    return _JIEBA


def segment(text: str, stopwords: set[str]) -> list[str]:
    """Raw text → jieba words without stop words, punctuation and whitespace."""
    return [w for w in jieba_tokenizer().lcut(text) if w.strip() and w not in stopwords and not _PUNCT.match(w)]


def presegmented(text: str, stopwords: set[str]) -> list[str]:
    return [w for w in text.split() if w not in stopwords and not _PUNCT.match(w)]


def word_ngrams(tokens: Sequence[str]) -> list[str]:
    out = list(tokens)
    out.extend(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
    return out


def join_tokens(tokens: Sequence[str]) -> str:
    return "".join(tokens)


def tfidf_transform(vec, docs):
    """vec.transform(docs) for a fitted TfidfVectorizer (sublinear or not, l2 or no norm), as CSR.

    scikit-learn's own transform multiplies by an n_features × n_features idf diagonal, which costs
    time in proportion to the vocabulary (5 ms a message for the router's 450,000 n-grams); this
    looks the n-grams up and scales them directly."""
    import numpy as np
    from scipy.sparse import csr_matrix

    analyze, vocab = vec.build_analyzer(), vec.vocabulary_
    idf = vec.idf_ if vec.use_idf else None
    indptr, indices, data = [0], [], []
    for doc in docs:
        counts: dict[int, int] = {}
        for gram in analyze(doc):
            j = vocab.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        cols = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
        vals = np.array([counts[j] for j in cols], dtype=np.float64)
        if vec.sublinear_tf:
            vals = 1.0 + np.log(vals)
        if idf is not None:
            vals *= idf[cols]
        if vec.norm == "l2" and len(vals):
            vals /= np.sqrt((vals ** 2).sum())
        elif vec.norm == "l1" and len(vals):
            vals /= np.abs(vals).sum()
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + len(cols))
    return csr_matrix((np.concatenate(data) if data else np.empty(0), np.concatenate(indices) if indices else
                       np.empty(0, dtype=np.int32), np.array(indptr)), shape=(len(indptr) - 1, len(vocab)))


def hstack_csr(a, b):
    """[a b] for sparse matrices of the same height, as CSR, without scipy.sparse.hstack's per-call
    overhead (milliseconds: more than the transforms around it on one message)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    a, b = a.tocsr(), b.tocsr()
    indptr = a.indptr + b.indptr
    indices = np.empty(indptr[-1], dtype=np.int32)
    data = np.empty(indptr[-1], dtype=np.float64)
    for i in range(a.shape[0]):
        s, na, nb = indptr[i], a.indptr[i + 1] - a.indptr[i], b.indptr[i + 1] - b.indptr[i]
        indices[s:s + na] = a.indices[a.indptr[i]:a.indptr[i + 1]]
        data[s:s + na] = a.data[a.indptr[i]:a.indptr[i + 1]]
        indices[s + na:s + na + nb] = b.indices[b.indptr[i]:b.indptr[i + 1]] + a.shape[1]
        data[s + na:s + na + nb] = b.data[b.indptr[i]:b.indptr[i + 1]]
    return csr_matrix((data, indices, indptr), shape=(a.shape[0], a.shape[1] + b.shape[1]))


def linear_scores(X, coef, intercept):
    """X @ coef.T + intercept for a CSR X, one row at a time by gathering the columns it uses: what
    scikit-learn's decision functions compute, without their input validation (~3 ms a call) or a
    copy of a float32 `coef`."""
    import numpy as np

    out = np.empty((X.shape[0], coef.shape[0]))
    for i in range(X.shape[0]):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        out[i] = coef[:, X.indices[lo:hi]] @ X.data[lo:hi] + intercept
    return out


def _softmax(row, t: float) -> list[float]:
    m = max(row)
    e = [math.exp(t * (v - m)) for v in row]
    s = sum(e)
    return [v / s for v in e]


@dataclass
class RouterModel:
    labels: list[str]
    stopwords: set[str]
    word_vec: object = None
    char_vec: object = None
    clf: object = None
    temperature: float = 1.0
    info: dict = field(default_factory=dict)
    version: int = FORMAT_VERSION

    # -- training -----------------------------------------------------------------------------
    @classmethod
    def fit(cls, docs: list[list[str]], labels: list[str], stopwords: set[str], C: float = 1.0,
            char_ngrams: tuple[int, int] = (1, 3), max_char_features: int = 300_000,
            log=print) -> "RouterModel":
        import numpy as np
        from sklearn.model_selection import train_test_split

        t0 = time.time()
        y = np.array(labels)
        m = cls(labels=sorted(set(labels)), stopwords=set(stopwords))
        m._C, m._char_ngrams, m._max_char = C, tuple(char_ngrams), max_char_features
        # temperature: fit on 90 %, score the held 10 %
        if len(docs) >= 50 and min(np.unique(y, return_counts=True)[1]) >= 2:
            d_tr, d_va, y_tr, y_va = train_test_split(docs, y, test_size=0.1, random_state=0, stratify=y)
            m._fit_core(d_tr, y_tr)
            m.temperature = m._fit_temperature(m.decision(d_va), y_va)
            log(f"router: temperature {m.temperature:.2f} (fitted on {len(d_va)} held rows)")
        m._fit_core(docs, y)
        m.info.update(rows=len(docs), classes=len(m.labels), train_seconds=round(time.time() - t0, 1))
        return m

    def _fit_core(self, docs, y) -> None:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.word_vec = TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True, min_df=2)
        self.char_vec = TfidfVectorizer(analyzer="char", preprocessor=join_tokens, lowercase=False,
                                        ngram_range=self._char_ngrams, sublinear_tf=True, min_df=2,
                                        max_features=self._max_char)
        X = hstack([self.word_vec.fit_transform(docs), self.char_vec.fit_transform(docs)]).tocsr()
        for vec in (self.word_vec, self.char_vec):  # only needed for introspection; huge in a pickle
            if hasattr(vec, "stop_words_"):
                del vec.stop_words_
        self.clf = LinearSVC(C=self._C)
        self.clf.fit(X, y)
        self.clf.coef_ = self.clf.coef_.astype("float32")  # halves the pickle; scores unchanged to ~1e-7
        self.labels = [str(c) for c in self.clf.classes_]

    @staticmethod
    def _fit_temperature(scores, y) -> float:
        """1-D grid search of the softmax temperature minimising log loss."""
        best_t, best_nll = 1.0, float("inf")
        labels = list(scores["labels"])
        idx = [labels.index(v) for v in y]
        for t in [0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30]:
            nll = 0.0
            for row, i in zip(scores["rows"], idx):
                p = _softmax(row, t)[i]
                nll -= math.log(max(p, 1e-12))
            if nll < best_nll:
                best_t, best_nll = t, nll
        return float(best_t)

    # -- inference ----------------------------------------------------------------------------
    def _X(self, docs):
        return hstack_csr(tfidf_transform(self.word_vec, docs), tfidf_transform(self.char_vec, docs))

    def decision(self, docs: list[list[str]]) -> dict:
        d = linear_scores(self._X(docs), self.clf.coef_, self.clf.intercept_)
        if d.shape[1] == 1:
            d = d[:, 0]
        if d.ndim == 1:  # two classes
            rows = [[-v, v] for v in d.tolist()]
        else:
            rows = d.tolist()
        return {"labels": [str(c) for c in self.clf.classes_], "rows": rows}

    def predict_docs(self, docs: list[list[str]]) -> list[list[tuple[str, float]]]:
        """Per doc: [(label, probability)] sorted best first."""
        sc = self.decision(docs)
        out = []
        for row in sc["rows"]:
            p = _softmax(row, self.temperature)
            out.append(sorted(zip(sc["labels"], p), key=lambda kv: -kv[1]))
        return out

    def predict_texts(self, texts: Iterable[str], segmented: bool = False):
        prep = presegmented if segmented else segment
        return self.predict_docs([prep(t, self.stopwords) for t in texts])

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @staticmethod
    def load(path: Path) -> "RouterModel":
        with Path(path).open("rb") as f:
            m = pickle.load(f)
        if getattr(m, "version", None) != FORMAT_VERSION:
            raise ValueError(f"{path}: router format {getattr(m, 'version', None)}, expected {FORMAT_VERSION}")
        return m


# -- CSV history ----------------------------------------------------------------------------------
def read_history(path: Path, segmented: bool) -> tuple[list[str], list[str]]:
    """Rows of `text,label` or `title,text,label` (other columns ignored) → (texts, labels)."""
    csv.field_size_limit(sys.maxsize)
    texts, labels = [], []
    with Path(path).open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        cols = set(reader.fieldnames or [])
        if not {"text", "label"} <= cols:
            raise ValueError(f"{path}: needs columns text,label (or title,text,label); has {sorted(cols)}")
        joiner = " " if segmented else "。"
        for row in reader:
            label = (row.get("label") or "").strip()
            if not label:
                continue
            text = row.get("text") or ""
            if row.get("title"):
                text = row["title"] + joiner + text
            texts.append(text)
            labels.append(label)
    return texts, labels


def load_stopwords(path: Path | None) -> set[str]:
    if path and Path(path).exists():
        return {w.strip() for w in Path(path).read_text(encoding="utf-8").splitlines() if w.strip()}
    return set(DEFAULT_STOPWORDS)


def file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
