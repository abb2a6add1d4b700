"""Plain functions behind the translation commands (no argument parsing here):
``qnlp train --model bilingual``, ``qnlp translate`` and ``qnlp evaluate``.

Bilingual matching models (:class:`~qnlp.estimators.bilingual.BilingualMatcher`) are handled
here; generation models (``seq2seq.v1``) are passed to :mod:`qnlp.cli.seq2seq`. Errors are
:class:`~qnlp.errors.QnlpError` s, which the command line prints as one line (exit code 1).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np

from qnlp.errors import ConfigError, DatasetError

LANGS = ("en", "es")
#: estimator parameters that ``--set`` may not change (given by other options or machine-local)
RUN_PARAMETERS = ("random_state", "callbacks", "verbose", "n_threads")
#: ``--set`` keys of the run itself (not estimator parameters)
RUN_SETTINGS = ("baselines",)


# -- settings and data -------------------------------------------------------------------------
def parse_settings(items: Sequence[str]) -> dict:
    """``["n_heads=4", "source=use"]`` -> a dict; keys must be parameters of
    :class:`~qnlp.estimators.bilingual.BilingualMatcher` (or ``baselines``)."""
    from qnlp.estimators.bilingual import BilingualMatcher
    from qnlp.utils import parse_key_values

    valid = sorted(set(BilingualMatcher().get_params()) - set(RUN_PARAMETERS)) + list(RUN_SETTINGS)
    try:
        out = parse_key_values(items)
    except ConfigError as exc:
        raise ConfigError(f"--set {exc}") from None
    unknown = [k for k in out if k not in valid]
    if unknown:
        raise ConfigError(f"unknown bilingual setting {unknown[0]!r}; valid: {', '.join(sorted(valid))}")
    return out


def read_pairs(path: str | Path) -> tuple[list, list]:
    """English and Spanish sentences of an ``English<TAB>Spanish`` file (one pair a line)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"unknown dataset {str(path)!r}: not a bundled name and no such file")
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc})") from None
    en, es = [], []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.rstrip("\r").split("\t")]
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise DatasetError(f"{path}:{lineno}: expected 'English<TAB>Spanish', got {line[:80]!r}")
        en.append(parts[0])
        es.append(parts[1])
    if len(en) < 2:
        raise DatasetError(f"{path}: needs at least 2 sentence pairs, found {len(en)}")
    return en, es


def translation_data(dataset: str):
    """The :class:`~qnlp.datasets.loaders.Dataset` of a bundled translation dataset, or of a pairs
    file split 80/10/10 by distinct English sentence (seed 0)."""
    from qnlp.datasets import available, load
    from qnlp.datasets.loaders import Dataset, Split

    if dataset.lower() in available():
        data = load(dataset)
        if data.task != "translation":
            raise ConfigError(f"--model bilingual needs a translation dataset (tatoeba or an "
                              f"English<TAB>Spanish file), not {dataset!r} ({data.task})")
        return data
    en, es = read_pairs(dataset)
    distinct = list(dict.fromkeys(en))
    order = np.random.default_rng(0).permutation(len(distinct))
    n_test = n_dev = max(1, len(distinct) // 10)
    part = {distinct[i]: ("test" if r < n_test else "dev" if r < n_test + n_dev else "train")
            for r, i in enumerate(order)}
    splits = {k: Split([], []) for k in ("train", "dev", "test")}
    for e, s in zip(en, es):
        splits[part[e]].texts.append(e)
        splits[part[e]].labels.append(s)
    return Dataset(Path(dataset).stem, splits["train"], splits["test"], splits["dev"], task="translation",
                   notes=f"user file {dataset}, 80/10/10 split by distinct English sentence")


# -- train ------------------------------------------------------------------------------------------
def check_train_options(kind: str, discocat_flags: Sequence[str]) -> None:
    """Refuse DisCoCat-only ``qnlp train`` options for a translation model."""
    if discocat_flags:
        verb = "does" if len(discocat_flags) == 1 else "do"
        raise ConfigError(f"{', '.join(discocat_flags)} {verb} not apply to --model {kind.split('.')[0]} "
                          f"(DisCoCat options); settings go through --set KEY=VALUE")


def baseline_metrics(train, dev_task, test_task, *, seed: int = 0) -> dict:
    """Random, character 3-5-gram TF-IDF cosine and (if installed) USE cosine on the test task,
    pair thresholds from the dev task: flat metrics per baseline."""
    from qnlp.models.bilingual.baselines import CharTfidfScorer, RandomScorer, USEScorer
    from qnlp.models.bilingual.evaluation import flat_metrics
    from qnlp.models.bilingual.use import use_available

    scorers = {"random": lambda: RandomScorer(seed),
               "char_tfidf": lambda: CharTfidfScorer().fit(train.texts, train.labels)}
    if use_available():
        scorers["use_cosine"] = USEScorer
    out = {}
    for name, make in scorers.items():
        scorer = make()
        out[name] = flat_metrics(test_task.evaluate(scorer, dev_task.thresholds(scorer)))
    return out


def train_one(data, *, seed: int, params: dict, out: Path, dev_task, test_task) -> dict:
    """Fit one :class:`~qnlp.estimators.bilingual.BilingualMatcher` (dev pairs for validation and
    thresholds), score the test split, save to ``out``; a flat result dict."""
    from qnlp.estimators.bilingual import BilingualMatcher
    from qnlp.models.bilingual.evaluation import flat_metrics

    model = BilingualMatcher(**params, random_state=seed)
    model.fit(data.train.texts, data.train.labels, validation=(data.dev.texts, data.dev.labels))
    model.thresholds_ = dev_task.thresholds(model.similarity)
    model.threshold_ = model.thresholds_["random"]
    t0 = time.perf_counter()
    result = test_task.evaluate(model.similarity, model.thresholds_)
    eval_seconds = time.perf_counter() - t0
    path = model.save(out)
    depth = model.model_.circuit_depth() if model.architecture == "quantum" else {}
    return {"model": "bilingual.v1", "dataset": data.name, "seed": seed, **flat_metrics(result),
            "architecture": model.architecture, "source": model.source,
            "n_parameters": model.n_parameters_, "train_seconds": model.train_seconds_,
            "eval_seconds": eval_seconds, "epochs_run": model.n_iter_,
            "qubits": model.n_qubits_info() if model.architecture == "quantum" else None,
            "circuit_depth": depth, "dev_top1_at_100": model.validation_scores_,
            "n_train": len(data.train), "n_test": len(data.test), "model_dir": str(path),
            "settings": {k: v for k, v in model.get_params().items() if k not in ("callbacks",)}}


def train_command(dataset: str, out: str, seed: int, seeds: int, settings: dict, *, quiet: bool = False,
                  echo=None) -> dict:
    """``qnlp train --model bilingual``: ``seeds`` runs (seed, seed+1, ...) plus the baselines once.

    Returns one run's dict, or ``{"runs": [...], "<metric>_mean"/"_sd": ..., "baselines": ...}``.
    """
    from qnlp.models.bilingual.evaluation import MatchingTask, mean_sd

    settings = dict(settings)
    with_baselines = bool(settings.pop("baselines", True))
    data = translation_data(dataset)
    say = (lambda m: None) if quiet or echo is None else echo
    say(f"preparing {data.name} dev/test pairs (English tagger for hard negatives)")
    dev_task = MatchingTask.build(data.dev.texts, data.dev.labels, seed=0)
    test_task = MatchingTask.build(data.test.texts, data.test.labels, seed=0)
    runs = []
    for k in range(seeds):
        s = seed + k
        target = Path(out) if seeds == 1 else Path(out) / f"seed-{s}"
        say(f"train bilingual on {data.name} seed {s}")
        runs.append(train_one(data, seed=s, params=settings, out=target, dev_task=dev_task, test_task=test_task))
    result = dict(runs[0]) if seeds == 1 else {"runs": runs, "n_seeds": seeds}
    if seeds > 1:
        for key in ("retrieval_top1_at_100", "retrieval_mrr", "pair_accuracy_random", "pair_accuracy_hard",
                    "pair_auc_random", "pair_auc_hard", "es_en_at_100_p1", "en_es_at_pool_p1", "train_seconds"):
            result[f"{key}_mean"], result[f"{key}_sd"] = mean_sd(r[key] for r in runs)
        for key in ("n_parameters", "qubits", "architecture", "source", "dataset", "model"):
            result[key] = runs[0][key]
    if with_baselines:
        say("scoring the baselines on the same test pairs")
        result["baselines"] = baseline_metrics(data.train, dev_task, test_task)
    return result


# -- translate ---------------------------------------------------------------------------------------
def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ConfigError(f"unknown --lang {lang!r}; valid: {', '.join(LANGS)}")
    return lang


def read_candidates(path: str | Path, model, lang: str) -> list:
    """The candidate sentences of a file (one a line), checked to be in ``lang`` (``"es"`` or
    ``"en"``) by the model's vocabularies (:func:`~qnlp.models.bilingual.text.language_of`)."""
    from qnlp.models.bilingual.text import language_of

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"candidates file not found: {path}")
    try:
        lines = [" ".join(ln.split()) for ln in path.read_text(encoding="utf-8").split("\n")]
    except UnicodeDecodeError as exc:
        raise ConfigError(f"candidates file {path}: not UTF-8 text ({exc})") from None
    lines = [ln for ln in lines if ln]
    name = {"es": "Spanish", "en": "English"}[lang]
    if not lines:
        raise ConfigError(f"candidates file {path} is empty: give one {name} sentence per line")
    found = language_of(lines, {k: set(v.index) for k, v in model.vocab_.items()})
    if found != lang:
        why = ("its words are English" if found == "en" else "its words are Spanish" if found == "es"
               else f"none of its words are in the model's {name} vocabulary")
        raise ConfigError(f"candidates file {path} does not look {name} ({why}); give one {name} sentence per line")
    return lines


def translate(model_dir: str, sentences: Sequence[str], *, candidates: str | None = None, top: int = 5,
              backend: str | None = None, shots: int | None = None, seed: int | None = None,
              lang: str = "en") -> list:
    """Rank candidates for each sentence with a bilingual model folder: per sentence
    ``{"sentence", "unknown_words", "candidates": [{"rank", "candidate", "score"}]}``."""
    from qnlp.estimators.loading import BILINGUAL, load_model

    lang = check_lang(lang)
    if top < 1:
        raise ConfigError(f"--top must be >= 1, got {top}")
    model = load_model(model_dir, kind=BILINGUAL)
    if backend not in (None, "exact") or shots is not None:
        model.set_params(backend=None if backend == "exact" else backend, shots=shots)
        if seed is not None:
            model.set_params(random_state=seed)
    other = "es" if lang == "en" else "en"
    pool = read_candidates(candidates, model, other) if candidates is not None else None
    bad = [s for s in sentences if not s.strip()]
    if bad:
        raise ConfigError("empty or whitespace-only sentence")
    ranked = model.rank(list(sentences), pool, top, direction=f"{lang}-{other}")
    return [{"sentence": s, "unknown_words": model.unknown_words(s, lang),
             "candidates": [{"rank": i + 1, **c} for i, c in enumerate(r)]}
            for s, r in zip(sentences, ranked)]


# -- evaluate ------------------------------------------------------------------------------------------
def evaluate_bilingual(model_dir: str, dataset: str) -> dict:
    """Every matching metric of a bilingual model on a bundled translation dataset's test split or
    on a whole ``English<TAB>Spanish`` file."""
    from qnlp.datasets import available
    from qnlp.estimators.loading import BILINGUAL, load_model

    model = load_model(model_dir, kind=BILINGUAL)
    if dataset.lower() in available():
        data = translation_data(dataset)
        en, es, name = data.test.texts, data.test.labels, f"{data.name} (test split)"
    else:
        (en, es), name = read_pairs(dataset), dataset
    result = model.evaluate(en, es)
    details = result.pop("details")
    return {"model": "bilingual.v1", "dataset": name, "n_pairs": details["n_pairs"],
            "threshold_source": "model (dev split)" if details["threshold_source"] == "given" else "these pairs",
            **result}


def evaluate_classifier(model_dir: str, dataset: str) -> dict:
    """Accuracy of a saved classifier on a bundled dataset's test split or on a whole labelled
    file (the format of ``qnlp train --dataset FILE``)."""
    from qnlp.datasets import available, load
    from qnlp.datasets.loaders import read_labelled_file
    from qnlp.estimators.loading import CLASSIFIER_KINDS, load_model

    clf = load_model(model_dir, kind=CLASSIFIER_KINDS)
    if dataset.lower() in available():
        data = load(dataset)
        if data.task != "classification":
            raise ConfigError(f"{model_dir} holds a classifier; {dataset!r} is a {data.task} dataset")
        split, name = data.test, f"{data.name} (test split)"
    else:
        path = Path(dataset)
        if not path.is_file():
            raise DatasetError(f"unknown dataset {dataset!r}: not a bundled name and no such file")
        split, name = read_labelled_file(path), dataset
    classes = list(clf.classes_)
    labels = list(split.labels)
    if classes and all(isinstance(c, (int, np.integer)) for c in classes):
        try:
            labels = [int(v) for v in labels]
        except ValueError:
            pass
    unknown = sorted({str(v) for v in labels} - {str(c) for c in classes})
    if unknown:
        raise DatasetError(f"{dataset}: labels {unknown} are not classes of the model "
                           f"({', '.join(map(str, classes))})")
    pred = clf.predict(split.texts)
    acc = float(np.mean([str(p) == str(t) for p, t in zip(pred, labels)]))
    return {"model": clf.__class__.__name__, "dataset": name, "n_examples": len(labels), "accuracy": acc}


def evaluate(model_dir: str, dataset: str) -> dict:
    """``qnlp evaluate`` for a bilingual model or a classifier (seq2seq: :mod:`qnlp.cli.seq2seq`)."""
    from qnlp.estimators.loading import BILINGUAL, model_kind

    if model_kind(model_dir) == BILINGUAL:
        return evaluate_bilingual(model_dir, dataset)
    return evaluate_classifier(model_dir, dataset)


def translation_kind(model_dir: str, lang: str) -> str:
    """The kind of a model folder given to ``qnlp translate`` (a classifier, or an unknown
    ``--lang``, is a :class:`~qnlp.errors.ConfigError`)."""
    from qnlp.estimators.loading import TRANSLATION_KINDS, model_kind

    check_lang(lang)
    found = model_kind(model_dir)
    if found not in TRANSLATION_KINDS:
        raise ConfigError(f"{model_dir} holds a {found.split('.')[0]} classifier; translate needs a translation "
                          f"model (train one with `qnlp train --dataset tatoeba --model bilingual`)")
    return found


# -- text output -----------------------------------------------------------------------------------
def print_train(result: dict, echo) -> None:
    """The table of ``qnlp train --model bilingual`` (without ``--json``)."""
    import os

    from qnlp.models.bilingual.evaluation import summary_line

    runs = result.get("runs", [result])
    r0 = runs[0]
    echo(f"dataset {r0['dataset']}  model bilingual ({r0['architecture']}, source {r0['source']})  "
         f"parameters {r0['n_parameters']}  qubits {r0['qubits']}  train {r0['n_train']}  test {r0['n_test']}")
    for r in runs:
        echo(summary_line(f"seed {r['seed']} ({r['train_seconds']:.0f} s)", r))
    if len(runs) > 1:
        echo(f"top-1 among 100 {result['retrieval_top1_at_100_mean']:.3f} ± {result['retrieval_top1_at_100_sd']:.3f}, "
             f"hard-negative accuracy {result['pair_accuracy_hard_mean']:.3f} ± "
             f"{result['pair_accuracy_hard_sd']:.3f} (mean ± sd over {len(runs)} seeds)")
    for name, flat in result.get("baselines", {}).items():
        echo(summary_line(f"baseline {name}", flat))
    echo(f"model saved to {r0['model_dir']}" if len(runs) == 1
         else f"models saved to {os.path.dirname(r0['model_dir'])}/seed-*")


def print_translate(results: list, echo) -> None:
    """Per sentence: the sentence (and its unknown words), then rank, score and candidate."""
    for r in results:
        note = f"  (unknown: {', '.join(r['unknown_words'])})" if r["unknown_words"] else ""
        echo(f"{r['sentence']}{note}")
        for c in r["candidates"]:
            echo(f"{c['rank']:>4}  {c['score']:.4f}  {c['candidate']}")


def print_evaluate(model_dir: str, result: dict, echo) -> None:
    echo(f"model {model_dir} ({result['model']})  dataset {result['dataset']}")
    if result["model"] == "bilingual.v1":
        from qnlp.models.bilingual.evaluation import summary_line

        echo(f"{result['n_pairs']} pairs; pair thresholds from {result['threshold_source']}")
        echo(summary_line("bilingual", result))
    else:
        echo(f"accuracy {result['accuracy']:.4f} on {result['n_examples']} examples")
