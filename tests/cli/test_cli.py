"""End-to-end tests of the ``qnlp`` command (in process with Typer's runner, and as a real
subprocess for the entry point, start-up time and error output)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qnlp.cli.main import app

runner = CliRunner()
QNLP = str(Path(sys.executable).with_name("qnlp")) if Path(sys.executable).with_name("qnlp").exists() else "qnlp"


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_datasets_list_json():
    res = run("datasets", "list", "--json")
    assert res.exit_code == 0
    names = [d["name"] for d in json.loads(res.stdout)]
    assert names[:2] == ["mc", "rp"]


def test_train_json_then_predict(tmp_path):
    out = tmp_path / "model"
    res = run("train", "--dataset", "mc", "--parser", "cups", "--epochs", "120", "--seed", "1",
              "--out", str(out), "--json", "--quiet")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for key in ("test_accuracy", "train_accuracy", "train_seconds", "epochs", "n_parameters", "n_qubits_max"):
        assert key in data
    assert data["test_accuracy"] == 1.0 and data["epochs"] == 120
    res = run("predict", "--model", str(out), "--json", "woman cooks tasty meal .", "man debugs useful program .")
    assert res.exit_code == 0, res.output
    preds = json.loads(res.stdout)
    assert [p["label"] for p in preds] == ["1", "0"]
    assert set(preds[0]["probabilities"]) == {"0", "1"}
    assert sum(preds[0]["probabilities"].values()) == pytest.approx(1.0)
    # from a file, and from standard input
    f = tmp_path / "in.txt"
    f.write_text("woman cooks tasty meal .\n\nman debugs useful program .\n")
    res = run("predict", "--model", str(out), "--json", "--input", str(f))
    assert [p["label"] for p in json.loads(res.stdout)] == ["1", "0"]
    res = run("predict", "--model", str(out), "--json", input="woman cooks tasty meal .\n")
    assert [p["label"] for p in json.loads(res.stdout)] == ["1"]


def test_train_several_seeds_reports_mean_and_sd(tmp_path):
    res = run("train", "--dataset", "mc", "--parser", "cups", "--epochs", "20", "--seeds", "2",
              "--out", str(tmp_path / "m"), "--json", "--quiet")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_seeds"] == 2 and len(data["runs"]) == 2
    assert (tmp_path / "m" / "seed-0" / "config.json").is_file()


def test_parse_json():
    res = run("parse", "--parser", "cups", "--json", "man prepares sauce .")
    assert res.exit_code == 0
    [item] = json.loads(res.stdout)
    assert item["words"] == ["START", "man", "prepares", "sauce", "."]
    assert item["types"][1] == "s.r·s" and item["parser"] == "cups.v1" and item["fallback"] is False


def test_parse_draw(tmp_path):
    target = tmp_path / "d.png"
    res = run("parse", "--parser", "cups", "--draw", str(target), "man runs")
    assert res.exit_code == 0, res.output
    assert target.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args,message", [
    (["predict", "--model", "/nonexistent/model", "man runs"], "model folder not found"),
    (["train", "--dataset", "nope", "--out", "x"], "unknown dataset 'nope'"),
    (["parse", "--parser", "cups", "   "], "empty or whitespace-only"),
    (["parse", "--parser", "cups", " ".join(["word"] * 500)], "limit is 64"),
    (["parse", "--parser", "nope", "man runs"], "unknown parser 'nope'"),
    (["train", "--dataset", "tatoeba", "--out", "x"], "translation dataset"),
])
def test_errors_are_clean(args, message):
    res = run(*args)
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output


def test_malformed_dataset_file(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("good\tpos\nbad\tneg\tx\n")
    res = run("train", "--dataset", str(bad), "--out", str(tmp_path / "m"))
    assert res.exit_code == 1 and "bad.tsv:2" in res.output
    assert not (tmp_path / "m").exists()  # nothing half-written


def test_emoji_and_non_latin_text(trained_mc):
    _, path = trained_mc
    res = run("predict", "--model", str(path), "--json", "man cooks 🍝 .", "男 は 料理 する")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out) == 2 and all(sum(o["probabilities"].values()) == pytest.approx(1) for o in out)
    assert "🍝" in out[0]["unknown_words"]


def test_usage_error_exit_code_2():
    assert run("train").exit_code == 2


def test_entry_point_help_is_fast_and_predict_errors_have_no_traceback():
    t0 = time.perf_counter()
    res = subprocess.run([QNLP, "--help"], capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    assert res.returncode == 0 and "train" in res.stdout
    assert elapsed < 3.0  # typically ~0.3 s: no heavy imports at start-up
    res = subprocess.run([QNLP, "predict", "--model", "/nonexistent", "x"], capture_output=True, text=True)
    assert res.returncode == 1 and "Traceback" not in res.stderr and "model folder not found" in res.stderr


def test_import_qnlp_is_light():
    code = "import sys, qnlp, qnlp.registry; print(any(m in sys.modules for m in ('torch', 'lambeq', 'pytket', 'spacy')))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.stdout.strip() == "False"


@pytest.mark.aer
def test_compile_and_shot_prediction(trained_mc):
    _, path = trained_mc
    res = run("compile", "--model", str(path), "--backend", "aer", "--json", "woman cooks tasty meal .")
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.stdout)
    assert row["n_qubits"] >= 2 and row["depth"] > 0 and row["n_2q_gates"] > 0
    exact = json.loads(run("predict", "--model", str(path), "--json", "man cooks meal .").stdout)[0]
    # cups-reader circuits post-select all but one qubit: about 3 in 10,000 shots survive, so use
    # many (cheap with the Born sampler): ~3,000 kept shots, standard error <= 0.01
    res = run("predict", "--model", str(path), "--backend", "aer", "--shots", "10000000", "--seed", "3", "--json",
              "man cooks meal .")
    assert res.exit_code == 0, res.output
    shot = json.loads(res.stdout)[0]
    assert shot["label"] == exact["label"]
    assert abs(shot["probabilities"]["1"] - exact["probabilities"]["1"]) < 0.05


def test_unknown_backend_is_clean(trained_mc):
    _, path = trained_mc
    res = run("predict", "--model", str(path), "--backend", "warp-drive", "man runs .")
    assert res.exit_code == 1 and "unknown backend 'warp-drive'" in res.output
