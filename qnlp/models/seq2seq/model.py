"""Encoder-decoder translation models whose attention is quantum or classical.

One forward pass (:class:`Seq2SeqModel`), two attention *stacks* that implement its steps:

1. **Encoder.** Source tokens become representations (:meth:`embed`): token states on
   ``n_qubits`` qubits from trainable word angles plus positional RZ phases
   (:class:`QuantumStack`), or embeddings plus sinusoidal positions (:class:`ClassicalStack`).
   ``n_heads`` self-attention heads over the unpadded tokens; their concatenated outputs (per head
   ``3d`` Pauli expectations after the value circuit) are mapped by a linear *mixer* (initially
   zero) onto each token's own angles (:meth:`mix`): the re-prepared states are the *memory*.
2. **Decoder.** Target tokens (``<s>`` then the previous words: teacher forcing) become
   representations in the same way; masked (causal) self-attention -- a query sees itself and
   earlier tokens only -- then a mixer re-prepares each query token from its own angles and that
   output; cross-attention heads attend from those states to the memory.
3. **Read-out.** ``[self-attention output, the token's own value features (the self-attention
   heads' values at its position), cross-attention output]`` -> ``Linear -> tanh -> Linear`` ->
   logits over the target vocabulary.

The quantum stack reuses the attention stack of :mod:`qnlp.models.attention`: word states
(:class:`~qnlp.models.attention.sources.WordStates`), heads
(:class:`~qnlp.models.attention.heads.AttentionHead`) and the evaluators' quantities, so the same
decoder runs exactly (training) or with every head quantity estimated on a pytket backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.batch import TokenBatch, TokenCells, per_position
from qnlp.models.attention.evaluators import ExactEvaluator
from qnlp.models.attention.heads import HEADS, AttentionHead, masked_softmax
from qnlp.models.attention.sources import WordStates
from qnlp.models.attention.states import check_qubits

EXACT = ExactEvaluator()
ATTENTIONS = ("quantum", "classical")


def causal_mask(mask: torch.Tensor) -> torch.Tensor:
    """``(B, T)`` token mask -> ``(B, T, T)``: query ``t`` sees real keys ``s <= t``.

    >>> causal_mask(torch.tensor([[True, True, False]]))[0].int().tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 0]]
    """
    t = mask.shape[1]
    return mask[:, None, :] & torch.ones(t, t, dtype=torch.bool).tril()[None]


def _linear(layer: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """``layer(x)`` in ``x``'s dtype (float64 for estimated quantities)."""
    return torch.nn.functional.linear(x, layer.weight.to(x.dtype), layer.bias.to(x.dtype))


def _zero_linear(n_in: int, n_out: int) -> torch.nn.Linear:
    layer = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
    return layer


@dataclass
class Memory:
    """What the decoder attends to: the encoder's representations and mask ``(B, S)``."""

    reps: object  # TokenCells (quantum) or tensor (B, S, e) (classical)
    mask: torch.Tensor
    ids: torch.Tensor | None = None  # (B, S) source ids (the lexical read-out)

    def select(self, idx: torch.Tensor) -> "Memory":
        """The memory of sentences ``idx`` (beam search repeats sentences)."""
        ids = None if self.ids is None else self.ids[idx]
        if isinstance(self.reps, TokenCells):
            b, s = self.mask.shape
            angles = self.reps.angles.reshape(b, s, *self.reps.angles.shape[1:])[idx]
            cells = per_position(angles, self.mask[idx])
            cells.positions, cells.frequencies = self.reps.positions, self.reps.frequencies
            return Memory(cells, self.mask[idx], ids)
        return Memory(self.reps[idx], self.mask[idx], ids)


class QuantumStack(torch.nn.Module):
    """Token states and quantum attention heads (see the module docstring).

    Parameters
    ----------
    n_source, n_target : int
        Vocabulary sizes.
    n_qubits, n_layers, n_heads : int
    head : {"fidelity", "gaussian"}
    generator : torch.Generator
    """

    kind = "quantum"

    def __init__(self, n_source: int, n_target: int, *, n_qubits: int = 4, n_layers: int = 2,
                 n_heads: int = 2, head: str = "fidelity", generator: torch.Generator):
        super().__init__()
        if head not in HEADS:
            raise ConfigError(f"unknown head {head!r}; valid: {', '.join(HEADS)}")
        self.n_qubits, self.n_layers, self.n_heads = check_qubits(n_qubits), int(n_layers), int(n_heads)
        self.width = 3 * self.n_qubits * self.n_heads
        d, L = self.n_qubits, self.n_layers
        self.source = WordStates(n_source, L, d, generator=generator)
        self.target = WordStates(n_target, L, d, generator=generator)
        self.source_frequencies = torch.nn.Parameter(torch.rand(d, generator=generator) * math.pi / 4)
        self.target_frequencies = torch.nn.Parameter(torch.rand(d, generator=generator) * math.pi / 4)
        self.groups = torch.nn.ModuleDict({
            name: torch.nn.ModuleList(AttentionHead(d, L, head, generator) for _ in range(self.n_heads))
            for name in ("encoder", "decoder", "cross")})
        n_angles = L * d * 2
        self.mixers = torch.nn.ModuleDict({name: _zero_linear(self.width, n_angles)
                                           for name in ("encoder", "decoder")})

    def embed(self, side: str, ids: torch.Tensor, mask: torch.Tensor) -> TokenCells:
        source = self.source if side == "source" else self.target
        cells = source.cells(TokenBatch(ids, mask))
        cells.positions = torch.arange(ids.shape[1], dtype=torch.float32)
        cells.frequencies = self.source_frequencies if side == "source" else self.target_frequencies
        cells.distinct = False
        return cells

    def attend(self, group: str, queries: TokenCells, keys: TokenCells | None, mask, evaluator):
        heads = self.groups[group]
        evaluator = EXACT if evaluator is None else evaluator
        if keys is None:
            quantities = evaluator.quantities(queries, heads)
        else:
            quantities = evaluator.cross_quantities(queries, keys, heads)
        outs, weights = zip(*(h.attend(q, mask) for h, q in zip(heads, quantities)))
        values = torch.cat([q["values"] for q in quantities], -1)
        return torch.cat(outs, -1), list(weights), values.to(outs[0].dtype)

    def mix(self, group: str, cells: TokenCells, out: torch.Tensor) -> TokenCells:
        base = cells.angles[cells.index]  # (B, T, L, d, 2)
        angles = base.to(out.dtype) + _linear(self.mixers[group], out).reshape(base.shape)
        mixed = per_position(angles, cells.mask)
        mixed.positions, mixed.frequencies = cells.positions, cells.frequencies
        return mixed

    def describe(self) -> dict:
        return {"n_qubits_max": self.n_qubits, "qubits_per_token": self.n_qubits}


def sinusoid(t: int, dim: int) -> torch.Tensor:
    """Sinusoidal position encodings ``(t, dim)`` (Vaswani et al. 2017)."""
    pos = torch.arange(t, dtype=torch.float32)[:, None]
    i = torch.arange(dim, dtype=torch.float32)[None, :]
    angle = pos / torch.pow(10000.0, (2 * (i // 2)) / max(dim, 1))
    return torch.where(i.long() % 2 == 0, torch.sin(angle), torch.cos(angle))


class ClassicalStack(torch.nn.Module):
    """Embeddings and softmax dot-product attention of the quantum stack's shape: per head a
    query/key width of ``key_dim`` and a value width ``3d`` (the quantum head's output width)."""

    kind = "classical"

    def __init__(self, n_source: int, n_target: int, *, embed_dim: int, value_dim: int, key_dim: int,
                 n_heads: int, generator: torch.Generator):
        super().__init__()
        self.embed_dim, self.n_heads, self.key_dim = int(embed_dim), int(n_heads), int(key_dim)
        self.width = int(value_dim) * self.n_heads
        self.source = torch.nn.Parameter(torch.randn(n_source, self.embed_dim, generator=generator))
        self.target = torch.nn.Parameter(torch.randn(n_target, self.embed_dim, generator=generator))

        def proj(n_out):
            layer = torch.nn.Linear(self.embed_dim, n_out)
            with torch.no_grad():
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) / math.sqrt(self.embed_dim))
                layer.bias.zero_()
            return layer

        self.groups = torch.nn.ModuleDict({
            name: torch.nn.ModuleDict({"query": proj(self.key_dim * self.n_heads),
                                       "key": proj(self.key_dim * self.n_heads), "value": proj(self.width)})
            for name in ("encoder", "decoder", "cross")})
        self.mixers = torch.nn.ModuleDict({name: _zero_linear(self.width, self.embed_dim)
                                           for name in ("encoder", "decoder")})

    def embed(self, side, ids, mask):
        table = self.source if side == "source" else self.target
        return table[ids] + sinusoid(ids.shape[1], self.embed_dim)[None]

    def attend(self, group, queries, keys, mask, evaluator=None):
        keys = queries if keys is None else keys
        g = self.groups[group]
        b, t, _ = queries.shape
        s = keys.shape[1]
        q = g["query"](queries).reshape(b, t, self.n_heads, self.key_dim).transpose(1, 2)
        k = g["key"](keys).reshape(b, s, self.n_heads, self.key_dim).transpose(1, 2)
        v = g["value"](keys).reshape(b, s, self.n_heads, -1).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.key_dim)  # (B, H, T, S)
        weights = [masked_softmax(scores[:, h], mask) for h in range(self.n_heads)]
        out = torch.cat([w @ v[:, h] for h, w in enumerate(weights)], -1)
        return out, weights, v.transpose(1, 2).flatten(2)

    def mix(self, group, reps, out):
        return reps + self.mixers[group](out)

    def describe(self) -> dict:
        return {"n_qubits_max": 0, "embed_dim": self.embed_dim}


class Seq2SeqModel(torch.nn.Module):
    """Encoder-decoder over an attention stack, with a classical read-out (module docstring).

    Parameters
    ----------
    stack : QuantumStack or ClassicalStack
    n_target : int
        Target vocabulary size (logits).
    hidden : int
        Width of the read-out's hidden layer.
    n_source : int
        Source vocabulary size (the lexical read-out).
    lexical_dim : int
        With ``> 0``, the read-out also gets a *lexical* vector: a trainable classical vector per
        source word, averaged with the cross-attention weights (mean over heads) of each target
        position (Nguyen & Chiang 2018). The weights are the attention stack's (quantum or
        classical); the vectors are classical. 0: no lexical read-out.
    generator : torch.Generator
    """

    def __init__(self, stack, n_target: int, *, hidden: int = 128, n_source: int = 0, lexical_dim: int = 0,
                 generator: torch.Generator):
        super().__init__()
        self.stack = stack
        self.lexical_dim = int(lexical_dim)
        if self.lexical_dim:
            self.lexical = torch.nn.Parameter(torch.randn(n_source, self.lexical_dim, generator=generator) * 0.1)
        self.hidden = torch.nn.Linear(3 * stack.width + self.lexical_dim, hidden)
        self.output = torch.nn.Linear(hidden, n_target)
        with torch.no_grad():
            for layer in (self.hidden, self.output):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) / math.sqrt(layer.in_features))
                layer.bias.zero_()

    def encode(self, ids: torch.Tensor, mask: torch.Tensor, *, evaluator=None) -> Memory:
        """The memory of source sentences ``ids``/``mask`` ``(B, S)``."""
        reps = self.stack.embed("source", ids, mask)
        out, _, _ = self.stack.attend("encoder", reps, None, mask, evaluator)
        return Memory(self.stack.mix("encoder", reps, out), mask, ids)

    def decode(self, memory: Memory, ids: torch.Tensor, mask: torch.Tensor, *, evaluator=None,
               return_weights: bool = False, select: torch.Tensor | None = None):
        """Next-token logits ``(B, T, V)`` after each prefix of ``ids`` ``(B, T)`` (``<s>`` first);
        with ``return_weights`` also the cross-attention weights ``(B, T, S)`` averaged over heads.
        ``select`` ``(B, T)`` bool: only the logits of those positions, ``(n, V)`` (training)."""
        reps = self.stack.embed("target", ids, mask)
        own, _, values = self.stack.attend("decoder", reps, None, causal_mask(mask), evaluator)
        queries = self.stack.mix("decoder", reps, own)
        cross, weights, _ = self.stack.attend("cross", queries, memory.reps, memory.mask, evaluator)
        parts = [own, values, cross]  # values: each token's own value features
        mean_weights = torch.stack(weights).mean(0)
        if self.lexical_dim:
            parts.append(mean_weights @ self.lexical[memory.ids].to(mean_weights.dtype))
        feats = torch.cat(parts, -1)
        if select is not None:
            feats = feats[select]
        logits = _linear(self.output, torch.tanh(_linear(self.hidden, feats)))
        if return_weights:
            return logits, mean_weights
        return logits

    def forward(self, src_ids, src_mask, tgt_ids, tgt_mask, *, evaluator=None, select=None):
        return self.decode(self.encode(src_ids, src_mask, evaluator=evaluator), tgt_ids, tgt_mask,
                           evaluator=evaluator, select=select)


def n_parameters(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def build_model(attention: str, n_source: int, n_target: int, *, n_qubits: int = 4, n_layers: int = 2,
                n_heads: int = 2, head: str = "fidelity", hidden: int = 128, embed_dim: int | None = None,
                lexical_dim: int = 0, generator: torch.Generator) -> Seq2SeqModel:
    """A :class:`Seq2SeqModel` with a quantum stack, or a classical one whose embedding width is
    chosen (``embed_dim=None``) so that its parameter count is closest to the quantum model's."""
    if attention == "quantum":
        stack = QuantumStack(n_source, n_target, n_qubits=n_qubits, n_layers=n_layers, n_heads=n_heads,
                             head=head, generator=generator)
        return Seq2SeqModel(stack, n_target, hidden=hidden, n_source=n_source, lexical_dim=lexical_dim,
                            generator=generator)
    if attention != "classical":
        raise ConfigError(f"unknown attention {attention!r}; valid: {', '.join(ATTENTIONS)}")
    value_dim = 3 * check_qubits(n_qubits)
    if embed_dim is None:
        embed_dim = matched_embed_dim(n_source, n_target, n_qubits=n_qubits, n_layers=n_layers,
                                      n_heads=n_heads, head=head, hidden=hidden, lexical_dim=lexical_dim)
    stack = ClassicalStack(n_source, n_target, embed_dim=embed_dim, value_dim=value_dim, key_dim=value_dim,
                           n_heads=n_heads, generator=generator)
    return Seq2SeqModel(stack, n_target, hidden=hidden, n_source=n_source, lexical_dim=lexical_dim,
                        generator=generator)


def matched_embed_dim(n_source: int, n_target: int, **quantum) -> int:
    """Embedding width of the classical stack whose model is closest in size to the quantum one."""
    target = n_parameters(build_model("quantum", n_source, n_target, generator=torch.Generator(), **quantum))
    d, hidden, heads = quantum.get("n_qubits", 4), quantum.get("hidden", 128), quantum.get("n_heads", 2)
    lex = quantum.get("lexical_dim", 0)

    def count(e):
        v = 3 * d
        emb = (n_source + n_target) * e
        attn = 3 * (2 * (e * v * heads + v * heads) + (e * v * heads + v * heads))
        mixers = 2 * (v * heads * e + e)
        readout = (3 * v * heads + lex) * hidden + hidden + hidden * n_target + n_target + n_source * lex
        return emb + attn + mixers + readout

    return min(range(1, 257), key=lambda e: abs(count(e) - target))
