"""Model folders: ``config.json`` + ``weights.npz`` (no pickle), written atomically (a complete
folder or none) and read back with typed errors."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from qnlp.errors import ModelFileError


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike):
    """Yield a temporary folder beside ``path``; on success it replaces ``path``.

    The files are written into a hidden sibling folder, which gets the usual permissions (the
    process umask, as ``mkdir`` would give; ``mkdtemp`` alone gives 0700) and is renamed into
    place only when the block finishes. An existing folder at ``path`` is replaced only then;
    on any error the temporary folder is removed and ``path`` is untouched.

    Raises
    ------
    ModelFileError
        ``path`` exists and is not a folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelFileError(f"{path} exists and is not a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_model_dir(path: str | os.PathLike, config: dict, arrays: dict,
                    write_extra: Callable[[Path], None] | None = None) -> Path:
    """Write ``config.json`` and ``weights.npz`` (``arrays`` by name) into ``path`` atomically.

    ``write_extra(folder)`` may add more files (e.g. sub-models) before the folder is moved into
    place. An existing model folder at ``path`` is replaced only after the new one is complete.
    """
    with atomic_folder(path) as tmp:
        (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        np.savez(tmp / "weights.npz", **arrays)
        if write_extra is not None:
            write_extra(tmp)
    return Path(path)


def read_model_config(path: str | os.PathLike) -> dict:
    """The ``config.json`` of a model folder of any kind, as a dict.

    Raises
    ------
    ModelFileError
        The folder or its ``config.json`` is missing, or the file is not a JSON object.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"model folder not found: {path}")
    cfg_path = path / "config.json"
    if not cfg_path.is_file():
        raise ModelFileError(f"{path} is not a qnlp model: config.json is missing")
    try:
        config = json.loads(cfg_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{cfg_path} is corrupt: {exc}") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{cfg_path} is corrupt: not a JSON object")
    return config


def read_torch_model_dir(path: str | os.PathLike, model_type: str, versions) -> tuple[dict, dict]:
    """``config.json`` and the ``weights.npz`` arrays (as torch tensors, by name) of a folder
    written for ``model_type`` in one of the format ``versions``.

    Raises
    ------
    ModelFileError
        Not such a folder (missing, another kind or format), or unreadable weights.
    """
    import torch

    path = Path(path)
    config = read_model_config(path)
    if config.get("model_type") != model_type or config.get("format_version") not in tuple(versions):
        raise ModelFileError(f"{path}: not a {model_type} model folder")
    try:
        with np.load(path / "weights.npz", allow_pickle=False) as data:
            state = {k: torch.as_tensor(data[k]) for k in data.files}
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read model folder {path}: {exc}") from None
    return config, state
