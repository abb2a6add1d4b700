"""The exact backend against an independent reference (qiskit statevector of the pytket export)."""

import numpy as np
import pytest

from qnlp.backends.exact import ExactBackend
from qnlp.circuits.ansatz import IQPAnsatz, Sim14Ansatz, Sim15Ansatz, StronglyEntanglingAnsatz
from qnlp.circuits.rewrite import DiagramRewriter
from qnlp.errors import BackendError
from qnlp.testing.reference import tket_reference_probabilities
from tests.conftest import random_parameters

SENTENCES = ["man prepares sauce", "woman cooks tasty meal", "man runs"]
ANSATZE = [IQPAnsatz, Sim14Ansatz, Sim15Ansatz, StronglyEntanglingAnsatz]


def _diagrams(reader_name, sentences=SENTENCES):
    from qnlp.parsing import make_parser

    return [r.diagram for r in make_parser(reader_name).parse(sentences)]


@pytest.mark.parametrize("reader", ["cups", "stairs", "spiders"])
@pytest.mark.parametrize("ansatz_cls", ANSATZE)
@pytest.mark.parametrize("ob_map", [{"n": 1, "s": 1}, {"n": 1, "s": 2}])
def test_matches_qiskit_statevector(reader, ansatz_cls, ob_map):
    if reader == "spiders" and ob_map["s"] > 1:
        pytest.skip("lambeq 0.5 has no multi-qubit spiders")
    sentences = SENTENCES if ob_map["s"] == 1 else ["man prepares sauce", "man runs"]
    circuits = ansatz_cls(ob_map, n_layers=2)(_diagrams(reader, sentences), sentences)
    params = random_parameters(circuits, seed=hash((reader, ansatz_cls.__name__)) % 1000)
    ours = ExactBackend(device="cpu").run(circuits, params)
    for circuit, probs in zip(circuits, ours):
        ref = tket_reference_probabilities(circuit, params)
        assert probs.shape == ref.shape
        np.testing.assert_allclose(probs, ref, atol=1e-6)
        assert probs.sum() == pytest.approx(1.0)


def test_remove_cups_rewrite_matches_reference():
    diagrams = DiagramRewriter(["remove_cups"])(_diagrams("cups"))
    circuits = IQPAnsatz({"n": 1, "s": 1}, n_layers=1)(diagrams)
    params = random_parameters(circuits, seed=3)
    for circuit, probs in zip(circuits, ExactBackend(device="cpu").run(circuits, params)):
        np.testing.assert_allclose(probs, tket_reference_probabilities(circuit, params), atol=1e-6)


def test_flat_lambeq_circuits_match_structured():
    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups"))
    params = random_parameters(circuits, seed=5)
    backend = ExactBackend(device="cpu")
    structured = backend.run(circuits, params)
    flat = backend.run([c.lambeq for c in circuits], params)
    for a, b in zip(structured, flat):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_results_do_not_depend_on_batching():
    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups"))
    params = random_parameters(circuits, seed=7)
    backend = ExactBackend(device="cpu")
    together = backend.run(circuits, params)
    alone = [backend.run([c], params)[0] for c in circuits]
    for a, b in zip(together, alone):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_gradients_match_finite_differences():
    import torch

    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups"))
    names = sorted({s for c in circuits for s in c.symbols})
    index = {n: i for i, n in enumerate(names)}
    batch = ExactBackend(device="cpu").compile(circuits, index.__getitem__)
    theta = torch.tensor(np.random.default_rng(0).uniform(size=len(names)), requires_grad=True)
    weights = torch.linspace(0.3, 1.7, len(circuits) * 2, dtype=torch.float64).reshape(-1, 2)
    f = lambda t: (batch.probabilities(t) * weights).sum()  # noqa: E731
    f(theta).backward()
    eps = 1e-6
    for i in range(len(names)):
        e = torch.zeros_like(theta)
        e[i] = eps
        with torch.no_grad():
            fd = (f(theta + e) - f(theta - e)) / (2 * eps)
        assert theta.grad[i].item() == pytest.approx(fd.item(), abs=1e-6)


def test_complex64_is_close_to_complex128():
    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups"))
    params = random_parameters(circuits, seed=9)
    a = ExactBackend(device="cpu", dtype="complex64").run(circuits, params)
    b = ExactBackend(device="cpu").run(circuits, params)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-4)


def test_missing_parameter_is_a_typed_error():
    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups"))
    with pytest.raises(BackendError, match="no value given"):
        ExactBackend(device="cpu").run(circuits, {})


def test_mixed_circuits_are_rejected():
    from lambeq.backend.quantum import Discard, Ket

    with pytest.raises(BackendError, match="mixed"):
        ExactBackend(device="cpu").run([Ket(0) >> Discard()], {})


def test_shots_are_rejected_by_exact_backend():
    from qnlp.backends.base import RunConfig
    from qnlp.errors import ConfigError

    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups"))
    with pytest.raises(ConfigError, match="exact"):
        ExactBackend(device="cpu").run(circuits, random_parameters(circuits), RunConfig(shots=100))


def test_words_are_simulated_once_per_step():
    circuits = IQPAnsatz({"n": 1, "s": 1})(_diagrams("cups", ["man runs", "man cooks", "woman runs"]))
    names = sorted({s for c in circuits for s in c.symbols})
    batch = ExactBackend(device="cpu").compile(circuits, {n: i for i, n in enumerate(names)}.__getitem__)
    rows = sum(len(g.rows) for g in batch.box_groups)
    assert rows == 1 + 4  # START plus the distinct words man, woman, runs, cooks
    assert len(batch.sentence_groups) == 1  # one grammatical shape
