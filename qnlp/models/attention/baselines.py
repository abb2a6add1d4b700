"""Classical baselines for the attention benchmark.

* :func:`tfidf_logreg` - TF-IDF (word 1-2 grams) + logistic regression (scikit-learn).
* :func:`minilm_logreg` - frozen MiniLM sentence embeddings + logistic regression: the baseline
  for the quantum model with ``source="minilm"`` (same embeddings).
* :func:`minilm_tfidf_logreg` - both feature sets side by side + logistic regression: the
  baseline for ``source="minilm", word_offsets=True`` (embeddings plus per-word parameters).
* :class:`ClassicalAttentionModel` - a one-layer softmax self-attention network (torch) over
  trainable word embeddings, tokenised and trained exactly like the quantum model, with sizes
  chosen by :func:`matched_dims` so its parameter count matches the quantum model's.
"""

from __future__ import annotations

import math

import torch
from sklearn.base import BaseEstimator, TransformerMixin

from qnlp.models.attention.model import Vocabulary
from qnlp.text import tokenize


def tfidf_logreg(*, C: float = 10.0, seed: int = 0):
    """A scikit-learn pipeline: TF-IDF over word uni/bigrams (our tokeniser) + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, ngram_range=(1, 2),
                        sublinear_tf=True),
        LogisticRegression(C=C, max_iter=2000, random_state=seed))


def minilm_logreg(*, C: float = 1.0, seed: int = 0, cache_dir=None):
    """A scikit-learn pipeline: MiniLM sentence embeddings (:class:`MiniLMSentenceVectorizer`) +
    logistic regression (needs ``pip install 'qnlp[embeddings]'``)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(MiniLMSentenceVectorizer(cache_dir=cache_dir),
                         LogisticRegression(C=C, max_iter=2000, random_state=seed))


def minilm_tfidf_logreg(*, C: float = 10.0, seed: int = 0, cache_dir=None):
    """A scikit-learn pipeline: logistic regression on the MiniLM sentence embedding *and* the
    TF-IDF word uni/bigram features side by side (the classical counterpart of a quantum model
    with MiniLM token states plus trainable per-word angles, ``word_offsets=True``)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    tfidf = tfidf_logreg()[0]
    return make_pipeline(make_union(MiniLMSentenceVectorizer(cache_dir=cache_dir), tfidf),
                         LogisticRegression(C=C, max_iter=3000, random_state=seed))


class MiniLMSentenceVectorizer(TransformerMixin, BaseEstimator):
    """Raw texts -> ``(n, 384)`` frozen all-MiniLM-L6-v2 sentence embeddings (stateless).

    Parameters
    ----------
    cache_dir : path or None
        On-disk embedding cache folder (see :class:`~qnlp.models.attention.embeddings.MiniLMEncoder`).
    """

    def __init__(self, *, cache_dir=None):
        self.cache_dir = cache_dir

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        from qnlp.models.attention.embeddings import shared_encoder

        return shared_encoder(self.cache_dir).sentence_embeddings(X)

    def __sklearn_is_fitted__(self):
        return True


def matched_dims(n_qubits: int, n_layers: int, n_heads: int, vocab_size: int) -> tuple[int, int]:
    """``(embed_dim, head_dim)`` of the classical network matching a quantum model's size.

    The head width is the quantum head's output width (``3 * n_qubits`` Pauli expectations), so
    the read-outs are identical; the embedding width ``e`` is then chosen so that the embedding
    table plus the query/key/value projections, ``vocab_size * e + 3 * n_heads * e * head_dim``,
    is as close as possible to the quantum word angles plus head circuits,
    ``vocab_size * 2 * n_layers * n_qubits + 3 * n_heads * 2 * n_layers * n_qubits``.

    >>> matched_dims(4, 2, 1, 2000)
    (16, 12)
    """
    head_dim = 3 * n_qubits
    per_word = 2 * n_layers * n_qubits
    quantum = vocab_size * per_word + 3 * n_heads * per_word
    return max(1, round(quantum / (vocab_size + 3 * n_heads * head_dim))), head_dim


class ClassicalAttentionModel(torch.nn.Module):
    """Embeddings -> ``n_heads`` scaled dot-product self-attention heads -> masked mean -> linear.

    Parameters
    ----------
    vocab : Vocabulary
    n_classes : int
    embed_dim, head_dim, n_heads : int
    generator : torch.Generator
    """

    #: The per-word parameter table (one row per vocabulary entry).
    vocab_parameters = ("embed",)

    def __init__(self, vocab: Vocabulary, n_classes: int, *, embed_dim: int, head_dim: int,
                 n_heads: int = 1, generator: torch.Generator):
        super().__init__()
        self.vocab = vocab
        self.embed = torch.nn.Parameter(torch.randn(len(vocab), embed_dim, generator=generator) * 0.3)
        scale = 1 / math.sqrt(embed_dim)
        self.qkv = torch.nn.Parameter(
            (torch.rand(n_heads, 3, embed_dim, head_dim, generator=generator) * 2 - 1) * scale)
        self.readout = torch.nn.Linear(n_heads * head_dim, n_classes)
        with torch.no_grad():
            self.readout.weight.copy_(torch.randn(self.readout.weight.shape, generator=generator) * 0.1)
            self.readout.bias.zero_()
        self.head_dim = head_dim

    def forward(self, batch, *, evaluator=None, return_weights: bool = False, return_features: bool = False):
        """Logits ``(B, n_classes)`` of a :class:`~qnlp.models.attention.batch.TokenBatch`
        (with ``return_weights`` also the per-head weights ``(B, T, T)``), or with
        ``return_features`` the pooled features. There is nothing quantum to evaluate:
        ``evaluator`` must be ``None``."""
        if evaluator is not None:
            from qnlp.errors import ConfigError

            raise ConfigError("the classical attention model has no circuits to run on a backend")
        ids, mask = batch.ids, batch.mask
        x = self.embed[ids]  # (B, T, E)
        q, k, v = torch.einsum("bte,hcef->cbhtf", x, self.qkv)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
        weights = torch.softmax(scores, -1)  # (B, H, T, T)
        out = weights @ v  # (B, H, T, F)
        out = out.permute(0, 2, 1, 3).flatten(2)
        m = mask.unsqueeze(-1).to(out.dtype)
        pooled = (out * m).sum(1) / m.sum(1).clamp(min=1)
        if return_features:
            return pooled
        logits = self.readout(pooled)
        return (logits, list(weights.unbind(1))) if return_weights else logits
