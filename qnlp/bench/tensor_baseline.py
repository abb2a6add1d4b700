"""Benchmark: lambeq's classical tensor-network baseline (``PytorchModel``) where DisCoCat applies.

Same stored splits and seeds as :mod:`qnlp.bench.attention_bench` (``load(name, seed=s)``); the
sentences are parsed by the project's offline parser (``qnlp.parsing``, default ``dep``), each
word box becomes a trainable tensor through lambeq's ``SpiderAnsatz`` or ``TensorAnsatz`` and the
sentence tensor network is contracted by lambeq's ``PytorchModel``, trained by ``PytorchTrainer``::

    python -m qnlp.bench.tensor_baseline --datasets mc rp --seeds 0 1 2 3 4 --ansatz spider tensor

prints, per dataset and ansatz, test accuracy (mean ± sd over seeds), parameter count and training
time, and optionally writes every run as JSON (``--json``).

Choices (see docs/attention.md, "lambeq tensor-network baseline"):

* **Cups are kept.** lambeq's ``RemoveCupsRewriter`` exists to cut post-selection in quantum
  circuits; a tensor network contracts a cup exactly, so lambeq's classical pipeline keeps them.
* **Words are lower-cased** (as the TF-IDF and attention baselines do), and a word's tensor is keyed
  by word *and* pregroup type, as lambeq's ansätze name their symbols (``man__n``).
* **Unknown words.** lambeq raises ``KeyError: Unknown symbol`` for a word it has not trained. Every
  word box whose (word, type) pair was not seen in training (or was seen fewer than
  ``unk_min_count`` times) is renamed to ``<unk>`` with its type kept. With the default
  ``unk_min_count=1`` no training word is replaced, and an ``<unk>`` tensor is the mean of the
  trained tensors of the same type and piece (an "average word" of that type); a type no training
  word had gets a zero tensor (the sentence output is then 0: no evidence for either class). With
  ``unk_min_count=2`` the training words seen once are ``<unk>`` too, so the ``<unk>`` tensors are
  trained directly.
* **Output.** The sentence wire (``s``, or ``n`` for RP's noun phrases) has dimension = number of
  classes; the raw contraction is the logit vector: lambeq's classical tutorial's loss
  (``BCEWithLogitsLoss`` on one-hot labels), prediction = argmax.
* **Seeds.** ``PytorchTrainer(seed=s)`` seeds torch's and Python's global generators (lambeq's only
  way: weights are drawn by ``torch.rand``, batches shuffled by ``random``); we run it inside
  ``torch.random.fork_rng`` and restore Python's ``random`` state, so the caller's RNGs are untouched.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from qnlp.bench.tables import grouped, markdown_table, mean_sd
from qnlp.errors import ConfigError

#: Name of the unknown-word box.
UNK = "<unk>"

#: Ansätze by name.
ANSATZE = ("spider", "tensor")

#: Training settings, after lambeq's classical-pipeline tutorial (AdamW, lr 0.03, batch 30,
#: BCE with logits); fixed epoch count, no early stopping and no dev-set selection.
DEFAULTS = dict(dim=2, epochs=60, learning_rate=0.03, batch_size=30, unk_min_count=1)

_TAIL = re.compile(r"(_\d+)?__[^_]*$")


def _word_key(box) -> tuple[str, str]:
    return box.name.lower(), str(box.cod)


def _word_boxes(diagram):
    from lambeq.backend.grammar import Word

    return [b for b in diagram.boxes if isinstance(b, Word)]


def map_words(diagram, vocabulary=None):
    """``diagram`` with every word lower-cased, and renamed to :data:`UNK` (type kept) where its
    (word, type) pair is not in ``vocabulary`` (``None``: keep every word)."""
    from lambeq.backend.grammar import Functor, Word, grammar

    def ar(_, box):
        if not isinstance(box, Word):
            return box
        key = _word_key(box)
        name = key[0] if vocabulary is None or key in vocabulary else UNK
        return Word(name, box.cod)

    return Functor(grammar, ob=lambda _, ty: ty, ar=ar)(diagram)


class TensorNetworkClassifier:
    """A lambeq ``PytorchModel`` over DisCoCat diagrams, with unknown-word handling.

    Parameters
    ----------
    ansatz : {"spider", "tensor"}
        lambeq's ``SpiderAnsatz`` (a box with k wires = k−1 order-2 tensors joined by spiders) or
        ``TensorAnsatz`` (one tensor per word, of order = number of wires).
    dim : int
        Dimension of the noun wire ``n``; the sentence wire ``s`` has dimension = number of
        classes. If a diagram's output is ``n``, ``dim`` must equal the number of classes.
    epochs, learning_rate, batch_size : training settings of ``PytorchTrainer`` (AdamW).
    unk_min_count : int
        Training (word, type) pairs seen fewer times than this become :data:`UNK`.
    seed : int
        ``PytorchTrainer``'s seed (initial weights, batch order).
    """

    def __init__(self, *, ansatz="spider", dim=2, epochs=60, learning_rate=0.03, batch_size=30,
                 unk_min_count=1, seed=0):
        self.ansatz = ansatz
        self.dim = dim
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.unk_min_count = unk_min_count
        self.seed = seed

    def _make_ansatz(self, n_classes: int):
        from lambeq import AtomicType, SpiderAnsatz, TensorAnsatz
        from lambeq.backend.tensor import Dim

        if self.ansatz not in ANSATZE:
            raise ConfigError(f"unknown ansatz {self.ansatz!r}; valid: {', '.join(ANSATZE)}")
        ob_map = {AtomicType.NOUN: Dim(int(self.dim)), AtomicType.SENTENCE: Dim(n_classes)}
        return (SpiderAnsatz if self.ansatz == "spider" else TensorAnsatz)(ob_map)

    def _tensor_diagrams(self, diagrams):
        mapped = [map_words(d, self.vocabulary_) for d in diagrams]
        for d in mapped:
            if len(d.cod) != 1 or (str(d.cod) == "n" and self.dim != len(self.classes_)):
                raise ConfigError(f"diagram output {d.cod} has dimension {self.dim}, but there are "
                                  f"{len(self.classes_)} classes; use dim={len(self.classes_)} "
                                  "(output n) or a one-wire output")
        return [self.ansatz_(d) for d in mapped]

    def fit(self, diagrams, labels):
        """Train on lambeq grammar diagrams (one output wire each); returns ``self``."""
        import random
        import tempfile

        import torch
        from lambeq import Dataset, PytorchModel, PytorchTrainer

        labels = list(labels)
        if len(diagrams) != len(labels) or not labels:
            raise ValueError(f"need as many labels as diagrams (got {len(diagrams)} and {len(labels)})")
        self.classes_ = sorted(set(labels))
        if len(self.classes_) < 2:
            raise ValueError(f"need at least 2 classes, got {self.classes_}")
        counts = Counter(_word_key(b) for d in diagrams for b in _word_boxes(d))
        self.vocabulary_ = {k for k, c in counts.items() if c >= self.unk_min_count}
        self.ansatz_ = self._make_ansatz(len(self.classes_))
        circuits = self._tensor_diagrams(diagrams)
        index = {c: i for i, c in enumerate(self.classes_)}
        targets = np.zeros((len(labels), len(self.classes_)), dtype=np.float32)
        targets[np.arange(len(labels)), [index[y] for y in labels]] = 1.0

        py_state, threads = random.getstate(), torch.get_num_threads()
        torch.set_num_threads(1)  # tiny tensors: the thread pool costs more than it saves
        try:
            with torch.random.fork_rng(devices=[]), tempfile.TemporaryDirectory() as log_dir:
                model = PytorchModel.from_diagrams(circuits)
                trainer = PytorchTrainer(model=model, loss_function=torch.nn.BCEWithLogitsLoss(),
                                         optimizer=torch.optim.AdamW, learning_rate=self.learning_rate,
                                         epochs=self.epochs, evaluate_on_train=False, verbose="suppress",
                                         log_dir=log_dir, seed=self.seed)
                t0 = time.perf_counter()
                trainer.fit(Dataset(circuits, targets.tolist(), batch_size=self.batch_size))
                self.train_seconds_ = time.perf_counter() - t0
        finally:
            random.setstate(py_state)
            torch.set_num_threads(threads)
        self.model_ = model
        self.n_parameters_ = int(sum(w.numel() for w in model.weights))
        self.loss_history_ = list(trainer.train_epoch_costs)
        return self

    def _unknown_weight(self, symbol):
        """Mean of the trained tensors with the same type and piece as ``symbol``, else zeros."""
        import torch

        tail = symbol.name[len(UNK):]
        same = [w.detach() for s, w in zip(self.model_.symbols, self.model_.weights)
                if s.size == symbol.size and (m := _TAIL.search(s.name)) and m.group(0) == tail]
        return torch.stack(same).mean(0) if same else torch.zeros(symbol.size)

    def decision_function(self, diagrams) -> np.ndarray:
        """The contracted sentence tensors, shape ``(len(diagrams), n_classes)``."""
        import torch
        from lambeq import PytorchModel

        circuits = self._tensor_diagrams(diagrams)
        model = self.model_
        extra = sorted({s for c in circuits for s in c.free_symbols} - set(model.symbols),
                       key=lambda s: s.name)
        if extra:  # unseen <unk> pieces: evaluate with a copy that knows them
            tmp = PytorchModel(tn_path_optimizer=model.tn_path_optimizer)
            tmp.symbols = list(model.symbols) + extra
            tmp.weights = torch.nn.ParameterList(list(model.weights) +
                                                 [self._unknown_weight(s) for s in extra])
            model = tmp
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.no_grad():
                out = model(circuits) if circuits else torch.zeros((0, len(self.classes_)))
        finally:
            torch.set_num_threads(threads)
        return out.detach().numpy().reshape(len(circuits), -1)

    def predict(self, diagrams) -> list:
        """Class labels: argmax of :meth:`decision_function`."""
        scores = self.decision_function(diagrams)
        return [self.classes_[i] for i in scores.argmax(axis=1)]

    def unknown_words(self, diagrams) -> int:
        """How many word boxes of ``diagrams`` are mapped to :data:`UNK`."""
        return sum(_word_key(b) not in self.vocabulary_ for d in diagrams for b in _word_boxes(d))


class TensorNetworkTextClassifier:
    """:class:`TensorNetworkClassifier` on raw text (the benchmark pipelines' ``tensor-network``):
    texts are parsed by the project's parser; unparsed training texts are dropped and unparsed
    test texts get uniform probabilities (so they count as wrong, as in :func:`run_one`).
    Probabilities are the softmax of the contracted sentence tensors (the model is trained with
    logistic losses on them)."""

    def __init__(self, *, ansatz="spider", dim=2, epochs=60, learning_rate=0.03, batch_size=30,
                 unk_min_count=1, random_state=0):
        self.ansatz = ansatz
        self.dim = dim
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.unk_min_count = unk_min_count
        self.random_state = random_state

    def get_params(self, deep: bool = False) -> dict:
        return {k: getattr(self, k) for k in ("ansatz", "dim", "epochs", "learning_rate", "batch_size",
                                              "unk_min_count", "random_state")}

    def fit(self, texts, labels):
        params = self.get_params()
        seed = params.pop("random_state")
        diagrams = parse(texts)
        keep = [i for i, d in enumerate(diagrams) if d is not None]
        self.tn_ = TensorNetworkClassifier(**params, seed=seed).fit(
            [diagrams[i] for i in keep], [list(labels)[i] for i in keep])
        self.classes_ = np.asarray(self.tn_.classes_)
        self.n_parameters_ = self.tn_.n_parameters_
        self.loss_curve_, self.validation_scores_ = self.tn_.loss_history_, None
        return self

    def predict_proba(self, texts) -> np.ndarray:
        diagrams = parse(texts)
        out = np.full((len(diagrams), len(self.classes_)), 1.0 / len(self.classes_))
        keep = [i for i, d in enumerate(diagrams) if d is not None]
        if keep:
            scores = self.tn_.decision_function([diagrams[i] for i in keep])
            scores = np.exp(scores - scores.max(1, keepdims=True))
            out[keep] = scores / scores.sum(1, keepdims=True)
        return out

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(1)]


@dataclass
class Run:
    dataset: str
    model: str
    seed: int
    accuracy: float
    train_accuracy: float
    n_parameters: int
    train_seconds: float
    unknown_words: int
    unparsed_test: int


def parse(texts, parser=None):
    """Diagrams for ``texts`` with the project's parser (``None`` where parsing failed)."""
    from qnlp.parsing import make_parser

    parser = make_parser() if parser is None else parser
    return [None if r is None else r.diagram for r in parser.parse(list(texts), on_error="none")]


def run_one(dataset: str, seed: int, ansatze=ANSATZE, settings: dict | None = None,
            parser=None, cache: dict | None = None) -> list[Run]:
    """Train and test each ansatz on one stored split; one :class:`Run` per ansatz.

    Unparsed training sentences are dropped; an unparsed test sentence counts as wrong.
    """
    from qnlp.datasets import load

    ds = load(dataset, seed=seed)
    cache = {} if cache is None else cache
    todo = [t for t in ds.train.texts + ds.test.texts if t not in cache]
    cache.update(zip(todo, parse(todo, parser)))
    train = [(cache[t], y) for t, y in zip(ds.train.texts, ds.train.labels) if cache[t] is not None]
    test = [(cache[t], y) for t, y in zip(ds.test.texts, ds.test.labels) if cache[t] is not None]
    unparsed = len(ds.test) - len(test)
    cfg = {**DEFAULTS, **(settings or {})}
    runs = []
    for name in ansatze:
        clf = TensorNetworkClassifier(ansatz=name, seed=seed, **cfg)
        clf.fit([d for d, _ in train], [y for _, y in train])
        train_acc = float(np.mean(np.array(clf.predict([d for d, _ in train])) == [y for _, y in train]))
        pred = np.array(clf.predict([d for d, _ in test]))
        acc = float(np.sum(pred == [y for _, y in test]) / len(ds.test))
        label = f"lambeq-{name}" + (f" d={cfg['dim']}" if cfg["dim"] != 2 else "")
        runs.append(Run(dataset, label, seed, acc, train_acc, clf.n_parameters_, clf.train_seconds_,
                        clf.unknown_words([d for d, _ in test]), unparsed))
        print(f"{dataset} seed {seed} {label}: acc {acc:.3f} train {train_acc:.3f} "
              f"({clf.train_seconds_:.1f} s)", file=sys.stderr, flush=True)
    return runs


def summarise(runs: list[Run]) -> str:
    """A Markdown table: mean ± sd test accuracy over seeds per dataset and model."""
    return markdown_table(
        ["dataset", "model", "accuracy (mean ± sd)", "seeds", "train acc", "parameters",
         "unknown test words", "unparsed test", "train s"],
        [[ds, model, mean_sd([r.accuracy for r in rs]), len(rs), f"{np.mean([r.train_accuracy for r in rs]):.3f}",
          int(np.mean([r.n_parameters for r in rs])), f"{np.mean([r.unknown_words for r in rs]):.0f}",
          rs[0].unparsed_test, f"{np.mean([r.train_seconds for r in rs]):.1f}"] for ds, model, rs in grouped(runs)])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["mc", "rp"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--ansatz", nargs="+", default=list(ANSATZE), choices=ANSATZE)
    p.add_argument("--dim", type=int, default=DEFAULTS["dim"], help="dimension of the noun wire")
    p.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    p.add_argument("--lr", type=float, default=DEFAULTS["learning_rate"])
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--unk-min-count", type=int, default=DEFAULTS["unk_min_count"])
    p.add_argument("--json", help="write all runs to this JSON file")
    args = p.parse_args(argv)
    settings = dict(dim=args.dim, epochs=args.epochs, learning_rate=args.lr,
                    batch_size=args.batch_size, unk_min_count=args.unk_min_count)
    runs, cache = [], {}
    for ds in args.datasets:
        for seed in args.seeds:
            runs.extend(run_one(ds, seed, args.ansatz, settings, cache=cache))
    print(summarise(runs))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "settings": settings, "runs": [asdict(r) for r in runs]},
                      fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
