"""English -> Spanish translation benchmark (issue 14): models side by side, one table.

::

    python -m qnlp.bench.translation_bench --models quantum classical transformer lexicon retrieval \\
        --seeds 0 1 2 --out runs/translation
    python -m qnlp.bench.translation_bench --models quantum --seeds 0 --out runs/translation \\
        --shots 8192 --shot-sentences 50

Neural models are selected on the dev split (chrF every ``eval_every`` epochs, best epoch kept)
and scored once on the test split: corpus BLEU and chrF with all Spanish references of each
English sentence, and exact match. Each run's result is a JSON file in ``--out``; a run whose
file exists is not repeated (resumable). ``--shots N`` decodes test sentences with every attention
quantity estimated through pytket on ``--backend`` and reports the fraction of output tokens
equal to exact decoding and the seconds per sentence.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from qnlp.errors import ConfigError, DatasetError

NEURAL = ("quantum", "classical", "transformer")
MODELS = NEURAL + ("lexicon", "retrieval")
#: settings of each neural model over the estimator's defaults (chosen on dev:
#: docs/translation.md (part 2)); the classical twin has the quantum model's defaults
SETTINGS = {
    "quantum": {"attention": "quantum"},
    "classical": {"attention": "classical"},
    "transformer": {"attention": "transformer", "epochs": 30, "learning_rate": 0.0005, "eval_every": 5},
}


def load_parallel(name: str):
    """A bundled translation dataset, or a TSV file of ``English<TAB>Spanish`` pairs
    (returned as ``(english, spanish)`` lists)."""
    from qnlp.datasets import available, load

    if name in available():
        ds = load(name)
        if ds.task != "translation":
            raise DatasetError(f"dataset {name!r} is a {ds.task} dataset, not a translation dataset (tatoeba)")
        return ds
    path = Path(name)
    if not path.is_file():
        raise DatasetError(f"no dataset {name!r}: not a bundled dataset ({', '.join(available())}) nor a file")
    english, spanish = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason})") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise DatasetError(f"{path}:{lineno}: expected 'English<TAB>Spanish'")
        english.append(parts[0].strip())
        spanish.append(parts[1].strip())
    if not english:
        raise DatasetError(f"{path}: no sentence pairs")
    return english, spanish


def model_settings(name: str, overrides: dict | None = None) -> dict:
    """The benchmark settings of a neural model, then ``overrides``."""
    if name not in NEURAL:
        raise ConfigError(f"unknown model {name!r}; valid: {', '.join(NEURAL)}")
    return {**SETTINGS[name], **(overrides or {})}


def train_translator(dataset, *, seed: int, settings: dict, out=None, progress: bool = False) -> dict:
    """Train one :class:`~qnlp.estimators.seq2seq.Seq2SeqTranslator` on ``dataset`` (selected on
    dev), score it on test, save it to ``out`` (with the training curve) when given."""
    from qnlp.estimators.seq2seq import Seq2SeqTranslator
    from qnlp.models.seq2seq.metrics import group_references

    valid = Seq2SeqTranslator().get_params()
    unknown = sorted(set(settings) - set(valid))
    if unknown:
        raise ConfigError(f"unknown seq2seq setting {unknown[0]!r}; valid: {', '.join(sorted(valid))}")
    model = Seq2SeqTranslator(**{**settings, "random_state": seed, "progress": progress})
    dev = group_references(dataset.dev.texts, dataset.dev.labels) if dataset.dev is not None else None
    model.fit(dataset.train.texts, dataset.train.labels, eval_set=dev)
    test_en, test_refs = group_references(dataset.test.texts, dataset.test.labels)
    t0 = time.perf_counter()
    scores = model.evaluate(test_en, test_refs)
    info = model.describe()
    result = {"model": model.attention if model.attention != "transformer" else "transformer",
              "dataset": dataset.name, "seed": seed, **scores, "decode_seconds": time.perf_counter() - t0,
              "dev_chrf": max((r.validation_score for r in model.history_ if r.validation_score is not None),
                              default=None),
              "best_epoch": _best_epoch(model.history_), "epochs": int(model.epochs),
              "n_parameters": info["n_parameters"], "n_qubits_max": info["n_qubits_max"],
              "train_seconds": info["train_seconds"], "train_cpu_seconds": info["train_cpu_seconds"],
              "n_train": len(dataset.train),
              "settings": {k: v for k, v in model.get_params().items() if k not in ("progress", "random_state")}}
    if out is not None:
        model.save(out)
        result["model_dir"] = str(out)
    return result


def _best_epoch(history) -> int | None:
    scored = [r for r in history if r.validation_score is not None]
    return max(scored, key=lambda r: r.validation_score).epoch if scored else None


def run_baseline(name: str, dataset) -> dict:
    """The lexicon or retrieval baseline on ``dataset``'s test split."""
    from qnlp.models.seq2seq.baselines import LexiconTranslator, RetrievalTranslator
    from qnlp.models.seq2seq.metrics import group_references, translation_scores

    cls = {"lexicon": LexiconTranslator, "retrieval": RetrievalTranslator}[name]
    t0 = time.perf_counter()
    model = cls().fit(dataset.train.texts, dataset.train.labels)
    seconds = time.perf_counter() - t0
    test_en, test_refs = group_references(dataset.test.texts, dataset.test.labels)
    n_params = len(model.lexicon_) if name == "lexicon" else int(model.matrix_.nnz)
    return {"model": name, "dataset": dataset.name, "seed": 0,
            **translation_scores(model.translate(test_en), test_refs),
            "n_parameters": n_params, "n_qubits_max": 0, "train_seconds": seconds}


def shots_agreement(model, sentences, *, backend: str = "aer", shots: int = 8192, seed: int = 0,
                    log=None) -> dict:
    """Decode ``sentences`` exactly and with every attention quantity estimated on ``backend``.

    Returns the fraction of output tokens (position by position, over the longer of the two
    outputs, ``</s>`` included) equal to exact (greedy) decoding, the fraction of identical
    sentences, seconds per sentence and the circuits run. ``log(line)`` gets a line per sentence.
    """
    from qnlp.models.attention.evaluators import BackendEvaluator

    exact = model.translate(sentences, beam=1, return_tokens=True)
    evaluator = BackendEvaluator(backend, shots=shots, seed=seed)
    t0 = time.perf_counter()
    same = total = 0
    estimated = []
    for i, (sentence, a) in enumerate(zip(sentences, exact)):
        b = model.translate([sentence], beam=1, evaluator=evaluator, return_tokens=True)[0]
        estimated.append(b)
        a, b = a + ["</s>"], b + ["</s>"]
        total += max(len(a), len(b))
        same += sum(x == y for x, y in zip(a, b))
        if log is not None:
            log(f"{i + 1}/{len(sentences)} {time.perf_counter() - t0:.0f} s, agreement {same / total:.3f}: "
                f"{sentence!r} -> {' '.join(estimated[-1])!r}")
    seconds = time.perf_counter() - t0
    return {"backend": backend, "shots": shots, "n_sentences": len(sentences),
            "tokens_equal": same, "tokens_compared": total, "token_agreement": same / max(total, 1),
            "sentence_agreement": float(np.mean([a == b for a, b in zip(exact, estimated)])),
            "seconds_per_sentence": seconds / max(len(sentences), 1),
            "circuits": evaluator.report.n_circuits, "unique_circuits": evaluator.report.n_unique}


def summarise(results: list[dict]) -> list[dict]:
    """One row per model: mean and sd over seeds of every metric."""
    rows = []
    for name in dict.fromkeys(r["model"] for r in results):
        runs = [r for r in results if r["model"] == name]
        row = {"model": name, "n_seeds": len(runs)}
        for key in ("bleu", "chrf", "exact_match", "train_seconds", "n_parameters", "n_qubits_max"):
            vals = np.asarray([r[key] for r in runs], dtype=float)
            row[key] = float(vals.mean())
            row[key + "_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown table of :func:`summarise` rows."""
    lines = ["| model | BLEU | chrF | exact match % | seeds | parameters | qubits/token | train s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pm = lambda k, f=1: f"{r[k]:.{f}f} ± {r[k + '_sd']:.{f}f}" if r["n_seeds"] > 1 else f"{r[k]:.{f}f}"  # noqa: E731
        lines.append(f"| {r['model']} | {pm('bleu')} | {pm('chrf')} | "
                     f"{100 * r['exact_match']:.1f}" + (f" ± {100 * r['exact_match_sd']:.1f}" if r["n_seeds"] > 1 else "")
                     + f" | {r['n_seeds']} | {int(r['n_parameters'])} | {int(r['n_qubits_max']) or '-'} | "
                     f"{r['train_seconds']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    from qnlp.utils import parse_key_values

    parser = argparse.ArgumentParser(prog="python -m qnlp.bench.translation_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="tatoeba")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--set", dest="settings", action="append", default=[], help="KEY=VALUE for neural models")
    parser.add_argument("--out", required=True)
    parser.add_argument("--shots", type=int, default=None)
    parser.add_argument("--shot-sentences", type=int, default=50)
    parser.add_argument("--shot-offset", type=int, default=0,
                        help="first test sentence of the shot run (to split it over processes)")
    parser.add_argument("--backend", default="aer")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_parallel(args.dataset)
    overrides = parse_key_values(args.settings)
    results = []
    for name in args.models:
        for seed in (args.seeds if name in NEURAL else [0]):
            path = out / f"{name}-seed{seed}.json"
            if path.exists():
                results.append(json.loads(path.read_text()))
                continue
            if name in NEURAL:
                result = train_translator(dataset, seed=seed, settings=model_settings(name, overrides),
                                          out=out / f"{name}-seed{seed}", progress=args.progress)
            else:
                result = run_baseline(name, dataset)
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"{name} seed {seed}: BLEU {result['bleu']:.1f} chrF {result['chrf']:.1f} "
                  f"exact {100 * result['exact_match']:.1f}%", file=sys.stderr, flush=True)
            results.append(result)
    print(table(summarise(results)))
    if args.shots:
        from qnlp.estimators.seq2seq import Seq2SeqTranslator
        from qnlp.models.seq2seq.metrics import group_references

        folder = out / f"quantum-seed{args.seeds[0]}"
        model = Seq2SeqTranslator.load(folder)
        test_en, _ = group_references(dataset.test.texts, dataset.test.labels)
        first = args.shot_offset
        report = shots_agreement(model, test_en[first:first + args.shot_sentences], backend=args.backend,
                                 shots=args.shots, log=lambda line: print(line, file=sys.stderr, flush=True))
        report["first_sentence"] = first
        (out / f"shots-{args.backend}-{args.shots}-from{first}.json").write_text(json.dumps(report, indent=2) + "\n")
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
