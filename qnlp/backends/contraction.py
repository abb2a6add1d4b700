"""Small helpers of the exact backend: wire bookkeeping and a cached torch einsum."""

from __future__ import annotations

import numpy as np


class _UnionFind:
    def __init__(self):
        self.parent: dict = {}

    def find(self, x):
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        self.parent[x] = root
        return root

    def union(self, a, b):
        self.parent[self.find(b)] = self.find(a)


class CachedEinsum:
    """A torch einsum whose contraction path is found once (opt_einsum) and reused.

    The whole contraction then runs in one call into torch's C++ einsum, instead of one Python
    call per pairwise step.
    """

    def __init__(self, equation: str, shapes):
        import opt_einsum

        self.equation = equation
        dummies = [np.empty(shape, dtype=np.int8) for shape in shapes]
        pairs, _ = opt_einsum.contract_path(equation, *dummies, optimize="auto")
        self.path = [i for pair in pairs for i in pair]
        self._fallback = opt_einsum.contract_expression(equation, *shapes)

    def __call__(self, *operands):
        import torch

        if len(operands) == 1:
            return torch.einsum(self.equation, *operands)
        try:
            return torch._VF.einsum(self.equation, operands, path=self.path)
        except (AttributeError, TypeError, RuntimeError):  # private API changed: use opt_einsum
            return self._fallback(*operands, backend="torch")


def _is_identity(t: np.ndarray) -> bool:
    return abs(t[0, 1]) < 1e-12 and abs(t[1, 0]) < 1e-12 and abs(t[0, 0] - t[1, 1]) < 1e-12 \
        and abs(t[0, 0]) > 1e-12


def _wire_permutation(t: np.ndarray, n: int):
    """If ``t`` (legs outputs..., inputs...) only permutes wires, output k = input perm[k]."""
    import itertools

    if n == 0 or n > 4:
        return None
    for perm in itertools.permutations(range(n)):
        ref = np.zeros((2,) * (2 * n))
        for bits in itertools.product((0, 1), repeat=n):
            ref[tuple(bits[p] for p in perm) + bits] = 1
        if np.allclose(t, ref):
            return list(perm)
    return None
