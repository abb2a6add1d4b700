"""Token states from the word boxes of a DisCoCat model (``source="discocat"``).

Each token's state is the state its word's box prepares in the DisCoCat circuit of its sentence:
the ansatz circuit of the box (e.g. IQP) applied to ``|0...0>`` on the box's ``k`` qubits (its
pregroup type's wires), placed on the first ``k`` qubits of the token register, the others
``|0>``. The box parameters are indexed like the DisCoCat model's (its symbol table and
unknown-word twins); the attention model holds them as one vector that starts from the trained
DisCoCat weights and is trained further by the attention loss. Boxes are evaluated by the exact
backend's batched, differentiable box evaluation
(:meth:`~qnlp.backends.exact.CompiledBatch.box_tensors`).

Our tokens and the parser's words differ (``wasn't`` -> ``was`` + ``n't``); :func:`align_words`
matches them by characters. A token keeps its trainable word-state row (as ``source="word"``)
when no box covers it, or when its box has more than ``n_qubits`` qubits.
"""

from __future__ import annotations

import re

import numpy as np
import torch

_KEEP = re.compile(r"[^0-9a-z]")


def _chars(text: str) -> str:
    return _KEEP.sub("", text.lower())


def align_words(tokens, words) -> list[int | None]:
    """For each token, the index of the first word whose characters overlap it (or ``None``).

    Both sides are compared lower-cased with everything but letters and digits removed; when
    the two character streams stop agreeing, the remaining tokens get ``None``.

    >>> align_words(["i'm", "fine"], ["I", "'m", "fine"])
    [0, 2]
    >>> align_words(["wow", "good"], ["Wow", "bad"])
    [0, None]
    """
    spans, pos = [], 0
    stream = ""
    for j, w in enumerate(words):
        c = _chars(w)
        spans.append((pos, pos + len(c), j))
        stream += c
        pos += len(c)
    out, pos = [], 0
    for tok in tokens:
        c = _chars(tok)
        if not c or stream[pos:pos + len(c)] != c:
            out.append(None)
            if c:  # the streams disagree from here on
                pos = len(stream) + 1
            continue
        out.append(next((j for a, b, j in spans if a <= pos < b), None))
        pos += len(c)
    return out


class DisCoCatTokenInputs:
    """Per text and token, the word box ``(group, row)`` giving its state (``-1``: none).

    Parameters
    ----------
    compiled : CompiledBatch
        The texts' DisCoCat circuits compiled on the exact backend.
    word_lists : list of list of tuple
        Per text, its circuit's word boxes ``(word, group, row, n_qubits)``
        (:attr:`~qnlp.backends.exact.CompiledBatch.circuit_words`; empty for an unparsed text).
    token_lists : list of list of str
        The attention model's tokens of each text (after ``max_len``).
    n_qubits : int
        Token register size: boxes on more qubits are not used.
    circuit_of_text : sequence of int, optional
        Per text, its circuit's index in ``compiled`` (``-1``: unparsed); default ``0..n-1``.
    """

    def __init__(self, compiled, word_lists, token_lists, n_qubits: int, circuit_of_text=None):
        self.compiled = compiled
        self.circuits = torch.as_tensor(np.arange(len(token_lists)) if circuit_of_text is None
                                        else np.asarray(circuit_of_text), dtype=torch.long)
        width = max((len(t) for t in token_lists), default=1) or 1
        self.gids = torch.full((len(token_lists), width), -1, dtype=torch.long)
        self.rows = torch.zeros((len(token_lists), width), dtype=torch.long)
        covered = total = 0
        for i, tokens in enumerate(token_lists):
            boxes = word_lists[i]
            for t, j in enumerate(align_words(tokens, [b[0] for b in boxes])):
                total += 1
                if j is not None and boxes[j][3] <= n_qubits:
                    self.gids[i, t], self.rows[i, t] = boxes[j][1], boxes[j][2]
                    covered += 1
        #: Share of tokens whose state comes from a DisCoCat box.
        self.coverage = covered / total if total else 0.0

    def batch(self, idx, width: int) -> tuple:
        idx = torch.as_tensor(np.asarray(idx))
        gids, rows = self.gids[idx, :width], self.rows[idx, :width]
        if gids.shape[1] < width:  # (empty texts become one unknown token)
            pad = width - gids.shape[1]
            gids = torch.nn.functional.pad(gids, (0, pad), value=-1)
            rows = torch.nn.functional.pad(rows, (0, pad))
        return self.compiled, gids, rows, self.circuits[idx]


def box_states(word_boxes, theta: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Which positions have a word box ``(B, T)`` and their states ``(B, T, dim)`` (the box's
    ``k`` qubits first, then ``|0>``; zero elsewhere), complex128 and **not normalised**: each
    evaluator normalises them in its own precision (:func:`normalised`). Differentiable in
    ``theta``."""
    dtype = torch.complex128
    compiled, gids, rows = word_boxes[:3]
    box = gids >= 0
    out = torch.zeros(*gids.shape, dim, dtype=dtype)
    if not bool(box.any()):
        return box, out
    tensors = compiled.box_tensors(theta)
    for g in torch.unique(gids[box]).tolist():
        sel = gids == g
        vec = tensors[g][rows[sel]].reshape(int(sel.sum()), -1).to(dtype)
        full = torch.zeros(vec.shape[0], dim, dtype=dtype)
        full[:, torch.arange(vec.shape[1]) * (dim // vec.shape[1])] = vec
        out[sel] = full
    return box, out


def normalised(states: torch.Tensor) -> torch.Tensor:
    """States divided by their norms along the last axis (zero rows stay zero)."""
    return states / torch.linalg.vector_norm(states, dim=-1, keepdim=True).clamp_min(1e-12)


def sentence_probabilities(word_boxes, theta: torch.Tensor) -> torch.Tensor:
    """Two-class probabilities ``(B, 2)`` of the batch's sentence circuits from ``theta`` (the
    first two outcomes of the sentence qubits, renormalised, as
    :meth:`~qnlp.models.discocat.DisCoCatModel.class_probabilities`); ``[0.5, 0.5]`` for an
    unparsed text. Clamped to ``[1e-6, 1 - 1e-6]`` so the encoding angle stays differentiable."""
    compiled, _, _, circuits = word_boxes
    out = torch.full((len(circuits), 2), 0.5, dtype=theta.dtype)
    parsed = circuits >= 0
    if bool(parsed.any()):
        probs = compiled.probabilities(theta, circuits=circuits[parsed])[:, :2]  # this batch's only
        out = out.index_put((torch.nonzero(parsed, as_tuple=True)[0],),
                            probs / probs.sum(1, keepdim=True).clamp_min(1e-30))
    return out.clamp(1e-6, 1 - 1e-6)
