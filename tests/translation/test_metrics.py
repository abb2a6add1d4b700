"""Retrieval and pair-classification metrics against hand-computed values."""

import numpy as np
import pytest

from qnlp.models.bilingual.metrics import (ParallelSet, best_threshold, hard_negatives, pair_metrics,
                                           random_negatives, rank_summary, retrieval_metrics, roc_auc,
                                           sample_candidates, swap_content_word)

EN = ["Go.", "Go.", "Hi.", "Run!", "Run!"]
ES = ["Ve.", "Vete.", "Hola.", "¡Corre!", "¡Corre!"]  # a duplicate pair, two references for "Go."


def test_parallel_set_deduplicates_and_keeps_every_reference():
    data = ParallelSet.from_pairs(EN, ES)
    assert data.english == ["Go.", "Hi.", "Run!"]
    assert data.spanish == ["Ve.", "Vete.", "Hola.", "¡Corre!"]
    assert len(data.pairs) == 4
    assert data.gold("en-es") == [{0, 1}, {2}, {3}]
    assert data.gold("es-en") == [{0}, {0}, {1}, {2}]


def test_rank_summary_by_hand():
    # ranks 1, 3, 2: p@1 = 1/3, p@5 = 1, MRR = (1 + 1/3 + 1/2) / 3
    out = rank_summary(np.array([1, 3, 2]))
    assert out["p@1"] == pytest.approx(1 / 3)
    assert out["p@5"] == 1.0
    assert out["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)


def test_retrieval_counts_every_valid_translation():
    data = ParallelSet.from_pairs(EN, ES)
    # "Go." scores "Vete." (its second reference) highest: still a hit at rank 1
    scores = np.array([[0.5, 0.9, 0.1, 0.2],   # Go.  -> Vete. (valid)
                       [0.1, 0.2, 0.3, 0.8],   # Hi.  -> ¡Corre! first (wrong), Hola. second
                       [0.0, 0.1, 0.2, 0.9]])  # Run! -> ¡Corre!
    out = retrieval_metrics(None, data, n_candidates=100, scores=scores)
    pool = out["en-es@pool"]
    assert pool["p@1"] == pytest.approx(2 / 3)
    assert pool["mrr"] == pytest.approx((1 + 0.5 + 1) / 3)
    # fewer candidates than 100: the sampled setting is the whole pool, same numbers
    assert out["en-es@100"] == pool
    # ES -> EN: Ve. -> Go. (0.5 vs 0.1, 0.0): hit; Vete. hit; Hola.: Go.?0.1 Hi. 0.3 -> hit; ¡Corre!: Hi. 0.8 vs Run! 0.9 hit
    assert out["es-en@pool"]["p@1"] == 1.0


def test_ties_are_broken_at_random_so_a_constant_scorer_is_at_chance():
    rng = np.random.default_rng(1)
    en = [f"e{i}" for i in range(300)]
    data = ParallelSet.from_pairs(en, [f"s{i}" for i in range(300)])
    out = retrieval_metrics(lambda a, b: np.zeros((len(a), len(b))), data, n_candidates=100, seed=0)
    assert out["en-es@100"]["p@1"] == pytest.approx(0.01, abs=0.015)
    assert out["en-es@100"]["p@5"] == pytest.approx(0.05, abs=0.03)
    perfect = retrieval_metrics(lambda a, b: np.equal.outer([x[1:] for x in a], [y[1:] for y in b]).astype(float),
                                data, n_candidates=100)
    assert perfect["en-es@100"] == {"p@1": 1.0, "p@5": 1.0, "mrr": 1.0}
    assert perfect["es-en@pool"]["p@1"] == 1.0
    del rng


def test_sampled_candidates_hold_one_gold_and_distinct_others():
    data = ParallelSet.from_pairs([f"e{i}" for i in range(200)], [f"s{i}" for i in range(200)])
    cand = sample_candidates(data, "en-es", 100, seed=3)
    assert cand.shape == (200, 100)
    assert all(cand[i, 0] == i and len(set(cand[i])) == 100 for i in range(200))
    assert np.array_equal(cand, sample_candidates(data, "en-es", 100, seed=3))


def test_pair_metrics_by_hand():
    scores = np.array([0.9, 0.6, 0.4, 0.1])
    labels = np.array([1, 0, 1, 0])
    assert roc_auc(scores, labels) == pytest.approx(0.75)  # pairs (0.9>0.6, 0.9>0.1, 0.4<0.6, 0.4>0.1)
    m = pair_metrics(scores, labels, 0.5)
    assert m["accuracy"] == 0.5 and m["roc_auc"] == pytest.approx(0.75)
    assert best_threshold(scores, labels) == pytest.approx(0.25)  # 0.9, 0.6, 0.4 positive: 3/4
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    s, y = rng.random(50).round(1), rng.integers(0, 2, 50)
    assert roc_auc(s, y) == pytest.approx(roc_auc_score(y, s))


def test_random_negatives_are_balanced_and_never_valid():
    data = ParallelSet.from_pairs(EN, ES)
    pairs = random_negatives(data, seed=0)
    assert len(pairs) == 2 * len(data.pairs) and pairs.labels.sum() == len(data.pairs)
    valid = set(zip(EN, ES))
    assert all((e, s) not in valid for e, s, y in zip(pairs.english, pairs.spanish, pairs.labels) if y == 0)


def test_hard_negative_swaps_one_content_word_of_the_same_tag():
    rng = np.random.default_rng(0)
    out = swap_content_word(["Tom", "likes", "dogs", "."], ["PROPN", "VERB", "NOUN", "PUNCT"],
                            {"NOUN": ["cats", "dogs"], "VERB": ["likes"], "PROPN": ["Tom"]}, rng)
    assert out == ["Tom", "likes", "cats", "."]
    assert swap_content_word(["Who", "?"], ["PRON", "PUNCT"], {"NOUN": ["cats"]}, rng) is None
    data = ParallelSet.from_pairs(["I like dogs.", "I see cats."], ["Me gustan los perros.", "Veo gatos."])
    tagged = [(["I", "like", "dogs", "."], [True, True, False, False], ["PRON", "VERB", "NOUN", "PUNCT"]),
              (["I", "see", "cats", "."], [True, True, False, False], ["PRON", "VERB", "NOUN", "PUNCT"])]
    pairs = hard_negatives(data, tagged, seed=0)
    negs = [(e, s) for e, s, y in zip(pairs.english, pairs.spanish, pairs.labels) if y == 0]
    assert len(negs) == 2
    for (e, s), orig in zip(negs, ["I like dogs.", "I see cats."]):
        assert s in data.spanish and e != orig
        assert sum(a != b for a, b in zip(e.split(), orig.split())) == 1  # exactly one word differs
