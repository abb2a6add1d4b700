"""The exact backend: batched, differentiable tensor-network simulation in torch.

How it is fast
--------------
Per-operation overhead, not arithmetic, limits the simulation of many small sentence circuits.
So the work is arranged in two levels, each evaluated with as few torch calls as possible:

1. **Boxes.** Every grammar box (a word with its type) is mapped by the ansatz to a small circuit
   and compiled once. Boxes whose circuits differ only in their symbols form a group; a group is
   evaluated with one gather of its parameters, one batched construction of all its rotation
   matrices, and one einsum (constant sub-networks folded in advance). Each word is simulated once
   per step, however many sentences use it.
2. **Sentences.** Cups and caps become shared indices (no tensors); sentences with the same
   grammatical shape form a group that gathers its word tensors and runs one batched einsum with a
   cached contraction path.

Post-selection (bras) is part of the networks; output probabilities are renormalised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from qnlp.backends.base import Backend, RunConfig
from qnlp.backends.contraction import CachedEinsum, _UnionFind
from qnlp.backends.network import PAULI, NetworkProgram, compile_diagram
from qnlp.errors import BackendError, CircuitTooLargeError

#: Largest number of open output qubits a circuit may have on the exact backend.
MAX_OPEN_QUBITS = 20


def _symbol(i: int) -> str:
    import opt_einsum

    return opt_einsum.get_symbol(i)


class _BoxGroup:
    """Boxes whose circuits share one structure; evaluated together."""

    def __init__(self, program: NetworkProgram):
        self.program = program
        self.rows: list[list[int]] = []  # global parameter index of each local symbol
        self._expr = None

    def add(self, param_indices: list[int]) -> int:
        self.rows.append(list(param_indices))
        return len(self.rows) - 1

    def prepare(self, device, float_dtype):
        import opt_einsum
        import torch

        prog = self.program
        self.index = torch.as_tensor(np.asarray(self.rows, dtype=np.int64).reshape(len(self.rows), -1),
                                     device=device)
        sym_of_node = [r.symbol for r in prog.rotations]
        self.node_index = self.index[:, sym_of_node] if sym_of_node else None
        self.coeff = torch.as_tensor([r.coeff for r in prog.rotations], dtype=float_dtype, device=device)
        self.offset = torch.as_tensor([r.offset for r in prog.rotations], dtype=float_dtype, device=device)
        self.kinds = [r.kind for r in prog.rotations]
        self.controlled = [r.controlled for r in prog.rotations]
        labels: dict = {}
        def sym(l):
            return labels.setdefault(l, _symbol(len(labels) + 1))
        batch = _symbol(0)
        terms = [batch + "".join(sym(l) for l in legs) for legs in prog.rotation_legs]
        terms += ["".join(sym(l) for l in legs) for legs in prog.constant_legs]
        out = batch + "".join(sym(l) for l in prog.outputs + prog.inputs)
        eq = ",".join(terms) + "->" + out
        n_rot = len(prog.rotations)
        shapes = [(len(self.rows),) + (2,) * len(legs) for legs in prog.rotation_legs]
        cdtype = np.complex128 if float_dtype == torch.float64 else np.complex64
        constants = [c.astype(cdtype) for c in prog.constants]
        if str(device) == "cpu":
            self._expr = opt_einsum.contract_expression(
                eq, *shapes, *constants, constants=list(range(n_rot, n_rot + len(constants)))
            )
            self._consts = []
        else:
            self._consts = [torch.as_tensor(c, device=device) for c in constants]
            self._expr = opt_einsum.contract_expression(eq, *shapes, *[c.shape for c in constants])
        self.scalar = complex(prog.scalar)

    def evaluate(self, mats, with_scalar: bool = True):
        """Tensors of all boxes in the group, shape ``(n_boxes, 2, ..., 2)``, from this group's
        rotation tensors (built for all groups at once by :class:`_AllRotations`)."""
        out = self._expr(*mats, *self._consts, backend="torch")
        return out * self.scalar if with_scalar and self.scalar != 1 else out


@dataclass
class _SentenceNetwork:
    operands: list  # ("box", gid, row) or ("const", array)
    legs: list
    outputs: list
    scalar: complex = 1.0
    words: list = field(default_factory=list)  # (name, gid, row, n_qubits) of each parametrised Word box


@dataclass
class _SentenceGroup:
    key: tuple
    template: _SentenceNetwork
    members: list = field(default_factory=list)  # positions in the batch
    rows: list = field(default_factory=list)  # per member: row per box operand
    twin_rows: list = field(default_factory=list)  # the same with unknown-word parameters
    scalars: list = field(default_factory=list)


class _AllRotations:
    """Builds the rotation tensors of every box group with one batched call per step."""

    def __init__(self, groups: list, device, float_dtype):
        import torch

        self.sizes, kinds, controlled, index, coeff, offset = [], [], [], [], [], []
        for g in groups:
            w, n = len(g.rows), len(g.kinds)
            self.sizes.append((w, n, sum(g.controlled)))
            if n:
                index.append(g.node_index.reshape(-1))
                coeff.append(g.coeff.repeat(w))
                offset.append(g.offset.repeat(w))
                kinds += g.kinds * w
                controlled += g.controlled * w
        self.empty = not index
        if self.empty:
            return
        self.index = torch.cat(index)
        self.coeff, self.offset = torch.cat(coeff), torch.cat(offset)
        cdtype = torch.complex128 if float_dtype == torch.float64 else torch.complex64
        self.paulis = torch.as_tensor(np.stack([PAULI[k] for k in kinds]), dtype=cdtype, device=device)
        self.eye = torch.eye(2, dtype=cdtype, device=device)
        self.cdtype = cdtype
        ctrl = np.flatnonzero(controlled)
        self.ctrl_index = torch.as_tensor(ctrl, device=device) if len(ctrl) else None
        self.ctrl_pos = np.full(len(controlled), -1)
        self.ctrl_pos[ctrl] = np.arange(len(ctrl))
        self.p0 = torch.zeros((2, 2, 2, 2), dtype=cdtype, device=device)
        self.p0[0, :, 0, :] = self.eye
        self.p1 = torch.zeros((2, 2), dtype=cdtype, device=device)
        self.p1[1, 1] = 1

    def build(self, theta) -> list:
        """Per group, the list of its rotation tensors ``(n_boxes, 2, 2[, 2, 2])``."""
        if self.empty:
            return [[] for _ in self.sizes]  # pragma: no cover
        angle = np.pi * (self.coeff * theta[self.index] + self.offset)
        cos = angle.cos().to(self.cdtype)[:, None, None]
        sin = angle.sin().to(self.cdtype)[:, None, None]
        mats = cos * self.eye - 1j * sin * self.paulis
        ctrl = None
        if self.ctrl_index is not None:
            ctrl = self.p0 + torch_einsum("ac,nxy->naxcy", self.p1, mats[self.ctrl_index])
        out, start = [], 0
        for w, n, c in self.sizes:
            if n == 0:
                out.append([])
                continue
            block = mats[start : start + w * n].reshape(w, n, 2, 2)
            ops = []
            for j in range(n):
                pos = self.ctrl_pos[start + j]
                if pos >= 0:  # controlled: same node position in every row of the group
                    ops.append(ctrl[pos : pos + w * c : c])
                else:
                    ops.append(block[:, j])
            out.append(ops)
            start += w * n
        return out


def torch_einsum(eq, *ops):
    import torch

    return torch.einsum(eq, *ops)


class CompiledBatch:
    """A batch of circuits compiled for repeated, differentiable evaluation.

    Build it with :meth:`ExactBackend.compile`; call :meth:`probabilities` with a parameter
    vector to get a ``(n_circuits, n_outcomes)`` tensor of post-selected, renormalised outcome
    probabilities (autograd flows to ``theta``).
    """

    def __init__(self, backend: "ExactBackend", lookup: Callable[[str], int],
                 twin_lookup: Callable[[str], int] | None = None):
        self.backend = backend
        self.lookup = lookup
        self.twin_lookup = twin_lookup
        self.box_groups: list[_BoxGroup] = []
        self._box_group_of: dict = {}
        self._box_row: dict = {}
        self._ansatze: dict = {}
        self.sentence_groups: dict = {}
        self.circuit_words: list[list[tuple]] = []  # per circuit: (word, gid, row, n_qubits)
        self.n_circuits = 0
        self.n_outcomes = None

    # -- building ---------------------------------------------------------------------------
    def _box_ref(self, program: NetworkProgram, symbol_names: tuple, cache_key,
                 lookup: Callable[[str], int] | None = None) -> tuple:
        """(group id, row) of a parametrised box, adding it if new."""
        params = tuple((lookup or self.lookup)(s) for s in symbol_names)
        ref_key = (cache_key, params)
        if ref_key in self._box_row:
            return self._box_row[ref_key]
        key = program.key
        if key not in self._box_group_of:
            self._box_group_of[key] = len(self.box_groups)
            self.box_groups.append(_BoxGroup(program))
        gid = self._box_group_of[key]
        ref = (gid, self.box_groups[gid].add(list(params)))
        self._box_row[ref_key] = ref
        return ref

    def _network(self, circuit) -> _SentenceNetwork:
        from qnlp.backends.boxes import box_cache, make_entry
        from qnlp.circuits.circuit import Circuit

        net = _SentenceNetwork([], [], [])
        uf = _UnionFind()
        counter = iter(range(10**9))
        if isinstance(circuit, Circuit):
            lam = circuit.ansatz.lambeq_ansatz
            self._ansatze[id(lam)] = lam  # keeps ids in the cache keys unique while cached
            cache, qubits = box_cache(circuit.ansatz), circuit.ansatz.type_qubits
            wires = [next(counter) for _ in range(qubits(circuit.diagram.dom))]
            images = ((qubits(layer.left), cache.entry(layer.box),
                       layer.box.name if type(layer.box).__name__ == "Word" else None)
                      for layer in circuit.diagram.layers)
        else:  # a flat lambeq quantum circuit: one box
            wires = [next(counter) for _ in circuit.dom]
            images = [(0, make_entry(compile_diagram(circuit)), None)]
        if wires:
            raise BackendError("circuits with open inputs cannot be evaluated; close them with kets")
        for off, entry, word in images:
            prog = entry.program
            n_in, n_out = len(prog.inputs), len(prog.outputs)
            ins = wires[off : off + n_in]
            outs = [next(counter) for _ in range(n_out)]
            wires[off : off + n_in] = outs
            legs = outs + ins
            if entry.kind == "box":
                key = id(entry)  # entries are unique per box and live as long as the ansatz
                gid, row = self._box_ref(prog, entry.names, key)
                twin = row if self.twin_lookup is None else self._box_ref(prog, entry.names, key, self.twin_lookup)[1]
                net.operands.append(("box", gid, row, twin))
                net.legs.append(legs)
                if word is not None and n_in == 0:
                    net.words.append((word, gid, row, n_out))
            elif entry.kind == "scalar":
                net.scalar *= entry.scale
            elif entry.kind == "identity":
                uf.union(legs[0], legs[1])
                net.scalar *= entry.scale
            elif entry.kind == "spider":
                for leg in legs[1:]:
                    uf.union(legs[0], leg)
            elif entry.kind == "permutation":
                wires[off : off + n_in] = [ins[p] for p in entry.perm]
            else:
                net.operands.append(("const", entry.tensor))
                net.legs.append(legs)
        net.legs = [[uf.find(l) for l in legs] for legs in net.legs]
        outputs = [uf.find(l) for l in wires]
        if len(set(outputs)) != len(outputs):
            raise BackendError("a circuit whose outputs are joined by a cap is not supported")
        net.outputs = outputs
        return net

    def add(self, circuits: Sequence) -> "CompiledBatch":
        """Compile and add circuits (in order) to the batch."""
        from qnlp.utils import paused_gc

        with paused_gc():
            return self._add(circuits)

    def _add(self, circuits: Sequence) -> "CompiledBatch":
        for circuit in circuits:
            net = self._network(circuit)
            n_out = 2 ** len(net.outputs)
            if len(net.outputs) > MAX_OPEN_QUBITS:
                raise CircuitTooLargeError(
                    f"circuit has {len(net.outputs)} open qubits; the exact backend allows "
                    f"{MAX_OPEN_QUBITS}. Use fewer qubits per type (ob_map)."
                )
            if self.n_outcomes is None:
                self.n_outcomes = n_out
            elif self.n_outcomes != n_out:
                self.n_outcomes = -1  # mixed widths: probabilities() returns a list
            labels: dict = {}
            def norm(l):
                return labels.setdefault(l, len(labels))
            legs = tuple(tuple(norm(l) for l in ls) for ls in net.legs)
            outs = tuple(norm(l) for l in net.outputs)
            desc = tuple(
                ("b", op[1]) if op[0] == "box" else ("c", op[1].tobytes(), op[1].shape)
                for op in net.operands
            )
            key = (desc, legs, outs)
            group = self.sentence_groups.get(key)
            if group is None:
                group = self.sentence_groups[key] = _SentenceGroup(key, net)
            group.members.append(self.n_circuits)
            group.rows.append([op[2] for op in net.operands if op[0] == "box"])
            group.twin_rows.append([op[3] for op in net.operands if op[0] == "box"])
            group.scalars.append(net.scalar)
            self.circuit_words.append(net.words)
            self.n_circuits += 1
        self._prepared = False
        self._full_program = None
        return self

    def prepare(self):
        """Build index tensors and contraction paths (done once, before evaluation)."""
        import torch

        device, fdtype = self.backend.device, self.backend.float_dtype
        cdtype = torch.complex128 if fdtype == torch.float64 else torch.complex64
        for g in self.box_groups:
            g.prepare(device, fdtype)
        self._rotations = _AllRotations(self.box_groups, device, fdtype)
        for sg in self.sentence_groups.values():
            net = sg.template
            batch = _symbol(0)
            lab = {}
            def sym(l):
                return lab.setdefault(l, _symbol(len(lab) + 1))
            terms, shapes, sg.consts, box_pos = [], [], [], []
            for op, legs in zip(net.operands, net.legs):
                if op[0] == "box":
                    terms.append(batch + "".join(sym(l) for l in legs))
                    shapes.append((len(sg.members),) + (2,) * len(legs))
                    box_pos.append(op[1])
                else:
                    terms.append("".join(sym(l) for l in legs))
                    shapes.append(op[1].shape)
                    sg.consts.append(torch.as_tensor(op[1], dtype=cdtype, device=device))
            out = batch + "".join(sym(l) for l in net.outputs)
            if not terms:
                raise BackendError("a circuit without parameters or gates cannot be evaluated")
            sg.equation, sg.shapes, sg.expr = ",".join(terms) + "->" + out, shapes, None
            sg.box_gids = box_pos
            shape = (len(sg.members), -1)
            sg.rows_t = torch.as_tensor(np.asarray(sg.rows, dtype=np.int64).reshape(shape), device=device)
            sg.twin_rows_t = torch.as_tensor(np.asarray(sg.twin_rows, dtype=np.int64).reshape(shape),
                                             device=device)
            sg.scalars_t = torch.as_tensor(np.asarray(sg.scalars), dtype=cdtype, device=device)
            sg.members_t = torch.as_tensor(sg.members, device=device)
            sg.order = [i for i, op in enumerate(net.operands) if op[0] == "box"]
        self._prepared = True

    # -- evaluation -------------------------------------------------------------------------
    def box_tensors(self, theta, with_scalar: bool = True) -> list:
        """Per box group, the tensors of all its boxes, ``(n_boxes, 2, ..., 2)`` (output legs,
        then input legs). A word box ``(word, gid, row, k)`` of :attr:`circuit_words` is the
        ``k``-qubit state ``box_tensors(theta)[gid][row]`` (autograd flows to ``theta``)."""
        if not self._prepared:
            self.prepare()
        mats = self._rotations.build(theta)
        return [g.evaluate(m, with_scalar) for g, m in zip(self.box_groups, mats)]

    def amplitudes(self, theta, twin_rate: float = 0.0, generator=None, with_scalar: bool = True) -> list:
        """Per sentence group: (group, amplitudes of shape (members, n_outcomes)).

        ``twin_rate`` > 0 replaces each word occurrence, with that probability, by its twin
        (the unknown-word parameters given by ``twin_lookup``): word dropout for training.
        ``with_scalar=False`` drops constant factors (irrelevant once probabilities are
        renormalised).
        """
        return [(sg, amp) for sg, _, amp in self._group_amplitudes(theta, twin_rate, generator, with_scalar)]

    def _group_amplitudes(self, theta, twin_rate=0.0, generator=None, with_scalar=True, circuits=None):
        """(group, member circuit indices, amplitudes) per sentence group; with ``circuits`` (a
        tensor of circuit indices) only those members are contracted and groups without any are
        skipped."""
        import torch

        box_tensors = self.box_tensors(theta, with_scalar)
        for sg in self.sentence_groups.values():
            rows, twin_rows, scalars, members = sg.rows_t, sg.twin_rows_t, sg.scalars_t, sg.members_t
            if circuits is not None:
                pick = torch.nonzero(torch.isin(members, circuits)).flatten()
                if len(pick) == 0:
                    continue
                rows, twin_rows, scalars, members = rows[pick], twin_rows[pick], scalars[pick], members[pick]
            if twin_rate > 0:
                mask = torch.rand(rows.shape, generator=generator, device=rows.device) < twin_rate
                rows = torch.where(mask, twin_rows, rows)
            ops, k, c = [], 0, 0
            for op in sg.template.operands:
                if op[0] == "box":
                    ops.append(box_tensors[op[1]][rows[:, k]])
                    k += 1
                else:
                    ops.append(sg.consts[c])
                    c += 1
            if sg.expr is None:  # the path search costs milliseconds per shape: only on first use
                sg.expr = CachedEinsum(sg.equation, sg.shapes)
            amp = sg.expr(*ops).reshape(len(members), -1)
            yield sg, members, (amp * scalars[:, None] if with_scalar else amp)

    def _program(self, circuits=None):
        """The wavefront schedule of the whole batch (cached) or of ``circuits``."""
        from qnlp.backends.wavefront import build_program

        if not self._prepared:
            self.prepare()
        if circuits is not None:
            return build_program(self, np.asarray(circuits, dtype=np.int64).reshape(-1))
        if getattr(self, "_full_program", None) is None:
            self._full_program = build_program(self)
        return self._full_program

    def probabilities(self, theta, twin_rate: float = 0.0, generator=None, circuits=None):
        """Post-selected, renormalised outcome probabilities, ``(n_circuits, n_outcomes)``.

        ``circuits`` (indices): contract only those circuits and return their rows, in that
        order, ``(len(circuits), n_outcomes)``.
        """
        import torch

        if self.n_outcomes == -1:
            raise BackendError("circuits of different output widths; evaluate them separately")
        if self.backend.engine == "wavefront":
            inverse = None
            if circuits is not None:
                circuits, inverse = np.unique(np.asarray(circuits, dtype=np.int64).reshape(-1),
                                              return_inverse=True)
            program, leaf_parts = self._program(circuits)
            amp = program.amplitudes(leaf_parts(self.box_tensors(theta, with_scalar=False)),
                                     twin_rate, generator)
            p = amp.real ** 2 + amp.imag ** 2
            p = p / p.sum(dim=1, keepdim=True).clamp_min(1e-30)
            return p if inverse is None else p[torch.as_tensor(inverse, device=p.device)]
        if circuits is not None:
            circuits = torch.as_tensor(circuits, dtype=torch.long, device=theta.device)
        parts = self._group_amplitudes(theta, twin_rate, generator, with_scalar=False, circuits=circuits)
        make = torch.empty if circuits is None else torch.zeros  # (zeros: rows not asked for)
        result = make((self.n_circuits, self.n_outcomes), dtype=theta.dtype, device=theta.device)
        for _, members, amp in parts:
            p = amp.real ** 2 + amp.imag ** 2
            norm = p.sum(dim=1, keepdim=True).clamp_min(1e-30)
            result = result.index_copy(0, members, p / norm)
        return result if circuits is None else result[circuits]


class ExactBackend(Backend):
    """Exact, batched, differentiable simulation of pure circuits with torch.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda"``.
    dtype : str
        ``"complex128"`` (default) or ``"complex64"``.
    engine : {"wavefront", "shapes"}
        How a batch is contracted: ``"wavefront"`` (default) batches equal small contractions of
        all sentences, whatever their shapes (:mod:`qnlp.backends.wavefront`); ``"shapes"`` runs
        one einsum per sentence shape (fast when few shapes, e.g. MC/RP).

    Examples
    --------
    >>> from qnlp.backends.exact import ExactBackend
    >>> backend = ExactBackend(device="cpu")
    >>> backend.differentiable
    True
    """

    name = "exact.v1"
    differentiable = True
    supports_shots = False

    def __init__(self, *, device: str = "auto", dtype: str = "complex128", engine: str = "wavefront"):
        self.device_name = device
        self.dtype = dtype
        self.engine = engine
        if dtype not in ("complex128", "complex64"):
            raise BackendError(f"dtype must be 'complex128' or 'complex64', got {dtype!r}")
        if engine not in ("wavefront", "shapes"):
            raise BackendError(f"engine must be 'wavefront' or 'shapes', got {engine!r}")

    @property
    def device(self):
        import torch

        if self.device_name == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device_name)

    @property
    def float_dtype(self):
        import torch

        return torch.float64 if self.dtype == "complex128" else torch.float32

    def compile(self, circuits: Sequence, lookup: Callable[[str], int],
                twin_lookup: Callable[[str], int] | None = None) -> CompiledBatch:
        """Compile circuits for repeated evaluation.

        Parameters
        ----------
        circuits : sequence
            :class:`~qnlp.circuits.Circuit` objects or flat lambeq quantum diagrams.
        lookup : callable
            Maps a symbol name to its index in the parameter vector.
        twin_lookup : callable, optional
            Maps a symbol name to the index of its unknown-word twin (for word dropout).
        """
        return CompiledBatch(self, lookup, twin_lookup).add(circuits)

    def run(self, circuits: Sequence, parameters: Mapping[str, float],
            config: RunConfig = RunConfig()) -> list[np.ndarray]:
        import torch

        self.validate(circuits, config)
        names = sorted(parameters)
        index = {n: i for i, n in enumerate(names)}
        def lookup(name):
            try:
                return index[name]
            except KeyError:
                raise BackendError(f"no value given for parameter {name!r}") from None
        theta = torch.as_tensor([float(parameters[n]) for n in names], dtype=self.float_dtype,
                                device=self.device)
        results: list[Any] = [None] * len(circuits)
        batch = self.compile(circuits, lookup)
        with torch.no_grad():
            for sg, amp in batch.amplitudes(theta):
                p = (amp.abs() ** 2)
                p = p / p.sum(dim=1, keepdim=True).clamp_min(1e-30)
                n_out = len(sg.template.outputs)
                for pos, row in zip(sg.members, p.cpu().numpy()):
                    results[pos] = row.reshape((2,) * n_out)
        return results
