"""Small helpers shared by several stages (no heavy imports at module level)."""

from __future__ import annotations

from contextlib import contextmanager

import json
import os
import uuid
from pathlib import Path
from typing import Sequence

from qnlp.errors import ConfigError


class torch_threads:
    """Temporarily set torch's intra-op thread count (``None``: leave it).

    The tensors of the attention models are tiny, so one thread avoids thread-pool overhead
    (10-100x on a busy machine). The setting is process-wide; it is restored on exit.
    """

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        import torch

        self.old = torch.get_num_threads()
        if self.n:
            torch.set_num_threads(int(self.n))
        return self

    def __exit__(self, *exc):
        import torch

        torch.set_num_threads(self.old)


def parse_key_values(items: Sequence[str]) -> dict:
    """``["head=fidelity", "n_heads=2"]`` -> ``{"head": "fidelity", "n_heads": 2}``.

    Values are read as JSON (``2``, ``0.003``, ``true``, ``null``), else kept as strings.

    >>> parse_key_values(["n_heads=2", "head=fidelity", "init_from=null"])
    {'n_heads': 2, 'head': 'fidelity', 'init_from': None}
    """
    out = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"expects KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def write_atomic(path, write, *, text: bool = False) -> Path:
    """Write a file atomically: ``write(fh)`` fills a temporary file beside ``path`` (same file
    system, the usual umask permissions), which then replaces ``path`` (``os.replace``); nothing
    is left on failure, and ``path`` is either the old file or the complete new one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with (open(tmp, "x", encoding="utf-8", newline="\n") if text else open(tmp, "xb")) as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def save_figure(fig, path, **options) -> Path:
    """Save a matplotlib figure to ``path`` atomically (:func:`write_atomic`); ``options`` go to
    ``fig.savefig`` (the format is the file's extension)."""
    fmt = Path(path).suffix.lower()[1:]
    return write_atomic(path, lambda fh: fig.savefig(fh, format=fmt, **options))


def write_text(path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (:func:`write_atomic`)."""
    return write_atomic(path, lambda fh: fh.write(text), text=True)


@contextmanager
def paused_gc():
    """Pause Python's cyclic garbage collector for a bulk step (parsing or compiling thousands
    of sentences). Such steps allocate millions of long-lived objects (lambeq diagrams); each
    full collection scans all of them, and on SST-2 the collector took most of the time. Reference
    counting still frees everything that is not in a cycle; the collector resumes afterwards."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
