"""Translation metrics with sacreBLEU: corpus BLEU and chrF against all references, exact match.

References come grouped per source sentence (a list of strings each, any number); sacreBLEU
takes reference *streams*, so the groups are transposed and padded with ``None`` (a missing
reference), which sacreBLEU skips.

>>> scores = translation_scores(["El gato duerme."], [["El gato duerme.", "La gata duerme."]])
>>> round(scores["bleu"], 6), round(scores["chrf"], 6), scores["exact_match"]
(100.0, 100.0, 1.0)
"""

from __future__ import annotations

from collections import OrderedDict


def group_references(sources, targets) -> tuple[list[str], list[list[str]]]:
    """Distinct sources in first-seen order and all their targets: the multi-reference test set.

    >>> group_references(["Go.", "Hi.", "Go."], ["Ve.", "Hola.", "Vete."])
    (['Go.', 'Hi.'], [['Ve.', 'Vete.'], ['Hola.']])
    """
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for s, t in zip(sources, targets):
        groups.setdefault(s, [])
        if t not in groups[s]:
            groups[s].append(t)
    return list(groups), list(groups.values())


def reference_streams(references) -> list[list]:
    """Per-sentence reference lists -> sacreBLEU streams (``None`` where a sentence has fewer)."""
    width = max((len(r) for r in references), default=0)
    return [[r[i] if i < len(r) else None for r in references] for i in range(width)]


def _normalise(text: str) -> str:
    return " ".join(text.split())


def exact_match(hypotheses, references) -> float:
    """Fraction of hypotheses equal to one of their references (whitespace normalised, case kept)."""
    if not hypotheses:
        return 0.0
    hits = sum(_normalise(h) in {_normalise(r) for r in refs} for h, refs in zip(hypotheses, references))
    return hits / len(hypotheses)


def corpus_bleu(hypotheses, references) -> float:
    """sacreBLEU corpus BLEU (13a tokenisation, default smoothing) against all references."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(list(hypotheses), reference_streams(references)).score)


def corpus_chrf(hypotheses, references) -> float:
    """sacreBLEU corpus chrF (character 6-grams, beta 2) against all references."""
    import sacrebleu

    return float(sacrebleu.corpus_chrf(list(hypotheses), reference_streams(references)).score)


def translation_scores(hypotheses, references) -> dict:
    """``{"bleu", "chrf", "exact_match", "n_sentences"}`` of a test set."""
    hypotheses, references = list(hypotheses), [list(r) for r in references]
    if len(hypotheses) != len(references):
        from qnlp.errors import ConfigError

        raise ConfigError(f"{len(hypotheses)} hypotheses for {len(references)} reference groups")
    return {"bleu": corpus_bleu(hypotheses, references), "chrf": corpus_chrf(hypotheses, references),
            "exact_match": exact_match(hypotheses, references), "n_sentences": len(hypotheses)}
