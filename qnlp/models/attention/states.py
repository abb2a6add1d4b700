"""Small batched statevector simulator for token states (torch, exact, differentiable).

A register of ``d`` qubits holds a state vector of length ``2**d``; qubit 0 is the most
significant bit. Circuits here are "hardware-efficient" layers: an RY then an RZ rotation on
every qubit, followed by a ring of CNOTs (or CZs). Everything is vectorised over a leading batch
axis (all tokens of all sentences at once), so per-gate Python overhead is paid once per layer,
not once per token.

>>> import torch
>>> angles = torch.zeros(3, 1, 2, 2)            # 3 tokens, 1 layer, 2 qubits, (ry, rz)
>>> psi = prepare_states(angles)
>>> psi.shape, bool(torch.allclose(psi.abs().pow(2).sum(-1), torch.ones(3)))
(torch.Size([3, 4]), True)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from qnlp.errors import CircuitTooLargeError, ConfigError

#: Largest register a token state may use.
MAX_QUBITS = 8
ENTANGLERS = ("cnot", "cz")

def check_qubits(n_qubits: int) -> int:
    """Validate a register size (1..:data:`MAX_QUBITS`)."""
    if not isinstance(n_qubits, (int, np.integer)) or isinstance(n_qubits, bool) or n_qubits < 1:
        raise ConfigError(f"n_qubits must be a positive int, got {n_qubits!r}")
    if n_qubits > MAX_QUBITS:
        raise CircuitTooLargeError(f"n_qubits={n_qubits} exceeds the token register limit {MAX_QUBITS}")
    return int(n_qubits)


# -- gates ------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _entangler(n_qubits: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(permutation, signs) of the ring entangler: ``psi' = signs * psi[:, perm]``."""
    dim = 2 ** n_qubits
    idx = np.arange(dim)
    signs = np.ones(dim)
    pairs = ring_pairs(n_qubits)
    bit = lambda x, q: (x >> (n_qubits - 1 - q)) & 1  # noqa: E731
    if kind == "cnot":
        # psi'[x] = psi[f^{-1}(x)]; apply CNOTs in order on basis labels
        perm = idx.copy()
        for c, t in pairs:
            # new amplitude at x comes from the old amplitude at x with target flipped if control set
            perm = np.array([perm[x ^ (bit(x, c) << (n_qubits - 1 - t))] for x in idx])
    else:
        perm = idx
        for c, t in pairs:
            signs = signs * np.where(bit(idx, c) & bit(idx, t), -1.0, 1.0)
    return perm, signs


def ring_pairs(n_qubits: int) -> list[tuple[int, int]]:
    """Control/target pairs of the entangling ring (none for 1 qubit, one pair for 2)."""
    if n_qubits < 2:
        return []
    if n_qubits == 2:
        return [(0, 1)]
    return [(q, (q + 1) % n_qubits) for q in range(n_qubits)]


def apply_entangler(psi: torch.Tensor, n_qubits: int, kind: str = "cnot") -> torch.Tensor:
    """Apply the CNOT (or CZ) ring to a batch of states ``(N, 2**d)``."""
    if kind not in ENTANGLERS:
        raise ConfigError(f"unknown entangler {kind!r}; valid: {', '.join(ENTANGLERS)}")
    perm, signs = _entangler(n_qubits, kind)
    if kind == "cnot":
        return psi[:, torch.as_tensor(perm)]
    return psi * torch.as_tensor(signs, dtype=psi.dtype)


def gate_elements(angles: torch.Tensor, dtype: torch.dtype = torch.complex64, *,
                  axis: int = -1) -> torch.Tensor:
    """``RZ(b) @ RY(a)`` for angles with ``(a, b)`` on ``axis``, as 2x2 matrices in its place.

    The matrices are ``[[c e, -s e], [s e*, c e*]]`` with
    ``c, s = cos(a/2), sin(a/2)`` and ``e = exp(-ib/2)``. ``angles`` ``(..., 2)`` gives
    ``(..., 2, 2)``; with ``axis=-2``, ``(..., 2, N)`` gives ``(..., 2, 2, N)`` (batch last).
    """
    axis = axis % angles.dim()
    a, b = (angles * 0.5).unbind(axis)
    c, s = torch.cos(a), torch.sin(a)
    real = torch.float64 if dtype == torch.complex128 else torch.float32
    e = torch.polar(torch.ones_like(b, dtype=real), -b.to(real)).to(dtype)
    rows = torch.stack([e, e.conj()], axis).unsqueeze(axis + 1)  # RZ scales the rows of RY
    return rows * torch.stack([c, -s, s, c], axis).to(dtype).unflatten(axis, (2, 2))


def _prepare_columns(angles: torch.Tensor, entangler: str, dtype: torch.dtype) -> torch.Tensor:
    """``U(angles)|0...0>`` with the batch axis last: ``(N, L, d, 2)`` -> ``(2**d, N)``.

    Per layer, the rotations then the entangling ring (:func:`apply_entangler`), on ``|0...0>``,
    computed for speed: the first rotation
    layer acts on ``|0...0>``, so it gives a product state (the Kronecker product of each gate's
    first column); later layers apply each qubit's gate as a broadcast multiply-and-sum over a
    ``(left, 2, right, N)`` view. Keeping the batch axis last makes every elementwise kernel run
    over a long contiguous axis (torch is slow on broadcasts over tiny trailing axes).
    """
    n, n_layers, d, _ = angles.shape
    gates = gate_elements(angles.permute(1, 2, 3, 0).contiguous(), dtype, axis=-2)  # (L, d, 2, 2, N)
    perm, signs = _entangler(d, entangler)
    perm_t = torch.as_tensor(perm) if entangler == "cnot" else None
    signs_t = None if entangler == "cnot" else torch.as_tensor(signs, dtype=dtype)[:, None]

    def entangle(psi):
        if d < 2:
            return psi
        return psi[perm_t] if perm_t is not None else psi * signs_t

    layers = gates.unbind(0)
    first = layers[0][:, :, 0].unbind(0)  # per qubit: first column (2, N)
    psi = first[0]
    for col in first[1:]:
        psi = (psi[:, None] * col[None]).flatten(0, 1)
    psi = entangle(psi)
    for layer in layers[1:]:
        for q, g in enumerate(layer.unbind(0)):  # g: (2, 2, N)
            view = psi.reshape(2 ** q, 1, 2, 2 ** (d - 1 - q), n)
            psi = (g[None, :, :, None] * view).sum(2).reshape(2 ** d, n)
        psi = entangle(psi)
    return psi


def prepare_states(angles: torch.Tensor, *, entangler: str = "cnot",
                   dtype: torch.dtype = torch.complex64) -> torch.Tensor:
    """Token states ``U(angles)|0...0>`` for per-token angles ``(N, L, d, 2)`` -> ``(N, 2**d)``.

    ``dtype`` is the complex dtype of the states (``torch.complex128`` for reference checks).
    The result is the transpose of a batch-last array (see :func:`prepare_columns`).
    """
    return prepare_columns(angles, entangler=entangler, dtype=dtype).T


def prepare_columns(angles: torch.Tensor, *, entangler: str = "cnot",
                    dtype: torch.dtype = torch.complex64) -> torch.Tensor:
    """Like :func:`prepare_states` but batch-last: ``(N, L, d, 2)`` -> ``(2**d, N)``."""
    check_qubits(angles.shape[2])
    if entangler not in ENTANGLERS:
        raise ConfigError(f"unknown entangler {entangler!r}; valid: {', '.join(ENTANGLERS)}")
    return _prepare_columns(angles, entangler, dtype)


def circuit_unitary(angles: torch.Tensor, *, entangler: str = "cnot",
                    dtype: torch.dtype = torch.complex64) -> torch.Tensor:
    """Matrix ``U`` of a shared-parameter circuit ``(..., L, d, 2)``, so that ``psi' = psi @ U.T``.

    Leading axes batch several circuits (``(3, L, d, 2)`` -> ``(3, 2**d, 2**d)``). Each layer's
    rotations form one Kronecker product, its rows are permuted (CNOT ring) or signed (CZ ring),
    and the layers are multiplied.
    """
    *lead, n_layers, d, _ = angles.shape
    if entangler not in ENTANGLERS:
        raise ConfigError(f"unknown entangler {entangler!r}; valid: {', '.join(ENTANGLERS)}")
    gates = gate_elements(angles, dtype).unbind(-3)  # d tensors (..., L, 2, 2)
    k = gates[0]
    for g in gates[1:]:  # kron: qubit 0 is the most significant bit
        m = k.shape[-1]
        k = (k[..., :, None, :, None] * g[..., None, :, None, :]).reshape(*lead, n_layers, 2 * m, 2 * m)
    if d >= 2:
        perm, signs = _entangler(d, entangler)
        if entangler == "cnot":
            k = k[..., torch.as_tensor(perm), :]
        else:
            k = k * torch.as_tensor(signs, dtype=dtype)[:, None]
    layers = k.unbind(-3)
    u = layers[0]
    for layer in layers[1:]:
        u = layer @ u
    return u


def circuit_depth(n_qubits: int, n_layers: int, entangler: str = "cnot") -> int:
    """Depth of ``n_layers`` layers, counting each RY, RZ and two-qubit gate as one time step."""
    level = [0] * n_qubits
    for _ in range(n_layers):
        for q in range(n_qubits):
            level[q] += 2  # RY then RZ
        for c, t in ring_pairs(n_qubits):
            step = max(level[c], level[t]) + 1
            level[c] = level[t] = step
    return max(level) if level else 0


# -- observables ------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _paulis(n_qubits: int) -> torch.Tensor:
    """``(3d, 2**d, 2**d)`` matrices X_0..X_{d-1}, Y_0.., Z_0.. ."""
    single = {
        "X": np.array([[0, 1], [1, 0]], dtype=complex),
        "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
        "Z": np.array([[1, 0], [0, -1]], dtype=complex),
    }
    mats = []
    for name in "XYZ":
        for q in range(n_qubits):
            m = np.ones((1, 1), dtype=complex)
            for r in range(n_qubits):
                m = np.kron(m, single[name] if r == q else np.eye(2))
            mats.append(m)
    return torch.as_tensor(np.stack(mats), dtype=torch.complex64)


def pauli_expectations(psi: torch.Tensor) -> torch.Tensor:
    """``<X_i>, <Y_i>, <Z_i>`` for every qubit: ``(N, 2**d)`` -> ``(N, 3d)`` real."""
    n_qubits = int(math.log2(psi.shape[-1]))
    ops = _paulis(n_qubits)
    return torch.einsum("nd,pde,ne->np", psi.conj(), ops, psi).real


def z_expectation(psi: torch.Tensor, qubit: int = 0) -> torch.Tensor:
    """``<Z_qubit>`` of states ``(..., 2**d)`` -> ``(...)`` real."""
    n_qubits = int(math.log2(psi.shape[-1]))
    idx = torch.arange(psi.shape[-1])
    sign = 1.0 - 2.0 * ((idx >> (n_qubits - 1 - qubit)) & 1).to(torch.float32)
    return (psi.abs() ** 2 * sign).sum(-1)
