"""Benchmark of the tket backend: shots against exact, our backend against lambeq's TketModel.

Run ``python -m qnlp.bench.tket_bench`` (about 10 minutes on 2 cores). In one process it

(a) trains exact DisCoCat IQP models on MC and RP: by default the CLI's model (``qnlp train``:
    dependency parser, IQP, exact training); with ``--model cups`` cups-reader diagrams,
    ``IQPAnsatz({"n": 1, "s": 1}, n_layers=1)``, Adam on the NLL of the label (these circuits
    post-select all but one qubit and keep ~10 of 8192 shots);
(b) evaluates the 30 MC test circuits at 8192 shots with our ``aer`` backend (Born sampler, and
    ``sampler="aer"``) and with lambeq 0.5.0's ``TketModel`` as documented, interleaved, timing
    all three, and compares the probabilities with the exact ones;
(c) tabulates test accuracy exact vs ``aer`` vs ``aer-noisy:<device>`` on MC and RP.

Results are printed as text and, with ``--json PATH``, saved as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "datasets" / "lambeq"


def read_split(name: str) -> tuple[list[str], list[int]]:
    """Sentences (trailing full stop removed) and integer labels of a lambeq data file."""
    texts, labels = [], []
    for line in (DATA / f"{name}_data.txt").read_text().splitlines():
        if not line.strip():
            continue
        label, text = line.split(maxsplit=1)
        texts.append(text.strip().removesuffix(".").strip())
        labels.append(int(label))
    return texts, labels


def make_circuits(texts):
    from lambeq import cups_reader

    from qnlp.circuits.ansatz import IQPAnsatz

    diagrams = [cups_reader.sentence2diagram(t) for t in texts]
    return IQPAnsatz({"n": 1, "s": 1}, n_layers=1)(diagrams, texts)


def train_exact(train_circuits, train_labels, symbols, *, steps=200, lr=0.1, seed=0):
    """Adam on the NLL of the label with the exact backend; returns ``{symbol: value}``."""
    import torch

    from qnlp.backends.exact import ExactBackend

    index = {s: i for i, s in enumerate(symbols)}
    backend = ExactBackend(device="cpu")
    batch = backend.compile(train_circuits, index.__getitem__)
    gen = torch.Generator().manual_seed(seed)
    theta = torch.rand(len(symbols), generator=gen, dtype=torch.float64).requires_grad_(True)
    y = torch.as_tensor(train_labels)
    opt = torch.optim.Adam([theta], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        probs = batch.probabilities(theta)
        loss = -torch.log(probs[torch.arange(len(y)), y].clamp_min(1e-9)).mean()
        loss.backward()
        opt.step()
    return {s: float(v) for s, v in zip(symbols, theta.detach().numpy())}, float(loss.detach())


def train_default(task: str, seed: int):
    """The CLI's default model (``qnlp train --dataset TASK --seed SEED``): our dependency parser,
    IQP, exact training. Returns train/test circuits, label indices, ``{symbol: value}``, loss."""
    from qnlp.datasets import load
    from qnlp.estimators import QuantumTextClassifier

    data = load(task)
    clf = QuantumTextClassifier(random_state=seed).fit(data.train.texts, data.train.labels)
    classes = list(clf.classes_)
    tr_c, te_c = clf.circuits(data.train.texts), clf.circuits(data.test.texts)
    model = clf.model_
    params = {s: float(model.weights[model.lookup(s)]) for c in tr_c + te_c for s in c.symbols}
    loss = float(clf.history_.epochs[-1].loss) if clf.history_.epochs else float("nan")
    return (tr_c, [classes.index(y) for y in data.train.labels], te_c,
            [classes.index(y) for y in data.test.labels], params, loss)


def positive_probability(results) -> np.ndarray:
    """P(class 1) of each result: outcome 1 of the first two outcomes, renormalised (as the
    classifier reads a one-qubit sentence type)."""
    flat = np.stack([np.asarray(r, dtype=float).reshape(-1)[:2] for r in results])
    return flat[:, 1] / flat.sum(1).clip(1e-30)


def accuracy(p1: np.ndarray, labels) -> float:
    return float(np.mean((p1 > 0.5).astype(int) == np.asarray(labels)))


def run_lambeq(circuits, params, shots):
    """lambeq 0.5.0's TketModel as documented; returns (P(1) per circuit, seconds)."""
    from lambeq import TketModel
    from pytket.extensions.qiskit import AerBackend

    lam = [c.lambeq for c in circuits]
    backend = AerBackend()
    model = TketModel.from_diagrams(lam, backend_config={
        "backend": backend, "compilation": backend.default_compilation_pass(2), "shots": shots})
    model.weights = np.asarray([params[str(s)] for s in model.symbols])
    t0 = time.perf_counter()
    out = model(lam)
    return positive_probability(list(np.asarray(out))), time.perf_counter() - t0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=8192)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--device", default="fake_brisbane")
    parser.add_argument("--noisy-shots", type=int, default=8192)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timing repeats in (b)")
    parser.add_argument("--speed-only", action="store_true", help="stop after (b)")
    parser.add_argument("--model", choices=("default", "cups"), default="default",
                        help="default: the CLI's model (dependency parser, IQP, trained as `qnlp train`); "
                             "cups: cups-reader diagrams trained here (circuits keep ~10 of 8192 shots)")
    args = parser.parse_args(argv)

    from qnlp.backends.base import RunConfig
    from qnlp.backends.exact import ExactBackend
    from qnlp.backends.factory import make_backend

    out: dict = {"shots": args.shots, "device": args.device, "steps": args.steps}
    models = {}
    # (a) exact training
    for task, (tr, te) in {"mc": ("mc_train", "mc_test"), "rp": ("rp_train", "rp_test")}.items():
        t0 = time.perf_counter()
        if args.model == "cups":
            tr_x, tr_y = read_split(tr)
            te_x, te_y = read_split(te)
            tr_c, te_c = make_circuits(tr_x), make_circuits(te_x)
            symbols = sorted({s for c in tr_c + te_c for s in c.symbols})
            params, loss = train_exact(tr_c, tr_y, symbols, steps=args.steps, seed=args.seed)
        else:
            tr_c, tr_y, te_c, te_y, params, loss = train_default(task, args.seed)
        train_s = time.perf_counter() - t0
        exact = positive_probability(ExactBackend(device="cpu").run(te_c, params))
        exact_train = positive_probability(ExactBackend(device="cpu").run(tr_c, params))
        models[task] = (te_c, te_y, params, exact)
        out[task] = {"train_loss": loss, "train_seconds": train_s,
                     "train_accuracy_exact": accuracy(exact_train, tr_y),
                     "test_accuracy_exact": accuracy(exact, te_y),
                     "qubits_max": max(c.n_qubits for c in te_c)}
        print(f"[a] {task} ({args.model} model): trained in {train_s:.1f} s, loss {loss:.4f}, "
              f"train acc {out[task]['train_accuracy_exact']:.2f}, "
              f"test acc (exact) {out[task]['test_accuracy_exact']:.2f}, "
              f"up to {out[task]['qubits_max']} qubits", flush=True)

    # (b) MC test at 8192 shots: ours (Born sampler, and AerBackend sampling) vs lambeq,
    # repeated and interleaved so that load changes hit all three alike; medians reported
    te_c, te_y, params, exact = models["mc"]
    n = len(te_c)
    aer = make_backend("aer")
    aer_own = make_backend("aer", sampler="aer")
    times: dict = {"ours": [], "ours_aer_sampler": [], "lambeq": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        ours_cold = positive_probability(aer.run(te_c, params, RunConfig(shots=args.shots, seed=args.seed)))
        cold_s = time.perf_counter() - t0
        aer_own.run(te_c, params, RunConfig(shots=args.shots, seed=args.seed))  # warm its caches
        for rep in range(args.repeats):
            t0 = time.perf_counter()
            ours = positive_probability(aer.run(te_c, params, RunConfig(shots=args.shots, seed=args.seed + 1 + rep)))
            times["ours"].append(time.perf_counter() - t0)
            kept = aer.last_kept_shots_.copy()
            t0 = time.perf_counter()
            ours_own = positive_probability(aer_own.run(te_c, params, RunConfig(shots=args.shots, seed=args.seed + 1 + rep)))
            times["ours_aer_sampler"].append(time.perf_counter() - t0)
            lam_p, lam_s = run_lambeq(te_c, params, args.shots)
            times["lambeq"].append(lam_s)
    med = {k: float(np.median(v)) / n for k, v in times.items()}
    b = {
        "repeats": args.repeats, "ours_cold_s_per_circuit": cold_s / n,
        "s_per_circuit_median": med,
        "s_per_circuit_all": {k: [t / n for t in v] for k, v in times.items()},
        "ratio_lambeq_over_ours": med["lambeq"] / med["ours"],
        "ratio_lambeq_over_ours_aer_sampler": med["lambeq"] / med["ours_aer_sampler"],
        "ratio_lambeq_over_ours_cold": med["lambeq"] / (cold_s / n),
        "ours_mean_abs_dp": float(np.mean(np.abs(ours - exact))),
        "ours_aer_sampler_mean_abs_dp": float(np.mean(np.abs(ours_own - exact))),
        "ours_cold_mean_abs_dp": float(np.mean(np.abs(ours_cold - exact))),
        "lambeq_mean_abs_dp": float(np.mean(np.abs(lam_p - exact))),
        "ours_accuracy": accuracy(ours, te_y), "ours_aer_sampler_accuracy": accuracy(ours_own, te_y),
        "lambeq_accuracy": accuracy(lam_p, te_y), "exact_accuracy": accuracy(exact, te_y),
        "kept_shots_min_median_max": [int(kept.min()), float(np.median(kept)), int(kept.max())],
        "low_kept_warnings": len(caught),
    }
    out["mc_shots_vs_lambeq"] = b
    print(f"[b] MC test, {args.shots} shots, {n} circuits, median of {args.repeats} interleaved repeats")
    print(f"    ours (aer, Born sampler): {med['ours'] * 1e3:.1f} ms/circuit "
          f"(first run incl. export + compile: {cold_s / n * 1e3:.1f})")
    print(f"    ours (aer, sampler='aer', AerBackend draws the shots): {med['ours_aer_sampler'] * 1e3:.1f} ms/circuit")
    print(f"    lambeq TketModel: {med['lambeq'] * 1e3:.1f} ms/circuit")
    print(f"    ratio lambeq/ours: {b['ratio_lambeq_over_ours']:.1f}x (Born sampler), "
          f"{b['ratio_lambeq_over_ours_aer_sampler']:.1f}x (Aer sampler), {b['ratio_lambeq_over_ours_cold']:.1f}x (cold)")
    print(f"    mean |p_shots - p_exact|: ours {b['ours_mean_abs_dp']:.4f}, Aer sampler "
          f"{b['ours_aer_sampler_mean_abs_dp']:.4f}, lambeq {b['lambeq_mean_abs_dp']:.4f}")
    print(f"    accuracy: exact {b['exact_accuracy']:.2f}, ours {b['ours_accuracy']:.2f}, Aer sampler "
          f"{b['ours_aer_sampler_accuracy']:.2f}, lambeq {b['lambeq_accuracy']:.2f}")
    print(f"    kept shots per circuit (min/median/max): {b['kept_shots_min_median_max']}", flush=True)
    if args.speed_only:
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
        return out

    # (b2) how many shots does post-selection need? a shot sweep (shots sampled from the exact
    # distribution by aer-state, plus one large aer run)
    state = make_backend("aer-state")
    sweep = []
    for shots in (8192, 65536, 1 << 20):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = positive_probability(state.run(te_c, params, RunConfig(shots=shots, seed=args.seed)))
        sweep.append({"shots": shots, "mean_abs_dp": float(np.mean(np.abs(p - exact))),
                      "accuracy": accuracy(p, te_y), "kept_median": float(np.median(state.last_kept_shots_))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        p = positive_probability(aer.run(te_c, params, RunConfig(shots=1 << 17, seed=args.seed)))
        big_s = time.perf_counter() - t0
    sweep.append({"shots": 1 << 17, "backend": "aer", "mean_abs_dp": float(np.mean(np.abs(p - exact))),
                  "accuracy": accuracy(p, te_y), "kept_median": float(np.median(aer.last_kept_shots_)),
                  "s_per_circuit": big_s / n})
    out["mc_postselection"] = {"sweep": sweep}
    print(f"[b2] shot sweep (median kept fraction {sweep[-2]['kept_median'] / sweep[-2]['shots']:.2e})")
    for r in sweep:
        print(f"    {r.get('backend', 'aer-state (sampled)')} {r['shots']} shots: mean |dp| "
              f"{r['mean_abs_dp']:.4f}, accuracy {r['accuracy']:.2f}, median kept {r['kept_median']:.0f}"
              + (f", {r['s_per_circuit'] * 1e3:.0f} ms/circuit" if "s_per_circuit" in r else ""))

    # (c) exact vs aer vs noisy
    table = []
    noisy = make_backend(f"aer-noisy:{args.device}")
    for task in ("mc", "rp"):
        te_c, te_y, params, exact = models[task]
        row = {"task": task, "exact": accuracy(exact, te_y)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = positive_probability(aer.run(te_c, params, RunConfig(shots=args.shots, seed=args.seed)))
            row["aer"] = accuracy(p, te_y)
            row["aer_mean_abs_dp"] = float(np.mean(np.abs(p - exact)))
            row["aer_kept_median"] = float(np.median(aer.last_kept_shots_))
            t0 = time.perf_counter()
            p = positive_probability(noisy.run(te_c, params, RunConfig(shots=args.noisy_shots, seed=args.seed)))
            row["noisy_seconds"] = time.perf_counter() - t0
            row["noisy"] = accuracy(p, te_y)
            row["noisy_mean_abs_dp"] = float(np.mean(np.abs(p - exact)))
            row["noisy_kept_median"] = float(np.median(noisy.last_kept_shots_))
        rep = noisy.compile_report(te_c)
        row["noisy_compiled_qubits_max"] = max(r["n_qubits"] for r in rep)
        row["noisy_2q_gates_mean"] = float(np.mean([r["n_2q_gates"] for r in rep]))
        row["noisy_depth_mean"] = float(np.mean([r["depth"] for r in rep]))
        table.append(row)
    out["accuracy_table"] = table
    print(f"[c] test accuracy (aer {args.shots} shots, aer-noisy:{args.device} {args.noisy_shots} shots)")
    print("    task | exact | aer  | noisy | aer |dp| | noisy |dp| | kept aer/noisy (median) | "
          "noisy: max qubits, mean 2q gates, mean depth")
    for r in table:
        print(f"    {r['task']:4} | {r['exact']:.2f}  | {r['aer']:.2f} | {r['noisy']:.2f}  | "
              f"{r['aer_mean_abs_dp']:.3f}    | {r['noisy_mean_abs_dp']:.3f}      | "
              f"{r['aer_kept_median']:.0f}/{r['noisy_kept_median']:.0f} | "
              f"{r['noisy_compiled_qubits_max']}, {r['noisy_2q_gates_mean']:.1f}, {r['noisy_depth_mean']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
