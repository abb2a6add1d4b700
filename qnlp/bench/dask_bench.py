"""Benchmark: wall time of one sweep on 1 local Dask worker against 2, side by side in one run.

::

    python -m qnlp.bench.dask_bench                       # 12 runs: quantum attention on yelp
    python -m qnlp.bench.dask_bench --runs 8 --dataset rp

``cold``: the whole ``qnlp bench run`` sweep (fresh result folder) through
:func:`qnlp.bench.sweep.run_sweep` with ``workers=1`` (the tasks run in this process, as
``--workers 1`` does) and ``workers=2`` (a local cluster of two single-threaded processes: its
start and each worker's first imports of torch and lambeq included). ``warm``: the same tasks on a
running local cluster of 1 and of 2 workers that have each run one task already. Prints the
seconds and the ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def _pipeline(dataset: str, runs: int):
    from qnlp.bench.pipeline import ModelSpec, Pipeline, RunSettings

    return Pipeline(name="dask-bench", models=[ModelSpec(name="quantum-attention", kind="attention")],
                    run=RunSettings(datasets=[dataset], seeds=list(range(runs)), data_seeds=[0]))


def timed(workers: int, dataset: str, runs: int) -> dict:
    """Cold and warm wall seconds of the sweep on ``workers`` local workers."""
    import dask
    from dask.distributed import Client, LocalCluster

    from qnlp.bench.sweep import _execute_dask, run_tasks
    from qnlp.bench.tasks import run_task

    pipeline = _pipeline(dataset, runs)
    tasks = run_tasks(pipeline)
    with tempfile.TemporaryDirectory() as out:
        from qnlp.bench.sweep import run_sweep

        t0 = time.perf_counter()
        status = run_sweep(pipeline, out, workers=workers)  # cold: cluster start + imports + runs
        cold = time.perf_counter() - t0
    assert status["done"] == runs, status
    # warm: a running cluster whose workers have each run one task
    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=40) as cluster, Client(cluster) as client:
        client.gather([client.submit(run_task, tasks[0], pure=False, workers=[w])
                       for w in client.scheduler_info()["workers"]])
        rows = []
        t0 = time.perf_counter()
        _execute_dask(run_task, tasks, rows.append, workers, cluster.scheduler_address, _NoBar())
        warm = time.perf_counter() - t0
    assert all(r["status"] == "done" for r in rows)
    return {"workers": workers, "cold": cold, "warm": warm}


class _NoBar:
    def update(self, n):
        pass


def main(argv=None) -> int:
    import numpy as np

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="yelp")
    p.add_argument("--runs", type=int, default=12)
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; medians are printed")
    args = p.parse_args(argv)
    results = {1: [], 2: []}
    for _ in range(args.repeats):  # interleaved, so slow phases of the machine hit both
        for workers in (1, 2):
            results[workers].append(timed(workers, args.dataset, args.runs))
    med = {w: {k: float(np.median([r[k] for r in rs])) for k in ("cold", "warm")} for w, rs in results.items()}
    print(f"{args.runs} runs of quantum attention on {args.dataset}, median of {args.repeats} interleaved repeats")
    print("| workers | cold s (start + imports + runs) | warm s (runs only) | per repeat (cold / warm) |")
    print("|---|---|---|---|")
    for w in (1, 2):
        each = ", ".join(f"{r['cold']:.1f} / {r['warm']:.1f}" for r in results[w])
        print(f"| {w} | {med[w]['cold']:.1f} | {med[w]['warm']:.1f} | {each} |")
    print(f"speed-up 2 workers / 1 (ratio of medians): cold {med[1]['cold'] / med[2]['cold']:.2f}x, "
          f"warm {med[1]['warm'] / med[2]['warm']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
