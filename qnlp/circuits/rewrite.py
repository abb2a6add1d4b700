"""Rewriting of string diagrams before the ansatz (lambeq rewrite rules, cup removal)."""

from __future__ import annotations

from typing import Sequence

from qnlp.errors import ConfigError

#: lambeq's rewrite rules by name, plus ``remove_cups`` (bend word states into effects so that
#: fewer qubits are post-selected) and ``normal_form``. (lambeq 0.5.0 has no ``rel_pronoun``.)
LAMBEQ_RULES = ("auxiliary", "connector", "coordination", "curry", "determiner", "object_rel_pronoun",
                "postadverb", "preadverb", "prepositional_phrase", "subject_rel_pronoun")
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
        """Rewrite each diagram; one diagram that a lambeq rule cannot handle never fails the batch.

        Per diagram and rule: if ``remove_cups`` raises, it is retried on the diagram's
        ``normal_form()`` (lambeq 0.5.0's ``RemoveCupsRewriter`` mis-aligns a greedy contraction
        on some layouts and raises ``does not compose``; the normal form of the same diagram
        usually goes through), and the diagram counts in :attr:`last_retries_`. If a rule still
        raises, the diagram is kept as it was before that rule (documented fallback) and is
        recorded in :attr:`last_fallbacks_`. Both lists describe the last call only and hold
        ``(index, rule, one-line error)``; the lambeq rules run as one step named by their names
        joined with ``+``.
        """
        self.last_fallbacks_: list[tuple[int, str, str]] = []
        self.last_retries_: list[tuple[int, str, str]] = []
        if not self.rules:
            return list(diagrams)
        from lambeq import RemoveCupsRewriter, Rewriter

        steps = []
        lambeq_rules = [r for r in self.rules if r in LAMBEQ_RULES]
        if lambeq_rules:
            steps.append(("+".join(lambeq_rules), Rewriter(lambeq_rules), False))
        if "normal_form" in self.rules:
            steps.append(("normal_form", lambda d: d.normal_form(), False))
        if "remove_cups" in self.rules:
            steps.append(("remove_cups", RemoveCupsRewriter(), True))
        out = []
        for i, d in enumerate(diagrams):
            for name, rule, retry in steps:
                d = self._apply(i, d, name, rule, retry)
            out.append(d)
        return out

    def _apply(self, index: int, diagram, name: str, rule, retry: bool):
        try:
            return rule(diagram)
        except Exception as exc:  # noqa: BLE001 - any lambeq failure on one diagram
            error = _one_line(exc)
        if retry:
            try:
                rewritten = rule(diagram.normal_form())
            except Exception:  # noqa: BLE001
                pass
            else:
                self.last_retries_.append((index, name, error))
                return rewritten
        self.last_fallbacks_.append((index, name, error))
        return diagram

    def config(self) -> list[str]:
        return list(self.rules)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
