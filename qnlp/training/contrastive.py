"""Contrastive training of paired encoders (bilingual sentence states, dual encoders).

:func:`info_nce` is the symmetric InfoNCE loss over a batch's similarity logits (row ``i``'s
positive is column ``i``); :func:`train_contrastive` runs it with Adam and a cosine learning rate
inside the shared epoch loop (:func:`~qnlp.training.loop.module_epochs`), shuffling with the
caller's ``torch.Generator``.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch

from qnlp.training.loop import EpochRecord, adam, module_epochs


def info_nce(logits: torch.Tensor, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE: mean of the cross-entropies of rows and of columns, diagonal positive.

    Parameters
    ----------
    logits : torch.Tensor
        ``(B, B)`` scaled similarities of query ``i`` and candidate ``j``; ``(B + H, B)``: the
        ``H`` extra rows are negatives only (e.g. hard negatives of the queries), used in the
        columns' cross-entropies.
    exclude : torch.Tensor, optional
        ``(B, B)`` bool: off-diagonal entries that are also valid pairs (a sentence with two
        translations in one batch); they are left out of the softmax instead of being negatives.

    >>> round(float(info_nce(torch.tensor([[10.0, 0.0], [0.0, 10.0]]))), 5)
    5e-05
    """
    b = logits.shape[1]
    if exclude is not None:
        eye = torch.eye(logits.shape[0], b, dtype=torch.bool)
        logits = logits.masked_fill(exclude & ~eye, float("-inf"))
    target = torch.arange(b)
    return 0.5 * (torch.nn.functional.cross_entropy(logits[:b], target)
                  + torch.nn.functional.cross_entropy(logits.T, target))


def train_contrastive(module: torch.nn.Module, batch_fn: Callable, n: int, *, epochs: int,
                      batch_size: int, learning_rate: float, weight_decay: float,
                      generator: torch.Generator, callbacks: Sequence[Callable] = (),
                      validation: Callable | None = None, patience: int | None = None,
                      tol: float = 1e-4, verbose: bool = False) -> list[EpochRecord]:
    """Adam on :func:`info_nce` over shuffled mini-batches of ``n`` pairs.

    Parameters
    ----------
    module : torch.nn.Module
        ``module(*inputs)`` -> ``(B, B)`` logits.
    batch_fn : callable
        ``batch_fn(indices, train=True)`` -> ``(inputs, exclude)``: the forward inputs of those
        pairs and the :func:`info_nce` exclusion mask (or ``None``).
    n : int
        Number of training pairs.
    validation : callable, optional
        ``validation()`` -> score (higher is better) after each epoch; with ``patience``, early
        stopping restores the best epoch's parameters.

    Returns
    -------
    list of EpochRecord
    """
    bs = max(2, min(int(batch_size), n))
    opt = adam(module.parameters(), lr=learning_rate, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))

    def train_epoch(epoch):
        module.train()
        order = torch.randperm(n, generator=generator)
        total, seen = 0.0, 0
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            if len(idx) < 2:
                continue
            inputs, exclude = batch_fn(idx.numpy(), train=True)
            loss = info_nce(module(*inputs), exclude)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        sched.step()
        return total / max(1, seen)

    return module_epochs(module, epochs, train_epoch, validation=validation, patience=patience, tol=tol,
                         callbacks=callbacks, verbose=verbose)
