"""scikit-learn compatible estimators."""

from qnlp.estimators.classifier import QuantumTextClassifier  # noqa: F401

__all__ = ["QuantumTextClassifier"]
