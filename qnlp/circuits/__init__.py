"""Circuits: rewriting of string diagrams, ansätze, and export to pytket and discopy."""

from qnlp.circuits.circuit import Circuit  # noqa: F401  (light: imports lambeq lazily)
