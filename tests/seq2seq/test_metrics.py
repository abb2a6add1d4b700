"""Metrics against sacreBLEU computed directly, on hand examples with several references."""

import pytest
import sacrebleu

from qnlp.models.seq2seq.metrics import (corpus_bleu, corpus_chrf, exact_match, group_references,
                                         reference_streams, translation_scores)

HYPS = ["El gato duerme en la cama.", "¿Dónde está Tom?", "Tengo hambre."]
REFS = [["El gato duerme en la cama.", "La gata duerme en la cama."],
        ["¿Dónde está Tom?"],
        ["Estoy hambriento.", "Tengo mucha hambre.", "Tengo hambre ahora."]]


def test_group_references_keeps_order_and_all_targets():
    src, refs = group_references(["Go.", "Hi.", "Go.", "Go."], ["Ve.", "Hola.", "Vete.", "Ve."])
    assert src == ["Go.", "Hi."]
    assert refs == [["Ve.", "Vete."], ["Hola."]]


def test_reference_streams_pad_with_none():
    assert reference_streams(REFS) == [
        ["El gato duerme en la cama.", "¿Dónde está Tom?", "Estoy hambriento."],
        ["La gata duerme en la cama.", None, "Tengo mucha hambre."],
        [None, None, "Tengo hambre ahora."]]


def test_bleu_and_chrf_equal_sacrebleu_with_multiple_references():
    # sacreBLEU itself, each sentence scored against exactly its own references
    streams = [[r[i] if i < len(r) else None for r in REFS] for i in range(3)]
    assert corpus_bleu(HYPS, REFS) == pytest.approx(sacrebleu.corpus_bleu(HYPS, streams).score)
    assert corpus_chrf(HYPS, REFS) == pytest.approx(sacrebleu.corpus_chrf(HYPS, streams).score)
    # a second reference can only help: the third hypothesis matches the third reference best
    one_ref = [[r[0]] for r in REFS]
    assert corpus_chrf(HYPS, REFS) > corpus_chrf(HYPS, one_ref)
    assert corpus_bleu(HYPS, REFS) > corpus_bleu(HYPS, one_ref)


def test_sentence_level_values_by_hand():
    # identical to a reference: both metrics 100
    assert corpus_bleu(["El gato duerme en la cama."], [["x", "El gato duerme en la cama."]]) == pytest.approx(100.0)
    assert corpus_chrf(["Hola."], [["Hola."]]) == pytest.approx(100.0)
    # nothing in common
    assert corpus_chrf(["zzz"], [["Hola."]]) == pytest.approx(0.0)


def test_exact_match_any_reference_whitespace_normalised():
    assert exact_match(HYPS, REFS) == pytest.approx(2 / 3)
    assert exact_match(["¿Dónde  está Tom?"], [["¿Dónde está Tom?"]]) == 1.0
    assert exact_match(["¿dónde está tom?"], [["¿Dónde está Tom?"]]) == 0.0  # case counts


def test_translation_scores_keys_and_length_check():
    scores = translation_scores(HYPS, REFS)
    assert set(scores) == {"bleu", "chrf", "exact_match", "n_sentences"}
    assert scores["n_sentences"] == 3
    from qnlp.errors import ConfigError

    with pytest.raises(ConfigError, match="2 hypotheses for 3"):
        translation_scores(HYPS[:2], REFS)
