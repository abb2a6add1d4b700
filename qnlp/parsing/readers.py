"""lambeq's syntax-free readers (and its Bobcat parser, opt-in) behind the :class:`Parser` API."""

from __future__ import annotations

import os

from qnlp.errors import ConfigError, ParseError
from qnlp.parsing.base import ParseResult, Parser, words_and_types
from qnlp.text import tokenize


class LambeqReaderParser(Parser):
    """Wraps a lambeq reader (``cups_reader``, ``stairs_reader``, ...).

    Tokens are the sentence's whitespace-separated words; no download ever happens.
    """

    def __init__(self, reader_name: str, name: str, tokens: str = "whitespace"):
        self.reader_name = reader_name
        self.name = name
        self.tokens = tokens
        self._reader = None

    @property
    def reader(self):
        if self._reader is None:
            import lambeq

            self._reader = getattr(lambeq, self.reader_name)
        return self._reader

    def _parse_one(self, sentence: str) -> ParseResult:
        try:
            words = (tokenize(sentence) or sentence.split()) if self.tokens == "words" else sentence.split()
            diagram = self.reader.sentence2diagram(words, tokenised=True)
        except Exception as exc:  # lambeq raises many kinds of errors
            raise ParseError(f"{self.name} could not read {sentence!r}: {exc}") from exc
        words, types = words_and_types(diagram)
        return ParseResult(sentence, diagram, words, types, self.name, fallback=False)


def make_cups_reader() -> Parser:
    """Each word ``s.r·s``, joined by cups (lambeq's ``cups_reader``)."""
    return LambeqReaderParser("cups_reader", "cups.v1")


def make_stairs_reader() -> Parser:
    """Words combined left to right by a learned ``STAIR`` box (lambeq's ``stairs_reader``)."""
    return LambeqReaderParser("stairs_reader", "stairs.v1")


def make_spiders_reader() -> Parser:
    """Words merged by one spider (lambeq's ``spiders_reader``, a bag of words)."""
    return LambeqReaderParser("spiders_reader", "spiders.v1")


def make_spiders_words_reader() -> Parser:
    """The spiders reader on normalised words: :func:`qnlp.text.tokenize` (lower case,
    punctuation other than ``!``/``?`` dropped), so "Great." and "great" share parameters. A
    text with no such word (``"("``) keeps its whitespace tokens (unknown words at prediction)."""
    return LambeqReaderParser("spiders_reader", "spiders.v2", tokens="words")


def make_tree_reader() -> Parser:
    """lambeq's ``TreeReader`` needs a CCG parser; unavailable offline."""
    raise ConfigError("the 'tree' reader needs a CCG parser; use 'cups', 'stairs' or 'spiders'")


class BobcatParserAdapter(Parser):
    """lambeq's BobcatParser from local model files (never downloads).

    Parameters
    ----------
    model_dir : str, optional
        Folder with Bobcat's model files; defaults to ``$QNLP_BOBCAT_DIR``.
    """

    name = "bobcat.v1"

    def __init__(self, model_dir: str | None = None):
        self.model_dir = model_dir or os.environ.get("QNLP_BOBCAT_DIR")
        if not self.model_dir or not os.path.isdir(self.model_dir):
            raise ConfigError(
                "the 'bobcat' parser needs lambeq's Bobcat model files on disk (its download host "
                "is gone): set QNLP_BOBCAT_DIR to their folder, or use the default parser"
            )
        self._parser = None

    def _parse_one(self, sentence: str) -> ParseResult:
        if self._parser is None:
            from lambeq import BobcatParser

            from qnlp.offline import hub_offline

            with hub_offline():  # a local folder: lambeq and transformers must not fall back to a download
                self._parser = BobcatParser(model_name_or_path=self.model_dir, verbose="suppress")
        try:
            diagram = self._parser.sentence2diagram(sentence)
        except Exception as exc:
            raise ParseError(f"bobcat could not parse {sentence!r}: {exc}") from exc
        words, types = words_and_types(diagram)
        return ParseResult(sentence, diagram, words, types, self.name)


def make_bobcat_parser(model_dir: str | None = None) -> Parser:
    """lambeq's Bobcat parser, opt-in, from local files only."""
    return BobcatParserAdapter(model_dir)
