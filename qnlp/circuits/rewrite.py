"""Rewriting of string diagrams before the ansatz (lambeq rewrite rules, cup removal)."""

from __future__ import annotations

from typing import Sequence

from qnlp.errors import ConfigError

#: lambeq's rewrite rules by name, plus ``remove_cups`` (bend word states into effects so that
#: fewer qubits are post-selected) and ``normal_form``.
LAMBEQ_RULES = ("auxiliary", "connector", "coordination", "curry", "determiner", "object_rel_pronoun",
                "postadverb", "preadverb", "prepositional_phrase", "rel_pronoun",
                "subject_rel_pronoun")
EXTRA_RULES = ("remove_cups", "normal_form")


class DiagramRewriter:
    """Apply rewrite rules to a batch of diagrams, in the order given.

    Parameters
    ----------
    rules : sequence of str
        Names from :data:`LAMBEQ_RULES` and :data:`EXTRA_RULES`.
    """

    def __init__(self, rules: Sequence[str] = ()):
        self.rules = [str(r) for r in rules]
        unknown = [r for r in self.rules if r not in LAMBEQ_RULES + EXTRA_RULES]
        if unknown:
            raise ConfigError(f"unknown rewrite rule(s) {unknown}; valid: {', '.join(LAMBEQ_RULES + EXTRA_RULES)}")

    def __call__(self, diagrams: Sequence) -> list:
        if not self.rules:
            return list(diagrams)
        from lambeq import RemoveCupsRewriter, Rewriter

        out = list(diagrams)
        lambeq_rules = [r for r in self.rules if r in LAMBEQ_RULES]
        if lambeq_rules:
            rewriter = Rewriter(lambeq_rules)
            out = [rewriter(d) for d in out]
        if "normal_form" in self.rules:
            out = [d.normal_form() for d in out]
        if "remove_cups" in self.rules:
            remove = RemoveCupsRewriter()
            out = [remove(d) for d in out]
        return out

    def config(self) -> list[str]:
        return list(self.rules)
