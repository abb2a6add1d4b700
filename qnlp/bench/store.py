"""The results store of a benchmark run: one SQLite file in the run folder (``results.sqlite``).

One row per run (a model × dataset × data seed × seed), written and committed the moment the run
ends, so a ``kill -9`` loses at most the runs in flight; a rerun of the same pipeline skips the
rows already ``done``. Model selection (a grid searched on the dev split or by cross-validation on
train) has rows of its own in ``selections``. SQLite in WAL mode is safe for one writer (the
sweep's driver process) and any number of readers (``qnlp bench status`` while a sweep runs).

Schema (``SCHEMA_VERSION`` 1)::

    runs(key PRIMARY KEY, pipeline, model, kind, dataset, data_seed, seed, config, config_hash,
         status ('done' | 'failed'), error, accuracy, macro_f1, roc_auc, train_seconds,
         predict_seconds, peak_rss_mb, n_qubits, n_parameters, history, environment,
         started, finished)
    selections(key PRIMARY KEY, pipeline, model, dataset, data_seed, method, grid, scores,
               chosen, status, error, started, finished)
    meta(key PRIMARY KEY, value)            -- pipeline name, resolved config, schema version

``config``, ``history`` (training curve), ``environment``, ``grid``, ``scores`` and ``chosen`` are
JSON text; times are ISO 8601 UTC.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

SCHEMA_VERSION = 1
FILENAME = "results.sqlite"

#: Columns of ``runs`` in order (``key`` first).
RUN_COLUMNS = ("key", "pipeline", "model", "kind", "dataset", "data_seed", "seed", "config",
               "config_hash", "status", "error", "accuracy", "macro_f1", "roc_auc", "train_seconds",
               "predict_seconds", "peak_rss_mb", "n_qubits", "n_parameters", "history", "environment",
               "started", "finished")
SELECTION_COLUMNS = ("key", "pipeline", "model", "dataset", "data_seed", "method", "grid", "scores",
                     "chosen", "status", "error", "started", "finished")
_JSON = {"config", "history", "environment", "grid", "scores", "chosen"}

_DDL = f"""
CREATE TABLE IF NOT EXISTS runs ({", ".join(c + (" PRIMARY KEY" if c == "key" else "") for c in RUN_COLUMNS)});
CREATE TABLE IF NOT EXISTS selections ({", ".join(c + (" PRIMARY KEY" if c == "key" else "") for c in SELECTION_COLUMNS)});
CREATE TABLE IF NOT EXISTS meta (key PRIMARY KEY, value);
"""


class ResultsStore:
    """The SQLite store of one run folder.

    Parameters
    ----------
    folder : path
        The run folder (created when missing); the database is ``folder / FILENAME``.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / FILENAME

    def _connect(self, create: bool = False) -> sqlite3.Connection:
        if not create and not self.path.is_file():
            from qnlp.errors import DatasetError

            raise DatasetError(f"{self.folder}: no benchmark results here (no {FILENAME})")
        self.folder.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        if create:
            con.executescript(_DDL)
        return con

    def create(self, pipeline: str, config: dict) -> None:
        """Create the tables (kept when they exist) and record the pipeline and its config."""
        with closing(self._connect(create=True)) as con, con:
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("schema_version", str(SCHEMA_VERSION)), ("pipeline", pipeline),
                             ("config", json.dumps(config, sort_keys=True))])

    def meta(self) -> dict:
        with closing(self._connect()) as con:
            out = dict(con.execute("SELECT key, value FROM meta"))
        if "config" in out:
            out["config"] = json.loads(out["config"])
        return out

    # -- writing ------------------------------------------------------------------------------
    def put_run(self, row: dict) -> None:
        """Insert or replace one run row (one transaction: durable once this returns)."""
        self._put("runs", RUN_COLUMNS, row)

    def put_selection(self, row: dict) -> None:
        self._put("selections", SELECTION_COLUMNS, row)

    def _put(self, table: str, columns: tuple, row: dict) -> None:
        unknown = set(row) - set(columns)
        if unknown:
            raise KeyError(f"unknown {table} columns: {sorted(unknown)}")
        values = [json.dumps(row.get(c), sort_keys=True) if c in _JSON and row.get(c) is not None
                  else row.get(c) for c in columns]
        with closing(self._connect(create=True)) as con, con:
            con.execute(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(columns))})", values)

    # -- reading ------------------------------------------------------------------------------
    def runs(self, status: str | None = None) -> list[dict]:
        """Run rows (JSON columns decoded), optionally only those with ``status``."""
        return self._rows("runs", RUN_COLUMNS, status)

    def selections(self, status: str | None = None) -> list[dict]:
        return self._rows("selections", SELECTION_COLUMNS, status)

    def _rows(self, table: str, columns: tuple, status: str | None) -> list[dict]:
        sql = f"SELECT {', '.join(columns)} FROM {table}"
        args: tuple = ()
        if status is not None:
            sql, args = sql + " WHERE status = ?", (status,)
        with closing(self._connect()) as con:
            rows = con.execute(sql + " ORDER BY rowid", args).fetchall()
        out = []
        for values in rows:
            row = dict(zip(columns, values))
            for c in _JSON & set(columns):
                if row[c] is not None:
                    row[c] = json.loads(row[c])
            out.append(row)
        return out

    def done_keys(self, table: str = "runs") -> set[str]:
        """Keys of the rows already finished successfully."""
        if not self.path.is_file():
            return set()
        with closing(self._connect()) as con:
            return {k for (k,) in con.execute(f"SELECT key FROM {table} WHERE status = 'done'")}
