"""Benchmark pipelines: a TOML config (validated at the boundary) -> runs over datasets and seeds.

A pipeline file looks like ``pipelines/discocat_mc_rp.toml``::

    name = "discocat-mc-rp"

    [model]
    parser = "dep.v1"
    ansatz = "iqp.v1"
    epochs = 120

    [run]
    datasets = ["mc", "rp"]
    seeds = [0, 1, 2, 3, 4]

Unknown keys are errors. The resolved config (defaults filled in, component names made
versioned) is saved next to the results.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qnlp.errors import ConfigError


class ModelConfig(BaseModel):
    """The DisCoCat classifier's settings (see :class:`~qnlp.estimators.QuantumTextClassifier`)."""

    model_config = ConfigDict(extra="forbid")
    type: str = "discocat"
    parser: str = "default"
    ansatz: str = "iqp"
    layers: int = Field(1, ge=1)
    qubits_n: int = Field(1, ge=1, le=8)
    qubits_s: int = Field(1, ge=1, le=8)
    rewrite: list[str] = []
    backend: str = "exact"
    epochs: int = Field(120, ge=0)
    learning_rate: float = Field(0.2, gt=0)
    batch_size: int | None = Field(None, ge=1)
    optimizer: str = "adam"
    shots: int | None = Field(None, ge=1)


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    datasets: list[str] = Field(min_length=1)
    seeds: list[int] = [0]
    data_seeds: list[int] = [0]


class Pipeline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    model: ModelConfig = ModelConfig()
    run: RunSettings


def load_pipeline(path: str | os.PathLike) -> Pipeline:
    """Read and validate a pipeline TOML file (clear :class:`ConfigError` on any problem)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"pipeline file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    return resolve(pipeline)


def resolve(pipeline: Pipeline) -> Pipeline:
    """Make component names versioned and check them (and the dataset names) before any work."""
    from qnlp.datasets import available
    from qnlp.parsing import DEFAULT_PARSER
    from qnlp.registry import registry

    m = pipeline.model
    if m.type != "discocat":
        raise ConfigError(f"model.type {m.type!r} unknown; valid: discocat")
    m.parser = registry.canonical("parser", DEFAULT_PARSER if m.parser == "default" else m.parser)
    m.ansatz = registry.canonical("ansatz", m.ansatz)
    for name in pipeline.run.datasets:
        if name.lower() not in available() and not Path(name).is_file():
            raise ConfigError(f"run.datasets: unknown dataset {name!r}; valid: {', '.join(available())} or a file")
    return pipeline


def run_pipeline(pipeline: Pipeline, out: str | os.PathLike | None = None,
                 progress: Callable[[str], None] | None = None) -> dict:
    """Train and evaluate every (dataset, data seed, seed); write results and the resolved config."""
    from qnlp.estimators.experiment import summarise, train_one
    from qnlp.datasets import load

    m = pipeline.model
    runs, summaries = [], []
    for name in pipeline.run.datasets:
        for data_seed in pipeline.run.data_seeds:
            data = load(name, seed=data_seed)
            group = []
            for seed in pipeline.run.seeds:
                if progress:
                    progress(f"{pipeline.name}: {data.name} data seed {data_seed} seed {seed}")
                res = train_one(data, parser=m.parser, ansatz=m.ansatz, backend=m.backend, epochs=m.epochs,
                                seed=seed, n_layers=m.layers, ob_map={"n": m.qubits_n, "s": m.qubits_s},
                                rewrite=m.rewrite, learning_rate=m.learning_rate, batch_size=m.batch_size,
                                optimizer=m.optimizer, shots=m.shots)
                res["data_seed"] = data_seed
                group.append(res)
            summaries.append({"dataset": data.name, "data_seed": data_seed, **summarise(group)})
            runs += group
    result = {"pipeline": pipeline.name, "config": pipeline.model_dump(), "summary": summaries, "runs": runs}
    if out is not None:
        _write_json_atomic(Path(out) / "results.json", result)
        _write_json_atomic(Path(out) / "config.resolved.json", pipeline.model_dump())
    return result


def _write_json_atomic(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
