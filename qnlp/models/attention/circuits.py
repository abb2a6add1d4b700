"""pytket circuits of the attention model: the one place they are built.

A token state is ``U_pos U_word |0...0>``: ``L`` layers of RY, RZ on every qubit and an entangling
ring (:func:`~qnlp.models.attention.states.prepare_states`), then the positional RZ phases. A head
measures it after its query, key or value circuit (always a CNOT ring). The quantities a head
needs become measured circuits (radians -> half-turns; states.py's qubit 0, the most significant
bit, is ``q[0]``, as in pytket's default statevector order, so these circuits reproduce the exact
engine):

* ``basis`` (``X``, ``Y``, ``Z``): ``U_head U_pos U_word |0>`` measured on all qubits in that basis;
  gives ``<P_i>`` for every qubit (values; query and key are ``<Z_0>``);
* ``inverse``: compute-uncompute ``V_s^dag V_t |0>``; ``P(0...0) = |<q_t|k_s>|**2`` (fidelity
  head; ``d`` qubits, variance ``F(1-F)/N``);
* ``swap``: a swap test on ``2d + 1`` qubits; ``2 P(0) - 1 = |<q_t|k_s>|**2`` (variance
  ``(1-F**2)/N``).

A DisCoCat word-box state (``source="discocat"``) is prepared from its exact amplitudes by
pytket's ``StatePreparationBox`` on the box's qubits (the rest stay ``|0>``).
"""

from __future__ import annotations

import math

import numpy as np

from qnlp.errors import ConfigError
from qnlp.models.attention.states import ENTANGLERS, ring_pairs

KINDS = ("basis", "inverse", "swap")
BASES = ("Z", "X", "Y")
FIDELITY_METHODS = ("inverse", "swap")


def add_layers(circ, qubits, angles, entangler: str) -> None:
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


def add_layers_dagger(circ, qubits, angles, entangler: str) -> None:
    """Inverse of :func:`add_layers` (ring reversed, rotations negated, layers reversed)."""
    d = len(qubits)
    for layer in reversed(list(angles)):
        for c, t in reversed(ring_pairs(d)):
            (circ.CX if entangler == "cnot" else circ.CZ)(qubits[c], qubits[t])
        for q in range(d):
            circ.Rz(-layer[q][1], qubits[q])
            circ.Ry(-layer[q][0], qubits[q])


def _prepare(circ, qubits, word, amplitudes, entangler, *, dagger=False) -> None:
    """The token's own state: word layers, or a state preparation of exact ``amplitudes``."""
    if amplitudes is not None:
        from pytket.circuit import StatePreparationBox

        prep = StatePreparationBox(np.asarray(amplitudes, dtype=complex)).get_circuit()
        prep.flatten_registers()
        circ.add_circuit(prep.dagger() if dagger else prep, list(qubits[:prep.n_qubits]))
        return
    (add_layers_dagger if dagger else add_layers)(circ, qubits, word, entangler)


def add_state(circ, qubits, word, phases, head, entangler, *, amplitudes=None, dagger=False) -> None:
    """``U_head U_pos U_word`` (or its inverse) on ``qubits``; ``phases``/``head`` may be None;
    with ``amplitudes`` the token state is prepared from them instead of ``word`` layers."""
    if dagger:
        if head is not None:
            add_layers_dagger(circ, qubits, head, "cnot")
        if phases is not None:
            for q, p in enumerate(phases):
                circ.Rz(-p, qubits[q])
        _prepare(circ, qubits, word, amplitudes, entangler, dagger=True)
        return
    _prepare(circ, qubits, word, amplitudes, entangler)
    if phases is not None:
        for q, p in enumerate(phases):
            circ.Rz(p, qubits[q])
    if head is not None:
        add_layers(circ, qubits, head, "cnot")


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
    add_state(circ, circ.qubits, angles / math.pi,
              None if phases is None else np.asarray(phases, dtype=float) / math.pi,
              None if head is None else np.asarray(head, dtype=float) / math.pi, entangler)
    return circ


def measured_template(kind: str, basis: str, n_layers: int, n_qubits: int, head_layers: int, *,
                      positional: bool, entangler: str = "cnot", amplitudes=(None, None)):
    """A symbolic measured circuit of one head quantity and its symbols.

    The symbols are, per token state involved (one; two for ``inverse`` / ``swap``): the word
    angles ``(L, d, 2)`` (absent for a token given by ``amplitudes``), the positional phases
    ``(d,)`` when ``positional``, then the head circuit's angles ``(H, d, 2)``; all in half-turns.

    Returns
    -------
    circuit : pytket.Circuit
        Measured into ``c[0..k-1]`` (``c[0]`` most significant).
    symbols : list of sympy.Symbol
    """
    import sympy
    from pytket import Circuit

    if kind not in KINDS:
        raise ConfigError(f"unknown circuit kind {kind!r}; valid: {', '.join(KINDS)}")
    symbols: list = []

    def syms(*shape):
        flat = [sympy.Symbol(f"qa{len(symbols) + i}") for i in range(int(np.prod(shape)))]
        symbols.extend(flat)
        return np.array(flat, dtype=object).reshape(shape)

    L, d, H = n_layers, n_qubits, head_layers

    def state(qubits, amps, dagger=False):
        word = syms(L, d, 2) if amps is None else None
        phases = syms(d) if positional else None
        add_state(circ, qubits, word, phases, syms(H, d, 2), entangler, amplitudes=amps, dagger=dagger)

    if kind == "swap":  # ancilla q[0], query register q[1..d], key register q[d+1..2d]
        circ = Circuit(2 * d + 1)
        a, qa, qb = circ.qubits[0], circ.qubits[1:d + 1], circ.qubits[d + 1:]
        state(qa, amplitudes[0])
        state(qb, amplitudes[1])
        circ.H(a)
        for x, y in zip(qa, qb):
            circ.CSWAP(a, x, y)
        circ.H(a)
        read = [0]
    else:
        circ = Circuit(d)
        state(circ.qubits, amplitudes[0])
        if kind == "inverse":
            state(circ.qubits, amplitudes[1], dagger=True)
        else:
            for q in range(d):
                if basis == "Y":
                    circ.Sdg(q)
                if basis in "XY":
                    circ.H(q)
        read = list(range(d))
    circ.add_c_register("c", len(read))
    for j, q in enumerate(read):
        circ.Measure(circ.qubits[q], circ.bits[j])
    return circ, symbols


def estimate(kind: str, probs: np.ndarray) -> np.ndarray:
    """Estimates from outcome probabilities of the read bits (first bit most significant).

    ``basis``: ``<P_i>`` for every qubit (``d`` values); ``inverse``: ``P(0...0)``; ``swap``:
    ``2 P(0) - 1``.

    >>> estimate("basis", np.array([[0.5, 0.0], [0.5, 0.0]]))  # q0 uniform, q1 always 0
    array([0., 1.])
    """
    probs = np.asarray(probs, dtype=float)
    if kind == "basis":
        n = probs.ndim if probs.ndim > 1 else int(round(math.log2(probs.size)))
        probs = probs.reshape((2,) * n)
        out = []
        for q in range(n):
            marg = probs.sum(axis=tuple(i for i in range(n) if i != q))
            out.append(marg[0] - marg[1])
        return np.asarray(out)
    if kind == "inverse":
        return np.asarray([probs.reshape(-1)[0]])
    return np.asarray([2.0 * probs.reshape(-1)[0] - 1.0])
