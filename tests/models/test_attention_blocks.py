"""Stacked attention blocks with residual connections."""

import numpy as np
import pytest
import torch

from qnlp.models.attention.batch import TokenBatch  # noqa: E402

from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary

from tests.models.toy import TOY_X, TOY_Y  # noqa: E402


def _models(kind="gaussian"):
    vocab = Vocabulary.build([t.split() for t in TOY_X])
    one = QuantumAttentionModel(vocab, 2, n_qubits=2, n_layers=1, head=kind,
                                generator=torch.Generator().manual_seed(0))
    two = QuantumAttentionModel(vocab, 2, n_qubits=2, n_layers=1, head=kind, n_blocks=2,
                                generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        two.word_angles.copy_(one.word_angles)
        for src, dst in zip(one.heads, two.heads):
            dst.load_state_dict(src.state_dict())
        for src, dst in zip(one.heads, two.blocks[0]):
            dst.load_state_dict(src.state_dict())
        two.readout.load_state_dict(one.readout.state_dict())
    ids, mask = vocab.encode([t.split() for t in TOY_X])
    return one, two, ids, mask, vocab.words


@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
def test_second_block_starts_as_a_copy_and_adds_its_output(kind):
    """Zero-initialised mixer: block 2 re-prepares the same states; with block 1's heads it adds
    the same features again, so the read-out sees twice the pooled features."""
    one, two, ids, mask, words = _models(kind)
    b = one.readout.bias
    l1, w1 = one(TokenBatch(ids, mask, words), return_weights=True)
    l2, w2 = two(TokenBatch(ids, mask, words), return_weights=True)
    torch.testing.assert_close(l2 - b, 2 * (l1 - b), rtol=1e-5, atol=1e-6)
    assert len(w2) == 2 and torch.allclose(w2[0], w1[0]) and torch.allclose(w2[1], w1[0], atol=1e-6)


def test_gradients_reach_the_mixer_and_second_block():
    _, two, ids, mask, words = _models()
    loss = torch.nn.functional.cross_entropy(two(TokenBatch(ids, mask, words)), torch.tensor([1] * 4 + [0] * 4))
    loss.backward()
    assert float(two.mixers[0].weight.grad.abs().sum()) > 0
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0
               for p in two.blocks[0].parameters())


def test_stacked_estimator_fits_and_runs_through_pytket():
    from qnlp.errors import ConfigError
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(n_blocks=2, n_qubits=2, n_layers=1, epochs=40, batch_size=None,
                                     learning_rate=0.1, unk_rate=0.0, random_state=0).fit(TOY_X, TOY_Y)
    assert clf.score(TOY_X, TOY_Y) == 1.0
    assert clf.circuit_depth()["blocks"] == 2
    with pytest.raises(ConfigError, match="n_blocks"):
        QuantumAttentionClassifier(n_blocks=0).fit(TOY_X, TOY_Y)
    pytest.importorskip("pytket.extensions.qiskit")
    # block 2's states are re-prepared from block 1's estimated outputs, as in forward
    with torch.no_grad():
        clf.model_.mixers[0].weight.normal_(0, 0.3, generator=torch.Generator().manual_seed(3))
    exact = clf.predict_proba(TOY_X[:3])
    np.testing.assert_allclose(clf.set_params(backend="aer-state").predict_proba(TOY_X[:3]), exact, atol=1e-5)
    probs, report = clf.set_params(backend="aer", shots=20000).predict_proba_report(TOY_X[:3])
    assert report.n_circuits > 0
    # each estimate has standard error <= 1/sqrt(shots); the small read-out keeps ~7 of them
    np.testing.assert_allclose(probs, exact, atol=7 / np.sqrt(20000))
