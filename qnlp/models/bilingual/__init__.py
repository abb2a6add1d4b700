"""English-Spanish sentence matching: bilingual quantum sentence states, baselines and metrics.

* :mod:`~qnlp.models.bilingual.metrics` - retrieval (P@k, MRR) and pair classification metrics.
* :mod:`~qnlp.models.bilingual.evaluation` - one split prepared for scoring (:class:`MatchingTask`).
* :mod:`~qnlp.models.bilingual.baselines` - random, character TF-IDF and USE cosine scorers.
* :mod:`~qnlp.models.bilingual.model` - the bilingual quantum sentence-state model.

The scikit-learn style estimator is :class:`qnlp.estimators.bilingual.BilingualMatcher`.
"""
