"""Sentence-state fidelities through pytket agree with the exact engine (within shot noise)."""

import numpy as np
import pytest
import torch

from qnlp.models.attention.states import prepare_states
from qnlp.models.bilingual.shots import FidelityEstimator, shot_tolerance

pytestmark = pytest.mark.aer


def _exact(a, b):
    sa = prepare_states(torch.as_tensor(a), dtype=torch.complex128)
    sb = prepare_states(torch.as_tensor(b), dtype=torch.complex128)
    return ((sa.conj() * sb).sum(-1).abs() ** 2).numpy()


@pytest.fixture(scope="module")
def angles():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 2 * np.pi, (6, 2, 3, 2))
    b = a + rng.normal(0, 0.6, a.shape)  # a range of fidelities, not all near 0
    b[0] = a[0]  # fidelity exactly 1
    return a, b


def test_state_backend_gives_the_exact_fidelity(angles):
    a, b = angles
    est = FidelityEstimator("aer-state", shots=None).pairs(a, b)
    assert np.allclose(est, _exact(a, b), atol=1e-6)


@pytest.mark.parametrize("method", ["inverse", "swap"])
def test_shot_estimates_agree_within_shot_tolerance(angles, method):
    a, b = angles
    shots = 4000
    exact = _exact(a, b)
    est = FidelityEstimator("aer", shots=shots, seed=7, method=method).pairs(a, b)
    tol = shot_tolerance(exact, shots, method)
    assert np.all(np.abs(est - exact) <= tol), (est, exact, tol)
    assert exact.min() < 0.9  # the check covers fidelities away from 1 too


def test_matrix_is_all_pairs(angles):
    a, b = angles
    fid = FidelityEstimator("aer-state", shots=None)
    mat = fid.matrix(a[:2], b[:3])
    assert mat.shape == (2, 3)
    assert mat[1, 2] == pytest.approx(_exact(a[1:2], b[2:3])[0], abs=1e-6)
