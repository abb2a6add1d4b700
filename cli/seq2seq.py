"""Plain functions behind translation by generation on the command line (issue 14):
``qnlp train --dataset tatoeba --model seq2seq``, ``qnlp translate`` and ``qnlp evaluate`` on
:class:`~qnlp.estimators.seq2seq.Seq2SeqTranslator` folders. ``cli/main.py`` parses the options
and calls these; results go to standard output, errors are :class:`~qnlp.errors.QnlpError` s
(one line, exit code 1 through ``main._run``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

from qnlp.errors import ConfigError, DatasetError, QnlpError

#: parameters the commands own (not settable with --set)
_RUN_OWNED = ("random_state", "progress", "n_threads")


def _echo(obj) -> None:
    print(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False))


def parse_settings(items: Sequence[str]) -> dict:
    """``["attention=classical", "epochs=10"]`` -> a dict of :class:`Seq2SeqTranslator`
    parameters (values read as JSON, else strings); unknown keys are a ``ConfigError``."""
    from qnlp.estimators.seq2seq import Seq2SeqTranslator
    from qnlp.utils import parse_key_values

    try:
        out = parse_key_values(list(items or []))
    except ConfigError as exc:
        raise ConfigError(f"--set {exc}") from None
    valid = sorted(set(Seq2SeqTranslator().get_params()) - set(_RUN_OWNED))
    unknown = [k for k in out if k not in valid]
    if unknown:
        raise ConfigError(f"unknown seq2seq setting {unknown[0]!r}; valid: {', '.join(valid)}")
    return out


def train_command(dataset: str, out: str, seed: int, seeds: int, settings: list[str], as_json: bool,
                  quiet: bool) -> None:
    """Train ``seeds`` translators (seeds ``seed``, ``seed + 1``, ...) on a bundled translation
    dataset (selected on dev, scored on test) and save them to ``out`` (``out/seed-K`` for more
    than one seed). Prints BLEU, chrF, exact match, parameters, qubits and train seconds (mean and
    sd over seeds with ``seeds > 1``)."""
    from qnlp.bench.translation_bench import load_parallel, model_settings, summarise, train_translator
    from qnlp.datasets import available

    if dataset not in available():
        raise DatasetError(f"train --model seq2seq needs a bundled translation dataset (tatoeba), "
                           f"got {dataset!r}; score other pairs with `qnlp evaluate --dataset FILE`")
    if seeds < 1:
        raise ConfigError(f"--seeds must be >= 1, got {seeds}")
    data = load_parallel(dataset)
    overrides = parse_settings(settings)
    attention = overrides.get("attention", "quantum")
    base = model_settings(attention if attention in ("quantum", "classical", "transformer") else "quantum", overrides)
    results = []
    for k in range(seeds):
        folder = Path(out) if seeds == 1 else Path(out) / f"seed-{seed + k}"
        results.append(train_translator(data, seed=seed + k, settings=base, out=folder, progress=not quiet))
        if not quiet and seeds > 1:
            r = results[-1]
            print(f"seed {seed + k}: BLEU {r['bleu']:.1f} chrF {r['chrf']:.1f}", file=sys.stderr)
    if seeds == 1:
        summary = {k: v for k, v in results[0].items()}
    else:
        row = summarise(results)[0]
        summary = {k: row[k] for k in ("bleu", "chrf", "exact_match", "n_parameters", "n_qubits_max", "train_seconds")}
        summary.update({f"{k}_sd": row[f"{k}_sd"] for k in ("bleu", "chrf", "exact_match", "train_seconds")})
        summary.update(n_seeds=seeds, runs=results, model_dir=str(out))
    if as_json:
        _echo(summary)
        return
    sd = (lambda k: f" ± {summary[k + '_sd']:.1f}") if seeds > 1 else (lambda k: "")
    print(f"{attention} seq2seq on {dataset} test: BLEU {summary['bleu']:.1f}{sd('bleu')}, "
          f"chrF {summary['chrf']:.1f}{sd('chrf')}, exact match {100 * summary['exact_match']:.1f}%, "
          f"{int(summary['n_parameters'])} parameters, {int(summary['n_qubits_max'])} qubits per token, "
          f"{summary['train_seconds']:.0f} s training; saved to {out}")


def _load(model: str):
    from qnlp.estimators.loading import SEQ2SEQ, load_model

    return load_model(model, kind=SEQ2SEQ)


def translate_command(model: str, sentences: list[str], beam: int, as_json: bool) -> None:
    """Translate each sentence; print the Spanish and its score (mean log-probability per output
    token, 0 is certain). A sentence that cannot be translated gets an error line (the others are
    still translated), then a ``ConfigError`` says how many failed."""
    translator = _load(model)
    if not sentences:
        raise ConfigError("no sentences to translate (give them as arguments, --input FILE or on standard input)")
    if beam < 1:
        raise ConfigError(f"--beam must be >= 1, got {beam}")
    results = []
    for sentence in sentences:
        try:
            (text, score), = translator.translate_scored([sentence], beam=beam)
            results.append({"sentence": sentence, "translation": text, "score": round(score, 4)})
        except QnlpError as exc:
            results.append({"sentence": sentence, "error": str(exc).replace("sentence 1: ", "")})
    if as_json:
        _echo(results)
    else:
        for r in results:
            if "error" in r:
                print(f"ERROR\t{r['sentence']}\t{r['error']}")
            else:
                print(f"{r['translation']}\t{r['score']:.3f}\t{r['sentence']}")
    failed = [r for r in results if "error" in r]
    if failed:
        raise ConfigError(f"{len(failed)} of {len(results)} sentences could not be translated")


def evaluate_command(model: str, dataset: str, as_json: bool) -> None:
    """Score a saved translator on a bundled dataset's test split or on a TSV file of
    ``English<TAB>Spanish`` pairs (all references of each English sentence): BLEU, chrF, exact
    match."""
    import warnings

    from qnlp.bench.translation_bench import load_parallel
    from qnlp.models.seq2seq.metrics import group_references

    translator = _load(model)
    data = load_parallel(dataset)
    english, spanish = (data.test.texts, data.test.labels) if hasattr(data, "test") else data
    sources, references = group_references(english, spanish)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scores = translator.evaluate(sources, references)
        except QnlpError as exc:
            raise DatasetError(f"{dataset}: {exc}") from None
    scores = {"dataset": dataset, "model_dir": str(model), **scores, "truncated": len(caught)}
    if as_json:
        _echo(scores)
        return
    print(f"{dataset}: BLEU {scores['bleu']:.1f}, chrF {scores['chrf']:.1f}, exact match "
          f"{100 * scores['exact_match']:.1f}% on {scores['n_sentences']} sentences"
          + (f" ({len(caught)} truncated)" if caught else ""))
