"""Scoring bilingual sentence matching: retrieval and pair classification.

Everything here works on a *scorer*: any function ``score(english, spanish) -> (n_en, n_es)``
matrix of similarities (higher = more likely a translation), e.g. state fidelities, cosine
similarities of embeddings, or random numbers. Parallel data come as pairs; an English sentence
may have several Spanish translations (and a Spanish sentence several English ones), so
:class:`ParallelSet` deduplicates both sides and records every valid translation.

Retrieval (:func:`retrieval_metrics`), in both directions:

* **among 100**: each query is ranked against one gold translation plus 99 other candidates drawn
  at random (seeded, without replacement) from the deduplicated pool of the other language;
* **whole pool**: each query is ranked against every deduplicated sentence of the other language.

A candidate counts as correct if it is *any* valid translation of the query (so a random
candidate that happens to be another reference translation also counts). ``P@k`` is the share of
queries with a valid translation among the top ``k`` (hit rate, as in bilingual lexicon
induction); ``MRR`` is the mean of ``1 / rank`` of the first valid one. Ties are broken at random
(seeded): a constant scorer gets the chance level, not a lucky order.

Pair classification (:func:`pair_metrics`): translation pairs against the same number of negative
pairs (:func:`random_negatives`, :func:`hard_negatives`); ROC AUC of the scores, and the accuracy
of the threshold given (chosen on another split, :func:`best_threshold`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

#: content parts of speech (Universal POS) a hard negative may swap
CONTENT_TAGS = ("NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM")


@dataclass
class ParallelSet:
    """Deduplicated sentence pairs.

    Attributes
    ----------
    english, spanish : list of str
        The distinct sentences of each side, in order of first appearance.
    pairs : numpy.ndarray
        ``(n_pairs, 2)`` int: (English index, Spanish index) of every distinct pair.
    """

    english: list
    spanish: list
    pairs: np.ndarray = field(repr=False)

    @classmethod
    def from_pairs(cls, english: Sequence[str], spanish: Sequence[str]) -> "ParallelSet":
        if len(english) != len(spanish):
            raise ValueError(f"{len(english)} English sentences but {len(spanish)} Spanish ones")
        en_index: dict = {}
        es_index: dict = {}
        pairs = []
        for e, s in zip(english, spanish):
            i = en_index.setdefault(e, len(en_index))
            j = es_index.setdefault(s, len(es_index))
            pairs.append((i, j))
        pairs = np.unique(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), axis=0)
        return cls(list(en_index), list(es_index), pairs)

    def gold(self, direction: str = "en-es") -> list:
        """Per query (English for ``"en-es"``, Spanish for ``"es-en"``), the set of valid answers."""
        q, a = (0, 1) if direction == "en-es" else (1, 0)
        n = len(self.english) if direction == "en-es" else len(self.spanish)
        out: list = [set() for _ in range(n)]
        for row in self.pairs:
            out[row[q]].add(int(row[a]))
        return out


def _first_hit_ranks(scores: np.ndarray, valid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1-based rank of the first valid candidate per row (ties broken at random).

    ``scores``, ``valid``: ``(n_queries, n_candidates)``; every row has a valid candidate.
    """
    noise = rng.random(scores.shape)
    order = np.lexsort((noise, -scores), axis=-1)  # by score descending, then random
    hits = np.take_along_axis(valid, order, axis=-1)
    return hits.argmax(-1) + 1


def rank_summary(ranks: np.ndarray, ks: Sequence[int] = (1, 5)) -> dict:
    """``{"p@1": ..., "p@5": ..., "mrr": ...}`` from first-hit ranks.

    >>> {k: round(v, 4) for k, v in rank_summary(np.array([1, 2, 6, 1])).items()}
    {'p@1': 0.5, 'p@5': 0.75, 'mrr': 0.6667}
    """
    ranks = np.asarray(ranks, dtype=float)
    out = {f"p@{k}": float(np.mean(ranks <= k)) for k in ks}
    out["mrr"] = float(np.mean(1.0 / ranks))
    return out


def sample_candidates(data: ParallelSet, direction: str, n_candidates: int = 100,
                      seed: int = 0) -> np.ndarray:
    """Per query, ``n_candidates`` answer indices: one gold (the first seen) and the others drawn
    at random without replacement from the rest of the pool (seeded).

    Returns ``(n_queries, n_candidates)`` (fewer columns when the pool is smaller)."""
    gold = data.gold(direction)
    pool = len(data.spanish) if direction == "en-es" else len(data.english)
    k = min(n_candidates, pool)
    rng = np.random.default_rng(seed)
    out = np.empty((len(gold), k), dtype=np.int64)
    for i, answers in enumerate(gold):
        g = min(answers)
        others = rng.choice(pool - 1, size=k - 1, replace=False)
        others = others + (others >= g)  # skip the gold itself
        out[i, 0] = g
        out[i, 1:] = others
    return out


def retrieval_metrics(score: Callable, data: ParallelSet, *, n_candidates: int = 100, seed: int = 0,
                      scores: np.ndarray | None = None) -> dict:
    """Retrieval EN->ES and ES->EN among ``n_candidates`` and among the whole pool.

    Parameters
    ----------
    score : callable
        ``score(english, spanish)`` -> ``(len(english), len(spanish))`` similarities.
    data : ParallelSet
    n_candidates : int
        Candidates per query in the sampled setting (one gold + the others at random).
    seed : int
        Seed of the candidate samples and of the tie-breaking.
    scores : numpy.ndarray, optional
        The full ``(n_en, n_es)`` matrix if already computed (``score`` is then not called).

    Returns
    -------
    dict
        ``"en-es@100"``, ``"en-es@pool"``, ``"es-en@100"``, ``"es-en@pool"`` (the number is
        ``n_candidates``), each ``{"p@1", "p@5", "mrr"}``; plus ``n_english``, ``n_spanish``.
    """
    full = np.asarray(score(data.english, data.spanish) if scores is None else scores, dtype=float)
    out: dict = {"n_english": len(data.english), "n_spanish": len(data.spanish)}
    for direction, mat in (("en-es", full), ("es-en", full.T)):
        gold = data.gold(direction)
        valid = np.zeros(mat.shape, dtype=bool)
        for i, answers in enumerate(gold):
            valid[i, list(answers)] = True
        rng = np.random.default_rng(seed)
        cand = sample_candidates(data, direction, n_candidates, seed)
        sub_scores = np.take_along_axis(mat, cand, axis=1)
        sub_valid = np.take_along_axis(valid, cand, axis=1)
        out[f"{direction}@{n_candidates}"] = rank_summary(_first_hit_ranks(sub_scores, sub_valid, rng))
        out[f"{direction}@pool"] = rank_summary(_first_hit_ranks(mat, valid, rng))
    return out


# -- pair classification ----------------------------------------------------------------------
@dataclass
class PairSet:
    """Sentence pairs with labels (1: translation, 0: not)."""

    english: list
    spanish: list
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def random_negatives(data: ParallelSet, seed: int = 0) -> PairSet:
    """Every distinct pair, plus as many negatives: the same English sentence with a random Spanish
    sentence of the pool that is not one of its translations (seeded)."""
    rng = np.random.default_rng(seed)
    gold = data.gold("en-es")
    en, es, y = [], [], []
    for i, j in data.pairs:
        en.append(data.english[i])
        es.append(data.spanish[j])
        y.append(1)
        while True:
            k = int(rng.integers(len(data.spanish)))
            if k not in gold[i] or len(gold[i]) == len(data.spanish):
                break
        en.append(data.english[i])
        es.append(data.spanish[k])
        y.append(0)
    return PairSet(en, es, np.asarray(y))


def swap_content_word(tokens: Sequence[str], tags: Sequence[str], pools: dict,
                      rng: np.random.Generator) -> list | None:
    """``tokens`` with one content word (tag in :data:`CONTENT_TAGS`) replaced by another word of
    the same tag from ``pools`` (tag -> sorted list of words; compared case-insensitively), or
    ``None`` when no word can be swapped.

    >>> swap_content_word(["I", "like", "dogs", "."], ["PRON", "VERB", "NOUN", "PUNCT"],
    ...                   {"NOUN": ["cats", "dogs"]}, np.random.default_rng(0))
    ['I', 'like', 'cats', '.']
    """
    slots = [i for i, t in enumerate(tags) if t in CONTENT_TAGS and
             any(w.lower() != tokens[i].lower() for w in pools.get(t, ()))]
    if not slots:
        return None
    i = slots[int(rng.integers(len(slots)))]
    choices = [w for w in pools[tags[i]] if w.lower() != tokens[i].lower()]
    new = choices[int(rng.integers(len(choices)))]
    if tokens[i][:1].isupper() and tags[i] != "PROPN":
        new = new[:1].upper() + new[1:]
    out = list(tokens)
    out[i] = new
    return out


def detokenize(tokens: Sequence[str], spaces: Sequence[bool]) -> str:
    """Join tokens with the whitespace that followed each in the original text."""
    return "".join(t + (" " if s else "") for t, s in zip(tokens, spaces)).strip()


def hard_negatives(data: ParallelSet, tagged: Sequence, seed: int = 0) -> PairSet:
    """Every distinct pair, plus per pair a negative: its English sentence with one content word
    swapped for another word of the same part of speech, against the gold Spanish sentence.

    Parameters
    ----------
    data : ParallelSet
    tagged : sequence
        Per distinct English sentence (``data.english``), ``(tokens, spaces, tags)``: the tokens,
        whether whitespace follows each, and their Universal POS tags (e.g. from the English
        dependency parser, :func:`tag_english`).
    seed : int

    Notes
    -----
    The replacement comes from the words with the same tag in ``tagged`` (this split's own
    sentences), lower-cased except proper nouns. A swap that gives another English sentence of
    the set with the same Spanish translation is redrawn (at most 20 times); a pair whose English
    sentence has no content word (``"Who?"``) gets a random negative instead, so both kinds of
    negative have one negative per positive.
    """
    rng = np.random.default_rng(seed)
    pools: dict = {}
    for tokens, _, tags in tagged:
        for w, t in zip(tokens, tags):
            if t in CONTENT_TAGS:
                pools.setdefault(t, set()).add(w if t == "PROPN" else w.lower())
    pools = {t: sorted(ws) for t, ws in pools.items()}
    known = {(data.english[i], data.spanish[j]) for i, j in data.pairs}
    en, es, y = [], [], []
    gold = data.gold("en-es")
    for i, j in data.pairs:
        en.append(data.english[i])
        es.append(data.spanish[j])
        y.append(1)
        tokens, spaces, tags = tagged[i]
        neg = None
        for _ in range(20):
            swapped = swap_content_word(tokens, tags, pools, rng)
            if swapped is None:
                break
            text = detokenize(swapped, spaces)
            if (text, data.spanish[j]) not in known:
                neg = text
                break
        if neg is None:  # nothing to swap: a random negative keeps the classes balanced
            k = int(rng.integers(len(data.spanish)))
            while k in gold[i] and len(gold[i]) < len(data.spanish):
                k = int(rng.integers(len(data.spanish)))
            en.append(data.english[i])
            es.append(data.spanish[k])
        else:
            en.append(neg)
            es.append(data.spanish[j])
        y.append(0)
    return PairSet(en, es, np.asarray(y))


def tag_english(sentences: Sequence[str], parser=None) -> list:
    """``(tokens, spaces, tags)`` per sentence from the English dependency parser's tagger
    (``qnlp.parsing.make_parser("dep")``; Universal POS)."""
    if parser is None:
        from qnlp.parsing import make_parser

        parser = make_parser("dep")
    out = []
    for doc in parser.nlp.pipe(list(sentences), batch_size=256):
        toks = [t for t in doc if not t.is_space]
        out.append(([t.text for t in toks], [bool(t.whitespace_) for t in toks], [t.tag_ or t.pos_ for t in toks]))
    return out


def pair_scores(score: Callable, pairs: PairSet) -> np.ndarray:
    """The score of each pair (one scorer call on the distinct sentences of each side)."""
    en = list(dict.fromkeys(pairs.english))
    es = list(dict.fromkeys(pairs.spanish))
    mat = np.asarray(score(en, es), dtype=float)
    ie = {s: i for i, s in enumerate(en)}
    js = {s: j for j, s in enumerate(es)}
    return mat[[ie[s] for s in pairs.english], [js[s] for s in pairs.spanish]]


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold (``score >= t`` means "translation") of the highest accuracy on these pairs:
    the midpoint between two consecutive distinct scores.

    >>> best_threshold(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 0, 1, 1]))
    0.5
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels)
    values = np.unique(scores)
    cuts = np.concatenate([[values[0] - 1.0], (values[1:] + values[:-1]) / 2, [values[-1] + 1.0]])
    acc = [np.mean((scores >= c) == (labels == 1)) for c in cuts]
    return float(cuts[int(np.argmax(acc))])


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half).

    >>> roc_auc(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 1, 0, 0]))
    0.875
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels)
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def pair_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    """``{"accuracy", "roc_auc", "threshold"}`` of pair scores at ``threshold``.

    >>> pair_metrics(np.array([0.9, 0.6, 0.4, 0.1]), np.array([1, 0, 1, 0]), 0.5)
    {'accuracy': 0.5, 'roc_auc': 0.75, 'threshold': 0.5}
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels)
    acc = float(np.mean((scores >= threshold) == (labels == 1)))
    return {"accuracy": acc, "roc_auc": roc_auc(scores, labels), "threshold": float(threshold)}
