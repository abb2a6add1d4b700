"""Pretrained attention models shipped with qnlp, for fine-tuning (``init_from``).

``init_from="sst2"`` names the quantum attention model (word states) trained on the bundled SST-2
training phrases, ``"sst2-classical"`` the classical attention baseline trained the same way and
``"sst2-minilm"`` the quantum model with MiniLM token states plus word offsets
(:data:`PRETRAINED`); any other value is a model folder written by ``save``. The bundled
folders are plain ``config.json`` + ``weights.npz`` (no pickle), rebuilt by the command in
``docs/attention.md`` (``python -m qnlp.bench.pretrain``).
"""

from __future__ import annotations

from pathlib import Path

from qnlp.errors import ModelFileError

#: Bundled model folders (name -> folder under ``qnlp/models/attention/pretrained_models``).
PRETRAINED = {"sst2": "sst2-quantum", "sst2-classical": "sst2-classical",
              "sst2-minilm": "sst2-minilm-quantum"}

FOLDER = Path(__file__).with_name("pretrained_models")


def resolve_pretrained(source) -> Path:
    """Folder of a pretrained model: a bundled name (:data:`PRETRAINED`) or a path.

    Raises
    ------
    ModelFileError
        Neither a bundled name nor an existing folder.
    """
    name = str(source)
    if name in PRETRAINED:
        path = FOLDER / PRETRAINED[name]
        if not (path / "config.json").is_file():
            raise ModelFileError(f"the bundled pretrained model {name!r} is missing from {path}")
        return path
    path = Path(source).expanduser()
    if not (path / "config.json").is_file():
        raise ModelFileError(f"init_from={name!r}: not a model folder (no config.json) and not a "
                             f"bundled model ({', '.join(PRETRAINED)})")
    return path


#: Estimator parameters that fix a model's parameter shapes: a fine-tuned model must share them.
ARCHITECTURE_KEYS = ("head", "n_qubits", "n_layers", "n_heads", "source", "embed_dim", "positional",
                     "sentence_token", "residual", "syntax", "n_blocks", "discocat_token",
                     "word_offsets")


def pretrained_architecture(source) -> dict:
    """The architecture settings (:data:`ARCHITECTURE_KEYS`) of a pretrained model: a bundled
    name, a model folder, or a fitted estimator. Used to default a fine-tuned model's settings.

    >>> pretrained_architecture("sst2")["n_qubits"]
    4
    """
    from qnlp.models.folders import read_model_config

    if hasattr(source, "get_params"):
        params = source.get_params(deep=False)
    else:
        params = read_model_config(resolve_pretrained(source))["params"]
    return {k: params[k] for k in ARCHITECTURE_KEYS if k in params}
