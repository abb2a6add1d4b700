"""Model save/load, unknown words, corrupt model folders."""

import json

import numpy as np
import pytest

from qnlp.errors import ModelFileError, UnknownWordError
from qnlp.estimators import QuantumTextClassifier
from qnlp.models.discocat import load_model_dir, unk_twin


def test_trained_model_reaches_full_test_accuracy(trained_mc, mc):
    clf, _ = trained_mc
    assert clf.score(mc.test.texts, mc.test.labels) == 1.0


def test_save_load_gives_identical_predictions(trained_mc, mc):
    clf, path = trained_mc
    loaded = QuantumTextClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(mc.test.texts), clf.predict_proba(mc.test.texts))
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "weights.npz"]
    config = json.loads((path / "config.json").read_text())
    assert config["pipeline"]["ansatz"]["name"] == "iqp.v1"


def test_forward_is_two_dimensional(trained_mc):
    clf, _ = trained_mc
    probs = clf.predict_proba(["man prepares sauce ."])
    assert probs.shape == (1, 2)
    assert probs.sum() == pytest.approx(1.0)


def test_unknown_words_use_learned_twin(trained_mc):
    clf, _ = trained_mc
    circuit = clf.circuits(["zorblax prepares sauce ."])[0]
    assert clf.model_.unknown_words_in(circuit) == ["zorblax"]
    twin = clf.model_.lookup("zorblax__s.r@s_0")
    assert clf.model_.symbols[twin] == "<unk>__s.r@s_0"
    assert clf.predict_proba(["zorblax prepares sauce ."]).shape == (1, 2)


def test_unknown_words_can_raise(mc):
    clf = QuantumTextClassifier(parser="cups", epochs=2, unknown_words="raise").fit(mc.train.texts, mc.train.labels)
    with pytest.raises(UnknownWordError, match="zorblax"):
        clf.predict(["zorblax prepares sauce ."])


def test_unk_twin_names():
    assert unk_twin("man__n_0") == "<unk>__n_0"
    assert unk_twin("STAIR_s@s_s_0") is None
    assert unk_twin("<unk>__n_0") is None


@pytest.mark.parametrize("damage", ["missing_dir", "no_weights", "bad_json", "bad_weights", "wrong_count", "old_format"])
def test_corrupt_model_folders_raise_model_file_error(trained_mc, tmp_path, damage):
    import shutil

    _, path = trained_mc
    target = tmp_path / "m"
    shutil.copytree(path, target)
    if damage == "missing_dir":
        target = tmp_path / "nothing"
    elif damage == "no_weights":
        (target / "weights.npz").unlink()
    elif damage == "bad_json":
        (target / "config.json").write_text("{not json")
    elif damage == "bad_weights":
        (target / "weights.npz").write_bytes(b"garbage")
    elif damage == "wrong_count":
        np.savez(target / "weights.npz", weights=np.zeros(3))
    elif damage == "old_format":
        cfg = json.loads((target / "config.json").read_text())
        cfg["format_version"] = 99
        (target / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError):
        load_model_dir(target)


def test_save_replaces_atomically(trained_mc, tmp_path):
    clf, _ = trained_mc
    target = tmp_path / "model"
    clf.save(target)
    clf.save(target)  # overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp folders left
