"""Tokens, the name policy, and the bilingual quantum sentence-state model."""

import math

import pytest
import torch

from qnlp.models.attention.model import Vocabulary
from qnlp.models.bilingual.model import (BilingualStateModel, ClassicalDualEncoder, fidelities, make_batch,
                                         matched_classical_dims, n_parameters)
from qnlp.models.bilingual.text import NAME, encode, is_name, language_of, lower_words, raw_tokens, tokenize


def test_tokens_keep_spanish_letters_and_names():
    assert raw_tokens("¿Váyase, señor Tom?") == ["¿", "Váyase", "señor", "Tom", "?"]
    words = lower_words(["váyase ahora", "el señor come"])
    assert tokenize("¿Váyase, señor Tom?", words) == ["¿", "váyase", "señor", NAME + "Tom", "?"]
    assert is_name("Mary", words) and is_name("1984", words) and not is_name("Váyase", words)


def test_encode_gives_names_rows_after_the_vocabulary_and_unknown_words_row_1():
    vocab = Vocabulary.build([["i", "like", "dogs"]])
    enc = encode([["i", "like", NAME + "Tom"], ["cats"]], vocab)
    v = len(vocab)
    assert enc.ids.tolist() == [[vocab.index["i"], vocab.index["like"], v], [1, 0, 0]]
    assert enc.words[v] == "Tom" and enc.mask.tolist() == [[True, True, True], [True, False, False]]


def test_language_of_votes_by_vocabulary_and_spanish_letters():
    vocabs = {"en": {"the", "dog", "is"}, "es": {"el", "perro", "es"}}
    assert language_of(["The dog is here."], vocabs) == "en"
    assert language_of(["¿Dónde está el perro?"], vocabs) == "es"
    assert language_of(["xyz"], vocabs) is None


def _model(seed=0, **kw):
    vocabs = {"en": Vocabulary.build([["i", "like", "dogs"]]), "es": Vocabulary.build([["me", "gustan", "perros"]])}
    return vocabs, BilingualStateModel(vocabs, generator=torch.Generator().manual_seed(seed), **kw)


def test_sentence_states_are_normalised_and_names_share_one_state():
    vocabs, model = _model(n_qubits=3, n_layers=1, n_heads=1, sentence_qubits=4)
    en = make_batch(encode([[NAME + "Tom"], ["i", "like", "dogs"]], vocabs["en"]))
    es = make_batch(encode([[NAME + "Tom"], ["me", "gustan", "perros"]], vocabs["es"]))
    src_en = model.encoders["en"].token_source
    src_es = model.encoders["es"].token_source
    tom_en = src_en.row_angles(torch.tensor([len(vocabs["en"])]), en.words)
    tom_es = src_es.row_angles(torch.tensor([len(vocabs["es"])]), es.words)
    assert torch.equal(tom_en, tom_es)  # one shared, character-hashed name state
    with torch.no_grad():
        a, b = model.states("en", en), model.states("es", es)
        logits = model(en, es)
    assert a.shape == (2, 16)
    assert torch.allclose(a.abs().pow(2).sum(-1), torch.ones(2), atol=1e-5)
    f = fidelities(a, b)
    assert torch.allclose(logits, f * 10.0, atol=1e-5)
    assert bool((f >= 0).all() and (f <= 1 + 1e-5).all())


def test_fidelity_matches_a_hand_computed_overlap():
    a = torch.tensor([[1.0, 0.0], [1 / math.sqrt(2), 1 / math.sqrt(2)]], dtype=torch.complex64)
    b = torch.tensor([[0.0, 1.0]], dtype=torch.complex64)
    assert torch.allclose(fidelities(a, b), torch.tensor([[0.0], [0.5]]), atol=1e-6)


def test_classical_dual_encoder_has_a_matched_parameter_count():
    vocabs = {"en": Vocabulary.build([[f"w{i}" for i in range(300)]]),
              "es": Vocabulary.build([[f"p{i}" for i in range(400)]])}
    quantum = BilingualStateModel(vocabs, generator=torch.Generator().manual_seed(0))
    e, m = matched_classical_dims(quantum, vocabs)
    classical = ClassicalDualEncoder(vocabs, embed_dim=e, out_dim=m, generator=torch.Generator().manual_seed(0))
    nq, nc = n_parameters(quantum), n_parameters(classical)
    assert abs(nq - nc) / nq < 0.02


def test_info_nce_by_hand_and_with_extra_negative_rows():
    from qnlp.training.contrastive import info_nce

    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    expected = -math.log(math.exp(2) / (math.exp(2) + 1))
    assert float(info_nce(logits)) == pytest.approx(expected, rel=1e-6)
    # a hard-negative row (a swapped copy of query 0) competes only in the columns' softmax
    extra = torch.cat([logits, torch.tensor([[2.0, 0.0]])])
    col0 = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(2)))
    col1 = -math.log(math.exp(2) / (math.exp(2) + 1 + 1))
    assert float(info_nce(extra)) == pytest.approx(0.5 * (expected + (col0 + col1) / 2), rel=1e-6)
    # an excluded entry (another valid pair) is left out of the softmax
    assert float(info_nce(logits, torch.tensor([[False, True], [True, False]]))) == pytest.approx(0.0, abs=1e-6)
