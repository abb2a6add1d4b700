"""Losses on class probabilities (not logits): the circuits output normalised probabilities."""

from __future__ import annotations

EPS = 1e-9


def cross_entropy(probs, targets):
    """Mean negative log-likelihood of integer ``targets`` under ``probs`` ``(n, n_classes)``.

    For two classes this equals binary cross-entropy on the probability of class 1.
    """
    import torch

    picked = probs.gather(1, targets.view(-1, 1)).squeeze(1)
    return -torch.log(picked.clamp_min(EPS)).mean()


def binary_cross_entropy(p1, targets):
    """Binary cross-entropy of the probability of class 1, ``p1`` ``(n,)``, against 0/1 targets."""
    import torch

    t = targets.to(p1.dtype)
    p = p1.clamp(EPS, 1 - EPS)
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()


LOSSES = {"cross_entropy": cross_entropy}
