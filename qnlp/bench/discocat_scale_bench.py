"""DisCoCat at real-data scale: front-end rates, engine speed, memory; MC against lambeq.

Run ``python -m qnlp.bench.discocat_scale_bench`` (``--datasets mc yelp sst2``, ``--lambeq`` adds
lambeq 0.5.0's NumpyModel with jax jit on MC, in the same run). Per dataset and reader, on the
training split (``sst2-dev``: SST-2's dev sentences), after imports:

* sentences/s of each front-end stage: ``parse`` (text to diagram), ``circuits`` (ansatz and
  parameter names), ``compile`` (tensor networks, index tensors, contraction schedule), and of
  the whole text -> compiled circuits;
* one full-batch training step (forward + backward, complex64): the default ``wavefront`` engine
  against the per-shape engine it replaced (``shapes``), median of 5 steps, and their ratio;
* einsum calls per step of each engine, and the peak resident memory of the process.

Accuracy is measured by ``qnlp train`` (docs/benchmarks.md), not here.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

import numpy as np

#: dataset -> readers measured ("default" is the dependency parser: grammar-based circuits)
READERS = {"mc": ("default",), "yelp": ("default", "spiders.v2"), "sst2": ("spiders.v2",),
           "sst2-dev": ("default", "spiders.v2")}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _step_seconds(model, batch, repeats: int = 5) -> float:
    import torch

    from qnlp.training.losses import cross_entropy

    theta = model.theta()
    y = torch.zeros(batch.n_circuits, dtype=torch.long)
    times = []
    for _ in range(repeats + 1):
        t = time.perf_counter()
        loss = cross_entropy(model.class_probabilities(batch.probabilities(theta, 0.1)), y)
        loss.backward()
        times.append(time.perf_counter() - t)
        theta.grad = None
    return statistics.median(times[1:])  # the first step builds the schedule


def measure(dataset: str, reader: str, limit: int | None = None) -> dict:
    """Front-end rates and engine step times of one dataset's training texts under ``reader``."""
    import torch

    from qnlp.backends.exact import ExactBackend
    from qnlp.datasets import load
    from qnlp.models.discocat import DisCoCatModel
    from qnlp.models.pipeline import SentencePipeline

    torch.set_num_threads(1)
    data = load(dataset.removesuffix("-dev"))
    texts = list((data.test if dataset.endswith("-dev") else data.train).texts)[:limit]  # sst2's test is its dev
    pipe = SentencePipeline.build(reader, ob_map={"n": 1, "s": 1})
    pipe.parse(texts[:8], on_error="none")  # load the parser's model
    t0 = time.perf_counter()
    parsed = pipe.parse(texts, on_error="none")
    t1 = time.perf_counter()
    ok = [r for r in parsed if r is not None]
    circuits = pipe.ansatz(pipe.rewriter([r.diagram for r in ok]), [r.sentence for r in ok])
    model = DisCoCatModel.from_circuits(circuits, ["0", "1"], backend=ExactBackend(device="cpu", dtype="complex64"),
                                        init="normal")
    t2 = time.perf_counter()
    batch = model.compile(circuits, train=True)
    batch.prepare()
    program = batch._program()[0]
    t3 = time.perf_counter()
    out = {"dataset": dataset, "reader": reader, "sentences": len(texts), "shapes": len(batch.sentence_groups),
           "parameters": model.n_parameters,
           "parse_per_s": len(texts) / (t1 - t0), "circuits_per_s": len(texts) / (t2 - t1),
           "compile_per_s": len(texts) / (t3 - t2), "text_to_compiled_per_s": len(texts) / (t3 - t0),
           "step_s_wavefront": _step_seconds(model, batch), "einsums_wavefront": program.n_einsums}
    shapes = ExactBackend(device="cpu", dtype="complex64", engine="shapes")
    model.backend, model._theta = shapes, None
    old = model.compile(circuits, train=True)
    out["step_s_shapes"] = _step_seconds(model, old, repeats=3)
    out["einsums_shapes"] = len(old.sentence_groups)
    out["step_speedup"] = out["step_s_shapes"] / out["step_s_wavefront"]
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def lambeq_ratio(epochs: int = 120, seed: int = 0) -> dict:
    """MC: our exact backend (median of 5 runs) against lambeq's NumpyModel with jax jit (one run:
    it takes a minute), same circuits, same process."""
    from qnlp.bench.train_bench import _mc_circuits, run_lambeq_numpy, run_ours

    circ = _mc_circuits("default")
    runs = [run_ours(circ, epochs, seed) for _ in range(5)]  # ours is short: median of 5 against noise
    ours = {"seconds": statistics.median(r["seconds"] for r in runs), "test_accuracy": runs[0]["test_accuracy"]}
    theirs = run_lambeq_numpy(circ, epochs, seed, jit=True)
    return {"ours_s": ours["seconds"], "ours_test_accuracy": ours["test_accuracy"],
            "lambeq_jit_s": theirs["seconds"], "lambeq_test_accuracy": theirs["test_accuracy"],
            "ratio": theirs["seconds"] / ours["seconds"]}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(READERS), choices=list(READERS))
    ap.add_argument("--limit", type=int, default=None, help="First N training texts only.")
    ap.add_argument("--lambeq", action="store_true", help="Add the MC run against lambeq NumpyModel (jit).")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = [measure(d, r, args.limit) for d in args.datasets for r in READERS[d]]
    result = {"rows": rows}
    if args.lambeq:
        result["mc_lambeq"] = lambeq_ratio()
    if args.json:
        print(json.dumps(result, indent=2))
        return result
    print(f"{'dataset':8} {'reader':11} {'sents':>6} {'shapes':>6} {'parse/s':>8} {'circ/s':>8} {'comp/s':>8} "
          f"{'text->c/s':>9} {'step wf':>8} {'step old':>8} {'x':>5} {'einsum':>11} {'RSS MB':>7}")
    for r in rows:
        print(f"{r['dataset']:8} {r['reader']:11} {r['sentences']:6d} {r['shapes']:6d} {r['parse_per_s']:8.0f} "
              f"{r['circuits_per_s']:8.0f} {r['compile_per_s']:8.0f} {r['text_to_compiled_per_s']:9.0f} "
              f"{r['step_s_wavefront']:8.3f} {r['step_s_shapes']:8.3f} {r['step_speedup']:5.1f} "
              f"{r['einsums_wavefront']:5d}/{r['einsums_shapes']:<5d} {r['peak_rss_mb']:7.0f}")
    if args.lambeq:
        m = result["mc_lambeq"]
        print(f"MC 120 epochs: ours {m['ours_s']:.2f} s (test {m['ours_test_accuracy']:.3f}), lambeq NumpyModel jit "
              f"{m['lambeq_jit_s']:.2f} s (test {m['lambeq_test_accuracy']:.3f}): {m['ratio']:.0f}x")
    return result


if __name__ == "__main__":
    main()
