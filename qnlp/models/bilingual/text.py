"""Tokens of English and Spanish sentences, and the policy for names and unknown words.

* **Tokens**: lower-cased Unicode words (letters with accents, ``ñ``, digits; an apostrophe
  suffix stays with its word: ``don't``, ``I'm``) and the marks ``? ! ¿ ¡``. The English
  attention tokeniser (:func:`qnlp.text.tokenize`) keeps ASCII letters only, which would cut
  ``Váyase`` into ``v`` + ``yase``.
* **Names and numbers**: a token that is written with a capital letter and whose lower-case form
  is not a word of the language's training vocabulary (``Tom``, ``Mary``, ``Boston``; not
  sentence-initial ``Go``), or that contains a digit, is a *name*. A name has no row in either
  language's table: its state comes from a character-hashed embedding
  (:func:`~qnlp.models.attention.sources.hash_features`) through one projection **shared by both
  languages**, so ``Tom`` has the same token state in English and Spanish and a name never seen
  in training (``Zoe``) still gets one.
* **Unknown words**: any other word not in the language's training vocabulary uses that
  language's ``<unk>`` row, trained by word dropout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import torch

from qnlp.models.attention.model import Vocabulary

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[?!¿¡]")

#: prefix of a name token in the token lists (names keep their case)
NAME = "\x00"


def raw_tokens(text: str) -> list[str]:
    """Word and punctuation-mark tokens, case kept.

    >>> raw_tokens("¿Dónde está Tom? I'm here.")
    ['¿', 'Dónde', 'está', 'Tom', '?', "I'm", 'here']
    """
    return _TOKEN.findall(text)


def lower_words(texts: Sequence[str]) -> set:
    """The tokens written in lower case somewhere in ``texts`` (what counts as an ordinary word)."""
    return {t for text in texts for t in raw_tokens(text) if t == t.lower() and not any(c.isdigit() for c in t)}


def is_name(token: str, words: set) -> bool:
    """A name: capitalised and not a known lower-case word, or containing a digit.

    >>> is_name("Tom", {"go"}), is_name("Go", {"go"}), is_name("1984", set())
    (True, False, True)
    """
    if any(c.isdigit() for c in token):
        return True
    return token[:1].isupper() and token.lower() not in words


def tokenize(text: str, words: set) -> list[str]:
    """Tokens of ``text``: lower-cased words, and names as ``NAME + token`` (case kept).

    >>> tokenize("Tom is here.", {"is", "here"})
    ['\\x00Tom', 'is', 'here']
    """
    return [NAME + t if is_name(t, words) else t.lower() for t in raw_tokens(text)]


@dataclass
class EncodedTexts:
    """Padded ids of texts in one language.

    ``ids`` ``(B, T)``: vocabulary rows (0 padding, 1 unknown), and rows ``>= len(vocab)`` for
    the names of this batch; ``words`` lists the word of every row (vocabulary, then the names
    without the :data:`NAME` prefix); ``tokens`` are the token lists.
    """

    ids: torch.Tensor
    mask: torch.Tensor
    words: list
    tokens: list


def encode(token_lists: Sequence[Sequence[str]], vocab: Vocabulary, *, max_len: int | None = None,
           unk_rate: float = 0.0, generator: torch.Generator | None = None) -> EncodedTexts:
    """Ids of token lists (names get per-batch rows after the vocabulary; an empty text is one
    unknown token). With ``unk_rate``, each ordinary word is replaced by ``<unk>`` with that
    probability (word dropout, from ``generator``)."""
    names: dict = {}
    rows = []
    for toks in token_lists:
        toks = list(toks)[:max_len]
        row = []
        for t in toks:
            if t.startswith(NAME):
                row.append(len(vocab) + names.setdefault(t[len(NAME):], len(names)))
            else:
                row.append(vocab.index.get(t, 1))
        rows.append(row or [1])
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.as_tensor(r)
    if unk_rate > 0:
        drop = torch.rand(ids.shape, generator=generator) < unk_rate
        drop &= (ids > 1) & (ids < len(vocab))
        ids = torch.where(drop, torch.ones_like(ids), ids)
    return EncodedTexts(ids, ids != 0, list(vocab.words) + list(names), [list(t) for t in token_lists])


_SPANISH_MARKS = set("¿¡ñáéíóúü")


def language_of(texts: Sequence[str], vocabularies: dict) -> str | None:
    """``"en"``, ``"es"`` or ``None``: the language whose vocabulary (``{"en": set, "es": set}``)
    holds more of the words of ``texts`` that only one of them holds; characters only Spanish
    writes (``¿ ¡ ñ`` and accented vowels) count for Spanish. ``None``: no evidence either way.

    >>> language_of(["el perro come"], {"en": {"the", "dog"}, "es": {"el", "perro"}})
    'es'
    """
    votes = {"en": 0, "es": 0}
    for text in texts:
        for tok in raw_tokens(text):
            w = tok.lower()
            in_en, in_es = w in vocabularies.get("en", ()), w in vocabularies.get("es", ())
            if in_en != in_es:
                votes["en" if in_en else "es"] += 1
        votes["es"] += sum(c in _SPANISH_MARKS for c in text.lower())
    if votes["en"] == votes["es"]:
        return None
    return max(votes, key=votes.get)
