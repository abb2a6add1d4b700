"""The :class:`Parser` base class: sentences in, lambeq string diagrams out.

Subclassing
-----------
Implement :meth:`Parser._parse_one` (one tokenised-or-raw sentence to a diagram), optionally
:meth:`Parser._parse_batch` to parse many at once, and set :attr:`name` to the registry name.
:meth:`parse` is the batch-first entry point; it validates input and applies ``on_error``.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Sequence

from qnlp.errors import ParseError

#: Longest sentence (in whitespace tokens) a parser accepts; longer ones raise ParseError.
MAX_TOKENS = 64


@dataclass
class ParseResult:
    """A parsed sentence: its diagram, words and pregroup types, and whether a fallback ran."""

    sentence: str
    diagram: Any
    words: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    parser: str = ""
    fallback: bool = False

    def to_dict(self) -> dict:
        return {"sentence": self.sentence, "words": self.words, "types": self.types,
                "parser": self.parser, "fallback": self.fallback}


def check_sentence(sentence: Any, max_tokens: int = MAX_TOKENS) -> str:
    """Validate one sentence; return it stripped.

    Raises
    ------
    ParseError
        If it is not a string, is empty or whitespace only, or is longer than ``max_tokens``.
    """
    if not isinstance(sentence, str):
        raise ParseError(f"a sentence must be a str, got {type(sentence).__name__}")
    text = " ".join(sentence.split())
    if not text:
        raise ParseError("empty or whitespace-only sentence")
    n = len(text.split())
    if n > max_tokens:
        raise ParseError(f"sentence has {n} tokens; the limit is {max_tokens} (split it first)")
    return text


def words_and_types(diagram) -> tuple[list[str], list[str]]:
    """Words (word boxes, left to right) and their pregroup types of a lambeq diagram."""
    from lambeq.backend.grammar import Word

    words, types = [], []
    for box in diagram.boxes:
        if isinstance(box, Word):
            words.append(box.name)
            types.append(format_type(box.cod))
    return words, types


def format_type(ty) -> str:
    """Pregroup type as text: ``n.r·s·n.l`` (``1`` for the empty type)."""
    parts = []
    for atom in ty:
        name, z = atom.name, atom.z
        suffix = ".r" * z if z > 0 else ".l" * (-z)
        parts.append(name + suffix)
    return "·".join(parts) if parts else "1"


class Parser(abc.ABC):
    """Turns sentences into lambeq grammar diagrams, batch first."""

    name = "parser"

    def parse(self, sentences: Sequence[str], *, on_error: str = "raise") -> list[ParseResult]:
        """Parse a batch of sentences.

        Parameters
        ----------
        sentences : sequence of str
            The sentences; a bare ``str`` is rejected (wrap it in a list).
        on_error : {"raise", "skip", "none"}
            On a sentence that cannot be parsed: raise :class:`ParseError`, drop it, or put
            ``None`` in its place.
        """
        if isinstance(sentences, str):
            raise ParseError("parse() takes a list of sentences, not a single str; wrap it: [text]")
        if on_error not in ("raise", "skip", "none"):
            raise ValueError(f"on_error must be 'raise', 'skip' or 'none', got {on_error!r}")
        checked: list = []
        for sentence in sentences:
            try:
                checked.append(check_sentence(sentence))
            except ParseError as exc:
                if on_error == "raise":
                    raise
                checked.append(exc)
        parsed = iter(self._parse_batch([c for c in checked if isinstance(c, str)]))
        out: list = []
        for c in checked:
            item = c if isinstance(c, ParseError) else next(parsed)
            if isinstance(item, ParseError):
                if on_error == "raise":
                    raise item
                if on_error == "none":
                    out.append(None)
                continue
            out.append(item)
        return out

    def parse_one(self, sentence: str) -> ParseResult:
        """Parse one sentence (wraps :meth:`parse`)."""
        return self.parse([sentence])[0]

    def _parse_batch(self, sentences: list[str]) -> list:
        """Parse validated sentences; a :class:`ParseError` stands in place of a failed one.

        Override to batch (e.g. one ``nlp.pipe`` call); the default calls :meth:`_parse_one`.
        """
        out: list = []
        for sentence in sentences:
            try:
                out.append(self._parse_one(sentence))
            except ParseError as exc:
                out.append(exc)
        return out

    @abc.abstractmethod
    def _parse_one(self, sentence: str) -> ParseResult:
        """Parse one validated sentence."""

    def config(self) -> dict:
        return {"name": self.name}
