"""Benchmark pipelines: validation at the boundary and a small real run."""

import json

import pytest
from typer.testing import CliRunner

from qnlp.bench.runner import load_pipeline
from qnlp.cli.main import app
from qnlp.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


def test_bundled_pipelines_validate():
    from pathlib import Path

    files = sorted(Path(__file__).resolve().parents[2].joinpath("pipelines").glob("*.toml"))
    assert files
    for f in files:
        p = load_pipeline(f)
        assert p.model.parser.endswith(".v1") and p.model.ansatz.endswith(".v1")


@pytest.mark.parametrize("text,match", [
    ('name = "x"\n[run]\ndatasets = ["mc"]\nsurprise = 1\n', "surprise"),
    ('name = "x"\n[model]\nepochs = -3\n[run]\ndatasets = ["mc"]\n', "epochs"),
    ('name = "x"\n[model]\nansatz = "nope"\n[run]\ndatasets = ["mc"]\n', "unknown ansatz"),
    ('name = "x"\n[run]\ndatasets = ["nope"]\n', "unknown dataset"),
    ('name = "x"\n[run\n', "invalid TOML"),
])
def test_bad_pipelines_are_clear(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_pipeline(write(tmp_path, text))


def test_bench_run_writes_results_and_resolved_config(tmp_path):
    path = write(tmp_path, 'name = "tiny"\n[model]\nparser = "cups"\nepochs = 60\n[run]\ndatasets = ["mc"]\nseeds = [0, 1]\n')
    res = CliRunner().invoke(app, ["bench", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "mc" in res.stdout and "±" in res.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    [summary] = results["summary"]
    assert summary["n_seeds"] == 2 and 0.5 <= summary["test_accuracy_mean"] <= 1.0
    resolved = json.loads((tmp_path / "out" / "config.resolved.json").read_text())
    assert resolved["model"]["parser"] == "cups.v1"
