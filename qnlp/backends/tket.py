"""Run circuits on any pytket backend: shot simulators, noisy emulators, quantum hardware.

How it is fast
--------------
Sentence circuits share a handful of grammatical *structures*: circuits that differ only in the
names of their parameters. :class:`TketBackend` exports and compiles one representative of each
structure once, with symbolic parameters (compilation, placement and routing included), caches it,
and per evaluation only substitutes values (``symbol_substitution``) into a copy. All circuits of a
:meth:`~TketBackend.run` go to the backend in one ``process_circuits`` call (see *Seeds* for the
one exception), and outcomes are counted from the shot table with numpy.

On the noiseless ``aer`` backend the default ``sampler="born"`` goes further
(:mod:`qnlp.backends.aer_direct`): each compiled structure is converted to qiskit once, Aer computes
the Born distribution of the measured bits of every circuit in one call, and the shots are drawn
from it here, so neither pytket's per-circuit conversion nor Aer's per-shot bookkeeping is paid
per evaluation.

Post-selection
--------------
lambeq's tket export keys ``post_selection`` by *qubit* index while its measurements write to
*bits*; lambeq 0.5.0's ``TketModel`` then applies it by bit, and reads ``n_shots`` where it
requires ``shots``. Here the post-selected qubits are mapped to their bits through the measurement
commands of the uncompiled circuit; bits keep their identity through compilation, however qubits
are permuted, so the compiled circuit's results are read by bit. The fraction of shots kept after
post-selection is recorded per circuit (:attr:`TketBackend.last_kept_fraction_`) and a warning is
issued when too few shots survive to be trusted.

Seeds
-----
Results never depend on how circuits are batched: circuit ``i`` is seeded from ``config.seed`` and
a hash of its structure and parameter names, not from its position. With the Born sampler each
circuit's shots come from its own :class:`numpy.random.Generator` with that seed. pytket's Aer backends accept
one seed per job and qiskit-aer derives the seed of the ``j``-th circuit of a job from its position
(``seed + 2113 j``), so on a seeded simulator (``per_circuit_seed=True``) with ``config.seed`` set,
each circuit is submitted with its own seed (all submitted before any result is read; Aer's
per-job overhead is about 1 ms). Without a seed, or on hardware, a batch is one call. State
backends (``aer-state``) sample shots from the exact distribution with a per-circuit
:class:`numpy.random.Generator`, always in one call.
"""

from __future__ import annotations

import hashlib
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from qnlp.backends.base import Backend, RunConfig
from qnlp.backends.counts import _counts_histogram, _histogram, _sample_postselected, _shot_table
from qnlp.errors import BackendError, CircuitTooLargeError, ConfigError


# -- structures ------------------------------------------------------------------------------
@dataclass
class _Structure:
    """One compiled circuit structure, shared by all circuits that differ only in symbol names."""

    key: str
    template: Any  # pytket circuit, measured, symbols renamed to placeholders
    n_symbols: int
    n_open: int
    post_bits: list = field(default_factory=list)
    post_values: list = field(default_factory=list)
    open_bits: list = field(default_factory=list)
    post_qubits: list = field(default_factory=list)
    open_qubits: list = field(default_factory=list)
    compiled: Any = None
    placeholders: list = field(default_factory=list)
    born: Any = None  # aer_direct.BornTemplate, False when the structure cannot use it


def _flat_diagram(circuit):
    """The flat lambeq quantum diagram of a :class:`~qnlp.circuits.Circuit` or a lambeq diagram."""
    return circuit.lambeq if hasattr(circuit, "ansatz") and hasattr(circuit, "lambeq") else circuit


def _structure_of(diagram) -> tuple[str, list[str]]:
    """Structure key and symbol names (in order of first appearance) of a flat quantum diagram."""
    from lambeq.backend.quantum import Discard

    names: list[str] = []
    index: dict[str, int] = {}
    parts = []
    for layer in diagram.layers:
        box = layer.box
        if isinstance(box, Discard):
            raise BackendError("circuits with discarded qubits (mixed circuits) are not supported "
                               "by the tket backend")
        text = repr(box)
        syms = sorted((str(s) for s in getattr(box, "free_symbols", ())), key=lambda s: (-len(s), s))
        for name in sorted(syms):
            if name not in index:
                index[name] = len(names)
                names.append(name)
        for name in syms:
            text = text.replace(name, f"\x00{index[name]}\x00")
        parts.append(f"{type(box).__name__}|{len(layer.left)}|{layer.box.dom}|{layer.box.cod}|{text}")
    parts.append(f"dom={diagram.dom}|cod={diagram.cod}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest(), names


def _derive_seed(seed: int, key: str, names: Sequence[str]) -> int:
    digest = hashlib.sha256(f"{seed}|{key}|{'|'.join(names)}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def without_measurements(circuit):
    """A copy of a pytket circuit without its measurements (for state backends)."""
    from pytket import Circuit as TkCircuit

    clean = TkCircuit()
    for q in circuit.qubits:
        clean.add_qubit(q)
    for cmd in circuit.get_commands():
        if cmd.op.type.name != "Measure":
            clean.add_gate(cmd.op, cmd.args)
    return clean


def _placeholder(k: int):
    import sympy

    return sympy.Symbol(f"qnlp_p{k}")


class TketBackend(Backend):
    """Evaluate circuits on a pytket backend, with shots, noise or on hardware.

    Parameters
    ----------
    backend : pytket.backends.Backend
        Any pytket backend: ``AerBackend()``, ``AerStateBackend()``, ``QuantinuumBackend(...)``.
    optimisation_level : int
        Passed to the backend's ``default_compilation_pass`` (0 to 3).
    extra_passes : sequence of pytket passes, optional
        Applied after the default pass (e.g. a rebase to a device's native gates).
    per_circuit_seed : bool
        The backend is a seeded simulator taking one seed per job: submit each circuit with its own
        seed when ``config.seed`` is set, so results do not depend on batching.
    min_kept_shots : int
        Warn when fewer shots than this survive post-selection.
    born_simulator : qiskit_aer.AerSimulator, optional
        A *noiseless* simulator: shots are then drawn, one seeded generator per circuit, from the
        exact Born distribution of the measured bits that it computes for all circuits in one call
        (see :mod:`qnlp.backends.aer_direct`). Only for noiseless backends whose shots would come
        from the same distribution; ``None`` lets the wrapped backend sample.
    name : str
        Name shown in messages and reports.

    Attributes
    ----------
    last_kept_fraction_ : numpy.ndarray
        Per circuit of the last shot-based :meth:`run`: kept shots / shots.
    last_kept_shots_ : numpy.ndarray
        Per circuit of the last shot-based :meth:`run`: number of kept shots.

    Examples
    --------
    >>> from qnlp.backends import make_backend
    >>> backend = make_backend("aer")  # doctest: +SKIP
    >>> probs = backend.run(circuits, params, RunConfig(shots=8192, seed=0))  # doctest: +SKIP
    """

    name = "tket"
    differentiable = False

    def __init__(self, backend, *, optimisation_level: int = 2, extra_passes: Sequence = (),
                 per_circuit_seed: bool = False, min_kept_shots: int = 100,
                 born_simulator=None, name: str | None = None):
        self.backend = backend
        self.born_simulator = born_simulator
        self.optimisation_level = int(optimisation_level)
        self.extra_passes = list(extra_passes)
        self.per_circuit_seed = bool(per_circuit_seed)
        self.min_kept_shots = int(min_kept_shots)
        if name is not None:
            self.name = name
        if self.optimisation_level not in (0, 1, 2, 3):
            raise ConfigError(f"optimisation_level must be 0, 1, 2 or 3, got {optimisation_level!r}")
        self._structures: dict[str, _Structure] = {}
        self._prepared: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
        self._executors: dict = {}  # lean noisy executors by the qubits they cover
        self.last_kept_fraction_ = np.zeros(0)
        self.last_kept_shots_ = np.zeros(0, dtype=np.int64)

    # -- capabilities ------------------------------------------------------------------------
    @property
    def uses_state(self) -> bool:
        """Whether the wrapped backend returns statevectors (exact, or shots sampled by us)."""
        return bool(getattr(self.backend, "supports_state", False))

    @property
    def supports_shots(self) -> bool:  # type: ignore[override]
        return bool(getattr(self.backend, "supports_shots", False)) or self.uses_state

    @property
    def supports_exact(self) -> bool:  # type: ignore[override]
        return self.uses_state

    @property
    def n_device_qubits(self) -> int | None:
        """Qubits of the device (``None`` when unknown)."""
        info = getattr(self.backend, "backend_info", None)
        try:
            n = info.n_nodes if info is not None else 0
        except Exception:  # noqa: BLE001 - some backends have no architecture
            n = 0
        return int(n) or None

    def validate(self, circuits: Sequence[Any], config: RunConfig) -> None:
        """Check shots against the backend's capabilities before any work."""
        if config.shots is None and not self.supports_exact:
            raise ConfigError(f"backend {self.name!r} samples shots; give a shot count "
                              f"(RunConfig(shots=N), --shots N)")
        if config.shots is not None and not self.supports_shots:
            raise ConfigError(f"backend {self.name!r} is exact; it does not take shots")

    # -- preparation -------------------------------------------------------------------------
    def _prepare(self, circuit) -> tuple[str, list[str]]:
        try:
            cached = self._prepared.get(circuit)
        except TypeError:  # not weak-referenceable or unhashable
            cached = None
        if cached is not None:
            return cached
        diagram = _flat_diagram(circuit)
        key, names = _structure_of(diagram)
        if key not in self._structures:
            self._structures[key] = self._build_structure(key, diagram, names)
        try:
            self._prepared[circuit] = (key, names)
        except TypeError:
            pass
        return key, names

    def _build_structure(self, key: str, diagram, names: list[str]) -> _Structure:
        from lambeq.backend.quantum import Id, Measure

        n_open = len(diagram.cod)
        measured = diagram >> Id().tensor(*[Measure()] * n_open) if n_open else diagram
        tk = measured.to_tk()
        post = dict(tk.post_selection)  # keyed by QUBIT index (lambeq's convention)
        bit_of, qubit_of = {}, {}
        for cmd in tk.get_commands():
            if cmd.op.type.name == "Measure":
                bit_of[cmd.qubits[0].index[0]] = cmd.bits[0]
                qubit_of[cmd.bits[0]] = cmd.qubits[0]
        missing = [q for q in post if q not in bit_of]
        if missing:
            raise BackendError(f"post-selected qubits {missing} are not measured in the tket export")
        post_qubits = sorted(post)
        post_bits = [bit_of[q] for q in post_qubits]
        open_bits = sorted((b for q, b in bit_of.items() if q not in post), key=lambda b: b.index[0])
        if len(open_bits) != n_open:
            raise BackendError(f"expected {n_open} open qubits, found {len(open_bits)} unselected bits")
        by_name = {str(s): s for s in tk.free_symbols()}
        unknown = set(by_name) - set(names)
        if unknown:
            raise BackendError(f"symbols {sorted(unknown)} of the tket export are not in the diagram")
        placeholders = [_placeholder(k) for k in range(len(names))]
        template = tk.copy()
        template.symbol_substitution({by_name[n]: placeholders[k] for k, n in enumerate(names)
                                      if n in by_name})
        return _Structure(
            key=key, template=template, n_symbols=len(names), n_open=n_open,
            post_bits=post_bits, post_values=[int(post[q]) for q in post_qubits],
            open_bits=open_bits, post_qubits=[qubit_of[b] for b in post_bits],
            open_qubits=[qubit_of[b] for b in open_bits], placeholders=placeholders,
        )

    def _default_pass(self):
        try:
            return self.backend.default_compilation_pass(self.optimisation_level, allow_symbolic=True)
        except TypeError:  # backends without the allow_symbolic option
            return self.backend.default_compilation_pass(self.optimisation_level)

    def _compiled(self, structure: _Structure, position: int, label: str):
        if structure.compiled is not None:
            return structure.compiled
        from pytket.passes import DelayMeasures

        n_dev = self.n_device_qubits
        n_log = structure.template.n_qubits
        if n_dev is not None and n_log > n_dev:
            raise CircuitTooLargeError(
                f"circuit {position}{label} needs {n_log} qubits; backend {self.name!r} has "
                f"{n_dev}. Use fewer qubits per type (ob_map) or a larger device."
            )
        circ = without_measurements(structure.template) if self.uses_state else structure.template.copy()
        try:
            self._default_pass().apply(circ)
            for p in self.extra_passes:
                p.apply(circ)
            if not self.uses_state:
                try:
                    DelayMeasures().apply(circ)
                except Exception:  # noqa: BLE001 - measurements that cannot move stay put
                    pass
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"compiling circuit {position}{label} for {self.name!r} failed: {exc}") from exc
        structure.compiled = circ
        return circ

    def _instances(self, circuits: Sequence, parameters: Mapping[str, float]):
        """(structure, parameter names, parameter values) per input circuit, compiled structures."""
        out = []
        for i, circuit in enumerate(circuits):
            key, names = self._prepare(circuit)
            structure = self._structures[key]
            sentence = getattr(circuit, "sentence", None)
            label = f" ({sentence!r})" if sentence else ""
            self._compiled(structure, i, label)
            try:
                values = [float(parameters[n]) for n in names]
            except KeyError as exc:
                raise BackendError(f"no value given for parameter {exc.args[0]!r} of circuit {i}{label}") from None
            out.append((structure, names, values))
        return out

    @staticmethod
    def _concrete(instance):
        """The compiled circuit of an instance with its parameter values substituted."""
        structure, _, values = instance
        concrete = structure.compiled.copy()
        if values:
            concrete.symbol_substitution(dict(zip(structure.placeholders, values)))
        return concrete

    # -- compile once, run with bound values --------------------------------------------------
    def template(self, circuit, symbols: Sequence, *, key: str | None = None) -> str:
        """Register a measured, symbolic pytket circuit; it is compiled once for this backend.

        Parameters
        ----------
        circuit : pytket.Circuit
            Gates with sympy symbols as angles (half-turns), measurements into bits ``c[0..k-1]``;
            bit ``c[0]`` is the most significant digit of the outcomes :meth:`run_bound` returns.
        symbols : sequence of sympy.Symbol
            The circuit's free symbols, in the order values will be given.
        key : str, optional
            Structure key (default: a hash of the circuit); registering a key twice keeps the
            first circuit.

        Returns
        -------
        str
            The key to pass to :meth:`run_bound`.
        """
        import sympy

        key = key or hashlib.sha256(repr(circuit.get_commands()).encode()).hexdigest()
        if key in self._structures:
            return key
        bits = sorted((b for b in circuit.bits if b.reg_name == "c"), key=lambda b: b.index[0])
        qubit_of = {cmd.bits[0]: cmd.qubits[0] for cmd in circuit.get_commands()
                    if cmd.op.type.name == "Measure"}
        missing = [str(b) for b in bits if b not in qubit_of]
        if missing:
            raise BackendError(f"bits {missing} of the template are never measured")
        placeholders = [_placeholder(k) for k in range(len(symbols))]
        template = circuit.copy()
        template.symbol_substitution({sympy.Symbol(str(x)): placeholders[k] for k, x in enumerate(symbols)})
        self._structures[key] = _Structure(
            key=key, template=template, n_symbols=len(symbols), n_open=len(bits), open_bits=bits,
            open_qubits=[qubit_of[b] for b in bits], placeholders=placeholders)
        return key

    def run_bound(self, items: Sequence[tuple], config: RunConfig = RunConfig()) -> list[np.ndarray]:
        """Outcome probabilities of registered templates with values bound, one per item.

        Parameters
        ----------
        items : sequence of (key, values, label)
            A key from :meth:`template`, the symbols' values (half-turns) and a string that
            identifies the circuit for seeding (circuit ``i`` is seeded from ``config.seed``, its
            key and its label, so results do not depend on batching).
        config : RunConfig

        Returns
        -------
        list of numpy.ndarray
            One array of shape ``(2,) * n_bits`` per item (exact probabilities on a state backend
            without shots, else shot frequencies).
        """
        self.validate(items, config)
        instances = []
        for i, (key, values, label) in enumerate(items):
            structure = self._structures[key]
            self._compiled(structure, i, "")
            values = [float(v) for v in values]
            if len(values) != structure.n_symbols:
                raise BackendError(f"item {i}: {len(values)} values for {structure.n_symbols} symbols")
            instances.append((structure, [str(label)], values))
        return self._run_instances(instances, config) if instances else []

    # -- running -----------------------------------------------------------------------------
    def run(self, circuits: Sequence, parameters: Mapping[str, float],
            config: RunConfig = RunConfig()) -> list[np.ndarray]:
        """Outcome probabilities of the open qubits, post-selected and renormalised over kept shots.

        Parameters
        ----------
        circuits : sequence
            :class:`qnlp.circuits.Circuit` objects or flat lambeq quantum diagrams.
        parameters : mapping
            Symbol name to value (turns).
        config : RunConfig
            ``shots`` (required unless the backend returns states) and ``seed``.

        Returns
        -------
        list of numpy.ndarray
            One array of shape ``(2,) * n_open`` per circuit.
        """
        self.validate(circuits, config)
        circuits = list(circuits)
        if not circuits:
            return []
        return self._run_instances(self._instances(circuits, parameters), config)

    def _run_instances(self, instances, config: RunConfig) -> list[np.ndarray]:
        if self.uses_state:
            return self._run_state(instances, config)
        return self._run_shots(instances, config)

    def _seeds(self, instances, config: RunConfig) -> list[int | None]:
        if config.seed is None:
            return [None] * len(instances)
        return [_derive_seed(config.seed, s.key, names) for s, names, _ in instances]

    def _submit(self, circuits: list, n_shots: int | None, seeds: list[int | None]) -> list:
        from qnlp.backends.aer_direct import fast_parameter_conversion, lean_noise_executor

        try:
            backend = lean_noise_executor(self.backend, self._compiled_circuits(), self._executors)
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"could not prepare backend {self.name!r}: {exc}") from exc
        check = {} if backend is self.backend else {"valid_check": False}  # reduced architecture
        try:
            with fast_parameter_conversion():
                if self.per_circuit_seed and seeds and seeds[0] is not None:
                    handles = []
                    for circ, seed in zip(circuits, seeds):
                        handles += backend.process_circuits([circ], n_shots=n_shots, seed=seed, **check)
                else:
                    kwargs = {} if not seeds or seeds[0] is None else {"seed": seeds[0]}
                    handles = backend.process_circuits(circuits, n_shots=n_shots, **kwargs, **check)
                return backend.get_results(handles)
        except (BackendError, CircuitTooLargeError):
            raise
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"backend {self.name!r} failed to run the circuits: {exc}") from exc

    def _compiled_circuits(self) -> list:
        return [s.compiled for s in self._structures.values() if s.compiled is not None]

    def _run_shots(self, instances, config: RunConfig) -> list[np.ndarray]:
        if self.born_simulator is not None and self._born_ready(instances):
            return self._run_born(instances, config)
        shots = config.shots
        results = self._submit([self._concrete(x) for x in instances], shots, self._seeds(instances, config))
        probs, kept = [], []
        for (structure, _, _), result in zip(instances, results):
            table = _shot_table(result, structure.post_bits + structure.open_bits)
            if table is None:
                hist, n_kept = _counts_histogram(result, structure)
                probs.append(hist)
                kept.append(n_kept)
                continue
            n_post = len(structure.post_bits)
            mask = np.all(table[:, :n_post] == np.asarray(structure.post_values, dtype=table.dtype),
                          axis=1) if n_post else np.ones(len(table), dtype=bool)
            probs.append(_histogram(table[mask, n_post:], structure.n_open))
            kept.append(int(mask.sum()))
        return self._finish(probs, kept, shots)

    def _born_ready(self, instances) -> bool:
        """Build the Born templates of the batch's structures; whether all of them have one."""
        from qnlp.backends.aer_direct import build_template

        for structure, _, _ in instances:
            if structure.born is None:
                template = build_template(structure.compiled, structure.placeholders,
                                          structure.post_bits + structure.open_bits)
                structure.born = template if template is not None else False
        return all(s.born is not False for s, _, _ in instances)

    def _run_born(self, instances, config: RunConfig) -> list[np.ndarray]:
        from qnlp.backends.aer_direct import born_rows

        try:
            joint = born_rows(self.born_simulator, [(s.born, values) for s, _, values in instances])
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"backend {self.name!r} failed to run the circuits: {exc}") from exc
        probs, kept = [], []
        for (structure, _, _), p, seed in zip(instances, joint, self._seeds(instances, config)):
            row, n_kept = _sample_postselected(p, structure, config.shots, seed)
            probs.append(row)
            kept.append(n_kept)
        return self._finish(probs, kept, config.shots)

    def _run_state(self, instances, config: RunConfig) -> list[np.ndarray]:
        results = self._submit([self._concrete(x) for x in instances], None, [None] * len(instances))
        seeds = self._seeds(instances, config)
        probs, kept = [], []
        for (structure, _, _), result, seed in zip(instances, results, seeds):
            qubits = structure.post_qubits + structure.open_qubits
            unread = [q for q in structure.compiled.qubits if q not in set(qubits)]  # traced out
            try:
                state = result.get_state(qbits=qubits + unread)
            except Exception as exc:  # noqa: BLE001
                raise BackendError(f"backend {self.name!r} returned no statevector: {exc}") from exc
            n_post = len(structure.post_qubits)
            joint = (np.abs(np.asarray(state)) ** 2).reshape((2,) * (len(qubits) + len(unread)))
            joint = joint.sum(axis=tuple(range(len(qubits), joint.ndim))) if unread else joint
            if config.shots is None:
                p = joint[tuple(structure.post_values)] if n_post else joint
                total = p.sum()
                probs.append(p / total if total > 0 else p)
                continue
            row, n_kept = _sample_postselected(joint, structure, config.shots, seed)
            probs.append(row)
            kept.append(n_kept)
        if config.shots is None:
            self.last_kept_fraction_ = np.full(len(probs), np.nan)
            self.last_kept_shots_ = np.zeros(len(probs), dtype=np.int64)
            return probs
        return self._finish(probs, kept, config.shots)

    def _finish(self, counts: list[np.ndarray], kept: list[int], shots: int) -> list[np.ndarray]:
        kept_arr = np.asarray(kept, dtype=np.int64)
        self.last_kept_shots_ = kept_arr
        self.last_kept_fraction_ = kept_arr / float(shots)
        low = np.flatnonzero(kept_arr < self.min_kept_shots)
        if len(low):
            warnings.warn(
                f"{len(low)} circuit(s) kept fewer than {self.min_kept_shots} of {shots} shots after "
                f"post-selection (fewest: {int(kept_arr.min())}, circuit {int(kept_arr.argmin())}); "
                "their probabilities are unreliable. Use more shots or fewer post-selected qubits.",
                RuntimeWarning, stacklevel=3,
            )
        out = []
        for c, k in zip(counts, kept_arr):
            out.append(c / k if k > 0 else np.full(c.shape, 1.0 / c.size))
        return out

    # -- reports -----------------------------------------------------------------------------
    def compile_report(self, circuits: Sequence) -> list[dict]:
        """Per circuit: compiled qubits, depth and gate counts on this backend.

        Returns
        -------
        list of dict
            Keys ``n_qubits_logical``, ``n_qubits``, ``depth``, ``depth_2q``, ``n_gates``,
            ``n_2q_gates``, ``n_post_selected``, ``n_open``, ``structure``.
        """
        report = []
        for i, circuit in enumerate(circuits):
            key, _ = self._prepare(circuit)
            s = self._structures[key]
            sentence = getattr(circuit, "sentence", None)
            c = self._compiled(s, i, f" ({sentence!r})" if sentence else "")
            report.append({
                "sentence": sentence,
                "n_qubits_logical": s.template.n_qubits,
                "n_qubits": c.n_qubits,
                "depth": c.depth(),
                "depth_2q": c.depth_2q(),
                "n_gates": c.n_gates,
                "n_2q_gates": c.n_2qb_gates(),
                "n_post_selected": len(s.post_bits),
                "n_open": s.n_open,
                "structure": key[:12],
            })
        return report

    def __repr__(self) -> str:
        return f"TketBackend({type(self.backend).__name__}, name={self.name!r})"
