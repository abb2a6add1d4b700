"""Backends: evaluate circuits to outcome probabilities (exact torch engine, pytket backends)."""


def make_backend(name: str, **kwargs):
    """Build a backend by name: ``"exact"``, ``"aer"``, ``"aer-state"``,
    ``"aer-noisy:<device>"`` or a hardware name (see :func:`qnlp.backends.factory.make_backend`)."""
    from qnlp.backends.factory import make_backend as _make

    return _make(name, **kwargs)
