"""Shared fixtures: small diagrams, circuits and one trained MC model per session."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mc():
    from qnlp.datasets import load

    return load("mc")


@pytest.fixture(scope="session")
def cups_parser():
    from qnlp.parsing import make_parser

    return make_parser("cups")


@pytest.fixture(scope="session")
def trained_mc(mc, tmp_path_factory):
    """A DisCoCat classifier trained on MC (cups reader, exact backend), saved to a folder."""
    from qnlp.estimators import QuantumTextClassifier

    clf = QuantumTextClassifier(parser="cups", epochs=120, random_state=1)
    clf.fit(mc.train.texts, mc.train.labels)
    path = tmp_path_factory.mktemp("model") / "mc"
    clf.save(path)
    return clf, path


def random_parameters(circuits, seed=0):
    rng = np.random.default_rng(seed)
    names = sorted({s for c in circuits for s in c.symbols})
    return {s: float(rng.uniform(0, 1)) for s in names}
