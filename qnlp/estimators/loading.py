"""Load any saved model folder as the estimator that wrote it.

A model folder's ``config.json`` records its kind in ``model_type`` (``"discocat"`` for
:class:`~qnlp.estimators.QuantumTextClassifier`, the class name for the attention estimators);
:func:`model_kind` maps it to the registry name of the ``model`` stage. Folders without
``model_type`` are DisCoCat folders (the first format).
"""

from __future__ import annotations

from pathlib import Path

from qnlp.errors import ConfigError, ModelFileError

DISCOCAT, ATTENTION, CLASSICAL_ATTENTION = "discocat.v1", "attention.v1", "classical-attention.v1"
BILINGUAL, SEQ2SEQ = "bilingual.v1", "seq2seq.v1"

#: ``config.json`` ``model_type`` -> registry name (stage ``"model"``)
MODEL_TYPES = {"discocat": DISCOCAT, "QuantumAttentionClassifier": ATTENTION,
               "ClassicalAttentionClassifier": CLASSICAL_ATTENTION, "BilingualMatcher": BILINGUAL,
               "Seq2SeqTranslator": SEQ2SEQ}

#: kinds whose estimators have attention weights (``qnlp explain``)
ATTENTION_KINDS = (ATTENTION, CLASSICAL_ATTENTION)

#: kinds that classify text (``qnlp predict``) and kinds that translate (``qnlp translate``)
CLASSIFIER_KINDS = (DISCOCAT, ATTENTION, CLASSICAL_ATTENTION)
TRANSLATION_KINDS = (BILINGUAL, SEQ2SEQ)


def model_kind(path: str | Path) -> str:
    """Registry name of the model kind saved in folder ``path`` (``"discocat.v1"``, ...).

    Raises
    ------
    ModelFileError
        Not a model folder, or an unknown ``model_type``.
    """
    from qnlp.models.folders import read_model_config

    config = read_model_config(path)
    model_type = config.get("model_type", "discocat")
    if model_type not in MODEL_TYPES:
        raise ModelFileError(f"{Path(path) / 'config.json'}: unknown model_type {model_type!r}; "
                             f"valid: {', '.join(MODEL_TYPES)}")
    return MODEL_TYPES[model_type]


def load_model(path: str | Path, *, kind: str | tuple | None = None, **kwargs):
    """The fitted estimator saved in ``path``.

    Parameters
    ----------
    path : path
        A folder written by an estimator's ``save``.
    kind : str or tuple of str, optional
        Registry name(s) of the kinds the caller can use; another kind raises
        :class:`~qnlp.errors.ConfigError` naming both.
    **kwargs
        Passed to the estimator's ``load`` (``backend=`` for DisCoCat models).
    """
    from qnlp.registry import registry

    found = model_kind(path)
    wanted = (kind,) if isinstance(kind, str) else tuple(kind or ())
    if wanted and found not in wanted:
        names = " or ".join(w.split(".")[0] for w in wanted)
        raise ConfigError(f"{path} holds a {found.split('.')[0]} model; this needs a {names} model")
    return registry.get("model", found).load(path, **kwargs)
