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

import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.states import (
    circuit_unitary,
    pauli_expectations,
    z_expectation,
)

HEADS = ("gaussian", "fidelity")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis (keys), ignoring keys where ``mask`` is False.

    ``scores`` ``(B, T, T)``; ``mask`` ``(B, T)`` bool (True = real token) or None.
    """
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return torch.nan_to_num(w, nan=0.0)  # rows of a fully padded sentence


def gaussian_weights(q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """QSANN weights ``softmax_s(-(q_t - k_s)**2)``: ``q``, ``k`` ``(B, T)`` -> ``(B, T, T)``.

    >>> import torch
    >>> w = gaussian_weights(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.0]]))
    >>> [round(float(x), 4) for x in w[0, 0]]
    [0.7311, 0.2689]
    """
    return masked_softmax(-(q[:, :, None] - k[:, None, :]) ** 2, mask)


def fidelity_scores(qs: torch.Tensor, ks: torch.Tensor) -> torch.Tensor:
    """Overlaps ``|<q_t|k_s>|**2`` of states ``(B, T, D)`` -> ``(B, T, T)``."""
    return torch.einsum("btd,bsd->bts", qs.conj(), ks).abs() ** 2


def _apply(states: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """States ``(B, T, D)`` after the shared circuit with ``angles`` ``(L, d, 2)``."""
    return states @ circuit_unitary(angles).T


def attend(token_states: torch.Tensor, params: dict, mask: torch.Tensor | None = None,
           *, kind: str = "gaussian") -> tuple[torch.Tensor, torch.Tensor]:
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

    Returns
    -------
    outputs : torch.Tensor
        ``(B, T, 3d)``: per token, the attention-weighted sum of value vectors
        (``<X_i>, <Y_i>, <Z_i>`` of each qubit after the value circuit).
    weights : torch.Tensor
        ``(B, T, T)`` attention weights (rows sum to 1 over unmasked keys).
    """
    values = pauli_expectations(_apply(token_states, params["value"]).flatten(0, 1))
    values = values.reshape(token_states.shape[0], token_states.shape[1], -1)
    if kind == "gaussian":
        q = z_expectation(_apply(token_states, params["query"]))
        k = z_expectation(_apply(token_states, params["key"]))
        weights = gaussian_weights(q, k, mask)
    elif kind == "fidelity":
        scores = fidelity_scores(_apply(token_states, params["query"]), _apply(token_states, params["key"]))
        weights = masked_softmax(scores * params["log_scale"].exp(), mask)
    else:
        raise ConfigError(f"unknown attention head {kind!r}; valid: {', '.join(HEADS)}")
    return weights @ values, weights


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
    """

    def __init__(self, n_qubits: int, n_layers: int, kind: str, generator: torch.Generator):
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

    def params(self) -> dict:
        return dict(self.named_parameters())

    def forward(self, token_states, mask=None):
        return attend(token_states, self.params(), mask, kind=self.kind)
