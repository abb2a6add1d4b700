"""Backends by name: the one place that maps ``"exact"``, ``"aer"``, ``"aer-state"``,
``"aer-noisy:<device>"`` and hardware names to backend objects.

It sits above :mod:`qnlp.backends.tket` (the wrapper) and :mod:`qnlp.backends.providers` (the
factories of concrete pytket backends), so neither of those imports the other's factory.
"""

from __future__ import annotations

from typing import Sequence

from qnlp.backends.base import Backend
from qnlp.backends.providers import HARDWARE_PREFIXES
from qnlp.errors import ConfigError

#: Simulator names understood by :func:`make_backend`.
SIMULATOR_NAMES = ("aer", "aer-state", "aer-noisy:<device>")


def make_backend(name: str, **kwargs) -> Backend:
    """Build a backend by name, including parametrised names.

    Parameters
    ----------
    name : str
        A registry name (``"aer"``, ``"aer-state.v1"``, ``"exact"``), ``"aer-noisy:<device>"``
        (``"aer-noisy:fake_brisbane"``) or a hardware name (``"quantinuum:H1-1"``,
        ``"ibm:ibm_brisbane"``, ``"braket:<device arn>"``).
    **kwargs
        Passed to the factory.

    Raises
    ------
    ConfigError
        Unknown name (the message lists the valid ones).
    BackendError
        Missing pytket extension or credentials.
    """
    from qnlp.backends.providers import make_aer_noisy, make_hardware
    from qnlp.registry import registry

    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"backend name must be a non-empty string, got {name!r}")
    base, sep, arg = name.strip().partition(":")
    base = base.lower()
    if sep:
        if base in ("aer-noisy", "aer-noisy.v1"):
            return make_aer_noisy(device=arg, **kwargs)
        if base in HARDWARE_PREFIXES:
            return make_hardware(base, arg, **kwargs)
    else:
        try:
            return registry.make("backend", name, **kwargs)
        except ConfigError:
            pass
    valid = ", ".join(sorted(set(registry.names("backend")) | set(SIMULATOR_NAMES)
                             | {f"{p}:<device>" for p in HARDWARE_PREFIXES}))
    raise ConfigError(f"unknown backend {name!r}; valid: {valid}")


def compile_report(circuits: Sequence, backend: "Backend | str" = "aer") -> list[dict]:
    """Compiled qubits, depth and two-qubit gate count of each circuit on ``backend``.

    Parameters
    ----------
    circuits : sequence
        :class:`~qnlp.circuits.Circuit` objects or flat lambeq quantum diagrams.
    backend : TketBackend or str
        A backend or a name for :func:`make_backend` (``"aer-noisy:fake_brisbane"``).
    """
    if isinstance(backend, str):
        backend = make_backend(backend)
    return backend.compile_report(circuits)


def as_tket_backend(backend):
    """A :class:`~qnlp.backends.tket.TketBackend` from a name, a ``TketBackend`` or a pytket
    ``Backend`` (wrapped: optimisation level 0 and per-circuit seeds for pytket's Aer simulators,
    level 2 otherwise).

    Raises
    ------
    ConfigError
        The backend does not run pytket circuits (e.g. ``"exact"``).
    """
    from qnlp.backends.tket import TketBackend

    if isinstance(backend, str):
        backend = make_backend(backend)
    if isinstance(backend, TketBackend):
        return backend
    try:
        from pytket.backends import Backend as PytketBackend
    except ImportError:  # pragma: no cover - pytket is a dependency
        PytketBackend = ()
    if isinstance(backend, PytketBackend):
        try:
            from pytket.extensions.qiskit import AerBackend, AerStateBackend
            aer = isinstance(backend, (AerBackend, AerStateBackend))
        except ImportError:
            aer = False
        return TketBackend(backend, optimisation_level=0 if aer else 2, per_circuit_seed=aer,
                           name=type(backend).__name__)
    raise ConfigError(f"backend {getattr(backend, 'name', backend)!r} does not run pytket circuits; "
                      "shot-based inference needs e.g. 'aer', 'aer-state' or 'aer-noisy:<device>'")
