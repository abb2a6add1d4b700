"""Regenerate the stored split indices of the bundled datasets (run once; results are committed).

``python -m qnlp.datasets.make_splits`` writes ``datasets/*/splits/*.json``.
"""

from __future__ import annotations

import json

import numpy as np

from qnlp.datasets.loaders import _read_lines, _tab_label_file, data_root, make_split_indices

SEEDS = range(5)


def uci_splits() -> None:
    folder = data_root() / "uci_sentiment"
    for name in ("yelp", "imdb"):
        full = _tab_label_file(folder / f"{name}_labelled.txt")
        table = {"description": f"stratified 80/20 split of {name}_labelled.txt (0-based line indices)",
                 "seeds": {str(s): make_split_indices(full.labels, 0.2, s) for s in SEEDS}}
        _write(folder / "splits" / f"{name}.json", table)


def tatoeba_split(seed: int = 0) -> None:
    folder = data_root() / "tatoeba_spa_eng"
    english = [line.split("\t")[0] for line in _read_lines(folder / "spa_first10000.txt")]
    distinct = sorted(set(english))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(distinct))
    n_test = n_dev = len(distinct) // 10
    part = {}
    for rank, i in enumerate(order):
        part[distinct[i]] = "test" if rank < n_test else "dev" if rank < n_test + n_dev else "train"
    split = {"train": [], "dev": [], "test": []}
    for i, sentence in enumerate(english):
        split[part[sentence]].append(i)
    table = {"description": "80/10/10 split by distinct English sentence (0-based line indices)",
             "seeds": {str(seed): split}}
    _write(folder / "splits" / "tatoeba.json", table)


def _write(path, table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, separators=(",", ":")) + "\n")
    print("wrote", path)


if __name__ == "__main__":
    uci_splits()
    tatoeba_split()
