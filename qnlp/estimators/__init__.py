"""scikit-learn compatible estimators: every text classifier of qnlp, quantum and classical.

All share :class:`~qnlp.estimators.base.TextClassifier` (raw-text input, labels as given).
Imports are lazy, so ``import qnlp.estimators`` stays cheap.
"""

_WHERE = {
    "QuantumTextClassifier": "qnlp.estimators.classifier",
    "QuantumAttentionClassifier": "qnlp.estimators.attention",
    "ClassicalAttentionClassifier": "qnlp.estimators.attention",
    "BilingualMatcher": "qnlp.estimators.bilingual",
    "TextClassifier": "qnlp.estimators.base",
    "load_model": "qnlp.estimators.loading",
    "tfidf_logreg": "qnlp.models.attention.baselines",
    "minilm_logreg": "qnlp.models.attention.baselines",
    "minilm_tfidf_logreg": "qnlp.models.attention.baselines",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'qnlp.estimators' has no attribute {name!r}")
