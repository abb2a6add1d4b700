"""Rebuild the bundled pretrained attention models (``init_from="sst2"`` etc.) on SST-2 train::

    python -m qnlp.bench.pretrain                 # all of them
    python -m qnlp.bench.pretrain sst2 --out /tmp/sst2

The folders land in ``qnlp/models/attention/pretrained_models`` (see
:mod:`qnlp.models.attention.pretrained`, which only reads them).
"""

from __future__ import annotations

from pathlib import Path

from qnlp.datasets import load
from qnlp.estimators.attention import ClassicalAttentionClassifier, QuantumAttentionClassifier
from qnlp.models.attention.pretrained import FOLDER, PRETRAINED

#: Training settings of the bundled models (SST-2 train, seed 0): the SST-2 settings of
#: docs/attention.md with 6 epochs instead of 3 (the best of 16 pretraining variants for
#: fine-tuning on yelp/imdb, docs/attention.md), and the default architecture (4 qubits, 2 layers,
#: 1 gaussian head). The classical model gets the same data, epochs and batches.
PRETRAIN_SETTINGS = {
    "sst2": dict(n_qubits=4, n_layers=2, n_heads=1, epochs=6, batch_size=128,
                 learning_rate=0.05, weight_decay=0.0003, random_state=0),
    "sst2-classical": dict(n_qubits=4, n_layers=2, n_heads=1, epochs=6, batch_size=128,
                           learning_rate=0.01, weight_decay=0.0003, random_state=0),
    # MiniLM token states + per-word offsets: the SST-2 dev 0.861 model of docs/attention.md
    # (needs ``pip install 'qnlp[embeddings]'`` to fine-tune or predict)
    "sst2-minilm": dict(source="minilm", n_qubits=4, n_layers=2, n_heads=1, init_scale=0.1,
                        sentence_token=True, residual=False, word_offsets=True, epochs=3,
                        batch_size=128, learning_rate=0.01, weight_decay=0.0003, random_state=0),
}


def build_pretrained(name: str, out=None, embedding_cache=None) -> Path:
    """Train the bundled model ``name`` on the bundled SST-2 training phrases and save it.

    ``out`` defaults to the bundled folder (what ``init_from=name`` reads). Takes ~1-3 minutes
    on 2 cores (``sst2-minilm``: plus ~16 minutes to encode SST-2 with MiniLM, unless
    ``embedding_cache`` already holds it; the cache folder is not recorded in the model).
    Reports the SST-2 dev accuracy.
    """

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
