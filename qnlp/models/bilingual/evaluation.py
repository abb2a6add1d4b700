"""One evaluation of a bilingual scorer: retrieval and pair classification on a split, with the
pair thresholds chosen on another split (dev).

:class:`MatchingTask` prepares a split once (deduplication, candidate samples, random and hard
negatives, which need the English tagger) so several scorers (the quantum model and every
baseline) are measured on exactly the same candidates and negatives. :func:`flat_metrics` turns
the nested result into the flat keys of ``qnlp train --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from qnlp.models.bilingual.metrics import (PairSet, ParallelSet, best_threshold, hard_negatives, pair_metrics,
                                           pair_scores, random_negatives, retrieval_metrics, tag_english)


@dataclass
class MatchingTask:
    """A split prepared for scoring.

    Attributes
    ----------
    data : ParallelSet
    random_pairs, hard_pairs : PairSet
        Every distinct pair plus one negative each (random Spanish sentence; one English content
        word swapped).
    """

    data: ParallelSet
    random_pairs: PairSet
    hard_pairs: PairSet
    seed: int = 0

    @classmethod
    def build(cls, english: Sequence[str], spanish: Sequence[str], *, seed: int = 0,
              parser=None) -> "MatchingTask":
        data = ParallelSet.from_pairs(list(english), list(spanish))
        tagged = tag_english(data.english, parser)
        return cls(data, random_negatives(data, seed), hard_negatives(data, tagged, seed), seed)

    def all_sentences(self) -> tuple[list, list]:
        """Every English and Spanish sentence a scorer will see (for caching embeddings)."""
        en = list(dict.fromkeys(self.data.english + self.random_pairs.english + self.hard_pairs.english))
        es = list(dict.fromkeys(self.data.spanish + self.random_pairs.spanish + self.hard_pairs.spanish))
        return en, es

    def pair_scores(self, score: Callable) -> dict:
        return {"random": pair_scores(score, self.random_pairs), "hard": pair_scores(score, self.hard_pairs)}

    def thresholds(self, score: Callable) -> dict:
        """Accuracy-maximising threshold per negative kind on this split."""
        s = self.pair_scores(score)
        return {"random": best_threshold(s["random"], self.random_pairs.labels),
                "hard": best_threshold(s["hard"], self.hard_pairs.labels)}

    def evaluate(self, score: Callable, thresholds: dict | None = None, *, n_candidates: int = 100) -> dict:
        """Retrieval and pair metrics of ``score``.

        ``thresholds`` (``{"random": t, "hard": t}``, from :meth:`thresholds` on dev): without
        them, the best thresholds on this split itself are used (optimistic; marked in the
        result as ``"threshold_source": "self"``).
        """
        out = retrieval_metrics(score, self.data, n_candidates=n_candidates, seed=self.seed)
        s = self.pair_scores(score)
        source = "given"
        if thresholds is None:
            source = "self"
            thresholds = {"random": best_threshold(s["random"], self.random_pairs.labels),
                          "hard": best_threshold(s["hard"], self.hard_pairs.labels)}
        out["pairs_random"] = pair_metrics(s["random"], self.random_pairs.labels, thresholds["random"])
        out["pairs_hard"] = pair_metrics(s["hard"], self.hard_pairs.labels, thresholds["hard"])
        out["threshold_source"] = source
        out["n_pairs"] = int(len(self.data.pairs))
        return out


def flat_metrics(result: dict, n_candidates: int = 100) -> dict:
    """The flat keys of ``qnlp train --json``: ``retrieval_top1_at_100`` (EN->ES P@1 among
    100), ``retrieval_mrr`` (EN->ES MRR among 100), ``pair_accuracy_random``,
    ``pair_accuracy_hard`` and the rest, ``{direction}_{setting}_{metric}``."""
    en = result[f"en-es@{n_candidates}"]
    out = {f"retrieval_top1_at_{n_candidates}": en["p@1"], "retrieval_mrr": en["mrr"],
           "pair_accuracy_random": result["pairs_random"]["accuracy"],
           "pair_accuracy_hard": result["pairs_hard"]["accuracy"],
           "pair_auc_random": result["pairs_random"]["roc_auc"],
           "pair_auc_hard": result["pairs_hard"]["roc_auc"]}
    for direction in ("en-es", "es-en"):
        for setting in (str(n_candidates), "pool"):
            for metric, v in result[f"{direction}@{setting}"].items():
                key = f"{direction.replace('-', '_')}_at_{setting}_{metric.replace('@', '')}"
                out[key] = v
    return out


def summary_line(name: str, flat: dict) -> str:
    """One table row of the main figures."""
    return (f"{name:<28} top1@100 {flat['retrieval_top1_at_100']:.3f}  mrr {flat['retrieval_mrr']:.3f}  "
            f"es->en top1@100 {flat['es_en_at_100_p1']:.3f}  pool top1 {flat['en_es_at_pool_p1']:.3f}  "
            f"acc rand {flat['pair_accuracy_random']:.3f} hard {flat['pair_accuracy_hard']:.3f}  "
            f"auc rand {flat['pair_auc_random']:.3f} hard {flat['pair_auc_hard']:.3f}")


def mean_sd(values) -> tuple[float, float]:
    v = np.asarray(list(values), dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
