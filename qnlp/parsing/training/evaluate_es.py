"""Evaluate the Spanish parser: UD Spanish-GSD test scores and sentence types on Tatoeba.

Run ``python -m qnlp.parsing.training.evaluate_es`` (add ``--model-dir DIR`` for a freshly
trained ``model-best``, ``--json`` for machines). It reports

* UAS, LAS and UPOS accuracy on GSD **test** (427 sentences; gold tokenisation with
  multiword tokens merged into surface tokens, as the model sees them; punctuation counts;
  full labels);
* on the Spanish side of the bundled Tatoeba pairs (all 10,000 lines, and the train split of
  seed 0): how many sentences reduce to the sentence type ``s`` without fallback, the
  fallback count (syntax-free ``cups_reader``, as for English) and the output types.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

from qnlp.parsing.base import format_type
from qnlp.parsing.conllu import evaluate, read_conllu
from qnlp.parsing.training.train_parser_es import UD_ROOT, tatoeba_folder

GSD_TEST = UD_ROOT / "ud_spanish_gsd" / "es_gsd-ud-test.conllu"


def gsd_test_scores(nlp, path: Path = GSD_TEST) -> dict:
    """UAS, LAS, UPOS accuracy (percent) of a spaCy pipeline on GSD test (merged tokens)."""
    return evaluate(nlp, read_conllu(path, merge_multiword=True))


def tatoeba_spanish(split: str = "all", folder: Path | None = None, seed: str = "0") -> list[str]:
    """Spanish sentences of the bundled Tatoeba pairs: ``"all"`` lines or one split's."""
    folder = folder or tatoeba_folder()
    lines = (folder / "spa_first10000.txt").read_text(encoding="utf-8").splitlines()
    spanish = [line.split("\t")[1] for line in lines]
    if split == "all":
        return spanish
    idx = json.loads((folder / "splits" / "tatoeba.json").read_text())["seeds"][seed][split]
    return [spanish[i] for i in idx]


def sentence_type_share(parser, sentences: Sequence[str]) -> dict:
    """How many sentences reduce to ``s`` without the fallback.

    Returns
    -------
    dict
        ``total``, ``sentence_type`` (output ``s``, no fallback), ``share`` (their fraction),
        ``fallbacks``, ``rejected`` (ParseError), ``codomains`` (output type -> count) and
        ``examples_not_s`` (up to 20 sentences with another output type).
    """
    results = parser.parse(list(sentences), on_error="none")
    cods: Counter = Counter()
    good = fallbacks = rejected = 0
    others = []
    for sentence, r in zip(sentences, results):
        if r is None:
            rejected += 1
            continue
        cod = format_type(r.diagram.cod)
        cods[cod] += 1
        fallbacks += r.fallback
        if cod == "s" and not r.fallback:
            good += 1
        elif len(others) < 20:
            others.append(f"{sentence} -> {cod}" + (" [fallback]" if r.fallback else ""))
    return {"total": len(sentences), "sentence_type": good, "share": good / max(len(sentences), 1),
            "fallbacks": fallbacks, "rejected": rejected, "codomains": dict(cods.most_common()),
            "examples_not_s": others}


def run(model_dir: Path | None = None) -> dict:
    """All measurements with a fresh :class:`SpanishDependencyParser`; returns a dict."""
    from qnlp.parsing.spanish import SpanishDependencyParser

    parser = SpanishDependencyParser(model_dir=model_dir)
    t0 = time.perf_counter()
    out: dict = {"gsd_test": gsd_test_scores(parser.nlp)}
    for split in ("all", "train"):
        out[f"tatoeba_{split}"] = sentence_type_share(parser, tatoeba_spanish(split))
    out["seconds"] = time.perf_counter() - t0
    return out


def report(res: dict) -> str:
    """Human-readable summary of :func:`run`'s result."""
    g = res["gsd_test"]
    lines = [f"GSD test ({g['sentences']} sentences, {g['tokens']} tokens, gold tokenisation, "
             f"multiword tokens merged): UAS {g['uas']:.2f}  LAS {g['las']:.2f}  "
             f"UPOS acc {g['tag_acc']:.2f}"]
    for split in ("all", "train"):
        t = res[f"tatoeba_{split}"]
        lines.append(f"tatoeba {split}: {t['sentence_type']}/{t['total']} reduce to s without "
                     f"fallback ({100 * t['share']:.1f}%)  fallbacks {t['fallbacks']}  "
                     f"rejected {t['rejected']}  output types {t['codomains']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=None, help="spaCy model (default: shipped)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--examples", action="store_true", help="list sentences not typed s")
    args = ap.parse_args(argv)
    res = run(args.model_dir)
    if args.json:
        print(json.dumps(res, indent=2, ensure_ascii=False))
        return
    print(report(res))
    if args.examples:
        print("\n".join(res["tatoeba_all"]["examples_not_s"]))


if __name__ == "__main__":
    main()
