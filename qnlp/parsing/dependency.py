"""The offline, syntax-aware default parser: spaCy dependencies to lambeq pregroup diagrams.

A small spaCy pipeline (tok2vec + UPOS tagger + dependency parser, ~8 MB, trained on UD English
EWT plus synthetic short sentences; see :mod:`qnlp.parsing.training.train_parser`) ships in
``qnlp/parsing/models/en_qnlp_dep`` and loads from disk; nothing is ever downloaded. Its trees
are mapped to pregroup trees by :mod:`qnlp.parsing.pregroup`, and lambeq turns those into
diagrams (``generate_tree`` and ``PregroupTreeNode.to_diagram``, as lambeq's Oncilla parser
does). Punctuation is dropped, so lambeq's ``"man prepares meal ."`` has type ``s``.

A sentence whose tree cannot be turned into a diagram is read by lambeq's ``cups_reader`` over
its whitespace tokens and flagged ``fallback=True``.

:class:`SpacyDependencyParser` holds everything that does not depend on the language; the
Spanish parser (:mod:`qnlp.parsing.spanish`) subclasses it too.

Examples
--------
>>> from qnlp.parsing.dependency import DependencyParser
>>> parser = DependencyParser()
>>> result = parser.parse(["skillful man prepares sauce ."])[0]
>>> result.types
['n·n.l', 'n', 'n.r·s·n.l', 'n']
>>> parser.parse(["organization that church establish ."])[0].types[1]
'n.r·n·n.l.l·s.l'
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from qnlp.errors import ConfigError, ParseError
from qnlp.parsing.base import ParseResult, Parser, words_and_types
from qnlp.parsing.pregroup import (Tok, attach_to_markers, drop_punctuation, pregroup_tree,
                                   projectivize, promote_copulas, restrict)

#: Folder of the shipped spaCy model.
MODEL_DIR = Path(__file__).with_name("models") / "en_qnlp_dep"


def parse_type(text: str):
    """A lambeq pregroup type from text: ``"n.r·s·n.l"``, ``"n.r @ s @ n.l"`` or ``"n.l.l"``.

    Raises
    ------
    ConfigError
        If an atom is malformed.
    """
    from lambeq.backend.grammar import Ty

    ty = Ty()
    parts = [p.strip() for p in text.replace("·", "@").split("@") if p.strip()]
    if not parts:
        raise ConfigError(f"empty pregroup type {text!r}")
    for part in parts:
        name, *adj = part.split(".")
        if not name or not name.isidentifier() or any(a not in ("l", "r", "ll", "rr") for a in adj):
            raise ConfigError(f"bad pregroup atom {part!r} in {text!r}; use e.g. 'n.r·s·n.l'")
        atom = Ty(name)
        for a in adj:
            for ch in a:
                atom = atom.l if ch == "l" else atom.r
        ty = ty @ atom
    return ty


def reduce_planar(words: list[str], types: list) -> "object":
    """A lambeq diagram for words with given types, reduced greedily by planar cups.

    Adjacent wires ``x, x.r`` or ``x.l, x`` are joined (a stack reduction); what is left stays
    open in the codomain. Used when a user lexicon overrides some types.
    """
    from lambeq.backend.grammar import Cup, Diagram, Word

    boxes = [Word(w, t) for w, t in zip(words, types)]
    atoms = [a for t in types for a in t]
    stack: list[int] = []
    cups: list[tuple[int, int]] = []
    for i, a in enumerate(atoms):
        if stack:
            b = atoms[stack[-1]]
            if b.name == a.name and b.z + 1 == a.z:
                cups.append((stack.pop(), i))
                continue
        stack.append(i)
    cups.sort(key=lambda c: c[1] - c[0])
    return Diagram.create_pregroup_diagram(boxes, [(Cup, i, j) for i, j in cups])


class SpacyDependencyParser(Parser):
    """Language-neutral base: a shipped spaCy tagger + parser, trees mapped to pregroup diagrams.

    Subclassing
    -----------
    Set :attr:`name` (the registry name), :attr:`default_model_dir` (the shipped spaCy folder)
    and, if the language needs it, override :meth:`prepare` (a pure function of the parsed
    tokens applied before the pregroup mapping, e.g. Spanish clitics). Everything else —
    lazy loading, batching through one ``nlp.pipe`` call, the user lexicon, the counted
    ``cups_reader`` fallback, pickling — is shared.

    Parameters
    ----------
    model_dir : str or Path, optional
        A spaCy pipeline folder with a UPOS ``tagger`` and a ``parser``; defaults to the shipped
        model. Loaded on first use with ``spacy.load`` (never downloads).
    lexicon : mapping of str to str, optional
        Words (matched lower-cased) whose pregroup type is forced, e.g. ``{"runs": "n.r·s"}``.
        A sentence containing one is re-reduced with planar cups over the forced types.
    batch_size : int
        Batch size of ``nlp.pipe``.
    """

    name = "spacy-dep"
    #: Folder of the shipped spaCy model of this language (set by each subclass).
    default_model_dir: Path | None = None

    def __init__(self, model_dir: str | Path | None = None, lexicon: Mapping[str, str] | None = None,
                 batch_size: int = 256):
        self.model_dir = model_dir
        self.lexicon = lexicon
        self.batch_size = batch_size
        self._nlp = None
        self._fallback = None
        self._lexicon_types = None

    # -- resources -------------------------------------------------------------------------
    @property
    def nlp(self):
        """The spaCy pipeline, loaded on first use."""
        if self._nlp is None:
            import spacy

            path = Path(self.model_dir) if self.model_dir is not None else self.default_model_dir
            if path is None:
                raise ConfigError(f"{type(self).__name__} has no shipped model; pass model_dir")
            if not (path / "meta.json").is_file():
                raise ConfigError(f"no spaCy model at {str(path)!r} (meta.json missing)")
            self._nlp = spacy.load(path, exclude=["senter", "ner", "lemmatizer"])
        return self._nlp

    @property
    def lexicon_types(self) -> dict:
        """The user lexicon as lambeq types (parsed on first use; bad types raise ConfigError)."""
        if self._lexicon_types is None:
            self._lexicon_types = {w.lower(): parse_type(t) for w, t in (self.lexicon or {}).items()}
        return self._lexicon_types

    def _cups(self):
        if self._fallback is None:
            from lambeq import cups_reader

            self._fallback = cups_reader
        return self._fallback

    def config(self) -> dict:
        """Constructor arguments (``model_dir`` is ``None`` for the shipped model)."""
        return {"name": self.name,
                "model_dir": None if self.model_dir is None else str(self.model_dir),
                "lexicon": dict(self.lexicon or {}), "batch_size": self.batch_size}

    def __getstate__(self) -> dict:
        """Pickle the arguments only; the spaCy pipeline is reloaded on first use."""
        state = dict(self.__dict__)
        state.update(_nlp=None, _fallback=None, _lexicon_types=None)
        return state

    # -- parsing ---------------------------------------------------------------------------
    def _parse_batch(self, sentences: list[str]) -> list[ParseResult]:
        """The whole batch through one ``nlp.pipe`` call (the base class validates input)."""
        docs = self.nlp.pipe(sentences, batch_size=self.batch_size)
        return [self._from_doc(s, doc) for s, doc in zip(sentences, docs)]

    def _parse_one(self, sentence: str) -> ParseResult:
        return self._from_doc(sentence, self.nlp(sentence))

    @staticmethod
    def prepare(toks: list[Tok]) -> list[Tok]:
        """Language-specific rewrite of the parsed tokens before the pregroup mapping (none)."""
        return toks

    def _from_doc(self, sentence: str, doc) -> ParseResult:
        toks = [Tok(t.text, t.tag_ or t.pos_, -1 if t.head.i == t.i else t.head.i, t.dep_)
                for t in doc if not t.is_space]
        try:
            words, types, diagram = self.tree_diagram(self.prepare(toks))
        except Exception:  # noqa: BLE001 - any failure of the mapping falls back
            return self._fallback_result(sentence)
        if self.lexicon and any(w.lower() in self.lexicon_types for w in words):
            diagram = reduce_planar(words, [self.lexicon_types.get(w.lower(), t)
                                            for w, t in zip(words, types)])
        words, type_strs = words_and_types(diagram)
        return ParseResult(sentence, diagram, words, type_strs, self.name, fallback=False)

    @staticmethod
    def tree_diagram(toks: list[Tok]):
        """Words, their lambeq types and the diagram of one dependency-parsed sentence."""
        from lambeq.backend.grammar import Word
        from lambeq.text2diagram.pregroup_tree_converter import generate_tree

        if not toks:
            raise ValueError("no tokens")
        keep = drop_punctuation(toks)
        toks = restrict(toks, keep)
        toks, _ = projectivize(attach_to_markers(promote_copulas(toks)))
        tree = pregroup_tree(toks)
        roots, _ = generate_tree(tree.words, [[t] for t in tree.types],
                                 [[p] for p in tree.parents])
        if len(roots) != 1:
            raise ValueError(f"{len(roots)} roots")
        diagram = roots[0].to_diagram(tree.words)
        if len(diagram.cod) != len(roots[0].typ):
            raise ValueError("diagram does not reduce to the root type")
        words = [box.name for box in diagram.boxes if isinstance(box, Word)]
        types = [box.cod for box in diagram.boxes if isinstance(box, Word)]
        return words, types, diagram

    def _fallback_result(self, sentence: str) -> ParseResult:
        try:
            diagram = self._cups().sentence2diagram(sentence.split(), tokenised=True)
        except Exception as exc:  # noqa: BLE001
            raise ParseError(f"{self.name} could not parse {sentence!r}: {exc}") from exc
        words, types = words_and_types(diagram)
        return ParseResult(sentence, diagram, words, types, self.name, fallback=True)


class DependencyParser(SpacyDependencyParser):
    """Syntax-aware English parser that works offline (registry name ``"dep.v1"``).

    The shipped model is ``qnlp/parsing/models/en_qnlp_dep``; see
    :class:`SpacyDependencyParser` for the parameters.
    """

    name = "dep.v1"
    default_model_dir = MODEL_DIR
