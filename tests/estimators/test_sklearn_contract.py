"""The text classifiers on scikit-learn's contract: labels as given, clone, Pipeline,
GridSearchCV over random_state, cross_val_score, pickling, set_params(backend=...), bad input."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from qnlp.estimators import (ClassicalAttentionClassifier, QuantumAttentionClassifier,
                             QuantumTextClassifier)
from tests.models.toy import TOY_X, TOY_Y

X = TOY_X * 2
Y_STR = TOY_Y * 2
Y_INT = [int(y == "pos") for y in Y_STR]

FACTORIES = {
    "quantum-attention": lambda: QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=15,
                                                            batch_size=None, learning_rate=0.1),
    "classical-attention": lambda: ClassicalAttentionClassifier(epochs=15, batch_size=None, learning_rate=0.05),
    "discocat": lambda: QuantumTextClassifier(parser="cups", epochs=20),
}


@pytest.fixture(params=list(FACTORIES))
def make(request):
    return FACTORIES[request.param]


@pytest.mark.parametrize("labels", [Y_INT, Y_STR], ids=["int", "str"])
def test_labels_come_back_as_given(make, labels):
    clf = make().fit(X, labels)
    assert clf.classes_.tolist() == sorted(set(labels))
    pred = clf.predict(X)
    assert type(pred[0].item() if hasattr(pred[0], "item") else pred[0]) is type(labels[0])
    assert 0.0 <= clf.score(X, labels) <= 1.0
    scores = cross_val_score(make(), X, labels, cv=2)
    assert np.all(np.isfinite(scores)), scores


@pytest.mark.parametrize("labels", [Y_INT, Y_STR], ids=["int", "str"])
def test_saved_models_keep_the_label_type(make, labels, tmp_path):
    clf = make().fit(X, labels)
    clf.save(tmp_path / "m")
    again = type(clf).load(tmp_path / "m")
    assert again.classes_.tolist() == clf.classes_.tolist()
    assert again.predict(X).tolist() == clf.predict(X).tolist()


def test_clone_pipeline_grid_search_and_pickle(make):
    est = make()
    assert clone(est).get_params() == est.get_params()
    pipe = Pipeline([("strip", FunctionTransformer(lambda t: [s.strip() for s in t])), ("clf", make())])
    assert pipe.fit(X, Y_INT).score(X, Y_INT) >= 0.5
    grid = GridSearchCV(make(), {"random_state": [0, 1]}, cv=2).fit(X, Y_STR)
    assert grid.best_params_["random_state"] in (0, 1)
    fitted = make().fit(X, Y_STR)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(again.predict_proba(X), fitted.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("bad, match", [
    ((X, Y_STR[:-1]), "texts but y has"),
    ((X, ["pos"] * len(X)), "at least 2 classes"),
    (([1, 2, 3], [0, 1, 0]), "expected str documents"),
    (("one text", [0]), "raw text documents expected"),
])
def test_bad_input_is_a_one_line_value_error(make, bad, match):
    with pytest.raises(ValueError, match=match) as info:
        make().fit(*bad)
    assert "\n" not in str(info.value)


def test_unknown_parameter_is_refused(make):
    with pytest.raises(ValueError, match="Invalid parameter"):
        make().set_params(no_such_parameter=1)


def test_tags_declare_string_input(make):
    tags = make().__sklearn_tags__()
    assert tags.input_tags.string and not tags.input_tags.two_d_array
    assert tags.estimator_type == "classifier"


def test_applicable_estimator_checks(make):
    """The data-free checks of sklearn.utils.estimator_checks (the others feed numeric arrays,
    which text estimators refuse by design)."""
    from sklearn.utils import estimator_checks as ec

    est = make()
    name = type(est).__name__
    ec.check_no_attributes_set_in_init(name, est)
    ec.check_parameters_default_constructible(name, est)
    ec.check_get_params_invariance(name, est)
    ec.check_set_params(name, est)


@pytest.mark.aer
def test_backend_and_shots_are_parameters():
    pytest.importorskip("pytket.extensions.qiskit")
    clf = FACTORIES["quantum-attention"]().fit(X, Y_INT)
    exact = clf.predict_proba(X)
    on_aer = clf.set_params(backend="aer", shots=8192).predict_proba(X)
    assert np.abs(on_aer - exact).max() < 0.1
    assert clf.set_params(backend=None, shots=None).predict(X).tolist() == clf.classes_[exact.argmax(1)].tolist()


def test_discocat_early_stopping_and_warm_start():
    clf = QuantumTextClassifier(parser="cups", epochs=60, early_stopping=True, validation_fraction=0.25,
                                n_iter_no_change=3).fit(X * 2, Y_STR * 2)
    assert len(clf.validation_scores_) == len(clf.loss_curve_) == clf.n_iter_ < 60
    warm = QuantumTextClassifier(parser="cups", epochs=5, warm_start=True).fit(X, Y_STR)
    theta = warm.model_.weights.copy()
    warm.set_params(epochs=0).fit(X, Y_STR)  # no steps: the parameters are carried over unchanged
    np.testing.assert_array_equal(warm.model_.weights, theta)
    with pytest.raises(ValueError, match="classes changed"):
        warm.fit(X, Y_INT)


def test_early_stopping_and_warm_start():
    clf = QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=50, batch_size=None, learning_rate=0.1,
                                     early_stopping=True, validation_fraction=0.25, n_iter_no_change=3)
    clf.fit(X * 2, Y_STR * 2)
    assert len(clf.validation_scores_) == len(clf.loss_curve_) == clf.n_iter_
    assert clf.n_iter_ <= 50
    warm = QuantumAttentionClassifier(n_qubits=2, n_layers=1, epochs=5, batch_size=None,
                                      learning_rate=0.1, warm_start=True).fit(X, Y_STR)
    first = warm.loss_curve_[-1]
    warm.fit(X, Y_STR)
    assert len(warm.loss_curve_) == 10 and warm.loss_curve_[5] <= first + 1e-6
