"""A check shared by the shot-backend tests: seeded results do not depend on batching."""

from __future__ import annotations

import warnings

import numpy as np


def assert_batch_independent(backend, circuits, params, config, other_config, chunks) -> None:
    """``backend.run`` gives the same results for ``circuits`` run together, run in ``chunks``
    (slices of the list, concatenated) and run in reverse order; ``other_config`` (another
    seed) changes at least one result.

    Raises
    ------
    AssertionError
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        whole = backend.run(circuits, params, config)
        parts = [r for chunk in chunks for r in backend.run(circuits[chunk], params, config)]
        again = backend.run(circuits[::-1], params, config)[::-1]
        other = backend.run(circuits, params, other_config)
    assert len(parts) == len(whole)
    for a, b, c in zip(whole, parts, again):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert any(not np.array_equal(a, b) for a, b in zip(whole, other))
