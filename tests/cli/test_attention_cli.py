"""The attention model on the command line: ``qnlp train --model attention``, ``qnlp predict`` on
its folder, and ``qnlp explain`` (checked against weights computed through the Python API)."""

import json
import shutil
import struct

import numpy as np
import pytest
import torch

from qnlp.models.attention.batch import TokenBatch  # noqa: E402
from typer.testing import CliRunner

from qnlp.cli.main import app

runner = CliRunner()
SENTENCE = "woman cooks tasty zebra meal ."  # "zebra" is not in MC's vocabulary


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def attention_dir(tmp_path_factory):
    """An attention model trained on MC through the CLI (5 epochs), and the printed result."""
    out = tmp_path_factory.mktemp("attention") / "mc-att"
    res = run("train", "--model", "attention", "--dataset", "mc", "--epochs", 5, "--seed", 3,
              "--out", out, "--json", "--quiet")
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def python_weights(model_dir, sentence):
    """Tokens and per-head weights (H, T, T) straight from the estimator and model."""
    from qnlp.estimators.attention import QuantumAttentionClassifier
    from qnlp.text import tokenize

    clf = QuantumAttentionClassifier.load(model_dir)
    tokens = tokenize(sentence)
    ids = torch.tensor([[clf.vocab_.index.get(t, 1) for t in tokens]])
    with torch.no_grad():
        _, weights = clf.model_(TokenBatch(ids, torch.ones_like(ids, dtype=torch.bool), clf.vocab_.words),
                                return_weights=True)
    return clf, tokens, torch.stack([w[0] for w in weights]).double().numpy()


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_train_attention_saves_its_kind(attention_dir):
    out, r = attention_dir
    assert r["model"] == "attention.v1" and r["dataset"] == "mc" and r["seed"] == 3
    # the MC settings of docs/attention.md, epochs from the command line
    assert (r["epochs"], r["n_layers"], r["qubits_per_token"], r["head"]) == (5, 2, 4, "gaussian")
    assert r["settings"]["learning_rate"] == 0.05 and r["settings"]["batch_size"] == 32
    assert 0.0 <= r["test_accuracy"] <= 1.0 and r["n_parameters"] == 378
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "QuantumAttentionClassifier" and config["params"]["epochs"] == 5


def test_predict_loads_attention_folder(attention_dir):
    out, _ = attention_dir
    res = run("predict", "--model", out, "--json", SENTENCE, "man debugs useful program .")
    assert res.exit_code == 0, res.output
    preds = json.loads(res.stdout)
    clf, _, _ = python_weights(out, SENTENCE)
    expected = clf.predict_proba([SENTENCE, "man debugs useful program ."])
    for p, e in zip(preds, expected):
        assert list(p["probabilities"].values()) == pytest.approx(e.tolist(), abs=1e-6)
        assert p["label"] == clf.classes_[e.argmax()]
    assert preds[0]["unknown_words"] == ["zebra"] and preds[1]["unknown_words"] == []
    res = run("predict", "--model", out, "tasty meal", "   ")
    assert res.exit_code == 1 and "empty or whitespace-only sentence" in res.output


def test_explain_matches_python_api(attention_dir, tmp_path):
    out, _ = attention_dir
    png = tmp_path / "map.png"
    res = run("explain", "--model", out, "--out", png, "--top", 3, "--json", SENTENCE)
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)
    clf, tokens, w = python_weights(out, SENTENCE)
    assert r["tokens"] == tokens and r["unknown_words"] == ["zebra"]
    assert np.allclose(r["weights"], w, atol=1e-6)
    assert np.allclose(np.sum(r["weights"], axis=-1), 1.0)
    received = w.mean(axis=(0, 1))
    assert np.allclose(r["received"], received, atol=1e-6) and sum(r["received"]) == pytest.approx(1.0)
    order = np.argsort(-received, kind="stable")[:3]
    assert [t["token"] for t in r["top"]] == [tokens[i] for i in order]
    assert r["top"][0]["position"] == int(np.argmax(received))
    assert r["label"] == clf.predict([SENTENCE])[0]
    width, height = png_size(png)
    assert width > 100 and height > 100 and r["png"] == str(png)

    # the plain-text report prints the same tokens in the same order, unknown words marked
    res = run("explain", "--model", out, "--out", png, "--top", 3, SENTENCE)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[1].startswith("top 3 of 5 tokens by attention received")
    printed = [line.split()[2] for line in lines[2:5]]
    assert printed == [tokens[i] + ("*" if tokens[i] == "zebra" else "") for i in order]
    assert float(lines[2].split()[1]) == pytest.approx(received[order[0]], abs=1e-4)
    assert "unknown word" in lines[-1] and "zebra" in lines[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]  # no temporary file left


def test_explain_two_heads_and_options(tmp_path):
    out = tmp_path / "two"
    res = run("train", "--model", "attention", "--dataset", "mc", "--epochs", 1, "--layers", 1, "--lr", 0.1,
              "--set", "n_heads=2", "--set", "n_qubits=2", "--set", "head=fidelity", "--out", out,
              "--json", "--quiet")
    assert res.exit_code == 0, res.output
    r = json.loads(res.stdout)
    assert (r["n_heads"], r["qubits_per_token"], r["n_layers"], r["head"]) == (2, 2, 1, "fidelity")
    assert r["settings"]["learning_rate"] == 0.1
    png = tmp_path / "two.png"
    res = run("explain", "--model", out, "--out", png, "--json", "woman cooks meal")
    assert res.exit_code == 0, res.output
    e = json.loads(res.stdout)
    _, _, w = python_weights(out, "woman cooks meal")
    assert np.array(e["weights"]).shape == (2, 3, 3) and np.allclose(e["weights"], w, atol=1e-6)
    assert len(e["top"]) == 3  # --top 5 on a 3-token sentence lists all of them
    width, height = png_size(png)
    assert width > height  # two panels side by side


@pytest.mark.parametrize("args,message", [
    (["--parser", "cups"], "--parser does not apply to --model attention"),
    (["--shots", "10", "--ansatz", "sim14"], "--ansatz, --shots do not apply to --model attention"),
    (["--set", "colour=red"], "unknown attention setting 'colour'"),
    (["--set", "head"], "--set expects KEY=VALUE"),
])
def test_train_attention_rejects_options(args, message, tmp_path):
    res = run("train", "--model", "attention", "--dataset", "mc", "--out", tmp_path / "m", *args)
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "m").exists()


def test_train_model_names(tmp_path):
    res = run("train", "--model", "transformer", "--dataset", "mc", "--out", tmp_path / "m")
    assert res.exit_code == 1
    assert "unknown model 'transformer'; valid: attention, bilingual, classical-attention, discocat, seq2seq" in res.output
    res = run("train", "--dataset", "mc", "--out", tmp_path / "m", "--set", "n_heads=2")
    assert res.exit_code == 1 and "unknown DisCoCat setting 'n_heads' for --set" in res.output


def test_explain_needs_attention_model(trained_mc, tmp_path):
    _, path = trained_mc
    res = run("explain", "--model", path, "--out", tmp_path / "x.png", "man cooks meal .")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "holds a DisCoCat model; qnlp explain needs an attention model" in res.output
    assert not (tmp_path / "x.png").exists()


def test_discocat_folder_without_model_type_still_predicts(trained_mc, tmp_path):
    _, path = trained_mc
    old = tmp_path / "old"
    shutil.copytree(path, old)
    config = json.loads((old / "config.json").read_text())
    del config["model_type"]
    (old / "config.json").write_text(json.dumps(config))
    res = run("predict", "--model", old, "--json", "woman cooks tasty meal .")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["label"] == "1"


@pytest.mark.parametrize("sentence,extra,message", [
    ("", [], "empty or whitespace-only sentence"),
    ("   ", [], "empty or whitespace-only sentence"),
    ("... ,", [], "no tokens in '... ,'"),
    ("man cooks", ["--out", "map.jpg"], "give a .png file name, got 'map.jpg'"),
    ("man cooks", ["--out", "missing/map.png"], "folder not found"),
])
def test_explain_errors_are_clean(attention_dir, sentence, extra, message, tmp_path, monkeypatch):
    out, _ = attention_dir
    monkeypatch.chdir(tmp_path)
    res = run("explain", "--model", out, *extra, sentence)
    assert res.exit_code == 1, res.output
    assert message in res.output and "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []


def test_explain_missing_model_and_compile_of_attention_folder(attention_dir):
    res = run("explain", "--model", "/nonexistent/model", "man cooks")
    assert res.exit_code == 1 and "model folder not found" in res.output
    out, _ = attention_dir
    res = run("compile", "--model", out, "man cooks")
    assert res.exit_code == 1 and "compile needs a DisCoCat model" in res.output


def test_train_on_a_users_tsv_fine_tuning_the_bundled_sst2_model(tmp_path):
    """A user's own sentiment file, fine-tuned from the bundled SST-2 model (``init_from=sst2``):
    the fine-tuning settings apply, the SST-2 vocabulary is kept and extended, and it beats the
    same small file trained from scratch."""
    from qnlp.datasets import load
    from qnlp.estimators.attention import QuantumAttentionClassifier
    from qnlp.models.attention.pretrained import resolve_pretrained

    imdb = load("imdb", seed=0)
    rows = list(zip(imdb.train.texts, imdb.train.labels))[:400]
    tsv = tmp_path / "reviews.tsv"
    tsv.write_text("text\tlabel\n" + "".join(f"{t}\t{'pos' if y == '1' else 'neg'}\n" for t, y in rows))
    accs = {}
    for name, extra in (("ft", ["--set", "init_from=sst2"]), ("scratch", [])):
        res = run("train", "--model", "attention", "--dataset", tsv, "--out", tmp_path / name,
                  "--json", "--quiet", *extra)
        assert res.exit_code == 0, res.output
        r = json.loads(res.stdout)
        accs[name] = r["test_accuracy"]
        if name == "ft":  # qnlp.bench.attention_bench.FINETUNE_CONFIG
            assert (r["settings"]["learning_rate"], r["settings"]["weight_decay"], r["epochs"]) == (0.01, 0.01, 10)
    pre = json.loads((resolve_pretrained("sst2") / "config.json").read_text())["vocab"]
    ft = QuantumAttentionClassifier.load(tmp_path / "ft")
    assert ft.vocab_.words[:len(pre)] == pre and len(ft.vocab_) > len(pre)
    assert accs["ft"] >= 0.75 and accs["ft"] > accs["scratch"] + 0.05, accs
