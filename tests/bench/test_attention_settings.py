"""Per-dataset attention settings used by the benchmark and by `qnlp train --model attention`."""

from qnlp.bench.attention_bench import MINILM_CONFIG, QUANTUM_CONFIGS, quantum_config


def test_dataset_settings_then_overrides():
    cfg = quantum_config("rp", {"epochs": 5})
    assert cfg["positional"] is True and cfg["n_layers"] == 1 and cfg["epochs"] == 5
    assert quantum_config("my_file.tsv") == QUANTUM_CONFIGS["default"]


def test_minilm_source_gets_its_own_settings():
    cfg = quantum_config("yelp", {"source": "minilm", "epochs": 3})
    assert cfg == {**MINILM_CONFIG, "epochs": 3}
    assert cfg["init_scale"] == 0.1 and "weight_decay" not in cfg
