"""Compiled grammar boxes, cached per ansatz and shared by every batch.

The exact backend maps each box of a sentence diagram (a word with its type, a cup, a swap) to
a small tensor-network program. Compiling a box through lambeq's functor costs milliseconds, and
real text has thousands of distinct words, so programs are cached twice:

* per box (word, type): a box met again, in any batch, costs a dictionary lookup;
* per *structure* (box kind, domain, codomain): all words of one type share one circuit
  structure under an ansatz; only their symbol names differ (``{label}_{i}``, lambeq's naming),
  so a new word of a known type reuses the structure's program with its own names.

The caches live on the lambeq ansatz object, so they are dropped with it. Keys and qubit counts
come from :class:`~qnlp.circuits.ansatz.Ansatz` (``box_key``, ``type_qubits``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qnlp.backends.contraction import _is_identity, _wire_permutation
from qnlp.backends.network import NetworkProgram, compile_diagram

_SUFFIX = re.compile(r"_\d+")


@dataclass(frozen=True)
class BoxEntry:
    """A compiled box and how a sentence network uses it.

    ``kind`` is ``"box"`` (parametrised: ``program`` with symbol ``names``), ``"scalar"``,
    ``"identity"`` (joins its two legs; factor ``scale``), ``"spider"`` (joins all its legs
    into one index: a computational-basis spider, e.g. the spiders reader's bag of words, is
    never built as a dense ``2**legs`` tensor), ``"permutation"`` (relabels wires:
    output ``k`` is input ``perm[k]``) or ``"constant"`` (``tensor``, legs outputs then inputs).
    """

    program: NetworkProgram
    kind: str
    names: tuple = ()
    tensor: np.ndarray | None = None
    scale: complex = 1.0
    perm: tuple = ()


def constant_tensor(prog: NetworkProgram) -> np.ndarray:
    """Contract a program without rotations to one tensor (legs: outputs, inputs)."""
    import opt_einsum

    labels: dict = {}
    def sym(l):
        return labels.setdefault(l, opt_einsum.get_symbol(len(labels)))
    terms = ["".join(sym(l) for l in legs) for legs in prog.constant_legs]
    out = "".join(sym(l) for l in prog.outputs + prog.inputs)
    if not terms:
        return np.asarray(prog.scalar, dtype=complex)
    return prog.scalar * opt_einsum.contract(",".join(terms) + "->" + out, *prog.constants)


def make_entry(prog: NetworkProgram, names: tuple | None = None) -> BoxEntry:
    """Classify a compiled program (see :class:`BoxEntry`)."""
    if prog.rotations:
        return BoxEntry(prog, "box", tuple(str(s) for s in prog.symbols) if names is None else names)
    const = constant_tensor(prog)
    n_in, n_out = len(prog.inputs), len(prog.outputs)
    if const.ndim == 0:
        return BoxEntry(prog, "scalar", scale=complex(const))
    if const.ndim == 2 and _is_identity(const):
        return BoxEntry(prog, "identity", scale=complex(const[0, 0]))
    if n_in == n_out and (perm := _wire_permutation(const, n_in)) is not None:
        return BoxEntry(prog, "permutation", perm=tuple(perm))
    return BoxEntry(prog, "constant", tensor=const)


class BoxCache:
    """Compiled boxes of one ansatz (a :class:`~qnlp.circuits.ansatz.Ansatz`; get it with
    :func:`box_cache`)."""

    def __init__(self, ansatz):
        self.ansatz = ansatz
        self.boxes: dict = {}
        self.structures: dict = {}

    def entry(self, box) -> BoxEntry:
        """The compiled entry of a grammar box."""
        key = self.ansatz.box_key(box)
        found = self.boxes.get(key)
        if found is not None:
            return found
        if key[0] == "Spider" and self.ansatz.type_qubits(box.type) == 1:
            n_in, n_out = len(box.dom), len(box.cod)
            prog = NetworkProgram(inputs=list(range(n_in)), outputs=list(range(n_in, n_in + n_out)))
            entry = self.boxes[key] = BoxEntry(prog, "spider")
            return entry
        structure = (key[0],) + key[2:]
        lam = self.ansatz.lambeq_ansatz
        label = lam._summarise_box(box) if key[0] == "Word" else None
        shared = self.structures.get(structure)
        if shared is not None and label is not None:
            prog, suffixes = shared
            entry = BoxEntry(prog, "box", tuple(label + s for s in suffixes))
        else:
            prog = compile_diagram(lam.functor(box))
            entry = make_entry(prog)
            if label is not None and entry.kind == "box" and structure not in self.structures:
                suffixes = [n[len(label):] if n.startswith(label) else None for n in entry.names]
                if all(s is not None and _SUFFIX.fullmatch(s) for s in suffixes):
                    self.structures[structure] = (prog, tuple(suffixes))
        self.boxes[key] = entry
        return entry


def box_cache(ansatz) -> BoxCache:
    """The :class:`BoxCache` of ``ansatz`` (created on first use, kept on its lambeq ansatz, so
    it goes when the ansatz's lambeq functor does)."""
    lam = ansatz.lambeq_ansatz
    cache = getattr(lam, "_qnlp_box_cache", None)
    if cache is None:
        cache = BoxCache(ansatz)
        lam._qnlp_box_cache = cache
    return cache
