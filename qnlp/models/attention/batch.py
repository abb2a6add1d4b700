"""The inputs of one forward pass of an attention model, as named types.

:class:`TokenBatch` is what a model's ``forward`` takes: padded token ids and mask plus the
optional per-text inputs some token sources or heads need (contextual embeddings, tree distances,
DisCoCat word boxes and sentence probabilities). :class:`TextInputs` holds those inputs for a whole
set of texts and cuts a :class:`TokenBatch` out of them.

:class:`TokenCells` is what a token source produces and an evaluator consumes: a table of
token-circuit angles, the row each position uses, optional positional phases and optional exact
states (DisCoCat word boxes). It describes the token states without computing them, so the exact
engine and a pytket backend can each prepare them their own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass
class TokenBatch:
    """Padded inputs of ``B`` texts of width ``T``.

    Attributes
    ----------
    ids, mask : torch.Tensor
        ``(B, T)`` vocabulary rows (0: padding, 1: unknown word) and True for real tokens.
    words : list of str
        The word of every vocabulary row (the hashed embedding reads them).
    token_embeddings, sentence_embeddings : torch.Tensor, optional
        ``(B, T, 384)`` and ``(B, 384)`` MiniLM embeddings (``source="minilm"``).
    distances : torch.Tensor, optional
        ``(B, T, T)`` dependency-tree distances between the tokens (``syntax=True``).
    discocat_probs : torch.Tensor, optional
        ``(B, 2)`` class probabilities of a DisCoCat model (``discocat_token=True``).
    word_boxes : tuple, optional
        ``(compiled, box groups (B, T), box rows (B, T), circuit of each text (B,))`` from
        :class:`~qnlp.models.attention.discocat_tokens.DisCoCatTokenInputs` (``source="discocat"``).
    """

    ids: torch.Tensor
    mask: torch.Tensor
    words: list = field(default_factory=list)
    token_embeddings: torch.Tensor | None = None
    sentence_embeddings: torch.Tensor | None = None
    distances: torch.Tensor | None = None
    discocat_probs: torch.Tensor | None = None
    word_boxes: tuple | None = None

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass
class TextInputs:
    """Per-text inputs beyond the token ids, for a whole set of texts.

    Each field is ``None`` or an object with ``batch(idx, width)`` (the embeddings, distances and
    word boxes) or a ``(n_texts, 2)`` tensor (the DisCoCat probabilities).
    """

    embedded: object = None
    distances: object = None
    discocat: torch.Tensor | None = None
    boxes: object = None

    def batch(self, ids: torch.Tensor, mask: torch.Tensor, words: list, idx) -> TokenBatch:
        """The :class:`TokenBatch` of texts ``idx`` whose padded ids are ``ids`` / ``mask``."""
        width = int(ids.shape[1])
        tok = sent = None
        if self.embedded is not None:
            tok, sent = self.embedded.batch(idx, width)
        return TokenBatch(
            ids, mask, words, tok, sent,
            None if self.distances is None else self.distances.batch(idx, width),
            None if self.discocat is None else self.discocat[torch.as_tensor(np.asarray(idx))],
            None if self.boxes is None else self.boxes.batch(idx, width),
        )


@dataclass
class TokenCells:
    """Token states of a batch, described by their circuits.

    Position ``(b, t)`` holds the state of the token circuit with angles ``angles[index[b, t]]``
    (``(L, d, 2)``, RY/RZ per layer and qubit, radians) on ``|0...0>``, followed, when
    ``frequencies`` is set, by ``RZ(positions[t] * frequencies[i])`` on each qubit ``i``; an index
    of ``-1`` is the state ``|0...0>`` (padding). Where ``box`` is True the state is instead
    ``box_states[b, t]`` (exact amplitudes of a DisCoCat word box).

    Attributes
    ----------
    angles : torch.Tensor
        ``(R, L, d, 2)`` distinct angle sets.
    index : torch.Tensor
        ``(B, T)`` long.
    mask : torch.Tensor
        ``(B, T)`` bool, True for real tokens (a prepended token included).
    positions : torch.Tensor, optional
        ``(T,)`` float: the multiple of ``frequencies`` each position's phase uses.
    frequencies : torch.Tensor, optional
        ``(d,)`` trainable phase frequencies.
    box, box_states : torch.Tensor, optional
        ``(B, T)`` bool and ``(B, T, 2**d)`` complex.
    distinct : bool
        ``index`` points into a table of distinct tokens (word states), so per-token quantities
        may be computed per row and gathered.
    """

    angles: torch.Tensor
    index: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor | None = None
    frequencies: torch.Tensor | None = None
    box: torch.Tensor | None = None
    box_states: torch.Tensor | None = None
    distinct: bool = False

    @property
    def n_qubits(self) -> int:
        return int(self.angles.shape[-2])

    @property
    def n_layers(self) -> int:
        return int(self.angles.shape[-3])

    def phase_angles(self, dtype: torch.dtype = torch.float32) -> torch.Tensor | None:
        """``(T, d)`` RZ angles of every position in ``dtype`` (``None`` without positional phases)."""
        if self.frequencies is None:
            return None
        return self.positions.to(dtype)[:, None] * self.frequencies.to(dtype)[None, :]

    def prepend(self, angles: torch.Tensor) -> "TokenCells":
        """These cells with one token per text prepended at position 0: ``angles`` ``(B, L, d, 2)``.

        The new token has no positional phase and no box; the positions of the others are kept.
        """
        b = self.index.shape[0]
        rows = torch.arange(self.angles.shape[0], self.angles.shape[0] + b)
        index = torch.cat([rows[:, None], self.index], 1)
        mask = torch.cat([torch.ones_like(self.mask[:, :1]), self.mask], 1)
        positions = None
        if self.positions is not None:
            positions = torch.cat([torch.zeros(1, dtype=self.positions.dtype), self.positions])
        box = box_states = None
        if self.box is not None:
            box = torch.cat([torch.zeros_like(self.box[:, :1]), self.box], 1)
            box_states = torch.nn.functional.pad(self.box_states, (0, 0, 1, 0))
        return TokenCells(torch.cat([self.angles, angles.to(self.angles.dtype)]), index, mask,
                          positions, self.frequencies, box, box_states, distinct=False)


def per_position(angles: torch.Tensor, mask: torch.Tensor) -> TokenCells:
    """Cells whose every position has angles of its own: ``angles`` ``(B, T, L, d, 2)``."""
    b, t = mask.shape
    return TokenCells(angles.reshape(b * t, *angles.shape[2:]), torch.arange(b * t).reshape(b, t), mask)
