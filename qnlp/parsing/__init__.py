"""Parsing: sentences to lambeq string diagrams (pregroup grammar)."""

from qnlp.parsing.base import MAX_TOKENS, ParseResult, Parser, check_sentence  # noqa: F401

#: Registry name of the default parser of every command.
DEFAULT_PARSER = "dep"
#: Default parser per language (``make_parser("default", lang=...)``).
DEFAULT_PARSERS = {"en": "dep", "es": "dep-es"}


def make_parser(name: str = "default", *, lang: str = "en", **kwargs) -> Parser:
    """Build a parser from its registry name.

    Parameters
    ----------
    name : str
        A registry name (``"dep"``, ``"dep-es"``, ``"cups"``, ...) or ``"default"``, the
        default parser of ``lang``.
    lang : {"en", "es"}
        Language of ``"default"``: ``"en"`` gives ``"dep"``, ``"es"`` the Spanish ``"dep-es"``.
        Ignored for any other name.
    **kwargs
        Passed to the parser's constructor.

    Raises
    ------
    ConfigError
        For an unknown parser name or language.

    Examples
    --------
    >>> make_parser("default", lang="es").name
    'dep-es.v1'
    """
    from qnlp.registry import registry

    if name == "default":
        name = default_parser(lang)
    return registry.make("parser", name, **kwargs)


def default_parser(lang: str = "en") -> str:
    """Registry name of the default parser of a language (``"en"`` or ``"es"``).

    Raises
    ------
    ConfigError
        If ``lang`` is not one of :data:`DEFAULT_PARSERS`.
    """
    from qnlp.errors import ConfigError

    key = str(lang).strip().lower()
    if key not in DEFAULT_PARSERS:
        raise ConfigError(f"unknown language {lang!r}; valid: {', '.join(sorted(DEFAULT_PARSERS))}")
    return DEFAULT_PARSERS[key]


def parser_for_language(name: str, lang: str = "en") -> str:
    """``name``, or the default parser of ``lang`` if ``name`` is ``"default"``.

    ``lang`` is checked either way (what ``qnlp parse --lang`` needs).

    Raises
    ------
    ConfigError
        If ``lang`` is not one of :data:`DEFAULT_PARSERS`.
    """
    language_default = default_parser(lang)
    return language_default if name == "default" else name
