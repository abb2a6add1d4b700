"""Attention maps of a fitted quantum attention classifier (``qnlp explain``).

An attention estimator's ``explain(sentence)`` runs the model on one sentence with
``return_weights=True`` and returns an :class:`AttentionExplanation` (built by :func:`explanation`): the tokens, the per-head weights ``(n_heads, T, T)`` (row ``t``
= query token ``t``, column ``s`` = key token ``s``; every row sums to 1), the prediction, and
:attr:`~AttentionExplanation.received`, the attention each token receives averaged over query
tokens and heads (it sums to 1 over the tokens). :func:`draw_attention` writes the weights as a
heatmap PNG, one panel per head.

>>> import numpy as np
>>> w = np.array([[[0.5, 0.5], [0.1, 0.9]]])          # one head, two tokens
>>> e = AttentionExplanation("a b", ["a", "b"], [False, True], w, "1", {"0": 0.2, "1": 0.8})
>>> e.received.round(2).tolist()
[0.3, 0.7]
>>> [(t["token"], t["unknown"]) for t in e.top(1)]
[('b', True)]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qnlp.errors import ConfigError
from qnlp.utils import save_figure


#: label of the sentence-embedding token some models prepend (``sentence_token=True``)
SENTENCE_TOKEN = "<sentence>"
#: label of the DisCoCat sentence token (``discocat_token=True``)
DISCOCAT_TOKEN = "<discocat>"


@dataclass(frozen=True)
class AttentionExplanation:
    """Attention weights of one sentence.

    Attributes
    ----------
    sentence : str
    tokens : list of str
        The tokens the model saw (the first ``max_len`` of the tokenised sentence).
    unknown : list of bool
        True for tokens outside the training vocabulary.
    weights : numpy.ndarray
        ``(n_heads, T, T)``; ``weights[h, t, s]`` is how much query token ``t`` attends to key
        token ``s`` in head ``h``.
    label : str
        Predicted class.
    probabilities : dict of str to float
    """

    sentence: str
    tokens: list
    unknown: list
    weights: np.ndarray
    label: str
    probabilities: dict

    @property
    def received(self) -> np.ndarray:
        """Attention received by each token: ``weights.mean(axis=(0, 1))`` (sums to 1)."""
        return self.weights.mean(axis=(0, 1))

    def top(self, k: int) -> list[dict]:
        """The ``k`` tokens receiving the most attention, most first (ties: earlier token first)."""
        received = self.received
        order = np.argsort(-received, kind="stable")[:k]
        return [{"rank": r + 1, "position": int(i), "token": self.tokens[i],
                 "weight": float(received[i]), "unknown": bool(self.unknown[i])}
                for r, i in enumerate(order)]

    def to_dict(self, top: int | None = None) -> dict:
        return {
            "sentence": self.sentence,
            "label": self.label,
            "probabilities": dict(self.probabilities),
            "tokens": list(self.tokens),
            "unknown_words": list(dict.fromkeys(t for t, u in zip(self.tokens, self.unknown) if u)),
            "n_heads": int(self.weights.shape[0]),
            "weights": self.weights.tolist(),
            "received": self.received.tolist(),
            "top": self.top(len(self.tokens) if top is None else top),
        }


def explanation(sentence: str, tokens: list, unknown: list, weights, probabilities, classes, *,
                prefix: str | None = None) -> AttentionExplanation:
    """An :class:`AttentionExplanation` from a model's outputs on one sentence.

    ``weights`` is the model's list of per-head weights ``(1, T, T)``; ``prefix`` names the token
    the model prepended (:data:`SENTENCE_TOKEN`, :data:`DISCOCAT_TOKEN`) when there is one.
    """
    w = np.stack([np.asarray(h[0], dtype=float) for h in weights])  # (H, T, T)
    tokens, unknown = list(tokens), list(unknown)
    if prefix is not None and w.shape[-1] == len(tokens) + 1:
        tokens, unknown = [prefix] + tokens, [False] + unknown
    if w.shape[-1] != len(tokens):
        raise ConfigError(f"the model returned {w.shape[-1]} attention columns for {len(tokens)} tokens")
    probs = np.asarray(probabilities, dtype=float)
    return AttentionExplanation(
        sentence=sentence, tokens=tokens, unknown=unknown, weights=w,
        label=str(classes[int(np.argmax(probs))]),
        probabilities={str(c): float(p) for c, p in zip(classes, probs)},
    )


def draw_attention(explanation: AttentionExplanation, path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Write the attention weights as a heatmap PNG (one panel per head), atomically.

    Rows are query tokens, columns key tokens; unknown words are marked ``*``. The file is drawn
    to a temporary name in the same folder and renamed, so ``path`` is either the old file or the
    complete new one. Uses matplotlib's Agg canvas directly (no pyplot, no global backend switch).
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ConfigError(f"the attention map is a PNG: give a .png file name, got {path.name!r}")
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give a .png file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"folder not found: {parent}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w = explanation.weights
    n_heads, n = w.shape[0], w.shape[1]
    labels = [t + ("*" if u else "") for t, u in zip(explanation.tokens, explanation.unknown)]
    side = float(np.clip(1.5 + 0.38 * n, 3.5, 14.0))
    fontsize = 9 if n <= 30 else max(3.0, 270.0 / n)
    fig = Figure(figsize=(side * n_heads + 1.2, side + 1.3), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n_heads, squeeze=False)[0]
    vmax = float(w.max()) or 1.0  # one colour scale for all heads, from 0 to the largest weight
    image = None
    for h, ax in enumerate(axes):
        image = ax.imshow(w[h], vmin=0.0, vmax=vmax, cmap="viridis", aspect="equal")
        ax.set_xticks(range(n), labels, rotation=90, fontsize=fontsize)
        ax.set_yticks(range(n), labels, fontsize=fontsize)
        ax.set_xlabel("attended to (key)")
        ax.set_ylabel("query") if h == 0 else None
        ax.set_title(f"head {h + 1}" if n_heads > 1 else "attention weights")
        if n <= 12:
            for t in range(n):
                for s in range(n):
                    ax.text(s, t, f"{w[h, t, s]:.2f}", ha="center", va="center", fontsize=7,
                            color="black" if w[h, t, s] > 0.6 * vmax else "white")
    fig.colorbar(image, ax=list(axes), shrink=0.8)
    short = explanation.sentence if len(explanation.sentence) <= 80 else explanation.sentence[:77] + "..."
    note = "  (* unknown word)" if any(explanation.unknown) else ""
    fig.suptitle(title or f"{short!r} -> {explanation.label}{note}", fontsize=10)
    return save_figure(fig, path)
