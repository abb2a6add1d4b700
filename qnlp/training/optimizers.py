"""Optimisers: Adam on exact gradients (torch), and SPSA for backends without gradients."""

from __future__ import annotations

from typing import Callable

import numpy as np


class SPSAOptimizer:
    """Simultaneous perturbation stochastic approximation (Spall 1998).

    Two loss evaluations per step whatever the number of parameters; works with shot noise.

    Parameters
    ----------
    a, c : float
        Step-size and perturbation scales.
    A : float
        Stability constant (about 10% of the number of steps).
    alpha, gamma : float
        Decay exponents of the step size and perturbation.
    rng : numpy.random.Generator
        Source of the perturbation directions.
    """

    def __init__(self, *, a: float = 0.05, c: float = 0.06, A: float = 10.0, alpha: float = 0.602,
                 gamma: float = 0.101, rng: np.random.Generator | None = None):
        self.a, self.c, self.A, self.alpha, self.gamma = a, c, A, alpha, gamma
        self.rng = rng if rng is not None else np.random.default_rng(0)
        self.k = 0

    def step(self, x: np.ndarray, loss: Callable[[np.ndarray], float],
             mask: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """One SPSA update of ``x``; returns the new point and the mean of the two losses.

        ``mask`` (bool) limits the update to some parameters (e.g. those used by the batch).
        """
        ak = self.a / (self.k + 1 + self.A) ** self.alpha
        ck = self.c / (self.k + 1) ** self.gamma
        delta = self.rng.choice([-1.0, 1.0], size=x.shape)
        if mask is not None:
            delta = delta * mask
        plus, minus = loss(x + ck * delta), loss(x - ck * delta)
        grad = (plus - minus) / (2 * ck) * delta
        self.k += 1
        return x - ak * grad, 0.5 * (plus + minus)
