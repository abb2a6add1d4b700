"""Bilingual quantum sentence states: one attention encoder per language, matched by fidelity.

Per language, a sentence goes through the components of the attention stack
(:mod:`qnlp.models.attention`): token states on ``n_qubits`` qubits from a token source, then
``n_heads`` quantum attention heads whose quantities come from an injected evaluator (exact torch
engine, or a pytket backend), and a masked mean over the tokens. The pooled head outputs set the
angles of a *sentence circuit* (``sentence_layers`` layers of RY, RZ and a CNOT ring on
``sentence_qubits`` qubits, the same circuit family as the token states), whose output is the
sentence state ``|s>``. An English sentence ``e`` and a Spanish sentence ``s`` match with the
state fidelity ``|<e|s>|**2`` (a compute-uncompute or swap test on hardware; exact here).

Each language has its own word parameters, heads and sentence map; names and numbers share one
character-hashed projection (:mod:`~qnlp.models.bilingual.text`). ``source="use"`` replaces the
word rows by a trained projection of frozen multilingual USE embeddings (the hybrid model, as
``source="minilm"`` is for English), with the USE sentence embedding as an extra token.

:class:`ClassicalDualEncoder` is the classical baseline of matched size: word embeddings, mean
pooling, a linear map and cosine similarity.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.batch import TokenBatch
from qnlp.models.attention.evaluators import ExactEvaluator
from qnlp.models.attention.heads import HEADS, AttentionHead
from qnlp.models.attention.sources import MiniLMStates, TokenSource, angle_projection, hash_features
from qnlp.models.attention.states import check_qubits, circuit_depth, prepare_states
from qnlp.models.bilingual.text import EncodedTexts

EXACT = ExactEvaluator()
NAME_DIM = 64
LANGUAGES = ("en", "es")
SOURCES = ("word", "use")
ENCODINGS = ("angles", "amplitude")
#: largest amplitude-encoded sentence register (512 amplitudes: one USE embedding)
MAX_AMPLITUDE_QUBITS = 10


class NameStates(torch.nn.Module):
    """Angles of name tokens from their characters: ``hash_features(name) @ W + b``, one module
    shared by both languages (so a name has the same state in each)."""

    def __init__(self, n_angles: int, generator: torch.Generator):
        super().__init__()
        self.proj = angle_projection(NAME_DIM, n_angles, generator)

    def forward(self, names: Sequence[str]) -> torch.Tensor:
        return self.proj(hash_features(list(names), NAME_DIM))


class WordAndNameStates(TokenSource):
    """Trainable angles per vocabulary row; rows past the vocabulary are this batch's names,
    whose angles come from the shared :class:`NameStates`."""

    name = "word"
    vocab_parameters = ("word_angles",)
    per_word = True

    def __init__(self, vocab_size: int, n_layers: int, n_qubits: int, names: NameStates, *,
                 generator: torch.Generator, init_scale: float = 1.0):
        super().__init__(n_layers, n_qubits)
        self.word_angles = torch.nn.Parameter(torch.rand(vocab_size, self.n_angles, generator=generator)
                                              * 2 * math.pi * init_scale)
        self.names = names

    def row_angles(self, ids, words):
        v = self.word_angles.shape[0]
        rows = self.word_angles[ids.clamp(max=v - 1)]
        is_name = ids >= v
        if bool(is_name.any()):
            rows = rows.clone()
            rows[is_name] = self.names([words[i] for i in ids[is_name].tolist()])
        return self._shape(rows)

    def cells(self, batch):
        return self._distinct_cells(batch)


class USEStates(MiniLMStates):
    """:class:`~qnlp.models.attention.sources.MiniLMStates` on 512-dimensional multilingual USE
    embeddings: angles ``= W e_t + b`` (+ optional per-word offsets), and the USE sentence
    embedding as a prepended token."""

    name = "use"

    def __init__(self, vocab_size: int, n_layers: int, n_qubits: int, *, generator: torch.Generator,
                 init_scale: float = 1.0, sentence_token: bool = True, word_offsets: bool = False):
        from qnlp.models.bilingual.use import USE_DIM

        TokenSource.__init__(self, n_layers, n_qubits)
        self.embed_dim = USE_DIM
        self.sentence_token, self.word_offsets = bool(sentence_token), bool(word_offsets)
        if self.word_offsets:
            self.word_angles = torch.nn.Parameter(torch.zeros(vocab_size, self.n_angles))
            self.vocab_parameters = ("word_angles",)
        self.proj = angle_projection(self.embed_dim, self.n_angles, generator, init_scale)
        if self.sentence_token:
            self.sentence_proj = angle_projection(self.embed_dim, self.n_angles, generator, init_scale)


class SentenceStateEncoder(torch.nn.Module):
    """Token source + quantum attention heads + masked mean + sentence circuit (one language).

    Parameters
    ----------
    source : TokenSource
    n_heads : int
    head : {"gaussian", "fidelity"}
    sentence_qubits, sentence_layers : int
        Register and layers of the sentence circuit.
    skip_dim : int
        Width of a sentence embedding added linearly to the sentence angles or amplitudes
        (``source="use"`` with ``residual``; 0: none). For angles its weights start at zero; for
        amplitudes at the identity (when the widths agree), so training starts from the
        embedding's own similarity.
    encoding : {"angles", "amplitude"}
        ``"angles"``: the pooled features set the angles of the sentence circuit.
        ``"amplitude"``: they are mapped linearly to ``2**sentence_qubits`` real amplitudes,
        normalised (prepared on hardware by a state-preparation circuit).
    generator : torch.Generator
    """

    def __init__(self, source: TokenSource, *, n_heads: int, head: str, sentence_qubits: int,
                 sentence_layers: int, generator: torch.Generator, skip_dim: int = 0,
                 encoding: str = "angles"):
        super().__init__()
        if head not in HEADS:
            raise ConfigError(f"unknown head {head!r}; valid: {', '.join(HEADS)}")
        if encoding not in ENCODINGS:
            raise ConfigError(f"unknown sentence encoding {encoding!r}; valid: {', '.join(ENCODINGS)}")
        self.encoding = encoding
        self.token_source = source
        d, layers = source.n_qubits, source.n_layers
        self.heads = torch.nn.ModuleList(AttentionHead(d, layers, head, generator) for _ in range(n_heads))
        if encoding == "amplitude" and isinstance(sentence_qubits, int) and 8 < sentence_qubits <= MAX_AMPLITUDE_QUBITS:
            self.sentence_qubits = int(sentence_qubits)  # no circuit layers to simulate: a vector of amplitudes
        else:
            self.sentence_qubits = check_qubits(sentence_qubits)
        self.sentence_layers = int(sentence_layers)
        width = 3 * d * n_heads
        n_out = self.sentence_layers * self.sentence_qubits * 2
        if encoding == "amplitude":
            n_out = 2 ** self.sentence_qubits
        self.to_angles = angle_projection(width, n_out, generator, 1.0 / math.sqrt(width))
        self.skip_dim = int(skip_dim)
        if self.skip_dim:
            self.skip = torch.nn.Linear(self.skip_dim, n_out, bias=False)
            with torch.no_grad():
                self.skip.weight.zero_()
                if encoding == "amplitude":
                    m = min(n_out, self.skip_dim)
                    self.skip.weight[:m, :m] = torch.eye(m) * 4.0
        if encoding == "amplitude":
            with torch.no_grad():
                self.to_angles.weight.mul_(0.1 / math.pi)
                self.to_angles.bias.zero_()

    def pooled(self, batch: TokenBatch, evaluator=None) -> torch.Tensor:
        """Mean over tokens of the concatenated head outputs, ``(B, 3 d n_heads)``."""
        evaluator = EXACT if evaluator is None else evaluator
        cells = self.token_source.cells(batch)
        prefix = self.token_source.prefix(batch)
        if prefix is not None:
            cells = cells.prepend(prefix)
        quantities = evaluator.quantities(cells, self.heads)
        feats = torch.cat([h.attend(q, cells.mask)[0] for h, q in zip(self.heads, quantities)], -1)
        m = cells.mask.unsqueeze(-1).to(feats.dtype)
        return (feats * m).sum(1) / m.sum(1).clamp(min=1)

    def _linear_out(self, batch: TokenBatch, evaluator=None) -> torch.Tensor:
        pooled = self.pooled(batch, evaluator)
        w = self.to_angles
        out = torch.nn.functional.linear(pooled, w.weight.to(pooled.dtype), w.bias.to(pooled.dtype))
        if self.skip_dim:
            out = out + batch.sentence_embeddings.to(pooled.dtype) @ self.skip.weight.T.to(pooled.dtype)
        return out

    def sentence_angles(self, batch: TokenBatch, evaluator=None) -> torch.Tensor:
        """Angles ``(B, sentence_layers, sentence_qubits, 2)`` of the sentence circuit."""
        if self.encoding != "angles":
            raise ConfigError("an amplitude-encoded sentence state has no circuit angles")
        return self._linear_out(batch, evaluator).reshape(-1, self.sentence_layers, self.sentence_qubits, 2)

    def forward(self, batch: TokenBatch, evaluator=None) -> torch.Tensor:
        """Sentence states ``(B, 2**sentence_qubits)`` (complex64; complex128 from a backend)."""
        if self.encoding == "amplitude":
            amps = torch.nn.functional.normalize(self._linear_out(batch, evaluator), dim=-1)
            return amps.to(torch.complex128 if amps.dtype == torch.float64 else torch.complex64)
        angles = self.sentence_angles(batch, evaluator)
        dtype = torch.complex128 if angles.dtype == torch.float64 else torch.complex64
        return prepare_states(angles, dtype=dtype)


def fidelities(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``|<a_i|b_j>|**2`` of state batches ``(N, D)``, ``(M, D)`` -> ``(N, M)``."""
    return (a.conj() @ b.T).abs() ** 2


class BilingualStateModel(torch.nn.Module):
    """Two sentence-state encoders (English, Spanish) and a learnable temperature.

    ``forward(english_batch, spanish_batch)`` gives the logits ``exp(log_temperature) * F`` of the
    fidelity matrix ``F_ij = |<e_i|s_j>|**2`` (the training loss is a symmetric InfoNCE over it).

    Parameters
    ----------
    vocabs : dict
        ``{"en": Vocabulary, "es": Vocabulary}``.
    source : {"word", "use"}
    n_qubits, n_layers : int
        Token register and layers of the token and head circuits.
    n_heads : int
    head : {"gaussian", "fidelity"}
    sentence_qubits, sentence_layers : int
    temperature : float
        Initial scale of the fidelities in the logits.
    word_offsets, residual : bool
        ``source="use"``: trainable per-word angle offsets; the USE sentence embedding added
        linearly to the sentence angles.
    init_scale : float
    encoding : {"angles", "amplitude"}
        How the pooled features become the sentence state (:class:`SentenceStateEncoder`).
    generator : torch.Generator
    """

    def __init__(self, vocabs: dict, *, source: str = "word", n_qubits: int = 4, n_layers: int = 2,
                 n_heads: int = 2, head: str = "gaussian", sentence_qubits: int = 6,
                 sentence_layers: int = 2, temperature: float = 10.0, word_offsets: bool = False,
                 residual: bool = False, init_scale: float = 1.0, encoding: str = "angles",
                 generator: torch.Generator):
        super().__init__()
        if source not in SOURCES:
            raise ConfigError(f"unknown source {source!r}; valid: {', '.join(SOURCES)}")
        if source == "word" and (word_offsets or residual):
            raise ConfigError("word_offsets and residual apply to source='use' only")
        self.source = source
        check_qubits(n_qubits)
        n_angles = int(n_layers) * int(n_qubits) * 2
        if source == "word":
            self.names = NameStates(n_angles, generator)
        encoders = {}
        for lang in LANGUAGES:
            if source == "word":
                src = WordAndNameStates(len(vocabs[lang]), n_layers, n_qubits, self.names,
                                        generator=generator, init_scale=init_scale)
            else:
                src = USEStates(len(vocabs[lang]), n_layers, n_qubits, generator=generator,
                                init_scale=init_scale, word_offsets=word_offsets)
            encoders[lang] = SentenceStateEncoder(src, n_heads=n_heads, head=head,
                                                  sentence_qubits=sentence_qubits,
                                                  sentence_layers=sentence_layers, generator=generator,
                                                  skip_dim=src.embed_dim if residual else 0, encoding=encoding)
        self.encoders = torch.nn.ModuleDict(encoders)
        self.log_temperature = torch.nn.Parameter(torch.tensor(math.log(temperature)))

    @property
    def vocab_parameters(self) -> tuple:
        return tuple(f"encoders.{lang}.token_source.word_angles" for lang in LANGUAGES
                     if hasattr(self.encoders[lang].token_source, "word_angles"))

    def states(self, lang: str, batch: TokenBatch, evaluator=None) -> torch.Tensor:
        return self.encoders[lang](batch, evaluator)

    def forward(self, english: TokenBatch, spanish: TokenBatch) -> torch.Tensor:
        f = fidelities(self.states("en", english), self.states("es", spanish))
        return f * self.log_temperature.exp()

    def circuit_depth(self) -> dict:
        src = self.encoders["en"].token_source
        enc = self.encoders["en"]
        return {"token": circuit_depth(src.n_qubits, src.n_layers),
                "head": circuit_depth(src.n_qubits, src.n_layers),
                "sentence": (circuit_depth(enc.sentence_qubits, enc.sentence_layers)
                             if enc.encoding == "angles" else "state preparation")}


# -- classical baseline ---------------------------------------------------------------------------
class ClassicalDualEncoder(torch.nn.Module):
    """Word embeddings (width ``embed_dim``; names through a shared hashed projection), mean
    pooling, a linear map to ``out_dim`` per language; logits ``exp(log_temperature) * cosine``.
    Takes the same batches as :class:`BilingualStateModel` (``source="word"``)."""

    def __init__(self, vocabs: dict, *, embed_dim: int, out_dim: int, temperature: float = 10.0,
                 generator: torch.Generator):
        super().__init__()
        self.names = torch.nn.Linear(NAME_DIM, embed_dim)
        self.tables = torch.nn.ParameterDict({
            lang: torch.nn.Parameter(torch.randn(len(vocabs[lang]), embed_dim, generator=generator) * 0.5)
            for lang in LANGUAGES})
        self.maps = torch.nn.ModuleDict({lang: torch.nn.Linear(embed_dim, out_dim) for lang in LANGUAGES})
        with torch.no_grad():
            for layer in [self.names, *self.maps.values()]:
                bound = 1 / math.sqrt(layer.in_features)
                layer.weight.copy_((torch.rand(layer.weight.shape, generator=generator) * 2 - 1) * bound)
                layer.bias.zero_()
        self.log_temperature = torch.nn.Parameter(torch.tensor(math.log(temperature)))

    vocab_parameters = ("tables.en", "tables.es")

    def states(self, lang: str, batch: TokenBatch, evaluator=None) -> torch.Tensor:
        table = self.tables[lang]
        v = table.shape[0]
        ids = batch.ids
        emb = table[ids.clamp(max=v - 1)]
        is_name = ids >= v
        if bool(is_name.any()):
            names = [batch.words[i] for i in ids[is_name].tolist()]
            emb = emb.clone()
            emb[is_name] = self.names(hash_features(names, NAME_DIM))
        m = batch.mask.unsqueeze(-1).to(emb.dtype)
        pooled = (emb * m).sum(1) / m.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(self.maps[lang](pooled), dim=-1)

    def forward(self, english: TokenBatch, spanish: TokenBatch) -> torch.Tensor:
        return (self.states("en", english) @ self.states("es", spanish).T) * self.log_temperature.exp()


def matched_classical_dims(quantum: BilingualStateModel, vocabs: dict) -> tuple[int, int]:
    """``(embed_dim, out_dim)`` of a :class:`ClassicalDualEncoder` with about the quantum model's
    parameter count: the embedding width equals the angles per word, and ``out_dim`` makes the
    linear maps match the heads, sentence maps and name projection."""
    n_q = n_parameters(quantum)
    e = quantum.encoders["en"].token_source.n_angles
    words = sum(len(vocabs[lang]) for lang in LANGUAGES) * e
    rest = n_q - words - 1 - (NAME_DIM * e + e)
    out = max(1, round(rest / (2 * (e + 1))))
    return e, int(out)


def n_parameters(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


# -- batches ---------------------------------------------------------------------------------------
def make_batch(encoded: EncodedTexts, texts: Sequence[str] | None = None, embedder=None) -> TokenBatch:
    """The :class:`TokenBatch` of encoded texts; with a USE ``embedder``, per-token word
    embeddings ``(B, T, 512)`` and the sentences' embeddings ``(B, 512)`` too."""
    batch = TokenBatch(encoded.ids, encoded.mask, encoded.words)
    if embedder is None:
        return batch
    from qnlp.models.bilingual.text import NAME

    b, t = encoded.ids.shape
    plain = [[w[len(NAME):] if w.startswith(NAME) else w for w in toks][:t] for toks in encoded.tokens]
    distinct = sorted({w for toks in plain for w in toks})
    vectors = embedder.words(distinct) if distinct else np.zeros((0, 512), dtype=np.float32)
    row = {w: i for i, w in enumerate(distinct)}
    tok = np.zeros((b, t, vectors.shape[1] if len(distinct) else 512), dtype=np.float32)
    for i, toks in enumerate(plain):
        for j, w in enumerate(toks):
            tok[i, j] = vectors[row[w]]
    batch.token_embeddings = torch.as_tensor(tok)
    batch.sentence_embeddings = torch.as_tensor(embedder.sentences(list(texts)))
    return batch
