"""Benchmark pipeline files: several models × datasets × seeds × data seeds, in TOML.

::

    name = "quickstart"
    description = "MC: quantum attention against TF-IDF + LR"

    [run]
    datasets = ["mc"]          # bundled names or files
    seeds = [0, 1]
    data_seeds = [0]           # or "seed": the data split follows the seed

    [selection]                # used by models with a grid
    method = "dev"             # "dev" (the dev split; k-fold CV of train when there is none) or "cv"
    folds = 3

    [[models]]
    name = "quantum-attention"
    kind = "attention"         # see MODEL_KINDS
    settings = { epochs = 10 }
    grid = { learning_rate = [0.01, 0.05] }

    [[models]]
    name = "tfidf-lr"
    kind = "tfidf-lr"

The first format (one ``[model]`` table of DisCoCat settings) is still read: it becomes one model
named ``discocat``. Validation happens here, before any work: unknown keys, kinds, estimator
settings, datasets and grids are :class:`~qnlp.errors.ConfigError` naming the file, the line and
the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Literal, Union

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qnlp.errors import ConfigError
from qnlp.estimators.experiment import RUN_PARAMETERS

#: Model kinds a pipeline may name -> (estimator, quantum?). The estimators are resolved lazily.
MODEL_KINDS = {
    "discocat": ("qnlp.estimators.classifier:QuantumTextClassifier", True),
    "attention": ("qnlp.estimators.attention:QuantumAttentionClassifier", True),
    "classical-attention": ("qnlp.estimators.attention:ClassicalAttentionClassifier", False),
    "tfidf-lr": ("qnlp.models.attention.baselines:tfidf_logreg", False),
    "minilm-lr": ("qnlp.models.attention.baselines:minilm_logreg", False),
    "minilm-tfidf-lr": ("qnlp.models.attention.baselines:minilm_tfidf_logreg", False),
    "tensor-network": ("qnlp.bench.tensor_baseline:TensorNetworkTextClassifier", False),
}
QUANTUM_KINDS = tuple(k for k, (_, quantum) in MODEL_KINDS.items() if quantum)

#: Estimator parameters the sweep sets itself (the seed of each run; ``seed`` is the LR baselines').
RUN_OWNED = (*RUN_PARAMETERS, "seed")


class ModelSpec(BaseModel):
    """One model of a pipeline: a kind, its settings, and an optional grid to select on."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    kind: str
    settings: dict = {}
    grid: dict[str, list] = {}

    def spec(self) -> dict:
        return self.model_dump()

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()[:16]


class RunSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    datasets: list[str] = Field(min_length=1)
    seeds: list[int] = Field([0], min_length=1)
    data_seeds: Union[list[int], Literal["seed"]] = [0]


class SelectionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Literal["dev", "cv"] = "dev"
    folds: int = Field(3, ge=2)


class Pipeline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    models: list[ModelSpec] = Field(min_length=1)
    run: RunSettings
    selection: SelectionSettings = SelectionSettings()

    def data_seeds_for(self, seed: int) -> list[int]:
        return [seed] if self.run.data_seeds == "seed" else list(self.run.data_seeds)


def load_pipeline(path: str | os.PathLike) -> Pipeline:
    """Read and validate a pipeline file (a clear :class:`ConfigError` naming file, line and key)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"pipeline file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if "model" in data and "models" not in data:  # the first format: one DisCoCat model
        data = {**{k: v for k, v in data.items() if k != "model"},
                "models": [{"name": "discocat", "kind": "discocat",
                            "settings": _legacy_settings(data["model"], path, text)}]}
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(_where(path, text, err["loc"]) + f": {err['msg']}") from None
    _check(pipeline, path, text)
    return pipeline


#: First-format keys -> estimator parameters of QuantumTextClassifier.
_LEGACY = {"parser": "parser", "ansatz": "ansatz", "layers": "n_layers", "rewrite": "rewrite",
           "backend": "backend", "epochs": "epochs", "learning_rate": "learning_rate",
           "batch_size": "batch_size", "optimizer": "optimizer", "shots": "shots"}


def _legacy_settings(model: dict, path: Path, text: str) -> dict:
    out = {}
    for key, value in model.items():
        if key == "type":
            if value != "discocat":
                raise ConfigError(f"{_where(path, text, ('model', key))}: model.type {value!r} unknown; valid: discocat")
        elif key in ("qubits_n", "qubits_s"):
            out.setdefault("ob_map", {"n": 1, "s": 1})[key[-1]] = value
        elif key in _LEGACY:
            out[_LEGACY[key]] = value
        else:
            raise ConfigError(f"{_where(path, text, ('model', key))}: unknown key {key!r}; valid: "
                              f"{', '.join([*_LEGACY, 'qubits_n', 'qubits_s', 'type'])}")
    return out


def estimator_class(kind: str):
    """The estimator class (or factory) of a model kind."""
    import importlib

    module, _, attr = MODEL_KINDS[kind][0].partition(":")
    return getattr(importlib.import_module(module), attr)


def estimator_parameters(kind: str) -> set[str]:
    """The settings a kind accepts (its estimator's parameters, or its factory's keywords)."""
    import inspect

    target = estimator_class(kind)
    if hasattr(target, "get_params"):
        return set(target().get_params(deep=False))
    return {p.name for p in inspect.signature(target).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def _check(pipeline: Pipeline, path: Path, text: str) -> None:
    """Kinds, settings, grids, datasets and model names, before any work."""
    from qnlp.datasets import available

    names = [m.name for m in pipeline.models]
    for i, m in enumerate(pipeline.models):
        where = lambda *loc: _where(path, text, ("models", i, *loc))  # noqa: E731
        if names.count(m.name) > 1:
            raise ConfigError(f"{where('name')}: model name {m.name!r} is used twice")
        if m.kind not in MODEL_KINDS:
            raise ConfigError(f"{where('kind')}: unknown model kind {m.kind!r}; valid: {', '.join(MODEL_KINDS)}")
        valid = estimator_parameters(m.kind) - set(RUN_OWNED)
        for table in ("settings", "grid"):
            for key in getattr(m, table):
                if key not in valid:
                    raise ConfigError(f"{where(table, key)}: unknown setting {key!r} for kind "
                                      f"{m.kind!r}; valid: {', '.join(sorted(valid))}")
        for key, values in m.grid.items():
            if not values:
                raise ConfigError(f"{where('grid', key)}: grid {key!r} has no values")
    from qnlp.datasets import load
    from qnlp.errors import DatasetError

    data_seeds = sorted({d for s in pipeline.run.seeds for d in pipeline.data_seeds_for(s)})
    for name in pipeline.run.datasets:
        if name.lower() not in available() and not Path(name).is_file():
            raise ConfigError(f"{_where(path, text, ('run', 'datasets'))}: unknown dataset {name!r}; "
                              f"valid: {', '.join(available())} or a file")
        for data_seed in data_seeds:  # every split the runs will load exists (cheap: no parsing)
            try:
                load(name, seed=data_seed)
            except DatasetError as exc:
                key = "data_seeds" if "data_seeds" in text else "seeds"
                raise ConfigError(f"{_where(path, text, ('run', key))}: {exc}") from None


def _where(path: Path, text: str, loc) -> str:
    """``file:line: key`` of a location in a TOML file (the line of the key where it can be found)."""
    loc = [str(x) if not isinstance(x, int) else x for x in loc]
    lines = text.splitlines()
    start, line_no = 0, None
    for part in loc:
        if isinstance(part, int):  # the part-th [[table]] of the previous key
            headers = [j for j, line in enumerate(lines) if j >= start and re.match(r"\s*\[\[", line)]
            if part < len(headers):
                start = headers[part] + 1
                line_no = headers[part] + 1
            continue
        pattern = re.compile(rf"(^|[\s{{,\[.]){re.escape(part)}\s*=|^\s*\[+\s*([\w.-]+\.)?{re.escape(part)}\s*\]")
        for j in range(start, len(lines)):
            if pattern.search(lines[j]):
                start, line_no = j, j + 1
                break
    key = ".".join(str(x) for x in loc)
    return f"{path}:{line_no}: {key}" if line_no else f"{path}: {key}"
