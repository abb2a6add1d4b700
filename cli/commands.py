"""Plain, tested functions behind the ``qnlp`` command line (no argument parsing here)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qnlp.errors import ConfigError, DatasetError, ParseError


def list_datasets() -> list[dict]:
    """Summary of each bundled dataset."""
    from qnlp.datasets import available, load

    return [load(name).summary() for name in available()]


def train_one(dataset, *, parser: str, ansatz: str, backend: str, epochs: int, seed: int,
              n_layers: int = 1, ob_map: dict | None = None, rewrite: Sequence[str] = (),
              learning_rate: float = 0.2, batch_size: int | None = None, optimizer: str = "adam",
              out: str | Path | None = None, progress: Callable | None = None,
              shots: int | None = None) -> dict:
    """Train one DisCoCat classifier on ``dataset`` (a loaded Dataset) and evaluate it."""
    from qnlp.estimators import QuantumTextClassifier

    if dataset.task != "classification":
        raise DatasetError(f"dataset {dataset.name!r} is a {dataset.task} dataset, not classification")
    clf = QuantumTextClassifier(parser=parser, ansatz=ansatz, backend=backend, epochs=epochs,
                                seed=seed, n_layers=n_layers, ob_map=ob_map, rewrite=tuple(rewrite),
                                learning_rate=learning_rate, batch_size=batch_size, optimizer=optimizer,
                                shots=shots, verbose=progress is not None)
    t0 = time.perf_counter()
    callbacks = [progress] if progress is not None else []
    clf.fit(dataset.train.texts, dataset.train.labels, callbacks=callbacks)
    fit_seconds = time.perf_counter() - t0
    train_acc = float(np.mean(clf.predict(dataset.train.texts) == np.asarray(dataset.train.labels)))
    test_acc = float(np.mean(clf.predict(dataset.test.texts) == np.asarray(dataset.test.labels)))
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
    }
    if out is not None:
        clf.save(out)
        result["model_dir"] = str(out)
    return result


def summarise(results: list[dict]) -> dict:
    """Mean and standard deviation over seeds of the numeric metrics."""
    out = {"n_seeds": len(results)}
    for key in ("test_accuracy", "train_accuracy", "train_seconds"):
        vals = np.asarray([r[key] for r in results], dtype=float)
        out[key + "_mean"] = float(vals.mean())
        out[key + "_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
    return out


def predict(model_dir: str | Path, sentences: Sequence[str], *, backend: str | None = None,
            shots: int | None = None, seed: int | None = None) -> list[dict]:
    """Label and class probabilities per sentence; a sentence that cannot be handled gets an
    ``error`` entry instead (the others are still predicted)."""
    from qnlp.backends.base import RunConfig
    from qnlp.cli.attention import model_kind, predict_attention
    from qnlp.estimators import QuantumTextClassifier

    if model_kind(model_dir) == "attention.v1":
        return predict_attention(model_dir, sentences, backend=backend, shots=shots, seed=seed)
    clf = QuantumTextClassifier.load(model_dir, backend=backend)
    config = RunConfig(shots=shots, seed=seed) if (shots is not None or backend not in (None, "exact")) else None
    circuits = clf.pipeline_.circuits(list(sentences), on_error="none")
    results: list[dict] = [{} for _ in sentences]
    good = [i for i, c in enumerate(circuits) if c is not None]
    for i, c in enumerate(circuits):
        if c is None:
            results[i] = {"sentence": sentences[i], "error": _parse_error(clf, sentences[i])}
    if good:
        probs = clf.model_.predict_proba([circuits[i] for i in good], config=config)
        for i, p in zip(good, probs):
            unknown = clf.model_.unknown_words_in(circuits[i])
            results[i] = {
                "sentence": sentences[i],
                "label": str(clf.classes_[int(np.argmax(p))]),
                "probabilities": {str(c): float(v) for c, v in zip(clf.classes_, p)},
                "unknown_words": unknown,
            }
    return results


def compile_circuits(model_dir: str | Path, backend: str, sentences: Sequence[str] = ()) -> list[dict]:
    """Per-circuit qubits, depth and two-qubit gate count after compiling for ``backend``.

    Without ``sentences``, the circuits of the model's own training vocabulary are not known, so
    the model's dataset must be given as sentences (``--input``) or arguments.
    """
    from qnlp.backends import make_backend
    from qnlp.cli.attention import model_kind
    from qnlp.estimators import QuantumTextClassifier

    if not sentences:
        raise ConfigError("give the sentences to compile (arguments, --input FILE or standard input)")
    if model_kind(model_dir) != "discocat.v1":
        raise ConfigError(f"{model_dir} holds an attention model; compile needs a DisCoCat model")
    clf = QuantumTextClassifier.load(model_dir)
    target = make_backend(backend)
    if not hasattr(target, "compile_report"):
        raise ConfigError(f"backend {backend!r} does not compile circuits; use a pytket backend (aer, aer-noisy:<device>)")
    circuits = clf.pipeline_.circuits(list(sentences))
    return target.compile_report(circuits)


def _parse_error(clf, sentence) -> str:
    try:
        clf.pipeline_.parse([sentence])
    except ParseError as exc:
        return str(exc)
    return "could not be parsed"


def parse(sentences: Sequence[str], *, parser: str = "default", draw: str | Path | None = None) -> list[dict]:
    """Words and pregroup types of each sentence (and optionally a drawing of the first)."""
    from qnlp.parsing import make_parser

    p = make_parser(parser)
    results = p.parse(list(sentences))
    if draw is not None:
        draw_diagrams([r.diagram for r in results], draw)
    return [r.to_dict() for r in results]


def draw_diagrams(diagrams, path: str | Path) -> Path:
    """Draw diagrams (stacked vertically) to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ConfigError(f"--draw needs a .png, .pdf or .svg file name, got {path.name!r}")
    fig, axes = plt.subplots(len(diagrams), 1, figsize=(10, 3.2 * len(diagrams)), squeeze=False)
    for ax, d in zip(axes[:, 0], diagrams):
        d.draw(ax=ax, figsize=(10, 3))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def read_sentences(sentences: Sequence[str], input_file: str | None) -> list[str]:
    """Sentences from arguments, from a file (one per line), or from standard input."""
    if sentences and input_file:
        raise ConfigError("give sentences as arguments or with --input, not both")
    if input_file:
        path = Path(input_file)
        if not path.is_file():
            raise DatasetError(f"input file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DatasetError(f"{path}: not UTF-8 text") from None
        return [line for line in text.split("\n") if line.strip()]
    if sentences:
        return list(sentences)
    if sys.stdin is not None and not sys.stdin.isatty():
        return [line for line in sys.stdin.read().split("\n") if line.strip()]
    raise ConfigError("no sentences given: pass them as arguments, with --input FILE, or on standard input")
