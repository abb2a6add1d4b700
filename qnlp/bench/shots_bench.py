"""Shot-based evaluation of a model trained with the standard CLI settings.

``python -m qnlp.bench.shots_bench [--shots 8192] [--seeds 0 1 2]``: trains the default DisCoCat
classifier on MC (with and without the ``remove_cups`` rewrite), then evaluates the 30 test
circuits exactly and on ``aer`` with the given shots. Prints exact and shot accuracy, mean
|p_shots - p_exact| and the median number of shots kept by post-selection.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np


def main(argv=None) -> list[dict]:
    from qnlp.backends import make_backend
    from qnlp.backends.base import RunConfig
    from qnlp.datasets import load
    from qnlp.estimators import QuantumTextClassifier

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shots", type=int, default=8192)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--dataset", default="mc")
    args = ap.parse_args(argv)
    data = load(args.dataset)
    y = np.asarray(data.test.labels)
    rows = []
    print(f"{args.dataset} test, {args.shots} shots on aer")
    print(f"{'rewrite':<14}{'seed':>5}{'qubits':>7}{'exact acc':>10}{'shot acc':>9}{'mean|dp|':>10}{'kept med':>9}")
    for rewrite in ((), ("remove_cups",)):
        for seed in args.seeds:
            clf = QuantumTextClassifier(rewrite=rewrite, random_state=seed).fit(data.train.texts, data.train.labels)
            circuits = clf.circuits(data.test.texts)
            exact = clf.model_.predict_proba(circuits)
            aer = make_backend("aer")
            clf.model_.backend = aer
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                shots = clf.model_.predict_proba(circuits, config=RunConfig(shots=args.shots, seed=seed))
            row = {"rewrite": "+".join(rewrite) or "-", "seed": seed,
                   "qubits": max(c.n_qubits for c in circuits),
                   "exact_accuracy": float((clf.classes_[exact.argmax(1)] == y).mean()),
                   "shot_accuracy": float((clf.classes_[shots.argmax(1)] == y).mean()),
                   "mean_abs_dp": float(np.abs(shots - exact).max(1).mean()),
                   "kept_median": float(np.median(aer.last_kept_shots_))}
            rows.append(row)
            print(f"{row['rewrite']:<14}{seed:>5}{row['qubits']:>7}{row['exact_accuracy']:>10.3f}"
                  f"{row['shot_accuracy']:>9.3f}{row['mean_abs_dp']:>10.4f}{row['kept_median']:>9.0f}")
    return rows


if __name__ == "__main__":
    main()
