"""Tokens, the copy policy and input checks."""

import pytest

from qnlp.errors import ParseError
from qnlp.models.seq2seq.text import (CopyPolicy, Encoded, TokenVocabulary, check_sentence, detokenize,
                                      non_latin, tokenize)

EN = ["Did you see it?", "Tom ran.", "Tom is here.", "Mary likes Tom.", "I'm French.", "He has 3 dogs.", "I like French food."]
ES = ["¿Lo viste?", "Tom corrió.", "Tom está aquí.", "A Mary le gusta Tom.", "Soy francés.", "Él tiene 3 perros.",
      "Me gusta la comida francesa."]


def test_tokenize_and_detokenize_round_trip():
    assert tokenize("¿Dónde está Tom?") == ["¿", "Dónde", "está", "Tom", "?"]
    assert detokenize(["¿", "dónde", "está", "Tom", "?"]) == "¿Dónde está Tom?"
    assert detokenize(["¡", "hola", ",", "tom", "!"]) == "¡Hola, tom!"


def test_copy_policy_names_numbers_and_unseen_capitalised_words():
    policy = CopyPolicy.fit(EN, ES)
    assert {"Tom", "Mary"} <= policy.copy_words
    assert "French" not in policy.copy_words  # translated, not copied
    enc = policy.encode("Did Zorglub see Tom and 2 cats?")
    assert enc.copies == {"<c1>": "Zorglub", "<c2>": "Tom", "<c3>": "2"}
    assert enc.tokens[:4] == ["did", "<c1>", "see", "<c2>"]
    # a training target uses the same placeholders; restore() puts the source words back
    target = CopyPolicy.target("¿Zorglub vio a Tom?", enc.copies)
    assert target == ["¿", "<c1>", "vio", "a", "<c2>", "?"]
    assert CopyPolicy.restore(target, enc) == "¿Zorglub vio a Tom?"


def test_unknown_word_replaced_by_most_attended_unknown_source_word():
    policy = CopyPolicy.fit(EN, ES)
    enc = policy.encode("I like quinoa and kale.", vocab={"i", "like", "and", "."})
    assert enc.tokens == ["i", "like", "<unk>", "and", "<unk>", "."]
    out = ["me", "gusta", "<unk>", "y", "<unk>", "."]
    att = [[0, 0, 0, 0, 0, 0]] * 2 + [[0, 0, 0.9, 0, 0.1, 0], [0] * 6, [0, 0, 0.2, 0, 0.8, 0], [0] * 6]
    assert CopyPolicy.restore(out, enc, att) == "Me gusta quinoa y kale."
    # without unknown source words, <unk> is dropped
    assert CopyPolicy.restore(["hola", "<unk>", "."], Encoded(["hello", "."], {}, [None, None])) == "Hola."


def test_truncation_is_flagged():
    enc = CopyPolicy().encode("one two three four five", max_len=3)
    assert enc.truncated and enc.tokens == ["one", "two", "three"]


def test_vocabulary_fixed_rows():
    vocab = TokenVocabulary.build([["a", "b", "a"]], min_count=2)
    assert vocab.words[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert vocab.words[4:8] == ["<c1>", "<c2>", "<c3>", "<c4>"]
    assert "a" in vocab and "b" not in vocab and vocab.ids(["a", "b"]) == [8, 1]


@pytest.mark.parametrize("text, message", [
    ("", "empty sentence"), ("   ", "empty sentence"), ("?!", "has no words"),
    ("Привет, мир", "outside the Latin script"), ("我爱你", "outside the Latin script"),
])
def test_bad_sentences_have_clear_messages(text, message):
    with pytest.raises(ParseError, match=message):
        check_sentence(text, 0)
    assert non_latin("café Straße") == ""
