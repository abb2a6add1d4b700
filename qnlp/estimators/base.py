"""The shared base of qnlp's text classifiers: scikit-learn's contract for raw-text input.

* ``X`` is a sequence of str (a bare str is refused, as by sklearn's text vectorizers);
* labels come back as given: ``classes_`` is ``numpy.unique(y)`` of the labels themselves, so
  integer labels give integer predictions and ``score`` / ``cross_val_score`` work;
* ``__sklearn_tags__`` declare string input and a classifier;
* bad input (lengths that differ, a single class, labels unseen in training) raises
  ``ValueError`` with a one-line message.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from qnlp.text import check_texts


class TextClassifier(ClassifierMixin, BaseEstimator):
    """Base of the text classifiers (subclasses implement ``fit`` and ``predict_proba``)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags

    def _fit_labels(self, X, y) -> tuple[list[str], np.ndarray]:
        """Validated texts and integer targets; sets ``classes_``."""
        texts = check_texts(X)
        labels = _labels(y)
        if len(texts) != len(labels):
            raise ValueError(f"X has {len(texts)} texts but y has {len(labels)} labels")
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(f"need at least 2 classes, got {classes.tolist()}")
        self.classes_ = classes
        return texts, np.searchsorted(classes, labels)

    def _encode(self, y) -> np.ndarray:
        """Integer targets of labels seen in training."""
        labels = _labels(y)
        unknown = sorted(set(labels.tolist()) - set(self.classes_.tolist()), key=str)
        if unknown:
            raise ValueError(f"labels {unknown} were not seen in training; classes: {self.classes_.tolist()}")
        return np.searchsorted(self.classes_, labels)

    def _validation_split(self, targets: np.ndarray, seed: int):
        """(training indices, held-out indices or ``None``): with ``early_stopping``, a stratified
        ``validation_fraction`` of the training data is held out (as ``MLPClassifier``)."""
        everything = np.arange(len(targets))
        if not getattr(self, "early_stopping", False):
            return everything, None
        from sklearn.model_selection import train_test_split

        from qnlp.errors import ConfigError

        frac = float(self.validation_fraction)
        if not 0 < frac < 1:
            raise ConfigError(f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        try:
            train, held = train_test_split(everything, test_size=frac, stratify=targets, random_state=seed)
        except ValueError as exc:
            raise ValueError(f"early_stopping: cannot hold out {frac} of {len(targets)} examples "
                             f"stratified by class ({exc})") from None
        return np.sort(train), np.sort(held)

    def predict(self, X) -> np.ndarray:
        """Predicted labels (from ``classes_``)."""
        check_is_fitted(self, "classes_")
        return self.classes_[self.predict_proba(X).argmax(1)]


def _labels(y) -> np.ndarray:
    """Labels as a 1-D array of one kind: integers stay integers, anything else becomes str."""
    arr = np.asarray(y, dtype=object).ravel()
    if len(arr) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in arr):
        return arr.astype(np.int64)
    return np.asarray([str(v) for v in arr])


def classes_from_json(values) -> np.ndarray:
    """``classes_`` from a model folder's JSON list (integers stay integers)."""
    return _labels(values)
