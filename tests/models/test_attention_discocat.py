"""The DisCoCat sentence as an extra attention token."""

import numpy as np
import pytest

from tests.models.toy import on_backend  # noqa: E402
import torch

from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary, discocat_angles
from qnlp.models.attention.states import prepare_states

from tests.models.toy import FOOD_IT_X as TOY_X, FOOD_IT_Y as TOY_Y  # noqa: E402


@pytest.mark.parametrize("d,layers", [(1, 1), (2, 2), (3, 1), (4, 2)])
def test_discocat_token_state_encodes_class_probabilities(d, layers):
    p = torch.tensor([[0.3, 0.7], [1.0, 0.0], [0.5, 0.5]])
    states = prepare_states(discocat_angles(p, layers, d), dtype=torch.complex128)
    probs = (states.abs() ** 2).numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-9)
    np.testing.assert_allclose(probs[:, 0], p[:, 0].numpy(), atol=1e-6)  # sqrt(p0)|0...0>
    support = np.flatnonzero(probs[0] > 1e-9)
    assert len(support) == 2 and support[0] == 0  # + sqrt(p1)|x>, one fixed basis state x
    np.testing.assert_allclose(probs[2, support], [0.5, 0.5], atol=1e-6)


def test_model_prepends_the_token_and_needs_probabilities():
    from qnlp.errors import ConfigError

    vocab = Vocabulary.build([t.split() for t in TOY_X])
    model = QuantumAttentionModel(vocab, 2, n_qubits=2, n_layers=1, discocat_token=True,
                                  generator=torch.Generator().manual_seed(0))
    ids, mask = vocab.encode([t.split() for t in TOY_X[:3]])
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    from qnlp.models.attention.batch import TokenBatch

    logits, weights = model(TokenBatch(ids, mask, vocab.words, discocat_probs=probs), return_weights=True)
    assert weights[0].shape == (3, ids.shape[1] + 1, ids.shape[1] + 1)
    other, _ = model(TokenBatch(ids, mask, vocab.words, discocat_probs=probs.flip(1)), return_weights=True)
    assert not torch.allclose(logits, other)  # the token's content reaches the logits
    with pytest.raises(ConfigError, match="discocat_probs"):
        model(TokenBatch(ids, mask, vocab.words))


def test_estimator_trains_discocat_first_and_round_trips(tmp_path):
    pytest.importorskip("lambeq")
    from qnlp.errors import ConfigError
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(discocat_token=True, n_qubits=2, n_layers=1, epochs=30,
                                     batch_size=None, learning_rate=0.1, random_state=0).fit(TOY_X, TOY_Y)
    assert clf.discocat_.score(TOY_X, TOY_Y) == 1.0
    assert clf.score(TOY_X, TOY_Y) == 1.0
    p = clf.predict_proba(TOY_X)
    again = QuantumAttentionClassifier.load(clf.save(tmp_path / "m"))
    assert (tmp_path / "m" / "discocat" / "config.json").is_file()
    np.testing.assert_allclose(again.predict_proba(TOY_X), p, atol=1e-6)
    pytest.importorskip("pytket.extensions.qiskit")
    # the token is prepared by the word-token circuit family, so it runs through pytket too
    np.testing.assert_allclose(on_backend(clf, "aer-state").predict_proba(TOY_X[:3]), p[:3], atol=1e-5)
    # and so do the DisCoCat sentence circuits: on shots their probabilities are estimates
    from qnlp.models.attention.evaluators import BackendEvaluator

    evaluator = BackendEvaluator("aer", shots=4000, seed=0)
    est = clf._discocat_on_backend(TOY_X, evaluator).numpy()
    exact = clf.discocat_.predict_proba(TOY_X)
    assert np.abs(est - exact).max() > 0  # sampled, not copied
    kept = evaluator.backend.last_kept_shots_[:, None]  # shots left after post-selection
    assert len(kept) == len(TOY_X)
    # no shot survived post-selection: the documented uniform fallback; else within shot noise
    np.testing.assert_array_equal(est[kept[:, 0] == 0], 0.5)
    sigma = np.sqrt(np.maximum(exact * (1 - exact), 1.0 / np.maximum(kept, 1)) / np.maximum(kept, 1))
    ok = kept[:, 0] > 0
    assert np.all(np.abs(est - exact)[ok] <= 5 * sigma[ok])
    with pytest.raises(ConfigError, match="shots"):
        on_backend(clf, None, shots=100).predict_proba(TOY_X[:1])


def test_explain_labels_the_discocat_token():
    pytest.importorskip("lambeq")
    from qnlp.estimators.attention import QuantumAttentionClassifier
    from qnlp.models.attention.explain import DISCOCAT_TOKEN

    clf = QuantumAttentionClassifier(discocat_token=True, n_qubits=2, n_layers=1, epochs=5,
                                     batch_size=None, random_state=0).fit(TOY_X, TOY_Y)
    ex = clf.explain("man cooks tasty sauce")
    assert ex.tokens == [DISCOCAT_TOKEN, "man", "cooks", "tasty", "sauce"]
    np.testing.assert_allclose(ex.weights.sum(-1), 1.0, atol=1e-6)


def test_out_of_fold_discocat_outputs_come_from_held_out_models():
    pytest.importorskip("lambeq")
    from qnlp.estimators.attention import QuantumAttentionClassifier
    from qnlp.estimators.classifier import QuantumTextClassifier

    clf = QuantumAttentionClassifier(discocat_token=True, discocat_folds=2, n_qubits=2, n_layers=1,
                                     epochs=2, batch_size=None, random_state=0)
    clf.discocat_ = QuantumTextClassifier(random_state=0).fit(TOY_X, TOY_Y)
    oof = clf._out_of_fold(TOY_X, TOY_Y)
    assert oof.shape == (8, 2)
    np.testing.assert_allclose(oof.sum(1), 1.0, atol=1e-9)
    in_sample = clf.discocat_.predict_proba(TOY_X)
    # held-out predictions are no more confident than the in-sample ones of the full model
    assert np.abs(oof - 0.5).mean() <= np.abs(in_sample - 0.5).mean() + 1e-9
    assert not np.allclose(oof, in_sample)
    # too few examples per class for 2 folds: in-sample outputs are used instead
    assert clf._out_of_fold(TOY_X[:5], ["a", "b", "b", "b", "b"]) is None
