"""Teacher-forced training of encoder-decoder translation models.

:func:`train_seq2seq` runs :func:`~qnlp.training.loop.run_epochs` with Adam (cosine learning
rate) on token cross-entropy (optional label smoothing) over shuffled mini-batches drawn from an
explicit ``torch.Generator``; source word dropout trains the ``<unk>`` row; with a validation
score (dev chrF) the parameters of the best evaluated epoch are restored at the end
(:class:`~qnlp.training.loop.EarlyStopping`). A progress bar on standard error shows the loss and
the last dev score.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from qnlp.training.loop import EarlyStopping, EpochRecord, adam, run_epochs


@dataclass
class ParallelData:
    """Padded token ids of training pairs.

    Attributes
    ----------
    source : torch.Tensor
        ``(N, S)`` source ids (0: padding).
    target : torch.Tensor
        ``(N, T + 2)`` ``<s>``, target ids, ``</s>``, padding.
    """

    source: torch.Tensor
    target: torch.Tensor

    def __len__(self) -> int:
        return int(self.source.shape[0])


class _EvaluatedEpochs(EarlyStopping):
    """Early stopping fed only by the epochs that were evaluated (others have no score)."""

    def update(self, score) -> bool:
        return False if score is None else super().update(score)


def pad_rows(rows: Sequence[Sequence[int]]) -> torch.Tensor:
    """Rows of ids -> ``(N, max length)`` long tensor padded with 0."""
    width = max((len(r) for r in rows), default=1) or 1
    out = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        if len(r):
            out[i, :len(r)] = torch.as_tensor(list(r), dtype=torch.long)
    return out


def train_seq2seq(model: torch.nn.Module, data: ParallelData, *, epochs: int, batch_size: int,
                  learning_rate: float, generator: torch.Generator, weight_decay: float = 0.0,
                  label_smoothing: float = 0.0, unk_rate: float = 0.0, first_word_id: int = 8,
                  validation: Callable[[], float] | None = None, eval_every: int = 1,
                  patience: int | None = None, callbacks: Sequence[Callable] = (),
                  progress: bool = False) -> list[EpochRecord]:
    """Train ``model(src_ids, src_mask, tgt_in, tgt_mask, select=...) -> logits`` by teacher forcing
    (``select``: the ``(B, T)`` positions whose logits ``(n, V)`` are wanted).

    Parameters
    ----------
    model : torch.nn.Module
    data : ParallelData
    epochs, batch_size : int
    learning_rate, weight_decay, label_smoothing : float
    generator : torch.Generator
        Shuffling and word dropout.
    unk_rate : float
        Probability that a source word (id ``>= first_word_id``) is replaced by ``<unk>`` (id 1).
    validation : callable, optional
        ``validation()`` -> score, higher is better (dev chrF), every ``eval_every`` epochs and
        after the last; the best evaluated parameters are restored at the end.
    patience : int, optional
        Stop after this many evaluations without improvement (default: never stop early).
    callbacks : sequence of callables
        Called with every :class:`~qnlp.training.loop.EpochRecord`.
    progress : bool
        A tqdm bar on standard error (loss, last dev score).

    Returns
    -------
    list of EpochRecord
    """
    n = len(data)
    bs = max(1, min(int(batch_size), n))
    opt = adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * ((n + bs - 1) // bs), file=sys.stderr, desc="train", leave=False)
    last = {"dev": None}

    def train_epoch(epoch):
        model.train()
        order = torch.randperm(n, generator=generator)
        total, count = 0.0, 0
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            src, tgt = data.source[idx], data.target[idx]
            src_mask = src != 0
            s_width = int(src_mask.sum(1).max())
            src, src_mask = src[:, :s_width], src_mask[:, :s_width]
            if unk_rate > 0:
                drop = (torch.rand(src.shape, generator=generator) < unk_rate) & (src >= first_word_id)
                src = torch.where(drop, torch.ones_like(src), src)
            t_width = int((tgt != 0).sum(1).max())
            tgt = tgt[:, :t_width]
            tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
            select = tgt_out != 0  # logits of real target positions only (the read-out is the cost)
            logits = model(src, src_mask, tgt_in, tgt_in != 0, select=select)
            loss = torch.nn.functional.cross_entropy(logits, tgt_out[select], label_smoothing=label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tokens = int((tgt_out != 0).sum())
            total += float(loss.detach()) * tokens
            count += tokens
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{float(loss.detach()):.3f}",
                                dev_chrf="-" if last["dev"] is None else f"{last['dev']:.1f}")
        sched.step()
        return total / max(count, 1)

    def evaluate(epoch, loss, seconds):
        record = EpochRecord(epoch, loss, seconds)
        if validation is not None and (epoch % max(1, eval_every) == 0 or epoch == epochs):
            model.eval()
            with torch.no_grad():
                record.validation_score = float(validation())
            last["dev"] = record.validation_score
        return record

    stopper = None
    if validation is not None:
        stopper = _EvaluatedEpochs(lambda: {k: v.detach().clone() for k, v in model.state_dict().items()},
                                   model.load_state_dict, patience=int(patience or epochs + 1), tol=1e-6)

    try:
        # dropout (the Transformer baseline) draws from torch's global generator: seed it from
        # ``generator`` inside a fork, so runs are reproducible and the caller's state is untouched
        with torch.random.fork_rng():
            torch.manual_seed(generator.initial_seed() + 1)
            history = run_epochs(epochs, train_epoch, evaluate, callbacks=callbacks, early_stopping=stopper,
                                 score=lambda r: r.validation_score)
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return history
