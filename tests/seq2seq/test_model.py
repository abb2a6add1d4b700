"""Quantum and classical attention stacks of the encoder-decoder: shapes, masks, evaluators."""

import numpy as np
import pytest
import torch

from qnlp.models.seq2seq.model import (ClassicalStack, QuantumStack, build_model, causal_mask, matched_embed_dim,
                                       n_parameters)

N_SRC, N_TGT = 12, 15


def _model(attention, **kw):
    return build_model(attention, N_SRC, N_TGT, n_qubits=kw.pop("n_qubits", 3), n_layers=kw.pop("n_layers", 1),
                       n_heads=kw.pop("n_heads", 2), hidden=16, generator=torch.Generator().manual_seed(1), **kw)


def _batch():
    src = torch.tensor([[8, 9, 10, 0], [11, 8, 9, 10]])
    tgt = torch.tensor([[2, 8, 9, 0, 0], [2, 10, 11, 12, 13]])
    return src, src != 0, tgt, tgt != 0


def _randomise(model):
    with torch.no_grad():  # mixers start at zero; make every path matter in the tests
        for name, p in model.named_parameters():
            if "mixers" in name:
                p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(len(name))) * 0.3)


@pytest.mark.parametrize("attention", ["quantum", "classical"])
def test_shapes_and_weights(attention):
    model = _model(attention)
    _randomise(model)
    src, sm, tgt, tm = _batch()
    memory = model.encode(src, sm)
    logits, cross = model.decode(memory, tgt, tm, return_weights=True)
    assert logits.shape == (2, 5, N_TGT)
    assert cross.shape == (2, 5, 4)  # (B, T, S): queries from the target, keys from the source
    assert torch.allclose(cross.sum(-1), torch.ones(2, 5), atol=1e-5)
    assert float(cross[0, :, 3].abs().max()) == 0.0  # padded source token gets no weight
    reps = model.stack.embed("target", tgt, tm)
    _, weights, _ = model.stack.attend("decoder", reps, None, causal_mask(tm), None)
    for w in weights:  # causal: future tokens get exactly zero weight
        assert w.shape == (2, 5, 5)
        assert float(torch.triu(w, diagonal=1).abs().max()) == 0.0
        assert torch.allclose(w[1].sum(-1), torch.ones(5), atol=1e-5)


@pytest.mark.parametrize("attention", ["quantum", "classical"])
def test_future_tokens_do_not_change_earlier_logits(attention):
    model = _model(attention, lexical_dim=4)
    _randomise(model)
    src, sm, tgt, tm = _batch()
    memory = model.encode(src, sm)
    a = model.decode(memory, tgt, tm)
    changed = tgt.clone()
    changed[1, 3:] = torch.tensor([8, 9])
    b = model.decode(memory, changed, tm)
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6)
    assert not torch.allclose(a[1, 3:], b[1, 3:], atol=1e-4)


def test_padding_of_the_source_does_not_change_outputs():
    model = _model("quantum", lexical_dim=4)
    _randomise(model)
    src, sm, tgt, tm = _batch()
    one = model.decode(model.encode(src[:1, :3], sm[:1, :3]), tgt[:1], tm[:1])
    padded = model.decode(model.encode(src, sm), tgt, tm)[:1]
    assert torch.allclose(one, padded, atol=1e-5)


def test_classical_twin_has_matched_parameter_count():
    quantum = build_model("quantum", 500, 700, n_qubits=4, n_layers=2, n_heads=2, hidden=128,
                          lexical_dim=16, generator=torch.Generator())
    classical = build_model("classical", 500, 700, n_qubits=4, n_layers=2, n_heads=2, hidden=128,
                            lexical_dim=16, generator=torch.Generator())
    nq, nc = n_parameters(quantum), n_parameters(classical)
    assert abs(nq - nc) / nq < 0.01
    assert isinstance(quantum.stack, QuantumStack) and isinstance(classical.stack, ClassicalStack)
    assert matched_embed_dim(500, 700, n_qubits=4, n_layers=2, n_heads=2, hidden=128,
                             lexical_dim=16) == classical.stack.embed_dim


@pytest.mark.aer
def test_exact_and_aer_state_agree_through_the_decoder():
    from qnlp.models.attention.evaluators import BackendEvaluator, ExactEvaluator

    pytest.importorskip("qiskit_aer")
    model = _model("quantum", n_qubits=2, n_heads=1, lexical_dim=3)
    _randomise(model)
    src = torch.tensor([[8, 9, 10]])
    tgt = torch.tensor([[2, 8, 9]])
    sm, tm = src != 0, tgt != 0
    exact = ExactEvaluator(torch.complex128)
    backend = BackendEvaluator("aer-state", shots=None, seed=0)
    with torch.no_grad():
        ref = model.decode(model.encode(src, sm, evaluator=exact), tgt, tm, evaluator=exact, return_weights=True)
        est = model.decode(model.encode(src, sm, evaluator=backend), tgt, tm, evaluator=backend, return_weights=True)
    for a, b in zip(ref, est):
        np.testing.assert_allclose(a.double().numpy(), b.double().numpy(), atol=1e-6)
    assert backend.report.n_circuits > 0
