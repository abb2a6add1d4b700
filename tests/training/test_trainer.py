"""Training: Adam reaches the target, SPSA learns, multi-class labels work."""

import numpy as np
import pytest

from qnlp.estimators import QuantumTextClassifier
from qnlp.training.optimizers import SPSAOptimizer


def test_spsa_minimises_a_quadratic():
    opt = SPSAOptimizer(a=0.2, c=0.1, rng=np.random.default_rng(0))
    x = np.array([1.0, -2.0, 0.5])
    f = lambda v: float(((v - 0.3) ** 2).sum())  # noqa: E731
    start = f(x)
    for _ in range(300):
        x, _ = opt.step(x, f)
    assert f(x) < 0.01 * start


def test_spsa_training_improves_mc(mc):
    clf = QuantumTextClassifier(parser="cups", optimizer="spsa", epochs=60, learning_rate=0.2, random_state=0)
    clf.fit(mc.train.texts, mc.train.labels)
    losses = [e.loss for e in clf.history_.epochs]
    assert np.mean(losses[-10:]) < np.mean(losses[:10])


def test_multiclass_labels_use_more_sentence_qubits():
    texts = ["man cooks meal .", "woman cooks dinner .", "man runs program .", "woman debugs software .",
             "dog chases cat .", "cat chases mouse ."] * 3
    labels = ["food", "food", "it", "it", "animal", "animal"] * 3
    clf = QuantumTextClassifier(parser="cups", epochs=80, random_state=0).fit(texts, labels)
    assert list(clf.classes_) == ["animal", "food", "it"]
    assert clf.ansatz_.ob_map["s"] == 2
    proba = clf.predict_proba(texts[:6])
    assert proba.shape == (6, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert clf.score(texts, labels) >= 0.8


def test_history_and_determinism(mc):
    a = QuantumTextClassifier(parser="cups", epochs=10, random_state=3).fit(mc.train.texts, mc.train.labels)
    b = QuantumTextClassifier(parser="cups", epochs=10, random_state=3).fit(mc.train.texts, mc.train.labels)
    np.testing.assert_array_equal(a.model_.weights, b.model_.weights)
    assert len(a.history_.epochs) == 10 and a.n_iter_ == 10


def test_validation_accuracy_is_logged(mc):
    clf = QuantumTextClassifier(parser="cups", epochs=5, random_state=0)
    clf.fit(mc.train.texts, mc.train.labels, X_val=mc.dev.texts, y_val=mc.dev.labels)
    assert all(0.0 <= e.val_accuracy <= 1.0 for e in clf.history_.epochs)


@pytest.mark.parametrize("kwargs", [{"epochs": -1}, {"optimizer": "sgd"}, {"unk_rate": 1.5}])
def test_bad_trainer_settings(mc, kwargs):
    from qnlp.errors import ConfigError

    with pytest.raises(ConfigError):
        QuantumTextClassifier(parser="cups", **kwargs).fit(mc.train.texts[:6], mc.train.labels[:6])
