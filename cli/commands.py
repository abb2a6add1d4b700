"""Plain, tested functions behind the ``qnlp`` command line (no argument parsing here)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qnlp.errors import ConfigError, DatasetError, ParseError


from qnlp.estimators.experiment import summarise, train_one  # noqa: F401  (the library's; used by main)


def list_datasets() -> list[dict]:
    """Summary of each bundled dataset."""
    from qnlp.datasets import available, load

    return [load(name).summary() for name in available()]


def predict(model_dir: str | Path, sentences: Sequence[str], *, backend: str | None = None,
            shots: int | None = None, seed: int | None = None) -> list[dict]:
    """Label and class probabilities per sentence; a sentence that cannot be handled gets an
    ``error`` entry instead (the others are still predicted)."""
    from qnlp.backends.base import RunConfig
    from qnlp.cli.attention import predict_attention
    from qnlp.estimators.loading import model_kind
    from qnlp.estimators import QuantumTextClassifier

    from qnlp.estimators.loading import ATTENTION_KINDS

    if model_kind(model_dir) in ATTENTION_KINDS:
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


def compile_circuits(model_dir: str | Path, backend: str, sentences: Sequence[str] = (), *,
                     draw: str | Path | None = None) -> list[dict]:
    """Per-circuit qubits, depth and two-qubit gate count after compiling for ``backend`` (and
    optionally a drawing of the circuits, before compilation, to ``draw``).

    Without ``sentences``, the circuits of the model's own training vocabulary are not known, so
    the model's dataset must be given as sentences (``--input``) or arguments.
    """
    from qnlp.backends import make_backend
    from qnlp.estimators.loading import model_kind
    from qnlp.estimators import QuantumTextClassifier

    if not sentences:
        raise ConfigError("give the sentences to compile (arguments, --input FILE or standard input)")
    if draw is not None:
        check_draw_path(draw)
    if model_kind(model_dir) != "discocat.v1":
        raise ConfigError(f"{model_dir} holds an attention model; compile needs a DisCoCat model")
    clf = QuantumTextClassifier.load(model_dir)
    target = make_backend(backend)
    if not hasattr(target, "compile_report"):
        raise ConfigError(f"backend {backend!r} does not compile circuits; use a pytket backend (aer, aer-noisy:<device>)")
    circuits = clf.pipeline_.circuits(list(sentences))
    if draw is not None:
        titles = [f"{c.sentence}  ({c.n_qubits} qubits)" for c in circuits]
        draw_diagrams([c.lambeq for c in circuits], draw, titles=titles, draw_type_labels=False, fontsize=9)
    return target.compile_report(circuits)


def _parse_error(clf, sentence) -> str:
    try:
        clf.pipeline_.parse([sentence])
    except ParseError as exc:
        return str(exc)
    return "could not be parsed"


def parse(sentences: Sequence[str], *, parser: str = "default", draw: str | Path | None = None) -> list[dict]:
    """Words and pregroup types of each sentence (and optionally a drawing of them all)."""
    from qnlp.parsing import make_parser

    if draw is not None:
        check_draw_path(draw)
    p = make_parser(parser)
    results = p.parse(list(sentences))
    if draw is not None:
        draw_diagrams([r.diagram for r in results], draw, titles=[r.sentence for r in results])
    return [r.to_dict() for r in results]


#: the drawing's scale (inches per unit of lambeq's drawing coordinates), padding and title font
_DRAW_INCH, _DRAW_PAD, _DRAW_TITLE_PT = 0.6, 0.25, 11


def check_draw_path(path: str | Path) -> Path:
    """``path`` if it names a .png, .pdf or .svg file in an existing folder; else a ConfigError."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ConfigError(f"--draw needs a .png, .pdf or .svg file name, got {path.name!r}")
    if not path.parent.is_dir():
        raise ConfigError(f"--draw: folder not found: {path.parent}")
    return path


def draw_diagrams(diagrams, path: str | Path, titles: Sequence[str] | None = None, **options) -> Path:
    """Draw lambeq diagrams (pregroup diagrams or quantum circuits) to a .png, .pdf or .svg file:
    one row per diagram, its title above it, all at the same scale. Written atomically.

    ``options`` go to lambeq's ``Diagram.draw`` (``draw_type_labels``, ``fontsize``, ...)."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from lambeq.backend.drawing.mat_backend import MatBackend

    from qnlp.utils import save_figure

    path = check_draw_path(path)
    diagrams = list(diagrams)
    if not diagrams:
        raise ConfigError("--draw: nothing to draw")
    titles = [str(t) for t in titles] if titles is not None else [""] * len(diagrams)
    fig = plt.figure()
    try:
        axes = []
        for d in diagrams:
            ax = fig.add_axes((0, 0, 1, 1))
            plt.sca(ax)  # lambeq's MatBackend.output hides the axis and sets margins through pyplot
            d.draw(backend=MatBackend(axis=ax), show=False, **options)
            ax.set_axis_off()
            axes.append(ax)
        # lambeq's ink (patches) sets the limits; a second pass widens them to hold the text labels
        limits = []
        for ax in axes:
            (x0, y0), (x1, y1) = ax.dataLim.get_points()
            limits.append((x0, x1, y0, y1) if np.isfinite([x0, x1, y0, y1]).all() else (0.0, 1.0, 0.0, 1.0))
        for final in (False, True):
            width = max(4.0, max(x1 - x0 for x0, x1, _, _ in limits) * _DRAW_INCH) + 2 * _DRAW_PAD
            chars = max(20, int((width - 2 * _DRAW_PAD) / (0.6 * _DRAW_TITLE_PT / 72)))
            wrapped = [textwrap.fill(t, chars) if t else "" for t in titles]
            line = 1.5 * _DRAW_TITLE_PT / 72
            heights = [(y1 - y0) * _DRAW_INCH for _, _, y0, y1 in limits]
            title_heights = [(t.count("\n") + 1) * line + 0.1 if t else 0.0 for t in wrapped]
            height = sum(heights) + sum(title_heights) + _DRAW_PAD * (len(axes) + 1)
            fig.set_size_inches(width, height)
            top = height - _DRAW_PAD
            for ax, (x0, x1, y0, y1), h, th, title in zip(axes, limits, heights, title_heights, wrapped):
                if final and title:
                    fig.text(_DRAW_PAD / width, top / height, title, ha="left", va="top",
                             fontsize=_DRAW_TITLE_PT)
                top -= th + h
                ax.set_position((_DRAW_PAD / width, top / height, (x1 - x0) * _DRAW_INCH / width, h / height))
                ax.set_xlim(x0, x1)
                ax.set_ylim(y0, y1)
                ax.set_aspect("auto")
                top -= _DRAW_PAD
            if not final:
                renderer = fig.canvas.get_renderer()
                widened = []
                for ax in axes:
                    ink = ax.get_tightbbox(renderer).get_points()  # display units, text labels included
                    (a0, b0), (a1, b1) = ax.transData.inverted().transform(ink)
                    widened.append((a0 - 0.2, a1 + 0.2, b0 - 0.2, b1 + 0.2))
                limits = widened
        dpi = min(120.0, 16000.0 / max(width, height))  # at most 16,000 pixels a side
        return save_figure(fig, path, dpi=dpi, facecolor="white")
    finally:
        plt.close(fig)


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
