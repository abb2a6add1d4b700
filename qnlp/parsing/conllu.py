"""Read CoNLL-U treebanks and score a spaCy pipeline on them (UAS, LAS, tag accuracy).

Only the basic tree is read: multiword-token rows (``3-4``) and empty nodes (``8.1``) are
skipped, as the UD guidelines ask of basic-tree parsers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator


@dataclass
class Token:
    """One CoNLL-U word: form, universal POS tag, head (1-based, 0 = root) and relation."""

    form: str
    upos: str
    head: int
    deprel: str
    feats: str = "_"
    xpos: str = "_"
    lemma: str = "_"


def read_conllu(path: str | Path, merge_multiword: bool = False) -> Iterator[list[Token]]:
    """Yield the sentences of a CoNLL-U file, each a list of :class:`Token`.

    Parameters
    ----------
    path : str or Path
        A UTF-8 CoNLL-U file.
    merge_multiword : bool
        If false (the default), multiword-token rows (``3-4 del``) are skipped and their words
        are kept (``de``, ``el``). If true, the words of each multiword token are merged into one
        token with the surface form (``del``, ``dámelo``), as spaCy's Spanish tokenizer leaves
        them: it takes the annotation of the word whose head lies outside the token (the first
        such word), and arcs into the merged words point at it. Empty nodes are always skipped.
    """
    for rows, spans in _read_rows(path):
        yield _merge(rows, spans) if merge_multiword else rows


def _read_rows(path):
    rows: list[Token] = []
    spans: list[tuple[int, int, str]] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                if rows:
                    yield rows, spans
                rows, spans = [], []
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if "." in cols[0]:
                continue
            if "-" in cols[0]:
                a, b = cols[0].split("-")
                spans.append((int(a), int(b), cols[1]))
                continue
            rows.append(Token(cols[1], cols[3], int(cols[6]), cols[7], cols[5], cols[4], cols[2]))
    if rows:
        yield rows, spans


def _merge(rows: list[Token], spans: list[tuple[int, int, str]]) -> list[Token]:
    """Merge the words of multiword tokens (1-based inclusive spans) into surface tokens."""
    target = {i: i for i in range(1, len(rows) + 1)}  # word id -> id of the word it merges into
    keep = set(target)
    forms = {}
    for a, b, form in spans:
        inside = range(a, b + 1)
        heads = [i for i in inside if not a <= rows[i - 1].head <= b]
        main = heads[0] if heads else a
        for i in inside:
            target[i] = main
            if i != main:
                keep.discard(i)
        forms[main] = form
    new_id = {old: k for k, old in enumerate(sorted(keep), start=1)}
    out = []
    for old in sorted(keep):
        t = rows[old - 1]
        head = 0 if t.head == 0 else new_id[target[t.head]]
        out.append(Token(forms.get(old, t.form), t.upos, head, t.deprel, t.feats, t.xpos, t.lemma))
    return out


def base_relation(deprel: str) -> str:
    """The relation without its subtype, lower case (``"ROOT"`` and ``"root"`` -> ``"root"``)."""
    return deprel.split(":")[0].lower()


def evaluate(nlp, sentences: Iterable[list[Token]], batch_size: int = 256) -> dict:
    """Score a pipeline with gold tokenisation.

    Punctuation counts; relations are compared on the full label (``acl:relcl``), with
    ``ROOT``/``root`` the same.

    Parameters
    ----------
    nlp : spacy.Language
        A pipeline with a tagger (predicting UPOS in ``tag_``) and a parser.
    sentences : iterable of list of Token
        Gold sentences, e.g. from :func:`read_conllu`.

    Returns
    -------
    dict
        ``uas``, ``las``, ``tag_acc`` (percentages) and ``sentences``, ``tokens`` counts.
    """
    from spacy.tokens import Doc

    gold = list(sentences)
    docs = (Doc(nlp.vocab, words=[t.form for t in sent]) for sent in gold)
    n = heads = labels = tags = 0
    for sent, doc in zip(gold, nlp.pipe(docs, batch_size=batch_size)):
        for tok, pred in zip(sent, doc):
            n += 1
            gold_head = tok.head - 1 if tok.head > 0 else pred.i
            pred_head = pred.head.i
            if gold_head == pred_head:
                heads += 1
                if tok.deprel.lower() == pred.dep_.lower() or (
                    tok.head == 0 and pred.dep_.lower() == "root"
                ):
                    labels += 1
            tags += pred.tag_ == tok.upos
    return {
        "uas": 100.0 * heads / max(n, 1),
        "las": 100.0 * labels / max(n, 1),
        "tag_acc": 100.0 * tags / max(n, 1),
        "sentences": len(gold),
        "tokens": n,
    }
