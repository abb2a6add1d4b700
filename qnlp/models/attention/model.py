"""Quantum self-attention sentence classifier (QSANN-style): one forward pass, any evaluator.

Pipeline: tokens -> token states on ``n_qubits`` qubits from a token source
(:mod:`~qnlp.models.attention.sources`) -> ``n_heads`` quantum attention heads
(:mod:`~qnlp.models.attention.heads`) -> masked mean over tokens -> linear layer -> class logits.

The quantum quantities of the heads come from an injected evaluator
(:mod:`~qnlp.models.attention.evaluators`): the exact torch engine (default, differentiable, the
training path) or a pytket backend with shots. The rest of the forward pass is this module's code
in both cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.batch import TokenBatch, per_position
from qnlp.models.attention.evaluators import ExactEvaluator
from qnlp.models.attention.heads import HEADS, AttentionHead
from qnlp.models.attention.sources import PAD, UNK, hash_features, make_source  # noqa: F401
from qnlp.models.attention.states import check_qubits, circuit_depth

EXACT = ExactEvaluator()


# -- vocabulary and encoding --------------------------------------------------------------------
@dataclass
class Vocabulary:
    """Word -> row index; row 0 is padding, row 1 the unknown word."""

    words: list[str] = field(default_factory=lambda: [PAD, UNK])

    @classmethod
    def build(cls, token_lists, min_count: int = 1) -> "Vocabulary":
        counts: dict[str, int] = {}
        for toks in token_lists:
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
        return cls([PAD, UNK] + sorted(w for w, c in counts.items() if c >= min_count))

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def extended(self, token_lists) -> "Vocabulary":
        """This vocabulary with the new words of ``token_lists`` appended (sorted); existing
        words keep their rows."""
        new = {t for toks in token_lists for t in toks} - set(self.index)
        return Vocabulary(self.words + sorted(new))

    def encode(self, token_lists, max_len: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded ids ``(B, T)`` and mask ``(B, T)`` (an empty text becomes one unknown token)."""
        rows = [[self.index.get(t, 1) for t in toks][:max_len] or [1] for toks in token_lists]
        width = max(len(r) for r in rows)
        ids = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.as_tensor(r)
        return ids, ids != 0



# -- model --------------------------------------------------------------------------------------
class QuantumAttentionModel(torch.nn.Module):
    """Token states + quantum attention heads + linear read-out.

    Parameters
    ----------
    vocab : Vocabulary
    n_classes : int
    n_qubits : int
        Qubits per token (at most 8).
    n_layers : int
        Layers of the token-state circuit and of each query/key/value circuit.
    n_heads : int
    head : {"gaussian", "fidelity"}
    source : {"word", "embedding", "minilm", "discocat"}
        The token source (:func:`~qnlp.models.attention.sources.make_source`), built with
        ``init_scale`` and its own options ``embed_dim`` (``"embedding"``), ``sentence_token``
        and ``word_offsets`` (``"minilm"``), ``discocat_weights`` (``"discocat"``); an option of
        another source is a :class:`~qnlp.errors.ConfigError`.
    positional : bool
        After preparation, word token ``t`` gets ``RZ(t * w_i)`` on each qubit ``i`` (trainable
        frequencies ``w``), so attention can see word order; a prepended token gets none.
    residual : bool
        ``source="minilm"``: add a linear read-out of the sentence embedding to the logits.
    syntax : bool
        Each head subtracts ``beta_h * tree distance`` from its scores (trainable ``beta_h >= 0``;
        the batch's ``distances``).
    discocat_token : bool
        Prepend the DisCoCat sentence as an extra token (two classes): class probabilities ``p``
        set one RY angle, ``2 arccos(sqrt(p_0))``, of the token circuit (:func:`discocat_angles`).
        With ``source="discocat"`` they are computed from the shared DisCoCat parameters.
    n_blocks : int
        Stacked attention blocks (per-word sources). Block ``b > 1`` re-prepares each token's
        state from its own angles plus a trained linear map of the previous block's output
        (initially zero), applies its own heads, and adds their output to the previous features.
    generator : torch.Generator
    """

    def __init__(self, vocab: Vocabulary, n_classes: int, *, n_qubits: int = 4, n_layers: int = 2,
                 n_heads: int = 1, head: str = "gaussian", source: str = "word", embed_dim: int = 64,
                 init_scale: float = 1.0, positional: bool = False, sentence_token: bool = False,
                 residual: bool = False, syntax: bool = False, n_blocks: int = 1,
                 discocat_token: bool = False, word_offsets: bool = False,
                 discocat_weights=None, generator: torch.Generator):
        super().__init__()
        if head not in HEADS:
            raise ConfigError(f"unknown head {head!r}; valid: {', '.join(HEADS)}")
        self.vocab, self.n_qubits, self.n_layers = vocab, check_qubits(n_qubits), int(n_layers)
        self.token_source = make_source(source, vocab_size=len(vocab), n_layers=self.n_layers,
                                        n_qubits=self.n_qubits, generator=generator, init_scale=init_scale,
                                        embed_dim=embed_dim, sentence_token=sentence_token,
                                        word_offsets=word_offsets, discocat_weights=discocat_weights)
        self.source = source
        self.residual = bool(residual)
        if self.residual and not self.token_source.sentence_inputs:
            raise ConfigError(f"residual applies to source='minilm' only, not source={source!r}")
        self.n_blocks = int(n_blocks)
        if self.n_blocks < 1:
            raise ConfigError(f"n_blocks must be >= 1, got {n_blocks!r}")
        if self.n_blocks > 1 and not self.token_source.per_word:
            raise ConfigError("n_blocks > 1 needs source='word' or 'embedding' (per-token angles)")
        self.discocat_token = bool(discocat_token)
        if self.discocat_token and (self.n_blocks > 1 or bool(sentence_token)):
            raise ConfigError("discocat_token cannot be combined with n_blocks > 1 or sentence_token")
        if self.discocat_token and n_classes != 2:
            raise ConfigError(f"discocat_token supports two classes, got {n_classes}")
        self.positional = bool(positional)
        if self.positional:
            self.frequencies = torch.nn.Parameter(torch.rand(n_qubits, generator=generator) * math.pi / 4)
        self.syntax = bool(syntax)
        self.heads = torch.nn.ModuleList(
            AttentionHead(n_qubits, n_layers, head, generator, syntax=syntax) for _ in range(n_heads))
        width = 3 * n_qubits * n_heads
        n_angles = self.token_source.n_angles
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleList(AttentionHead(n_qubits, n_layers, head, generator, syntax=syntax)
                                for _ in range(n_heads)) for _ in range(self.n_blocks - 1))
        self.mixers = torch.nn.ModuleList(torch.nn.Linear(width, n_angles) for _ in range(self.n_blocks - 1))
        with torch.no_grad():
            for mixer in self.mixers:
                mixer.weight.zero_()
                mixer.bias.zero_()
        self.readout = torch.nn.Linear(width, n_classes)
        with torch.no_grad():
            self.readout.weight.copy_(torch.randn(self.readout.weight.shape, generator=generator) * 0.1)
            self.readout.bias.zero_()
        if self.residual:
            self.skip = torch.nn.Linear(self.token_source.embed_dim, n_classes)
            with torch.no_grad():
                self.skip.weight.zero_()
                self.skip.bias.zero_()

    @property
    def vocab_parameters(self) -> tuple:
        """Names of the per-word parameter tables (one row per vocabulary entry)."""
        return tuple(f"token_source.{n}" for n in self.token_source.vocab_parameters)

    # the token source's parameters, by their short names
    word_angles = property(lambda self: self.token_source.word_angles)
    proj = property(lambda self: self.token_source.proj)
    discocat_theta = property(lambda self: self.token_source.discocat_theta)

    @property
    def sentence_token(self) -> bool:
        return bool(getattr(self.token_source, "sentence_token", False))

    def cells(self, batch: TokenBatch):
        """The token states of the first block as :class:`~qnlp.models.attention.batch.TokenCells`,
        with positional phases and a prepended token (MiniLM sentence or DisCoCat) when set."""
        cells = self.token_source.cells(batch)
        if self.positional:
            cells.positions = torch.arange(cells.mask.shape[1], dtype=torch.float32)
            cells.frequencies = self.frequencies
            cells.distinct = False
        prefix = self.token_source.prefix(batch)
        if self.discocat_token:
            prefix = discocat_angles(self._discocat_probs(batch), self.n_layers, self.n_qubits)
        return cells if prefix is None else cells.prepend(prefix)

    def _discocat_probs(self, batch: TokenBatch) -> torch.Tensor:
        if batch.discocat_probs is not None:  # precomputed (e.g. on a backend)
            return batch.discocat_probs
        if self.source == "discocat" and batch.word_boxes is not None:
            from qnlp.models.attention.discocat_tokens import sentence_probabilities

            return sentence_probabilities(batch.word_boxes, self.token_source.discocat_theta)  # live
        if batch.discocat_probs is None:
            raise ConfigError("discocat_token=True needs the DisCoCat class probabilities (discocat_probs=...)")
        return batch.discocat_probs

    def forward(self, batch: TokenBatch, *, evaluator=None, return_weights: bool = False,
                return_features: bool = False):
        """Logits ``(B, n_classes)`` (and the per-head attention weights if asked).

        Parameters
        ----------
        batch : TokenBatch
        evaluator : ExactEvaluator or BackendEvaluator, optional
            Where the heads' quantum quantities come from (default: exact). Results are in the
            evaluator's dtype (float32 exact, float64 estimated).
        return_weights : bool
            Also return the list of per-head weights ``(B, T, T)`` (all blocks).
        return_features : bool
            Return the pooled features ``(B, 3 d n_heads)`` instead of the logits.
        """
        evaluator = EXACT if evaluator is None else evaluator
        if self.syntax and batch.distances is None:
            raise ConfigError("syntax=True needs the tokens' tree distances (distances=...)")
        cells = self.cells(batch)
        mask, distances = cells.mask, batch.distances
        if distances is not None and mask.shape[1] == distances.shape[1] + 1:  # a prepended token
            distances = torch.nn.functional.pad(distances, (1, 0, 1, 0))
        feats, weights = self._attend(evaluator, cells, self.heads, mask, distances)
        if self.n_blocks > 1:
            base = cells.angles[cells.index]  # (B, T, L, d, 2): the word rows of block 1
            for heads, mixer in zip(self.blocks, self.mixers):
                angles = base + _linear(mixer, feats).reshape(base.shape)
                block = per_position(angles, mask)
                block.positions, block.frequencies = cells.positions, cells.frequencies
                out, more = self._attend(evaluator, block, heads, mask, distances)
                feats = feats + out
                weights += more
        m = mask.unsqueeze(-1).to(feats.dtype)
        pooled = (feats * m).sum(1) / m.sum(1).clamp(min=1)
        if return_features:
            return pooled
        logits = _linear(self.readout, pooled)
        if self.residual:
            logits = logits + _linear(self.skip, batch.sentence_embeddings.to(pooled.dtype))
        return (logits, weights) if return_weights else logits

    @staticmethod
    def _attend(evaluator, cells, heads, mask, distances):
        quantities = evaluator.quantities(cells, heads)
        outs, weights = zip(*(h.attend(q, mask, distances) for h, q in zip(heads, quantities)))
        return torch.cat(outs, -1), list(weights)

    def circuit_depth(self) -> dict:
        """Depth of the token-state circuit and of one query/key/value circuit."""
        d = circuit_depth(self.n_qubits, self.n_layers)
        return {"state": d, "head": d, "total": 2 * d, "blocks": self.n_blocks}


def _linear(layer: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``layer(x)`` in ``x``'s dtype (float64 for estimated quantities)."""
    if x.dtype == layer.weight.dtype:
        return layer(x)
    return torch.nn.functional.linear(x, layer.weight.to(x.dtype), layer.bias.to(x.dtype))


def discocat_angles(probs: torch.Tensor, n_layers: int, n_qubits: int) -> torch.Tensor:
    """Token-circuit angles ``(B, L, d, 2)`` encoding two-class probabilities ``(B, 2)``.

    All angles are 0 except the first layer's RY on qubit ``0`` (``d <= 2``) or ``d - 1``, set
    to ``2 arccos(sqrt(p_0))``: the circuit then prepares ``sqrt(p_0)|0...0> + sqrt(p_1)|x>``,
    ``x`` a fixed nonzero basis state (the CNOT/CZ rings map basis states to basis states).

    >>> a = discocat_angles(torch.tensor([[0.25, 0.75]]), 1, 1)
    >>> round(float(a[0, 0, 0, 0]), 4)  # 2 * arccos(0.5)
    2.0944
    """
    p0 = probs[:, 0].double() / probs.double().sum(1).clamp_min(1e-30)
    out = torch.zeros(probs.shape[0], n_layers, n_qubits, 2, dtype=torch.float32)
    out[:, 0, 0 if n_qubits <= 2 else n_qubits - 1, 0] = (2 * torch.arccos(p0.clamp(0, 1).sqrt())).float()
    return out


#: Parameter names of format 1 model folders (before token sources were components).
_LEGACY_PREFIXES = ("word_angles", "proj.", "sentence_proj.", "discocat_theta")


def upgrade_state(state: dict) -> dict:
    """A saved state dict in the current parameter names (format 1 folders kept the token
    source's parameters at the top level: ``word_angles`` is now ``token_source.word_angles``)."""
    return {(f"token_source.{k}" if k.startswith(_LEGACY_PREFIXES) else k): v for k, v in state.items()}


#: Parameters whose rows are the classes (the read-out, MiniLM's skip read-out): not transferred
#: between models with other classes.
CLASS_HEADS = ("readout.", "skip.")


def transfer_parameters(source: torch.nn.Module, target: torch.nn.Module, *,
                        copy_readout: bool = True) -> dict[str, torch.Tensor]:
    """Copy a trained model's parameters into a fresh one of the same architecture (fine-tuning).

    Parameters named in ``target.vocab_parameters`` are per-word tables: the source's rows are
    copied into the first rows of the target (its vocabulary extends the source's, see
    :meth:`Vocabulary.extended`); the rows of new words keep their initial values. Every other
    parameter is copied whole, except the class heads (:data:`CLASS_HEADS`) when ``copy_readout``
    is false (other classes).

    Returns
    -------
    dict
        Per parameter, the centre its weight decay should pull towards while fine-tuning: the
        copied values, and zero where nothing was copied (as plain L2 decay does).

    Raises
    ------
    ConfigError
        The architectures differ (a parameter is missing on one side or has another shape).
    """
    src = dict(source.named_parameters())
    tgt = dict(target.named_parameters())
    if set(src) != set(tgt):
        raise ConfigError("init_from: the pretrained model has another architecture "
                          f"(parameters only there: {sorted(set(src) - set(tgt))}; only here: "
                          f"{sorted(set(tgt) - set(src))}); use the same settings")
    tables = set(getattr(target, "vocab_parameters", ()))
    centre = {}
    with torch.no_grad():
        for name, p in tgt.items():
            s, c = src[name].detach(), torch.zeros_like(p)
            if name.startswith(CLASS_HEADS) and not copy_readout:
                centre[name] = c
                continue
            if (name in tables and (s.shape[1:] != p.shape[1:] or s.shape[0] > p.shape[0])) or \
                    (name not in tables and s.shape != p.shape):
                raise ConfigError(f"init_from: parameter {name} has shape {tuple(s.shape)} in the "
                                  f"pretrained model but {tuple(p.shape)} here; use the same settings")
            if name in tables:
                p[:s.shape[0]] = s
                c[:s.shape[0]] = s
            else:
                p.copy_(s)
                c.copy_(s)
            centre[name] = c
    return centre


def n_parameters(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


