"""Quantum self-attention (QSANN-style) for sentence classification, with classical baselines.

* :mod:`~qnlp.models.attention.states` - batched exact statevector code for token states.
* :mod:`~qnlp.models.attention.heads` - attention heads as pure functions (``attend``).
* :mod:`~qnlp.models.attention.model` - the sentence model and its training loop.
* :mod:`~qnlp.models.attention.baselines` - TF-IDF + logistic regression, classical attention.

The scikit-learn estimators live in :mod:`qnlp.estimators.attention`.
"""

from qnlp.models.attention.heads import HEADS, AttentionHead, attend, fidelity_scores, gaussian_weights  # noqa: F401
from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary  # noqa: F401
from qnlp.models.attention.states import prepare_states  # noqa: F401
from qnlp.text import tokenize  # noqa: F401
