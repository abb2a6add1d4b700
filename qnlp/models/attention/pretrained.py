"""Pretrained attention models shipped with qnlp, for fine-tuning (``init_from``).

``init_from="sst2"`` names the quantum attention model (word states) trained on the bundled SST-2
training phrases, ``"sst2-classical"`` the classical attention baseline trained the same way and
``"sst2-minilm"`` the quantum model with MiniLM token states plus word offsets
(:data:`PRETRAINED`); any other value is a model folder written by ``save``. The bundled
folders are plain ``config.json`` + ``weights.npz`` (no pickle), rebuilt by the command in
``docs/attention.md``.
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


#: Training settings of the bundled models (SST-2 train, seed 0): the SST-2 settings of
#: docs/attention.md with 6 epochs instead of 3 (the best of 16 pretraining variants for
#: fine-tuning on yelp/imdb, docs/attention.md), and the default architecture (4 qubits, 2 layers,
#: 1 gaussian head). The classical model gets the same data, epochs and batches.
PRETRAIN_SETTINGS = {
    "sst2": dict(n_qubits=4, n_layers=2, n_heads=1, epochs=6, batch_size=128,
                 learning_rate=0.05, weight_decay=0.0003, seed=0),
    "sst2-classical": dict(n_qubits=4, n_layers=2, n_heads=1, epochs=6, batch_size=128,
                           learning_rate=0.01, weight_decay=0.0003, seed=0),
    # MiniLM token states + per-word offsets: the SST-2 dev 0.861 model of docs/attention.md
    # (needs ``pip install 'qnlp[embeddings]'`` to fine-tune or predict)
    "sst2-minilm": dict(source="minilm", n_qubits=4, n_layers=2, n_heads=1, init_scale=0.1,
                        sentence_token=True, residual=False, word_offsets=True, epochs=3,
                        batch_size=128, learning_rate=0.01, weight_decay=0.0003, seed=0),
}


def build_pretrained(name: str, out=None, embedding_cache=None) -> Path:
    """Train the bundled model ``name`` on the bundled SST-2 training phrases and save it.

    ``out`` defaults to the bundled folder (what ``init_from=name`` reads). Takes ~1-3 minutes
    on 2 cores (``sst2-minilm``: plus ~16 minutes to encode SST-2 with MiniLM, unless
    ``embedding_cache`` already holds it; the cache folder is not recorded in the model).
    Reports the SST-2 dev accuracy.
    """
    from qnlp.datasets import load
    from qnlp.estimators.attention import ClassicalAttentionClassifier, QuantumAttentionClassifier

    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained model {name!r}; valid: {', '.join(PRETRAINED)}")
    cls = ClassicalAttentionClassifier if name.endswith("-classical") else QuantumAttentionClassifier
    data = load("sst2", seed=0)
    settings = dict(PRETRAIN_SETTINGS[name])
    if settings.get("source") == "minilm":
        settings["embedding_cache"] = embedding_cache
    clf = cls(**settings).fit(data.train.texts, data.train.labels)
    score = clf.score(data.test.texts, data.test.labels)
    if settings.get("source") == "minilm":
        clf.embedding_cache = None  # a machine-local folder: not part of the model
    path = clf.save(FOLDER / PRETRAINED[name] if out is None else out)
    print(f"{name}: SST-2 dev accuracy {score:.3f}, {clf.n_parameters_} parameters, "
          f"{clf.fit_seconds_:.0f} s -> {path}")
    return path


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Rebuild the bundled pretrained attention models.")
    p.add_argument("names", nargs="*", default=list(PRETRAINED), help="default: all")
    p.add_argument("--out", help="folder for a single model (default: the bundled location)")
    p.add_argument("--embedding-cache", help="MiniLM embedding cache folder (sst2-minilm)")
    args = p.parse_args(argv)
    if args.out and len(args.names) != 1:
        raise SystemExit("--out needs exactly one name")
    for name in args.names:
        build_pretrained(name, args.out, args.embedding_cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


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
