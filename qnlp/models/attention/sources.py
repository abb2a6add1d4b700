"""Token sources: where each token's state comes from (one component per ``source``).

A source owns its parameters, checks the inputs it needs, and turns a
:class:`~qnlp.models.attention.batch.TokenBatch` into
:class:`~qnlp.models.attention.batch.TokenCells` (token-circuit angles per position, or exact
word-box states), which an evaluator then prepares exactly or on a pytket backend.

============================  ======================================================================
``WordStates`` (``word``)     trainable angles per vocabulary row
``HashedStates``              angles ``= hash_features(word) @ W + b`` (``embedding``)
``MiniLMStates`` (``minilm``) angles ``= W e_t + b`` of the frozen contextual MiniLM embedding
                              ``e_t`` of each token (+ optional per-word offsets and a sentence
                              token)
``DisCoCatBoxStates``         the token's word-box state in its sentence's DisCoCat circuit
(``discocat``)                (shared, trainable DisCoCat parameters), word rows elsewhere
============================  ======================================================================

Use :func:`make_source` to build one by name; an option that belongs to another source is an
error there, so invalid combinations cannot be built.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.batch import TokenBatch, TokenCells

PAD, UNK = "<pad>", "<unk>"


def hash_features(words, dim: int) -> torch.Tensor:
    """Fixed word embedding: signed hashing of the word and its character 3-grams (L2-normalised).

    Deterministic (CRC32, no seed), so unseen words get an embedding too.
    """
    out = np.zeros((len(words), dim), dtype=np.float32)
    for i, w in enumerate(words):
        if w in (PAD, UNK):
            continue
        padded = f"<{w}>"
        grams = [w] + [padded[j:j + 3] for j in range(len(padded) - 2)]
        for g in grams:
            h = zlib.crc32(g.encode("utf-8"))
            out[i, h % dim] += 1.0 if (h >> 16) & 1 else -1.0
        norm = np.linalg.norm(out[i])
        if norm > 0:
            out[i] /= norm
    return torch.as_tensor(out)


def angle_projection(in_dim: int, n_angles: int, generator: torch.Generator,
                     scale: float = 1.0) -> torch.nn.Linear:
    """Linear map to angles: initial ``W ~ N(0, (scale pi)^2)`` (so unit inputs give angles of
    that spread) and bias ``U(0, 2 pi)``."""
    proj = torch.nn.Linear(in_dim, n_angles)
    with torch.no_grad():
        proj.weight.copy_(torch.randn(n_angles, in_dim, generator=generator) * math.pi * scale)
        proj.bias.copy_(torch.rand(n_angles, generator=generator) * 2 * math.pi)
    return proj


class TokenSource(torch.nn.Module):
    """Base class: token states of a batch as :class:`TokenCells`.

    Subclasses set :attr:`name`, build their parameters in ``__init__`` (from the model's
    generator, in a fixed order) and implement :meth:`cells`. A source whose tokens are vocabulary
    rows (``per_word``) also implements :meth:`row_angles`, which stacked attention blocks use.

    Attributes
    ----------
    vocab_parameters : tuple of str
        Names of the per-word parameter tables (one row per vocabulary entry).
    per_word : bool
        Token states depend on the word only (not on its context).
    sentence_inputs : bool
        The source reads MiniLM sentence embeddings (a skip read-out may use them too).
    """

    name = ""
    vocab_parameters: tuple = ()
    per_word = False
    sentence_inputs = False

    def __init__(self, n_layers: int, n_qubits: int):
        super().__init__()
        self.n_layers, self.n_qubits = int(n_layers), int(n_qubits)

    @property
    def n_angles(self) -> int:
        return self.n_layers * self.n_qubits * 2

    def cells(self, batch: TokenBatch) -> TokenCells:
        raise NotImplementedError

    def prefix(self, batch: TokenBatch) -> torch.Tensor | None:
        """Angles ``(B, L, d, 2)`` of a token this source prepends to every text, or ``None``."""
        return None

    def row_angles(self, ids: torch.Tensor, words: list) -> torch.Tensor:
        """Angles ``(N, L, d, 2)`` of vocabulary rows ``ids`` (1-D)."""
        raise ConfigError(f"source={self.name!r} has no per-word angles")

    def _shape(self, flat: torch.Tensor) -> torch.Tensor:
        return flat.reshape(*flat.shape[:-1], self.n_layers, self.n_qubits, 2)

    def _distinct_cells(self, batch: TokenBatch) -> TokenCells:
        uniq, inverse = torch.unique(batch.ids, return_inverse=True)
        return TokenCells(self.row_angles(uniq, batch.words), inverse, batch.mask, distinct=True)


class WordStates(TokenSource):
    """Trainable angles per vocabulary row, uniform in ``[0, 2 pi * init_scale)`` at start."""

    name = "word"
    vocab_parameters = ("word_angles",)
    per_word = True

    def __init__(self, vocab_size: int, n_layers: int, n_qubits: int, *, generator: torch.Generator,
                 init_scale: float = 1.0):
        super().__init__(n_layers, n_qubits)
        self.word_angles = torch.nn.Parameter(torch.rand(vocab_size, self.n_angles, generator=generator)
                                              * 2 * math.pi * init_scale)

    def row_angles(self, ids, words=None):
        return self._shape(self.word_angles[ids])

    def cells(self, batch):
        return self._distinct_cells(batch)


class HashedStates(TokenSource):
    """Angles ``= hash_features(word) @ W + b``; unseen words get an embedding too."""

    name = "embedding"
    per_word = True

    def __init__(self, n_layers: int, n_qubits: int, *, generator: torch.Generator, embed_dim: int = 64):
        super().__init__(n_layers, n_qubits)
        self.embed_dim = int(embed_dim)
        self.proj = angle_projection(self.embed_dim, self.n_angles, generator)

    def row_angles(self, ids, words):
        if not words:
            raise ConfigError("source='embedding' needs the vocabulary's words (TokenBatch.words)")
        return self._shape(self.proj(hash_features([words[i] for i in ids.tolist()], self.embed_dim)))

    def cells(self, batch):
        return self._distinct_cells(batch)


class MiniLMStates(TokenSource):
    """Angles ``= W e_t + b`` from the frozen contextual MiniLM embedding ``e_t`` of each token.

    Parameters
    ----------
    init_scale : float
        Scales the initial projection ``W`` (angle spread ``pi * init_scale``).
    sentence_token : bool
        Prepend the MiniLM sentence embedding as an extra token (own ``W_s``, ``b_s``).
    word_offsets : bool
        Add a trainable per-word angle offset (initially zero); rows past the trained vocabulary
        (words first seen at prediction) use the unknown word's.
    """

    name = "minilm"
    sentence_inputs = True

    def __init__(self, vocab_size: int, n_layers: int, n_qubits: int, *, generator: torch.Generator,
                 init_scale: float = 1.0, sentence_token: bool = False, word_offsets: bool = False):
        from qnlp.models.attention.embeddings import MINILM_DIM

        super().__init__(n_layers, n_qubits)
        self.embed_dim = MINILM_DIM
        self.sentence_token, self.word_offsets = bool(sentence_token), bool(word_offsets)
        if self.word_offsets:  # zero: the pure MiniLM state; weight decay pulls back to it
            self.word_angles = torch.nn.Parameter(torch.zeros(vocab_size, self.n_angles))
            self.vocab_parameters = ("word_angles",)
        self.proj = angle_projection(self.embed_dim, self.n_angles, generator, init_scale)
        if self.sentence_token:
            self.sentence_proj = angle_projection(self.embed_dim, self.n_angles, generator, init_scale)

    def embedding_angles(self, embeddings: torch.Tensor, ids: torch.Tensor | None = None, *,
                         sentence: bool = False) -> torch.Tensor:
        """Token-circuit angles ``(..., L, d, 2)`` of embeddings ``(..., 384)`` (L2-normalised,
        then the token projection, or the sentence token's with ``sentence``)."""
        e = torch.nn.functional.normalize(embeddings, dim=-1)
        angles = (self.sentence_proj if sentence else self.proj)(e)
        if self.word_offsets and not sentence:
            if ids is None:
                raise ConfigError("word_offsets=True needs the tokens' vocabulary ids")
            rows = torch.where(ids < self.word_angles.shape[0], ids, torch.ones_like(ids))
            angles = angles + self.word_angles[rows]
        return self._shape(angles)

    def _check(self, batch):
        if batch.token_embeddings is None or batch.sentence_embeddings is None:
            raise ConfigError("source='minilm' needs token_embeddings and sentence_embeddings")

    def cells(self, batch):
        self._check(batch)
        mask = batch.mask
        angles = self.embedding_angles(batch.token_embeddings[mask], batch.ids[mask])
        index = torch.full(mask.shape, -1, dtype=torch.long)
        index[mask] = torch.arange(angles.shape[0])
        return TokenCells(angles, index, mask)

    def prefix(self, batch):
        if not self.sentence_token:
            return None
        self._check(batch)
        return self.embedding_angles(batch.sentence_embeddings, sentence=True)


class DisCoCatBoxStates(WordStates):
    """Each token's state is its word box's state in its sentence's DisCoCat circuit.

    The box parameters ``discocat_theta`` start as a trained DisCoCat model's weights and are
    trained further; tokens without a box use word rows as :class:`WordStates`
    (see :mod:`qnlp.models.attention.discocat_tokens`).
    """

    name = "discocat"

    def __init__(self, vocab_size: int, n_layers: int, n_qubits: int, *, generator: torch.Generator,
                 init_scale: float = 1.0, discocat_weights=None):
        super().__init__(vocab_size, n_layers, n_qubits, generator=generator, init_scale=init_scale)
        if discocat_weights is None:
            raise ConfigError("source='discocat' needs the DisCoCat model's weights")
        # shared with the DisCoCat model (turns; float64 like the exact backend)
        self.discocat_theta = torch.nn.Parameter(torch.as_tensor(np.asarray(discocat_weights),
                                                                 dtype=torch.float64).clone())

    def cells(self, batch):
        from qnlp.models.attention.discocat_tokens import box_states

        if batch.word_boxes is None:
            raise ConfigError("source='discocat' needs the tokens' word boxes (word_boxes=...)")
        cells = self._distinct_cells(batch)
        box, states = box_states(batch.word_boxes, self.discocat_theta, 2 ** self.n_qubits)
        cells.box, cells.box_states, cells.distinct = box, states, False
        return cells


SOURCES = {"word": WordStates, "embedding": HashedStates, "minilm": MiniLMStates,
           "discocat": DisCoCatBoxStates}

#: options that only some sources take (option -> sources)
_OWN_OPTIONS = {"sentence_token": ("minilm",), "word_offsets": ("minilm",),
                "discocat_weights": ("discocat",), "embed_dim": ("embedding",)}


def make_source(name: str, *, vocab_size: int, n_layers: int, n_qubits: int,
                generator: torch.Generator, init_scale: float = 1.0, **options) -> TokenSource:
    """The token source ``name`` (:data:`SOURCES`) with its own options.

    Raises
    ------
    ConfigError
        Unknown source, or an option set (truthy) that belongs to another source.
    """
    if name not in SOURCES:
        raise ConfigError(f"unknown source {name!r}; valid: {', '.join(SOURCES)}")
    kwargs = {}
    for key, value in options.items():
        owners = _OWN_OPTIONS.get(key)
        if owners is None:
            raise ConfigError(f"unknown token-source option {key!r}")
        if name in owners:
            kwargs[key] = value
        elif value is not None and value is not False and key != "embed_dim":
            raise ConfigError(f"{key} applies to source={' or '.join(map(repr, owners))} only, "
                              f"not source={name!r}")
    cls = SOURCES[name]
    if cls is HashedStates:
        return cls(n_layers, n_qubits, generator=generator, **kwargs)
    return cls(vocab_size, n_layers, n_qubits, generator=generator, init_scale=init_scale, **kwargs)
