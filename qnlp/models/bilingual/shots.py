"""Sentence-state fidelities on a pytket backend (shots, noise, hardware).

The sentence states of :mod:`~qnlp.models.bilingual.model` are ``V(theta)|0...0>`` with the
token-state circuit family (RY, RZ and a CNOT ring per layer). Their fidelity
``|<e|s>|**2`` is estimated with the circuits of the attention heads
(:func:`~qnlp.models.attention.circuits.measured_template`):

* ``"inverse"`` (compute-uncompute): ``V(theta_s)^dag V(theta_e)|0>`` on ``k`` qubits,
  ``F = P(0...0)``, variance ``F (1 - F) / N``;
* ``"swap"``: a swap test on ``2k + 1`` qubits, ``F = 2 P(0) - 1``, variance ``(1 - F**2) / N``.

The angles themselves come from the encoders run with a
:class:`~qnlp.models.attention.evaluators.BackendEvaluator` (head quantities estimated too) or
exactly. Each distinct circuit runs once per call; each is seeded from the run's seed and its
values, so results do not depend on batching.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from qnlp.errors import ConfigError
from qnlp.models.attention.circuits import FIDELITY_METHODS, estimate, measured_template


def shot_tolerance(fidelity: np.ndarray, shots: int, method: str = "inverse", z: float = 5.0) -> np.ndarray:
    """``z`` standard deviations of a fidelity estimate from ``shots`` shots (at least ``z / shots``
    so that an exact 0 or 1 still allows one stray count).

    >>> float(shot_tolerance(np.array(0.5), 10000, z=4.0))
    0.02
    """
    f = np.clip(np.asarray(fidelity, dtype=float), 0.0, 1.0)
    var = f * (1 - f) if method == "inverse" else (1 - f ** 2)
    return np.maximum(z * np.sqrt(var / shots), z / shots)


class FidelityEstimator:
    """Estimates ``|<a|b>|**2`` of sentence circuits on a pytket backend.

    Parameters
    ----------
    backend : str, TketBackend or pytket Backend
        ``"aer"``, ``"aer-state"``, ``"aer-noisy:<device>"``, ...
    shots : int or None
        ``None`` only on a state backend.
    seed : int or None
    method : {"inverse", "swap"}
    """

    def __init__(self, backend, *, shots=None, seed=None, method: str = "inverse"):
        from qnlp.backends.base import RunConfig
        from qnlp.backends.factory import as_tket_backend

        if method not in FIDELITY_METHODS:
            raise ConfigError(f"unknown fidelity method {method!r}; valid: {', '.join(FIDELITY_METHODS)}")
        self.backend = as_tket_backend(backend)
        self.config = RunConfig(shots=None if shots is None else int(shots), seed=seed)
        self.backend.validate([], self.config)
        self.method = method
        self._keys: dict = {}
        self.n_circuits = 0

    def _key(self, n_layers: int, n_qubits: int) -> str:
        spec = (self.method, n_layers, n_qubits)
        if spec not in self._keys:
            circ, symbols = measured_template(self.method, "-", n_layers, n_qubits, 0, positional=False)
            digest = hashlib.sha256(repr(spec).encode()).hexdigest()[:16]
            self._keys[spec] = self.backend.template(circ, symbols, key=f"bilingual:{self.method}:{digest}")
        return self._keys[spec]

    def pairs(self, angles_a: np.ndarray, angles_b: np.ndarray) -> np.ndarray:
        """Fidelities of row ``i`` of ``angles_a`` with row ``i`` of ``angles_b`` (radians,
        ``(N, L, k, 2)`` each) -> ``(N,)``."""
        a = np.asarray(angles_a, dtype=float)
        b = np.asarray(angles_b, dtype=float)
        if a.shape != b.shape or a.ndim != 4:
            raise ConfigError(f"angle arrays must both be (N, L, k, 2), got {a.shape} and {b.shape}")
        if not len(a):
            return np.zeros(0)
        key = self._key(a.shape[1], a.shape[2])
        values = np.concatenate([a.reshape(len(a), -1), b.reshape(len(b), -1)], 1) / math.pi
        distinct, inverse = np.unique(values, axis=0, return_inverse=True)
        items = [(key, v, hashlib.sha256(v.tobytes()).hexdigest()) for v in distinct]
        probs = self.backend.run_bound(items, self.config)
        self.n_circuits += len(items)
        est = np.asarray([estimate(self.method, p)[0] for p in probs])
        return np.clip(est[np.asarray(inverse).reshape(-1)], 0.0, 1.0)

    def matrix(self, angles_a: np.ndarray, angles_b: np.ndarray) -> np.ndarray:
        """All fidelities ``(N, M)`` of rows of ``angles_a`` with rows of ``angles_b``."""
        a = np.asarray(angles_a, dtype=float)
        b = np.asarray(angles_b, dtype=float)
        ia, ib = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
        return self.pairs(a[ia.ravel()], b[ib.ravel()]).reshape(len(a), len(b))

    def amplitude_matrix(self, states_a: np.ndarray, states_b: np.ndarray) -> np.ndarray:
        """All fidelities ``(N, M)`` of amplitude-encoded states ``(N, 2**k)`` and ``(M, 2**k)``:
        each pair is its own circuit (state preparations of both, compiled per pair), so keep
        the sets small."""
        a = np.asarray(states_a, dtype=complex)
        b = np.asarray(states_b, dtype=complex)
        k = int(round(math.log2(a.shape[1])))
        items, index = [], {}
        for i in range(len(a)):
            for j in range(len(b)):
                amps = (a[i] / np.linalg.norm(a[i]), b[j] / np.linalg.norm(b[j]))
                digest = hashlib.sha256(amps[0].tobytes() + amps[1].tobytes()).hexdigest()[:24]
                if digest not in index:
                    circ, symbols = measured_template(self.method, "-", 0, k, 0, positional=False, amplitudes=amps)
                    key = self.backend.template(circ, symbols, key=f"bilingual-amplitude:{self.method}:{digest}")
                    index[digest] = len(items)
                    items.append((key, np.zeros(0), digest))
        probs = self.backend.run_bound(items, self.config)
        self.n_circuits += len(items)
        est = np.clip([estimate(self.method, p)[0] for p in probs], 0.0, 1.0)
        out = np.empty((len(a), len(b)))
        for i in range(len(a)):
            for j in range(len(b)):
                amps = (a[i] / np.linalg.norm(a[i]), b[j] / np.linalg.norm(b[j]))
                out[i, j] = est[index[hashlib.sha256(amps[0].tobytes() + amps[1].tobytes()).hexdigest()[:24]]]
        return out
