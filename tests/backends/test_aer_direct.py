"""The Born sampler of the ``aer`` backend: exact probabilities, same statistics as Aer's own shots."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("pytket.extensions.qiskit")
pytest.importorskip("qiskit_aer")
pytest.importorskip("lambeq")

from qnlp.backends.base import RunConfig  # noqa: E402
from qnlp.backends.exact import ExactBackend  # noqa: E402
from qnlp.testing.batching import assert_batch_independent  # noqa: E402

SENTENCES = ["man runs", "woman cooks tasty meal", "man prepares sauce",
             "skillful person prepares software", "woman runs program"]


@pytest.fixture(scope="module")
def circuits():
    from lambeq import cups_reader

    from qnlp.circuits.ansatz import IQPAnsatz, Sim14Ansatz

    diagrams = [cups_reader.sentence2diagram(s) for s in SENTENCES]
    return (IQPAnsatz({"n": 1, "s": 1}, n_layers=1)(diagrams, SENTENCES)
            + Sim14Ansatz({"n": 1, "s": 2}, n_layers=1)(diagrams[:2], SENTENCES[:2]))


def _params(circuits, seed):
    rng = np.random.default_rng(seed)
    return {s: float(rng.random()) for s in sorted({s for c in circuits for s in c.symbols})}


def _backend(**kwargs):
    from qnlp.backends.providers import make_aer

    return make_aer(**kwargs)


def test_born_probabilities_equal_exact(circuits):
    """The parameterised qiskit templates give the exact Born distribution (1e-10), including
    post-selection, for every structure and parameter set."""
    from qnlp.backends.aer_direct import born_probabilities

    backend = _backend()
    for seed in range(3):
        params = _params(circuits, seed)
        instances = backend._instances(circuits, params)
        assert backend._born_ready(instances)
        blocks = born_probabilities(backend.born_simulator,
                                    [(s.born, np.asarray([v])) for s, _, v in instances])
        exact = ExactBackend(device="cpu").run(circuits, params)
        for (s, _, _), block, e in zip(instances, blocks, exact):
            joint = block[0].reshape(2 ** len(s.post_bits), 2 ** s.n_open)
            assert np.isclose(block[0].sum(), 1)
            row = joint[int("".join(map(str, s.post_values)) or "0", 2)]
            np.testing.assert_allclose(row / row.sum(), np.asarray(e).reshape(-1), atol=1e-10)


def test_born_and_aer_samplers_agree_in_distribution(circuits):
    """Kept-shot histograms of the two samplers agree within a shot-derived tolerance, and both
    agree with exact (the Born sampler draws from the distribution Aer's own shots come from)."""
    params = _params(circuits, 7)
    exact = ExactBackend(device="cpu").run(circuits, params)
    shots = 40000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        born = _backend()
        p_born = born.run(circuits, params, RunConfig(shots=shots, seed=3))
        kept_born = born.last_kept_shots_.copy()
        slow = _backend(sampler="aer")
        p_aer = slow.run(circuits, params, RunConfig(shots=shots, seed=3))
        kept_aer = slow.last_kept_shots_.copy()
    for pb, pa, e, kb, ka in zip(p_born, p_aer, exact, kept_born, kept_aer):
        if min(kb, ka) < 50:
            continue
        e = np.asarray(e)
        sd = np.sqrt(np.clip(e * (1 - e), 1e-4, None))
        np.testing.assert_array_less(np.abs(pb - e), 5 * sd / np.sqrt(kb) + 1e-3)
        np.testing.assert_array_less(np.abs(pb - pa), 5 * sd * np.sqrt(1 / kb + 1 / ka) + 1e-3)
        # kept fractions agree too: both estimate the same post-selection probability
        assert abs(kb - ka) / shots < 5 * np.sqrt(0.25 / shots) * 2


def test_born_results_do_not_depend_on_batching(circuits):
    params = _params(circuits, 1)
    backend = _backend()
    assert_batch_independent(backend, circuits, params, RunConfig(shots=4096, seed=11),
                             RunConfig(shots=4096, seed=12), [slice(0, 3), slice(3, None)])


def test_structure_without_template_falls_back_to_aer_shots(circuits, monkeypatch):
    """A structure the converter cannot translate faithfully runs through AerBackend's own shots."""
    import qnlp.backends.aer_direct as direct

    monkeypatch.setattr(direct, "build_template", lambda *a, **k: None)
    params = _params(circuits, 2)
    backend = _backend()
    called = []
    monkeypatch.setattr(direct, "born_probabilities", lambda *a, **k: called.append(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        probs = backend.run(circuits, params, RunConfig(shots=20000, seed=0))
    assert not called
    exact = ExactBackend(device="cpu").run(circuits, params)
    for p, e, k in zip(probs, exact, backend.last_kept_shots_):
        if k >= 200:
            np.testing.assert_array_less(np.abs(p - np.asarray(e)), 5 * 0.5 / np.sqrt(k) + 1e-3)


def test_unknown_sampler_is_a_config_error():
    from qnlp.errors import ConfigError

    with pytest.raises(ConfigError, match="sampler"):
        _backend(sampler="fast")
