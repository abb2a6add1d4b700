"""The report of a benchmark run folder: a leaderboard, paired quantum-vs-classical comparisons,
and the same as Markdown or as one self-contained HTML page (inline CSS and SVG plots, no network).

Everything is read from the folder's results store (:mod:`qnlp.bench.store`). A run is one
model × dataset × data seed × seed; when the store holds more than one finished row for the same
``(dataset, model, data_seed, seed)`` (a rerun under a changed config), the last one written counts.

Statistics
----------
*Leaderboard*: mean test accuracy over the runs of a model on a dataset, with a 95 % Student-t
confidence interval (``mean ± t(0.975, n-1) · sd / sqrt(n)``), right for the few seeds of a sweep.

*Comparisons*: each quantum model against the best classical baseline of the dataset (the
classical model of highest mean accuracy), on the runs both have for the same ``(data_seed, seed)``.
The **primary test is the paired t-test** (``scipy.stats.ttest_rel``) on those per-seed
differences: pairing by split and seed removes the variance both models share, and with few seeds
it is the only test with power: the two-sided exact Wilcoxon p cannot go below ``2 / 2**n``
(0.0625 for 5 pairs). As five points cannot check the t-test's normality, the exact Wilcoxon
signed-rank p (zeros dropped; all sign flips enumerated, ties included, up to 16 pairs) is shown
beside it as a distribution-free check. With fewer than two pairs or differences of zero variance,
the t-test is "n/a" (``None``), never a NaN. No correction for multiple comparisons.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from qnlp.bench.pipeline import QUANTUM_KINDS  # the quantum model kinds; every other is classical

#: Confidence level of every interval in the report.
CONFIDENCE = 0.95
#: Differences are rounded to this many decimals first, so that accuracies equal up to floating
#: point give exact zeros and ties (accuracies are fractions of the test-set size).
_DECIMALS = 12
#: Up to this many non-zero differences the Wilcoxon p enumerates all 2**n sign flips.
_EXACT_MAX = 16
NA = "n/a"


def is_quantum(kind: str | None) -> bool:
    """Whether a model ``kind`` is quantum (in :data:`QUANTUM_KINDS`)."""
    return kind in QUANTUM_KINDS


def _store(store):
    """A :class:`~qnlp.bench.store.ResultsStore`, given one or a run folder."""
    from qnlp.bench.store import ResultsStore

    return store if hasattr(store, "runs") else ResultsStore(store)


def _latest(runs: list[dict]) -> list[dict]:
    """One run per ``(dataset, model, data_seed, seed)``: the last written (rows come in rowid order)."""
    return list({(r["dataset"], r["model"], r["data_seed"], r["seed"]): r for r in runs}.values())


def _num(x) -> float | None:
    """``x`` as a float, or ``None`` when missing or not finite."""
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _finite(values) -> list[float]:
    return [v for v in (_num(x) for x in values) if v is not None]


def _mean(values, median: bool = False) -> float | None:
    """Mean (or median) of the finite ``values``; ``None`` when there are none."""
    import statistics

    values = _finite(values)
    return None if not values else float(statistics.median(values) if median else statistics.fmean(values))


def t_interval(values, confidence: float = CONFIDENCE) -> tuple[float | None, float | None, float | None]:
    """Mean and Student-t confidence interval of ``values``.

    Parameters
    ----------
    values : sequence of float
        One value per seed.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    tuple
        ``(mean, low, high)``; ``low`` and ``high`` are ``None`` with fewer than two values,
        everything is ``None`` with none. Zero spread gives ``low == high == mean``.
    """
    import numpy as np
    from scipy import stats

    a = np.asarray(_finite(values), dtype=float)
    if a.size == 0:
        return None, None, None
    mean = float(a.mean())
    if a.size < 2:
        return mean, None, None
    half = float(stats.t.ppf(0.5 + confidence / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return mean, mean - half, mean + half


def leaderboard(store) -> list[dict]:
    """One row per dataset and model over the finished runs.

    Parameters
    ----------
    store : ResultsStore or path
        The results store, or its run folder.

    Returns
    -------
    list of dict
        Keys ``dataset``, ``model``, ``kind``, ``quantum``, ``n_seeds`` (finished runs, one per
        ``(data_seed, seed)``), ``accuracy`` (mean), ``accuracy_ci_low``/``accuracy_ci_high``
        (95 % t-interval over the runs; ``None`` for one run), ``macro_f1`` and ``roc_auc``
        (means over the runs that have them), ``train_seconds``, ``predict_seconds`` and
        ``peak_rss_mb`` (medians), ``n_qubits`` and ``n_parameters`` (the largest over the runs:
        the vocabulary, hence the size, can differ between data seeds). Sorted by dataset, then
        mean accuracy, best first.
    """
    groups = defaultdict(list)
    for r in _latest(_store(store).runs(status="done")):
        groups[(r["dataset"], r["model"])].append(r)
    rows = []
    for (dataset, model), runs in groups.items():
        acc, low, high = t_interval(r["accuracy"] for r in runs)
        sizes = {c: [r[c] for r in runs if r[c] is not None] for c in ("n_qubits", "n_parameters")}
        rows.append({
            "dataset": dataset, "model": model, "kind": runs[-1]["kind"], "quantum": is_quantum(runs[-1]["kind"]),
            "n_seeds": len(runs), "accuracy": acc, "accuracy_ci_low": low, "accuracy_ci_high": high,
            "macro_f1": _mean(r["macro_f1"] for r in runs), "roc_auc": _mean(r["roc_auc"] for r in runs),
            "train_seconds": _mean((r["train_seconds"] for r in runs), True),
            "predict_seconds": _mean((r["predict_seconds"] for r in runs), True),
            "peak_rss_mb": _mean((r["peak_rss_mb"] for r in runs), True),
            "n_qubits": max(sizes["n_qubits"], default=None), "n_parameters": max(sizes["n_parameters"], default=None),
        })
    rows.sort(key=lambda r: (r["dataset"], -(r["accuracy"] if r["accuracy"] is not None else -math.inf), r["model"]))
    return rows


def _paired_test(q, c) -> dict:
    """Paired t-test (primary) and exact Wilcoxon signed-rank p of ``q - c``; ``None`` where n/a."""
    import numpy as np
    from scipy import stats

    q, c = np.asarray(q, dtype=float), np.asarray(c, dtype=float)
    d = np.round(q - c, _DECIMALS)
    n = d.size
    out = {"n_pairs": n, "mean_difference": float(d.mean()) if n else None, "ci_low": None, "ci_high": None,
           "t_statistic": None, "p_value": None, "wilcoxon_p": None, "wilcoxon_method": None, "note": ""}
    if n < 2:
        out["note"] = f"{n} pair{'s' * (n != 1)}: no test"
        return out
    if d.std(ddof=1) > 0:
        res = stats.ttest_rel(q, c)
        ci = res.confidence_interval(CONFIDENCE)
        out.update(t_statistic=float(res.statistic), p_value=float(res.pvalue),
                   ci_low=float(ci.low), ci_high=float(ci.high))
    else:
        out["note"] = "differences of zero variance: no t-test"
    nonzero = d[d != 0]
    m = nonzero.size
    if m == 0:
        out["note"] = "all differences zero: no test"
        return out
    if m <= _EXACT_MAX:  # all 2**m sign flips: exact, also with tied |differences|
        res, method = stats.wilcoxon(nonzero, method=stats.PermutationMethod(n_resamples=2 ** m)), "exact"
    elif np.unique(np.abs(nonzero)).size == m:
        res, method = stats.wilcoxon(nonzero, method="exact"), "exact"
    else:
        res, method = stats.wilcoxon(nonzero, method="asymptotic"), "normal approx."
        out["note"] = "; ".join(filter(None, [out["note"], "Wilcoxon p by normal approximation"]))
    out.update(wilcoxon_p=float(res.pvalue), wilcoxon_method=method)
    return out


def paired_comparisons(store) -> list[dict]:
    """Each quantum model against the best classical baseline of its dataset, paired by seed.

    The baseline is the dataset's classical model (kind not in :data:`QUANTUM_KINDS`) of highest
    mean accuracy. Runs are paired by ``(data_seed, seed)``; runs without a partner are left out.
    The **primary test is the paired t-test** (``scipy.stats.ttest_rel``) on the per-seed
    differences: few seeds, paired by split and seed, and with five pairs the exact Wilcoxon test
    cannot reach p < 0.0625. The exact Wilcoxon signed-rank p is a distribution-free check beside
    it (see the module docstring).

    Parameters
    ----------
    store : ResultsStore or path
        The results store, or its run folder.

    Returns
    -------
    list of dict
        Keys ``dataset``, ``model``, ``kind``, ``baseline``, ``baseline_kind``, ``n_pairs``,
        ``unpaired``, ``model_accuracy`` and ``baseline_accuracy`` (means over the pairs),
        ``mean_difference`` (model - baseline), ``ci_low``/``ci_high`` (its 95 % t-interval),
        ``t_statistic``, ``p_value`` (paired t, two-sided), ``wilcoxon_p``, ``wilcoxon_method``
        (``"exact"``, or ``"normal approx."`` beyond 16 tied pairs), ``test`` and ``note`` (why a
        value is missing, unpaired runs left out). Missing values (fewer than two pairs, zero variance) are ``None``.
        Datasets without a classical model have no rows.
    """
    store = _store(store)
    board = leaderboard(store)
    runs = _latest(store.runs(status="done"))
    by_model = defaultdict(dict)
    for r in runs:
        by_model[(r["dataset"], r["model"])][(r["data_seed"], r["seed"])] = r["accuracy"]
    rows = []
    for dataset in sorted({r["dataset"] for r in board}):
        entries = [r for r in board if r["dataset"] == dataset]
        classical = [r for r in entries if not r["quantum"] and r["accuracy"] is not None]
        if not classical:
            continue
        best = classical[0]  # the board is sorted by accuracy, best first (ties: by model name)
        base = by_model[(dataset, best["model"])]
        for entry in (r for r in entries if r["quantum"]):
            mine = by_model[(dataset, entry["model"])]
            keys = sorted(k for k in set(mine) & set(base) if mine[k] is not None and base[k] is not None)
            q, c = [mine[k] for k in keys], [base[k] for k in keys]
            row = {"dataset": dataset, "model": entry["model"], "kind": entry["kind"], "baseline": best["model"],
                   "baseline_kind": best["kind"], "unpaired": len(set(mine) ^ set(base)),
                   "model_accuracy": _mean(q), "baseline_accuracy": _mean(c), "test": "paired t"}
            row.update(_paired_test(q, c))
            if row["unpaired"]:
                row["note"] = "; ".join(filter(None, [row["note"], f"{row['unpaired']} unpaired run(s) left out"]))
            rows.append(row)
    return rows


# -- formatting ---------------------------------------------------------------------------------
def _fmt(x, spec: str = ".3f") -> str:
    """``x`` formatted with ``spec``, ``"n/a"`` when missing; spec ``"p"`` is a p-value, ``"s"`` seconds."""
    x = _num(x)
    if x is None:
        return NA
    if spec == "p":
        return "<0.001" if x < 0.001 else f"{x:.3g}"
    if spec == "s":
        return f"{x:.3g}" if x < 100 else f"{x:.0f}"
    return f"{x:{spec}}"


def _ci(mean, low, high, spec: str = ".3f") -> str:
    return _fmt(mean, spec) + ("" if low is None else f" [{_fmt(low, spec)}, {_fmt(high, spec)}]")


_METHODS = {"dev": "dev split", "cv": "k-fold CV of train"}

TEST_TEXT = (
    "Primary test: paired t-test (two-sided) on the per-seed accuracy differences, quantum minus the "
    "best classical baseline of the dataset (highest mean accuracy), runs paired by (data seed, seed). "
    "Pairing removes the split-to-split variance both models share, and with few seeds the t-test is "
    "the only one with power: the exact Wilcoxon p cannot go below 2/2^n (0.0625 for 5 pairs). "
    "The exact Wilcoxon signed-rank p (zero differences dropped) is shown as a distribution-free check "
    "of the t-test's normality assumption. n/a: fewer than two pairs, or differences of zero variance. "
    "No correction for multiple comparisons.")


def _sections(store) -> dict:
    """The report's content, format-free: titles, notes and ``(columns, rows)`` tables."""
    store = _store(store)
    meta = store.meta()
    everything = store.runs()
    failed = [r for r in everything if r["status"] != "done"]
    board = leaderboard(store)
    comparisons = paired_comparisons(store)
    selections = store.selections()
    envs = [r["environment"] for r in everything if r.get("environment")]

    def distinct(key):
        return ", ".join(dict.fromkeys(str(e.get(key)) for e in envs if e.get(key) is not None)) or NA

    packages = {}
    for e in envs:
        packages.update({k: v for k, v in (e.get("packages") or {}).items() if v})
    pipeline = meta.get("pipeline") or next((r["pipeline"] for r in everything if r.get("pipeline")), None)
    environment = [("Pipeline", pipeline or NA), ("qnlp version", distinct("qnlp_version")),
                   ("Git commit", distinct("git_commit")), ("Host", distinct("host")),
                   ("Python", distinct("python")),
                   ("Packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items())) or NA),
                   ("Generated", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))]
    lb = (["Dataset", "Model", "Kind", "Seeds", "Accuracy [95% CI]", "Macro-F1", "ROC AUC", "Median train s"],
          [[r["dataset"], r["model"], r["kind"], r["n_seeds"],
            _ci(r["accuracy"], r["accuracy_ci_low"], r["accuracy_ci_high"]), _fmt(r["macro_f1"]),
            _fmt(r["roc_auc"]), _fmt(r["train_seconds"], "s")] for r in board])
    size = (["Dataset", "Model", "Kind", "Qubits", "Parameters", "Median train s", "Median predict s",
             "Median peak RSS MB"],
            [[r["dataset"], r["model"], r["kind"], _fmt(r["n_qubits"], ",.0f"), _fmt(r["n_parameters"], ",.0f"),
              _fmt(r["train_seconds"], "s"), _fmt(r["predict_seconds"], "s"), _fmt(r["peak_rss_mb"], ".0f")]
             for r in board])
    cmp_ = (["Dataset", "Quantum model", "Best classical", "Pairs", "Quantum acc.", "Classical acc.",
             "Difference [95% CI]", "p (paired t)", "p (Wilcoxon)", "Note"],
            [[r["dataset"], r["model"], r["baseline"], r["n_pairs"], _fmt(r["model_accuracy"]),
              _fmt(r["baseline_accuracy"]), _ci(r["mean_difference"], r["ci_low"], r["ci_high"], "+.3f"),
              _fmt(r["p_value"], "p"), _fmt(r["wilcoxon_p"], "p"), r["note"]] for r in comparisons])
    no_baseline = sorted({r["dataset"] for r in board if r["quantum"]} - {r["dataset"] for r in comparisons})
    done_sel = [s for s in selections if s["status"] == "done"]
    sel = (["Dataset", "Model", "Data seed", "Method", "Chosen settings", "Score", "Candidates"],
           [[s["dataset"], s["model"], s["data_seed"], _METHODS.get(s["method"], str(s["method"])),
             json.dumps(s["chosen"], sort_keys=True),
             _fmt(max((x["score"] for x in s["scores"] or []), default=None)), len(s["scores"] or [])]
            for s in sorted(done_sel, key=lambda s: (s["dataset"], s["model"], s["data_seed"] or 0))])
    def _one_line(text, limit: int = 300) -> str:
        text = " ".join(str(text or "unknown error").split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    fails = (["What", "Dataset", "Model", "Data seed", "Seed", "Error"],
             [["run", r["dataset"], r["model"], r["data_seed"], r["seed"], _one_line(r["error"])] for r in failed]
             + [["selection", s["dataset"], s["model"], s["data_seed"], "", _one_line(s["error"])]
                for s in selections if s["status"] != "done"])
    return {"pipeline": pipeline, "environment": environment, "leaderboard": lb, "size": size,
            "comparisons": cmp_, "no_baseline": no_baseline, "selections": sel, "failed": fails,
            "n_failed": len(failed), "n_runs": len(everything), "board": board, "runs": everything}


def _write_text_atomic(path, text: str) -> Path:
    """Write the report atomically, creating its folder (:func:`qnlp.utils.write_text`)."""
    from qnlp.utils import write_text

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, text)


def _md_table(columns, rows) -> str:
    from qnlp.bench.tables import markdown_table

    return markdown_table([str(c) for c in columns],
                          [[str(x).replace("|", "\\|").replace("\n", " ") for x in row] for row in rows])


def write_markdown(store, path) -> Path:
    """Write the report as Markdown: environment, leaderboard, size and cost, paired comparisons
    (with the test used), chosen settings of the model selections, and failed runs.

    Parameters
    ----------
    store : ResultsStore or path
        The results store, or its run folder.
    path : path
        The Markdown file, written atomically (temporary file beside it, then ``os.replace``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    s = _sections(store)
    out = [f"# Benchmark report: {s['pipeline'] or 'unnamed pipeline'}", ""]
    out += [f"- **{k}**: {v}" for k, v in s["environment"]] + [""]
    out += ["## Leaderboard", "", "Mean test accuracy over seeds with its 95 % Student-t confidence interval.", ""]
    def table(name, empty=None):
        return [_md_table(*s[name]), ""] if s[name][1] else ([empty, ""] if empty else [])

    out += table("leaderboard", "No finished runs.") + ["## Qubits, parameters and cost", ""]
    out += table("size", "No finished runs.") + ["## Quantum vs. best classical baseline", "", TEST_TEXT, ""]
    out += table("comparisons", "No quantum model with a classical baseline.")
    out += [f"No classical baseline on: {', '.join(s['no_baseline'])}.", ""] if s["no_baseline"] else []
    out += (["## Model selection", ""] + table("selections")) if s["selections"][1] else []
    out += ["## Failed runs", "", f"{s['n_failed']} of {s['n_runs']} runs failed.", ""] + table("failed")
    return _write_text_atomic(path, "\n".join(out))


# -- plots --------------------------------------------------------------------------------------
def _colours(models) -> dict:
    from matplotlib import colormaps

    names = sorted(set(models))
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]  # colours repeat beyond 20 models
    return {m: cmap(i % cmap.N) for i, m in enumerate(names)}


def _figure(n_panels: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ncols = min(n_panels, 2)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(5.4 * ncols, 3.6 * nrows + 0.7), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _legend(fig, axes) -> None:
    handles = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncols=min(len(handles), 4), frameon=False, fontsize=9)


def _svg(fig) -> str:
    """The figure as inline SVG markup (no XML prologue, no metadata block)."""
    import io

    fig.savefig(buf := io.StringIO(), format="svg", metadata={"Date": None})
    text = buf.getvalue()[buf.getvalue().index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return text.replace("<svg ", '<svg role="img" class="plot" ', 1)


def _plot_accuracy_time(board, colours: dict) -> str | None:
    """Accuracy (mean, 95 % CI) against median train time (log x), one panel per dataset."""
    rows = [r for r in board if r["accuracy"] is not None and r["train_seconds"] is not None]
    if not rows:
        return None
    datasets = sorted({r["dataset"] for r in rows})
    fig, axes = _figure(len(datasets))
    for ax, dataset in zip(axes, datasets):
        xs = []
        for r in (r for r in rows if r["dataset"] == dataset):
            x = max(r["train_seconds"], 1e-3)
            xs.append(x)
            yerr = None if r["accuracy_ci_low"] is None else [[r["accuracy"] - r["accuracy_ci_low"]],
                                                              [r["accuracy_ci_high"] - r["accuracy"]]]
            ax.errorbar([x], [r["accuracy"]], yerr=yerr, fmt="o" if r["quantum"] else "s", color=colours[r["model"]],
                        markersize=7, capsize=4, elinewidth=1.4,
                        label=f"{r['model']} ({'quantum' if r['quantum'] else 'classical'})")
        ax.set_xscale("log")
        ax.set_xlim(min(xs) / 2.5, max(xs) * 2.5)
        ax.set_title(dataset, fontsize=11)
        ax.set_xlabel("median train time (s, log scale)")
        ax.set_ylabel("test accuracy (mean, 95% CI)")
        ax.grid(True, which="major", alpha=0.3)
    _legend(fig, axes)
    return _svg(fig)


def _plot_curves(runs, colours: dict) -> str | None:
    """Training loss per epoch, mean over seeds, one line per model, one panel per dataset."""
    import numpy as np

    curves = defaultdict(list)
    for r in runs:
        loss = r["history"].get("loss") if isinstance(r["history"], dict) else None
        if loss:
            curves[(r["dataset"], r["model"], is_quantum(r["kind"]))].append([_num(x) for x in loss])
    if not curves:
        return None
    datasets = sorted({k[0] for k in curves})
    fig, axes = _figure(len(datasets))
    for ax, dataset in zip(axes, datasets):
        for (ds, model, quantum), losses in sorted(curves.items()):
            if ds != dataset:
                continue
            width = max(len(x) for x in losses)
            padded = np.full((len(losses), width), np.nan)
            for i, x in enumerate(losses):
                padded[i, : len(x)] = [np.nan if v is None else v for v in x]
            counts = np.isfinite(padded).sum(0)  # mean over the seeds that reached the epoch
            mean = np.where(counts > 0, np.nansum(padded, 0) / np.maximum(counts, 1), np.nan)
            ax.plot(np.arange(1, width + 1), mean, "-" if quantum else "--", color=colours[model], linewidth=1.8,
                    marker="o" if width == 1 else None,
                    label=f"{model} ({'quantum' if quantum else 'classical'}, {len(losses)} seeds)")
        ax.set_title(dataset, fontsize=11)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (mean over seeds)")
        ax.grid(True, alpha=0.3)
    _legend(fig, axes)
    return _svg(fig)


# -- HTML ---------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2328;background:#fff;margin:0;
 line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}h1{font-size:1.6rem;margin:0 0 4px}
h2{font-size:1.2rem;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
p.lead{color:#57606a;margin:0 0 16px}p.note{color:#57606a;font-size:.9rem;max-width:60rem}
dl.env{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;font-size:.9rem;margin:0}
dl.env dt{font-weight:600;color:#57606a}dl.env dd{margin:0;word-break:break-all}.tablewrap{overflow-x:auto}
table{border-collapse:collapse;font-size:.88rem;margin:8px 0}tbody tr:hover{background:#f6f8fa}
th,td{padding:5px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;border-bottom:2px solid #d0d7de;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr.first td{border-top:2px solid #d0d7de}
td.best{font-weight:700}td.err{font-family:ui-monospace,monospace;font-size:.82rem;color:#8b1a1a}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:.78rem;white-space:nowrap}
.quantum{background:#ddf4ff;color:#0550ae}.classical{background:#eef0f2;color:#424a53}
figure{margin:12px 0}figure svg.plot{max-width:100%;height:auto;display:block}
figcaption{color:#57606a;font-size:.88rem;margin-top:4px}
"""
#: Columns of text (left-aligned); every other column is numeric.
_TEXT = {"Dataset", "Model", "Kind", "Quantum model", "Best classical", "Method", "Chosen settings", "Note",
         "What", "Error"}


def _html_table(columns, rows, *, best=None) -> str:
    """An HTML table; ``Kind`` cells become badges, a new dataset starts with a rule, the
    accuracy of the rows for which ``best(row)`` holds is bold."""
    e = html.escape
    out = ['<div class="tablewrap"><table><thead><tr>' + "".join(f"<th>{e(str(c))}</th>" for c in columns)
           + "</tr></thead><tbody>"]
    at = columns.index("Dataset") if "Dataset" in columns else None
    for i, row in enumerate(rows):
        first = at is not None and i > 0 and row[at] != rows[i - 1][at]
        cells = []
        for c, x in zip(columns, row):
            classes = ([] if c in _TEXT else ["num"]) + (["err"] if c == "Error" else []) + (
                ["best"] if best and c.startswith("Accuracy") and best(row) else [])
            text = e(str(x))
            if c == "Kind":
                text = f'<span class="badge {"quantum" if is_quantum(x) else "classical"}">{text}</span>'
            attr = ' class="{}"'.format(" ".join(classes)) if classes else ""
            cells.append(f"<td{attr}>{text}</td>")
        out.append(("<tr class=\"first\">" if first else "<tr>") + "".join(cells) + "</tr>")
    return "\n".join(out) + "</tbody></table></div>"


def write_html(store, path) -> Path:
    """Write the report as one self-contained HTML file: inline CSS, inline SVG plots, no script,
    nothing fetched from the network.

    Contents: the pipeline and its environment (qnlp version, git commit, host, packages), the
    leaderboard, the paired comparisons with the test named, a plot of accuracy (mean, 95 % CI)
    against median train time per dataset (log x), training curves (mean loss per epoch over
    seeds, one line per model, one panel per dataset), qubits / parameters / cost, the chosen
    settings of the model selections, and the failed runs with their one-line errors.

    Parameters
    ----------
    store : ResultsStore or path
        The results store, or its run folder.
    path : path
        The HTML file, written atomically (temporary file beside it, then ``os.replace``).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    s = _sections(store)
    e = html.escape
    title = f"Benchmark report: {s['pipeline'] or 'unnamed pipeline'}"
    tops = {}
    for r in s["board"]:
        tops.setdefault(r["dataset"], r["model"])  # the board is sorted: the first is the best

    def table(name, empty, **options):
        return _html_table(*s[name], **options) if s[name][1] else f"<p>{empty}</p>"

    def figure(svg, caption, empty):
        return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>" if svg else f"<p>{empty}</p>"

    colours = _colours(r["model"] for r in s["board"])
    done = _latest([r for r in s["runs"] if r["status"] == "done"])
    env = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in s["environment"])
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body><main><h1>{e(title)}</h1>",
        f'<p class="lead">{s["n_runs"] - s["n_failed"]} finished runs, {s["n_failed"]} failed.</p>',
        f'<h2>Environment</h2><dl class="env">{env}</dl>', "<h2>Leaderboard</h2>",
        '<p class="note">Mean test accuracy over seeds with its 95 % Student-t confidence interval; '
        "the best model of each dataset in bold.</p>",
        table("leaderboard", "No finished runs.", best=lambda row: tops.get(row[0]) == row[1]),
        "<h2>Quantum vs. best classical baseline</h2>", f'<p class="note">{e(TEST_TEXT)}</p>',
        table("comparisons", "No quantum model with a classical baseline."),
        f'<p class="note">No classical baseline on: {e(", ".join(s["no_baseline"]))}.</p>' if s["no_baseline"] else "",
        "<h2>Accuracy against training time</h2>",
        figure(_plot_accuracy_time(s["board"], colours), "Mean test accuracy with its 95 % confidence interval "
               "against the median training time (log scale); circles quantum, squares classical.",
               "No finished runs with a training time."),
        "<h2>Training curves</h2>",
        figure(_plot_curves(done, colours), "Training loss per epoch, mean over seeds (over the seeds still "
               "training, where early stopping ended some sooner); solid quantum, dashed classical.",
               "No run recorded a training curve."),
        "<h2>Qubits, parameters and cost</h2>", table("size", "No finished runs."),
        "<h2>Model selection</h2>" + table("selections", "") if s["selections"][1] else "",
        f'<h2>Failed runs</h2><p class="note">{s["n_failed"]} of {s["n_runs"]} runs failed.</p>',
        table("failed", "") if s["failed"][1] else "", "</main></body></html>\n"]
    return _write_text_atomic(path, "\n".join(p for p in parts if p))

