"""Benchmark pipelines: validation at the boundary, the results store, resume after kill -9, Dask."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qnlp.bench.pipeline import load_pipeline
from qnlp.bench.store import ResultsStore
from qnlp.cli.main import app
from qnlp.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
QNLP = [sys.executable, "-m", "qnlp.cli.main"]

TINY = '''name = "tiny"
[run]
datasets = ["mc"]
seeds = [0, 1]

[[models]]
name = "tfidf-lr"
kind = "tfidf-lr"

[[models]]
name = "attention"
kind = "attention"
settings = { epochs = 3 }
'''


def write(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bundled_pipelines_validate():
    files = sorted((ROOT / "pipelines").glob("*.toml"))
    assert {f.name for f in files} >= {"quickstart.toml", "attention_table.toml"}
    for f in files:
        p = load_pipeline(f)
        assert p.models and p.run.datasets


@pytest.mark.parametrize("text,match", [
    ('name = "x"\n[run]\ndatasets = ["mc"]\nsurprise = 1\n[[models]]\nname = "a"\nkind = "tfidf-lr"\n',
     r"p.toml:4: run.surprise"),
    ('name = "x"\n[run]\ndatasets = ["mc"]\n[[models]]\nname = "a"\nkind = "transformer"\n',
     r"p.toml:6: models.0.kind: unknown model kind 'transformer'"),
    ('name = "x"\n[run]\ndatasets = ["mc"]\n[[models]]\nname = "a"\nkind = "tfidf-lr"\n[[models]]\n'
     'name = "b"\nkind = "attention"\nsettings = { epochz = 3 }\n',
     r"p.toml:10: models.1.settings.epochz: unknown setting 'epochz' for kind 'attention'"),
    ('name = "x"\n[run]\ndatasets = ["nope"]\n[[models]]\nname = "a"\nkind = "tfidf-lr"\n', "unknown dataset 'nope'"),
    ('name = "x"\n[run]\ndatasets = ["mc"]\n[[models]]\nname = "a"\nkind = "attention"\ngrid = { epochs = [] }\n',
     "grid 'epochs' has no values"),
    ('name = "x"\n[model]\nepochz = 3\n[run]\ndatasets = ["mc"]\n', r"p.toml:3: model.epochz: unknown key"),
    ('name = "x"\n[run]\ndatasets = ["yelp"]\ndata_seeds = [0, 7]\n[[models]]\nname = "a"\nkind = "tfidf-lr"\n',
     r"p.toml:4: run.data_seeds: yelp: no stored split for seed 7"),
    ('name = "x"\n[run\n', "invalid TOML"),
])
def test_bad_pipelines_name_file_line_and_key(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_pipeline(write(tmp_path, text))


def test_first_format_is_one_discocat_model(tmp_path):
    p = load_pipeline(write(tmp_path, 'name = "old"\n[model]\nparser = "cups"\nqubits_s = 2\nepochs = 5\n'
                                      '[run]\ndatasets = ["mc"]\n'))
    [m] = p.models
    assert m.kind == "discocat" and m.settings == {"parser": "cups", "ob_map": {"n": 1, "s": 2}, "epochs": 5}


def test_run_status_report_and_resume(tmp_path):
    path = write(tmp_path, TINY)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["bench", "run", str(path), "--out", str(out), "--workers", "1", "--quiet", "--json"])
    assert res.exit_code == 0, res.output
    status = json.loads(res.stdout)
    assert (status["planned"], status["done"], status["failed"], status["pending"]) == (4, 4, 0, 0)
    rows = ResultsStore(out).runs()
    assert {(r["model"], r["seed"]) for r in rows} == {(m, s) for m in ("tfidf-lr", "attention") for s in (0, 1)}
    for r in rows:
        assert 0.5 <= r["accuracy"] <= 1 and 0 <= r["macro_f1"] <= 1 and r["n_parameters"] > 0
        assert r["environment"]["qnlp_version"] and r["started"] <= r["finished"]
    attention = [r for r in rows if r["model"] == "attention"]
    assert all(r["n_qubits"] == 4 and len(r["history"]["loss"]) == 3 for r in attention)
    # a rerun skips what is done
    again = CliRunner().invoke(app, ["bench", "run", str(path), "--out", str(out), "--workers", "1", "--json"])
    assert again.exit_code == 0 and "0 to run" in again.output
    assert len(ResultsStore(out).runs()) == 4
    res = CliRunner().invoke(app, ["bench", "status", str(out)])
    assert res.exit_code == 0 and "4 done, 0 failed, 0 pending of 4 runs" in res.stdout


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    text = TINY.replace('settings = { epochs = 3 }', 'settings = { epochs = 3, n_qubits = 99 }')
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["bench", "run", str(write(tmp_path, text)), "--out", str(out),
                                   "--workers", "1", "--quiet", "--json"])
    assert res.exit_code == 0, res.output
    status = json.loads(res.stdout)
    assert (status["done"], status["failed"]) == (2, 2)
    assert all("n_qubits=99" in e["error"] and "\n" not in e["error"] for e in status["errors"])


def _done(out):
    try:
        return len(ResultsStore(out).runs("done"))
    except Exception:  # noqa: BLE001 - not created yet
        return 0


@pytest.mark.slow
def test_kill_9_loses_at_most_the_run_in_flight_and_the_rerun_completes(tmp_path):
    text = TINY.replace("seeds = [0, 1]", "seeds = [0, 1, 2, 3, 4, 5]").replace("epochs = 3", "epochs = 40")
    path = write(tmp_path, text)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = subprocess.Popen([*QNLP, "bench", "run", str(path), "--out", str(killed), "--workers", "1", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while _done(killed) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_killed = _done(killed)
    assert 3 <= n_killed < 12, "the sweep was not killed in the middle"
    subprocess.run([*QNLP, "bench", "run", str(path), "--out", str(killed), "--workers", "1", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([*QNLP, "bench", "run", str(path), "--out", str(whole), "--workers", "1", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def metrics(folder):
        return {(r["model"], r["seed"]): (r["accuracy"], r["macro_f1"], r["roc_auc"], r["n_parameters"])
                for r in ResultsStore(folder).runs("done")}

    assert len(ResultsStore(killed).runs()) == 12  # every run once: nothing was run twice
    assert metrics(killed) == metrics(whole)


@pytest.mark.slow
def test_runs_go_to_an_existing_dask_cluster(tmp_path):
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if dask is None:
        pytest.skip("dask's command line is not installed")
    sched_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([dask, "scheduler", "--scheduler-file", str(sched_file), "--port", "0",
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 60
        while not sched_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        out = tmp_path / "out"
        res = subprocess.run([*QNLP, "bench", "run", str(write(tmp_path, TINY)), "--out", str(out),
                              "--scheduler", address, "--quiet", "--json"], capture_output=True, text=True,
                             timeout=300, env=env)
        assert res.returncode == 0, res.stderr
        status = json.loads(res.stdout)
        assert (status["done"], status["failed"]) == (4, 0)
        hosts = {r["environment"]["host"] for r in ResultsStore(out).runs()}
        assert hosts  # each row says where it ran
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_workers_and_scheduler_are_exclusive(tmp_path):
    res = CliRunner().invoke(app, ["bench", "run", str(write(tmp_path, TINY)), "--out", str(tmp_path / "o"),
                                   "--workers", "2", "--scheduler", "tcp://x:1"])
    assert res.exit_code == 1 and "not both" in res.output


def test_grid_is_selected_on_dev_or_cv_never_test_and_recorded(tmp_path):
    import numpy as np

    from qnlp.bench.sweep import run_sweep
    from qnlp.datasets import load
    from qnlp.models.attention.baselines import tfidf_logreg

    text = ('name = "sel"\n[run]\ndatasets = ["mc", "rp"]\nseeds = [0]\n[[models]]\nname = "lr"\n'
            'kind = "tfidf-lr"\ngrid = { C = [0.001, 10.0] }\n')
    out = tmp_path / "out"
    status = run_sweep(load_pipeline(write(tmp_path, text)), out)
    assert (status["done"], status["selections"]["done"]) == (2, 2)
    rows = {r["dataset"]: r for r in ResultsStore(out).selections("done")}
    assert rows["mc"]["method"] == "dev" and rows["rp"]["method"] == "cv"  # RP has no dev split
    mc = load("mc")
    by_hand = {C: float(np.mean(tfidf_logreg(C=C, seed=0).fit(mc.train.texts, mc.train.labels)
                               .predict(mc.dev.texts) == np.asarray(mc.dev.labels))) for C in (0.001, 10.0)}
    assert {s["settings"]["C"]: s["score"] for s in rows["mc"]["scores"]} == by_hand
    chosen = max(by_hand, key=lambda C: (by_hand[C], -[0.001, 10.0].index(C)))
    assert rows["mc"]["chosen"] == {"C": chosen}
    run = next(r for r in ResultsStore(out).runs() if r["dataset"] == "mc")
    assert run["config"]["selected"] == {"C": chosen}
