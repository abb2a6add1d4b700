"""Train one classifier on a dataset and score it: the runs behind ``qnlp train``, benchmark
pipelines and the tables in ``docs/``.

Each function takes a loaded :class:`~qnlp.datasets.Dataset`, fits on its training split, scores
train and test, and returns a flat dict of JSON-ready values (optionally saving the model).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qnlp.errors import DatasetError

#: estimator parameters that a run's own arguments set (not part of its ``settings``)
RUN_PARAMETERS = ("random_state", "verbose", "callbacks")


def train_one(dataset, *, parser: str, ansatz: str, backend: str, epochs: int, seed: int,
              n_layers: int = 1, ob_map: dict | None = None, rewrite: Sequence[str] = (),
              learning_rate: float = 0.2, batch_size: int | None = None, optimizer: str = "adam",
              out: str | Path | None = None, progress: Callable | None = None,
              shots: int | None = None, extra: dict | None = None) -> dict:
    """Train one DisCoCat classifier on ``dataset`` (a loaded Dataset) and evaluate it;
    ``extra`` holds further estimator parameters (``init_from``, ``min_count``, ...)."""
    from qnlp.estimators import QuantumTextClassifier

    _check_classification(dataset)
    clf = QuantumTextClassifier(parser=parser, ansatz=ansatz, backend=backend, epochs=epochs,
                                random_state=seed, n_layers=n_layers, ob_map=ob_map, rewrite=tuple(rewrite),
                                learning_rate=learning_rate, batch_size=batch_size, optimizer=optimizer,
                                shots=shots, verbose=progress is not None, **(extra or {}))
    t0 = time.perf_counter()
    callbacks = [progress] if progress is not None else []
    clf.fit(dataset.train.texts, dataset.train.labels, callbacks=callbacks)
    fit_seconds = time.perf_counter() - t0
    test_acc, train_acc = _accuracy(clf, dataset.test), _accuracy(clf, dataset.train)
    result = {
        "dataset": dataset.name,
        "seed": seed,
        "parser": clf.parser_.name,
        "ansatz": clf.ansatz_.name,
        "backend": getattr(clf.backend_, "name", str(backend)),
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "train_seconds": round(clf.history_.train_seconds, 4),
        "fit_seconds": round(fit_seconds, 3),
        "epochs": epochs,
        "n_parameters": clf.model_.n_parameters,
        "n_qubits_max": int(clf.n_qubits_max_),
        "n_train": len(dataset.train),
        "n_test": len(dataset.test),
        "parser_fallbacks": int(clf.fallback_count_),
        "rewrite_fallbacks": int(clf.rewrite_fallback_count_),
        "skipped_texts": int(clf.skipped_count_),
    }
    if clf.init_from is not None:
        result["init_from"] = str(clf.init_from)
    return _saved(clf, result, out)


def train_attention_one(dataset, *, seed: int, settings: dict, out: str | Path | None = None) -> dict:
    """Train one :class:`QuantumAttentionClassifier` on ``dataset`` (a loaded Dataset) and evaluate it."""
    from qnlp.estimators.loading import ATTENTION
    from qnlp.registry import registry

    _check_classification(dataset)
    clf = registry.make("model", ATTENTION, random_state=seed, **settings)
    clf.fit(dataset.train.texts, dataset.train.labels)
    test_acc, train_acc = _accuracy(clf, dataset.test), _accuracy(clf, dataset.train)
    result = {
        "model": ATTENTION,
        "dataset": dataset.name,
        "seed": seed,
        "head": clf.head,
        "n_heads": int(clf.n_heads),
        "n_layers": int(clf.n_layers),
        "qubits_per_token": int(clf.n_qubits),
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "train_seconds": round(float(sum(r.seconds for r in clf.history_)), 4),
        "fit_seconds": round(clf.fit_seconds_, 3),
        "epochs": int(clf.epochs),
        "n_parameters": int(clf.n_parameters_),
        "circuit_depth": int(clf.circuit_depth()["total"]),
        "n_train": len(dataset.train),
        "n_test": len(dataset.test),
        "settings": {k: v for k, v in clf.get_params().items() if k not in RUN_PARAMETERS},
    }
    return _saved(clf, result, out)


def summarise(results: list[dict]) -> dict:
    """Mean and standard deviation over seeds of the numeric metrics."""
    out = {"n_seeds": len(results)}
    for key in ("test_accuracy", "train_accuracy", "train_seconds"):
        vals = np.asarray([r[key] for r in results], dtype=float)
        out[key + "_mean"] = float(vals.mean())
        out[key + "_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    return out


def _check_classification(dataset) -> None:
    if dataset.task != "classification":
        raise DatasetError(f"dataset {dataset.name!r} is a {dataset.task} dataset, not classification")


def _accuracy(clf, split) -> float:
    """Accuracy of ``clf`` on a dataset split (labels compared as the estimator returns them).

    A text a DisCoCat pipeline cannot parse at all (empty, over the token limit) counts as an
    error instead of ending the run (imdb's train split has one 71-token review)."""
    from qnlp.errors import ParseError

    labels = np.asarray(split.labels)
    try:
        return float(np.mean(clf.predict(split.texts) == labels))
    except ParseError:
        if not hasattr(clf, "circuits"):
            raise
    circuits = clf.circuits(split.texts, on_error="none")
    ok = [i for i, c in enumerate(circuits) if c is not None]
    pred = clf.classes_[clf.model_.predict_proba([circuits[i] for i in ok]).argmax(1)]
    return float(np.sum(pred == labels[ok]) / len(labels))


def _saved(clf, result: dict, out) -> dict:
    """``result``, with ``model_dir`` once ``clf`` is saved to ``out`` (when given)."""
    if out is not None:
        clf.save(out)
        result["model_dir"] = str(out)
    return result
