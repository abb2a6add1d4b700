"""Model folders written atomically: a complete folder or none."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

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
