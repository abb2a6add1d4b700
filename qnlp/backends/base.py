"""The :class:`Backend` base class: run a batch of circuits, return outcome probabilities.

Subclassing
-----------
Implement :meth:`Backend.run`; set the capability flags; put checks that need no work in
:meth:`Backend.validate`, which :meth:`run` calls before anything is evaluated. Results must not
depend on how circuits are batched: seed per circuit, not per batch.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from qnlp.errors import ConfigError


@dataclass(frozen=True)
class RunConfig:
    """How to run a batch.

    Parameters
    ----------
    shots : int or None
        Shots per circuit; ``None`` for exact probabilities.
    seed : int or None
        Seed of a shot-based run; circuit ``i`` of a batch uses ``seed + hash(circuit)``.
    """

    shots: int | None = None
    seed: int | None = None

    def __post_init__(self):
        if self.shots is not None and (not isinstance(self.shots, int) or self.shots < 1):
            raise ConfigError(f"shots must be a positive integer or None, got {self.shots!r}")


class Backend(abc.ABC):
    """Evaluates circuits to outcome probabilities of their open (measured) qubits.

    Attributes
    ----------
    differentiable : bool
        Whether gradients flow through :meth:`run`'s torch path.
    supports_shots, supports_exact : bool
        Which kinds of :class:`RunConfig` are accepted.
    """

    name = "backend"
    differentiable = False
    supports_shots = False
    supports_exact = True

    def validate(self, circuits: Sequence[Any], config: RunConfig) -> None:
        """Check a run before any work; raise :class:`~qnlp.errors.ConfigError` if impossible."""
        if config.shots is not None and not self.supports_shots:
            raise ConfigError(f"backend {self.name!r} is exact; it does not take shots")
        if config.shots is None and not self.supports_exact:
            raise ConfigError(f"backend {self.name!r} needs a shot count (--shots N)")

    @abc.abstractmethod
    def run(
        self,
        circuits: Sequence[Any],
        parameters: Mapping[str, float],
        config: RunConfig = RunConfig(),
    ) -> list[np.ndarray]:
        """Outcome probabilities of each circuit, post-selected and renormalised.

        Parameters
        ----------
        circuits : sequence
            :class:`qnlp.circuits.Circuit` or lambeq quantum diagrams.
        parameters : mapping
            Symbol name to value (turns).
        config : RunConfig
            Shots and seed.

        Returns
        -------
        list of numpy.ndarray
            One array per circuit of shape ``(2,) * n_open_qubits``.
        """
