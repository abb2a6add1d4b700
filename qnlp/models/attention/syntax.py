"""Syntax-aware attention: distances between tokens in the dependency tree.

With ``syntax=True`` an attention head subtracts ``beta * dist(t, s)`` from its scores before the
softmax, where ``dist`` is the number of dependency arcs between tokens ``t`` and ``s`` and
``beta >= 0`` is trained per head (``softplus`` of a free parameter). ``beta = 0`` is plain
attention, so the model can learn how much syntax to use.

Trees come from the bundled offline parser (:class:`~qnlp.parsing.dependency.DependencyParser`,
the spaCy pipeline only; no pregroup step). The attention model's own tokens
(:func:`~qnlp.models.attention.states.tokenize`) are aligned to spaCy's by character offsets: each
token maps to the spaCy token containing its first character, so two tokens inside one spaCy token
are at distance 0. Sentences of a text (several roots) are joined through a virtual root, so
tokens of different sentences are at distance ``depth(t) + depth(s) + 2``.
"""

from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as np
import torch

from qnlp.text import token_spans


def tree_distances(heads: Sequence[int]) -> np.ndarray:
    """All-pairs arc distances in a forest given each node's head index (``-1`` or self: root).

    >>> tree_distances([1, -1, 1]).tolist()
    [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
    """
    n = len(heads)
    root = n  # virtual root joining the sentences
    adj: list[list[int]] = [[] for _ in range(n + 1)]
    for i, h in enumerate(heads):
        h = root if h < 0 or h == i else int(h)
        adj[i].append(h)
        adj[h].append(i)
    out = np.zeros((n, n), dtype=np.int32)
    for start in range(n):
        dist = [-1] * (n + 1)
        dist[start] = 0
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for v in adj[u]:
                if dist[v] < 0:
                    dist[v] = dist[u] + 1
                    queue.append(v)
        out[start] = dist[:n]
    return out


class SyntaxDistances:
    """Token-to-token tree distances of a list of texts, batched like the model's inputs.

    Parameters
    ----------
    texts : sequence of str
    max_len : int or None
        Tokens kept per text (as in the estimator).
    parser : DependencyParser, optional
        Defaults to the bundled ``dep.v1`` parser.
    """

    def __init__(self, texts: Sequence[str], max_len: int | None = None, parser=None):
        parser = parser if parser is not None else _shared_parser()
        self.matrices = []
        docs = parser.nlp.pipe(list(texts), batch_size=parser.batch_size)
        for text, doc in zip(texts, docs):
            spans = token_spans(text)[:max_len]
            if not spans:
                self.matrices.append(np.zeros((1, 1), dtype=np.int32))
                continue
            # spaCy token index of each character (whitespace maps to the previous token)
            owner = np.zeros(len(text) + 1, dtype=np.int64)
            for tok in doc:
                owner[tok.idx:tok.idx + max(len(tok.text), 1)] = tok.i
            heads = [tok.head.i if tok.head.i != tok.i else -1 for tok in doc]
            full = tree_distances(heads) if len(doc) else np.zeros((1, 1), dtype=np.int32)
            pick = [int(owner[min(start, len(text) - 1)]) if len(doc) else 0 for start, _ in spans]
            self.matrices.append(full[np.ix_(pick, pick)])

    def batch(self, idx, width: int) -> torch.Tensor:
        """Distances ``(len(idx), width, width)`` (float), zero-padded."""
        out = torch.zeros(len(idx), width, width)
        for row, i in enumerate(np.asarray(idx).tolist()):
            m = self.matrices[i][:width, :width]
            out[row, :m.shape[0], :m.shape[1]] = torch.as_tensor(m, dtype=torch.float32)
        return out


_PARSER = None


def _shared_parser():
    """One bundled parser per process (loading the spaCy pipeline takes ~0.4 s)."""
    global _PARSER
    if _PARSER is None:
        from qnlp.parsing.dependency import DependencyParser

        _PARSER = DependencyParser()
    return _PARSER
