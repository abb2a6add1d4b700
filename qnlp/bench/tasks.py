"""The units of work of a benchmark sweep: a selection (a grid searched without touching test) and
a run (fit on train, score on test). Both are plain, picklable functions of a small dict, so the
sweep can run them in this process or ship them to Dask workers.

A run returns the row the results store keeps (:mod:`qnlp.bench.store`); any exception becomes a
``failed`` row with a one-line error instead of stopping the sweep.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import time
from datetime import datetime, timezone

import numpy as np

from qnlp.bench.pipeline import estimator_class

#: Threads each task may use (BLAS, torch): workers must not oversubscribe the cores.
TASK_THREADS = 1


def task_key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _limit_threads() -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(TASK_THREADS))
    import torch

    torch.set_num_threads(TASK_THREADS)


def make_estimator(kind: str, settings: dict, dataset: str, seed: int):
    """The estimator of a model kind with ``settings`` for ``dataset`` and run seed ``seed``.

    ``attention`` starts from the dataset's preset (:func:`~qnlp.models.attention.presets.quantum_config`),
    ``classical-attention`` from the size of that preset (as the attention benchmark does); the
    pipeline's settings override both.
    """
    target = estimator_class(kind)
    if kind == "attention":
        from qnlp.models.attention.presets import quantum_config

        settings = quantum_config(dataset, settings)
    elif kind == "classical-attention":
        from qnlp.models.attention.presets import quantum_config

        preset = quantum_config(dataset)
        settings = {"learning_rate": 0.01, **{k: preset[k] for k in ("n_qubits", "n_layers", "n_heads",
                                                                     "epochs", "batch_size")}, **settings}
    if hasattr(target, "get_params"):
        return target(**settings, random_state=seed)
    return target(**settings, seed=seed)  # the scikit-learn pipelines of the LR baselines


def _score(clf, texts, labels) -> dict:
    """Accuracy, macro-F1 and ROC AUC (one-vs-rest for more than two classes) on test."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    t0 = time.perf_counter()
    proba = np.asarray(clf.predict_proba(texts))
    seconds = time.perf_counter() - t0
    classes = np.asarray(clf.classes_)
    pred = classes[proba.argmax(1)]
    labels = np.asarray(labels, dtype=classes.dtype)
    try:
        auc = (roc_auc_score(labels == classes[1], proba[:, 1]) if len(classes) == 2 else
               roc_auc_score(labels, proba, multi_class="ovr", labels=classes))
    except ValueError:  # one class only in this test set
        auc = None
    return {"accuracy": float(accuracy_score(labels, pred)),
            "macro_f1": float(f1_score(labels, pred, average="macro")),
            "roc_auc": None if auc is None else float(auc), "predict_seconds": seconds}


def _describe(clf, kind: str) -> dict:
    """Qubits, parameters and training curve of a fitted estimator of ``kind`` (what it has of them):
    qubits are the widest circuit (DisCoCat) or the qubits per token (quantum attention)."""
    n_qubits = {"discocat": getattr(clf, "n_qubits_max_", None),
                "attention": getattr(clf, "n_qubits", None)}.get(kind)
    if hasattr(clf, "n_parameters_"):
        n_params = int(clf.n_parameters_)
    elif hasattr(clf, "model_") and hasattr(clf.model_, "n_parameters"):
        n_params = int(clf.model_.n_parameters)
    else:  # a scikit-learn pipeline ending in a linear model
        last = clf[-1]
        n_params = int(last.coef_.size + last.intercept_.size)
    history = None
    if getattr(clf, "loss_curve_", None) is not None:
        history = {"loss": [float(x) for x in clf.loss_curve_],
                   "validation": clf.validation_scores_}
    return {"n_qubits": None if n_qubits is None else int(n_qubits), "n_parameters": n_params,
            "history": history}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@functools.lru_cache(maxsize=None)
def environment() -> dict:
    """qnlp version, git commit, package versions, host and Python of this process."""
    import platform
    import subprocess
    from importlib import metadata

    from qnlp import __version__

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                                cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    packages = {}
    for name in ("torch", "numpy", "scikit-learn", "lambeq", "pytket", "pytket-qiskit", "qiskit-aer", "dask"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    return {"qnlp_version": __version__, "git_commit": commit, "packages": packages,
            "host": platform.node(), "python": platform.python_version()}


def one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_task(task: dict) -> dict:
    """Fit one model on one dataset split with one seed and score it on test: a ``runs`` row."""
    from qnlp.datasets import load

    _limit_threads()
    row = {k: task[k] for k in ("key", "pipeline", "model", "kind", "dataset", "data_seed", "seed",
                                "config", "config_hash")}
    row.update(started=_now(), environment=dict(environment()))
    try:
        data = load(task["dataset"], seed=task["data_seed"])
        clf = make_estimator(task["kind"], task["settings"], data.name, task["seed"])
        t0 = time.perf_counter()
        clf.fit(data.train.texts, data.train.labels)
        row["train_seconds"] = time.perf_counter() - t0
        row.update(_score(clf, data.test.texts, data.test.labels))
        row.update(_describe(clf, task["kind"]))
        row.update(status="done", error=None)
    except Exception as exc:  # noqa: BLE001 - one failing run never ends the sweep
        row.update(status="failed", error=one_line(exc))
    row.update(peak_rss_mb=_peak_rss_mb(), finished=_now())
    return row


def grid_settings(grid: dict) -> list[dict]:
    """Every combination of a grid, in a fixed order."""
    keys = sorted(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def select_task(task: dict) -> dict:
    """Search a model's grid on the dev split (``method="dev"``; k-fold CV of train when the
    dataset has no dev split) or by stratified k-fold CV of train; never on test. A
    ``selections`` row whose ``chosen`` settings the runs then use."""
    from sklearn.model_selection import StratifiedKFold

    from qnlp.datasets import load

    _limit_threads()
    row = {k: task[k] for k in ("key", "pipeline", "model", "dataset", "data_seed", "grid")}
    row.update(started=_now())
    try:
        data = load(task["dataset"], seed=task["data_seed"])
        method = task["method"]
        if method == "dev" and (data.dev is None or len(data.dev) == 0):
            method = "cv"
        texts, labels = np.asarray(data.train.texts, dtype=object), np.asarray(data.train.labels)
        scores = []
        for candidate in grid_settings(task["grid"]):
            settings = {**task["settings"], **candidate}
            if method == "dev":
                clf = make_estimator(task["kind"], settings, data.name, task["seed"])
                clf.fit(data.train.texts, data.train.labels)
                score = float(np.mean(clf.predict(data.dev.texts) == np.asarray(data.dev.labels, dtype=clf.classes_.dtype)))
            else:
                folds = StratifiedKFold(task["folds"], shuffle=True, random_state=task["seed"])
                fold_scores = []
                for train, held in folds.split(texts, labels):
                    clf = make_estimator(task["kind"], settings, data.name, task["seed"])
                    clf.fit(list(texts[train]), labels[train])
                    fold_scores.append(float(np.mean(clf.predict(list(texts[held])) == labels[held])))
                score = float(np.mean(fold_scores))
            scores.append({"settings": candidate, "score": score})
        best = max(scores, key=lambda s: s["score"])  # ties: the first in grid order
        row.update(method=method, scores=scores, chosen=best["settings"], status="done", error=None)
    except Exception as exc:  # noqa: BLE001
        row.update(status="failed", error=one_line(exc), method=task["method"])
    row.update(finished=_now())
    return row
