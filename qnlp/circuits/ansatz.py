"""Ansätze: functors from string diagrams to parameterised circuits.

Each class wraps the lambeq ansatz of the same name, takes plain type names in ``ob_map``
(``{"n": 1, "s": 1}``) and maps a batch of diagrams to :class:`~qnlp.circuits.Circuit` objects.
The same word with the same type always gets the same parameter names (``man__n_0``).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from qnlp.circuits.circuit import Circuit
from qnlp.errors import ConfigError

#: Named atomic types understood in ``ob_map``.
ATOMIC_TYPES = {"n": "NOUN", "s": "SENTENCE", "p": "PREPOSITIONAL_PHRASE", "c": "CONJUNCTION",
                "nphr": "NOUN_PHRASE"}


class Ansatz:
    """Base class: map diagrams to circuits, word by word.

    Subclasses set :attr:`lambeq_class` (a lambeq ``CircuitAnsatz``) and :attr:`name`.

    Parameters
    ----------
    ob_map : mapping of str to int
        Qubits per atomic type, e.g. ``{"n": 1, "s": 1}``.
    n_layers : int
        Layers of the ansatz circuit per word.
    n_single_qubit_params : int, optional
        Parameters of a one-qubit word (lambeq's default when omitted).
    """

    name = "ansatz"
    lambeq_class: str = ""

    def __init__(self, ob_map: Mapping[str, int], *, n_layers: int = 1,
                 n_single_qubit_params: int | None = None):
        self.ob_map = {str(k): int(v) for k, v in dict(ob_map).items()}
        self.n_layers = int(n_layers)
        self.n_single_qubit_params = n_single_qubit_params
        for key, value in self.ob_map.items():
            if key not in ATOMIC_TYPES:
                raise ConfigError(f"unknown atomic type {key!r} in ob_map; valid: {', '.join(ATOMIC_TYPES)}")
            if value < 0 or value > 8:
                raise ConfigError(f"qubits for type {key!r} must be in 0..8, got {value}")
        if self.n_layers < 1:
            raise ConfigError(f"n_layers must be >= 1, got {n_layers}")
        self._functor = None

    @property
    def lambeq_ansatz(self):
        """The wrapped lambeq ansatz (``.functor`` maps boxes and types)."""
        if self._functor is None:
            import lambeq
            from lambeq import AtomicType

            ob = {getattr(AtomicType, ATOMIC_TYPES[k]): v for k, v in self.ob_map.items()}
            kwargs = {"n_layers": self.n_layers}
            if self.n_single_qubit_params is not None:
                kwargs["n_single_qubit_params"] = self.n_single_qubit_params
            self._functor = getattr(lambeq, self.lambeq_class)(ob, **kwargs)
        return self._functor

    @staticmethod
    def box_key(box) -> tuple:
        """What makes a grammar box's circuit under an ansatz: kind, name, domain, codomain,
        winding and dagger. ``key[:1] + key[2:]`` (without the name) is its circuit's structure."""
        return (type(box).__name__, box.name, str(box.dom), str(box.cod), getattr(box, "z", 0),
                bool(getattr(box, "is_dagger", False)))

    def type_qubits(self, ty) -> int:
        """Qubits of a grammar type (per atomic type name, cached)."""
        atoms = self.__dict__.setdefault("_atom_qubits", {})
        objects = ty.objects if ty.objects else ([ty] if ty.name is not None else [])
        total = 0
        for atom in objects:
            n = atoms.get(atom.name)
            if n is None:
                n = atoms[atom.name] = self.lambeq_ansatz.ob_size(type(atom)(atom.name))
            total += n
        return total

    def box_symbols(self, box) -> tuple:
        """Names of the parameters of one grammar box's circuit.

        Cached per box; a word box of a type seen before is named from that type's pattern
        (lambeq names the ``i``-th parameter of a box ``{label}_{i}``) without building its
        circuit. Boxes of other kinds (cups, swaps) go through lambeq's functor once each.
        """
        cache = self.__dict__.setdefault("_symbol_cache", ({}, {}))
        boxes, structures = cache
        key = self.box_key(box)
        found = boxes.get(key)
        if found is not None:
            return found
        structure = (key[0],) + key[2:]
        word = key[0] == "Word"
        label = self.lambeq_ansatz._summarise_box(box) if word else None
        if word and structure in structures:
            names = tuple(label + suffix for suffix in structures[structure])
        else:
            names = tuple(sorted(str(s) for s in self.lambeq_ansatz.functor(box).free_symbols))
            suffixes = [n[len(label):] if label is not None and n.startswith(label) else "" for n in names]
            if word and all(s[:1] == "_" and s[1:].isdigit() for s in suffixes):
                structures[structure] = tuple(suffixes)
        boxes[key] = names
        return names

    def __call__(self, diagrams: Sequence, sentences: Sequence[str] | None = None) -> list[Circuit]:
        """Map a batch of diagrams to circuits (a single diagram gives a one-item list)."""
        if not isinstance(diagrams, (list, tuple)):
            diagrams = [diagrams]
        sentences = list(sentences) if sentences is not None else [None] * len(diagrams)
        return [Circuit(d, self, s) for d, s in zip(diagrams, sentences)]

    def config(self) -> dict:
        """JSON-able description; ``make_ansatz(**config)`` rebuilds it."""
        cfg = {"name": self.name, "ob_map": self.ob_map, "n_layers": self.n_layers}
        if self.n_single_qubit_params is not None:
            cfg["n_single_qubit_params"] = self.n_single_qubit_params
        return cfg

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.ob_map}, n_layers={self.n_layers})"


class IQPAnsatz(Ansatz):
    """Instantaneous quantum polynomial ansatz (lambeq's ``IQPAnsatz``)."""

    name = "iqp.v1"
    lambeq_class = "IQPAnsatz"


class Sim14Ansatz(Ansatz):
    """Circuit 14 of Sim et al. 2019 (lambeq's ``Sim14Ansatz``)."""

    name = "sim14.v1"
    lambeq_class = "Sim14Ansatz"


class Sim15Ansatz(Ansatz):
    """Circuit 15 of Sim et al. 2019 (lambeq's ``Sim15Ansatz``)."""

    name = "sim15.v1"
    lambeq_class = "Sim15Ansatz"


class StronglyEntanglingAnsatz(Ansatz):
    """Strongly entangling layers (lambeq's ``StronglyEntanglingAnsatz``)."""

    name = "strongly-entangling.v1"
    lambeq_class = "StronglyEntanglingAnsatz"


def make_ansatz(name: str = "iqp", **kwargs) -> Ansatz:
    """Build an ansatz from its registry name and keyword arguments."""
    from qnlp.registry import registry

    kwargs.setdefault("ob_map", {"n": 1, "s": 1})
    return registry.make("ansatz", name, **kwargs)
