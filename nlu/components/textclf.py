"""A small scikit-learn text classifier shared by the category and urgency heads.

TF-IDF of the message's jieba tokens (uni+bigrams, from Rasa's tokenizer) stacked with TF-IDF of
character 1–3-grams of its Mandarin-normalised copy (`mandarin`, so 嘅 and 的 are one n-gram), into
a multinomial logistic regression (probabilities for rankings and thresholds). Everything module-level so it pickles.
"""
from __future__ import annotations

import re
from typing import Sequence

from nlu.components.router_model import join_tokens, word_ngrams

_SPACE = re.compile(r"\s+")


def char_text(doc: dict) -> str:
    return _SPACE.sub("", doc.get("mandarin") or doc["text"]).lower()


def doc_tokens(doc: dict) -> list[str]:
    return word_ngrams([t.lower() for t in doc["tokens"] if t.strip()])


class TextClassifier:
    def __init__(self, C: float = 10.0, char_ngrams=(1, 3), class_weight="balanced", max_iter: int = 2000):
        self.C, self.char_ngrams, self.class_weight, self.max_iter = C, tuple(char_ngrams), class_weight, max_iter
        self.word_vec = self.char_vec = self.clf = None

    def fit(self, docs: Sequence[dict], labels: Sequence[str]) -> "TextClassifier":
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.word_vec = TfidfVectorizer(analyzer=doc_tokens, sublinear_tf=True)
        self.char_vec = TfidfVectorizer(analyzer="char", preprocessor=char_text, lowercase=False,
                                        ngram_range=self.char_ngrams, sublinear_tf=True)
        X = hstack([self.word_vec.fit_transform(docs), self.char_vec.fit_transform(docs)]).tocsr()
        for vec in (self.word_vec, self.char_vec):
            if hasattr(vec, "stop_words_"):
                del vec.stop_words_
        self.clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        self.clf.fit(X, list(labels))
        return self

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.clf.classes_]

    def predict_proba(self, docs: Sequence[dict]) -> list[list[tuple[str, float]]]:
        from scipy.sparse import hstack

        X = hstack([self.word_vec.transform(docs), self.char_vec.transform(docs)]).tocsr()
        P = self.clf.predict_proba(X)
        labels = self.labels
        return [sorted(zip(labels, map(float, row)), key=lambda kv: -kv[1]) for row in P]


__all__ = ["TextClassifier", "join_tokens"]
