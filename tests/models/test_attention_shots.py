"""Attention models run on pytket backends (qnlp.models.attention.evaluators, .circuits).

References are independent of the code under test: the torch statevector engine (states.py,
heads.py, model.forward) for translations and estimates; tolerances of shot estimates come from
the shot count (binomial standard errors), and those of probabilities from first-order error
propagation through the classical rest (torch autograd).
"""

import numpy as np
import pytest
import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.heads import fidelity_scores
from qnlp.models.attention.evaluators import position_phases as _phases
from qnlp.models.attention.states import circuit_unitary, pauli_expectations, prepare_states, z_expectation

pytest.importorskip("pytket.extensions.qiskit")
pytest.importorskip("qiskit_aer")

from qnlp.models.attention.circuits import estimate, measured_template, token_circuit  # noqa: E402
from qnlp.models.attention.evaluators import BackendEvaluator, ExactEvaluator  # noqa: E402

pytestmark = pytest.mark.aer

from tests.models.toy import TOY_X, TOY_Y  # noqa: E402
SHOTS = 8192


def position_phases(n, freq):
    return _phases(torch.arange(n, dtype=torch.float32), freq)


# -- translation -------------------------------------------------------------------------------
@pytest.mark.parametrize("entangler", ["cnot", "cz"])
@pytest.mark.parametrize("d", [1, 2, 3, 4])
def test_token_circuit_equals_exact_statevector(d, entangler):
    """pytket's statevector (ILO-BE: q[0] most significant, like states.py) equals prepare_states,
    with no global phase (pytket's Rz(a) is diag(e^{-i pi a/2}, e^{i pi a/2}), like RZ here)."""
    g = torch.Generator().manual_seed(10 * d + len(entangler))
    for _ in range(3):
        angles = torch.rand(1, 2, d, 2, generator=g) * 6.3
        psi = prepare_states(angles, entangler=entangler)[0].numpy()
        sv = token_circuit(angles[0].numpy(), entangler=entangler).get_statevector()
        np.testing.assert_allclose(sv, psi, atol=2e-6)


def test_token_circuit_with_positional_phases_and_head():
    g = torch.Generator().manual_seed(3)
    d = 4
    for t in (0, 1, 5):
        angles = torch.rand(1, 2, d, 2, generator=g) * 6.3
        freq = torch.rand(d, generator=g)
        head = torch.rand(2, d, 2, generator=g) * 6.3
        psi = (prepare_states(angles) * position_phases(t + 1, freq)[t]) @ circuit_unitary(head).T
        sv = token_circuit(angles[0].numpy(), phases=(t * freq).numpy(), head=head.numpy()).get_statevector()
        np.testing.assert_allclose(sv, psi[0].numpy(), atol=2e-6)


@pytest.mark.parametrize("kind", ["inverse", "swap"])
def test_overlap_structures_equal_exact_fidelity(kind):
    """Compute-uncompute P(0..0) and swap-test 2 P(0) - 1 both equal |<q|k>|**2 exactly."""
    d, g = 3, torch.Generator().manual_seed(7)
    template, symbols = measured_template(kind, "-", 2, d, 1, positional=True)
    read = template.n_bits
    for _ in range(3):
        w = [torch.rand(2, d, 2, generator=g) * 6.3 for _ in range(2)]
        ph = [torch.rand(d, generator=g) for _ in range(2)]
        hq, hk = torch.rand(1, d, 2, generator=g) * 6.3, torch.rand(1, d, 2, generator=g) * 6.3
        q = (prepare_states(w[0][None]) * position_phases(2, ph[0])[1]) @ circuit_unitary(hq).T
        k = (prepare_states(w[1][None]) * position_phases(2, ph[1])[1]) @ circuit_unitary(hk).T
        exact = float(fidelity_scores(q[None], k[None])[0, 0, 0])
        values = np.concatenate([w[0].numpy().ravel(), ph[0].numpy(), hq.numpy().ravel(),
                                 w[1].numpy().ravel(), ph[1].numpy(), hk.numpy().ravel()]) / np.pi
        circ = _unmeasured(template)
        circ.symbol_substitution(dict(zip(symbols, map(float, values))))
        p = np.abs(circ.get_statevector()) ** 2
        n = circ.n_qubits
        p = p.reshape((2,) * n).sum(axis=tuple(range(read, n))).reshape(-1)
        assert float(estimate(kind, p)[0]) == pytest.approx(exact, abs=1e-5)


def _unmeasured(template):
    from qnlp.backends.tket import without_measurements

    return without_measurements(template)


def test_basis_structures_give_pauli_expectations():
    d, g = 3, torch.Generator().manual_seed(11)
    w, head = torch.rand(1, 2, d, 2, generator=g) * 6.3, torch.rand(2, d, 2, generator=g) * 6.3
    psi = prepare_states(w) @ circuit_unitary(head).T
    exact = pauli_expectations(psi)[0].numpy()
    values = np.concatenate([w[0].numpy().ravel(), head.numpy().ravel()]) / np.pi
    for j, basis in enumerate("XYZ"):
        template, symbols = measured_template("basis", basis, 2, d, 2, positional=False)
        circ = _unmeasured(template)
        circ.symbol_substitution(dict(zip(symbols, map(float, values))))
        est = estimate("basis", np.abs(circ.get_statevector()) ** 2)
        np.testing.assert_allclose(est, exact[j * d:(j + 1) * d], atol=2e-6)
    assert float(z_expectation(psi)[0]) == pytest.approx(exact[2 * d], abs=1e-6)


# -- trained models ------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["gaussian", "fidelity"])
def trained(request):
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(head=request.param, n_qubits=3, n_layers=1, epochs=15,
                                     positional=True, random_state=0)
    return clf.fit(TOY_X, TOY_Y)


def test_aer_state_reproduces_exact_forward(trained):
    """Through pytket's state simulator the estimates are exact, so the whole shot pipeline
    (translation, deduplication, slot assembly, classical rest) must reproduce ``forward``."""
    exact = trained.predict_proba(TOY_X)
    via_tket = _clone(trained, backend="aer-state").predict_proba(TOY_X)
    np.testing.assert_allclose(via_tket, exact, atol=1e-5)
    batch = next(trained._batches(TOY_X))
    with torch.no_grad():  # the same forward in float64 against the state simulator: 1e-8
        ref = torch.softmax(trained.model_(batch, evaluator=ExactEvaluator(torch.complex128)), -1).numpy()
    np.testing.assert_allclose(via_tket, ref, rtol=0, atol=1e-8)


def _clone(clf, **params):
    import copy

    return copy.deepcopy(clf).set_params(**params)


def _batch(clf):
    return next(clf._batches(TOY_X))


def _estimates(clf, backend, shots, seed):
    batch = _batch(clf)
    evaluator = BackendEvaluator(backend, shots=shots, seed=seed)
    cells = clf.model_.cells(batch)
    with torch.no_grad():
        heads = evaluator.quantities(cells, clf.model_.heads)
    return heads, batch, evaluator.report


class _Given:
    """An evaluator that returns given quantities (to differentiate the classical rest)."""

    def __init__(self, quantities):
        self.q = quantities

    def quantities(self, cells, heads):
        return self.q


def _sigma(kind, exact):
    """Binomial standard error of one estimate at SHOTS shots."""
    if kind == "scores":  # P(0...0) = F
        return np.sqrt(np.clip(exact * (1 - exact), 0, None) / SHOTS)
    return np.sqrt(np.clip(1 - exact ** 2, 0, None) / SHOTS)  # <P> = 1 - 2 P(1)


@pytest.fixture(scope="module")
def runs(trained):
    """Exact estimates (pytket state simulator) and Aer estimates at SHOTS shots, once per model."""
    exact, mask, _ = _estimates(trained, "aer-state", None, None)
    shots, _, report = _estimates(trained, "aer", SHOTS, 1)
    return exact, shots, mask, report


def test_shot_estimates_within_five_standard_errors(runs):
    exact, shots, _, report = runs
    assert report.n_unique < report.n_circuits  # repeated words are run once
    for e, s in zip(exact, shots):
        for name, ref in e.items():
            ref, est = ref.numpy(), s[name].numpy()
            tol = 5 * _sigma("scores" if name == "scores" else "pauli", ref) + 1e-6
            assert np.all(np.abs(est - ref) <= tol), (name, np.abs(est - ref).max())


def test_probabilities_within_propagated_shot_noise(trained, runs):
    """|p_shots - p_exact| <= 5 * sum_i |dp/de_i| sigma_i: a bound on the standard deviation of
    the first-order error that holds under any correlation between estimates (a word shared by
    several slots has one estimate)."""
    exact, shots, batch, _ = runs
    leaves = [{k: v.clone().requires_grad_(True) for k, v in e.items()} for e in exact]
    probs = torch.softmax(trained.model_(batch, evaluator=_Given(leaves)), -1)[:, 0]
    bound = np.zeros(len(TOY_X))
    flat = [(v, _sigma(k, v.detach().numpy())) for e in leaves for k, v in e.items()]
    for i in range(len(TOY_X)):
        grads = torch.autograd.grad(probs[i], [v for v, _ in flat], retain_graph=True, allow_unused=True)
        bound[i] = sum(float((g.abs().double() * torch.as_tensor(s)).sum())
                       for g, (_, s) in zip(grads, flat) if g is not None)
    p_exact = trained.predict_proba(TOY_X)[:, 0]
    with torch.no_grad():
        p_shots = torch.softmax(trained.model_(batch, evaluator=_Given(shots)), -1)[:, 0].numpy()
    assert np.all(np.abs(p_shots - p_exact) <= 5 * bound + 1e-6), (np.abs(p_shots - p_exact), bound)


def test_same_seed_same_result_regardless_of_batching(trained):
    on_aer = _clone(trained, backend="aer", shots=200, random_state=5)
    whole = on_aer.predict_proba(TOY_X)
    split = np.concatenate([on_aer.predict_proba(TOY_X[:3]), on_aer.predict_proba(TOY_X[3:][::-1])[::-1]])
    # identical estimates; the float64 classical rest then differs by rounding only (padding
    # widths differ), while one differing estimate would move p by ~1/sqrt(shots)
    np.testing.assert_allclose(whole, split, rtol=0, atol=1e-12)
    other = _clone(on_aer, random_state=6).predict_proba(TOY_X)
    assert np.abs(whole - other).max() > 1e-4
    labels = on_aer.predict(TOY_X)
    np.testing.assert_array_equal(labels, trained.classes_[whole.argmax(1)])


def test_errors(trained):
    with pytest.raises(ConfigError, match="shot backend"):
        _clone(trained, shots=100).predict_proba(TOY_X)
    with pytest.raises(ConfigError, match="shot count"):
        _clone(trained, backend="aer").predict_proba(TOY_X)
    with pytest.raises(ConfigError, match="does not run pytket circuits"):
        BackendEvaluator("exact", shots=100)
    with pytest.raises(ConfigError, match="unknown backend"):
        _clone(trained, backend="no-such-backend", shots=100).predict_proba(TOY_X)
    with pytest.raises(ConfigError, match="shots must be"):
        _clone(trained, backend="aer", shots=0).predict_proba(TOY_X)
    with pytest.raises(ConfigError, match="fidelity_method"):
        _clone(trained, backend="aer", shots=10, fidelity_method="hadamard").predict_proba(TOY_X)
