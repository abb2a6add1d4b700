"""Plain functions behind the attention model on the command line (no argument parsing here):
``qnlp train --model attention``, ``qnlp predict`` on attention model folders, ``qnlp explain``.

A model folder's ``config.json`` records its kind in ``model_type`` (``"discocat"`` for
:class:`~qnlp.estimators.QuantumTextClassifier`, the class name for the attention estimator);
:func:`model_kind` maps it to the registry name of the ``model`` stage. Folders without
``model_type`` are DisCoCat folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from qnlp.errors import ConfigError, DatasetError, ModelFileError, ParseError

#: ``config.json`` ``model_type`` -> registry name (stage ``"model"``)
MODEL_TYPES = {"discocat": "discocat.v1", "QuantumAttentionClassifier": "attention.v1"}
ATTENTION = "attention.v1"

#: estimator parameters ``--set`` may not change (``--seed`` and ``--quiet`` own them)
_NOT_SETTABLE = ("seed", "verbose")


def model_kind(path: str | Path) -> str:
    """Registry name of the model kind saved in folder ``path`` (``"discocat.v1"``, ``"attention.v1"``)."""
    from qnlp.models.folders import read_model_config

    config = read_model_config(path)
    cfg = Path(path) / "config.json"
    model_type = config.get("model_type", "discocat")
    if model_type not in MODEL_TYPES:
        raise ModelFileError(f"{cfg}: unknown model_type {model_type!r}; valid: {', '.join(MODEL_TYPES)}")
    return MODEL_TYPES[model_type]


def load_attention(path: str | Path):
    """Load an attention model folder (a clear error for a DisCoCat folder)."""
    from qnlp.registry import registry

    if model_kind(path) != ATTENTION:
        raise ConfigError(f"{path} holds a DisCoCat model, not an attention model")
    return registry.get("model", ATTENTION).load(path)


# -- training ------------------------------------------------------------------------------------
def parse_settings(items: Sequence[str]) -> dict:
    """``["head=fidelity", "n_heads=2"]`` -> ``{"head": "fidelity", "n_heads": 2}``.

    Values are read as JSON (``2``, ``0.003``, ``true``, ``null``), else kept as strings; keys must
    be parameters of :class:`~qnlp.estimators.attention.QuantumAttentionClassifier`.
    """
    from qnlp.bench.attention_bench import parse_key_values
    from qnlp.estimators.attention import QuantumAttentionClassifier

    valid = sorted(set(QuantumAttentionClassifier().get_params()) - set(_NOT_SETTABLE))
    try:
        out = parse_key_values(items)
    except ConfigError as exc:
        raise ConfigError(f"--set {exc}") from None
    unknown = [k for k in out if k not in valid]
    if unknown:
        raise ConfigError(f"unknown attention setting {unknown[0]!r}; valid: {', '.join(valid)}")
    return out


def attention_settings(dataset: str, overrides: dict | None = None) -> dict:
    """Estimator settings for ``dataset``: the per-dataset settings of docs/attention.md (the
    benchmark's ``QUANTUM_CONFIGS``; the yelp/imdb ones for a user's file), then ``overrides``."""
    from qnlp.bench.attention_bench import quantum_config
    from qnlp.datasets import available

    return quantum_config(dataset if dataset in available() else "default", overrides)


def train_attention_one(dataset, *, seed: int, settings: dict, out: str | Path | None = None) -> dict:
    """Train one :class:`QuantumAttentionClassifier` on ``dataset`` (a loaded Dataset) and evaluate it."""
    import numpy as np

    from qnlp.registry import registry

    if dataset.task != "classification":
        raise DatasetError(f"dataset {dataset.name!r} is a {dataset.task} dataset, not classification")
    clf = registry.make("model", ATTENTION, seed=seed, **settings)
    clf.fit(dataset.train.texts, dataset.train.labels)
    train_acc = float(np.mean(clf.predict(dataset.train.texts) == np.asarray(dataset.train.labels)))
    test_acc = float(np.mean(clf.predict(dataset.test.texts) == np.asarray(dataset.test.labels)))
    result = {
        "model": ATTENTION,
        "dataset": dataset.name,
        "seed": seed,
        "head": clf.head,
        "n_heads": int(clf.n_heads),
        "n_layers": int(clf.n_layers),
        "qubits_per_token": int(clf.n_qubits),
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "train_seconds": round(float(sum(r.seconds for r in clf.history_)), 4),
        "fit_seconds": round(clf.fit_seconds_, 3),
        "epochs": int(clf.epochs),
        "n_parameters": int(clf.n_parameters_),
        "circuit_depth": int(clf.circuit_depth()["total"]),
        "n_train": len(dataset.train),
        "n_test": len(dataset.test),
        "settings": {k: v for k, v in clf.get_params().items() if k not in _NOT_SETTABLE},
    }
    if out is not None:
        clf.save(out)
        result["model_dir"] = str(out)
    return result


# -- prediction and explanation -------------------------------------------------------------------
def _tokens_or_error(sentence: str, max_len) -> tuple[list[str], str | None]:
    from qnlp.models.attention.states import tokenize

    if not sentence.strip():
        return [], "empty or whitespace-only sentence"
    tokens = tokenize(sentence)[:max_len]
    if not tokens:
        return [], f"no tokens in {sentence!r} (the attention tokeniser keeps letters, digits, '!' and '?')"
    return tokens, None


def predict_attention(model_dir: str | Path, sentences: Sequence[str], *, backend: str | None = None,
                      shots: int | None = None, seed: int | None = None) -> list[dict]:
    """As :func:`qnlp.cli.commands.predict`, for an attention model folder: label, class
    probabilities and the words not seen in training, or an ``error`` entry per bad sentence.

    ``backend`` ``None`` or ``"exact"``: the exact torch engine; otherwise the circuits run on that
    pytket backend with ``shots`` and ``seed`` (:mod:`qnlp.models.attention.shots`).
    """
    clf = load_attention(model_dir)
    run = {} if backend in (None, "exact") and shots is None and seed is None else \
        {"backend": None if backend == "exact" else backend, "shots": shots, "seed": seed}
    results: list[dict] = []
    good = []
    for i, s in enumerate(sentences):
        tokens, error = _tokens_or_error(s, clf.max_len)
        if error:
            results.append({"sentence": s, "error": error})
            continue
        unknown = list(dict.fromkeys(t for t in tokens if t not in clf.vocab_.index))
        results.append({"sentence": s, "unknown_words": unknown})
        good.append(i)
    if good:
        probs = clf.predict_proba([sentences[i] for i in good], **run)
        for i, p in zip(good, probs):
            results[i] = {"sentence": sentences[i],
                          "label": str(clf.classes_[int(p.argmax())]),
                          "probabilities": {str(c): float(v) for c, v in zip(clf.classes_, p)},
                          "unknown_words": results[i]["unknown_words"]}
    return results


def explain(model_dir: str | Path, sentence: str, *, top: int = 5, out: str | Path | None = None) -> dict:
    """Attention map of ``sentence`` under the attention model in ``model_dir``.

    Returns the dictionary of :meth:`AttentionExplanation.to_dict` (tokens, per-head weights,
    attention received per token = mean over heads and query tokens, the ``top`` tokens by it,
    prediction) plus ``head`` and, if ``out`` is given, ``png`` (the heatmap written there).
    """
    from qnlp.models.attention.explain import draw_attention, explain_sentence

    if top < 1:
        raise ConfigError(f"--top must be >= 1, got {top}")
    if model_kind(model_dir) != ATTENTION:
        raise ConfigError(f"{model_dir} holds a DisCoCat model; qnlp explain needs an attention model "
                          f"(train one with `qnlp train --model attention`)")
    if out is not None and Path(out).suffix.lower() != ".png":
        raise ConfigError(f"the attention map is a PNG: give a .png file name, got {Path(out).name!r}")
    clf = load_attention(model_dir)
    tokens, error = _tokens_or_error(sentence, clf.max_len)
    if error:
        raise ParseError(error)
    exp = explain_sentence(clf, sentence)
    result = exp.to_dict(top)
    result["head"] = clf.head
    if out is not None:
        result["png"] = str(draw_attention(exp, out))
    return result
