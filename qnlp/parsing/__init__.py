"""Parsing: sentences to lambeq string diagrams (pregroup grammar)."""

from qnlp.parsing.base import MAX_TOKENS, ParseResult, Parser, check_sentence  # noqa: F401


def make_parser(name: str = "default", **kwargs) -> Parser:
    """Build a parser from its registry name (``"default"`` is the project's default parser)."""
    from qnlp.registry import registry

    if name == "default":
        name = DEFAULT_PARSER
    return registry.make("parser", name, **kwargs)


#: Registry name of the default parser of every command.
DEFAULT_PARSER = "dep"
