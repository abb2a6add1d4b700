"""Bundled datasets (sizes, quirks, stored splits) and users' own files."""

import json
from collections import Counter

import pytest

from qnlp.datasets import available, load, read_labelled_file
from qnlp.datasets.loaders import data_root, make_split_indices
from qnlp.errors import DatasetError


def test_bundled_sizes_and_labels():
    sizes = {n: (len(load(n).train), len(load(n).dev), len(load(n).test)) for n in available()}
    assert sizes["mc"] == (70, 30, 30)
    assert sizes["rp"] == (74, 0, 31)
    assert sizes["yelp"] == (800, 0, 200)
    assert sizes["imdb"] == (800, 0, 200)
    assert sizes["sst2"] == (67349, 0, 872)
    assert sum(sizes["tatoeba"]) == 10000


def test_mc_and_rp_label_counts_match_source_notes():
    mc, rp = load("mc"), load("rp")
    assert Counter(mc.train.labels) == {"0": 31, "1": 39}
    assert Counter(rp.train.labels) == {"0": 28, "1": 46}
    assert Counter(rp.test.labels) == {"0": 12, "1": 19}
    assert mc.train.texts[0].endswith(".") and "  " not in mc.train.texts[0]


def test_imdb_reads_1000_rows_despite_quotes_and_nel():
    ds = load("imdb")
    texts = ds.train.texts + ds.test.texts
    assert len(texts) == 1000
    assert sum("\u0096" in t for t in texts) >= 1  # C1 characters kept; U+0085 is whitespace
    assert Counter(ds.train.labels + ds.test.labels) == {"0": 500, "1": 500}
    assert all(t == t.strip() for t in texts)


def test_uci_splits_are_stratified_stored_and_seeded():
    a, b = load("yelp", seed=0), load("yelp", seed=0)
    assert a.test.texts == b.test.texts
    assert Counter(a.test.labels) == {"0": 100, "1": 100}
    assert load("yelp", seed=1).test.texts != a.test.texts
    stored = json.loads((data_root() / "uci_sentiment" / "splits" / "yelp.json").read_text())
    assert sorted(stored["seeds"]) == ["0", "1", "2", "3", "4"]
    with pytest.raises(DatasetError, match="no stored split for seed 9"):
        load("yelp", seed=9)


def test_tatoeba_splits_by_distinct_english_sentence():
    ds = load("tatoeba")
    train, dev, test = set(ds.train.texts), set(ds.dev.texts), set(ds.test.texts)
    assert not (train & test) and not (train & dev) and not (dev & test)
    assert ds.task == "translation" and ds.classes == []


def test_sst2_strips_space_before_tab():
    ds = load("sst2")
    assert ds.test.texts[0] == ds.test.texts[0].strip()
    assert Counter(ds.test.labels) == {"1": 444, "0": 428}


@pytest.mark.parametrize("content,suffix", [
    ("text\tlabel\ngood food\tpos\nbad food\tneg\nnice\tpos\nawful\tneg\n", ".tsv"),
    ("good food\tpos\nbad food\tneg\nnice\tpos\nawful\tneg\n", ".tsv"),
    ("label,sentence\npos,good food\nneg,\"bad, cold food\"\npos,nice\nneg,awful\n", ".csv"),
    ("pos good food\nneg bad food\npos nice\nneg awful\n", ".txt"),
])
def test_user_files_with_and_without_header(tmp_path, content, suffix):
    path = tmp_path / f"mine{suffix}"
    path.write_text(content)
    split = read_labelled_file(path)
    assert sorted(split.labels) == ["neg", "neg", "pos", "pos"]
    assert "good food" in split.texts and "nice" in split.texts
    ds = load(str(path), seed=0, test_fraction=0.5)
    assert len(ds.train) == 2 and len(ds.test) == 2 and ds.classes == ["neg", "pos"]


def test_malformed_row_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("good\tpos\nbad\tneg\textra\n")
    with pytest.raises(DatasetError, match=r"bad\.tsv:2: expected 2 fields"):
        load(str(path))


def test_unknown_name_and_missing_file_are_clear():
    with pytest.raises(DatasetError, match="unknown dataset 'nope'.*mc"):
        load("nope")


def test_empty_and_binary_files(tmp_path):
    empty = tmp_path / "e.tsv"
    empty.write_text("")
    with pytest.raises(DatasetError, match="empty"):
        load(str(empty))
    binary = tmp_path / "b.tsv"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(DatasetError, match="not UTF-8"):
        load(str(binary))


def test_split_indices_are_stratified():
    labels = ["a"] * 10 + ["b"] * 30
    idx = make_split_indices(labels, 0.2, seed=0)
    assert Counter(labels[i] for i in idx["test"]) == {"a": 2, "b": 6}
    assert sorted(idx["train"] + idx["test"]) == list(range(40))
