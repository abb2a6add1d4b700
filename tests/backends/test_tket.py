"""The tket backend against the exact backend: shots within shot noise, states to 1e-6."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("pytket.extensions.qiskit")
pytest.importorskip("lambeq")

from qnlp.backends.base import RunConfig  # noqa: E402
from qnlp.backends.exact import ExactBackend  # noqa: E402
from qnlp.testing.batching import assert_batch_independent  # noqa: E402
from qnlp.errors import BackendError, CircuitTooLargeError, ConfigError  # noqa: E402

SENTENCES = ["man runs", "woman cooks meal", "man prepares tasty sauce"]


@pytest.fixture(scope="module")
def diagrams():
    from lambeq import cups_reader

    return [cups_reader.sentence2diagram(s) for s in SENTENCES]


def _circuits(diagrams, name="iqp", **ob):
    from qnlp.circuits import ansatz as A

    cls = {"iqp": A.IQPAnsatz, "sim14": A.Sim14Ansatz, "sim15": A.Sim15Ansatz}[name]
    return cls(ob or {"n": 1, "s": 1}, n_layers=1)(diagrams, SENTENCES)


def _params(circuits, seed):
    rng = np.random.default_rng(seed)
    return {s: float(rng.random()) for s in sorted({s for c in circuits for s in c.symbols})}


@pytest.fixture(scope="module")
def aer():
    from qnlp.backends.factory import make_backend

    return make_backend("aer")


@pytest.fixture(scope="module")
def aer_state():
    from qnlp.backends.factory import make_backend

    return make_backend("aer-state")


def _assert_within_shot_noise(shots_probs, exact_probs, kept):
    checked = 0
    for p_s, p_e, k in zip(shots_probs, exact_probs, kept):
        assert p_s.shape == p_e.shape
        if k == 0:  # post-selection kept nothing: a uniform answer (and a warning), nothing to compare
            np.testing.assert_allclose(p_s, 1 / p_s.size)
            continue
        checked += 1
        tol = 5 * np.sqrt(np.clip(p_e * (1 - p_e), 1e-4, None) / max(k, 1)) + 0.01
        assert np.all(np.abs(p_s - p_e) <= tol), (p_s, p_e, k)
    assert checked >= len(kept) // 2


@pytest.mark.aer
@pytest.mark.parametrize("ansatz,seed", [("iqp", 0), ("sim14", 1), ("sim15", 2)])
def test_shots_agree_with_exact(diagrams, aer, ansatz, seed):
    circuits = _circuits(diagrams, ansatz)
    params = _params(circuits, seed)
    exact = ExactBackend(device="cpu").run(circuits, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        probs = aer.run(circuits, params, RunConfig(shots=20000, seed=seed))
    assert len(aer.last_kept_shots_) == len(circuits)
    assert np.all(aer.last_kept_fraction_ <= 1) and np.all(aer.last_kept_fraction_ > 0)
    for p in probs:
        assert np.isclose(p.sum(), 1)
    _assert_within_shot_noise(probs, exact, aer.last_kept_shots_)


@pytest.mark.aer
def test_two_open_qubits_and_post_selection(diagrams, aer, aer_state):
    """Sentence type of 2 qubits: outcome order and post-selected bits must match exact."""
    circuits = _circuits(diagrams, "iqp", n=1, s=2)
    params = _params(circuits, 5)
    exact = ExactBackend(device="cpu").run(circuits, params)
    assert exact[0].shape == (2, 2)
    state = aer_state.run(circuits, params)
    for a, b in zip(state, exact):
        np.testing.assert_allclose(a, b, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        probs = aer.run(circuits, params, RunConfig(shots=20000, seed=1))
    _assert_within_shot_noise(probs, exact, aer.last_kept_shots_)


@pytest.mark.aer
@pytest.mark.parametrize("ansatz", ["iqp", "sim14"])
def test_aer_state_equals_exact(diagrams, aer_state, ansatz):
    circuits = _circuits(diagrams, ansatz)
    for seed in range(2):
        params = _params(circuits, 10 + seed)
        exact = ExactBackend(device="cpu").run(circuits, params)
        for a, b in zip(aer_state.run(circuits, params), exact):
            np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.aer
def test_state_backend_samples_shots(diagrams, aer_state):
    circuits = _circuits(diagrams)
    params = _params(circuits, 3)
    exact = ExactBackend(device="cpu").run(circuits, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        probs = aer_state.run(circuits, params, RunConfig(shots=50000, seed=0))
    _assert_within_shot_noise(probs, exact, aer_state.last_kept_shots_)


@pytest.mark.aer
@pytest.mark.parametrize("name", ["aer", "aer-state"])
def test_batch_independence(diagrams, name, aer, aer_state):
    backend = {"aer": aer, "aer-state": aer_state}[name]
    circuits = _circuits(diagrams)
    params = _params(circuits, 4)
    assert_batch_independent(backend, circuits, params, RunConfig(shots=4000, seed=7),
                             RunConfig(shots=4000, seed=8), [slice(i, i + 1) for i in range(len(circuits))])


@pytest.mark.aer
def test_low_kept_shots_warns(diagrams, aer):
    circuits = _circuits(diagrams)[2:]  # 4 words: 6 post-selected qubits
    with pytest.warns(RuntimeWarning, match="post-selection"):
        aer.run(circuits, _params(circuits, 0), RunConfig(shots=50, seed=0))
    assert aer.last_kept_shots_[0] < 100


@pytest.mark.aer
def test_compile_report(diagrams, aer):
    from qnlp.backends.factory import compile_report

    circuits = _circuits(diagrams)
    report = compile_report(circuits, aer)
    assert len(report) == len(circuits)
    for row, circuit in zip(report, circuits):
        assert row["depth"] > 0 and row["n_gates"] > 0
        assert row["n_2q_gates"] >= 1
        assert row["n_qubits"] >= row["n_open"] + row["n_post_selected"] - 0
        assert row["n_qubits_logical"] == circuit.to_tket().n_qubits
        assert row["n_open"] == 1


@pytest.mark.aer
def test_noisy_backend_compiles_to_device(diagrams):
    from qnlp.backends.factory import make_backend

    backend = make_backend("aer-noisy:fake_kolkata")
    circuits = _circuits(diagrams)[:2]
    report = backend.compile_report(circuits)
    assert all(r["n_2q_gates"] >= 1 for r in report)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        probs = backend.run(circuits, _params(circuits, 0), RunConfig(shots=2000))
    assert all(np.isclose(p.sum(), 1) for p in probs)


def test_unknown_names():
    from qnlp.backends.factory import make_backend

    with pytest.raises(ConfigError, match="aer-noisy"):
        make_backend("nope")
    with pytest.raises(ConfigError, match="fake_brisbane"):
        make_backend("aer-noisy:fake_nowhere")


def test_missing_extension_or_credentials(monkeypatch):
    import importlib.util

    from qnlp.backends.factory import make_backend

    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    if importlib.util.find_spec("pytket.extensions.quantinuum") is None:
        with pytest.raises(BackendError, match="pip install pytket-quantinuum"):
            make_backend("quantinuum:H1-1")
    if importlib.util.find_spec("pytket.extensions.braket") is None:
        with pytest.raises(BackendError, match="pip install pytket-braket"):
            make_backend("braket:some-device")
    with pytest.raises(BackendError, match="credentials"):
        make_backend("ibm:ibm_brisbane")


@pytest.mark.aer
def test_shots_required_and_width_checked(diagrams, aer):
    from pytket.extensions.qiskit import AerBackend

    from qnlp.backends.tket import TketBackend

    circuits = _circuits(diagrams)
    params = _params(circuits, 0)
    with pytest.raises(ConfigError, match="shot count"):
        aer.run(circuits, params, RunConfig())
    small = TketBackend(AerBackend(n_qubits=3), name="tiny")
    with pytest.raises(CircuitTooLargeError, match=r"needs \d+ qubits; backend 'tiny' has 3"):
        small.run(circuits[1:], params, RunConfig(shots=10))
    with pytest.raises(BackendError, match="no value given for parameter"):
        aer.run(circuits, {}, RunConfig(shots=10))


def test_registry_names():
    from qnlp.registry import registry

    names = registry.names("backend")
    assert {"aer.v1", "aer-state.v1", "aer-noisy.v1"} <= set(names)
