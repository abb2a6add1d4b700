"""lambeq tensor-network baseline: a toy set trains to 100%, unknown words still get a prediction."""

import numpy as np
import pytest

pytest.importorskip("lambeq")
pytest.importorskip("tensornetwork")


def _diagrams(spec):
    """Hand-built diagrams ``adj noun`` (output n) from (adjective, noun) pairs."""
    from lambeq.backend.grammar import Cup, Id, Ty, Word

    n = Ty("n")
    out = []
    for adj, noun in spec:
        d = Word(adj, n @ n.l) @ Word(noun, n) >> Id(n) @ Cup(n.l, n)
        out.append(d)
    return out


TOY = [("red", "apple"), ("green", "apple"), ("red", "car"), ("green", "car")]
LABELS = ["fruit", "fruit", "vehicle", "vehicle"]


@pytest.mark.parametrize("ansatz", ["spider", "tensor"])
def test_toy_set_trains_to_full_train_accuracy(ansatz):
    from qnlp.bench.tensor_baseline import TensorNetworkClassifier

    clf = TensorNetworkClassifier(ansatz=ansatz, epochs=15, learning_rate=0.2, batch_size=4, seed=0)
    clf.fit(_diagrams(TOY), LABELS)
    assert clf.predict(_diagrams(TOY)) == LABELS
    assert clf.n_parameters_ > 0 and clf.loss_history_[-1] < clf.loss_history_[0]


def test_unknown_words_get_a_prediction_and_rngs_are_untouched():
    import random

    import torch

    from qnlp.bench.tensor_baseline import UNK, TensorNetworkClassifier, map_words

    random.seed(123)
    torch.manual_seed(123)
    before = (random.random(), torch.rand(1).item())
    random.seed(123)
    torch.manual_seed(123)
    clf = TensorNetworkClassifier(ansatz="tensor", epochs=5, batch_size=4, seed=0)
    clf.fit(_diagrams(TOY), LABELS)
    assert (random.random(), torch.rand(1).item()) == before
    unseen = _diagrams([("blue", "apple"), ("blue", "banana")])
    assert clf.unknown_words(unseen) == 3
    assert [b.name for b in map_words(unseen[1], clf.vocabulary_).boxes[:2]] == [UNK, UNK]
    scores = clf.decision_function(unseen)
    assert scores.shape == (2, 2) and np.isfinite(scores).all()
    assert set(clf.predict(unseen)) <= set(LABELS)


def test_seeded_fits_are_reproducible():
    from qnlp.bench.tensor_baseline import TensorNetworkClassifier

    a = TensorNetworkClassifier(ansatz="spider", epochs=3, batch_size=2, seed=1).fit(_diagrams(TOY), LABELS)
    b = TensorNetworkClassifier(ansatz="spider", epochs=3, batch_size=2, seed=1).fit(_diagrams(TOY), LABELS)
    np.testing.assert_array_equal(a.decision_function(_diagrams(TOY)), b.decision_function(_diagrams(TOY)))
