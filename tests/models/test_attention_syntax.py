"""Syntax-aware attention: tree distances, token alignment, the score penalty, the estimator."""

import numpy as np
import pytest

from tests.models.toy import on_backend  # noqa: E402
import torch

from qnlp.models.attention.heads import AttentionHead, attend, gaussian_weights
from qnlp.text import token_spans as spans
from qnlp.models.attention.syntax import SyntaxDistances, tree_distances

from tests.models.toy import TOY_X, TOY_Y  # noqa: E402


def test_tree_distances_hand_computed():
    # 0 <- 1 -> 2 -> 3 ; second sentence: 5 -> 4 (roots 1 and 5 joined by a virtual root)
    d = tree_distances([1, -1, 1, 2, 5, 5])
    assert d[0, 3] == 3 and d[3, 0] == 3
    assert d[0, 2] == 2 and d[1, 1] == 0
    assert d[1, 5] == 2 and d[0, 4] == 1 + 2 + 1
    assert np.array_equal(d, d.T)


def test_spans_follow_tokenize():
    from qnlp.text import tokenize

    text = "It's GREAT!! 10/10"
    assert [text.lower()[a:b] for a, b in spans(text)] == tokenize(text)


class _Tok:
    def __init__(self, i, idx, text, head):
        self.i, self.idx, self.text, self._head = i, idx, text, head

    @property
    def head(self):
        return self._doc[self._head]


class _FakeParser:
    """A parser stub with fixed trees, so alignment is tested without the spaCy model."""

    batch_size = 8

    def __init__(self, trees):
        self.trees = trees

    @property
    def nlp(self):
        return self

    def pipe(self, texts, batch_size):
        for text in texts:
            words, heads = self.trees[text]
            doc, pos = [], 0
            for i, (w, h) in enumerate(zip(words, heads)):
                pos = text.index(w, pos)
                doc.append(_Tok(i, pos, w, i if h < 0 else h))
                pos += len(w)
            for t in doc:
                t._doc = doc
            yield doc


def test_alignment_by_character_offsets():
    # spaCy splits "can't" into "ca" + "n't" and keeps "." ; our tokens: "man", "can't", "run", "!"
    text = "man can't run !"
    parser = _FakeParser({text: (["man", "ca", "n't", "run", "!"], [3, 3, 3, -1, 3])})
    sd = SyntaxDistances([text], parser=parser)
    m = sd.matrices[0]
    assert m.shape == (4, 4)
    # man -> run (1), "can't" aligned to "ca" -> run (1): man to can't = 2; "!" -> run (1)
    assert m[0, 1] == 2 and m[0, 2] == 1 and m[1, 2] == 1 and m[3, 2] == 1 and m[0, 3] == 2
    batch = sd.batch([0], 6)
    assert batch.shape == (1, 6, 6) and float(batch[0, 4:].abs().sum()) == 0
    assert torch.equal(batch[0, :4, :4], torch.as_tensor(m, dtype=torch.float32))


def test_bias_penalises_distant_tokens():
    q = torch.tensor([[0.2, -0.1, 0.5]])
    k = torch.tensor([[0.0, 0.3, -0.4]])
    dist = torch.tensor([[[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]])
    plain = gaussian_weights(q, k)
    biased = gaussian_weights(q, k, bias=0.7 * dist)
    expected = torch.softmax(-(q[0, :, None] - k[0, None, :]) ** 2 - 0.7 * dist[0], -1)
    torch.testing.assert_close(biased[0], expected)
    assert not torch.allclose(plain, biased)
    # a huge penalty leaves each token attending to itself (distance 0) only
    self_only = gaussian_weights(q, k, bias=1e4 * dist)
    torch.testing.assert_close(self_only[0], torch.eye(3))


@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
def test_head_beta_is_trained_and_zero_distance_is_plain_attention(kind):
    g = torch.Generator().manual_seed(0)
    head = AttentionHead(2, 1, kind, g, syntax=True)
    states = torch.nn.functional.normalize(torch.randn(2, 3, 4, dtype=torch.complex64, generator=g), dim=-1)
    mask = torch.ones(2, 3, dtype=torch.bool)
    zero = torch.zeros(2, 3, 3)
    out0, w0 = head(states, mask, zero)
    ref, wref = attend(states, head.params(), mask, kind=kind)
    torch.testing.assert_close(w0, wref)
    dist = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]]).expand(2, 3, 3)
    out, _ = head(states, mask, dist)
    out.abs().sum().backward()
    assert head.syntax_beta.grad is not None and float(head.syntax_beta.grad.abs()) > 0
    assert abs(float(torch.nn.functional.softplus(head.syntax_beta.detach())) - 0.5) < 1e-6


def test_estimator_with_syntax_fits_saves_and_needs_distances(tmp_path):
    from qnlp.errors import ConfigError
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(syntax=True, n_qubits=2, n_layers=1, epochs=40, batch_size=None,
                                     learning_rate=0.1, unk_rate=0.0, random_state=0)
    clf.fit(TOY_X, TOY_Y)
    assert clf.score(TOY_X, TOY_Y) == 1.0
    assert all(hasattr(h, "syntax_beta") for h in clf.model_.heads)
    p = clf.predict_proba(TOY_X)
    again = QuantumAttentionClassifier.load(clf.save(tmp_path / "m"))
    np.testing.assert_allclose(again.predict_proba(TOY_X), p, atol=1e-6)
    from qnlp.models.attention.batch import TokenBatch

    ids, mask, words = clf._encoded(clf._tokens(TOY_X[:2]))
    with pytest.raises(ConfigError, match="distances"):
        clf.model_(TokenBatch(ids, mask, words))


def test_syntax_shots_on_exact_state_backend_equal_exact():
    pytest.importorskip("pytket.extensions.qiskit")
    from qnlp.estimators.attention import QuantumAttentionClassifier

    clf = QuantumAttentionClassifier(syntax=True, n_qubits=2, n_layers=1, epochs=20, batch_size=None,
                                     learning_rate=0.1, random_state=1).fit(TOY_X, TOY_Y)
    exact = clf.predict_proba(TOY_X[:3])
    state = on_backend(clf, "aer-state").predict_proba(TOY_X[:3])
    np.testing.assert_allclose(state, exact, atol=1e-5)
