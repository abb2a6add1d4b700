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

from qnlp.errors import ConfigError, ParseError
from qnlp.estimators.loading import load_model, model_kind
from qnlp.estimators.experiment import RUN_PARAMETERS, train_attention_one  # noqa: F401  (used by main)



# -- settings ---------------------------------------------------------------------------------------
def parse_settings(items: Sequence[str]) -> dict:
    """``["head=fidelity", "n_heads=2"]`` -> ``{"head": "fidelity", "n_heads": 2}``.

    Values are read as JSON (``2``, ``0.003``, ``true``, ``null``), else kept as strings; keys must
    be parameters of :class:`~qnlp.estimators.attention.QuantumAttentionClassifier`.
    """
    from qnlp.utils import parse_key_values
    from qnlp.estimators.attention import QuantumAttentionClassifier

    valid = sorted(set(QuantumAttentionClassifier().get_params()) - set(RUN_PARAMETERS))
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
    from qnlp.models.attention.presets import quantum_config
    from qnlp.datasets import available

    return quantum_config(dataset if dataset in available() else "default", overrides)


# -- prediction and explanation -------------------------------------------------------------------
def _tokens_or_error(sentence: str, max_len) -> tuple[list[str], str | None]:
    from qnlp.text import tokenize

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
    pytket backend with ``shots`` and ``seed`` (:mod:`qnlp.models.attention.evaluators`).
    """
    from qnlp.estimators.loading import ATTENTION_KINDS

    clf = load_model(model_dir, kind=ATTENTION_KINDS)
    if backend not in (None, "exact") or shots is not None:
        if "backend" not in clf.get_params():
            raise ConfigError(f"{model_dir} holds a classical attention model: it has no circuits "
                              "to run on a backend (drop --backend/--shots)")
        clf.set_params(backend=None if backend == "exact" else backend, shots=shots)
        if seed is not None:
            clf.set_params(random_state=seed)
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
        probs = clf.predict_proba([sentences[i] for i in good])
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
    from qnlp.estimators.loading import ATTENTION_KINDS
    from qnlp.models.attention.explain import draw_attention

    if top < 1:
        raise ConfigError(f"--top must be >= 1, got {top}")
    if model_kind(model_dir) not in ATTENTION_KINDS:
        raise ConfigError(f"{model_dir} holds a DisCoCat model; qnlp explain needs an attention model "
                          f"(train one with `qnlp train --model attention`)")
    if out is not None and Path(out).suffix.lower() != ".png":
        raise ConfigError(f"the attention map is a PNG: give a .png file name, got {Path(out).name!r}")
    clf = load_model(model_dir, kind=ATTENTION_KINDS)
    tokens, error = _tokens_or_error(sentence, clf.max_len)
    if error:
        raise ParseError(error)
    exp = clf.explain(sentence)
    result = exp.to_dict(top)
    result["head"] = getattr(clf, "head", "dot-product")
    if out is not None:
        result["png"] = str(draw_attention(exp, out))
    return result
