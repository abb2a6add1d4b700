"""scikit-learn conformance of QuantumTextClassifier (text input: checks called one by one)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_get_params_invariance, check_no_attributes_set_in_init

from qnlp.estimators import QuantumTextClassifier


def test_init_stores_params_untouched():
    est = QuantumTextClassifier(epochs=3, rewrite=("determiner",))
    check_no_attributes_set_in_init("QuantumTextClassifier", est)
    check_get_params_invariance("QuantumTextClassifier", est)
    assert clone(est).get_params() == est.get_params()


def test_not_fitted_error():
    with pytest.raises(NotFittedError):
        QuantumTextClassifier().predict(["man runs program ."])


def test_bare_string_is_rejected(mc):
    with pytest.raises(ValueError, match="string object received"):
        QuantumTextClassifier(parser="cups", epochs=1).fit("man runs program .", ["1"])


def test_mismatched_lengths(mc):
    with pytest.raises(ValueError, match="labels"):
        QuantumTextClassifier(parser="cups", epochs=1).fit(mc.train.texts[:4], mc.train.labels[:3])


def test_pickle_roundtrip(trained_mc, mc):
    clf, _ = trained_mc
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(mc.test.texts[:5]), clf.predict_proba(mc.test.texts[:5]))


def test_pipeline_and_grid_search(mc):
    pipe = Pipeline([("lower", FunctionTransformer(lambda xs: [x.lower() for x in xs])),
                     ("clf", QuantumTextClassifier(parser="cups", epochs=30))])
    grid = GridSearchCV(pipe, {"clf__learning_rate": [0.02, 0.1]}, cv=2)
    grid.fit(mc.train.texts, mc.train.labels)
    assert grid.best_params_["clf__learning_rate"] in (0.02, 0.1)
    assert grid.score(mc.test.texts, mc.test.labels) >= 0.8


def test_a_training_text_that_cannot_be_parsed_is_left_out_with_a_warning(mc):
    import warnings

    import pytest

    from qnlp.errors import ParseError
    from qnlp.estimators import QuantumTextClassifier

    long = " ".join(["word"] * 70)  # over the 64-token limit
    texts, labels = list(mc.train.texts[:20]) + [long], list(mc.train.labels[:20]) + [mc.train.labels[0]]
    with pytest.warns(UserWarning, match=r"1 of 21 training texts .* \(text 20: sentence has 70 tokens"):
        clf = QuantumTextClassifier(parser="cups", epochs=5).fit(texts, labels)
    assert clf.skipped_count_ == 1
    assert clf.predict_proba(mc.train.texts[:20]).shape == (20, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ParseError, match="70 tokens"):
            QuantumTextClassifier(parser="cups", epochs=5).fit([long, long + " more"], ["a", "b"])
