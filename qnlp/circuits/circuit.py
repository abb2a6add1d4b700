"""A sentence circuit that remembers its grammatical structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(eq=False)
class Circuit:
    """A parameterised quantum circuit built from a string diagram by an ansatz.

    The grammar-level diagram is kept, so that the exact backend can simulate each word once
    and share it across sentences; :attr:`lambeq` gives the flat quantum circuit.

    Parameters
    ----------
    diagram : lambeq.backend.grammar.Diagram
        The (rewritten) sentence diagram.
    ansatz : qnlp.circuits.ansatz.Ansatz
        The ansatz that maps it to a circuit.
    sentence : str, optional
        The text it came from.
    """

    diagram: Any
    ansatz: Any
    sentence: str | None = None
    meta: dict = field(default_factory=dict)

    @cached_property
    def lambeq(self):
        """The flat lambeq quantum circuit."""
        return self.ansatz.lambeq_ansatz(self.diagram)

    @property
    def symbols(self) -> list[str]:
        """Names of the free parameters, sorted (from the ansatz's per-box cache: the flat
        circuit is not built)."""
        if "symbols" not in self.meta:
            names = set()
            for box in self.diagram.boxes:
                names.update(self.ansatz.box_symbols(box))
            self.meta["symbols"] = sorted(names)
        return list(self.meta["symbols"])

    @property
    def n_qubits(self) -> int:
        """Width of the flat circuit (qubits alive at once, at most), from the grammar diagram:
        each layer's left and right wires plus the wider end of its box (the flat circuit is
        not built: on SST-2 building them took most of a fit's time and memory)."""
        if "n_qubits" not in self.meta:
            q = self.ansatz.type_qubits
            width = q(self.diagram.dom)
            for layer in self.diagram.layers:
                box = layer.box
                width = max(width, q(layer.left) + max(q(box.dom), q(box.cod)) + q(layer.right))
            self.meta["n_qubits"] = width
        return self.meta["n_qubits"]

    @property
    def n_open(self) -> int:
        """Number of measured (open) output qubits."""
        return len(self.lambeq.cod)

    def to_tket(self, parameters: dict[str, float] | None = None):
        """Export to a :class:`pytket.Circuit` (symbols kept unless ``parameters`` given)."""
        circuit = self.lambeq
        if parameters is not None:
            syms = list(circuit.free_symbols)
            circuit = circuit.lambdify(*syms)(*[parameters[str(s)] for s in syms])
        return circuit.to_tk()

    def to_discopy(self):
        """Export the grammar diagram to discopy."""
        return self.diagram.to_discopy()

    def __repr__(self) -> str:
        text = f"{self.sentence!r}, " if self.sentence is not None else ""
        return f"Circuit({text}{self.ansatz!r})"


def _width(circuit) -> int:
    width = len(circuit.dom)
    for layer in circuit.layers:
        width = max(width, len(layer.left) + len(layer.box.dom) + len(layer.right),
                    len(layer.left) + len(layer.box.cod) + len(layer.right))
    return width
