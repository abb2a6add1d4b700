"""BilingualMatcher (fit, rank, save/load, backends) and the translation commands."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from qnlp.cli.main import app
from qnlp.estimators.bilingual import BilingualMatcher

runner = CliRunner()
SMALL = dict(n_qubits=3, n_layers=1, n_heads=1, sentence_qubits=4, sentence_layers=2, epochs=10,
             batch_size=32, learning_rate=0.05, random_state=0)


@pytest.fixture(scope="module")
def pairs():
    from qnlp.datasets import load

    d = load("tatoeba")
    return d.train.texts[1000:1240], d.train.labels[1000:1240]


@pytest.fixture(scope="module")
def fitted(pairs):
    return BilingualMatcher(**SMALL).fit(*pairs)


def test_tiny_training_run_beats_random(fitted, pairs):
    from qnlp.models.bilingual.baselines import RandomScorer
    from qnlp.models.bilingual.metrics import ParallelSet, retrieval_metrics

    data = ParallelSet.from_pairs(*pairs)
    chance = retrieval_metrics(RandomScorer(0), data)["en-es@100"]["p@1"]
    top1 = fitted.score(*pairs)
    assert chance < 0.05 and top1 > 0.3
    assert fitted.history_[-1].loss < fitted.history_[0].loss
    assert 0 < fitted.threshold_ < 1


def test_save_load_round_trip(fitted, pairs, tmp_path):
    fitted.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["candidates.txt", "config.json", "weights.npz"]
    back = BilingualMatcher.load(tmp_path / "m")
    en, es = list(pairs[0][:20]), list(pairs[1][:25])
    assert np.allclose(back.similarity(en, es), fitted.similarity(en, es), atol=1e-6)
    assert back.candidates_ == fitted.candidates_ and back.threshold_ == fitted.threshold_
    assert back.get_params() == fitted.get_params()


def test_rank_and_predict(fitted, pairs):
    ranked = fitted.rank([pairs[0][0], "Tom is here."], top=3)
    assert len(ranked) == 2 and len(ranked[0]) == 3
    scores = [c["score"] for c in ranked[0]]
    assert scores == sorted(scores, reverse=True)
    assert all(c["candidate"] in fitted.candidates_ for c in ranked[0])
    pool = ["Hola.", "Tom está aquí."]
    assert [c["candidate"] for c in fitted.rank(["Hi."], pool, top=5)[0]] != []
    pred = fitted.predict(pairs[0][:6], pairs[1][:6])
    assert set(pred.tolist()) <= {0, 1}
    assert np.array_equal(pred, (fitted.decision_function(pairs[0][:6], pairs[1][:6]) >= fitted.threshold_))


def test_state_backend_reproduces_exact_similarity(fitted):
    en, es = ["Tom is here.", "Go."], ["Tom está aquí.", "Ve."]
    exact = fitted.similarity(en, es)
    fitted.set_params(backend="aer-state")
    try:
        est = fitted.similarity(en, es)
    finally:
        fitted.set_params(backend=None)
    assert np.allclose(est, exact, atol=1e-4)


def test_hard_negative_training_runs(pairs):
    m = BilingualMatcher(**{**SMALL, "epochs": 1}, hard_negatives=1.0).fit(pairs[0][:64], pairs[1][:64])
    assert np.isfinite(m.history_[0].loss)


def test_classical_dual_encoder_is_matched_and_trains(pairs):
    q = BilingualMatcher(**{**SMALL, "epochs": 0}).fit(*pairs)
    c = BilingualMatcher(**{**SMALL, "epochs": 6}, architecture="classical").fit(*pairs)
    assert abs(c.n_parameters_ - q.n_parameters_) / q.n_parameters_ < 0.05
    assert c.score(*pairs) > 0.1


# -- command line ---------------------------------------------------------------------------------
def run(*args):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def model_dir(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("bilingual") / "m"
    fitted.save(path)
    return path


def _one_line_error(res, *words):
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    for w in words:
        assert w in lines[0], lines[0]


def test_translate_ranks_default_pool_and_a_candidates_file(model_dir, tmp_path):
    res = run("translate", "--model", str(model_dir), "--top", "2", "--json", "Tom is here.")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out[0]["sentence"] == "Tom is here." and [c["rank"] for c in out[0]["candidates"]] == [1, 2]
    f = tmp_path / "c.txt"
    f.write_text("Tom está aquí.\n\n¿Dónde está el perro?\nMe gusta.\n", encoding="utf-8")
    res = run("translate", "--model", str(model_dir), "--candidates", str(f), "--top", "5", "Tom is here.")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith("Tom is here.") and len(res.stdout.splitlines()) == 4


def test_translate_on_shots(model_dir, tmp_path):
    f = tmp_path / "c.txt"
    f.write_text("Tom está aquí.\nMe gusta.\n", encoding="utf-8")
    res = run("translate", "--model", str(model_dir), "--candidates", str(f), "--backend", "aer",
              "--shots", "512", "--seed", "1", "--json", "Tom is here.")
    assert res.exit_code == 0, res.output
    scores = [c["score"] for c in json.loads(res.stdout)[0]["candidates"]]
    assert len(scores) == 2 and all(0 <= s <= 1 for s in scores)


def test_bad_input_is_a_one_line_error(model_dir, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    _one_line_error(run("translate", "--model", str(model_dir), "--candidates", str(empty), "Hi."), "empty")
    english = tmp_path / "en.txt"
    english.write_text("I like it.\nTom is here.\nWhat is this?\n")
    _one_line_error(run("translate", "--model", str(model_dir), "--candidates", str(english), "Hi."), "Spanish")
    _one_line_error(run("translate", "--model", str(model_dir), "--lang", "fr", "Hi."), "--lang", "'fr'")
    _one_line_error(run("predict", "--model", str(model_dir), "Hi."), "translation model", "translate")
    classifier = tmp_path / "clf"
    classifier.mkdir()
    (classifier / "config.json").write_text(json.dumps({"model_type": "QuantumAttentionClassifier"}))
    _one_line_error(run("translate", "--model", str(classifier), "Hi."), "classifier", "translation model")


def test_evaluate_a_pairs_file(model_dir, pairs, tmp_path):
    f = tmp_path / "pairs.tsv"
    f.write_text("".join(f"{e}\t{s}\n" for e, s in zip(pairs[0][:60], pairs[1][:60])), encoding="utf-8")
    res = run("evaluate", "--model", str(model_dir), "--dataset", str(f), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("retrieval_top1_at_100", "retrieval_mrr", "pair_accuracy_random", "pair_accuracy_hard"):
        assert 0 <= out[key] <= 1
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one column\n")
    _one_line_error(run("evaluate", "--model", str(model_dir), "--dataset", str(bad)), "English<TAB>Spanish")


def test_train_bilingual_json(tmp_path):
    from qnlp.datasets import load

    d = load("tatoeba")
    f = tmp_path / "pairs.tsv"
    f.write_text("".join(f"{e}\t{s}\n" for e, s in zip(d.train.texts[:150], d.train.labels[:150])), encoding="utf-8")
    res = run("train", "--dataset", str(f), "--model", "bilingual", "--epochs", "2", "--set", "n_qubits=2",
              "--set", "sentence_qubits=3", "--set", "baselines=false", "--out", str(tmp_path / "m"), "--json", "-q")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("retrieval_top1_at_100", "retrieval_mrr", "pair_accuracy_random", "pair_accuracy_hard",
                "n_parameters", "train_seconds"):
        assert key in out
    assert out["settings"]["epochs"] == 2 and (tmp_path / "m" / "config.json").is_file()
    res = run("train", "--dataset", str(f), "--model", "bilingual", "--set", "colour=red", "--out", str(tmp_path / "x"))
    _one_line_error(res, "colour")
