"""Train the shipped English tagger + dependency parser on UD English EWT.

Run ``python -m qnlp.parsing.training.train_parser --out DIR``. The script

1. reads the EWT train and dev CoNLL-U files (basic tree only);
2. adds synthetic, correctly annotated short sentences (``adj noun verb adj noun``,
   ``noun that noun verb``, ``noun that verb noun``) built from word lists taken from EWT train
   itself, plus lowercased copies of EWT sentences, so lowercase telegraphic input is tagged well;
   and sentences whose verb looks like a plural noun (``nurse checks records``,
   :func:`noun_like_verb_sentence`);
3. writes ``train.spacy`` and ``dev.spacy`` under ``DIR/corpus``;
4. trains with ``parser_en.cfg`` (spaCy's "efficiency" preset: tok2vec + tagger + parser, no
   vectors) into ``DIR/model-best``.

The tagger predicts the universal POS tag (UPOS) in ``Token.tag_``. All randomness comes from
``--seed`` (a local :class:`random.Random` and spaCy's ``system.seed``).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from qnlp.parsing.conllu import Token, read_conllu

#: Folder with the EWT CoNLL-U files (override with ``--data``).
DEFAULT_DATA = Path("/work/shared/datasets/ud_english_ewt")
CONFIG = Path(__file__).with_name("parser_en.cfg")


def _clean(word: str) -> bool:
    return word.isalpha() and word.islower() and len(word) >= 3


def word_lists(sentences: list[list[Token]], min_count: int = 2,
               min_share: dict | None = None) -> dict[str, list[str]]:
    """Word lists for the synthetic sentences, taken from EWT (train) annotations.

    Returns
    -------
    dict
        ``noun`` (singular common nouns), ``nouns`` (plural), ``adj`` (positive adjectives),
        ``verb_3sg`` / ``verb_base`` (verbs seen with a direct object, as ``VBZ`` and as
        ``VB``/``VBP``), ``det`` and ``rel`` (relative pronouns), each sorted, and
        ``verb_3sg_noun_like``: plural nouns whose lemma takes a direct object as a verb in EWT
        (``records``, ``plants``), i.e. 3rd person singular verbs that look like plural nouns. A word is kept
        in a class only if at least ``min_share[class]`` of its EWT occurrences have that UPOS
        tag: adjectives must be clear (0.8, so "down" is left out), while nouns (0.5) and verbs
        (0.3) may be ambiguous ("control", "feature"), so the model learns to use the sentence
        shape rather than the word alone.
    """
    share = {"noun": 0.5, "nouns": 0.5, "adj": 0.8, "verb_3sg": 0.3, "verb_base": 0.3,
             "det": 0.5, "rel": 0.5}
    share.update(min_share or {})
    counts: dict[str, Counter] = defaultdict(Counter)
    upos: dict[str, Counter] = defaultdict(Counter)
    transitive: set[str] = set()
    for sent in sentences:
        has_obj = {t.head for t in sent if t.deprel == "obj"}
        transitive.update(t.lemma.lower() for i, t in enumerate(sent, start=1)
                          if i in has_obj and t.upos == "VERB")
    for sent in sentences:
        for i, t in enumerate(sent, start=1):
            w = t.form.lower()
            upos[w][t.upos] += 1
            if t.upos == "NOUN" and t.xpos == "NN" and _clean(w):
                counts["noun"][w] += 1
            elif t.upos == "NOUN" and t.xpos == "NNS" and _clean(w):
                counts["nouns"][w] += 1
            elif t.upos == "ADJ" and t.xpos == "JJ" and _clean(w):
                counts["adj"][w] += 1
            elif t.upos == "VERB" and t.lemma.lower() in transitive and _clean(w):
                if t.xpos == "VBZ":
                    counts["verb_3sg"][w] += 1
                elif t.xpos in ("VB", "VBP"):
                    counts["verb_base"][w] += 1
            elif t.upos == "DET" and t.form.lower() in ("the", "a", "this", "every", "some"):
                counts["det"][w] += 1
            elif t.upos == "PRON" and "PronType=Rel" in t.feats and w in ("that", "which", "who"):
                counts["rel"][w] += 1
    tag = {"noun": "NOUN", "nouns": "NOUN", "adj": "ADJ", "verb_3sg": "VERB", "verb_base": "VERB",
           "det": "DET", "rel": "PRON"}
    out = {}
    for key, c in counts.items():
        keep = 1 if key in ("verb_3sg", "det", "rel") else min_count
        out[key] = sorted(w for w, k in c.items() if k >= keep
                          and upos[w][tag[key]] >= share[key] * sum(upos[w].values()))
    # plural nouns (NNS) whose lemma is a transitive verb in EWT: the same spelling is that
    # verb's 3rd person singular ("records", "plants"); found from the annotations, no word list
    plural_lemma = {}
    for sent in sentences:
        for t in sent:
            w = t.form.lower()
            if t.upos == "NOUN" and t.xpos == "NNS" and _clean(w) and w.endswith("s"):
                plural_lemma[w] = t.lemma.lower()
    out["verb_3sg_noun_like"] = sorted(w for w, lemma in plural_lemma.items()
                                       if lemma in transitive and lemma != w)
    return out


def _np(rng: random.Random, lists: dict, start: int, plural: bool = False,
        adj: float = 0.4, det: float = 0.25) -> tuple[list[tuple], int]:
    """A noun phrase as rows (form, upos, head offset in the phrase or None, deprel)."""
    rows = []
    if rng.random() < det and not plural:
        rows.append([rng.choice(lists["det"]), "DET", "N", "det"])
    if rng.random() < adj:
        rows.append([rng.choice(lists["adj"]), "ADJ", "N", "amod"])
    rows.append([rng.choice(lists["nouns" if plural else "noun"]), "NOUN", None, None])
    noun = start + len(rows) - 1
    for r in rows[:-1]:
        r[2] = noun
    return rows, noun


def synthetic_sentence(rng: random.Random, lists: dict) -> list[Token]:
    """One synthetic sentence with gold UPOS tags and UD relations.

    Shapes: ``[det] [adj] noun verb [det] [adj] noun`` (a transitive clause),
    ``noun that [det] noun verb`` (object relative clause) and ``noun that verb [adj] noun``
    (subject relative clause), with or without a final full stop.
    """
    shape = rng.choice(("clause", "clause", "obj_rel", "obj_rel", "subj_rel", "subj_rel"))
    rows: list[list] = []

    def add_np(plural=False, adj=0.4, det=0.25):
        np_rows, head = _np(rng, lists, len(rows), plural, adj, det)
        rows.extend(np_rows)
        return head

    def verb(plural_subject: bool) -> str:
        base = plural_subject or rng.random() < 0.5
        return rng.choice(lists["verb_base" if base else "verb_3sg"])

    if shape == "clause":
        plural = rng.random() < 0.25
        subj = add_np(plural)
        v = len(rows)
        rows.append([verb(plural) if plural else rng.choice(lists["verb_3sg"]), "VERB", -1, "root"])
        obj = add_np(rng.random() < 0.2)
        rows[subj][2:] = [v, "nsubj"]
        rows[obj][2:] = [v, "obj"]
        root = v
    else:
        head = add_np(adj=0.15, det=0.1)
        root = head
        rows[head][2:] = [-1, "root"]
        rel = len(rows)
        rows.append([rng.choice(lists["rel"]) if rng.random() < 0.3 else "that", "PRON", None, None])
        if shape == "obj_rel":
            plural = rng.random() < 0.2
            subj = add_np(plural, adj=0.1, det=0.2)
            v = len(rows)
            rows.append([verb(plural), "VERB", head, "acl:relcl"])
            rows[rel][2:] = [v, "obj"]
            rows[subj][2:] = [v, "nsubj"]
        else:
            v = len(rows)
            rows.append([verb(False), "VERB", head, "acl:relcl"])
            obj = add_np(rng.random() < 0.2, adj=0.3, det=0.2)
            rows[rel][2:] = [v, "nsubj"]
            rows[obj][2:] = [v, "obj"]
    if rng.random() < 0.7:
        rows.append([".", "PUNCT", root, "punct"])
    return [Token(f, u, (h + 1) if h >= 0 else 0, d) for f, u, h, d in rows]


def noun_like_verb_sentence(rng: random.Random, lists: dict) -> list[Token]:
    """A synthetic sentence whose verb looks like a plural noun ("nurse checks records").

    Shapes: ``[adj] noun VERBs [adj] nouns`` (a clause with a singular subject and, mostly, a
    plural object), ``noun that VERBs [adj] nouns`` (subject relative) and ``nouns that noun
    VERBs`` (object relative), with ``VERBs`` from ``verb_3sg_noun_like``. Elsewhere the same
    words occur as plural nouns, so only the position tells them apart.
    """
    shape = rng.choice(("clause", "clause", "subj_rel", "obj_rel"))
    rows: list[list] = []

    def add_np(plural=False, adj=0.3, det=0.1):
        np_rows, head = _np(rng, lists, len(rows), plural, adj, det)
        rows.extend(np_rows)
        return head

    def noun_like(plural_object: bool):
        return rng.choice(lists["verb_3sg_noun_like"] if plural_object or rng.random() < 0.7
                          else lists["verb_3sg"])

    if shape == "clause":
        subj = add_np(False)
        v = len(rows)
        rows.append([noun_like(True), "VERB", -1, "root"])
        obj = add_np(rng.random() < 0.8)
        rows[subj][2:] = [v, "nsubj"]
        rows[obj][2:] = [v, "obj"]
        root = v
    else:
        head = add_np(plural=shape == "obj_rel", adj=0.15, det=0.05)
        root = head
        rows[head][2:] = [-1, "root"]
        rel = len(rows)
        rows.append([rng.choice(lists["rel"]) if rng.random() < 0.3 else "that", "PRON", None, None])
        if shape == "obj_rel":
            subj = add_np(False, adj=0.1, det=0.1)
            v = len(rows)
            rows.append([noun_like(True), "VERB", head, "acl:relcl"])
            rows[rel][2:] = [v, "obj"]
            rows[subj][2:] = [v, "nsubj"]
        else:
            v = len(rows)
            rows.append([noun_like(True), "VERB", head, "acl:relcl"])
            obj = add_np(rng.random() < 0.8, adj=0.3, det=0.1)
            rows[rel][2:] = [v, "nsubj"]
            rows[obj][2:] = [v, "obj"]
    if rng.random() < 0.7:
        rows.append([".", "PUNCT", root, "punct"])
    return [Token(f, u, (h + 1) if h >= 0 else 0, d) for f, u, h, d in rows]


def lowercase_copy(sent: list[Token]) -> list[Token]:
    """The sentence with every form lowercased (annotation unchanged)."""
    return [Token(t.form.lower(), t.upos, t.head, t.deprel, t.feats, t.xpos, t.lemma) for t in sent]


def to_docbin(sentences: list[list[Token]], path: Path, lang: str = "en") -> None:
    """Write sentences, one per Doc, as a spaCy ``DocBin`` (tag = UPOS)."""
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank(lang).vocab
    db = DocBin(store_user_data=False)
    for sent in sentences:
        heads = [(t.head - 1) if t.head > 0 else i for i, t in enumerate(sent)]
        deps = ["ROOT" if t.head == 0 else t.deprel for t in sent]
        doc = Doc(vocab, words=[t.form for t in sent], tags=[t.upos for t in sent],
                  heads=heads, deps=deps)
        db.add(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)


def build_corpus(data: Path, out: Path, seed: int = 0, n_synthetic: int = 8000,
                 n_lower: int = 3000, n_noun_like: int = 3000) -> dict:
    """Convert EWT and add the synthetic and lowercased sentences; returns counts."""
    rng = random.Random(seed)
    train = list(read_conllu(data / "en_ewt-ud-train.conllu"))
    dev = list(read_conllu(data / "en_ewt-ud-dev.conllu"))
    lists = word_lists(train)
    synthetic = [synthetic_sentence(rng, lists) for _ in range(n_synthetic)]
    lower = [lowercase_copy(s) for s in rng.sample(train, min(n_lower, len(train)))]
    # drawn after the others, so n_noun_like=0 rebuilds the earlier corpus exactly
    noun_like = [noun_like_verb_sentence(rng, lists) for _ in range(n_noun_like)]
    everything = train + synthetic + lower + noun_like
    rng.shuffle(everything)
    to_docbin(everything, out / "train.spacy")
    to_docbin(dev, out / "dev.spacy")
    return {"ewt_train": len(train), "synthetic": len(synthetic), "lowercased": len(lower),
            "noun_like_verb": len(noun_like),
            "dev": len(dev), **{f"words_{k}": len(v) for k, v in lists.items()}}


def train(out: Path, data: Path = DEFAULT_DATA, seed: int = 0, max_steps: int | None = None,
          config: Path = CONFIG) -> Path:
    """Build the corpus and train; returns the path of ``model-best``."""
    from spacy.cli.train import train as spacy_train

    corpus = out / "corpus"
    counts = build_corpus(data, corpus, seed=seed)
    print("corpus:", counts, flush=True)
    overrides = {"paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy"),
                 "system.seed": seed}
    if max_steps is not None:
        overrides["training.max_steps"] = max_steps
    t0 = time.perf_counter()
    spacy_train(config, out, use_gpu=-1, overrides=overrides)
    print(f"training took {time.perf_counter() - t0:.0f} s", flush=True)
    return out / "model-best"


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (arguments only; the work is in :func:`train`)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with en_ewt-ud-*.conllu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    ap.add_argument("--corpus-only", action="store_true", help="only write the .spacy files")
    args = ap.parse_args(argv)
    if args.corpus_only:
        print(build_corpus(args.data, args.out / "corpus", seed=args.seed))
        return
    print("model:", train(args.out, args.data, args.seed, args.max_steps))


if __name__ == "__main__":
    main()
