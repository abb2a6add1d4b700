"""Shot-based inference of a trained quantum attention model: exact vs Aer vs noisy Aer.

Trains the default quantum attention model of the attention bench
(:data:`qnlp.bench.attention_bench.QUANTUM_CONFIGS`) exactly on one stored split, then predicts
the test set on the exact engine and on each pytket backend::

    nice -n 10 python -m qnlp.bench.attention_shots_bench --datasets mc --heads gaussian fidelity

Reports accuracy, mean and max ``|p_backend - p_exact|`` (probability of the first class),
agreement of predicted labels with the exact model, distinct circuits per sentence and wall time.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def run(dataset: str, seed: int, head: str, backends, shots: int, limit: int | None,
        shot_seed: int = 0) -> list[dict]:
    from qnlp.bench.attention_bench import quantum_config
    from qnlp.datasets import load
    from qnlp.estimators.attention import QuantumAttentionClassifier

    ds = load(dataset, seed=seed)
    X, y = list(ds.test.texts), np.asarray(ds.test.labels)
    if limit:
        X, y = X[:limit], y[:limit]
    t0 = time.perf_counter()
    clf = QuantumAttentionClassifier(head=head, random_state=seed, **quantum_config(dataset))
    clf.fit(ds.train.texts, ds.train.labels)
    print(f"# {dataset} seed {seed} {head}: trained in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    t0 = time.perf_counter()
    p_exact = clf.predict_proba(X)
    rows = [dict(dataset=dataset, head=head, backend="exact", shots="-", n=len(X),
                 accuracy=float((clf.classes_[p_exact.argmax(1)] == y).mean()), mean_dp=0.0, max_dp=0.0,
                 agree=1.0, circuits=0.0, before=0.0, seconds=time.perf_counter() - t0)]
    for name in backends:
        t0 = time.perf_counter()
        p, rep = clf.set_params(backend=name, shots=shots, random_state=shot_seed).predict_proba_report(X)
        clf.set_params(backend=None, shots=None, random_state=seed)
        dp = np.abs(p[:, 0] - p_exact[:, 0])
        rows.append(dict(dataset=dataset, head=head, backend=name, shots=shots, n=len(X),
                         accuracy=float((clf.classes_[p.argmax(1)] == y).mean()),
                         mean_dp=float(dp.mean()), max_dp=float(dp.max()),
                         agree=float((p.argmax(1) == p_exact.argmax(1)).mean()),
                         circuits=rep.n_unique / max(1, len(X)),
                         before=rep.n_circuits / max(1, len(X)), seconds=time.perf_counter() - t0))
        print(f"# {name}: {rows[-1]['seconds']:.1f} s, {rep.n_unique} circuits "
              f"({rep.n_circuits} before deduplication)", file=sys.stderr)
    return rows


def table(rows) -> str:
    from qnlp.bench.tables import markdown_table

    return markdown_table(
        ["dataset", "head", "backend", "shots", "test sentences", "accuracy", "mean abs dp", "max abs dp",
         "labels = exact", "circuits/sentence (run / before dedup)", "predict s"],
        [[r["dataset"], r["head"], r["backend"], r["shots"], r["n"], f"{r['accuracy']:.3f}",
          f"{r['mean_dp']:.4f}", f"{r['max_dp']:.4f}", f"{r['agree']:.3f}",
          f"{r['circuits']:.1f} / {r['before']:.1f}", f"{r['seconds']:.1f}"] for r in rows])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["mc"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--heads", nargs="+", default=["gaussian", "fidelity"])
    ap.add_argument("--backends", nargs="+", default=["aer", "aer-noisy:fake_brisbane"])
    ap.add_argument("--shots", type=int, default=8192)
    ap.add_argument("--limit", type=int, default=None, help="first N test sentences only")
    args = ap.parse_args(argv)
    rows = []
    for dataset in args.datasets:
        for head in args.heads:
            rows += run(dataset, args.seed, head, args.backends, args.shots, args.limit)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
