"""Helpers for the benchmark tables: Markdown tables, runs grouped by (dataset, model), mean ± sd."""

from __future__ import annotations

import numpy as np


def grouped(runs) -> list[tuple[str, str, list]]:
    """``(dataset, model, runs)`` per pair, in order of first appearance (datasets first)."""
    keys = list(dict.fromkeys((r.dataset, r.model) for r in runs))
    datasets = list(dict.fromkeys(r.dataset for r in runs))
    keys.sort(key=lambda k: datasets.index(k[0]))
    return [(ds, model, [r for r in runs if r.dataset == ds and r.model == model]) for ds, model in keys]


def mean_sd(values) -> str:
    """``"0.812 ± 0.021"`` (sample sd; 0 for one value)."""
    a = np.asarray(values, dtype=float)
    sd = a.std(ddof=1) if len(a) > 1 else 0.0
    return f"{a.mean():.3f} ± {sd:.3f}"


def markdown_table(columns, rows) -> str:
    """A Markdown table: the header row, its separator, then one row per sequence of cells."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
