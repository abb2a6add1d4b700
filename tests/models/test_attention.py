"""Quantum self-attention: pure heads, token states, estimator (all fast)."""

import numpy as np
import pytest
import torch

from qnlp.models.attention.heads import (
    AttentionHead,
    attend,
    fidelity_scores,
    gaussian_weights,
    masked_softmax,
)
from qnlp.models.attention.evaluators import position_phases as _phases
from qnlp.models.attention.states import (
    apply_entangler,
    circuit_depth,
    circuit_unitary,
    pauli_expectations,
    prepare_states,
    z_expectation,
)
from qnlp.text import tokenize

from tests.models.toy import TOY_X, TOY_Y  # noqa: E402


def position_phases(n, freq):
    return _phases(torch.arange(n, dtype=torch.float32), freq)


def _random_states(b, t, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    return prepare_states(torch.rand(b * t, 2, d, 2, generator=g) * 6.3).reshape(b, t, 2 ** d)


# -- numpy reference simulator -------------------------------------------------------------------
def _np_layer_unitary(angles):
    """Reference: kron of RZ(b) RY(a) per qubit, then CNOT ring, as explicit matrices."""
    d = angles.shape[0]

    def ry(a):
        return np.array([[np.cos(a / 2), -np.sin(a / 2)], [np.sin(a / 2), np.cos(a / 2)]])

    def rz(b):
        return np.diag([np.exp(-0.5j * b), np.exp(0.5j * b)])

    u = np.ones((1, 1))
    for q in range(d):
        u = np.kron(u, rz(angles[q, 1]) @ ry(angles[q, 0]))
    pairs = [(0, 1)] if d == 2 else [(q, (q + 1) % d) for q in range(d)] if d > 2 else []
    for c, t in pairs:
        cnot = np.zeros((2 ** d, 2 ** d))
        for x in range(2 ** d):
            y = x ^ (1 << (d - 1 - t)) if (x >> (d - 1 - c)) & 1 else x
            cnot[y, x] = 1
        u = cnot @ u
    return u


@pytest.mark.parametrize("d", [1, 2, 3])
def test_states_match_numpy_reference(d):
    g = torch.Generator().manual_seed(d)
    angles = torch.rand(5, 2, d, 2, generator=g) * 6.3
    psi = prepare_states(angles).numpy()
    for i in range(5):
        ref = np.zeros(2 ** d, complex)
        ref[0] = 1
        for layer in range(2):
            ref = _np_layer_unitary(angles[i, layer].numpy().astype(float)) @ ref
        np.testing.assert_allclose(psi[i], ref, atol=1e-5)


def test_states_normalised_and_unitary():
    psi = _random_states(3, 4, 4)
    np.testing.assert_allclose(psi.abs().pow(2).sum(-1).numpy(), 1.0, atol=1e-5)
    u = circuit_unitary(torch.rand(2, 3, 2) * 6)
    np.testing.assert_allclose((u.conj().T @ u).numpy(), np.eye(8), atol=1e-5)
    # CZ ring is diagonal and squares to identity
    cz = apply_entangler(torch.eye(8, dtype=torch.complex64), 3, "cz")
    np.testing.assert_allclose((cz @ cz).numpy(), np.eye(8), atol=1e-6)


def test_pauli_expectations_of_basis_and_plus_states():
    zero = torch.tensor([[1, 0, 0, 0]], dtype=torch.complex64)  # |00>
    np.testing.assert_allclose(pauli_expectations(zero).numpy(), [[0, 0, 0, 0, 1, 1]], atol=1e-6)
    plus = torch.full((1, 2), 2 ** -0.5, dtype=torch.complex64)  # |+>
    np.testing.assert_allclose(pauli_expectations(plus).numpy(), [[1, 0, 0]], atol=1e-6)
    one = torch.tensor([0, 0, 1, 0], dtype=torch.complex64)  # |10>
    assert float(z_expectation(one, 0)) == -1.0 and float(z_expectation(one, 1)) == 1.0


def test_gaussian_weights_hand_computed_with_mask():
    q = torch.tensor([[0.5, -0.5, 0.0]])
    k = torch.tensor([[0.5, 0.0, 0.9]])
    mask = torch.tensor([[True, True, False]])
    w = gaussian_weights(q, k, mask)
    # row 0: scores -(0.5-0.5)^2 = 0, -(0.5-0)^2 = -0.25; third key masked
    e = np.exp([0.0, -0.25])
    np.testing.assert_allclose(w[0, 0].numpy(), [e[0] / e.sum(), e[1] / e.sum(), 0.0], atol=1e-6)
    # row 1: -(−0.5−0.5)^2 = -1, -(−0.5)^2 = -0.25
    e = np.exp([-1.0, -0.25])
    np.testing.assert_allclose(w[0, 1].numpy(), [e[0] / e.sum(), e[1] / e.sum(), 0.0], atol=1e-6)
    # a fully masked sentence gives zero weights, not NaN
    assert torch.all(masked_softmax(torch.zeros(1, 2, 2), torch.zeros(1, 2, dtype=torch.bool)) == 0)


def test_fidelity_scores_match_numpy_overlaps():
    a, b = _random_states(2, 3, 3, seed=1), _random_states(2, 3, 3, seed=2)
    got = fidelity_scores(a, b).numpy()
    an, bn = a.numpy(), b.numpy()
    for i in range(2):
        for t in range(3):
            for s in range(3):
                assert got[i, t, s] == pytest.approx(abs(np.vdot(an[i, t], bn[i, s])) ** 2, abs=1e-5)
    assert np.allclose(np.diagonal(fidelity_scores(a, a).numpy(), axis1=1, axis2=2), 1.0, atol=1e-5)


@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
def test_attend_is_pure_and_consistent(kind):
    states = _random_states(2, 4, 2)
    mask = torch.tensor([[True] * 4, [True, True, False, False]])
    head = AttentionHead(2, 1, kind, torch.Generator().manual_seed(0))
    params = {k: v.detach().clone() for k, v in head.params().items()}
    before = states.clone()
    out1, w1 = attend(states, params, mask, kind=kind)
    out2, w2 = attend(states, params, mask, kind=kind)
    assert torch.equal(out1, out2) and torch.equal(w1, w2)
    assert torch.equal(states, before)
    assert out1.shape == (2, 4, 6) and w1.shape == (2, 4, 4)
    np.testing.assert_allclose(w1.sum(-1).numpy(), 1.0, atol=1e-6)
    assert torch.all(w1[1, :, 2:] == 0)
    # outputs are convex combinations of Pauli expectations
    assert torch.all(out1.abs() <= 1 + 1e-5)
    if kind == "gaussian":  # recompute the weights by hand from <Z_0> of query/key states
        q = z_expectation(states @ circuit_unitary(params["query"]).T)
        k = z_expectation(states @ circuit_unitary(params["key"]).T)
        ref = torch.softmax(-(q[:, :, None] - k[:, None, :]) ** 2 - 1e9 * (~mask[:, None, :]), -1)
        np.testing.assert_allclose(w1.numpy(), ref.numpy(), atol=1e-6)


@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
def test_gradients_flow_to_all_parameters(kind):
    from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary

    vocab = Vocabulary.build([["a", "b", "c"]])
    model = QuantumAttentionModel(vocab, 2, n_qubits=2, n_layers=1, head=kind, positional=True,
                                  generator=torch.Generator().manual_seed(0))
    ids, mask = vocab.encode([["a", "b"], ["c", "a", "b"]])
    from qnlp.models.attention.batch import TokenBatch

    model(TokenBatch(ids, mask)).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        if not name.endswith("word_angles"):
            assert p.grad.abs().sum() > 0, name


def test_position_phases_and_depth():
    ph = position_phases(3, torch.tensor([0.3, 0.1]))
    np.testing.assert_allclose(ph.abs().numpy(), 1.0, atol=1e-6)
    np.testing.assert_allclose(ph[0].numpy(), 1.0, atol=1e-6)
    assert circuit_depth(1, 2) == 4 and circuit_depth(2, 1) == 3 and circuit_depth(3, 1) == 5


def test_tokenize():
    assert tokenize("Don't STOP, it's 5 stars!") == ["don't", "stop", "it's", "5", "stars", "!"]


# -- estimator ---------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [dict(head="gaussian"), dict(head="fidelity"),
                                    dict(source="embedding", positional=True)])
def test_classifier_learns_toy_set(params):
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=40, batch_size=None,
                                     learning_rate=0.1, unk_rate=0.0, random_state=0, **params)
    clf.fit(TOY_X, TOY_Y)
    assert list(clf.predict(TOY_X)) == TOY_Y
    proba = clf.predict_proba(["good fun", "unseenword"])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(1), 1)
    assert list(clf.classes_) == ["neg", "pos"] and len(clf.history_) == 40


def test_classical_attention_learns_toy_set():
    from qnlp.estimators.attention import ClassicalAttentionClassifier
    from qnlp.models.attention.baselines import tfidf_logreg

    clf = ClassicalAttentionClassifier(n_qubits=2, n_layers=1, epochs=60, batch_size=None,
                                       learning_rate=0.05, unk_rate=0.0).fit(TOY_X, TOY_Y)
    assert list(clf.predict(TOY_X)) == TOY_Y
    assert list(tfidf_logreg().fit(TOY_X, TOY_Y).predict(TOY_X)) == TOY_Y


def test_seeded_fit_is_reproducible():
    from qnlp.estimators.attention import QuantumAttentionClassifier

    kw = dict(n_qubits=2, n_layers=1, epochs=3, batch_size=4, random_state=3)
    a = QuantumAttentionClassifier(**kw).fit(TOY_X, TOY_Y).predict_proba(TOY_X)
    b = QuantumAttentionClassifier(**kw).fit(TOY_X, TOY_Y).predict_proba(TOY_X)
    np.testing.assert_array_equal(a, b)


def test_clone_get_params_and_errors():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    from qnlp.errors import CircuitTooLargeError, ConfigError
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(head="fidelity", n_qubits=3, random_state=7)
    c2 = clone(clf)
    assert c2.get_params() == clf.get_params() and c2 is not clf
    assert c2.set_params(n_heads=2).n_heads == 2
    with pytest.raises(TypeError):
        QuantumAttentionClassifier(4)  # keyword-only
    with pytest.raises(NotFittedError):
        clf.predict(["a"])
    with pytest.raises(ValueError, match="string object received"):
        clf.fit("good movie", ["pos"])
    with pytest.raises(ValueError):
        clf.fit(TOY_X, TOY_Y[:-1])
    with pytest.raises(ConfigError, match="gaussian"):
        QuantumAttentionClassifier(head="nope", epochs=1).fit(TOY_X, TOY_Y)
    with pytest.raises(CircuitTooLargeError):
        QuantumAttentionClassifier(n_qubits=9, epochs=1).fit(TOY_X, TOY_Y)


def test_save_load_roundtrip(tmp_path):
    from qnlp.errors import ModelFileError
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=2, positional=True).fit(TOY_X, TOY_Y)
    clf.save(tmp_path / "m")
    loaded = QuantumAttentionClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(TOY_X), clf.predict_proba(TOY_X), atol=1e-6)
    assert loaded.get_params() == clf.get_params()
    with pytest.raises(ModelFileError):
        QuantumAttentionClassifier.load(tmp_path / "missing")


def test_pickle_and_grid_search():
    import pickle

    from sklearn.model_selection import GridSearchCV

    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=2, batch_size=None).fit(TOY_X, TOY_Y)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(TOY_X), clf.predict_proba(TOY_X))
    grid = GridSearchCV(QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=2, batch_size=None),
                        {"head": ["gaussian", "fidelity"]}, cv=2).fit(TOY_X, TOY_Y)
    assert grid.best_params_["head"] in ("gaussian", "fidelity")
