"""Independent reference simulation: qiskit statevector of the pytket export of a circuit.

Used by the conformance tests: any backend's probabilities must match these.
"""

from __future__ import annotations

import numpy as np


def tket_reference_probabilities(circuit, parameters: dict[str, float]) -> np.ndarray:
    """Outcome probabilities of the open qubits of ``circuit`` from qiskit's statevector.

    The circuit is exported with :meth:`~qnlp.circuits.Circuit.to_tket`; measurements are
    removed, post-selected qubits are projected onto their post-selected values, and the
    result is renormalised.

    Returns
    -------
    numpy.ndarray
        Shape ``(2,) * n_open`` in the order of the circuit's open wires.
    """
    from pytket import Circuit as TkCircuit, OpType

    tk = circuit.to_tket(parameters)
    post = dict(tk.post_selection)
    clean = TkCircuit(tk.n_qubits)
    measured = {}
    for cmd in tk.get_commands():
        if cmd.op.type == OpType.Measure:
            measured[cmd.qubits[0].index[0]] = cmd.bits[0].index[0]
            continue
        clean.add_gate(cmd.op.type, cmd.op.params, [q.index[0] for q in cmd.qubits])
    n = tk.n_qubits
    from pytket.extensions.qiskit import tk_to_qiskit
    from qiskit.quantum_info import Statevector

    clean.add_phase(tk.phase)
    data = Statevector(tk_to_qiskit(clean)).data  # little-endian: qubit 0 least significant
    psi = data.reshape((2,) * n).transpose(list(reversed(range(n))))
    # lambeq's export keys ``post_selection`` by *qubit* index (not by bit)
    index = [post[q] if q in measured and q in post else slice(None) for q in range(n)]
    amp = psi[tuple(index)]
    p = np.abs(amp) ** 2
    total = p.sum()
    return p / total if total > 0 else p
