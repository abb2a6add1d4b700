"""Evaluators: how an attention model's quantum quantities are computed.

The model's forward pass is written once (:class:`~qnlp.models.attention.model.QuantumAttentionModel`);
what it asks of an evaluator is, per head, the quantities of the token states described by
:class:`~qnlp.models.attention.batch.TokenCells`:

* ``"values"`` ``(B, T, 3d)``: ``<X_i>, <Y_i>, <Z_i>`` after the value circuit;
* gaussian heads: ``"q"``, ``"k"`` ``(B, T)``: ``<Z_0>`` after the query / key circuit;
* fidelity heads: ``"scores"`` ``(B, T, T)``: overlaps ``|<q_t|k_s>|**2``.

:class:`ExactEvaluator` computes them with the torch statevector engine (differentiable; the
training path). :class:`BackendEvaluator` estimates them from measured circuits
(:mod:`~qnlp.models.attention.circuits`) on a :class:`~qnlp.backends.tket.TketBackend`: shots,
noise, hardware or an exact state simulator, through the backend's compile-once /
run-with-bound-values interface. Everything after these quantities (softmax, weighted values,
pooling, read-out) is the model's own code in both cases, as with lambeq's ``QuantumModel`` and
Qiskit ML's ``sampler=``.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.batch import TokenCells
from qnlp.models.attention.circuits import BASES, FIDELITY_METHODS, estimate, measured_template
from qnlp.models.attention.heads import fidelity_scores, head_features
from qnlp.models.attention.states import prepare_columns, prepare_states


def position_phases(positions: torch.Tensor, frequencies: torch.Tensor,
                    dtype: torch.dtype = torch.complex64) -> torch.Tensor:
    """Diagonal of ``RZ(p w_0) x ... x RZ(p w_{d-1})`` for each position multiple ``p``: ``(T, 2**d)``.

    >>> position_phases(torch.tensor([0.0, 1.0]), torch.tensor([0.0])).shape
    torch.Size([2, 2])
    """
    d = frequencies.shape[0]
    real = torch.float64 if dtype == torch.complex128 else torch.float32
    idx = torch.arange(2 ** d)
    z = 1.0 - 2.0 * ((idx[:, None] >> (d - 1 - torch.arange(d))[None, :]) & 1).to(real)  # (D, d)
    angle = positions.to(real)[:, None] * (z @ frequencies.to(real))[None, :]
    return torch.exp(-0.5j * angle.to(dtype))


def _quantities(feats: dict, kind: str) -> dict:
    """Head quantities from :func:`head_features` gathered to ``(..., B, T)``."""
    out = {"values": feats["values"].permute(1, 2, 0)}
    if kind == "gaussian":
        out["q"], out["k"] = feats["query"], feats["key"]
    else:
        out["scores"] = fidelity_scores(feats["query"].permute(1, 2, 0), feats["key"].permute(1, 2, 0))
    return out


class ExactEvaluator:
    """Exact, differentiable quantities from the torch statevector engine.

    Word-state cells without phases or boxes are simulated once per distinct word and their
    per-token quantities gathered; otherwise the states of all positions are built
    (:meth:`states`) and evaluated together.
    """

    name = "exact"
    differentiable = True

    def __init__(self, dtype: torch.dtype = torch.complex64):
        self.dtype = dtype

    def _angles(self, cells: TokenCells) -> torch.Tensor:
        return cells.angles.double() if self.dtype == torch.complex128 else cells.angles

    def states(self, cells: TokenCells) -> torch.Tensor:
        """Token states ``(B, T, 2**d)`` of ``cells`` (in :attr:`dtype`: complex64 for training,
        complex128 for reference checks)."""
        rows = prepare_states(self._angles(cells), dtype=self.dtype)
        states = rows[cells.index.clamp(min=0)]
        empty = cells.index < 0
        if bool(empty.any()):
            zero = torch.zeros(states.shape[-1], dtype=states.dtype)
            zero[0] = 1
            states = torch.where(empty[..., None], zero, states)
        if cells.box is not None:
            from qnlp.models.attention.discocat_tokens import normalised

            states = torch.where(cells.box[..., None], normalised(cells.box_states.to(states.dtype)), states)
        if cells.frequencies is not None:
            states = states * position_phases(cells.positions, cells.frequencies, self.dtype)
        return states

    def quantities(self, cells: TokenCells, heads) -> list[dict]:
        """Per head, the quantities listed in the module docstring."""
        if cells.distinct and cells.frequencies is None and cells.box is None:
            columns = prepare_columns(self._angles(cells), dtype=self.dtype)
            out = []
            for h in heads:
                feats = head_features(columns, h.params(), kind=h.kind)
                out.append(_quantities({k: v[..., cells.index] for k, v in feats.items()}, h.kind))
            return out
        states = self.states(cells)
        b, t, dim = states.shape
        flat = states.reshape(b * t, dim).T
        return [_quantities({k: v.unflatten(-1, (b, t)) for k, v in
                             head_features(flat, h.params(), kind=h.kind).items()}, h.kind) for h in heads]

    def cross_quantities(self, query_cells: TokenCells, key_cells: TokenCells, heads) -> list[dict]:
        """Per head, the quantities of attention from the ``T`` tokens of ``query_cells`` to the
        ``S`` tokens of ``key_cells`` (same ``B``): ``"values"`` ``(B, S, 3d)`` and ``"k"``
        ``(B, S)`` from the keys, ``"q"`` ``(B, T)`` from the queries, or fidelity ``"scores"``
        ``(B, T, S)`` (cross-attention of an encoder-decoder)."""
        sides = []
        for cells in (query_cells, key_cells):
            states = self.states(cells)
            b, t, dim = states.shape
            sides.append((states.reshape(b * t, dim).T, (b, t)))
        out = []
        for h in heads:
            fq, fk = ({k: v.unflatten(-1, shape) for k, v in head_features(flat, h.params(), kind=h.kind).items()}
                      for flat, shape in sides)
            q = {"values": fk["values"].permute(1, 2, 0)}
            if h.kind == "gaussian":
                q["q"], q["k"] = fq["query"], fk["key"]
            else:
                q["scores"] = fidelity_scores(fq["query"].permute(1, 2, 0), fk["key"].permute(1, 2, 0))
            out.append(q)
        return out


@dataclass
class ShotReport:
    """What a backend evaluator ran."""

    n_circuits: int = 0  # circuits needed before deduplication
    n_unique: int = 0  # circuits run
    n_structures: int = 0
    seconds: float = 0.0


def _half_turns(x: torch.Tensor) -> np.ndarray:
    return x.detach().to(torch.float64).numpy() / math.pi


class BackendEvaluator:
    """Quantities estimated from measured circuits on a pytket backend.

    Parameters
    ----------
    backend : str, TketBackend or pytket Backend
        ``"aer"``, ``"aer-state"``, ``"aer-noisy:<device>"``, a hardware name, or an instance.
    shots : int or None
        Shots per circuit; ``None`` only on a state backend (exact estimates).
    seed : int or None
        Each circuit is seeded from ``seed`` and its structure and values: results do not depend
        on batching.
    fidelity_method : {"inverse", "swap"}
        Circuit of the fidelity head's overlaps.
    entangler : {"cnot", "cz"}
        Ring of the token-state layers.

    Attributes
    ----------
    report : ShotReport
        Totals over every :meth:`quantities` call.
    """

    name = "backend"
    differentiable = False

    def __init__(self, backend, *, shots=None, seed=None, fidelity_method: str = "inverse",
                 entangler: str = "cnot"):
        from qnlp.backends.base import RunConfig
        from qnlp.backends.factory import as_tket_backend

        if fidelity_method not in FIDELITY_METHODS:
            raise ConfigError(f"unknown fidelity_method {fidelity_method!r}; valid: {', '.join(FIDELITY_METHODS)}")
        if shots is not None and (isinstance(shots, bool) or not isinstance(shots, (int, np.integer))):
            raise ConfigError(f"shots must be a positive int or None, got {shots!r}")
        self.backend = as_tket_backend(backend)
        self.config = RunConfig(shots=None if shots is None else int(shots), seed=seed)
        self.backend.validate([], self.config)
        self.fidelity_method, self.entangler = fidelity_method, entangler
        self.report = ShotReport()
        self._keys: dict[tuple, str] = {}
        self._cache: dict[tuple, np.ndarray] = {}

    def _key(self, kind, basis, cells: TokenCells, head_layers, amplitudes) -> str:
        spec = (kind, basis, cells.n_layers, cells.n_qubits, head_layers, cells.frequencies is not None,
                self.entangler, tuple(None if a is None else a.tobytes() for a in amplitudes))
        if spec not in self._keys:
            circ, symbols = measured_template(kind, basis, cells.n_layers, cells.n_qubits, head_layers,
                                              positional=cells.frequencies is not None,
                                              entangler=self.entangler, amplitudes=amplitudes)
            digest = hashlib.sha256(repr(spec).encode()).hexdigest()[:16]
            self._keys[spec] = self.backend.template(circ, symbols, key=f"attention:{kind}:{basis}:{digest}")
        return self._keys[spec]

    def quantities(self, cells: TokenCells, heads) -> list[dict]:
        """Per head, the quantities listed in the module docstring, estimated (float64)."""
        return self.cross_quantities(cells, cells, heads)

    @staticmethod
    def _side(cells: TokenCells) -> dict:
        """What the circuits of one set of cells need: angles and phases in half-turns, boxes."""
        with torch.no_grad():
            phases = cells.phase_angles(torch.float64)
            boxes = None
            if cells.box is not None:
                from qnlp.models.attention.discocat_tokens import normalised

                boxes = normalised(cells.box_states.detach().to(torch.complex128)).numpy()
            return {"cells": cells, "angles": _half_turns(cells.angles),  # (R, L, d, 2)
                    "phases": None if phases is None else _half_turns(phases), "boxes": boxes}  # (T, d)

    def cross_quantities(self, query_cells: TokenCells, key_cells: TokenCells, heads) -> list[dict]:
        """Like :meth:`ExactEvaluator.cross_quantities`, estimated (float64); :meth:`quantities`
        is the case ``query_cells is key_cells``."""
        t0 = time.perf_counter()
        cells = key_cells
        if (query_cells.n_qubits, query_cells.n_layers, query_cells.frequencies is None) != \
                (cells.n_qubits, cells.n_layers, cells.frequencies is None):
            raise ConfigError("cross-attention on a backend needs query and key tokens of the same "
                              "register, layers and positional phases")
        b_size, s_size = cells.mask.shape
        t_size = query_cells.mask.shape[1]
        d = cells.n_qubits
        qside = self._side(query_cells)
        kside = qside if query_cells is key_cells else self._side(key_cells)
        real = [(b, t) for b in range(b_size) for t in range(s_size) if bool(cells.mask[b, t])]
        qreal = [(b, t) for b in range(b_size) for t in range(t_size) if bool(query_cells.mask[b, t])]

        def token(side, b, t, head_params):
            """(amplitudes or None, values) of the token state at (b, t) followed by a head circuit."""
            amps = None
            parts = []
            if side["boxes"] is not None and bool(side["cells"].box[b, t]):
                amps = side["boxes"][b, t]
            else:
                row = int(side["cells"].index[b, t])
                angles = side["angles"]
                parts.append(angles[row].ravel() if row >= 0 else np.zeros(angles[0].size))
            if side["phases"] is not None:
                parts.append(side["phases"][t])
            parts.append(_half_turns(head_params).ravel())
            return amps, np.concatenate(parts)

        jobs, slots = [], []  # job: (key, values); slot: (head, quantity, b, t, s)
        for h, head in enumerate(heads):
            hl = head.value.shape[0]
            for b, t in real:
                for basis in BASES:
                    amps, values = token(kside, b, t, head.value)
                    jobs.append((self._key("basis", basis, cells, hl, (amps, None)), values))
                    slots.append((h, "v" + basis, b, t, None))
            if head.kind == "gaussian":
                for side, name, positions in ((qside, "query", qreal), (kside, "key", real)):
                    for b, t in positions:
                        amps, values = token(side, b, t, getattr(head, name))
                        jobs.append((self._key("basis", "Z", cells, hl, (amps, None)), values))
                        slots.append((h, name[0], b, t, None))
                continue
            for b, t in qreal:
                for s in range(s_size):
                    if bool(cells.mask[b, s]):
                        qa, qv = token(qside, b, t, head.query)
                        ka, kv = token(kside, b, s, head.key)
                        jobs.append((self._key(self.fidelity_method, "-", cells, hl, (qa, ka)),
                                     np.concatenate([qv, kv])))
                        slots.append((h, "scores", b, t, s))
        estimates = self._run(jobs)
        out = []
        for head in heads:
            q = {"values": torch.zeros(b_size, s_size, 3 * d, dtype=torch.float64)}
            if head.kind == "gaussian":
                q["q"] = torch.zeros(b_size, t_size, dtype=torch.float64)
                q["k"] = torch.zeros(b_size, s_size, dtype=torch.float64)
            else:
                q["scores"] = torch.zeros(b_size, t_size, s_size, dtype=torch.float64)
            out.append(q)
        for e, (h, what, b, t, s) in zip(estimates, slots):
            if what[0] == "v" and len(what) == 2:
                j = "XYZ".index(what[1])  # layout of pauli_expectations: X_0..X_{d-1}, Y_0.., Z_0..
                out[h]["values"][b, t, j * d:(j + 1) * d] = torch.as_tensor(e)
            elif what in ("q", "k"):
                out[h][what][b, t] = float(e[0])
            else:
                out[h]["scores"][b, t, s] = float(e[0])
        self.report.n_circuits += len(jobs)
        self.report.n_structures = len(self._keys)
        self.report.seconds += time.perf_counter() - t0
        return out

    def _run(self, jobs: list) -> list[np.ndarray]:
        """Estimates per job; each distinct circuit runs once (per evaluator)."""
        keys = [(k, v.tobytes()) for k, v in jobs]
        todo = list({key: job for key, job in zip(keys, jobs) if key not in self._cache}.items())
        if todo:
            items = [(k, v, hashlib.sha256(v.tobytes()).hexdigest()) for _, (k, v) in todo]
            probs = self.backend.run_bound(items, self.config)
            for (key, (k, _)), p in zip(todo, probs):
                self._cache[key] = estimate(k.split(":")[1], p)
            self.report.n_unique += len(todo)
        return [self._cache[key] for key in keys]
