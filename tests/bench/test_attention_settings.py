"""Per-dataset attention settings used by the benchmark and by `qnlp train --model attention`."""

from qnlp.models.attention.presets import MINILM_CONFIG, QUANTUM_CONFIGS, quantum_config


def test_dataset_settings_then_overrides():
    cfg = quantum_config("rp", {"epochs": 5})
    assert cfg["positional"] is True and cfg["n_layers"] == 1 and cfg["epochs"] == 5
    assert quantum_config("my_file.tsv") == QUANTUM_CONFIGS["default"]


def test_minilm_source_gets_its_own_settings():
    cfg = quantum_config("yelp", {"source": "minilm", "epochs": 3})
    assert cfg == {**MINILM_CONFIG, "epochs": 3}
    assert cfg["init_scale"] == 0.1 and "weight_decay" not in cfg


def test_fit_pooled_weights_each_source_equally_and_refuses_other_labels():
    import numpy as np
    import pytest
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from qnlp.bench.attention_bench import fit_pooled
    from qnlp.datasets.loaders import Split

    seen = {}

    class Recording(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            seen["w"], seen["y"] = sample_weight, list(y)
            return super().fit(X, y, sample_weight=sample_weight)

    pipe = make_pipeline(FunctionTransformer(lambda texts: np.array([[len(t)] for t in texts], float)),
                         Recording())
    pipe.steps[-1] = ("logisticregression", pipe.steps[-1][1])
    train = Split(["good", "bad"], ["1", "0"])
    extra = Split(["fine film", "awful", "great", "dull", "nice", "poor"], ["1", "0"] * 3)
    fit_pooled(pipe, train, extra)
    w = seen["w"]
    assert len(w) == 8 and w[:6].sum() == pytest.approx(w[6:].sum())  # 6 x 1 = 2 x 3
    assert seen["y"] == extra.labels + train.labels
    with pytest.raises(ValueError, match="cannot pool"):
        fit_pooled(pipe, Split(["good", "bad"], ["pos", "neg"]), extra)


def test_run_one_with_pretrained_sst2_fine_tunes_every_model():
    from qnlp.bench.attention_bench import run_one

    runs = {r.model: r for r in run_one("mc", 0, ("quantum", "classical-attention", "tfidf-lr"),
                                        pretrained="sst2")}
    assert set(runs) == {"quantum-gaussian+sst2", "classical-attention+sst2", "tfidf-lr+sst2"}
    # the SST-2 vocabulary (13,806 words + 2) is kept: 221,002 SST-2 parameters + MC's new words
    assert runs["quantum-gaussian+sst2"].n_parameters > 221_002
    assert runs["classical-attention+sst2"].n_parameters > 221_530
    assert runs["tfidf-lr+sst2"].n_parameters > 81_093  # the pooled vocabulary
    assert all(r.accuracy >= 0.7 for r in runs.values())
