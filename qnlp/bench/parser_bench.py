"""Benchmark of the default dependency parser (``dep.v1``).

Run ``python -m qnlp.bench.parser_bench`` (``--json`` for machines). It prints

* UAS, LAS and UPOS accuracy of the shipped spaCy model on UD English EWT test (gold tokens);
* the fraction of lambeq's MC and RP sentences whose every word gets lambeq's own type;
* parsing throughput (sentences/s, diagrams included) on SST-2 dev;
* fallback counts over every bundled dataset's sentences (none may crash);
* model size on disk and load time.

The MC/RP reference types are derived from the datasets' shapes, not from a word list: MC
sentences are ``[adj] noun verb [adj] noun``, and the verbs are the middle words of its
three-word sentences; RP label ``1`` is an object relative clause (``noun that noun verb``)
and label ``0`` a subject one (``noun that verb noun``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

N, ADJ, TV = "n", "n·n.l", "n.r·s·n.l"
SUBJ_REL, OBJ_REL = "n.r·n·s.l·n", "n.r·n·n.l.l·s.l"
#: EWT test file shipped with the tests (CC BY-SA 4.0), used when no path is given.
EWT_TEST = Path(__file__).resolve().parents[2] / "tests" / "data" / "en_ewt-ud-test.conllu"
SHARED_EWT_TEST = Path("/work/shared/datasets/ud_english_ewt/en_ewt-ud-test.conllu")


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def lambeq_items(name: str) -> list[tuple[str, str]]:
    """``(label, sentence)`` pairs of a lambeq file, e.g. ``"mc_train"`` or ``"rp_test"``."""
    from qnlp.datasets.loaders import data_root

    out = []
    for line in _lines(data_root() / "lambeq" / f"{name}_data.txt"):
        label, text = line.split(maxsplit=1)
        out.append((label, text.strip()))
    return out


def tab_sentences(path: Path) -> list[str]:
    """Sentences of a ``sentence<TAB>label`` file (split on ``\\n`` only)."""
    return [line.rstrip("\n").rsplit("\t", 1)[0] for line in _lines(path)]


def mc_reference(items: list[tuple[str, str]]) -> list[list[str]]:
    """lambeq's types for MC sentences (see the module docstring); the final ``.`` is dropped."""
    every = [t for split in ("train", "dev", "test") for _, t in lambeq_items(f"mc_{split}")]
    verbs = {t.split()[1] for t in every if len(t.split()) == 4}
    gold = []
    for _, text in items:
        words = [w for w in text.split() if w != "."]
        v = next(i for i, w in enumerate(words) if w in verbs)
        gold.append([ADJ] * (v - 1) + [N, TV] + [ADJ] * (len(words) - v - 2) + [N])
    return gold


def rp_reference(items: list[tuple[str, str]]) -> list[list[str]]:
    """lambeq's types for RP noun phrases: label 1 object relative, label 0 subject relative."""
    return [[N, OBJ_REL, N, TV] if label == "1" else [N, SUBJ_REL, TV, N] for label, _ in items]


def exact_types(parser, name: str) -> dict:
    """How many sentences of a lambeq file get exactly lambeq's types, and their output types.

    Returns
    -------
    dict
        ``exact``, ``total``, ``fraction``, ``codomains`` (output type -> count), ``fallbacks``
        and ``misses`` (sentence, types) for the sentences that differ.
    """
    from qnlp.parsing.base import format_type

    items = lambeq_items(name)
    gold = (mc_reference if name.startswith("mc") else rp_reference)(items)
    results = parser.parse([t for _, t in items])
    exact, cods, misses, fallbacks = 0, {}, [], 0
    for (_, text), ref, res in zip(items, gold, results):
        cod = format_type(res.diagram.cod)
        cods[cod] = cods.get(cod, 0) + 1
        fallbacks += res.fallback
        if res.types == ref:
            exact += 1
        else:
            misses.append((text, res.types))
    return {"exact": exact, "total": len(items), "fraction": exact / len(items),
            "codomains": cods, "fallbacks": fallbacks, "misses": misses}


def bundled_sentences() -> dict[str, list[str]]:
    """Every bundled dataset's sentences that the parser benchmark covers."""
    from qnlp.datasets.loaders import data_root

    root = data_root()
    out = {}
    for task in ("mc", "rp"):
        out[task] = [t for split in ("train", "dev", "test")
                     if (root / "lambeq" / f"{task}_{split}_data.txt").is_file()
                     for _, t in lambeq_items(f"{task}_{split}")]
    out["sst2_dev"] = tab_sentences(root / "sst2" / "sentiment-dev")
    for name in ("yelp", "imdb"):
        out[f"uci_{name}"] = tab_sentences(root / "uci_sentiment" / f"{name}_labelled.txt")
    return out


def fallback_counts(parser, sentences: dict[str, list[str]]) -> dict:
    """Per dataset: sentences, parsed, fallbacks, rejected (ParseError: empty or too long), and
    diagrams that contain swaps (non-planar) or have more than one output wire."""
    from lambeq.backend.grammar import Swap

    out = {}
    for name, texts in sentences.items():
        results = parser.parse(texts, on_error="none")
        ok = [r for r in results if r is not None]
        out[name] = {"sentences": len(texts), "parsed": len(ok),
                     "fallbacks": sum(r.fallback for r in ok), "rejected": len(texts) - len(ok),
                     "with_swaps": sum(any(isinstance(b, Swap) for b in r.diagram.boxes) for r in ok),
                     "multi_wire": sum(len(r.diagram.cod) != 1 for r in ok)}
    return out


def throughput(parser, texts: list[str]) -> dict:
    """Sentences per second of ``parser.parse`` (spaCy + pregroup tree + lambeq diagram)."""
    t0 = time.perf_counter()
    results = parser.parse(texts, on_error="none")
    dt = time.perf_counter() - t0
    n = sum(r is not None for r in results)
    return {"sentences": n, "seconds": dt, "sentences_per_s": n / dt}


def model_stats(model_dir: Path) -> dict:
    """Size on disk (MB) and ``spacy.load`` time (s) of a model folder."""
    import spacy

    size = sum(p.stat().st_size for p in model_dir.rglob("*") if p.is_file())
    t0 = time.perf_counter()
    spacy.load(model_dir)
    return {"size_mb": size / 1e6, "load_s": time.perf_counter() - t0}


def run(ewt_test: Path | None = None, model_dir: Path | None = None) -> dict:
    """Run every measurement with a fresh :class:`DependencyParser`; returns a dict."""
    from qnlp.parsing.conllu import evaluate, read_conllu
    from qnlp.parsing.dependency import MODEL_DIR, DependencyParser

    out: dict = {"model": model_stats(model_dir or MODEL_DIR)}
    parser = DependencyParser(model_dir=model_dir)
    path = ewt_test or (EWT_TEST if EWT_TEST.is_file() else SHARED_EWT_TEST)
    if not Path(path).is_file():
        from qnlp.errors import DatasetError

        raise DatasetError(f"EWT test file not found at {str(path)!r}; pass --ewt-test PATH")
    out["ewt_test"] = evaluate(parser.nlp, read_conllu(path))
    out["exact_types"] = {name: {k: v for k, v in exact_types(parser, name).items() if k != "misses"}
                          for name in ("mc_train", "mc_dev", "mc_test", "rp_train", "rp_test")}
    sentences = bundled_sentences()
    parser.parse(sentences["sst2_dev"][:50])  # warm up
    out["throughput_sst2_dev"] = throughput(parser, sentences["sst2_dev"])
    out["fallbacks"] = fallback_counts(parser, sentences)
    return out


def report(res: dict) -> str:
    """Human-readable summary of :func:`run`'s result."""
    e = res["ewt_test"]
    lines = [f"model: {res['model']['size_mb']:.1f} MB, spacy.load {res['model']['load_s']:.2f} s",
             f"EWT test ({e['sentences']} sentences, {e['tokens']} tokens, gold tokenisation): "
             f"UAS {e['uas']:.2f}  LAS {e['las']:.2f}  UPOS acc {e['tag_acc']:.2f}"]
    for name, r in res["exact_types"].items():
        lines.append(f"{name}: lambeq types exact {r['exact']}/{r['total']} ({100 * r['fraction']:.1f}%)"
                     f"  output types {r['codomains']}  fallbacks {r['fallbacks']}")
    t = res["throughput_sst2_dev"]
    lines.append(f"throughput SST-2 dev: {t['sentences']} sentences in {t['seconds']:.2f} s = "
                 f"{t['sentences_per_s']:.0f} sentences/s (diagrams included)")
    for name, f in res["fallbacks"].items():
        lines.append(f"{name}: {f['sentences']} sentences, {f['parsed']} parsed, "
                     f"{f['fallbacks']} fallbacks, {f['rejected']} rejected (ParseError), "
                     f"{f['with_swaps']} with swaps, {f['multi_wire']} with >1 output wire")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description="Benchmark the default dependency parser.")
    ap.add_argument("--ewt-test", type=Path, default=None, help="EWT test .conllu file")
    ap.add_argument("--model-dir", type=Path, default=None, help="spaCy model (default: shipped)")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)
    res = run(args.ewt_test, args.model_dir)
    print(json.dumps(res, indent=2) if args.json else report(res))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
