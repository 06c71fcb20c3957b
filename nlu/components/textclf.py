"""The scikit-learn parts of the intent, category and urgency heads: one featurisation, linear heads on it.

`TextFeatures`: TF-IDF of the message's jieba tokens (uni+bigrams, from Rasa's tokenizer) stacked with
TF-IDF of character 1–2-grams of its Mandarin-normalised copy (`mandarin`, so 嘅 and 的 are one n-gram).
It is computed once per message (nlu.components.heads.HeadFeaturizer) and read by every head.

`LinearHead`: a multinomial logistic regression fitted on those features, kept as its coefficients so
that scoring one message is a gather and a dot product (scikit-learn's predict_proba spends ~3 ms a
call validating its input, more than the three heads' arithmetic together). Everything module-level
so it pickles.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from nlu.components.router_model import hstack_csr, linear_scores, tfidf_transform, word_ngrams

_SPACE = re.compile(r"\s+")


def char_text(doc: dict) -> str:
    return _SPACE.sub("", doc.get("mandarin") or doc["text"]).lower()


def doc_tokens(doc: dict) -> list[str]:
    return word_ngrams([t.lower() for t in doc["tokens"] if t.strip()])


class TextFeatures:
    def __init__(self, char_ngrams=(1, 2)):
        self.char_ngrams = tuple(char_ngrams)
        self.word_vec = self.char_vec = None

    def fit(self, docs: Sequence[dict]) -> "TextFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.word_vec = TfidfVectorizer(analyzer=doc_tokens, sublinear_tf=True)
        self.char_vec = TfidfVectorizer(analyzer="char", preprocessor=char_text, lowercase=False,
                                        ngram_range=self.char_ngrams, sublinear_tf=True)
        self.word_vec.fit(docs)
        self.char_vec.fit(docs)
        for vec in (self.word_vec, self.char_vec):
            if hasattr(vec, "stop_words_"):
                del vec.stop_words_
        return self

    def transform(self, docs: Sequence[dict]):
        """CSR matrix, one row per doc."""
        return hstack_csr(tfidf_transform(self.word_vec, docs), tfidf_transform(self.char_vec, docs))


class LinearHead:
    def __init__(self, C: float = 10.0, class_weight="balanced", max_iter: int = 2000):
        self.C, self.class_weight, self.max_iter = C, class_weight, max_iter
        self.labels: list[str] = []
        self.coef = self.intercept = None

    def fit(self, X, labels: Sequence[str]) -> "LinearHead":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        clf.fit(X, list(labels))
        self.labels = [str(c) for c in clf.classes_]
        coef, intercept = clf.coef_, clf.intercept_
        if len(self.labels) == 2:  # binary: sklearn keeps one row (the second class's logit)
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef, self.intercept = np.ascontiguousarray(coef), intercept
        return self

    def predict_proba(self, X) -> list[list[tuple[str, float]]]:
        """Per row of the CSR matrix X: (label, probability) best first."""
        out = []
        for scores in linear_scores(X, self.coef, self.intercept):
            e = np.exp(scores - scores.max())
            p = e / e.sum()
            out.append(sorted(zip(self.labels, map(float, p)), key=lambda kv: -kv[1]))
        return out


__all__ = ["LinearHead", "TextFeatures", "char_text", "doc_tokens"]
