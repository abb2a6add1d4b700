"""Compile lambeq quantum diagrams into tensor-network programs.

A :class:`NetworkProgram` is the structure of a pure quantum circuit with its parameters taken
out: constant tensors (kets, bras, fixed gates), parametrised one- and two-qubit rotations that
refer to symbols by position, and an einsum equation. Two circuits that differ only in their
symbols have equal :attr:`NetworkProgram.key`, so a whole batch of them is evaluated with one
batched contraction.

Conventions follow lambeq: a rotation ``Rx(t)`` is ``exp(-i pi t X)`` (phases in turns), a
controlled gate with ``distance d > 0`` has its control on the first wire it spans and its target
``d`` wires to the right (``d < 0``: control on the last wire). Tensors are stored with their
output legs first, then their input legs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qnlp.errors import BackendError

#: Pauli generators of the rotations, ``R_P(t) = cos(pi t) I - i sin(pi t) P``.
PAULI = {
    "Rx": np.array([[0, 1], [1, 0]], dtype=complex),
    "Ry": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Rz": np.array([[1, 0], [0, -1]], dtype=complex),
}
ROTATIONS = tuple(PAULI)


@dataclass(frozen=True)
class RotationNode:
    """A parametrised rotation: ``phase = coeff * theta[symbol] + offset`` (turns).

    ``controlled`` rotations act on legs ``(control, target)``; plain ones on one leg.
    """

    kind: str
    coeff: float
    offset: float
    controlled: bool
    symbol: int  # position in NetworkProgram.symbols


@dataclass
class NetworkProgram:
    """A circuit compiled to a tensor network with symbolic rotations.

    Attributes
    ----------
    symbols : list
        Distinct free symbols of the circuit, in first-use order.
    rotations : list of RotationNode
        Parametrised nodes, in order.
    rotation_legs : list of tuple of int
        Leg labels of each rotation node (outputs then inputs).
    constants : list of numpy.ndarray
        Constant tensors.
    constant_legs : list of tuple of int
        Leg labels of each constant tensor (outputs then inputs).
    inputs, outputs : list of int
        Labels of the open input and output legs, wire order.
    scalar : complex
        Product of the constant scalars in the circuit.
    """

    symbols: list = field(default_factory=list)
    rotations: list = field(default_factory=list)
    rotation_legs: list = field(default_factory=list)
    constants: list = field(default_factory=list)
    constant_legs: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    scalar: complex = 1.0

    @property
    def key(self) -> tuple:
        """Structure key: equal for circuits that differ only in their symbols."""
        rot = tuple((r.kind, r.coeff, r.offset, r.controlled) for r in self.rotations)
        sym_pattern = tuple(r.symbol for r in self.rotations)
        consts = tuple(c.tobytes() for c in self.constants)
        return (
            rot,
            sym_pattern,
            tuple(self.rotation_legs),
            consts,
            tuple(self.constant_legs),
            tuple(self.inputs),
            tuple(self.outputs),
        )


def _phase_parts(phase, symbols: list, symbol_index: dict) -> tuple[float, float, int | None]:
    """Split a lambeq phase into ``coeff, offset, symbol position``.

    The phase is a number, a lambeq ``Symbol`` (with a scale), or a linear sympy expression.
    Symbols are identified by name.
    """
    if hasattr(phase, "scale") and hasattr(phase, "name"):  # lambeq.backend.symbol.Symbol
        name, coeff, offset = phase.name, float(phase.scale), 0.0
    else:
        free = getattr(phase, "free_symbols", set())
        if not free:
            return 0.0, float(phase), None
        if len(free) > 1:
            raise BackendError(f"phase {phase} has several symbols; only a*x+b phases are supported")
        (sym,) = free
        coeff, offset = phase.diff(sym), phase.subs(sym, 0)
        if coeff.free_symbols or offset.free_symbols:
            raise BackendError(f"phase {phase} is not linear in {sym}")
        name, coeff, offset = str(sym), float(coeff), float(offset)
    if name not in symbol_index:
        symbol_index[name] = len(symbols)
        symbols.append(name)
    return coeff, offset, symbol_index[name]


def _is_symbolic(phase) -> bool:
    return (hasattr(phase, "scale") and hasattr(phase, "name")) or bool(
        getattr(phase, "free_symbols", None))


def _constant_tensor(box) -> np.ndarray:
    """Tensor of a symbol-free lambeq box, legs as (outputs..., inputs...)."""
    n_in, n_out = len(box.dom), len(box.cod)
    array = np.asarray(box.array, dtype=complex)
    if n_in + n_out == 0:
        return array.reshape(())
    array = array.reshape((2,) * (n_in + n_out))
    # lambeq stores box arrays inputs-first; we keep outputs first.
    return np.transpose(array, list(range(n_in, n_in + n_out)) + list(range(n_in)))


def _rotation_matrix(kind: str, phase: float) -> np.ndarray:
    angle = np.pi * phase
    return np.cos(angle) * np.eye(2) - 1j * np.sin(angle) * PAULI[kind]


def _controlled_tensor(target: np.ndarray) -> np.ndarray:
    """Legs (c_out, t_out, c_in, t_in) of |0><0| x I + |1><1| x target."""
    out = np.zeros((2, 2, 2, 2), dtype=complex)
    out[0, :, 0, :] = np.eye(2)
    out[1, :, 1, :] = target
    return out


def compile_diagram(diagram) -> NetworkProgram:
    """Compile a pure lambeq quantum diagram into a :class:`NetworkProgram`.

    Parameters
    ----------
    diagram : lambeq.backend.quantum.Diagram
        A circuit on qubits: kets, bras, gates, rotations, controlled gates, swaps, scalars.

    Raises
    ------
    BackendError
        For mixed circuits (discards, measurements, classical bits) or unsupported boxes.
    """
    from lambeq.backend import quantum as q

    prog = NetworkProgram()
    symbol_index: dict = {}
    counter = iter(range(10**9))
    wires = [next(counter) for _ in diagram.dom]
    prog.inputs = list(wires)
    for layer in diagram.layers:
        box, off = layer.box, len(layer.left)
        if any(t != q.qubit for t in box.dom @ box.cod):
            raise BackendError(f"box {box} acts on non-qubit wires; the exact backend is pure-state")
        if getattr(box, "is_mixed", False) or isinstance(box, (q.Discard, q.Measure, q.Encode)):
            raise BackendError(f"box {box} is mixed; the exact backend simulates pure circuits only")
        n_in, n_out = len(box.dom), len(box.cod)
        ins = wires[off : off + n_in]
        if isinstance(box, q.Swap):
            wires[off : off + 2] = [ins[1], ins[0]]
            continue
        outs = [next(counter) for _ in range(n_out)]
        wires[off : off + n_in] = outs
        rotation = box.controlled if isinstance(box, q.Controlled) else box
        phase = getattr(rotation, "phase", None)
        is_rotation = type(rotation).__name__ in ROTATIONS
        if is_rotation and _is_symbolic(phase):
            coeff, offset, sym = _phase_parts(phase, prog.symbols, symbol_index)
            if isinstance(box, q.Controlled):
                if abs(box.distance) != n_in - 1 or n_in < 2:
                    raise BackendError(f"unsupported controlled gate {box}")
                c, t = (0, n_in - 1) if box.distance > 0 else (n_in - 1, 0)
                legs = (outs[c], outs[t], ins[c], ins[t])
                # wires between control and target pass through unchanged
                for k in range(n_in):
                    if k not in (c, t):
                        wires[off + k] = ins[k]
            else:
                legs = (outs[0], ins[0])
            prog.rotations.append(
                RotationNode(type(rotation).__name__, coeff, offset, isinstance(box, q.Controlled), sym)
            )
            prog.rotation_legs.append(legs)
            continue
        if getattr(box, "free_symbols", None):
            raise BackendError(f"box {box} has symbols but is not a rotation; unsupported")
        tensor = _constant_tensor(box)
        if tensor.ndim == 0:
            prog.scalar *= complex(tensor)
            continue
        prog.constants.append(tensor)
        prog.constant_legs.append(tuple(outs) + tuple(ins))
    prog.outputs = list(wires)
    return close_passthrough(prog)


def close_passthrough(prog: NetworkProgram) -> NetworkProgram:
    """Give wires that run straight from input to output an identity tensor of their own."""
    passing = set(prog.inputs) & set(prog.outputs)
    if passing:
        fresh = max([*prog.inputs, *prog.outputs, *(l for ls in prog.constant_legs for l in ls),
                     *(l for ls in prog.rotation_legs for l in ls)], default=0) + 1
        for label in passing:
            k = prog.outputs.index(label)
            prog.outputs[k] = fresh
            prog.constants.append(np.eye(2, dtype=complex))
            prog.constant_legs.append((fresh, label))
            fresh += 1
    return prog
