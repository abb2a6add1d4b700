"""Benchmark: one training epoch of the default quantum attention model on SST-2 train.

Issue 5 asks for one epoch over the 67,349 SST-2 training phrases in at most 60 s on 2 cores.
Each measured configuration runs in a fresh subprocess (so ``ru_maxrss`` is that run's own peak
resident memory, torch's allocations included, which ``tracemalloc`` cannot see)::

    python -m qnlp.bench.attention_epoch_bench --repeats 3
    python -m qnlp.bench.attention_epoch_bench --batch-sizes 32 128 --threads 1 2

A run fits ``QuantumAttentionClassifier(epochs=1, batch_size=B, n_threads=K)`` (all other
parameters at their defaults: gaussian head, 4 qubits, 2 layers, 1 head, word angles) on SST-2
train and scores the 872 dev sentences. It reports separately the epoch itself
(``history_[0].seconds``), the tokenisation + vocabulary + encoding done inside ``fit`` before
training, and prediction on dev; the table gives medians over the repeats and the epoch's ratio to
the 60 s target. ``--src LABEL=DIR`` also times another source tree (e.g. an older commit
exported with ``git archive``) in the same session, for side-by-side comparisons.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 60.0


def measure(batch_size: int, threads: int, seed: int = 0) -> dict:
    """One fit of one epoch plus dev scoring in this process; returns timings and memory."""
    import torch  # noqa: F401  (imported before the first RSS reading, like the data)

    import qnlp

    from qnlp.datasets import load
    from qnlp.estimators.attention import QuantumAttentionClassifier

    t0 = time.perf_counter()
    ds = load("sst2")
    load_s = time.perf_counter() - t0
    rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    clf = QuantumAttentionClassifier(epochs=1, batch_size=batch_size, n_threads=threads, random_state=seed)
    t0 = time.perf_counter()
    clf.fit(ds.train.texts, ds.train.labels)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    acc = float(clf.score(ds.test.texts, ds.test.labels))  # SST-2's test split is its dev set
    predict_s = time.perf_counter() - t0
    epoch_s = clf.history_[0].seconds
    return {"batch_size": batch_size, "threads": threads, "seed": seed, "n_train": len(ds.train.texts),
            "epoch_s": epoch_s, "prep_s": fit_s - clf.fit_seconds_, "fit_s": fit_s,
            "load_s": load_s, "predict_s": predict_s, "dev_accuracy": acc,
            "train_loss": clf.history_[0].loss, "n_parameters": clf.n_parameters_,
            "rss_after_load_mib": rss_before_kib / 1024,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "qnlp_file": qnlp.__file__}


def run_child(batch_size: int, threads: int, src: str | None = None, seed: int = 0) -> dict:
    """:func:`measure` in a fresh interpreter (``src``: put that source tree first on the path)."""
    from qnlp.datasets.loaders import data_root

    env = dict(os.environ)
    env.setdefault("QNLP_DATA_DIR", str(data_root()))
    code = ("import json, sys; from qnlp.bench.attention_epoch_bench import measure; "
            f"print(json.dumps(measure({batch_size}, {threads}, {seed})))")
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src] + [p for p in [env.get("PYTHONPATH")] if p])
        # an older tree may lack this module: inline the measurement there
        code = _INLINE_MEASURE + f"\nprint(json.dumps(measure({batch_size}, {threads}, {seed})))"
    # ``python -c`` puts the working directory first on sys.path: run from the tree itself
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=src)
    if out.returncode != 0:
        raise RuntimeError(f"child run failed (batch {batch_size}, threads {threads}, src {src}):\n"
                           f"{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# self-contained copy of measure() for source trees that predate this module
import inspect as _inspect  # noqa: E402

_INLINE_MEASURE = ("import json, resource, time\n" + _inspect.getsource(measure))


def summarise(results: dict) -> str:
    """Fixed-width table: one row per configuration, medians over its repeats."""
    head = (f"{'config':<24} {'epoch s':>8} {'× 60 s':>7} {'prep s':>7} {'predict s':>9} "
            f"{'dev acc':>8} {'peak RSS MiB':>12}  epoch s, all repeats")
    rows = [head, "-" * len(head)]
    for label, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs)
               for k in ("epoch_s", "prep_s", "predict_s", "dev_accuracy", "peak_rss_mib")}
        rows.append(f"{label:<24} {med['epoch_s']:>8.1f} {med['epoch_s'] / TARGET_SECONDS:>7.2f} "
                    f"{med['prep_s']:>7.1f} {med['predict_s']:>9.1f} {med['dev_accuracy']:>8.3f} "
                    f"{med['peak_rss_mib']:>12.0f}  {[round(r['epoch_s'], 1) for r in runs]}")
    return "\n".join(rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[32])
    p.add_argument("--threads", nargs="+", type=int, default=[1])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--src", nargs="*", default=[], metavar="LABEL=DIR",
                   help="also time these source trees (interleaved with this one, same settings)")
    p.add_argument("--json", help="write every run to this JSON file")
    args = p.parse_args(argv)
    trees = [("this tree", None)]
    for item in args.src:
        label, sep, path = item.partition("=")
        if not sep:
            raise SystemExit(f"expected LABEL=DIR, got {item!r}")
        trees.append((label, path))
    results: dict[str, list[dict]] = {}
    load = os.getloadavg()[0]
    for rep in range(args.repeats):  # interleave configurations so load drifts hit all alike
        for label, src in trees:
            for bs in args.batch_sizes:
                for k in args.threads:
                    key = f"{label} b{bs} t{k}" if len(trees) > 1 else f"batch {bs}, {k} thread{'s' * (k > 1)}"
                    run = run_child(bs, k, src, args.seed)
                    results.setdefault(key, []).append(run)
                    print(f"[{rep + 1}/{args.repeats}] {key}: epoch {run['epoch_s']:.1f} s, prep "
                          f"{run['prep_s']:.1f} s, dev acc {run['dev_accuracy']:.3f}, peak RSS "
                          f"{run['peak_rss_mib']:.0f} MiB", file=sys.stderr, flush=True)
    first = next(iter(results.values()))[0]
    print(f"SST-2 train, {first['n_train']} phrases, default QuantumAttentionClassifier "
          f"({first['n_parameters']} parameters), 1 epoch, seed {args.seed}; "
          f"median of {args.repeats} fresh processes; load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(summarise(results))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "runs": results}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
