"""Name -> factory tables for the pipeline stages.

Each table maps a versioned name (``"iqp.v1"``) to a ``"module:attribute"`` string that is
imported only when the name is resolved, so listing names never imports a heavy stack. A plain
name (``"iqp"``) resolves to its newest version.

Examples
--------
>>> from qnlp.registry import registry
>>> "iqp.v1" in registry.names("ansatz")
True
>>> registry.canonical("ansatz", "iqp")
'iqp.v1'
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Callable

from qnlp.errors import ConfigError

_VERSIONED = re.compile(r"^(?P<base>.+)\.v(?P<version>\d+)$")


class Registry:
    """Tables of named factories, one table per pipeline stage."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, str | Callable[..., Any]]] = {}

    def register(self, stage: str, name: str, target: str | Callable[..., Any]) -> None:
        """Register ``target`` (a callable or ``"module:attr"``) as ``name`` for ``stage``."""
        if not _VERSIONED.match(name):
            raise ConfigError(f"registry names must be versioned like 'iqp.v1', got {name!r}")
        self._tables.setdefault(stage, {})[name] = target

    def names(self, stage: str) -> list[str]:
        """All versioned names registered for ``stage``, sorted."""
        return sorted(self._tables.get(stage, {}))

    def stages(self) -> list[str]:
        return sorted(self._tables)

    def canonical(self, stage: str, name: str) -> str:
        """The versioned name that ``name`` refers to (newest version for a plain name)."""
        table = self._tables.get(stage)
        if table is None:
            raise ConfigError(f"unknown stage {stage!r}; valid: {', '.join(self.stages())}")
        key = name.strip().lower()
        if key in table:
            return key
        versions = [
            (int(m["version"]), full)
            for full in table
            if (m := _VERSIONED.match(full)) and m["base"] == key
        ]
        if versions:
            return max(versions)[1]
        plain = sorted({_VERSIONED.match(n)["base"] for n in table})
        raise ConfigError(
            f"unknown {stage} {name!r}; valid: {', '.join(plain)} "
            f"(or a versioned name: {', '.join(sorted(table))})"
        )

    def get(self, stage: str, name: str) -> Callable[..., Any]:
        """The factory registered for ``name`` (importing its module on first use)."""
        full = self.canonical(stage, name)
        target = self._tables[stage][full]
        if isinstance(target, str):
            module, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module), attr)
            self._tables[stage][full] = target
        return target

    def make(self, stage: str, name: str, **kwargs: Any) -> Any:
        """Build the component registered as ``name`` with ``kwargs``."""
        return self.get(stage, name)(**kwargs)


registry = Registry()

_BUILTIN = {
    "parser": {
        "cups.v1": "qnlp.parsing.readers:make_cups_reader",
        "stairs.v1": "qnlp.parsing.readers:make_stairs_reader",
        "spiders.v1": "qnlp.parsing.readers:make_spiders_reader",
        "spiders.v2": "qnlp.parsing.readers:make_spiders_words_reader",
        "tree.v1": "qnlp.parsing.readers:make_tree_reader",
        "bobcat.v1": "qnlp.parsing.readers:make_bobcat_parser",
        "dep.v1": "qnlp.parsing.dependency:DependencyParser",
        "dep-es.v1": "qnlp.parsing.spanish:SpanishDependencyParser",
    },
    "ansatz": {
        "iqp.v1": "qnlp.circuits.ansatz:IQPAnsatz",
        "sim14.v1": "qnlp.circuits.ansatz:Sim14Ansatz",
        "sim15.v1": "qnlp.circuits.ansatz:Sim15Ansatz",
        "strongly-entangling.v1": "qnlp.circuits.ansatz:StronglyEntanglingAnsatz",
    },
    "backend": {
        "exact.v1": "qnlp.backends.exact:ExactBackend",
        "aer.v1": "qnlp.backends.providers:make_aer",
        "aer-state.v1": "qnlp.backends.providers:make_aer_state",
        "aer-noisy.v1": "qnlp.backends.providers:make_aer_noisy",
    },
    "model": {  # estimator classes; a model folder's config.json says which one it holds
        "discocat.v1": "qnlp.estimators.classifier:QuantumTextClassifier",
        "attention.v1": "qnlp.estimators.attention:QuantumAttentionClassifier",
        "classical-attention.v1": "qnlp.estimators.attention:ClassicalAttentionClassifier",
        "bilingual.v1": "qnlp.estimators.bilingual:BilingualMatcher",
        "seq2seq.v1": "qnlp.estimators.seq2seq:Seq2SeqTranslator",
    },
}
for _stage, _table in _BUILTIN.items():
    for _name, _target in _table.items():
        registry.register(_stage, _name, _target)
