"""The exact backend keeps circuits of different ansätze apart, even when their words share names."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lambeq")


def test_mixed_ansatze_in_one_batch_equal_separate_runs():
    from lambeq import cups_reader

    from qnlp.backends.exact import ExactBackend
    from qnlp.circuits.ansatz import IQPAnsatz, Sim14Ansatz

    sentences = ["man runs", "woman cooks tasty meal"]
    diagrams = [cups_reader.sentence2diagram(s) for s in sentences]
    iqp = IQPAnsatz({"n": 1, "s": 1}, n_layers=1)(diagrams, sentences)
    sim14 = Sim14Ansatz({"n": 1, "s": 2}, n_layers=1)(diagrams, sentences)
    rng = np.random.default_rng(0)
    params = {s: float(rng.random()) for s in sorted({s for c in iqp + sim14 for s in c.symbols})}
    backend = ExactBackend(device="cpu")
    together = backend.run(iqp + sim14, params)
    apart = backend.run(iqp, params) + backend.run(sim14, params)
    assert [np.shape(p) for p in together] == [(2,), (2,), (2, 2), (2, 2)]
    for a, b in zip(together, apart):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-12)


def test_probabilities_of_a_subset_equal_the_full_rows():
    """``probabilities(theta, circuits=idx)`` contracts only those circuits and returns their
    rows in that order, equal to the rows of the full evaluation."""
    import torch

    from qnlp.estimators import QuantumTextClassifier

    texts = ["man cooks meal", "woman prepares tasty sauce", "man runs program", "person debugs software"]
    clf = QuantumTextClassifier(epochs=2, random_state=0).fit(texts, ["a", "a", "b", "b"])
    compiled = clf.model_.compile(clf.circuits(texts))
    theta = torch.as_tensor(clf.model_.weights)
    full = compiled.probabilities(theta)
    idx = [3, 0, 2]
    torch.testing.assert_close(compiled.probabilities(theta, circuits=idx), full[idx])
