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
