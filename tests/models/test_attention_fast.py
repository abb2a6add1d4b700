"""The optimised attention simulation equals the straightforward per-qubit computation.

The reference below is the implementation the fast path replaced (one einsum per qubit per layer,
state-by-state circuit application, Pauli expectations from explicit matrices), kept here so the
two can be compared to 1e-10 in complex128.
"""

import math

import numpy as np
import pytest
import torch

from qnlp.models.attention.heads import AttentionHead, attend, head_features
from qnlp.models.attention.batch import TokenBatch
from qnlp.models.attention.evaluators import ExactEvaluator
from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary
from qnlp.training.loop import adam
from qnlp.models.attention.states import (
    _entangler,
    _paulis,
    circuit_unitary,
    prepare_columns,
    prepare_states,
)

C128 = torch.complex128


# -- reference: per-qubit einsum simulator ------------------------------------------------------
def _ref_gates(angles):
    """``RZ(b) @ RY(a)`` per qubit, ``(..., d, 2)`` -> ``(..., d, 2, 2)`` complex128."""
    a, b = angles[..., 0], angles[..., 1]
    ca, sa = torch.cos(a / 2), torch.sin(a / 2)
    ry = torch.stack([torch.stack([ca, -sa], -1), torch.stack([sa, ca], -1)], -2).to(C128)
    phase = torch.exp(-0.5j * b.to(C128))
    return torch.stack([phase, phase.conj()], -1).unsqueeze(-1) * ry


def _ref_run_layers(psi, angles, entangler="cnot"):
    """Apply ``(N|1, L, d, 2)`` layers to ``(N, 2**d)`` states: per qubit einsum, then the ring."""
    n, dim = psi.shape
    d = int(math.log2(dim))
    gates = _ref_gates(angles)
    letters = "abcdefghij"[:d]
    perm, signs = _entangler(d, entangler)
    for layer in range(angles.shape[1]):
        out = psi.reshape((n,) + (2,) * d)
        for q in range(d):
            g = gates[:, layer, q]
            dst = letters[:q] + "z" + letters[q + 1:]
            if g.shape[0] == 1:
                out = torch.einsum(f"z{letters[q]},n{letters}->n{dst}", g[0], out)
            else:
                out = torch.einsum(f"nz{letters[q]},n{letters}->n{dst}", g, out)
        psi = out.reshape(n, -1)
        psi = psi[:, torch.as_tensor(perm)] if entangler == "cnot" else psi * torch.as_tensor(signs, dtype=C128)
    return psi


def _ref_prepare(angles, entangler="cnot"):
    n, _, d, _ = angles.shape
    psi = torch.zeros(n, 2 ** d, dtype=C128)
    psi[:, 0] = 1
    return _ref_run_layers(psi, angles, entangler)


def _ref_unitary(angles, entangler="cnot"):
    d = angles.shape[-2]
    return _ref_run_layers(torch.eye(2 ** d, dtype=C128), angles[None], entangler).T


def _ref_attend(states, params, mask, kind):
    """The previous ``attend``: apply each circuit to every token state, then measure."""
    from qnlp.models.attention.heads import fidelity_scores, gaussian_weights, masked_softmax

    b, t, dim = states.shape
    d = int(math.log2(dim))

    def apply(name):
        return states @ _ref_unitary(params[name]).T

    def z0(psi):
        sign = 1.0 - 2.0 * ((torch.arange(dim) >> (d - 1)) & 1).to(torch.float64)
        return (psi.abs() ** 2 * sign).sum(-1)

    v = apply("value").reshape(b * t, dim)
    values = torch.einsum("nd,pde,ne->np", v.conj(), _paulis(d).to(C128), v).real.reshape(b, t, -1)
    if kind == "gaussian":
        weights = gaussian_weights(z0(apply("query")), z0(apply("key")), mask)
    else:
        weights = masked_softmax(fidelity_scores(apply("query"), apply("key")) * params["log_scale"].exp(), mask)
    return weights @ values, weights


def _angles(*shape, seed=0):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 2 * math.pi


# -- states ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("entangler", ["cnot", "cz"])
@pytest.mark.parametrize("d,n_layers", [(1, 1), (1, 3), (2, 1), (2, 2), (3, 2), (4, 1), (4, 2), (4, 3), (6, 2)])
def test_prepare_states_equals_per_qubit_reference(d, n_layers, entangler):
    angles = _angles(7, n_layers, d, 2, seed=d * 10 + n_layers)
    got = prepare_states(angles, entangler=entangler, dtype=C128)
    assert got.dtype == C128 and got.shape == (7, 2 ** d)
    np.testing.assert_allclose(got.numpy(), _ref_prepare(angles, entangler).numpy(), rtol=0, atol=1e-10)
    cols = prepare_columns(angles, entangler=entangler, dtype=C128)
    np.testing.assert_allclose(cols.T.numpy(), got.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("entangler", ["cnot", "cz"])
@pytest.mark.parametrize("d,n_layers", [(1, 2), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_circuit_unitary_equals_per_qubit_reference(d, n_layers, entangler):
    angles = _angles(3, n_layers, d, 2, seed=d + n_layers)
    batched = circuit_unitary(angles, entangler=entangler, dtype=C128)  # (3, D, D) in one call
    for i in range(3):
        ref = _ref_unitary(angles[i], entangler).numpy()
        np.testing.assert_allclose(circuit_unitary(angles[i], entangler=entangler, dtype=C128).numpy(),
                                   ref, rtol=0, atol=1e-10)
        np.testing.assert_allclose(batched[i].numpy(), ref, rtol=0, atol=1e-10)


def test_default_dtype_is_complex64_and_close_to_reference():
    angles = _angles(5, 2, 4, 2).float()
    psi = prepare_states(angles)
    assert psi.dtype == torch.complex64 and circuit_unitary(angles[0]).dtype == torch.complex64
    np.testing.assert_allclose(psi.numpy(), _ref_prepare(angles.double()).numpy(), atol=1e-6)


def test_gradients_match_reference():
    angles = _angles(6, 2, 3, 2).requires_grad_()
    w = torch.randn(8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    (prepare_states(angles, dtype=C128).abs() ** 2 @ w).sum().backward()
    fast = angles.grad.clone()
    angles.grad = None
    (_ref_prepare(angles).abs() ** 2 @ w).sum().backward()
    np.testing.assert_allclose(fast.numpy(), angles.grad.numpy(), rtol=0, atol=1e-10)


# -- heads ----------------------------------------------------------------------------------------
def _head_params(d, n_layers, seed):
    p = {name: _angles(n_layers, d, 2, seed=seed + i) for i, name in enumerate(("query", "key", "value"))}
    p["log_scale"] = torch.tensor(math.log(4.0), dtype=torch.float64)
    return p


@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
@pytest.mark.parametrize("d", [1, 2, 4])
def test_attend_equals_reference(kind, d):
    states = _ref_prepare(_angles(3 * 5, 2, d, 2, seed=d)).reshape(3, 5, 2 ** d)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False], [True] + [False] * 4])
    params = _head_params(d, 2, seed=100 + d)
    out, w = attend(states, params, mask, kind=kind)
    ref_out, ref_w = _ref_attend(states, params, mask, kind)
    assert out.dtype == torch.float64
    np.testing.assert_allclose(w.numpy(), ref_w.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(out.numpy(), ref_out.numpy(), rtol=0, atol=1e-10)


def test_head_features_gathered_equal_features_of_gathered_states():
    cols = prepare_columns(_angles(6, 2, 3, 2), dtype=C128)  # 6 distinct states
    inverse = torch.tensor([[0, 3, 3, 5], [1, 1, 2, 0]])
    params = _head_params(3, 2, seed=7)
    feats = head_features(cols, params, kind="gaussian")
    direct = head_features(cols[:, inverse.flatten()], params, kind="gaussian")
    for key in ("query", "key", "values"):
        np.testing.assert_allclose(feats[key][..., inverse.flatten()].numpy(), direct[key].numpy(), atol=1e-12)


@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
def test_exact_evaluator_distinct_path_equals_gathered_states(kind):
    """Per-word quantities computed once per distinct word and gathered equal those of the
    gathered token states (the evaluator's two paths)."""
    from qnlp.models.attention.batch import TokenCells

    g = torch.Generator().manual_seed(0)
    head = AttentionHead(3, 2, kind, g).double()
    angles = _angles(5, 2, 3, 2)
    inverse = torch.tensor([[0, 1, 2, 0], [4, 4, 3, 0]])
    mask = torch.tensor([[True, True, True, True], [True, True, True, False]])
    ev = ExactEvaluator(C128)
    fast = ev.quantities(TokenCells(angles, inverse, mask, distinct=True), [head])[0]
    slow = ev.quantities(TokenCells(angles, inverse, mask, distinct=False), [head])[0]
    for key in fast:
        np.testing.assert_allclose(fast[key].detach().numpy(), slow[key].detach().numpy(), atol=1e-12)
    out, w = head.attend(fast, mask)
    ref_out, ref_w = head(prepare_columns(angles, dtype=C128).T[inverse], mask)
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), ref_w.detach().numpy(), atol=1e-12)


# -- model ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gaussian", "fidelity"])
def test_model_distinct_word_path_equals_gathered_states(kind):
    """forward() attends per distinct word; the same logits come from gathered token states."""
    toks = [["a", "b", "a", "c"], ["c", "d"], ["b", "b", "e", "a", "d"]]
    vocab = Vocabulary.build(toks)
    ids, mask = vocab.encode(toks)
    model = QuantumAttentionModel(vocab, 2, n_qubits=3, n_layers=2, n_heads=2, head=kind,
                                  generator=torch.Generator().manual_seed(0))
    logits, weights = model(TokenBatch(ids, mask), return_weights=True)
    states = ExactEvaluator().states(model.cells(TokenBatch(ids, mask)).__class__(
        model.cells(TokenBatch(ids, mask)).angles, model.cells(TokenBatch(ids, mask)).index, mask))
    outs, ref_w = zip(*(h(states, mask) for h in model.heads))
    feats = torch.cat(outs, -1)
    m = mask.unsqueeze(-1).float()
    ref = model.readout((feats * m).sum(1) / m.sum(1))
    np.testing.assert_allclose(logits.detach().numpy(), ref.detach().numpy(), atol=1e-5)
    for a, b in zip(weights, ref_w):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)


def test_adam_helper_matches_default_adam():
    def run(make):
        g = torch.Generator().manual_seed(0)
        p = torch.nn.Parameter(torch.rand(50, 8, generator=g))
        opt = make([p])
        for _ in range(20):
            p.grad = torch.randn(p.shape, generator=g)
            opt.step()
        return p.detach()

    ref = run(lambda ps: torch.optim.Adam(ps, lr=0.05, weight_decay=0.003))
    got = run(lambda ps: adam(ps, lr=0.05, weight_decay=0.003))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=0, atol=1e-5)
