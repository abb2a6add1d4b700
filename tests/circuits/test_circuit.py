"""Ansätze, rewriting and export of circuits (pytket) and diagrams (discopy)."""

import pytest

from qnlp.circuits.ansatz import IQPAnsatz, make_ansatz
from qnlp.circuits.rewrite import DiagramRewriter
from qnlp.errors import ConfigError
from qnlp.parsing import make_parser


@pytest.fixture(scope="module")
def diagrams():
    return [r.diagram for r in make_parser("cups").parse(["man cooks meal", "woman cooks dinner"])]


def test_same_word_same_parameter_names(diagrams):
    a, b = IQPAnsatz({"n": 1, "s": 1})(diagrams)
    shared = set(a.symbols) & set(b.symbols)
    assert any(s.startswith("cooks__") for s in shared)
    assert not any(s.startswith("man__") for s in b.symbols)


def test_export_to_pytket_and_discopy(diagrams):
    from pytket import Circuit as TkCircuit

    circuit = IQPAnsatz({"n": 1, "s": 1}, n_layers=2)(diagrams)[0]
    tk = circuit.to_tket()
    assert isinstance(tk, TkCircuit) and tk.n_qubits == circuit.n_qubits
    assert len(tk.free_symbols()) == len(circuit.symbols)
    bound = circuit.to_tket({s: 0.25 for s in circuit.symbols})
    assert not bound.free_symbols()
    dc = circuit.to_discopy()
    assert type(dc).__module__.startswith("discopy")
    assert [b.name for b in dc.boxes][:2] == ["START", "man"]


def test_rewriter_rules_and_errors(diagrams):
    removed = DiagramRewriter(["remove_cups"])(diagrams)
    assert sum(type(b).__name__ == "Cup" for b in removed[0].boxes) < \
        sum(type(b).__name__ == "Cup" for b in diagrams[0].boxes)
    with pytest.raises(ConfigError, match="unknown rewrite rule"):
        DiagramRewriter(["nope"])


@pytest.mark.parametrize("kwargs,match", [
    ({"ob_map": {"x": 1}}, "unknown atomic type"),
    ({"ob_map": {"n": 99}}, "0..8"),
    ({"ob_map": {"n": 1}, "n_layers": 0}, "n_layers"),
])
def test_ansatz_validation(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        make_ansatz("iqp", **kwargs)


def test_ansatz_config_roundtrip():
    a = make_ansatz("sim14", ob_map={"n": 2, "s": 1}, n_layers=3)
    cfg = a.config()
    b = make_ansatz(cfg.pop("name"), **cfg)
    assert (b.name, b.ob_map, b.n_layers) == ("sim14.v1", {"n": 2, "s": 1}, 3)
