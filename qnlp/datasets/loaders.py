"""Readers for the bundled datasets (each with its format quirks) and for users' own files.

Where a dataset has no official split, a fixed, seeded, stratified split is used whose indices are
stored in the repository (``datasets/<folder>/splits/<name>.json``), so every run and every user
sees the same split. The indices were made by :func:`make_split_indices` (see ``make_splits.py``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from qnlp.errors import DatasetError


@dataclass
class Split:
    """Texts with their labels (``targets`` holds translations for parallel data)."""

    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def __iter__(self):
        return iter(zip(self.texts, self.labels))


@dataclass
class Dataset:
    """A dataset in splits. ``dev`` may be empty; ``classes`` are the sorted label strings."""

    name: str
    train: Split
    test: Split
    dev: Split = field(default_factory=lambda: Split([], []))
    task: str = "classification"
    notes: str = ""

    @property
    def classes(self) -> list[str]:
        if self.task != "classification":
            return []
        return sorted(set(self.train.labels) | set(self.test.labels) | set(self.dev.labels))

    def summary(self) -> dict:
        return {"name": self.name, "task": self.task, "train": len(self.train),
                "dev": len(self.dev), "test": len(self.test), "classes": self.classes,
                "notes": self.notes}


def data_root() -> Path:
    """Folder of the bundled data: ``$QNLP_DATA_DIR``, else the installed package data."""
    env = os.environ.get("QNLP_DATA_DIR")
    if env:
        return Path(env)
    import qnlp

    here = Path(qnlp.__file__).resolve().parent
    for candidate in (here / "_data", here.parent / "datasets"):
        if (candidate / "lambeq").is_dir():
            return candidate
    try:
        from importlib.resources import files

        return Path(str(files("qnlp._data")))
    except Exception as exc:  # pragma: no cover - broken install
        raise DatasetError("bundled datasets not found; reinstall qnlp or set QNLP_DATA_DIR") from exc


def _read_lines(path: Path) -> list[str]:
    """Lines split on ``\\n`` only (the UCI files contain U+0085, which splitlines() splits on)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"dataset file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def _lambeq_file(path: Path) -> Split:
    """``<label> <sentence>`` (MC uses two spaces, RP one; RP has no final newline)."""
    texts, labels = [], []
    for lineno, line in enumerate(_read_lines(path), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise DatasetError(f"{path}:{lineno}: expected '<label> <sentence>', got {line!r}")
        labels.append(parts[0])
        texts.append(parts[1].strip())
    return Split(texts, labels)


def _tab_label_file(path: Path) -> Split:
    """``sentence<TAB>label`` (UCI; SST-2 has a space before the tab)."""
    texts, labels = [], []
    for lineno, line in enumerate(_read_lines(path), 1):
        parts = line.rsplit("\t", 1)
        if len(parts) != 2 or not parts[1].strip():
            raise DatasetError(f"{path}:{lineno}: expected 'sentence<TAB>label', got {line!r}")
        texts.append(" ".join(parts[0].split()))
        labels.append(parts[1].strip())
    return Split(texts, labels)


def _subset(split: Split, idx) -> Split:
    return Split([split.texts[i] for i in idx], [split.labels[i] for i in idx])


def make_split_indices(labels: list[str], test_fraction: float, seed: int) -> dict:
    """Seeded stratified split: ``{"train": [...], "test": [...]}`` (sorted indices)."""
    rng = np.random.default_rng(seed)
    labels_arr = np.asarray(labels)
    train, test = [], []
    for cls in sorted(set(labels)):
        idx = np.flatnonzero(labels_arr == cls)
        rng.shuffle(idx)
        n_test = int(round(len(idx) * test_fraction))
        test.extend(idx[:n_test].tolist())
        train.extend(idx[n_test:].tolist())
    return {"train": sorted(train), "test": sorted(test)}


def _stored_split(folder: Path, name: str, seed: int) -> dict:
    path = folder / "splits" / f"{name}.json"
    try:
        table = json.loads(path.read_text())
    except FileNotFoundError:
        raise DatasetError(f"split file missing: {path}") from None
    seeds = table["seeds"]
    if str(seed) not in seeds:
        raise DatasetError(f"{name}: no stored split for seed {seed}; stored seeds: {', '.join(seeds)}")
    return seeds[str(seed)]


def _load_mc(seed: int) -> Dataset:
    root = data_root() / "lambeq"
    return Dataset("mc", _lambeq_file(root / "mc_train_data.txt"), _lambeq_file(root / "mc_test_data.txt"),
                   _lambeq_file(root / "mc_dev_data.txt"),
                   notes="lambeq meaning classification (food vs IT), official splits")


def _load_rp(seed: int) -> Dataset:
    root = data_root() / "lambeq"
    return Dataset("rp", _lambeq_file(root / "rp_train_data.txt"), _lambeq_file(root / "rp_test_data.txt"),
                   notes="lambeq relative pronoun (subject vs object relative clause); no dev split")


def _uci(name: str) -> Callable[[int], Dataset]:
    def load_uci(seed: int) -> Dataset:
        folder = data_root() / "uci_sentiment"
        full = _tab_label_file(folder / f"{name}_labelled.txt")
        idx = _stored_split(folder, name, seed)
        return Dataset(name, _subset(full, idx["train"]), _subset(full, idx["test"]),
                       notes=f"UCI sentiment ({name}), stored stratified 80/20 split, seed {seed}")
    return load_uci


def _load_sst2(seed: int) -> Dataset:
    folder = data_root() / "sst2"
    dev = _tab_label_file(folder / "sentiment-dev")
    return Dataset("sst2", _tab_label_file(folder / "sentiment-train"), dev,
                   notes="SST-2 phrases (train) and dev sentences; the test split is dev")


def _load_tatoeba(seed: int) -> Dataset:
    folder = data_root() / "tatoeba_spa_eng"
    pairs = []
    path = folder / "spa_first10000.txt"
    for lineno, line in enumerate(_read_lines(path), 1):
        parts = line.split("\t")
        if len(parts) != 2:
            raise DatasetError(f"{path}:{lineno}: expected 'English<TAB>Spanish'")
        pairs.append((parts[0], parts[1]))
    full = Split([p[0] for p in pairs], [p[1] for p in pairs])
    idx = _stored_split(folder, "tatoeba", seed)
    return Dataset("tatoeba", _subset(full, idx["train"]), _subset(full, idx["test"]),
                   _subset(full, idx["dev"]), task="translation",
                   notes="English-Spanish pairs, split 80/10/10 by distinct English sentence")


#: Bundled datasets: name -> loader(seed).
DATASETS: dict[str, Callable[[int], Dataset]] = {
    "mc": _load_mc,
    "rp": _load_rp,
    "yelp": _uci("yelp"),
    "imdb": _uci("imdb"),
    "sst2": _load_sst2,
    "tatoeba": _load_tatoeba,
}


def available() -> list[str]:
    """Names of the bundled datasets."""
    return list(DATASETS)


def load(name_or_path: str | os.PathLike, *, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """Load a bundled dataset by name, or a user's labelled file by path.

    Parameters
    ----------
    name_or_path : str or path
        A bundled name (see :func:`available`) or a path to a TSV/CSV file with a text and a label
        column (header optional) or a lambeq-style ``<label> <sentence>`` ``.txt`` file.
    seed : int
        Which stored split (bundled datasets without an official split: seeds 0-4), or the seed of
        the stratified split of a user's file.
    test_fraction : float
        Test share of a user's file.

    Raises
    ------
    DatasetError
        Unknown name, missing file, or a malformed row (the message names file and line).
    """
    key = str(name_or_path).strip()
    if key.lower() in DATASETS:
        return DATASETS[key.lower()](seed)
    path = Path(key).expanduser()
    if not path.exists():
        raise DatasetError(f"unknown dataset {key!r}: not a bundled name ({', '.join(DATASETS)}) "
                           "and no such file")
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; give a TSV/CSV file or a bundled dataset name")
    full = read_labelled_file(path)
    if len(full) < 2:
        raise DatasetError(f"{path}: needs at least 2 labelled rows, found {len(full)}")
    idx = make_split_indices(full.labels, test_fraction, seed)
    if not idx["train"] or not idx["test"]:
        raise DatasetError(f"{path}: too few rows per class for a train/test split")
    return Dataset(path.stem, _subset(full, idx["train"]), _subset(full, idx["test"]),
                   notes=f"user file {path}, stratified {1 - test_fraction:.0%}/{test_fraction:.0%} split, seed {seed}")


_TEXT_NAMES = {"text", "sentence", "review", "document", "phrase", "content"}
_LABEL_NAMES = {"label", "labels", "class", "target", "sentiment", "y"}


def read_labelled_file(path: str | os.PathLike) -> Split:
    """Read a user's labelled file: TSV (``.tsv``/``.txt`` with tabs) or CSV, header optional.

    The text column is the one named ``text``/``sentence``/... in a header, else the column with
    the longer entries; the other is the label. A lambeq-style file (``<label> <sentence>`` with
    no tab) is read too. Every row must have exactly two fields.
    """
    path = Path(path)
    lines = _read_lines(path)
    rows_text = [(i, ln) for i, ln in enumerate(lines, 1) if ln.strip()]
    if not rows_text:
        raise DatasetError(f"{path}: the file is empty")
    sample = rows_text[0][1]
    if path.suffix.lower() == ".csv":
        delimiter = ","
    elif "\t" in sample:
        delimiter = "\t"
    elif path.suffix.lower() == ".txt":
        return _lambeq_file(path)
    else:
        delimiter = ","
    rows = []
    for lineno, line in rows_text:
        if delimiter == "\t":
            fields = line.split("\t")
        else:
            try:
                fields = next(csv.reader(io.StringIO(line)))
            except (csv.Error, StopIteration) as exc:
                raise DatasetError(f"{path}:{lineno}: malformed CSV row ({exc})") from None
        fields = [f.strip() for f in fields]
        if len(fields) != 2:
            raise DatasetError(f"{path}:{lineno}: expected 2 fields (text and label), found {len(fields)}: {line[:80]!r}")
        if not fields[0] and not fields[1]:
            raise DatasetError(f"{path}:{lineno}: empty row")
        rows.append((lineno, fields))
    header = [f.lower() for f in rows[0][1]]
    text_col = None
    if set(header) & _TEXT_NAMES or set(header) & _LABEL_NAMES:
        text_col = 0 if header[0] in _TEXT_NAMES or header[1] in _LABEL_NAMES else 1
        rows = rows[1:]
    if not rows:
        raise DatasetError(f"{path}: header only, no data rows")
    if text_col is None:
        mean_len = [np.mean([len(r[1][c]) for r in rows]) for c in (0, 1)]
        text_col = int(np.argmax(mean_len))
    texts, labels = [], []
    for lineno, fields in rows:
        text, label = fields[text_col], fields[1 - text_col]
        if not text:
            raise DatasetError(f"{path}:{lineno}: empty text")
        if not label:
            raise DatasetError(f"{path}:{lineno}: empty label")
        texts.append(" ".join(text.split()))
        labels.append(label)
    return Split(texts, labels)
