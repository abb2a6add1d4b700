"""The report of a benchmark run folder: values of the leaderboard and the paired comparisons, the
Markdown and HTML files, and the HTML page rendered by a headless Chromium."""

import json
import math
import os
import re
import shutil

import numpy as np
import pytest
from scipy import stats

from qnlp.bench.report import (QUANTUM_KINDS, leaderboard, paired_comparisons, t_interval, write_html,
                               write_markdown)
from qnlp.bench.store import ResultsStore

PAIRS = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]  # (data_seed, seed): five seeds
MODELS = {"quantum-dc": "discocat", "tfidf": "tfidf-lr", "minilm": "minilm-lr"}
#: Mean accuracy per dataset and model: minilm is the best classical model on "mc", tfidf on "rp".
MEANS = {"mc": {"quantum-dc": 0.80, "tfidf": 0.70, "minilm": 0.85},
         "rp": {"quantum-dc": 0.60, "tfidf": 0.72, "minilm": 0.65}}
ENV = {"qnlp_version": "9.9.9", "git_commit": "abc123def456", "host": "bench-host", "python": "3.11.2",
       "packages": {"numpy": "2.0.0", "torch": "2.5.0"}}


def _row(dataset, model, data_seed, seed, accuracy, *, status="done", error=None, history=None):
    kind = MODELS.get(model, "discocat")
    return {"key": f"{dataset}-{model}-{data_seed}-{seed}", "pipeline": "demo", "model": model, "kind": kind,
            "dataset": dataset, "data_seed": data_seed, "seed": seed, "config": {"epochs": 3},
            "config_hash": "h", "status": status, "error": error,
            "accuracy": accuracy, "macro_f1": None if accuracy is None else accuracy - 0.01,
            "roc_auc": None if accuracy is None else min(1.0, accuracy + 0.05),
            "train_seconds": None if accuracy is None else (30.0 + seed if kind == "discocat" else 0.5 + data_seed),
            "predict_seconds": 0.1, "peak_rss_mb": 500.0, "n_qubits": 4 if kind == "discocat" else None,
            "n_parameters": 40 + data_seed if kind == "discocat" else 202, "history": history,
            "environment": ENV, "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:01:00+00:00"}


@pytest.fixture
def accuracies():
    """Accuracy per (dataset, model) and pair: distinct values, no tied differences."""
    rng = np.random.default_rng(7)
    return {(ds, m): {p: round(float(MEANS[ds][m] + rng.uniform(-0.05, 0.05)), 6) for p in PAIRS}
            for ds in MEANS for m in MODELS}


@pytest.fixture
def store(tmp_path, accuracies):
    st = ResultsStore(tmp_path / "run")
    st.create("demo", {"models": sorted(MODELS)})
    for (ds, model), by_pair in accuracies.items():
        for (data_seed, seed), acc in by_pair.items():
            history = None
            if MODELS[model] == "discocat":  # curves of different lengths (early stopping)
                history = {"loss": [1.0 / (e + 1) + 0.01 * seed for e in range(5 + seed)], "validation": None}
            elif model == "minilm":
                history = {"loss": [0.7, 0.5, 0.4], "validation": [0.6, 0.7, 0.72]}
            st.put_run(_row(ds, model, data_seed, seed, acc, history=history))
    st.put_run(_row("rp", "quantum-dc", 3, 0, None, status="failed",
                    error="RuntimeError: out of memory | while contracting"))
    st.put_selection({"key": "sel-1", "pipeline": "demo", "model": "quantum-dc", "dataset": "mc", "data_seed": 0,
                      "method": "cv", "grid": {"learning_rate": [0.01, 0.1]},
                      "scores": [{"settings": {"learning_rate": 0.01}, "score": 0.7},
                                 {"settings": {"learning_rate": 0.1}, "score": 0.75}],
                      "chosen": {"learning_rate": 0.1}, "status": "done", "error": None,
                      "started": "s", "finished": "f"})
    return st


def test_quantum_kinds():
    assert set(QUANTUM_KINDS) == {"discocat", "attention"}


def test_leaderboard_values(store, accuracies):
    board = leaderboard(store)
    assert [(r["dataset"], r["model"]) for r in board] == [
        ("mc", "minilm"), ("mc", "quantum-dc"), ("mc", "tfidf"), ("rp", "tfidf"), ("rp", "minilm"), ("rp", "quantum-dc")]
    row = next(r for r in board if r["dataset"] == "rp" and r["model"] == "quantum-dc")
    acc = np.array([accuracies[("rp", "quantum-dc")][p] for p in PAIRS])
    low, high = stats.t.interval(0.95, len(acc) - 1, loc=acc.mean(), scale=stats.sem(acc))
    assert row["n_seeds"] == 5  # the failed run does not count
    assert row["accuracy"] == pytest.approx(acc.mean())
    assert (row["accuracy_ci_low"], row["accuracy_ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert row["macro_f1"] == pytest.approx(acc.mean() - 0.01)
    assert row["train_seconds"] == pytest.approx(np.median([30.0 + s for _, s in PAIRS]))
    assert row["quantum"] and row["n_qubits"] == 4 and row["n_parameters"] == 42  # largest over data seeds
    tfidf = next(r for r in board if r["dataset"] == "rp" and r["model"] == "tfidf")
    assert not tfidf["quantum"] and tfidf["n_qubits"] is None and tfidf["n_parameters"] == 202


def test_t_interval_edge_cases():
    assert t_interval([]) == (None, None, None)
    assert t_interval([0.7]) == (0.7, None, None)
    assert t_interval([0.5, 0.5, 0.5]) == (0.5, 0.5, 0.5)


def test_paired_comparisons_values(store, accuracies):
    rows = {r["dataset"]: r for r in paired_comparisons(store)}
    assert set(rows) == {"mc", "rp"}
    assert rows["mc"]["baseline"] == "minilm" and rows["rp"]["baseline"] == "tfidf"
    for ds, row in rows.items():
        q = np.array([accuracies[(ds, "quantum-dc")][p] for p in PAIRS])
        c = np.array([accuracies[(ds, row["baseline"])][p] for p in PAIRS])
        d = q - c
        ref = stats.ttest_rel(q, c)
        half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / math.sqrt(5)
        assert row["model"] == "quantum-dc" and row["n_pairs"] == 5 and row["unpaired"] == 0
        assert row["mean_difference"] == pytest.approx(d.mean())
        assert row["ci_low"] == pytest.approx(d.mean() - half)
        assert row["ci_high"] == pytest.approx(d.mean() + half)
        assert row["p_value"] == pytest.approx(ref.pvalue)
        assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d, method="exact").pvalue)
        assert row["wilcoxon_method"] == "exact" and row["test"] == "paired t"
    assert rows["rp"]["mean_difference"] < 0  # quantum (0.60) below tfidf (0.72) on rp
    assert rows["rp"]["wilcoxon_p"] >= 0.0625  # five pairs: the exact Wilcoxon floor


def _tiny_store(tmp_path, rows):
    st = ResultsStore(tmp_path / "tiny")
    st.create("tiny", {})
    for r in rows:
        st.put_run(r)
    return st


def test_single_pair_is_na(tmp_path):
    st = _tiny_store(tmp_path, [_row("mc", "quantum-dc", 0, 0, 0.8), _row("mc", "tfidf", 0, 0, 0.7),
                                _row("mc", "tfidf", 1, 0, 0.72)])
    (row,) = paired_comparisons(st)
    assert row["n_pairs"] == 1 and row["unpaired"] == 1
    assert row["mean_difference"] == pytest.approx(0.1)
    assert row["p_value"] is None and row["ci_low"] is None and row["wilcoxon_p"] is None
    text = write_markdown(st, tmp_path / "r.md").read_text()
    line = next(x for x in text.splitlines() if x.startswith("| mc | quantum-dc | tfidf | 1 |"))
    assert "+0.100 |" in line and line.count("n/a") == 2 and "nan" not in line.lower()


def test_zero_variance_is_na_for_t_but_not_wilcoxon(tmp_path):
    rows = []
    for data_seed, seed in PAIRS:
        rows += [_row("mc", "quantum-dc", data_seed, seed, 0.6 + 0.05 * seed + 0.1),
                 _row("mc", "tfidf", data_seed, seed, 0.6 + 0.05 * seed)]
    (row,) = paired_comparisons(_tiny_store(tmp_path, rows))
    assert row["mean_difference"] == pytest.approx(0.1)
    assert row["p_value"] is None and row["ci_low"] is None and "zero variance" in row["note"]
    assert row["wilcoxon_p"] == pytest.approx(0.0625)  # 5 of 5 positive: 2 / 2**5


def test_no_classical_baseline(tmp_path):
    st = _tiny_store(tmp_path, [_row("mc", "quantum-dc", 0, s, 0.7 + s / 100) for s in range(3)])
    assert paired_comparisons(st) == []
    assert "No classical baseline on: mc." in write_markdown(st, tmp_path / "r.md").read_text()


def test_markdown(store, tmp_path):
    path = write_markdown(store, tmp_path / "out" / "report.md")
    text = path.read_text()
    assert "# Benchmark report: demo" in text
    assert "Primary test: paired t-test" in text and "Wilcoxon" in text
    assert "1 of 31 runs failed." in text
    assert "RuntimeError: out of memory \\| while contracting" in text  # the pipe escaped
    assert '| mc | quantum-dc | 0 | k-fold CV of train | {"learning_rate": 0.1} | 0.750 | 2 |' in text
    assert "abc123def456" in text and "bench-host" in text
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.md"]  # no temporary file left


def test_html_is_self_contained(store, tmp_path):
    path = write_html(store, tmp_path / "report.html")
    assert path == tmp_path / "report.html"
    text = path.read_text()
    assert text.count("<svg ") == 2 and "<script" not in text.lower() and "<link" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "url(http" not in text and "@import" not in text
    for needle in ("demo", "9.9.9", "abc123def456", "bench-host", "paired t-test", "minilm", "out of memory",
                   "Qubits", "k-fold CV of train"):
        assert needle in text
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["report.html"]
    json.dumps(leaderboard(store))  # rows are plain JSON data


def _browser():
    """The system Chromium, or skip with the reason."""
    pytest.importorskip("playwright", reason="playwright is not installed")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None and os.path.exists("/usr/bin/chromium"):
        exe = "/usr/bin/chromium"
    if exe is None:
        pytest.skip("no system chromium (apt-get install -y chromium)")
    return exe


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.mark.browser
def test_html_renders_in_chromium(store, tmp_path):
    exe = _browser()
    from playwright.sync_api import sync_playwright

    path = write_html(store, tmp_path / "report.html")
    messages, errors, requests = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: messages.append((m.type, m.text)))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            plots = page.evaluate("""() => ({
                img: [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]),
                svg: [...document.querySelectorAll('svg')].map(s => {
                    const b = s.getBoundingClientRect(); return [b.width, b.height]; })})""")
            headings = page.locator("h2").all_inner_texts()
        finally:
            browser.close()
    assert errors == []
    assert [m for m in messages if m[0] == "error"] == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []  # nothing from the network
    assert len(plots["img"]) + len(plots["svg"]) >= 2
    assert all(ok and w > 0 and h > 0 for ok, w, h in plots["img"])
    assert all(w > 0 and h > 0 for w, h in plots["svg"])
    assert "Leaderboard" in headings and "Training curves" in headings and "Failed runs" in headings
