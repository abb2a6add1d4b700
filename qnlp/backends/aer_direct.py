"""Born probabilities of compiled tket circuits from qiskit-aer, as parameterised qiskit circuits.

pytket-qiskit converts every concrete circuit to qiskit anew (``tk_to_qiskit``: ~10 ms for a
sentence circuit) and, for shots, qiskit-aer books every shot separately (~3 µs a shot: 25 ms at
8192 shots). Both costs are per evaluation and dominate a noiseless shot run. This module pays the
conversion once per circuit *structure*:

* the compiled, symbolic tket circuit is converted once, each symbolic gate angle becoming a qiskit
  :class:`~qiskit.circuit.Parameter` (found through a distinct numeric sentinel per slot, so the
  pytket-qiskit conversion itself is reused and checked, not re-implemented);
* the angle of each slot is a numpy function of the sentence's parameters (``sympy.lambdify`` of
  the compiled expression), evaluated for all circuits of a structure at once;
* measurements are replaced by one ``save_probabilities`` over the measured qubits, and all
  circuits of a run go to Aer in one ``run`` call with ``parameter_binds``.

The result is the exact Born distribution of the measured bits, which is what Aer's own
measure-sampling draws its shots from for a noiseless circuit whose measurements are terminal;
:class:`~qnlp.backends.tket.TketBackend` then draws the shots with one seeded generator per circuit
(so results never depend on batching). Noisy simulation keeps Aer's own per-shot trajectories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

#: Sentinel angles (half-turns) start here; chosen to be unlike any angle a compiler emits.
_SENTINEL_BASE = 0.123456789
_SENTINEL_STEP = 0.000731


@dataclass
class BornTemplate:
    """A compiled structure as a parameterised qiskit circuit ending in ``save_probabilities``."""

    circuit: Any  # qiskit QuantumCircuit
    parameters: list  # qiskit Parameters, one per symbolic slot
    slots: list  # numpy functions of the structure's placeholders, in half-turns
    n_bits: int  # number of measured bits read back (post-selected first, then open)


def _symbolic(param) -> bool:
    return bool(getattr(param, "free_symbols", None))


def build_template(compiled, placeholders: Sequence, bits: Sequence) -> BornTemplate | None:
    """Convert a compiled symbolic tket circuit once; ``None`` when it cannot be done faithfully.

    Parameters
    ----------
    compiled : pytket.Circuit
        The compiled circuit, with symbolic angles in ``placeholders`` and terminal measurements.
    placeholders : sequence of sympy.Symbol
        The structure's parameter symbols, in the order values will be given.
    bits : sequence of pytket.Bit
        The measured bits to read, in order (first = most significant in the output).
    """
    import sympy
    from pytket import Circuit as TkCircuit
    from pytket import OpType
    from pytket.extensions.qiskit import tk_to_qiskit
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    qubit_of = {}
    plain = TkCircuit()
    for q in compiled.qubits:
        plain.add_qubit(q)
    slots, sentinels = [], []
    for cmd in compiled.get_commands():
        op = cmd.op
        if op.type == OpType.Measure:
            qubit_of[cmd.bits[0]] = cmd.qubits[0]
            continue
        if op.type in (OpType.Barrier,) or cmd.bits:
            return None  # classical control or mid-circuit logic: not a plain unitary circuit
        params = list(op.params)
        if any(_symbolic(p) for p in params):
            new = []
            for p in params:
                if _symbolic(p):
                    value = _SENTINEL_BASE + _SENTINEL_STEP * len(slots)
                    slots.append(sympy.lambdify(list(placeholders), p, modules="numpy"))
                    sentinels.append(value)
                    new.append(value)
                else:
                    new.append(p)
            plain.add_gate(op.type, new, cmd.args)
        else:
            plain.add_gate(op, cmd.args)
    if any(b not in qubit_of for b in bits):
        return None
    qc = tk_to_qiskit(plain, replace_implicit_swaps=True, perm_warning=False)
    registers = {reg.name: reg for reg in qc.qregs}

    def to_qiskit(q):
        return registers[q.reg_name][q.index[0]]

    parameters = [Parameter(f"s{k:06d}") for k in range(len(slots))]
    wanted = np.asarray(sentinels) * np.pi
    found = np.zeros(len(slots), dtype=int)
    out = QuantumCircuit(*qc.qregs)
    for inst in qc.data:
        op = inst.operation
        if op.params and any(isinstance(v, float) for v in op.params):
            new, hit = [], False
            for v in op.params:
                k = np.flatnonzero(np.abs(wanted - v) < 1e-9) if isinstance(v, float) else ()
                if len(k) == 1:
                    new.append(parameters[k[0]])
                    found[k[0]] += 1
                    hit = True
                else:
                    new.append(v)
            if hit:
                op = _with_params(op, new)
        out.append(op, inst.qubits, inst.clbits)
    if not np.all(found == 1) or list(out.parameters) != parameters:
        return None  # the conversion transformed an angle: fall back to pytket's own path
    # save_probabilities orders outcomes little-endian over the listed qubits; list them reversed
    # so that the first requested bit is the most significant digit of the outcome index
    out.save_probabilities(qubits=[to_qiskit(qubit_of[b]) for b in reversed(list(bits))], label="p")
    return BornTemplate(circuit=out, parameters=parameters, slots=slots, n_bits=len(bits))


def _with_params(op, params):
    """A fresh gate like ``op`` with other parameters (a copy with ``params`` assigned would keep
    stale angles inside qiskit's Rust circuit data for standard gates)."""
    try:
        fresh = type(op)(*params)
    except TypeError:
        fresh = op.copy()
        fresh.params = params
    return fresh


def slot_values(template: BornTemplate, values: np.ndarray) -> np.ndarray:
    """Angles in radians of every slot, shape ``(n_slots, n_circuits)``, from parameter values.

    Parameters
    ----------
    values : numpy.ndarray
        Shape ``(n_circuits, n_placeholders)``.
    """
    n = values.shape[0]
    columns = list(values.T)
    out = np.empty((len(template.slots), n))
    for k, fn in enumerate(template.slots):
        out[k] = np.broadcast_to(np.asarray(fn(*columns), dtype=float), (n,))
    return out * np.pi


def born_probabilities(simulator, groups: Sequence[tuple[BornTemplate, np.ndarray]]) -> list[np.ndarray]:
    """Probabilities of the measured bits for every circuit of every group, in one Aer call.

    Parameters
    ----------
    simulator : qiskit_aer.AerSimulator
        A noiseless simulator.
    groups : sequence of (BornTemplate, numpy.ndarray)
        A template and the parameter values of its circuits, shape ``(n_circuits, n_placeholders)``.

    Returns
    -------
    list of numpy.ndarray
        Per group, an array ``(n_circuits, 2 ** n_bits)`` (index: requested bits, first most
        significant).
    """
    circuits, counts = [], []
    for template, values in groups:
        angles = slot_values(template, np.atleast_2d(values))
        n = angles.shape[1]
        if template.parameters:
            # qiskit binds in Rust; Aer's own ``parameter_binds`` gave wrong amplitudes for
            # these circuits (qiskit-aer 0.18), so every circuit is bound before submission
            circuits.extend(template.circuit.assign_parameters(list(angles[:, i])) for i in range(n))
        else:
            circuits.extend([template.circuit] * n)
        counts.append(n)
    result = simulator.run(circuits, shots=1).result()
    if not result.success:
        raise RuntimeError(f"qiskit-aer failed: {result.status}")
    rows = [result.data(i)["p"] for i in range(len(result.results))]
    out, start = [], 0
    for (template, _), n in zip(groups, counts):
        block = np.zeros((n, 2 ** template.n_bits))
        for i in range(n):
            block[i] = _dense(rows[start + i], template.n_bits)
        out.append(block)
        start += n
    return out


def born_rows(simulator, items: Sequence[tuple[BornTemplate, Sequence[float]]]) -> list[np.ndarray]:
    """Probabilities of the measured bits of each circuit, in the order of ``items``.

    ``items`` pairs a template with one circuit's parameter values; circuits sharing a template
    are grouped so that :func:`born_probabilities` binds each template once per run (one Aer call).
    """
    groups: dict[int, list[int]] = {}
    for i, (template, _) in enumerate(items):
        groups.setdefault(id(template), []).append(i)
    batches = [(items[m[0]][0], np.asarray([list(items[i][1]) for i in m], dtype=float))  # (n, k), k may be 0
               for m in groups.values()]
    rows: list = [None] * len(items)
    for members, block in zip(groups.values(), born_probabilities(simulator, batches)):
        for i, row in zip(members, block):
            rows[i] = row
    return rows


def _dense(p, n_bits: int) -> np.ndarray:
    """A probability vector of length ``2 ** n_bits`` from Aer's dense or sparse output."""
    if isinstance(p, dict):
        out = np.zeros(2 ** n_bits)
        for key, value in p.items():
            out[int(key, 16) if isinstance(key, str) else int(key)] = value
        return out
    return np.asarray(p, dtype=float).reshape(-1)


class fast_parameter_conversion:
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
            import math

            original = self.original

            def fast(p, symb_map):
                return p * math.pi if type(p) is float else original(p, symb_map)

            qc._param_to_qiskit = fast
        return self

    def __exit__(self, *exc):
        if self.module is not None and self.original is not None:
            self.module._param_to_qiskit = self.original


def lean_noise_executor(backend, compiled: Sequence, cache: dict):
    """The backend that runs circuits compiled for a noisy Aer ``backend`` (else ``backend``).

    qiskit-aer spends ~9 s per job loading a whole-device noise model (fake_brisbane), so a noisy
    Aer backend is replaced, for execution only, by one whose noise model keeps the (local) errors
    on the physical qubits the ``compiled`` circuits use: the same noise for these circuits (same
    seed, same counts). Compilation still uses the full device. ``cache`` keeps one executor per
    set of used qubits.
    """
    noise = getattr(backend, "_noise_model", None)
    if noise is None or not hasattr(noise, "_local_quantum_errors"):
        return backend
    used = frozenset(q.index[0] for c in compiled for q in c.qubits)
    if used in cache:
        return cache[used]
    from qiskit_aer.noise import NoiseModel

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
    old = getattr(backend, "_qiskit_backend", None)
    method = "automatic"
    threads = 0
    if old is not None:  # keep the simulation method and thread setting
        opts = old.options
        get = opts.get if hasattr(opts, "get") else (lambda k, d=None: getattr(opts, k, d))
        method = get("method", "automatic") or "automatic"
        threads = get("max_parallel_threads", 0)
    executor = type(backend)(noise_model=sub, simulation_method=method)
    executor._qiskit_backend.set_options(max_parallel_threads=threads)  # noqa: SLF001
    cache[used] = executor
    return executor
