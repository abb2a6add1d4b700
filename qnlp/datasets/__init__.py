"""Bundled datasets and user files, loaded into train/dev/test splits.

>>> from qnlp.datasets import load
>>> mc = load("mc")
>>> len(mc.train), len(mc.dev), len(mc.test)
(70, 30, 30)
>>> mc.classes
['0', '1']
"""

from qnlp.datasets.loaders import DATASETS, Dataset, Split, available, load, read_labelled_file  # noqa: F401

__all__ = ["DATASETS", "Dataset", "Split", "available", "load", "read_labelled_file"]
