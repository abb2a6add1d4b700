"""Run a benchmark pipeline into a results store: selections first, then every run; in this
process or on Dask workers; resumable.

:func:`run_sweep` plans the work of a :class:`~qnlp.bench.pipeline.Pipeline`, skips what the
store in ``out`` already holds as ``done``, and executes the rest:

* models with a ``grid`` are first selected per dataset and data seed
  (:func:`~qnlp.bench.tasks.select_task`, dev split or k-fold CV of train, never test); the
  chosen settings are stored and used by that model's runs;
* every (model, dataset, data seed, seed) is one task (:func:`~qnlp.bench.tasks.run_task`); its row
  is committed to the store as soon as it finishes, so a killed sweep loses only the runs in flight
  and a rerun completes the rest; a failing run is stored as ``failed`` with its one-line error and
  the sweep goes on (a rerun retries it).

``workers=1`` without a scheduler runs the tasks here, one after another. Otherwise each task is a
Dask task: ``scheduler=None`` starts a local cluster of ``workers`` single-threaded processes,
``scheduler="tcp://host:8786"`` uses an existing cluster (``dask scheduler`` / ``dask worker``).
Results stream into the store in completion order; a task whose worker dies is retried
(``RETRIES`` times) on another worker.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

from qnlp.bench.pipeline import Pipeline
from qnlp.bench.store import ResultsStore
from qnlp.bench.tasks import one_line, run_task, select_task, task_key

#: Dask retries of a task whose worker died.
RETRIES = 2


def selection_tasks(pipeline: Pipeline) -> list[dict]:
    """One selection task per model with a grid, dataset and data seed."""
    out = []
    for m in pipeline.models:
        if not m.grid:
            continue
        for dataset in pipeline.run.datasets:
            for data_seed in sorted({d for s in pipeline.run.seeds for d in pipeline.data_seeds_for(s)}):
                sel = pipeline.selection
                out.append({"key": task_key("select", m.spec(), dataset, data_seed, sel.method, sel.folds),
                            "pipeline": pipeline.name, "model": m.name, "kind": m.kind, "dataset": dataset,
                            "data_seed": data_seed, "settings": dict(m.settings), "grid": dict(m.grid),
                            "method": sel.method, "folds": sel.folds, "seed": pipeline.run.seeds[0]})
    return out


def run_tasks(pipeline: Pipeline, chosen: dict | None = None) -> list[dict]:
    """One run task per model, dataset, data seed and seed; ``chosen`` maps
    ``(model, dataset, data_seed)`` to the settings a selection chose."""
    chosen = chosen or {}
    out = []
    for m in pipeline.models:
        for dataset in pipeline.run.datasets:
            for seed in pipeline.run.seeds:
                for data_seed in pipeline.data_seeds_for(seed):
                    picked = chosen.get((m.name, dataset, data_seed), {})
                    settings = {**m.settings, **picked}
                    out.append({"key": task_key("run", m.spec(), picked, dataset, data_seed, seed),
                                "pipeline": pipeline.name, "model": m.name, "kind": m.kind,
                                "dataset": dataset, "data_seed": data_seed, "seed": seed,
                                "settings": settings, "config": {**m.spec(), "selected": picked},
                                "config_hash": m.config_hash()})
    return out


def planned_count(pipeline: Pipeline) -> int:
    return len(run_tasks(pipeline))


def run_sweep(pipeline: Pipeline, out, *, workers: int = 1, scheduler: str | None = None,
              progress: Callable[[str], None] | None = None, bar: bool = False) -> dict:
    """Execute ``pipeline`` into the store in ``out``; returns :func:`sweep_status` afterwards."""
    store = ResultsStore(out)
    store.create(pipeline.name, pipeline.model_dump())
    say = progress or (lambda msg: None)
    selections = selection_tasks(pipeline)
    done = store.done_keys("selections")
    todo = [t for t in selections if t["key"] not in done]
    if todo:
        say(f"{len(todo)} model selection(s)")
        _execute(select_task, todo, store.put_selection, workers, scheduler, bar, "select")
    keys = {t["key"] for t in selections}
    chosen = {(r["model"], r["dataset"], r["data_seed"]): r["chosen"] for r in store.selections("done")
              if r["key"] in keys}
    missing = {(t["model"], t["dataset"], t["data_seed"]) for t in selections} - set(chosen)
    tasks = [t for t in run_tasks(pipeline, chosen)
             if (t["model"], t["dataset"], t["data_seed"]) not in missing]
    done = store.done_keys()
    todo = [t for t in tasks if t["key"] not in done]
    say(f"{len(tasks) - len(todo)} run(s) already done, {len(todo)} to run"
        + (f"; {len(missing)} selection(s) failed, their runs are skipped" if missing else ""))
    _execute(run_task, todo, store.put_run, workers, scheduler, bar, "run")
    return sweep_status(out)


def _execute(fn, tasks: list[dict], put, workers: int, scheduler: str | None, bar: bool, label: str) -> None:
    """Run ``fn`` on every task, storing each row as it completes."""
    if not tasks:
        return
    from tqdm import tqdm

    with tqdm(total=len(tasks), desc=label, file=sys.stderr, disable=not bar, leave=False) as pbar:
        if scheduler is None and workers <= 1:
            for task in tasks:
                put(fn(task))
                pbar.update(1)
            return
        _execute_dask(fn, tasks, put, workers, scheduler, pbar)


def _execute_dask(fn, tasks, put, workers, scheduler, pbar) -> None:
    import dask
    from dask.distributed import Client, LocalCluster, as_completed

    threads = {v: "1" for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    # worker profiling samples every task's stack (measured: ~16% slower runs); not needed here
    with dask.config.set({"distributed.nanny.pre-spawn-environ": threads,
                          "distributed.worker.daemon": False,
                          "distributed.worker.profile.enabled": False}):
        cluster = None
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
        try:
            with Client(scheduler if scheduler else cluster) as client:
                futures = {client.submit(fn, t, key=f"{fn.__name__}-{t['key']}", pure=False,
                                         retries=RETRIES): t for t in tasks}
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        row = future.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. the worker died RETRIES + 1 times
                        row = _failed_row(fn, task, exc)
                    put(row)
                    pbar.update(1)
        finally:
            if cluster is not None:
                cluster.close()


def _failed_row(fn, task: dict, exc: BaseException) -> dict:
    columns = ("key", "pipeline", "model", "dataset", "data_seed")
    row = {k: task[k] for k in columns}
    if fn is run_task:
        row.update(kind=task["kind"], seed=task["seed"], config=task["config"], config_hash=task["config_hash"])
    else:
        row.update(grid=task["grid"], method=task["method"])
    row.update(status="failed", error=one_line(exc))
    return row


def sweep_status(out) -> dict:
    """Done / failed / pending runs of the sweep in ``out`` (planned from its stored config)."""
    store = ResultsStore(out)
    meta = store.meta()
    pipeline = Pipeline.model_validate(meta["config"])
    rows = store.runs()
    current = {m.name: m.config_hash() for m in pipeline.models}
    latest: dict = {}
    for r in rows:  # the last row of each run identity under the current model config
        if current.get(r["model"]) == r["config_hash"]:
            latest[(r["model"], r["dataset"], r["data_seed"], r["seed"])] = r
    done = sum(r["status"] == "done" for r in latest.values())
    failed = [r for r in latest.values() if r["status"] == "failed"]
    planned = planned_count(pipeline)
    return {"pipeline": pipeline.name, "planned": planned, "done": done, "failed": len(failed),
            "pending": planned - done - len(failed),
            "errors": [{"model": r["model"], "dataset": r["dataset"], "seed": r["seed"],
                        "data_seed": r["data_seed"], "error": r["error"]} for r in failed],
            "selections": {s: sum(r["status"] == s for r in store.selections()) for s in ("done", "failed")}}


def default_workers() -> int:
    """The cores of this machine."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


