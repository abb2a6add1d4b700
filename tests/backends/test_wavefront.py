"""The wavefront engine (one batched schedule for sentences of many shapes) and the per-ansatz box
caches, against independent references: opt_einsum on random networks, the per-shape engine,
the qiskit statevector of the pytket export, and lambeq's own functor."""

import numpy as np
import pytest
import torch

from qnlp.backends.exact import ExactBackend
from qnlp.backends.wavefront import plan_template
from qnlp.circuits.ansatz import IQPAnsatz, Sim15Ansatz
from qnlp.models.discocat import DisCoCatModel
from qnlp.testing.reference import tket_reference_probabilities

REVIEWS = [
    "The food was great.", "I loved this place.", "Not worth the money, the service was terrible.",
    "Would not go back.", "The waiter was rude and the fries were cold.", "Best pizza in town!",
    "We waited an hour for a table that was never cleaned.", "Great prices and friendly staff.",
    "My husband and I will definitely come back with our friends next week.", "Meh.",
    "the sushi rolls tasted fresh but the rice was dry", "Avoid at all costs.",
]


def _random_network(rng, n_nodes, extra_edges=0, n_outputs=1):
    """A random tree (plus ``extra_edges`` cycles) of tensors with 2-dim legs and open outputs."""
    legs = [[] for _ in range(n_nodes)]
    label = iter(range(10**6))
    for i in range(1, n_nodes):
        e = next(label)
        legs[i].append(e)
        legs[int(rng.integers(0, i))].append(e)
    for _ in range(extra_edges):
        a, b = rng.choice(n_nodes, 2, replace=False)
        e = next(label)
        legs[a].append(e)
        legs[b].append(e)
    outputs = []
    for _ in range(n_outputs):
        e = next(label)
        legs[int(rng.integers(0, n_nodes))].append(e)
        outputs.append(e)
    for l in legs:
        rng.shuffle(l)
    return legs, outputs


def _run_plan(plan, tensors):
    slots = dict(enumerate(tensors))
    for round_ in plan.rounds:
        for step in round_:
            slots[step.output] = torch.einsum(step.equation, *[slots[i] for i in step.inputs])
    return slots[plan.final]


@pytest.mark.parametrize("seed", range(12))
def test_plan_matches_opt_einsum_on_random_networks(seed):
    import opt_einsum

    rng = np.random.default_rng(seed)
    legs, outputs = _random_network(rng, int(rng.integers(1, 12)), extra_edges=seed % 3,
                                    n_outputs=1 + seed % 2)
    plan = plan_template(legs, outputs)
    tensors = [torch.as_tensor(rng.normal(size=(3,) + (2,) * len(l)) + 1j * rng.normal(size=(3,) + (2,) * len(l)))
               for l in legs]
    ours = _run_plan(plan, tensors)
    names = {}
    def sym(x):
        return names.setdefault(x, opt_einsum.get_symbol(len(names) + 1))
    eq = ",".join("Z" + "".join(sym(x) for x in l) for l in legs) + "->Z" + "".join(sym(x) for x in outputs)
    ref = opt_einsum.contract(eq.replace("Z", "a"), *[t.numpy() for t in tensors])
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-10, atol=1e-10)


def test_trees_take_few_rounds():
    # a path of 9 words has radius 4: leaves are absorbed from both ends at once
    legs = [[i, i + 1] for i in range(8)] + [[8, 100]]
    legs[0] = [0, 99]
    plan = plan_template(legs, [99])
    assert len(plan.rounds) <= 6
    star = [[0, 1, 2, 3, 4, 99]] + [[i] for i in range(5)]
    assert len(plan_template(star, [99]).rounds) == 1  # every leaf in one step


def _circuits(sentences, parser="default", ansatz_cls=IQPAnsatz, rewrite=()):
    from qnlp.models.pipeline import SentencePipeline

    pipe = SentencePipeline.build(parser, rewrite=rewrite, ob_map={"n": 1, "s": 1})
    if ansatz_cls is not IQPAnsatz:
        pipe.ansatz = ansatz_cls({"n": 1, "s": 1}, n_layers=1)
    return [c for c in pipe.circuits(sentences, on_error="none") if c is not None]


@pytest.mark.parametrize("rewrite", [(), ("remove_cups",)])
def test_wavefront_equals_per_shape_engine_on_reviews(rewrite):
    circuits = _circuits(REVIEWS, rewrite=rewrite)
    model = DisCoCatModel.from_circuits(circuits, ["0", "1"], seed=4)
    probs = {}
    for engine in ("wavefront", "shapes"):
        model.backend, model._theta = ExactBackend(device="cpu", engine=engine), None
        batch = model.compile(circuits, train=True)
        p = batch.probabilities(model.theta())
        (p[:, 1] * torch.arange(len(circuits))).sum().backward()
        probs[engine] = (p.detach().numpy(), model.theta().grad.numpy().copy())
        if engine == "wavefront":
            assert len(batch.sentence_groups) > 5  # many shapes ...
            assert batch._program()[0].n_einsums < 3 * len(batch.sentence_groups)
    np.testing.assert_allclose(probs["wavefront"][0], probs["shapes"][0], atol=1e-10)
    np.testing.assert_allclose(probs["wavefront"][1], probs["shapes"][1], atol=1e-9)


def test_wavefront_matches_qiskit_reference_and_subsets():
    circuits = _circuits(REVIEWS[:5], ansatz_cls=Sim15Ansatz)
    model = DisCoCatModel.from_circuits(circuits, ["0", "1"], seed=2, backend=ExactBackend(device="cpu"))
    batch = model.compile(circuits)
    probs = batch.probabilities(model.theta()).detach().numpy()
    params = {s: float(model.weights[model.lookup(s)]) for c in circuits for s in c.symbols}
    for circuit, row in zip(circuits, probs):
        np.testing.assert_allclose(row, tket_reference_probabilities(circuit, params).reshape(-1), atol=1e-8)
    sub = batch.probabilities(model.theta(), circuits=[3, 1, 1]).detach().numpy()
    np.testing.assert_allclose(sub, probs[[3, 1, 1]], atol=1e-12)


def test_word_dropout_at_rate_one_uses_the_twins():
    circuits = _circuits(REVIEWS[:6])
    model = DisCoCatModel.from_circuits(circuits, ["0", "1"], seed=1, backend=ExactBackend(device="cpu"))
    batch = model.compile(circuits, train=True)
    dropped = batch.probabilities(model.theta(), twin_rate=1.0).detach().numpy()
    twins_only = DisCoCatModel(model.symbols, model.weights.copy(), ["0", "1"], ExactBackend(device="cpu"))
    for i, s in enumerate(model.symbols):  # every word symbol takes its twin's value
        j = model.twin_lookup(s)
        twins_only.weights[i] = model.weights[j]
    ref = twins_only.compile(circuits).probabilities(twins_only.theta()).detach().numpy()
    np.testing.assert_allclose(dropped, ref, atol=1e-10)
    assert not np.allclose(dropped, batch.probabilities(model.theta()).detach().numpy())


def test_long_bag_of_words_sentence_is_a_shared_index_not_a_dense_spider():
    long = " ".join(["good", "food", "bad", "service"] * 12)  # 48 words: a dense spider has 2**49 entries
    circuits = _circuits([long, "good food"], parser="spiders.v2")
    model = DisCoCatModel.from_circuits(circuits, ["0", "1"], seed=0, backend=ExactBackend(device="cpu"))
    p = model.predict_proba(circuits)
    amp = {}
    for w in ("good", "food", "bad", "service"):  # the bag of words in closed form
        theta = [model.weights[model.lookup(f"{w}__s_{i}")] * 2 * np.pi for i in range(3)]
        rx = lambda t: np.array([[np.cos(t / 2), -1j * np.sin(t / 2)], [-1j * np.sin(t / 2), np.cos(t / 2)]])
        rz = lambda t: np.diag([np.exp(-1j * t / 2), np.exp(1j * t / 2)])
        amp[w] = rx(theta[2]) @ rz(theta[1]) @ rx(theta[0]) @ np.array([1, 0])
    bag = np.prod([amp[w] ** 12 for w in amp], axis=0)
    ref = np.abs(bag) ** 2 / (np.abs(bag) ** 2).sum()
    np.testing.assert_allclose(p[0], ref, rtol=1e-6)
    np.testing.assert_allclose(p[1], tket_reference_probabilities(circuits[1], {
        s: float(model.weights[model.lookup(s)]) for s in circuits[1].symbols}).reshape(-1), atol=1e-8)


def test_structure_cache_names_equal_lambeq_functor_names():
    from qnlp.backends.boxes import BoxCache
    from qnlp.backends.network import compile_diagram

    circuits = _circuits(REVIEWS, rewrite=("remove_cups",))
    ansatz = circuits[0].ansatz
    cache = BoxCache(ansatz)
    checked = 0
    for c in circuits:
        for box in c.diagram.boxes:
            direct = compile_diagram(ansatz.lambeq_ansatz.functor(box))
            entry = cache.entry(box)
            if entry.kind == "box":
                assert entry.names == tuple(str(s) for s in direct.symbols)
                assert entry.program.key == direct.key
                checked += 1
            assert set(ansatz.box_symbols(box)) == {str(s) for s in ansatz.lambeq_ansatz.functor(box).free_symbols}
        assert c.symbols == sorted(str(s) for s in c.lambeq.free_symbols)
    assert checked > 50 and len(cache.structures) < checked / 3  # most boxes reuse a structure


@pytest.mark.parametrize("parser,rewrite", [("default", ()), ("default", ("remove_cups",)), ("spiders.v2", ()),
                                            ("stairs", ()), ("cups", ())])
def test_circuit_width_from_the_grammar_diagram_equals_the_flat_circuit(parser, rewrite):
    from qnlp.circuits.circuit import _width

    circuits = _circuits(REVIEWS[:6], parser=parser, rewrite=rewrite)
    for c in circuits:
        assert c.n_qubits == _width(c.lambeq)
