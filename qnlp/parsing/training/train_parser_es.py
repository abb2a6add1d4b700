"""Train the shipped Spanish tagger + dependency parser on UD Spanish-GSD dev and Spanish-PUD.

Run ``OMP_NUM_THREADS=1 python -m qnlp.parsing.training.train_parser_es --out DIR``. The script

1. reads UD Spanish-GSD **dev** (1,400 sentences) and UD Spanish-PUD (1,000), merging each
   multiword token (``del`` = ``de`` + ``el``, ``dámelo``) into one token as spaCy's Spanish
   tokenizer leaves it (:func:`qnlp.parsing.conllu.read_conllu` with ``merge_multiword``);
   no GSD train file exists here, and GSD **test** is never read (it is for evaluation only);
2. holds out ``--dev-share`` of those sentences (seeded) as spaCy's dev set for model selection;
3. adds synthetic, correctly annotated short sentences of the shapes Tatoeba is made of (clauses
   with and without a subject, pre-verbal clitics, negation, ``¿…?`` questions, copular clauses,
   infinitive complements, ``de`` phrases, relative clauses), built from the Spanish vocabulary
   of the Tatoeba **train** split (seed 0) classified by the UD training annotations, plus
   lowercased copies of UD sentences;
4. trains with ``parser_es.cfg`` (spaCy's "efficiency" preset, as for English) into
   ``DIR/model-best``.

The tagger predicts the universal POS tag (UPOS) in ``Token.tag_``. All randomness comes from
``--seed``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from qnlp.parsing.conllu import Token, read_conllu
from qnlp.parsing.training.train_parser import lowercase_copy, to_docbin

UD_ROOT = Path("/work/shared/datasets")
GSD_DEV = "ud_spanish_gsd/es_gsd-ud-dev.conllu"
PUD = "ud_spanish_pud/es_pud-ud-test.conllu"
CONFIG = Path(__file__).with_name("parser_es.cfg")

#: Closed classes (grammar, not vocabulary): subject pronouns and clitics by person/number.
SUBJECT_PRONOUNS = {"yo": "1S", "tú": "2S", "él": "3S", "ella": "3S", "usted": "3S",
                    "nosotros": "1P", "nosotras": "1P", "vosotros": "2P", "ellos": "3P",
                    "ellas": "3P", "ustedes": "3P"}
ACC_CLITICS = ("lo", "la", "los", "las", "me", "te", "nos")
DAT_CLITICS = ("le", "les", "me", "te", "nos")
COPULAS = {"ser": {"1S": "soy", "2S": "eres", "3S": "es", "1P": "somos", "2P": "sois", "3P": "son"},
           "estar": {"1S": "estoy", "2S": "estás", "3S": "está", "1P": "estamos",
                     "2P": "estáis", "3P": "están"}}
PREPOSITIONS = ("en", "con", "para", "sin", "desde")
_PRESENT = {"ar": ("o", "as", "a", "amos", "áis", "an"), "er": ("o", "es", "e", "emos", "éis", "en"),
            "ir": ("o", "es", "e", "imos", "ís", "en")}
_PRETERITE = {"ar": ("é", "aste", "ó", "amos", "asteis", "aron"),
              "er": ("í", "iste", "ió", "imos", "isteis", "ieron"),
              "ir": ("í", "iste", "ió", "imos", "isteis", "ieron")}
_PERSONS = ("1S", "2S", "3S", "1P", "2P", "3P")


def tatoeba_folder() -> Path:
    """The bundled Tatoeba English–Spanish folder (``qnlp.datasets``' data root)."""
    from qnlp.datasets.loaders import data_root

    return data_root() / "tatoeba_spa_eng"


def tatoeba_vocabulary(folder: Path | None = None, seed: str = "0") -> tuple[Counter, set[str]]:
    """Lower-cased word counts of the Spanish side of the Tatoeba train split, and its names.

    Names are words written with a capital letter that never start a sentence (``Tom``).
    """
    folder = folder or tatoeba_folder()
    lines = (folder / "spa_first10000.txt").read_text(encoding="utf-8").splitlines()
    train = json.loads((folder / "splits" / "tatoeba.json").read_text())["seeds"][seed]["train"]
    words: Counter = Counter()
    capital, lower = Counter(), set()
    for i in train:
        toks = re.findall(r"\w+", lines[i].split("\t")[1])
        for k, w in enumerate(toks):
            words[w.lower()] += 1
            if k > 0 and w[:1].isupper():
                capital[w] += 1
            elif w[:1].islower():
                lower.add(w)
    names = {w for w, c in capital.items() if c >= 2 and w.lower() not in lower and w.isalpha()}
    return words, names


def _feat(feats: str, key: str) -> str:
    for part in feats.split("|"):
        if part.startswith(key + "="):
            return part.split("=", 1)[1]
    return ""


def _plain(word: str) -> str:
    """The word without Spanish accents (``aquél`` -> ``aquel``)."""
    return word.translate(str.maketrans("áéíóú", "aeiou"))


def _person(feats: str) -> str:
    p, n = _feat(feats, "Person"), _feat(feats, "Number")
    return f"{p}{'S' if n == 'Sing' else 'P'}" if p and n else ""


def _conjugate(lemma: str) -> dict[str, list[str]]:
    """Regular present and preterite forms of an infinitive, by person (irregular ones are wrong,
    which is why only forms that also occur in Tatoeba are kept)."""
    ending = lemma[-2:]
    if ending not in _PRESENT or len(lemma) < 4:
        return {}
    stem = lemma[:-2]
    return {p: [stem + _PRESENT[ending][k], stem + _PRETERITE[ending][k]]
            for k, p in enumerate(_PERSONS)}


def word_lists(sentences: list[list[Token]], vocab: Counter, names: set[str]) -> dict:
    """Word classes for the synthetic sentences: Tatoeba words classified by UD annotations.

    Returns
    -------
    dict
        ``noun`` ((form, gender, number) triples), ``adj`` (form -> set of gender+number),
        ``verb`` (person -> transitive finite forms), ``verb_intr`` (person -> other finite
        forms), ``inf`` (transitive infinitives), ``modal`` (person -> finite forms of verbs
        seen with an infinitive ``xcomp``), ``det`` ((form, gender, number)), ``name``.
        Every open-class word occurs in the Tatoeba train vocabulary; a form must have the class
        in at least half of its UD occurrences.
    """
    upos: dict[str, Counter] = defaultdict(Counter)
    feats: dict[tuple[str, str], Counter] = defaultdict(Counter)
    transitive, modal_count = set(), Counter()
    verb_lemmas: Counter = Counter()
    lemma_of: dict[str, str] = {}
    for sent in sentences:
        for i, t in enumerate(sent, start=1):
            w = t.form.lower()
            upos[w][t.upos] += 1
            feats[(w, t.upos)][t.feats] += 1
            if t.upos == "VERB" and t.lemma.isalpha():
                verb_lemmas[t.lemma.lower()] += 1
                lemma_of[w] = t.lemma.lower()
            if t.deprel == "obj" and t.head and sent[t.head - 1].upos == "VERB":
                transitive.add(sent[t.head - 1].lemma.lower())
            if (t.deprel == "xcomp" and t.upos == "VERB" and "VerbForm=Inf" in t.feats and t.head
                    and sent[t.head - 1].upos == "VERB"):
                modal_count[sent[t.head - 1].lemma.lower()] += 1

    def major(w: str, tag: str) -> bool:
        return upos[w][tag] * 2 >= sum(upos[w].values()) > 0

    modal_lemmas = {lemma for lemma, c in modal_count.items() if c >= 3}
    out: dict = {"noun": set(), "adj": defaultdict(set), "verb": defaultdict(set),
                 "verb_intr": defaultdict(set), "inf": set(), "modal": defaultdict(set),
                 "det": set(), "name": sorted(names), "imperative": set()}
    for (w, tag), fc in feats.items():
        if w not in vocab or not w.isalpha() or not major(w, tag):
            continue
        f = fc.most_common(1)[0][0]
        g, n = _feat(f, "Gender")[:1] or "M", _feat(f, "Number")[:1] or "S"
        if tag == "NOUN":
            out["noun"].add((w, g, n))
        elif tag == "ADJ" and "VerbForm" not in f:
            out["adj"][w].add(g + n)
        elif (tag == "DET" and _feat(f, "PronType") in ("Art", "Dem", "Prs") and len(w) <= 8
              and not w.endswith("o") and w == _plain(w)):
            out["det"].add((w, g, n))
        elif tag == "VERB" and "VerbForm=Inf" in f:
            if w in transitive:
                out["inf"].add(w)
    # finite verb forms: UD forms plus regular conjugations of UD lemmas, kept if Tatoeba has them
    for lemma in verb_lemmas:
        key = "verb" if lemma in transitive else "verb_intr"
        for person, forms in _conjugate(lemma).items():
            for form in forms:
                if form in vocab and (not upos[form] or major(form, "VERB")):
                    out[key][person].add(form)
                    if lemma in modal_lemmas:
                        out["modal"][person].add(form)
    for (w, tag), fc in feats.items():
        person = _person(fc.most_common(1)[0][0])
        mood = _feat(fc.most_common(1)[0][0], "Mood")
        if (tag == "VERB" and person and mood in ("Ind", "Imp") and w in vocab and w.isalpha()
                and major(w, "VERB")):
            out["verb"][person].add(w)
            if lemma_of.get(w) in modal_lemmas:
                out["modal"][person].add(w)
    # imperatives: regular 2nd person singular (= 3rd person present), alone or with enclitics
    # (deja + me = déjame, hacer + lo = hacerlo), kept if Tatoeba has them (accents ignored)
    plain_vocab = {_plain(w): w for w in vocab}
    for lemma in verb_lemmas:
        forms = _conjugate(lemma)
        if not forms:
            continue
        for stem in (forms["3S"][0], lemma):
            for clitics in ("", "me", "te", "lo", "la", "nos", "le", "les", "los", "las",
                            "melo", "mela", "selo", "sela"):
                w = plain_vocab.get(_plain(stem + clitics))
                if w and (stem != lemma or clitics) and (not upos[w] or major(w, "VERB")):
                    out["imperative"].add(w)
    # plural and singular nouns that Tatoeba has and UD does not (gatos from gato)
    for w, g, n in list(out["noun"]):
        other = (w + ("s" if w[-1] in "aeiou" else "es")) if n == "S" else None
        if other and other in vocab and not upos[other]:
            out["noun"].add((other, g, "P"))
    return {k: (sorted(v) if isinstance(v, set) else
                {kk: sorted(vv) for kk, vv in v.items()} if isinstance(v, defaultdict) else v)
            for k, v in out.items()}


class _Sentence:
    """Rows (form, upos, head index or None, deprel) of a synthetic sentence under construction."""

    def __init__(self):
        self.rows: list[list] = []

    def add(self, form, upos, head=None, dep=None) -> int:
        self.rows.append([form, upos, head, dep])
        return len(self.rows) - 1

    def attach(self, i, head, dep):
        self.rows[i][2:] = [head, dep]

    def tokens(self, capitalise: bool) -> list[Token]:
        rows = [list(r) for r in self.rows]
        first = next((r for r in rows if r[1] != "PUNCT"), None)
        if capitalise and first is not None and first[1] != "PROPN":
            first[0] = first[0][:1].upper() + first[0][1:]
        return [Token(f, u, (h + 1) if h is not None and h >= 0 else 0, d if h is not None
                      and h >= 0 else "root") for f, u, h, d in rows]


def _agree(rng, lists, gender, number):
    adjs = [a for a, gn in lists["adj"].items() if gender + number in gn]
    return rng.choice(adjs) if adjs else None


def _np(s: _Sentence, rng: random.Random, lists: dict, de: float = 0.12,
        name: float = 0.15) -> tuple[int, str]:
    """Add a noun phrase; returns its head index and person (``3S``/``3P``)."""
    if rng.random() < name and lists["name"]:
        return s.add(rng.choice(lists["name"]), "PROPN"), "3S"
    noun, g, n = rng.choice(lists["noun"])
    dets = [d for d, dg, dn in lists["det"] if dg == g and dn == n]
    det = s.add(rng.choice(dets), "DET") if dets and rng.random() < 0.85 else None
    head = s.add(noun, "NOUN")
    if det is not None:
        s.attach(det, head, "det")
    if rng.random() < 0.3:
        adj = _agree(rng, lists, g, n)
        if adj:
            s.add(adj, "ADJ", head, "amod")
    if rng.random() < de:
        case = s.add("de", "ADP")
        inner, _ = _np(s, rng, lists, de=0.0)
        s.attach(case, inner, "case")
        s.attach(inner, head, "nmod")
    return head, "3" + n


def _object_np(s: _Sentence, rng: random.Random, lists: dict) -> int:
    """A direct object: a noun phrase, or a name with the personal ``a`` (``a Tom``)."""
    if rng.random() < 0.15 and lists["name"]:
        case = s.add("a", "ADP")
        head = s.add(rng.choice(lists["name"]), "PROPN")
        s.attach(case, head, "case")
        return head
    return _np(s, rng, lists, name=0.0)[0]


def _subject(s, rng, lists) -> tuple[int | None, str]:
    r = rng.random()
    if r < 0.45:  # pro-drop
        return None, rng.choice(_PERSONS)
    if r < 0.6:
        pron, person = rng.choice(sorted(SUBJECT_PRONOUNS.items()))
        return s.add(pron, "PRON"), person
    return _np(s, rng, lists)


def synthetic_sentence(rng: random.Random, lists: dict) -> list[Token]:
    """One synthetic sentence with gold UPOS tags and UD relations (GSD conventions)."""
    s = _Sentence()
    question = rng.random() < 0.25
    if question:
        q = s.add("¿", "PUNCT")
    shape = rng.choice(("clause", "clause", "clause", "copula", "modal", "relative", "imperative"))
    if shape == "imperative":  # [¡] V [obj] [!]: a verb alone is a clause (pro-drop)
        root = s.add(rng.choice(lists["imperative"]), "VERB")
        if rng.random() < 0.4:
            s.attach(_object_np(s, rng, lists), root, "obj")
        if not question and rng.random() < 0.5:
            s.rows.insert(0, ["¡", "PUNCT", None, None])
            for r in s.rows:
                if r[2] is not None:
                    r[2] += 1
            root += 1
            s.attach(0, root, "punct")
            s.add("!", "PUNCT", root, "punct")
    elif shape == "relative":
        root, _ = _np(s, rng, lists, de=0.0)
        que = s.add(rng.choice(("que", "que", "que", "quien")), "PRON")
        if rng.random() < 0.5:  # subject relative: N que V N
            v = s.add(rng.choice(lists["verb"]["3S"]), "VERB", root, "acl:relcl")
            obj, _ = _np(s, rng, lists, de=0.0)
            s.attach(que, v, "nsubj")
            s.attach(obj, v, "obj")
        else:  # object relative: N que N V
            subj, person = _np(s, rng, lists, de=0.0)
            v = s.add(rng.choice(lists["verb"].get(person) or lists["verb"]["3S"]), "VERB", root, "acl:relcl")
            s.attach(que, v, "obj")
            s.attach(subj, v, "nsubj")
    else:
        subj, person = _subject(s, rng, lists)
        neg = s.add("no", "ADV") if rng.random() < 0.2 else None
        clitic = None
        if shape == "clause" and rng.random() < 0.3:
            acc = rng.random() < 0.6
            clitic = s.add(rng.choice(ACC_CLITICS if acc else DAT_CLITICS), "PRON")
            clitic_dep = "obj" if acc else "obl:arg"
        if shape == "copula":
            cop = s.add(COPULAS[rng.choice(("ser", "estar"))][person], "AUX")
            g, n = rng.choice("MF"), "S" if person.endswith("S") else "P"
            adj = _agree(rng, lists, g, n) or "bueno"
            root = s.add(adj, "ADJ")
            s.attach(cop, root, "cop")
        elif shape == "modal" and lists["modal"].get(person) and lists["inf"]:
            root = s.add(rng.choice(lists["modal"][person]), "VERB")
            inf = s.add(rng.choice(lists["inf"]), "VERB", root, "xcomp")
            if rng.random() < 0.7:
                s.attach(_object_np(s, rng, lists), inf, "obj")
        elif clitic is None and rng.random() < 0.25 and lists["verb_intr"].get(person):
            root = s.add(rng.choice(lists["verb_intr"][person]), "VERB")
        else:
            forms = lists["verb"].get(person) or lists["verb"]["3S"]
            root = s.add(rng.choice(forms), "VERB")
            if clitic is None or clitic_dep == "obl:arg":
                if rng.random() < 0.85:
                    obj = _object_np(s, rng, lists)
                    s.attach(obj, root, "obj")
            if rng.random() < 0.1:
                case = s.add(rng.choice(PREPOSITIONS), "ADP")
                obl, _ = _np(s, rng, lists, de=0.0)
                s.attach(case, obl, "case")
                s.attach(obl, root, "obl")
        if subj is not None:
            s.attach(subj, root, "nsubj")
        if neg is not None:
            s.attach(neg, root, "advmod")
        if clitic is not None:
            s.attach(clitic, root, clitic_dep)
    s.rows[root][2:] = [-1, "root"]
    if question:
        s.attach(q, root, "punct")
        s.add("?", "PUNCT", root, "punct")
    elif rng.random() < 0.8 and s.rows[-1][0] != "!":
        s.add(".", "PUNCT", root, "punct")
    return s.tokens(capitalise=rng.random() < 0.7)


def load_ud(root: Path = UD_ROOT) -> list[list[Token]]:
    """GSD dev and PUD sentences with multiword tokens merged (never GSD test)."""
    return list(read_conllu(root / GSD_DEV, merge_multiword=True)) + list(
        read_conllu(root / PUD, merge_multiword=True))


def build_corpus(out: Path, root: Path = UD_ROOT, seed: int = 0, dev_share: float = 0.1,
                 n_synthetic: int = 4000, n_lower: int = 600, ud_copies: int = 2) -> dict:
    """Write ``train.spacy`` and ``dev.spacy`` under ``out``; returns counts."""
    rng = random.Random(seed)
    ud = load_ud(root)
    rng.shuffle(ud)
    n_dev = int(round(dev_share * len(ud)))
    dev, train = ud[:n_dev], ud[n_dev:]
    vocab, names = tatoeba_vocabulary()
    lists = word_lists(train, vocab, names)
    synthetic = [synthetic_sentence(rng, lists) for _ in range(n_synthetic)]
    lower = [lowercase_copy(s) for s in rng.sample(train, min(n_lower, len(train)))]
    everything = train * ud_copies + synthetic + lower
    rng.shuffle(everything)
    to_docbin(everything, out / "train.spacy", lang="es")
    to_docbin(dev, out / "dev.spacy", lang="es")
    counts = {"ud_train": len(train), "ud_copies": ud_copies, "ud_dev": len(dev),
              "synthetic": len(synthetic), "lowercased": len(lower)}
    counts.update({f"words_{k}": (sum(len(x) for x in v.values()) if isinstance(v, dict) else len(v))
                   for k, v in lists.items()})
    return counts


def train(out: Path, root: Path = UD_ROOT, seed: int = 0, max_steps: int | None = None,
          config: Path = CONFIG) -> Path:
    """Build the corpus and train; returns the path of ``model-best``."""
    from spacy.cli.train import train as spacy_train

    corpus = out / "corpus"
    print("corpus:", build_corpus(corpus, root, seed=seed), flush=True)
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
    ap.add_argument("--data", type=Path, default=UD_ROOT,
                    help="folder holding ud_spanish_gsd/ and ud_spanish_pud/")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=None, help="override training.max_steps")
    ap.add_argument("--corpus-only", action="store_true", help="only write the .spacy files")
    args = ap.parse_args(argv)
    if args.corpus_only:
        print(build_corpus(args.out / "corpus", args.data, seed=args.seed))
        return
    print("model:", train(args.out, args.data, args.seed, args.max_steps))


if __name__ == "__main__":
    main()
