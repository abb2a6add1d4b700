"""Tokens of the translation models: tokeniser, input checks, the name/unknown-word copy policy.

Policy (documented in ``docs/translation.md (part 2)``):

* **Tokens.** Words (letters with an optional apostrophe suffix, ``don't``), numbers and single
  punctuation marks (``¿``, ``?``, ``,``, ...). English is lower-cased, except copied tokens;
  Spanish is lower-cased and the output's first letter is capitalised again.
* **Copied tokens.** A source token is *copied* when it is a number, a capitalised word that the
  training data copies verbatim into the Spanish in at least half of its occurrences (``Tom``,
  ``Mary``, ``Boston``: :attr:`CopyPolicy.copy_words`), or a capitalised word whose lower-case form
  is not in the English vocabulary (an unseen name). Each distinct copied token of a sentence
  becomes a placeholder ``<c1>``, ``<c2>``, ... in the source; in the training targets the same
  token becomes the same placeholder; in an output the placeholder is replaced by the source token.
* **Unknown words.** Other source words outside the vocabulary become ``<unk>``. An output
  ``<unk>`` is replaced by the unknown source word the cross-attention weighs most (Luong et al.
  2015), or dropped when the source has none.
* **Length.** Sentences over ``max_len`` tokens are truncated with a warning.
* **Script.** A sentence with letters outside the Latin script, or with no word, is refused with
  a :class:`~qnlp.errors.ParseError` naming it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)
#: copy placeholders: at most this many distinct copied tokens per sentence
MAX_COPIES = 4
COPY = tuple(f"<c{i}>" for i in range(1, MAX_COPIES + 1))

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+|[^\w\s]")
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:)»%])")
_NO_SPACE_AFTER = re.compile(r"([¿¡(«]) ")


def tokenize(text: str) -> list[str]:
    """Case-kept tokens: words, numbers, single punctuation marks.

    >>> tokenize("¿Dónde está Tom?")
    ['¿', 'Dónde', 'está', 'Tom', '?']
    >>> tokenize("I don't know, 10 times.")
    ['I', "don't", 'know', ',', '10', 'times', '.']
    """
    return _TOKEN.findall(text)


def detokenize(tokens: list[str]) -> str:
    """Join tokens, without spaces inside punctuation, first letter capitalised.

    >>> detokenize(['¿', 'dónde', 'está', 'Tom', '?'])
    '¿Dónde está Tom?'
    """
    text = _NO_SPACE_AFTER.sub(r"\1", _NO_SPACE_BEFORE.sub(r"\1", " ".join(tokens)))
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
    return text


def non_latin(text: str) -> str:
    """The letters of ``text`` outside the Latin script ('' when there are none).

    >>> non_latin("Hola, Привет")
    'Привет'
    """
    return "".join(ch for ch in text if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"))


def is_copy_candidate(token: str) -> bool:
    """Numbers, and capitalised words other than ``I`` (``I'm``, ``I'll``...)."""
    if token.isdigit():
        return True
    return token[:1].isupper() and token != "I" and not token.startswith("I'")


@dataclass
class Encoded:
    """A source sentence under the policy: model tokens, and what each placeholder stands for."""

    tokens: list[str]
    copies: dict[str, str] = field(default_factory=dict)  # placeholder -> source token
    unknown: list[str | None] = field(default_factory=list)  # per position: the unseen word
    truncated: bool = False


@dataclass
class CopyPolicy:
    """The copy policy fitted on training pairs (see the module docstring).

    Attributes
    ----------
    copy_words : set of str
        Capitalised English tokens the training Spanish keeps verbatim (at least half the time).
    lower_words : set of str
        Lower-case forms of the other English tokens of the training data.
    """

    copy_words: set = field(default_factory=set)
    lower_words: set = field(default_factory=set)

    @classmethod
    def fit(cls, english, spanish) -> "CopyPolicy":
        seen: dict[str, int] = {}
        kept: dict[str, int] = {}
        words = set()
        for en, es in zip(english, spanish):
            es_tokens = set(tokenize(es))
            for tok in tokenize(en):
                if is_copy_candidate(tok) and not tok.isdigit():
                    seen[tok] = seen.get(tok, 0) + 1
                    kept[tok] = kept.get(tok, 0) + (tok in es_tokens)
                words.add(tok)
        copy = {t for t, n in seen.items() if 2 * kept[t] >= n}
        return cls(copy, {t.lower() for t in words - copy})

    def is_copied(self, token: str) -> bool:
        if token.isdigit() or token in self.copy_words:
            return True
        return is_copy_candidate(token) and token.lower() not in self.lower_words

    def encode(self, sentence: str, vocab: dict | None = None, max_len: int | None = None) -> Encoded:
        """Model tokens of an English sentence (placeholders, lower case, ``<unk>`` when
        ``vocab`` is given and the word is not in it)."""
        raw = tokenize(sentence)
        truncated = max_len is not None and len(raw) > max_len
        raw = raw[:max_len] if max_len is not None else raw
        copies: dict[str, str] = {}
        out, unknown = [], []
        for tok in raw:
            if self.is_copied(tok):
                if tok not in copies.values() and len(copies) < MAX_COPIES:
                    copies[COPY[len(copies)]] = tok
                slot = {v: k for k, v in copies.items()}.get(tok)
                if slot is not None:
                    out.append(slot)
                    unknown.append(None)
                    continue
            low = tok.lower()
            if vocab is not None and low not in vocab:
                out.append(UNK)
                unknown.append(tok)
            else:
                out.append(low)
                unknown.append(None)
        return Encoded(out, copies, unknown, truncated)

    @staticmethod
    def target(spanish: str, copies: dict) -> list[str]:
        """Model tokens of a training target: copied source tokens become their placeholders."""
        slot = {v: k for k, v in copies.items()}
        return [slot.get(t, t.lower()) for t in tokenize(spanish)]

    @staticmethod
    def restore(tokens: list[str], encoded: Encoded, attention=None) -> str:
        """The output sentence: placeholders replaced by their source tokens; ``<unk>`` by the
        unknown source word of largest ``attention`` weight (rows: output positions), or dropped."""
        words = []
        for i, tok in enumerate(tokens):
            if tok in encoded.copies:
                words.append(encoded.copies[tok])
            elif tok in COPY:
                continue  # a placeholder the source does not have
            elif tok == UNK:
                cands = [j for j, u in enumerate(encoded.unknown) if u is not None]
                if cands and attention is not None and i < len(attention):
                    row = attention[i]
                    words.append(encoded.unknown[max(cands, key=lambda j: float(row[j]))])
                elif cands:
                    words.append(encoded.unknown[cands[0]])
            elif tok not in SPECIALS:
                words.append(tok)
        return detokenize(words)


def check_sentence(sentence, index: int | None = None) -> str:
    """The sentence if it can be translated, else a :class:`~qnlp.errors.ParseError`."""
    from qnlp.errors import ParseError

    where = "" if index is None else f"sentence {index + 1}: "
    if not isinstance(sentence, str):
        raise ParseError(f"{where}expected a str, got {type(sentence).__name__}")
    if not sentence.strip():
        raise ParseError(f"{where}empty sentence")
    bad = non_latin(sentence)
    if bad:
        raise ParseError(f"{where}{sentence!r} has letters outside the Latin script ({bad[:20]!r}); "
                         "the model translates English")
    if not any(ch.isalnum() for ch in sentence):
        raise ParseError(f"{where}{sentence!r} has no words")
    return sentence


class TokenVocabulary:
    """Token <-> id; ids 0-3 are ``<pad>``, ``<unk>``, ``<s>``, ``</s>``, then the placeholders."""

    def __init__(self, words):
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, token_lists, min_count: int = 1) -> "TokenVocabulary":
        counts: dict[str, int] = {}
        for toks in token_lists:
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
        fixed = list(SPECIALS) + list(COPY)
        return cls(fixed + sorted(w for w, c in counts.items() if c >= min_count and w not in fixed))

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def ids(self, tokens) -> list[int]:
        return [self.index.get(t, 1) for t in tokens]
