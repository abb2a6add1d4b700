"""Shot-based inference of a trained quantum attention model through pytket.

Training runs on the exact torch engine (:mod:`~qnlp.models.attention.states`); this module
re-expresses every quantity a head needs as measured circuits, runs them on a pytket backend
(noiseless or noisy shots, hardware, or an exact state simulator), and plugs the estimates into the
head's classical rest (softmax weights, weighted values, mean pooling, linear read-out).

Circuits (radians -> half-turns; states.py's qubit 0, the most significant bit, is ``q[0]``, as
in pytket's default statevector order, so translations reproduce ``prepare_states`` exactly):
gaussian head, query/key ``U_head U_pos U_word |0>`` in the Z basis and the value circuit once per
basis X, Y, Z (all qubits at once); fidelity head, compute-uncompute ``V_s^dag V_t |0>`` measuring
``P(0...0) = |<q_t|k_s>|**2`` (default; ``d`` qubits, variance ``F(1-F)/N``) or a swap test
(``2d + 1`` qubits, controlled swaps, variance ``(1-F**2)/N``).

Each circuit structure is compiled once per backend with symbolic parameters and instantiated by
``symbol_substitution``; identical circuits run once; circuit ``c`` is seeded from ``seed`` and a
hash of its structure and values, so results do not depend on batching. On noiseless ``aer`` all
circuits go to qiskit-aer in one call that returns their Born distributions, and each circuit's
shots are drawn with its own seed (:mod:`qnlp.backends.aer_direct`). Elsewhere pytket's Aer
backends take one seed per ``process_circuits`` call, so a seeded run submits each circuit in its
own call (all before any result is read); otherwise the batch is one call. See docs/attention.md.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from qnlp.errors import BackendError, CircuitTooLargeError, ConfigError
from qnlp.models.attention.states import ENTANGLERS, ring_pairs

FIDELITY_METHODS = ("inverse", "swap")
BASES = ("Z", "X", "Y")


# -- circuit construction (angles in half-turns; numbers or sympy symbols) -------------------------
def _add_layers(circ, qubits, angles, entangler: str) -> None:
    """``L`` layers on ``qubits``: Ry then Rz on every qubit, then the entangling ring."""
    if entangler not in ENTANGLERS:
        raise ConfigError(f"unknown entangler {entangler!r}; valid: {', '.join(ENTANGLERS)}")
    d = len(qubits)
    for layer in angles:
        for q in range(d):
            circ.Ry(layer[q][0], qubits[q])
            circ.Rz(layer[q][1], qubits[q])
        for c, t in ring_pairs(d):
            (circ.CX if entangler == "cnot" else circ.CZ)(qubits[c], qubits[t])


def _add_layers_dagger(circ, qubits, angles, entangler: str) -> None:
    """Inverse of :func:`_add_layers` (ring reversed, rotations negated, layers reversed)."""
    d = len(qubits)
    for layer in reversed(list(angles)):
        for c, t in reversed(ring_pairs(d)):
            (circ.CX if entangler == "cnot" else circ.CZ)(qubits[c], qubits[t])
        for q in range(d):
            circ.Rz(-layer[q][1], qubits[q])
            circ.Ry(-layer[q][0], qubits[q])


def _add_state(circ, qubits, word, phases, head, entangler, *, dagger=False) -> None:
    """``U_head U_pos U_word`` (or its inverse) on ``qubits``; ``phases``/``head`` may be None."""
    if dagger:
        if head is not None:
            _add_layers_dagger(circ, qubits, head, "cnot")
        if phases is not None:
            for q, p in enumerate(phases):
                circ.Rz(-p, qubits[q])
        _add_layers_dagger(circ, qubits, word, entangler)
        return
    _add_layers(circ, qubits, word, entangler)
    if phases is not None:
        for q, p in enumerate(phases):
            circ.Rz(p, qubits[q])
    if head is not None:
        _add_layers(circ, qubits, head, "cnot")


def token_circuit(angles, *, phases=None, head=None, entangler: str = "cnot"):
    """pytket circuit of one token state (no measurements), angles in **radians**.

    Parameters
    ----------
    angles : array_like
        ``(L, d, 2)`` word angles (RY, RZ per layer and qubit), as in
        :func:`~qnlp.models.attention.states.prepare_states`.
    phases : array_like, optional
        ``(d,)`` positional phases ``t * w_i`` (RZ on qubit ``i``).
    head : array_like, optional
        ``(L', d, 2)`` head circuit angles (query, key or value; always a CNOT ring).
    entangler : {"cnot", "cz"}
        Ring of the word layers.

    >>> import numpy as np
    >>> token_circuit(np.zeros((2, 3, 2))).n_qubits
    3
    """
    from pytket import Circuit

    angles = np.asarray(angles, dtype=float)
    circ = Circuit(angles.shape[1])
    _add_state(circ, circ.qubits, angles / math.pi,
               None if phases is None else np.asarray(phases, dtype=float) / math.pi,
               None if head is None else np.asarray(head, dtype=float) / math.pi, entangler)
    return circ


@dataclass
class _Structure:
    """One symbolic circuit shape: ``kind`` is ``"basis"``, ``"inverse"`` or ``"swap"``."""

    kind: str
    basis: str
    positional: bool
    n_layers: int
    n_qubits: int
    head_layers: int
    symbols: list = field(default_factory=list)
    template: object = None
    read: int = 0  # measured bits (c[0..read-1])

    def build(self, entangler: str, measure: bool) -> None:
        import sympy
        from pytket import Circuit

        count = iter(range(10 ** 6))

        def syms(*shape):
            flat = [sympy.Symbol(f"qa{next(count)}") for _ in range(int(np.prod(shape)))]
            self.symbols.extend(flat)
            return np.array(flat, dtype=object).reshape(shape)

        L, d, H = self.n_layers, self.n_qubits, self.head_layers

        def state_args():
            return syms(L, d, 2), syms(d) if self.positional else None, syms(H, d, 2)

        if self.kind == "basis":
            circ = Circuit(d)
            _add_state(circ, circ.qubits, *state_args(), entangler)
            for q in range(d):
                if self.basis == "Y":
                    circ.Sdg(q)
                if self.basis in "XY":
                    circ.H(q)
            read = list(range(d))
        elif self.kind == "inverse":
            circ = Circuit(d)
            _add_state(circ, circ.qubits, *state_args(), entangler)
            _add_state(circ, circ.qubits, *state_args(), entangler, dagger=True)
            read = list(range(d))
        else:  # swap test: ancilla q[0], query register q[1..d], key register q[d+1..2d]
            circ = Circuit(2 * d + 1)
            a, qa, qb = circ.qubits[0], circ.qubits[1:d + 1], circ.qubits[d + 1:]
            _add_state(circ, qa, *state_args(), entangler)
            _add_state(circ, qb, *state_args(), entangler)
            circ.H(a)
            for x, y in zip(qa, qb):
                circ.CSWAP(a, x, y)
            circ.H(a)
            read = [0]
        if measure:
            circ.add_c_register("c", len(read))
            for j, q in enumerate(read):
                circ.Measure(circ.qubits[q], circ.bits[j])
        self.template, self.read = circ, len(read)

    def estimate(self, probs: np.ndarray) -> np.ndarray:
        """Estimates from outcome probabilities of the read bits (first bit most significant).

        ``basis``: ``<P_i>`` for every qubit (``d`` values); ``inverse``: ``P(0...0)``; ``swap``:
        ``2 P(0) - 1``.
        """
        if self.kind == "basis":
            probs = probs.reshape((2,) * self.read)
            out = []
            for q in range(self.read):
                marg = probs.sum(axis=tuple(i for i in range(self.read) if i != q))
                out.append(marg[0] - marg[1])
            return np.asarray(out)
        if self.kind == "inverse":
            return np.asarray([probs.reshape(-1)[0]])
        return np.asarray([2.0 * probs.reshape(-1)[0] - 1.0])


@dataclass
class _Job:
    structure: tuple
    values: np.ndarray  # half-turns, in the structure's symbol order

    @property
    def key(self) -> tuple:
        return (self.structure, self.values.tobytes())


def circuit_seed(seed: int, job_key: tuple) -> int:
    """Seed of one circuit from the run's seed and the circuit's structure and values."""
    digest = hashlib.sha256(f"{seed}|{job_key[0]}|".encode() + job_key[1]).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


# -- backends -------------------------------------------------------------------------------------
def resolve_backend(backend):
    """(pytket backend, optimisation level, extra passes, per-circuit seeds, name).

    ``backend`` is a name for :func:`qnlp.backends.tket.make_backend` (``"aer"``,
    ``"aer-state"``, ``"aer-noisy:fake_brisbane"``, hardware names), a
    :class:`~qnlp.backends.tket.TketBackend`, or a pytket ``Backend``.
    """
    from pytket.backends import Backend as PytketBackend

    if isinstance(backend, str):
        from qnlp.backends.tket import make_backend

        backend = make_backend(backend)
    if isinstance(backend, PytketBackend):
        try:
            from pytket.extensions.qiskit import AerBackend
            per = isinstance(backend, AerBackend)
        except ImportError:
            per = False
        return backend, 0 if per else 2, [], per, type(backend).__name__
    inner = getattr(backend, "backend", None)
    if not isinstance(inner, PytketBackend):
        raise ConfigError(f"backend {getattr(backend, 'name', backend)!r} is not a pytket backend; "
                          "shot-based attention inference needs e.g. 'aer', 'aer-state' or "
                          "'aer-noisy:<device>'")
    return (inner, int(getattr(backend, "optimisation_level", 2)), list(getattr(backend, "extra_passes", [])),
            bool(getattr(backend, "per_circuit_seed", False)), str(getattr(backend, "name", "tket")))


class CircuitRunner:
    """Runs :class:`_Job` lists on one pytket backend with compile-once structures.

    Parameters
    ----------
    backend : str, TketBackend or pytket Backend
    shots : int or None
        ``None`` only for state backends (exact estimates).
    seed : int or None
    entangler : {"cnot", "cz"}
        Ring of the token-state layers.
    noisy_method : str
        qiskit-aer simulation method for noisy Aer backends. ``"density_matrix"`` (default)
        simulates a small register once and samples all shots from it; the statevector method
        simulates one noisy trajectory per shot (about 25x slower for 4 qubits at 8192 shots).
        Both sample the same noisy distribution.
    """

    def __init__(self, backend, *, shots=None, seed=None, entangler="cnot",
                 noisy_method: str = "density_matrix"):
        self.noisy_method = noisy_method
        self.backend, self.level, self.passes, self.per_circuit_seed, self.name = resolve_backend(backend)
        self.uses_state = bool(getattr(self.backend, "supports_state", False))
        can_shoot = bool(getattr(self.backend, "supports_shots", False)) or self.uses_state
        if shots is not None and (isinstance(shots, bool) or not isinstance(shots, (int, np.integer))
                                  or shots < 1):
            raise ConfigError(f"shots must be a positive int or None, got {shots!r}")
        if shots is None and not self.uses_state:
            raise ConfigError(f"backend {self.name!r} samples shots; give a shot count (shots=N)")
        if shots is not None and not can_shoot:
            raise ConfigError(f"backend {self.name!r} does not take shots")
        self.shots, self.seed, self.entangler = (None if shots is None else int(shots)), seed, entangler
        self._compiled: dict[tuple, tuple] = {}
        self._cache: dict[tuple, np.ndarray] = {}
        self._executor = None
        self.n_submitted = 0
        self._born = _born_simulator(self.backend, self.uses_state)
        self._templates: dict[tuple, object] = {}

    def _structure(self, key: tuple):
        if key not in self._compiled:
            s = _Structure(*key)
            s.build(self.entangler, measure=not self.uses_state)
            circ = s.template.copy()
            n_dev = _device_qubits(self.backend)
            if n_dev is not None and circ.n_qubits > n_dev:
                raise CircuitTooLargeError(f"{s.kind} circuits need {circ.n_qubits} qubits; backend "
                                           f"{self.name!r} has {n_dev}")
            try:
                try:
                    self.backend.default_compilation_pass(self.level, allow_symbolic=True).apply(circ)
                except TypeError:
                    self.backend.default_compilation_pass(self.level).apply(circ)
                for p in self.passes:
                    p.apply(circ)
            except Exception as exc:  # noqa: BLE001
                raise BackendError(f"compiling {s.kind} circuits for {self.name!r} failed: {exc}") from exc
            self._compiled[key] = (s, circ)
            self._executor = None
        return self._compiled[key]

    def _execution_backend(self):
        """The backend that runs the compiled circuits.

        qiskit-aer spends ~9 s per job loading a whole-device noise model (fake_brisbane), so a
        noisy Aer backend is replaced, for execution only, by one whose noise model keeps the
        (local) errors on the physical qubits the compiled structures use: the same noise for these
        circuits (same seed, same counts). Compilation still uses the full device.
        """
        noise = getattr(self.backend, "_noise_model", None)
        if noise is None or not hasattr(noise, "_local_quantum_errors"):
            return self.backend
        if self._executor is None:
            from qiskit_aer.noise import NoiseModel

            used = {q.index[0] for _, c in self._compiled.values() for q in c.qubits}
            sub = NoiseModel(basis_gates=noise.basis_gates)
            for gate, errors in noise._local_quantum_errors.items():  # noqa: SLF001
                for qubits, error in errors.items():
                    if set(qubits) <= used:
                        sub.add_quantum_error(error, gate, list(qubits), warnings=False)
            for qubits, error in noise._local_readout_errors.items():  # noqa: SLF001
                if set(qubits) <= used:
                    sub.add_readout_error(error, list(qubits), warnings=False)
            for gate, error in noise._default_quantum_errors.items():  # noqa: SLF001
                sub.add_all_qubit_quantum_error(error, gate, warnings=False)
            if noise._default_readout_error is not None:  # noqa: SLF001
                sub.add_all_qubit_readout_error(noise._default_readout_error, warnings=False)  # noqa: SLF001
            self._executor = type(self.backend)(noise_model=sub, simulation_method=self.noisy_method)
            old = getattr(self.backend, "_qiskit_backend", None)
            if old is not None:  # keep the thread setting (make_aer_noisy uses one thread)
                threads = old.options.get("max_parallel_threads", 0) if hasattr(old.options, "get") \
                    else getattr(old.options, "max_parallel_threads", 0)
                self._executor._qiskit_backend.set_options(max_parallel_threads=threads)  # noqa: SLF001
        return self._executor

    def run(self, jobs: list[_Job]) -> list[np.ndarray]:
        """Estimates per job (see :meth:`_Structure.estimate`), in order.

        Jobs already run by this runner are answered from its cache (with a seed, a rerun would
        give the same counts anyway).
        """
        todo = list({j.key: j for j in jobs if j.key not in self._cache}.values())
        for job, est in zip(todo, self._run(todo)):
            self._cache[job.key] = est
        return [self._cache[j.key] for j in jobs]

    def _run_born(self, jobs: list[_Job]) -> list[np.ndarray] | None:
        """Noiseless Aer: Born probabilities of all jobs from one Aer call, shots drawn per circuit
        with its own seed (see :mod:`qnlp.backends.aer_direct`); ``None`` when a structure has
        no faithful template (the caller then uses pytket's path)."""
        from pytket.unit_id import Bit

        from qnlp.backends.aer_direct import born_rows, build_template

        for job in jobs:
            s, compiled = self._structure(job.structure)
            if job.structure not in self._templates:
                self._templates[job.structure] = build_template(
                    compiled, s.symbols, [Bit("c", j) for j in range(s.read)])
            if self._templates[job.structure] is None:
                return None
        try:
            rows = born_rows(self._born, [(self._templates[j.structure], j.values) for j in jobs])
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"backend {self.name!r} failed to run the circuits: {exc}") from exc
        self.n_submitted += len(jobs)
        out = []
        for job, p in zip(jobs, rows):
            seed = None if self.seed is None else circuit_seed(self.seed, job.key)
            counts = np.random.default_rng(seed).multinomial(self.shots, p / p.sum())
            out.append(self._compiled[job.structure][0].estimate(counts / self.shots))
        return out

    def _run(self, jobs: list[_Job]) -> list[np.ndarray]:
        if self._born is not None and jobs:
            done = self._run_born(jobs)
            if done is not None:
                return done
        circuits, structures, seeds = [], [], []
        for job in jobs:
            s, compiled = self._structure(job.structure)
            circ = compiled.copy()
            circ.symbol_substitution(dict(zip(s.symbols, (float(v) for v in job.values))))
            circuits.append(circ)
            structures.append(s)
            seeds.append(None if self.seed is None else circuit_seed(self.seed, job.key))
        if not circuits:
            return []
        try:
            backend = self._execution_backend()
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"could not prepare backend {self.name!r}: {exc}") from exc
        check = backend is self.backend  # the lean noisy executor has a reduced architecture
        try:
            with _fast_parameter_conversion():
                if self.uses_state:
                    handles = backend.process_circuits(circuits)
                elif self.per_circuit_seed and self.seed is not None:
                    handles = [h for c, sd in zip(circuits, seeds)
                               for h in backend.process_circuits([c], n_shots=self.shots, seed=sd,
                                                                 valid_check=check)]
                else:
                    kw = {} if self.seed is None else {"seed": int(self.seed)}
                    handles = backend.process_circuits(circuits, n_shots=self.shots, valid_check=check, **kw)
                results = backend.get_results(handles)
        except (BackendError, CircuitTooLargeError):
            raise
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"backend {self.name!r} failed to run the circuits: {exc}") from exc
        self.n_submitted += len(circuits)
        out = []
        for s, res, sd in zip(structures, results, seeds):
            out.append(s.estimate(self._probs(s, res, sd)))
        return out

    def _probs(self, s: _Structure, result, seed) -> np.ndarray:
        """Outcome frequencies of the read bits (``c[0]`` most significant)."""
        if self.uses_state:
            p = np.abs(np.asarray(result.get_state())) ** 2
            n = s.template.n_qubits
            p = p.reshape((2,) * n).sum(axis=tuple(range(s.read, n))).reshape(-1) if s.read < n else p
            if self.shots is None:
                return p / p.sum()
            gen = np.random.default_rng(seed)
            return gen.multinomial(self.shots, p / p.sum()) / self.shots
        from pytket.unit_id import Bit

        hist = np.zeros(2 ** s.read)
        weights = 1 << np.arange(s.read - 1, -1, -1)
        for outcome, n in result.get_counts(cbits=[Bit("c", j) for j in range(s.read)]).items():
            hist[int(np.dot(outcome, weights))] += n
        return hist / hist.sum()


class _fast_parameter_conversion:
    """Scoped fast path for float gate parameters in pytket-qiskit's ``tk_to_qiskit``.

    pytket-qiskit converts each parameter as ``float((p * sympy.pi).evalf())`` (~0.4 ms per gate:
    more than simulating a 4-qubit circuit). Inside this context a plain float becomes
    ``p * math.pi`` (same value to one ulp); the patch is undone on exit.
    """

    def __enter__(self):
        try:
            from pytket.extensions.qiskit import qiskit_convert as qc
        except ImportError:
            self.module = None
            return self
        self.module, self.original = qc, getattr(qc, "_param_to_qiskit", None)
        if self.original is not None:
            original = self.original

            def fast(p, symb_map):
                return p * math.pi if type(p) is float else original(p, symb_map)

            qc._param_to_qiskit = fast
        return self

    def __exit__(self, *exc):
        if self.module is not None and self.original is not None:
            self.module._param_to_qiskit = self.original


def _born_simulator(backend, uses_state: bool):
    """A noiseless statevector AerSimulator when ``backend`` is pytket's noiseless ``AerBackend``
    (its shots are drawn from the Born distribution, so we may draw them ourselves), else ``None``."""
    try:
        from pytket.extensions.qiskit import AerBackend
        from qiskit_aer import AerSimulator
    except ImportError:
        return None
    if uses_state or not isinstance(backend, AerBackend) or getattr(backend, "_noise_model", None) is not None:
        return None
    return AerSimulator(method="statevector", max_parallel_threads=1)


def _device_qubits(backend) -> int | None:
    try:
        info = backend.backend_info
        return int(info.n_nodes) or None if info is not None else None
    except Exception:  # noqa: BLE001
        return None


# -- model inference -------------------------------------------------------------------------------
@dataclass
class ShotReport:
    """What one shot-based forward ran."""

    n_sentences: int
    n_circuits: int  # circuits needed before deduplication
    n_unique: int  # circuits run
    n_structures: int
    seconds: float


def _half_turns(x: torch.Tensor) -> np.ndarray:
    return x.detach().to(torch.float64).numpy() / math.pi


def shot_estimates(model, ids: torch.Tensor, mask: torch.Tensor, words=None, *, runner: CircuitRunner,
                   fidelity_method: str = "inverse", discocat_probs: torch.Tensor | None = None,
                   heads=None, cell_angles: torch.Tensor | None = None,
                   prefix_angles: torch.Tensor | None = None) -> tuple[list[dict], ShotReport]:
    """Estimate every quantum quantity the heads of ``model`` need, for one padded batch.

    Returns per head a dict of tensors: gaussian ``q``, ``k`` ``(B, T)`` and ``values``
    ``(B, T, 3d)``; fidelity ``scores`` ``(B, T, T)`` and ``values``. Padding entries are 0.
    With a DisCoCat token (``discocat_probs`` ``(B, 2)``) it is position 0 and ``T`` counts it:
    its state is the token circuit with :func:`~qnlp.models.attention.model.discocat_angles`
    and no positional phase, as in the model. ``heads`` (default ``model.heads``) are the head
    modules to estimate; ``cell_angles`` ``(B, T, L, d, 2)`` (radians), when given, replace the
    word angles of every position (stacked blocks, contextual embeddings); ``prefix_angles``
    ``(B, L, d, 2)`` prepend a token of their own (the MiniLM sentence token), like the DisCoCat one.
    """
    if fidelity_method not in FIDELITY_METHODS:
        raise ConfigError(f"unknown fidelity_method {fidelity_method!r}; valid: {', '.join(FIDELITY_METHODS)}")
    if getattr(model, "source", "word") not in ("word", "embedding") and cell_angles is None:
        raise ConfigError(f"token source {model.source!r} needs per-position angles (cell_angles=...)")
    t0 = time.perf_counter()
    B, T = ids.shape
    d, L = model.n_qubits, model.n_layers
    uniq, inverse = torch.unique(ids, return_inverse=True)
    with torch.no_grad():
        word = _half_turns(model.token_angles(uniq, words)) if cell_angles is None else None  # (U, L, d, 2)
        per_cell = None if cell_angles is None else _half_turns(cell_angles)  # (B, T, L, d, 2)
        phase = (_half_turns(torch.arange(T, dtype=torch.float64)[:, None] * model.frequencies.double())
                 if model.positional else None)  # (T, d)
    head_modules = list(model.heads if heads is None else heads)
    pos = bool(model.positional)
    shift = 0
    if getattr(model, "discocat_token", False):
        from qnlp.models.attention.model import discocat_angles

        if discocat_probs is None:
            raise ConfigError("discocat_token=True needs the DisCoCat class probabilities (discocat_probs=...)")
        prefix_angles = discocat_angles(discocat_probs, L, d)
    if prefix_angles is not None:
        token = _half_turns(prefix_angles)  # (B, L, d, 2)
        mask = torch.cat([torch.ones_like(mask[:, :1]), mask], 1)
        shift, T = 1, T + 1
    cells = [(b, t) for b in range(B) for t in range(T) if bool(mask[b, t])]

    def state_values(b, t, head):
        if t < shift:  # the DisCoCat token: its own angles, no positional phase
            parts = [token[b].ravel()] + ([np.zeros(d)] if pos else [])
        else:
            angles = word[int(inverse[b, t - shift])] if per_cell is None else per_cell[b, t - shift]
            parts = [angles.ravel()] + ([phase[t - shift]] if pos else [])
        parts.append(_half_turns(head).ravel())
        return np.concatenate(parts)

    jobs, slots = [], []  # slots[i] = (head index, quantity, b, t, s)
    for h, head in enumerate(head_modules):
        HL = head.value.shape[0]
        basis = {bs: ("basis", bs, pos, L, d, HL) for bs in BASES}
        for b, t in cells:
            for bs in BASES:
                jobs.append(_Job(basis[bs], state_values(b, t, head.value)))
                slots.append((h, "v" + bs, b, t, None))
            if head.kind == "gaussian":
                for name in ("query", "key"):
                    jobs.append(_Job(basis["Z"], state_values(b, t, getattr(head, name))))
                    slots.append((h, name, b, t, None))
            else:
                pair = (fidelity_method, "-", pos, L, d, HL)
                for s in range(T):
                    if bool(mask[b, s]):
                        v = np.concatenate([state_values(b, t, head.query), state_values(b, s, head.key)])
                        jobs.append(_Job(pair, v))
                        slots.append((h, "score", b, t, s))
    estimates = runner.run(jobs)  # runs each distinct circuit once
    heads = [{"values": torch.zeros(B, T, 3 * d, dtype=torch.float64)} for _ in head_modules]
    for h, head in enumerate(head_modules):
        if head.kind == "gaussian":
            heads[h]["q"] = torch.zeros(B, T, dtype=torch.float64)
            heads[h]["k"] = torch.zeros(B, T, dtype=torch.float64)
        else:
            heads[h]["scores"] = torch.zeros(B, T, T, dtype=torch.float64)
    for e, (h, what, b, t, s) in zip(estimates, slots):
        if what.startswith("v"):
            j = "XYZ".index(what[1])  # layout of pauli_expectations: X_0..X_{d-1}, Y_0.., Z_0..
            heads[h]["values"][b, t, j * d:(j + 1) * d] = torch.as_tensor(e)
        elif what in ("query", "key"):
            heads[h][what[0]][b, t] = float(e[0])
        else:
            heads[h]["scores"][b, t, s] = float(e[0])
    report = ShotReport(B, len(jobs), len({j.key for j in jobs}), len({j.structure for j in jobs}),
                        time.perf_counter() - t0)
    return heads, report


def head_outputs(head_modules, heads: list[dict], mask: torch.Tensor,
                 distances: torch.Tensor | None = None) -> torch.Tensor:
    """Attention outputs ``(B, T, 3d * n_heads)`` from estimated quantities (float64), reusing
    the head functions (:func:`gaussian_weights`, :func:`masked_softmax`)."""
    from qnlp.models.attention.heads import gaussian_weights, masked_softmax

    outs = []
    for head, est in zip(head_modules, heads):
        bias = head.bias(None if distances is None else distances.double())  # syntax-aware heads
        if head.kind == "gaussian":
            weights = gaussian_weights(est["q"], est["k"], mask, bias)
        else:
            scores = est["scores"] * head.log_scale.double().exp()
            weights = masked_softmax(scores if bias is None else scores - bias, mask)
        outs.append(weights @ est["values"])
    return torch.cat(outs, -1)


def logits_from_features(model, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Masked mean over tokens and the model's linear read-out, as in ``forward`` (float64)."""
    m = mask.unsqueeze(-1).to(feats.dtype)
    pooled = (feats * m).sum(1) / m.sum(1).clamp(min=1)
    return torch.nn.functional.linear(pooled, model.readout.weight.double(), model.readout.bias.double())


def logits_from_estimates(model, heads: list[dict], mask: torch.Tensor,
                          distances: torch.Tensor | None = None) -> torch.Tensor:
    """The classical rest of :meth:`QuantumAttentionModel.forward` (one block) with estimated
    quantities. Computed in float64 (the estimates are float64), so padding a batch differently
    changes results by ~1e-16 only."""
    return logits_from_features(model, head_outputs(model.heads, heads, mask, distances), mask)


def shot_predict_proba(model, ids, mask, words=None, *, runner: CircuitRunner,
                       fidelity_method: str = "inverse", distances: torch.Tensor | None = None,
                       discocat_probs: torch.Tensor | None = None,
                       token_embeddings: torch.Tensor | None = None,
                       sentence_embeddings: torch.Tensor | None = None) -> tuple[np.ndarray, ShotReport]:
    """Class probabilities of one padded batch from circuits run on ``backend``.

    Parameters
    ----------
    model : QuantumAttentionModel
    ids, mask : torch.Tensor
        ``(B, T)`` as for ``model.forward``; ``words`` names the rows (embedding sources).
    runner : CircuitRunner
        Backend, shots and seed (reuse one runner across batches: compiled structures and
        already-run circuits are cached).
    fidelity_method : {"inverse", "swap"}
    distances : torch.Tensor, optional
        ``(B, T, T)`` tree distances, for syntax-aware heads (a classical score penalty).
    discocat_probs : torch.Tensor, optional
        ``(B, 2)`` DisCoCat class probabilities, for models with ``discocat_token``.
    token_embeddings, sentence_embeddings : torch.Tensor, optional
        ``source="minilm"``: as for ``model.forward``; token angles are the model's projection of
        each contextual embedding, the sentence token (``sentence_token``) is prepended, and the
        skip read-out (``residual``) is added to the logits, all as in ``forward``.

    Returns
    -------
    probs : numpy.ndarray
        ``(B, n_classes)``.
    report : ShotReport
    """
    if getattr(model, "syntax", False) and distances is None:
        raise ConfigError("syntax=True needs the tokens' tree distances (distances=...)")
    cell_angles = prefix = None
    if getattr(model, "source", "word") == "minilm":
        cell_angles, prefix = _contextual_angles(model, token_embeddings, sentence_embeddings, ids)
    heads, report = shot_estimates(model, ids, mask, words, runner=runner, fidelity_method=fidelity_method,
                                   discocat_probs=discocat_probs, cell_angles=cell_angles, prefix_angles=prefix)
    if getattr(model, "discocat_token", False) or prefix is not None:  # position 0, as in the model
        mask = torch.cat([torch.ones_like(mask[:, :1]), mask], 1)
        if distances is not None:
            distances = torch.nn.functional.pad(distances, (1, 0, 1, 0))
    with torch.no_grad():
        feats = head_outputs(model.heads, heads, mask, distances)
        if getattr(model, "n_blocks", 1) > 1:  # measure, then re-prepare states (as forward does)
            uniq, inverse = torch.unique(ids, return_inverse=True)
            base = model.token_angles(uniq, words)[inverse].double()  # (B, T, L, d, 2)
            for block, mixer in zip(model.blocks, model.mixers):
                angles = base + torch.nn.functional.linear(
                    feats, mixer.weight.double(), mixer.bias.double()).reshape(base.shape)
                est, rep = shot_estimates(model, ids, mask, words, runner=runner,
                                          fidelity_method=fidelity_method, heads=block, cell_angles=angles)
                feats = feats + head_outputs(block, est, mask, distances)
                report = ShotReport(report.n_sentences, report.n_circuits + rep.n_circuits,
                                    report.n_unique + rep.n_unique, report.n_structures,
                                    report.seconds + rep.seconds)
        logits = logits_from_features(model, feats, mask)
        if getattr(model, "residual", False):
            logits = logits + torch.nn.functional.linear(
                sentence_embeddings.double(), model.skip.weight.double(), model.skip.bias.double())
        probs = torch.softmax(logits, -1)
    return probs.double().numpy(), report


def _contextual_angles(model, token_embeddings, sentence_embeddings, ids):
    """``source="minilm"``: per-position angles ``(B, T, L, d, 2)`` and the sentence token's
    ``(B, L, d, 2)`` (or ``None``), from the model's projections as in ``contextual_states``."""
    if token_embeddings is None or sentence_embeddings is None:
        raise ConfigError("source='minilm' needs token_embeddings and sentence_embeddings")
    if model.positional:
        raise ConfigError("shot-based inference of source='minilm' with positional phases is not supported")
    with torch.no_grad():
        cells = model.embedding_angles(token_embeddings, ids)
        prefix = model.embedding_angles(sentence_embeddings, sentence=True) if model.sentence_token else None
    return cells, prefix
