"""Reading pytket results into outcome counts of the measured bits (post-selection included).

Helpers of :class:`~qnlp.backends.tket.TketBackend`; a structure here is any object with
``post_bits``, ``post_values``, ``open_bits`` and ``n_open``.
"""

from __future__ import annotations

import numpy as np


def _shot_table(result, bits) -> np.ndarray | None:
    """Shots as a ``(n_shots, len(bits))`` uint8 array, or ``None`` for counts-only results."""
    if getattr(result, "_counts", None) is not None and getattr(result, "_shots", None) is None:
        return None  # asking pytket for shots would first regroup the counts (slow), then fail
    try:
        shots = result.get_shots(cbits=bits)
    except Exception:  # noqa: BLE001 - pytket raises InvalidResultType without a shot table
        return None
    return np.asarray(shots, dtype=np.uint8).reshape(-1, len(bits))


def _counts_histogram(result, structure: object) -> tuple[np.ndarray, int]:
    """Kept counts of each open outcome, shape ``(2,)*n_open``, and the number of kept shots."""
    n_post, n_open = len(structure.post_bits), structure.n_open
    hist = np.zeros(2 ** n_open)
    want = tuple(structure.post_values)
    weights = [1 << (n_open - 1 - j) for j in range(n_open)]
    bits = structure.post_bits + structure.open_bits
    raw = getattr(result, "_counts", None)
    if raw is not None and hasattr(result, "c_bits"):
        # pytket's get_counts(cbits=...) merges Counters pairwise (quadratic in the number of
        # outcomes: ~150 ms for 8192 shots); read the stored counts and pick the columns here.
        cols = [result.c_bits[b] for b in bits]
        items = ((tuple(oa.to_readout()[cols]), n) for oa, n in raw.items())
    else:
        items = result.get_counts(cbits=bits).items()
    for outcome, count in items:
        if tuple(outcome[:n_post]) == want:
            hist[sum(w for w, v in zip(weights, outcome[n_post:]) if v)] += count
    return hist.reshape((2,) * n_open), int(hist.sum())


def _sample_postselected(joint: np.ndarray, structure: object, shots: int,
                         seed: int | None) -> tuple[np.ndarray, int]:
    """Draw ``shots`` outcomes of the measured bits (post-selected first) from their joint Born
    distribution; return the kept counts of the open bits, shape ``(2,)*n_open``, and their sum."""
    flat = np.asarray(joint, dtype=float).reshape(-1)
    counts = np.random.default_rng(seed).multinomial(shots, flat / flat.sum())
    counts = counts.reshape((2 ** len(structure.post_bits), 2 ** structure.n_open))
    post_index = int("".join(map(str, structure.post_values)) or "0", 2)
    row = counts[post_index].astype(float)
    return row.reshape((2,) * structure.n_open), int(row.sum())


def _histogram(table: np.ndarray, n_open: int) -> np.ndarray:
    """Counts of each outcome of ``n_open`` bits (first bit most significant), shape ``(2,)*n``."""
    if n_open == 0:
        return np.asarray(float(len(table)))
    weights = 1 << np.arange(n_open - 1, -1, -1, dtype=np.int64)
    index = table.astype(np.int64) @ weights
    return np.bincount(index, minlength=2 ** n_open).astype(float).reshape((2,) * n_open)
