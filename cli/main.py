"""The ``qnlp`` command: thin Typer functions over :mod:`qnlp.cli.commands`.

Results go to standard output (``--json`` for machines), progress and errors to standard error.
Exit codes: 0 success, 1 run failure (a clear message, never a traceback), 2 usage error.
Heavy libraries are imported inside the commands, so ``qnlp --help`` answers at once.
"""

from __future__ import annotations

import json
import os
import sys
from typing import List, Optional

import typer

app = typer.Typer(
    name="qnlp",
    help="Quantum NLP: parse sentences into string diagrams, train quantum circuit classifiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
datasets_app = typer.Typer(help="Bundled datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


def _echo_json(obj) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False))


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _run(fn, *args, **kwargs):
    """Call ``fn``; turn qnlp errors (and anything unexpected) into a one-line message."""
    from qnlp.errors import QnlpError

    try:
        return fn(*args, **kwargs)
    except QnlpError as exc:
        _fail(str(exc))
    except (typer.Exit, KeyboardInterrupt):
        raise
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(1)
    except Exception as exc:  # never show a raw traceback to a user
        if os.environ.get("QNLP_DEBUG"):
            raise
        _fail(f"unexpected {type(exc).__name__}: {exc} (set QNLP_DEBUG=1 for a traceback)")


def _ob_map(qubits_n: int, qubits_s: int) -> dict:
    return {"n": qubits_n, "s": qubits_s}


#: train options that only the DisCoCat model reads (rejected with --model attention)
_DISCOCAT_ONLY = {"parser": "--parser", "ansatz": "--ansatz", "backend": "--backend", "qubits_n": "--qubits-n",
                  "qubits_s": "--qubits-s", "rewrite": "--rewrite", "optimizer": "--optimizer", "shots": "--shots"}
#: train options whose default depends on the model (attention: the settings of docs/attention.md)
_MODEL_DEFAULTS = {"epochs": "epochs", "learning_rate": "learning_rate", "batch_size": "batch_size",
                   "layers": "n_layers"}


def _given(ctx: typer.Context, names) -> set:
    """The parameters among ``names`` that the user set (command line or environment)."""
    sources = {n: ctx.get_parameter_source(n) for n in names}  # by name: Typer may vendor click
    return {n for n, src in sources.items() if src is not None and src.name not in ("DEFAULT", "DEFAULT_MAP")}


@app.command()
def train(
    ctx: typer.Context,
    dataset: str = typer.Option(..., "--dataset", "-d", help="Bundled dataset name or a TSV/CSV file."),
    out: str = typer.Option(..., "--out", "-o", help="Folder to save the trained model in."),
    model: str = typer.Option("discocat", "--model", help="Model type: discocat, attention (quantum self-attention), bilingual (English-Spanish sentence states, --dataset tatoeba) or seq2seq."),
    parser: str = typer.Option("default", "--parser", "--reader", help="Parser or reader name."),
    ansatz: str = typer.Option("iqp", "--ansatz", help="iqp, sim14, sim15, strongly-entangling."),
    backend: str = typer.Option("exact", "--backend", help="Training backend."),
    epochs: int = typer.Option(120, "--epochs", min=0, help="Training epochs (attention: 30)."),
    seed: int = typer.Option(0, "--seed"),
    seeds: int = typer.Option(1, "--seeds", min=1, help="Train this many seeds (seed, seed+1, ...) and report mean ± sd."),
    layers: int = typer.Option(1, "--layers", min=1, help="Ansatz layers (attention: circuit layers, 2; RP 1)."),
    qubits_n: int = typer.Option(1, "--qubits-n", min=1, help="Qubits per noun wire."),
    qubits_s: int = typer.Option(1, "--qubits-s", min=1, help="Qubits per sentence wire."),
    rewrite: List[str] = typer.Option([], "--rewrite", help="Rewrite rule (repeatable)."),
    learning_rate: float = typer.Option(0.2, "--lr", min=0.0, help="Learning rate (attention: 0.05)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Default: full batch (attention: 32)."),
    optimizer: str = typer.Option("adam", "--optimizer", help="adam or spsa."),
    data_seed: int = typer.Option(0, "--data-seed", help="Which stored split (UCI: 0-4)."),
    shots: Optional[int] = typer.Option(None, "--shots", min=1, help="Shots per circuit (shot backends; trains with SPSA)."),
    settings: List[str] = typer.Option([], "--set", metavar="KEY=VALUE",
                                       help="Attention model setting (repeatable), e.g. --set head=fidelity --set n_heads=2; "
                                            "--set init_from=sst2 (or sst2-minilm, or a model folder) fine-tunes a pretrained model."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Train a classifier on a dataset, evaluate it on the test split, save it to --out."""
    given = _given(ctx, [*_DISCOCAT_ONLY, *_MODEL_DEFAULTS])
    _run(_train_impl, dataset, out, model, parser, ansatz, backend, epochs, seed, seeds, layers,
         qubits_n, qubits_s, rewrite, learning_rate, batch_size, optimizer, data_seed, as_json, quiet,
         shots, given=given, settings=settings)


def _train_impl(dataset, out, model, parser, ansatz, backend, epochs, seed, seeds, layers, qubits_n,
                qubits_s, rewrite, learning_rate, batch_size, optimizer, data_seed, as_json, quiet,
                shots=None, *, given=frozenset(), settings=()):
    from pathlib import Path

    from qnlp.cli import commands
    from qnlp.datasets import load
    from qnlp.errors import ConfigError
    from qnlp.registry import registry

    kind = registry.canonical("model", model)
    if kind in ("bilingual.v1", "seq2seq.v1"):
        return _train_translation(kind, dataset, out, seed, seeds, as_json, quiet, given, settings,
                                  {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size,
                                   "layers": layers})
    if kind == "attention.v1":
        return _train_attention(dataset, out, seed, seeds, data_seed, as_json, quiet, given, settings,
                                {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size,
                                 "layers": layers})
    from qnlp.estimators.discocat_presets import DISCOCAT_SETTINGS, FINETUNE_SST2, REAL_TEXT, discocat_preset
    from qnlp.utils import parse_key_values

    extra = parse_key_values(settings) if settings else {}
    unknown = sorted(set(extra) - set(DISCOCAT_SETTINGS))
    if unknown:
        raise ConfigError(f"unknown DisCoCat setting {unknown[0]!r} for --set; valid: {', '.join(DISCOCAT_SETTINGS)}")
    pipeline_given = given & {"parser", "ansatz", "rewrite", "qubits_n", "qubits_s", "layers"}
    preset = {} if pipeline_given else discocat_preset(dataset)  # the real-text defaults (docs/benchmarks.md)
    if "init_from" in extra and not pipeline_given:  # from scratch, or from another pretrained model
        preset = dict(REAL_TEXT) if extra["init_from"] is None else \
            {k: v for k, v in FINETUNE_SST2.items() if k != "parser"}
    parser = preset.pop("parser", parser)
    preset_epochs, preset_lr = preset.pop("epochs", epochs), preset.pop("learning_rate", learning_rate)
    epochs = epochs if "epochs" in given else preset_epochs
    learning_rate = learning_rate if "learning_rate" in given else preset_lr
    extra = {**preset, **extra}
    data = load(dataset, seed=data_seed)
    results = []
    for k in range(seeds):
        s = seed + k
        target = Path(out) if seeds == 1 else Path(out) / f"seed-{s}"
        bar = _progress(epochs, f"train {data.name} seed {s}", quiet)
        try:
            res = commands.train_one(
                data, parser=parser, ansatz=ansatz, backend=backend, epochs=epochs, seed=s,
                n_layers=layers, ob_map=_ob_map(qubits_n, qubits_s), rewrite=rewrite,
                learning_rate=learning_rate, batch_size=batch_size, optimizer=optimizer,
                out=target, progress=bar.update_log if bar else None, shots=shots, extra=extra)
        finally:
            if bar:
                bar.close()
        results.append({"model": kind, **res})
    _report_runs(results, as_json)


def _train_attention(dataset, out, seed, seeds, data_seed, as_json, quiet, given, settings, options):
    """``qnlp train --model attention``: the settings of docs/attention.md, then the given options."""
    from pathlib import Path

    from qnlp.cli import attention
    from qnlp.datasets import load
    from qnlp.errors import ConfigError

    wrong = sorted(flag for name, flag in _DISCOCAT_ONLY.items() if name in given)
    if wrong:
        raise ConfigError(f"{', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not apply to --model attention "
                          f"(DisCoCat options); attention settings go through --set KEY=VALUE")
    overrides = {_MODEL_DEFAULTS[name]: options[name] for name in _MODEL_DEFAULTS if name in given}
    overrides.update(attention.parse_settings(settings))
    params = attention.attention_settings(dataset, overrides)
    data = load(dataset, seed=data_seed)
    results = []
    for k in range(seeds):
        s = seed + k
        target = Path(out) if seeds == 1 else Path(out) / f"seed-{s}"
        if not quiet:
            typer.echo(f"train attention on {data.name} seed {s} ({params['epochs']} epochs)", err=True)
        results.append(attention.train_attention_one(data, seed=s, settings=params, out=target))
    _report_runs(results, as_json)


def _train_translation(kind, dataset, out, seed, seeds, as_json, quiet, given, settings, options):
    """``qnlp train --model bilingual`` (:mod:`qnlp.cli.translation`) or ``--model seq2seq``."""
    from qnlp.cli import translation

    translation.check_train_options(kind, sorted(flag for n, flag in _DISCOCAT_ONLY.items() if n in given))
    if kind == "seq2seq.v1":
        from qnlp.cli.seq2seq import train_command

        return train_command(dataset, out, seed, seeds, list(settings), as_json, quiet)
    params = {_MODEL_DEFAULTS[n]: options[n] for n in _MODEL_DEFAULTS if n in given}
    params.update(translation.parse_settings(settings))
    result = translation.train_command(dataset, out, seed, seeds, params, quiet=quiet,
                                       echo=lambda m: typer.echo(m, err=True))
    _echo_json(result) if as_json else translation.print_train(result, typer.echo)


def _report_runs(results: list, as_json: bool) -> None:
    """Print the runs of ``qnlp train``: one JSON object (one run, or mean ± sd and the runs), or a table."""
    from qnlp.cli import commands

    summary = commands.summarise(results)
    if as_json:
        _echo_json(results[0] if len(results) == 1 else {**summary, "runs": results})
        return
    _print_table(results, summary)


def _print_table(results, summary) -> None:
    cols = ["seed", "test_accuracy", "train_accuracy", "train_seconds", "n_parameters", "n_qubits_max"]
    r0 = results[0]
    if r0.get("model") == "attention.v1":
        cols[-1] = "qubits_per_token"
        typer.echo(f"dataset {r0['dataset']}  model {r0['model']}  head {r0['head']}  heads {r0['n_heads']}  "
                   f"layers {r0['n_layers']}  epochs {r0['epochs']}  train {r0['n_train']}  test {r0['n_test']}")
    else:
        typer.echo(f"dataset {r0['dataset']}  parser {r0['parser']}  ansatz {r0['ansatz']}  "
                   f"backend {r0['backend']}  epochs {r0['epochs']}  train {r0['n_train']}  test {r0['n_test']}")
    typer.echo("  ".join(f"{c:>14}" for c in cols))
    for r in results:
        typer.echo("  ".join(f"{r[c]:>14.4f}" if isinstance(r[c], float) else f"{r[c]:>14}" for c in cols))
    if len(results) > 1:
        typer.echo(f"test accuracy {summary['test_accuracy_mean']:.4f} ± {summary['test_accuracy_sd']:.4f} "
                   f"(mean ± sd over {summary['n_seeds']} seeds); train seconds "
                   f"{summary['train_seconds_mean']:.3f} ± {summary['train_seconds_sd']:.3f}")
    typer.echo(f"model saved to {r0.get('model_dir', '-')}" if len(results) == 1
               else f"models saved to {os.path.dirname(r0['model_dir'])}/seed-*")


class _Bar:
    def __init__(self, total, desc):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False, disable=None)

    def update_log(self, log):
        self.bar.set_postfix(loss=f"{log.loss:.3f}", acc=f"{log.train_accuracy:.2f}")
        self.bar.update(1)

    def close(self):
        self.bar.close()


def _progress(total, desc, quiet):
    return None if quiet else _Bar(total, desc)


@app.command()
def predict(
    sentences: List[str] = typer.Argument(None, help="Sentences to classify."),
    model: str = typer.Option(..., "--model", "-m", help="Model folder written by `qnlp train`."),
    input_file: Optional[str] = typer.Option(None, "--input", "-i", help="File with one sentence per line."),
    backend: Optional[str] = typer.Option(None, "--backend", help="Run on another backend."),
    shots: Optional[int] = typer.Option(None, "--shots", min=1, help="Shots per circuit (shot backends)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of a shot-based run."),
    as_json: bool = typer.Option(False, "--json"),
):
    """Classify sentences with a trained model: label and class probabilities."""
    _run(_predict_impl, sentences, model, input_file, backend, shots, seed, as_json)


def _predict_impl(sentences, model, input_file, backend, shots, seed, as_json):
    from qnlp.cli import commands
    from qnlp.errors import ConfigError
    from qnlp.estimators.loading import TRANSLATION_KINDS, model_kind

    found = model_kind(model)
    if found in TRANSLATION_KINDS:
        raise ConfigError(f"{model} holds a {found.split('.')[0]} translation model; predict needs a classifier "
                          f"(use `qnlp translate --model {model}`)")

    texts = commands.read_sentences(sentences or [], input_file)
    results = commands.predict(model, texts, backend=backend, shots=shots, seed=seed)
    if as_json:
        _echo_json(results)
    else:
        for r in results:
            if "error" in r:
                typer.echo(f"ERROR\t{r['sentence']}\t{r['error']}")
                continue
            probs = " ".join(f"{c}={p:.3f}" for c, p in r["probabilities"].items())
            note = f"\t(unknown: {', '.join(r['unknown_words'])})" if r["unknown_words"] else ""
            typer.echo(f"{r['label']}\t{probs}\t{r['sentence']}{note}")
    failed = [r for r in results if "error" in r]
    if failed:
        _fail(f"{len(failed)} of {len(results)} sentences could not be classified")


@app.command()
def explain(
    sentence: str = typer.Argument(..., help="Sentence to explain (quote it)."),
    model: str = typer.Option(..., "--model", "-m", help="Attention model folder (`qnlp train --model attention`)."),
    out: str = typer.Option("attention.png", "--out", "-o", help="PNG file for the attention map."),
    top: int = typer.Option(5, "--top", "-k", min=1, help="How many tokens to list."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (with the full weights)."),
):
    """Attention map of a sentence: the tokens that receive the most attention, and a heatmap PNG.

    Attention received: a token's weight averaged over query tokens and heads (sums to 1).
    """
    _run(_explain_impl, sentence, model, out, top, as_json)


def _explain_impl(sentence, model, out, top, as_json):
    from qnlp.cli import attention

    r = attention.explain(model, sentence, top=top, out=out)
    if as_json:
        _echo_json(r)
    else:
        probs = " ".join(f"{c}={p:.3f}" for c, p in r["probabilities"].items())
        n = len(r["tokens"])
        heads = f"{r['n_heads']} {r['head']} head{'s' if r['n_heads'] > 1 else ''}"
        typer.echo(f"{r['label']}\t{probs}\t{r['sentence']}")
        typer.echo(f"top {len(r['top'])} of {n} tokens by attention received "
                   f"(weight averaged over the {n} query tokens and {heads}; sums to 1 over all tokens):")
        for t in r["top"]:
            typer.echo(f"{t['rank']:>4}  {t['weight']:.4f}  {t['token']}{'*' if t['unknown'] else ''}"
                       f"  (token {t['position'] + 1})")
        if r["unknown_words"]:
            typer.echo(f"* unknown word (not in the training vocabulary): {', '.join(r['unknown_words'])}")
    typer.echo(f"attention map saved to {r['png']}", err=True)


@app.command()
def parse(
    sentences: List[str] = typer.Argument(None, help="Sentences to parse."),
    parser: str = typer.Option("default", "--parser", "--reader", help="Parser or reader name."),
    draw: Optional[str] = typer.Option(None, "--draw", help="Draw the diagrams to this .png, .pdf or .svg file."),
    input_file: Optional[str] = typer.Option(None, "--input", "-i", help="File with one sentence per line."),
    as_json: bool = typer.Option(False, "--json"),
    lang: str = typer.Option("en", "--lang", help="Language of the default parser: en or es."),
):
    """Parse sentences into pregroup diagrams: words and their types."""
    _run(_parse_impl, sentences, parser, draw, input_file, as_json, lang)


def _parse_impl(sentences, parser, draw, input_file, as_json, lang="en"):
    from qnlp.cli import commands
    from qnlp.parsing import parser_for_language

    parser = parser_for_language(parser, lang)  # an unknown --lang: ConfigError, exit 1
    texts = commands.read_sentences(sentences or [], input_file)
    results = commands.parse(texts, parser=parser, draw=draw)
    if as_json:
        _echo_json(results)
    else:
        for r in results:
            flag = "  [fallback]" if r["fallback"] else ""
            typer.echo(f"{r['sentence']}  ({r['parser']}){flag}")
            typer.echo("  " + "  ".join(f"{w}:{t}" for w, t in zip(r["words"], r["types"])))
    if draw:
        typer.echo(f"drawing saved to {draw}", err=True)


bench_app = typer.Typer(help="Benchmark pipelines: models × datasets × seeds into a results store.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("run")
def bench_run(
    pipeline: str = typer.Argument(..., help="Pipeline TOML file (see pipelines/)."),
    out: str = typer.Option(..., "--out", "-o", help="Run folder (results.sqlite); a rerun resumes it."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1,
                                          help="Local Dask workers (default: the cores of this machine; 1 runs here)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler."),
    as_json: bool = typer.Option(False, "--json"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Run every model × dataset × data seed × seed of a pipeline (resumes a killed run)."""
    _run(_bench_run_impl, pipeline, out, workers, scheduler, as_json, quiet)


def _bench_run_impl(pipeline, out, workers, scheduler, as_json, quiet):
    from qnlp.bench.pipeline import load_pipeline
    from qnlp.bench.sweep import default_workers, run_sweep
    from qnlp.errors import ConfigError

    if workers is not None and scheduler is not None:
        raise ConfigError("give --workers or --scheduler, not both")
    config = load_pipeline(pipeline)
    say = None if quiet else (lambda msg: typer.echo(msg, err=True))
    status = run_sweep(config, out, workers=(workers or default_workers()) if scheduler is None else 1,
                       scheduler=scheduler, progress=say, bar=not quiet)
    _print_bench(out, status, as_json)


@bench_app.command("status")
def bench_status(folder: str = typer.Argument(..., help="Run folder of `qnlp bench run`."),
                 as_json: bool = typer.Option(False, "--json")):
    """Done, failed and pending runs of a run folder."""
    _run(_bench_status_impl, folder, as_json)


def _bench_status_impl(folder, as_json):
    from qnlp.bench.sweep import sweep_status

    _print_bench(folder, sweep_status(folder), as_json, table=False)


def _print_bench(folder, status, as_json, table: bool = True) -> None:
    from qnlp.bench.store import ResultsStore

    if as_json:
        runs = [{k: r[k] for k in ("model", "kind", "dataset", "data_seed", "seed", "status", "error", "accuracy",
                                   "macro_f1", "roc_auc", "train_seconds", "n_qubits", "n_parameters")}
                for r in ResultsStore(folder).runs()] if table else None
        _echo_json({**status, **({"runs": runs} if table else {})})
        return
    typer.echo(f"pipeline {status['pipeline']}: {status['done']} done, {status['failed']} failed, "
               f"{status['pending']} pending of {status['planned']} runs")
    for e in status["errors"]:
        typer.echo(f"  failed: {e['model']} on {e['dataset']} (data seed {e['data_seed']}, seed {e['seed']}): {e['error']}")
    if table and status["done"]:
        from qnlp.bench.tables import markdown_table, mean_sd

        groups: dict = {}
        for r in ResultsStore(folder).runs("done"):
            groups.setdefault((r["dataset"], r["model"]), []).append(r["accuracy"])
        typer.echo(markdown_table(["dataset", "model", "accuracy (mean ± sd)", "runs"],
                                  [[d, m, mean_sd(v), len(v)] for (d, m), v in groups.items()]))


@bench_app.command("report")
def bench_report(folder: str = typer.Argument(..., help="Run folder of `qnlp bench run`."),
                 out: Optional[str] = typer.Option(None, "--out", "-o",
                                                   help="HTML file (default: FOLDER/report.html)."),
                 as_json: bool = typer.Option(False, "--json")):
    """Write a self-contained HTML report and a Markdown leaderboard of a run folder."""
    _run(_bench_report_impl, folder, out, as_json)


def _bench_report_impl(folder, out, as_json):
    from pathlib import Path

    from qnlp.bench.report import write_html, write_markdown
    from qnlp.bench.store import ResultsStore

    store = ResultsStore(folder)
    html = write_html(store, Path(out) if out else Path(folder) / "report.html")
    md = write_markdown(store, Path(folder) / "leaderboard.md")
    if as_json:
        _echo_json({"html": str(html), "markdown": str(md)})
    else:
        typer.echo(Path(md).read_text(encoding="utf-8"))
        typer.echo(f"report written to {html} and {md}", err=True)


@app.command("compile")
def compile_(
    sentences: List[str] = typer.Argument(None, help="Sentences whose circuits to compile."),
    model: str = typer.Option(..., "--model", "-m", help="Model folder."),
    backend: str = typer.Option("aer", "--backend", help="pytket backend (aer, aer-noisy:<device>, ...)."),
    input_file: Optional[str] = typer.Option(None, "--input", "-i", help="File with one sentence per line."),
    draw: Optional[str] = typer.Option(None, "--draw", help="Draw the circuits (before compilation) to this "
                                                            ".png, .pdf or .svg file."),
    as_json: bool = typer.Option(False, "--json"),
):
    """Compile circuits for a backend: qubits, depth and two-qubit gates per circuit."""
    _run(_compile_impl, sentences, model, backend, input_file, as_json, draw)


def _compile_impl(sentences, model, backend, input_file, as_json, draw=None):
    from qnlp.cli import commands

    texts = commands.read_sentences(sentences or [], input_file)
    rows = commands.compile_circuits(model, backend, texts, draw=draw)
    if as_json:
        _echo_json(rows)
    else:
        typer.echo(f"{'qubits':>7}{'depth':>7}{'2q gates':>9}{'post-sel':>9}  sentence")
        for r in rows:
            typer.echo(f"{r['n_qubits']:>7}{r['depth']:>7}{r['n_2q_gates']:>9}{r['n_post_selected']:>9}"
                       f"  {r['sentence']}")
    if draw:
        typer.echo(f"drawing saved to {draw}", err=True)


@app.command()
def translate(
    sentences: List[str] = typer.Argument(None, help="Sentences to translate (English; Spanish with --lang es)."),
    model: str = typer.Option(..., "--model", "-m", help="Translation model folder (bilingual or seq2seq)."),
    candidates: Optional[str] = typer.Option(None, "--candidates", "-c",
                                             help="Bilingual: file of candidate translations, one a line "
                                                  "(default: the model's training sentences)."),
    top: int = typer.Option(5, "--top", "-k", help="Bilingual: candidates shown per sentence."),
    beam: int = typer.Option(1, "--beam", min=1, help="Seq2seq: beam width."),
    backend: Optional[str] = typer.Option(None, "--backend", help="Bilingual: estimate fidelities on a pytket backend."),
    shots: Optional[int] = typer.Option(None, "--shots", min=1, help="Shots per circuit (shot backends)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of a shot-based run."),
    lang: str = typer.Option("en", "--lang", help="Language of the sentences: en (rank Spanish) or es (rank English)."),
    input_file: Optional[str] = typer.Option(None, "--input", "-i", help="File with one sentence per line."),
    as_json: bool = typer.Option(False, "--json"),
):
    """Translate sentences: rank candidate translations by sentence-state fidelity (bilingual
    model), or generate them (seq2seq model)."""
    _run(_translate_impl, sentences, model, candidates, top, beam, backend, shots, seed, lang, input_file, as_json)


def _translate_impl(sentences, model, candidates, top, beam, backend, shots, seed, lang, input_file, as_json):
    from qnlp.cli import commands, translation
    from qnlp.estimators.loading import SEQ2SEQ

    found = translation.translation_kind(model, lang)
    texts = commands.read_sentences(sentences or [], input_file)
    if found == SEQ2SEQ:
        from qnlp.cli.seq2seq import translate_command

        return translate_command(model, list(texts), beam, as_json)
    results = translation.translate(model, texts, candidates=candidates, top=top, backend=backend, shots=shots,
                                    seed=seed, lang=lang)
    if as_json:
        _echo_json(results)
    else:
        translation.print_translate(results, typer.echo)


@app.command()
def evaluate(
    model: str = typer.Option(..., "--model", "-m", help="Any model folder written by `qnlp train`."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Bundled dataset (its test split) or a file of "
                                                             "the training format (all of it)."),
    as_json: bool = typer.Option(False, "--json"),
):
    """Score a saved model on another dataset: classifier accuracy, or the retrieval and pair
    metrics of a bilingual model."""
    _run(_evaluate_impl, model, dataset, as_json)


def _evaluate_impl(model, dataset, as_json):
    from qnlp.cli import translation
    from qnlp.estimators.loading import SEQ2SEQ, model_kind

    if model_kind(model) == SEQ2SEQ:
        from qnlp.cli.seq2seq import evaluate_command

        return evaluate_command(model, dataset, as_json)
    result = translation.evaluate(model, dataset)
    if as_json:
        _echo_json(result)
    else:
        translation.print_evaluate(model, result, typer.echo)


@datasets_app.command("list")
def datasets_list(as_json: bool = typer.Option(False, "--json")):
    """List the bundled datasets with their split sizes."""
    _run(_datasets_impl, as_json)


def _datasets_impl(as_json):
    from qnlp.cli import commands

    rows = commands.list_datasets()
    if as_json:
        _echo_json(rows)
        return
    typer.echo(f"{'name':<10}{'task':<16}{'train':>8}{'dev':>6}{'test':>6}  classes")
    for r in rows:
        typer.echo(f"{r['name']:<10}{r['task']:<16}{r['train']:>8}{r['dev']:>6}{r['test']:>6}  "
                   f"{','.join(r['classes']) or '-'}")


@app.command()
def version():
    """Print the qnlp version."""
    from qnlp import __version__

    typer.echo(__version__)


def main() -> None:
    """Entry point of the ``qnlp`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
