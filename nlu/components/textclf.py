"""A small scikit-learn text classifier shared by the category and urgency heads.

TF-IDF of the message's jieba tokens (uni+bigrams, from Rasa's tokenizer) stacked with TF-IDF of
character 1–3-grams of its Mandarin-normalised copy (`mandarin`, so 嘅 and 的 are one n-gram) and,
when the docs carry one, the sentence encoder's vector (`embedding`, standardised and scaled to
`embedding_weight` per row: TF-IDF blocks have unit rows, and e5 vectors all point the same way
until centred), into a multinomial logistic regression (probabilities for rankings and
thresholds). Everything module-level so it pickles.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from nlu.components.router_model import join_tokens, word_ngrams

_SPACE = re.compile(r"\s+")


def char_text(doc: dict) -> str:
    return _SPACE.sub("", doc.get("mandarin") or doc["text"]).lower()


def doc_tokens(doc: dict) -> list[str]:
    return word_ngrams([t.lower() for t in doc["tokens"] if t.strip()])


class TextClassifier:
    def __init__(self, C: float = 10.0, char_ngrams=(1, 3), class_weight="balanced", max_iter: int = 2000,
                 embedding_weight: float = 0.5):
        self.C, self.char_ngrams, self.class_weight, self.max_iter = C, tuple(char_ngrams), class_weight, max_iter
        self.embedding_weight = embedding_weight
        self.word_vec = self.char_vec = self.clf = None
        self.emb_mean = self.emb_scale = None

    def _matrix(self, docs: Sequence[dict]):
        from scipy.sparse import csr_matrix, hstack

        blocks = [self.word_vec.transform(docs), self.char_vec.transform(docs)]
        if self.emb_mean is not None:
            E = np.stack([np.asarray(d["embedding"], np.float32) for d in docs])
            blocks.append(csr_matrix((E - self.emb_mean) * self.emb_scale))
        return hstack(blocks).tocsr()

    def fit(self, docs: Sequence[dict], labels: Sequence[str]) -> "TextClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.word_vec = TfidfVectorizer(analyzer=doc_tokens, sublinear_tf=True).fit(docs)
        self.char_vec = TfidfVectorizer(analyzer="char", preprocessor=char_text, lowercase=False,
                                        ngram_range=self.char_ngrams, sublinear_tf=True).fit(docs)
        for vec in (self.word_vec, self.char_vec):
            if hasattr(vec, "stop_words_"):
                del vec.stop_words_
        if self.embedding_weight and docs and all(d.get("embedding") is not None for d in docs):
            E = np.stack([np.asarray(d["embedding"], np.float32) for d in docs])
            self.emb_mean = E.mean(axis=0)
            self.emb_scale = self.embedding_weight / (E.std(axis=0) + 1e-6) / np.sqrt(E.shape[1])
        self.clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        self.clf.fit(self._matrix(docs), list(labels))
        return self

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.clf.classes_]

    def predict_proba(self, docs: Sequence[dict]) -> list[list[tuple[str, float]]]:
        P = self.clf.predict_proba(self._matrix(docs))
        labels = self.labels
        return [sorted(zip(labels, map(float, row)), key=lambda kv: -kv[1]) for row in P]


__all__ = ["TextClassifier", "join_tokens"]
