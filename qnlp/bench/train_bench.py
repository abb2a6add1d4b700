"""Training speed: our exact backend against lambeq 0.5.0's models, same MC circuits, one run.

Run ``python -m qnlp.bench.train_bench`` (add ``--skip-nojit`` to leave out lambeq's slow
un-jitted NumpyModel, ``--epochs N`` to change the 120 epochs). Every model trains on the same
circuits (the default parser's MC diagrams, IQP ansatz, one qubit per type, one layer) with
per-epoch evaluation on the dev split, and is scored on the test split. Printed: wall time of
training, test accuracy, and each lambeq time divided by ours.

lambeq's models are trained as its documentation shows: NumpyModel with QuantumTrainer and
SPSA (batch size 10), PytorchQuantumModel with PytorchTrainer and AdamW (batch size 10).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np


def _mc_circuits(parser: str):
    from qnlp.circuits.ansatz import IQPAnsatz
    from qnlp.datasets import load
    from qnlp.parsing import make_parser

    data = load("mc")
    p = make_parser(parser)
    ansatz = IQPAnsatz({"n": 1, "s": 1}, n_layers=1)
    out = {}
    for split in ("train", "dev", "test"):
        s = getattr(data, split)
        diagrams = [r.diagram for r in p.parse(s.texts)]
        out[split] = (ansatz(diagrams, s.texts), np.asarray([int(v) for v in s.labels]))
    return out


def _onehot(y):
    return np.eye(2)[y]


def run_ours(circ, epochs: int, seed: int) -> dict:
    from qnlp.models.discocat import DisCoCatModel
    from qnlp.training.trainer import Trainer

    (train_c, train_y), (dev_c, dev_y), (test_c, test_y) = circ["train"], circ["dev"], circ["test"]
    t0 = time.perf_counter()
    model = DisCoCatModel.from_circuits(train_c + dev_c + test_c, ["0", "1"], seed=seed)
    Trainer(epochs=epochs, seed=seed).fit(model, train_c, train_y, val_circuits=dev_c, val_targets=dev_y)
    seconds = time.perf_counter() - t0
    acc = float((np.asarray(model.predict(test_c)).astype(int) == test_y).mean())
    return {"seconds": seconds, "test_accuracy": acc}


def _lambeq_acc(y_hat, y):
    return float(np.sum(np.round(y_hat) == y) / len(y) / 2)


def run_lambeq_numpy(circ, epochs: int, seed: int, jit: bool) -> dict:
    from lambeq import BinaryCrossEntropyLoss, Dataset, NumpyModel, QuantumTrainer, SPSAOptimizer

    (train_c, train_y), (dev_c, dev_y), (test_c, test_y) = circ["train"], circ["dev"], circ["test"]
    flat = {k: [c.lambeq for c in v[0]] for k, v in circ.items()}
    model = NumpyModel.from_diagrams(flat["train"] + flat["dev"] + flat["test"], use_jit=jit)
    model.initialise_weights()
    trainer = QuantumTrainer(
        model, loss_function=BinaryCrossEntropyLoss(use_jax=jit), epochs=epochs, optimizer=SPSAOptimizer,
        optim_hyperparams={"a": 0.05, "c": 0.06, "A": 0.01 * epochs}, evaluate_functions={"acc": _lambeq_acc},
        evaluate_on_train=True, verbose="suppress", seed=seed)
    train = Dataset(flat["train"], _onehot(train_y), batch_size=10)
    val = Dataset(flat["dev"], _onehot(dev_y), shuffle=False)
    t0 = time.perf_counter()
    trainer.fit(train, val)
    seconds = time.perf_counter() - t0
    acc = _lambeq_acc(np.asarray(model(flat["test"])), _onehot(test_y))
    return {"seconds": seconds, "test_accuracy": acc}


def run_lambeq_torch(circ, epochs: int, seed: int) -> dict:
    import torch
    from lambeq import Dataset, PytorchQuantumModel, PytorchTrainer

    (train_c, train_y), (dev_c, dev_y), (test_c, test_y) = circ["train"], circ["dev"], circ["test"]
    flat = {k: [c.lambeq for c in v[0]] for k, v in circ.items()}
    model = PytorchQuantumModel.from_diagrams(flat["train"] + flat["dev"] + flat["test"])
    model.initialise_weights()

    def acc(y_hat, y):
        return float((torch.round(y_hat.double()) == y.double()).sum().item() / len(y) / 2)

    trainer = PytorchTrainer(model, loss_function=lambda y_hat, y: torch.nn.functional.binary_cross_entropy(
                                 y_hat.double(), y.double()), optimizer=torch.optim.AdamW,
                             learning_rate=0.1, epochs=epochs, evaluate_functions={"acc": acc},
                             evaluate_on_train=True, verbose="suppress", seed=seed)
    train = Dataset(flat["train"], _onehot(train_y).astype(np.float32), batch_size=10)
    val = Dataset(flat["dev"], _onehot(dev_y).astype(np.float32), shuffle=False)
    t0 = time.perf_counter()
    trainer.fit(train, val)
    seconds = time.perf_counter() - t0
    with torch.no_grad():
        pred = model(flat["test"]).numpy()
    return {"seconds": seconds, "test_accuracy": _lambeq_acc(pred, _onehot(test_y))}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=5, help="repeats of our (fast) run; the median is used")
    ap.add_argument("--parser", default="default")
    ap.add_argument("--skip-nojit", action="store_true")
    ap.add_argument("--skip-torch", action="store_true", help="leave out lambeq's PytorchQuantumModel")
    ap.add_argument("--skip-lambeq", action="store_true")
    ap.add_argument("--json", dest="json_out", default=None, help="write results to this file")
    args = ap.parse_args(argv)
    os.chdir(tempfile.mkdtemp(prefix="qnlp-bench-"))  # lambeq's trainers write log folders
    circ = _mc_circuits(args.parser)
    runs = [run_ours(circ, args.epochs, args.seed) for _ in range(args.repeats)]
    ours = {"seconds": statistics.median(r["seconds"] for r in runs),
            "seconds_all": [round(r["seconds"], 3) for r in runs],
            "test_accuracy": runs[0]["test_accuracy"]}
    results = {"qnlp exact (ours)": ours}
    if not args.skip_lambeq:
        try:
            import jax  # noqa: F401
            results["lambeq NumpyModel (jit)"] = run_lambeq_numpy(circ, args.epochs, args.seed, jit=True)
        except ImportError:
            print("jax not installed: skipping NumpyModel with jit (pip install jax)")
        if not args.skip_nojit:
            results["lambeq NumpyModel (no jit)"] = run_lambeq_numpy(circ, args.epochs, args.seed, jit=False)
        if not args.skip_torch:
            results["lambeq PytorchQuantumModel"] = run_lambeq_torch(circ, args.epochs, args.seed)
    print(f"MC, {args.epochs} epochs, per-epoch dev evaluation, parser {args.parser}, IQP 1 layer")
    print(f"{'model':<30}{'train s':>10}{'test acc':>10}{'× ours':>10}")
    for name, r in results.items():
        ratio = r["seconds"] / ours["seconds"]
        r["ratio_to_ours"] = ratio
        print(f"{name:<30}{r['seconds']:>10.3f}{r['test_accuracy']:>10.3f}{ratio:>10.1f}")
    print(f"ours, all {args.repeats} repeats (s): {ours['seconds_all']}")
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
