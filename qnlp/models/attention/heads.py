"""Quantum self-attention heads as pure functions over token state tensors.

Each head is ``attend(token_states, params, mask=...) -> (outputs, weights)``: no hidden state,
no randomness, no backend, so it can be tested against hand-computed numbers. The thin
:class:`AttentionHead` holds the parameters (a ``torch.nn.Module``) and calls the function.

Two heads are provided:

``gaussian``
    QSANN (Li et al., arXiv:2205.05625): query ``q_t`` and key ``k_s`` are ``<Z_0>`` after
    parameterised circuits on the token states, the weights are
    ``softmax_s(-(q_t - k_s)**2)`` over unmasked tokens, and values are Pauli expectation
    vectors after a value circuit.
``fidelity``
    Scores are state overlaps ``|<q_t|k_s>|**2`` of the query and key states (a swap test on a
    shot backend; exact here), scaled by a trainable temperature before the softmax.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.states import _paulis, circuit_unitary

HEADS = ("gaussian", "fidelity")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis (keys), ignoring keys where ``mask`` is False.

    ``scores`` ``(B, T, S)``; ``mask`` ``(B, S)`` bool (True = real token), ``(B, T, S)`` bool
    (per query: e.g. a causal mask, True where query ``t`` may see key ``s``) or None.
    """
    if mask is not None:
        scores = scores.masked_fill(~(mask[:, None, :] if mask.dim() == 2 else mask), float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return torch.nan_to_num(w, nan=0.0)  # rows of a fully padded sentence


def gaussian_weights(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None,
                     bias: torch.Tensor | None = None) -> torch.Tensor:
    """QSANN weights ``softmax_s(-(q_t - k_s)**2 - bias_ts)``: ``q``, ``k`` ``(B, T)`` -> ``(B, T, T)``.

    ``bias`` ``(B, T, T)`` (optional) is subtracted from the scores, e.g. ``beta * tree distance``.

    >>> import torch
    >>> w = gaussian_weights(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.0]]))
    >>> [round(float(x), 4) for x in w[0, 0]]
    [0.7311, 0.2689]
    """
    scores = -(q[:, :, None] - k[:, None, :]) ** 2
    return masked_softmax(scores if bias is None else scores - bias, mask)


def fidelity_scores(qs: torch.Tensor, ks: torch.Tensor) -> torch.Tensor:
    """Overlaps ``|<q_t|k_s>|**2`` of states ``(B, T, D)`` -> ``(B, T, T)``."""
    return torch.einsum("btd,bsd->bts", qs.conj(), ks).abs() ** 2


@lru_cache(maxsize=None)
def _observables(n_qubits: int, dtype: torch.dtype) -> torch.Tensor:
    """``(2 + 3d, 2**d, 2**d)``: ``Z_0`` (query), ``Z_0`` (key), then ``X_i``, ``Y_i``, ``Z_i`` (values)."""
    paulis = _paulis(n_qubits)
    z0 = 2 * n_qubits
    return paulis[[z0, z0] + list(range(3 * n_qubits))].to(dtype)


def head_features(columns: torch.Tensor, params: dict, *, kind: str = "gaussian") -> dict:
    """Per-token quantities of one head from batch-last token states ``(2**d, N)``.

    Returns a dict of tensors whose last axis is the token axis ``N``:

    * ``"values"`` ``(3d, N)``: ``<X_i>, <Y_i>, <Z_i>`` after the value circuit;
    * gaussian: ``"query"``, ``"key"`` ``(N,)``: ``<Z_0>`` after the query / key circuit;
    * fidelity: ``"query"``, ``"key"`` ``(2**d, N)``: the query / key states.

    Expectations are quadratic forms ``psi^H (U^H O U) psi``: the ``2 + 3d`` matrices
    ``U^H O U`` are built once per call from the shared circuits, then one matrix product over
    all tokens gives every expectation (instead of applying each circuit to each token).
    Features are per token, so a caller may compute them for distinct tokens and gather.
    """
    if kind not in HEADS:
        raise ConfigError(f"unknown attention head {kind!r}; valid: {', '.join(HEADS)}")
    dim, n = columns.shape
    n_qubits = int(math.log2(dim))
    angles = torch.stack([params["query"], params["key"], params["value"]])
    if columns.dtype == torch.complex128:  # reference precision: rotations in float64 too
        angles = angles.double()
    u = circuit_unitary(angles, dtype=columns.dtype)
    obs = _observables(n_qubits, columns.dtype)
    if kind == "gaussian":
        circ = u[[0, 1] + [2] * (3 * n_qubits)]
    else:
        circ, obs = u[2:3], obs[2:]
    forms = circ.mH @ obs @ circ  # (J, D, D) Hermitian
    applied = (forms.reshape(-1, dim) @ columns).reshape(-1, dim, n)
    expect = (columns.conj() * applied).sum(1).real  # (J, N)
    if kind == "gaussian":
        return {"query": expect[0], "key": expect[1], "values": expect[2:]}
    moved = (u[:2].reshape(-1, dim) @ columns).reshape(2, dim, n)
    return {"query": moved[0], "key": moved[1], "values": expect}


def attend_quantities(quantities: dict, params: dict, mask: torch.Tensor | None = None,
                      *, kind: str = "gaussian", bias: torch.Tensor | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """The classical rest of a head: weights from its quantities, then the weighted values.

    ``quantities``: ``"values"`` ``(B, T, 3d)``; gaussian ``"q"``, ``"k"`` ``(B, T)``; fidelity
    ``"scores"`` ``(B, T, T)`` (raw overlaps, scaled here by ``exp(log_scale)``). For attention
    from ``T`` queries to ``S`` keys of another sequence (cross-attention): ``"values"``
    ``(B, S, 3d)``, ``"q"`` ``(B, T)``, ``"k"`` ``(B, S)``, ``"scores"`` ``(B, T, S)``; ``mask``
    as in :func:`masked_softmax`. Exact or
    estimated from shots (:mod:`qnlp.models.attention.evaluators`): the same code either way.
    """
    values = quantities["values"]
    if kind == "gaussian":
        weights = gaussian_weights(quantities["q"], quantities["k"], mask, bias)
    elif kind == "fidelity":
        scores = quantities["scores"] * params["log_scale"].to(quantities["scores"].dtype).exp()
        weights = masked_softmax(scores if bias is None else scores - bias.to(scores.dtype), mask)
    else:
        raise ConfigError(f"unknown attention head {kind!r}; valid: {', '.join(HEADS)}")
    return weights @ values.to(weights.dtype), weights


def attend_features(features: dict, params: dict, mask: torch.Tensor | None = None,
                    *, kind: str = "gaussian", bias: torch.Tensor | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`attend` from :func:`head_features` gathered to ``(..., B, T)`` (token axes last)."""
    quantities = {"values": features["values"].permute(1, 2, 0)}
    if kind == "gaussian":
        quantities["q"], quantities["k"] = features["query"], features["key"]
    else:
        quantities["scores"] = fidelity_scores(features["query"].permute(1, 2, 0),
                                               features["key"].permute(1, 2, 0))
    return attend_quantities(quantities, params, mask, kind=kind, bias=bias)


def attend(token_states: torch.Tensor, params: dict, mask: torch.Tensor | None = None,
           *, kind: str = "gaussian", bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One quantum self-attention head.

    Parameters
    ----------
    token_states : torch.Tensor
        ``(B, T, 2**d)`` complex, normalised token states (padding rows are ignored via ``mask``).
    params : dict of torch.Tensor
        ``"query"``, ``"key"``, ``"value"``: circuit angles ``(L, d, 2)``; the fidelity head also
        reads ``"log_scale"`` (scalar; the scores are multiplied by ``exp(log_scale)``).
    mask : torch.Tensor, optional
        ``(B, T)`` bool, True for real tokens.
    kind : {"gaussian", "fidelity"}
    bias : torch.Tensor, optional
        ``(B, T, T)`` subtracted from the scores before the softmax (syntax-aware attention:
        ``beta * tree distance``).

    Returns
    -------
    outputs : torch.Tensor
        ``(B, T, 3d)``: per token, the attention-weighted sum of value vectors
        (``<X_i>, <Y_i>, <Z_i>`` of each qubit after the value circuit).
    weights : torch.Tensor
        ``(B, T, T)`` attention weights (rows sum to 1 over unmasked keys).
    """
    b, t, dim = token_states.shape
    feats = head_features(token_states.reshape(b * t, dim).T, params, kind=kind)
    feats = {k: v.unflatten(-1, (b, t)) for k, v in feats.items()}
    return attend_features(feats, params, mask, kind=kind, bias=bias)


class AttentionHead(torch.nn.Module):
    """Parameters of one head (query, key, value circuits); :meth:`forward` calls :func:`attend`.

    Parameters
    ----------
    n_qubits : int
    n_layers : int
        Layers of each query/key/value circuit.
    kind : {"gaussian", "fidelity"}
    generator : torch.Generator
        Source of the initial angles (uniform in ``[0, 2*pi)``).
    syntax : bool
        Hold a trainable ``beta = softplus(syntax_beta) >= 0`` (initially 0.5) that scales the
        tree distances passed to :meth:`forward` into a score penalty.
    """

    def __init__(self, n_qubits: int, n_layers: int, kind: str, generator: torch.Generator,
                 syntax: bool = False):
        super().__init__()
        if kind not in HEADS:
            raise ConfigError(f"unknown attention head {kind!r}; valid: {', '.join(HEADS)}")
        self.kind = kind
        shape = (n_layers, n_qubits, 2)
        for name in ("query", "key", "value"):
            init = torch.rand(shape, generator=generator) * 2 * math.pi
            self.register_parameter(name, torch.nn.Parameter(init))
        if kind == "fidelity":
            self.log_scale = torch.nn.Parameter(torch.tensor(math.log(4.0)))
        if syntax:
            self.syntax_beta = torch.nn.Parameter(torch.tensor(math.log(math.expm1(0.5))))

    def params(self) -> dict:
        return dict(self.named_parameters())

    def bias(self, distances: torch.Tensor | None) -> torch.Tensor | None:
        """Score penalty ``beta * distances`` (``None`` without distances or a syntax weight)."""
        if distances is None or not hasattr(self, "syntax_beta"):
            return None
        return torch.nn.functional.softplus(self.syntax_beta) * distances

    def forward(self, token_states, mask=None, distances=None):
        return attend(token_states, self.params(), mask, kind=self.kind, bias=self.bias(distances))

    def attend(self, quantities: dict, mask=None, distances=None):
        """Outputs ``(B, T, 3d)`` and weights ``(B, T, T)`` from this head's quantities
        (see :func:`attend_quantities`)."""
        bias = self.bias(None if distances is None else distances.to(quantities["values"].dtype))
        return attend_quantities(quantities, self.params(), mask, kind=self.kind, bias=bias)
