"""Token states from the DisCoCat model's word boxes (``source="discocat"``)."""

import numpy as np
import pytest

from tests.models.toy import on_backend  # noqa: E402
import torch

from qnlp.errors import ConfigError
from qnlp.models.attention.discocat_tokens import align_words

from tests.models.toy import FOOD_IT_X as TOY_X, FOOD_IT_Y as TOY_Y  # noqa: E402
FAST = dict(source="discocat", n_qubits=4, n_layers=1, epochs=20, batch_size=None,
            learning_rate=0.1, random_state=0)


@pytest.mark.parametrize("tokens,words,expected", [
    (["the", "food", "wasn't", "good"], ["The", "food", "was", "n't", "good"], [0, 1, 2, 4]),
    (["wow", "loved", "it"], ["Wow", "Loved", "it"], [0, 1, 2]),
    (["a", "b-c", "d"], ["a", "b", "-", "c", "d"], [0, 1, 4]),
    (["x", "y"], ["x", "z"], [0, None]),
    (["x", "y", "z"], [], [None, None, None]),
])
def test_align_words(tokens, words, expected):
    assert align_words(tokens, words) == expected


@pytest.fixture(scope="module")
def fitted():
    pytest.importorskip("lambeq")
    from qnlp.estimators.attention import QuantumAttentionClassifier

    return QuantumAttentionClassifier(**FAST).fit(TOY_X, TOY_Y)


def _reference_state(clf, word, text):
    """The word box's state from lambeq's own tensor evaluation of the ansatz circuit, with the
    attention model's (trained) parameter values: an independent reference."""
    circuit = clf.discocat_.circuits([text])[0]
    box = next(layer.box for layer in circuit.diagram.layers if layer.box.name == word)
    qbox = circuit.ansatz.lambeq_ansatz.functor(box)
    theta = clf.model_.discocat_theta.detach().numpy()
    syms = sorted(qbox.free_symbols, key=str)
    values = [theta[clf.discocat_.model_.lookup(str(s))] for s in syms]
    return np.asarray(qbox.lambdify(*syms)(*values).eval(), dtype=complex).reshape(-1)


def test_token_states_are_the_word_box_states(fitted):
    from qnlp.models.attention.evaluators import ExactEvaluator

    clf = fitted
    text = "woman cooks tasty meal"
    batch = next(clf._batches([text]))
    with torch.no_grad():
        states = ExactEvaluator().states(clf.model_.cells(batch))
    d = 2 ** clf.n_qubits
    for t, word in enumerate(text.split()):
        ref = _reference_state(clf, word, text)
        ref = ref / np.linalg.norm(ref)
        k = len(ref)
        expected = np.zeros(d, dtype=complex)
        expected[np.arange(k) * (d // k)] = ref  # the box's qubits first, then |0>
        got = states[0, t].numpy().astype(complex)
        assert abs(np.vdot(expected, got)) == pytest.approx(1.0, abs=1e-5), word  # same state
    assert int(batch.word_boxes[1][0, 1]) >= 0 and clf.discocat_coverage_ == 1.0


def test_box_parameters_get_gradients_and_learn(fitted):
    clf = fitted
    assert clf.score(TOY_X, TOY_Y) == 1.0
    start = torch.as_tensor(clf.discocat_.model_.weights)
    moved = (clf.model_.discocat_theta.detach() - start).abs()
    used = {clf.discocat_.model_.lookup(s) for c in clf.discocat_.circuits(TOY_X) for s in c.symbols}
    assert moved[sorted(used)].max() > 1e-3  # trained by the attention loss
    unused = sorted(set(range(len(start))) - used)
    assert moved[unused].max() == 0  # (twins and the neutral parameter: no gradient)


def test_save_load_and_refusals(fitted, tmp_path):
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = fitted
    texts = TOY_X[:3] + ["person cooks unseen food"]
    again = QuantumAttentionClassifier.load(clf.save(tmp_path / "m"))
    np.testing.assert_allclose(again.predict_proba(texts), clf.predict_proba(texts), atol=1e-6)
    # on a backend each word-box state is prepared from its amplitudes (StatePreparationBox)
    np.testing.assert_allclose(on_backend(clf, "aer-state").predict_proba(texts[:2]),
                               clf.predict_proba(texts[:2]), atol=1e-5)


def test_live_sentence_token_shares_theta(tmp_path):
    """With ``discocat_token`` too, the sentence token's probabilities are the DisCoCat model's,
    computed in the forward pass from the shared parameters, so both kinds of token train them."""
    pytest.importorskip("lambeq")
    from qnlp.estimators.attention import QuantumAttentionClassifier
    from qnlp.models.attention.discocat_tokens import sentence_probabilities
    from qnlp.models.discocat import DisCoCatModel

    clf = QuantumAttentionClassifier(**FAST, discocat_token=True).fit(TOY_X, TOY_Y)
    assert clf.score(TOY_X, TOY_Y) == 1.0
    batch = next(clf._batches(TOY_X))
    boxes = batch.word_boxes
    assert batch.discocat_probs is None  # nothing precomputed
    theta = clf.model_.discocat_theta.detach()
    live = sentence_probabilities(boxes, theta).numpy()
    dm = clf.discocat_.model_
    ref = DisCoCatModel(dm.symbols, theta.numpy(), dm.classes).predict_proba(clf.discocat_.circuits(TOY_X))
    np.testing.assert_allclose(live, np.clip(ref, 1e-6, 1 - 1e-6), atol=1e-6)
    again = QuantumAttentionClassifier.load(clf.save(tmp_path / "m"))
    np.testing.assert_allclose(again.predict_proba(TOY_X), clf.predict_proba(TOY_X), atol=1e-6)
