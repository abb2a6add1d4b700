"""DisCoCat on real text: the bag-of-words reader, vocabulary pruning, starting from a pretrained
model (the bundled SST-2 one or a folder), and the presets ``qnlp train`` applies."""

import json

import numpy as np
import pytest

from qnlp.errors import ConfigError
from qnlp.estimators import QuantumTextClassifier
from qnlp.estimators.discocat_presets import discocat_preset
from qnlp.models.discocat import DisCoCatModel, load_pretrained

POS = ["great food", "great service and great staff", "lovely place", "the staff was lovely", "good food"]
NEG = ["awful food", "rude staff", "awful service , awful place", "the place was rude", "bad food"]


def test_spiders_v2_normalises_words():
    from qnlp.parsing import make_parser

    r = make_parser("spiders.v2").parse(["The FOOD was Great."])[0]
    assert r.words == ["the", "food", "was", "great"]
    assert make_parser("spiders").name == "spiders.v2"  # the plain name is the newest version


def test_min_count_shares_rare_words_with_their_twin():
    clf = QuantumTextClassifier(parser="spiders.v2", min_count=2, init="normal", epochs=3).fit(POS + NEG, [1] * 5 + [0] * 5)
    symbols = set(clf.model_.symbols)
    assert "food__s_0" in symbols and "great__s_0" in symbols  # 3 and 2 texts
    assert "lovely__s_0" in symbols and "bad__s_0" not in symbols  # "bad" is in one text only
    m = clf.model_
    assert m.lookup("bad__s_0") == m.index["<unk>__s_0"]


def test_normal_init_is_centred_on_zero():
    circuits = QuantumTextClassifier(parser="spiders.v2").fit(POS, [1, 1, 0, 0, 1]).circuits(POS)
    m = DisCoCatModel.from_circuits(circuits, ["0", "1"], init="normal", init_scale=0.1, seed=0)
    assert abs(m.weights.mean()) < 0.05 and 0.05 < m.weights.std() < 0.15
    with pytest.raises(ConfigError):
        DisCoCatModel.from_circuits(circuits, ["0", "1"], init="zeros")


def test_init_from_folder_starts_from_its_parameters(tmp_path):
    base = QuantumTextClassifier(parser="spiders.v2", init="normal", epochs=40, learning_rate=0.1, random_state=0)
    base.fit(POS + NEG, ["1"] * 5 + ["0"] * 5).save(tmp_path / "pre")
    fine = QuantumTextClassifier(init_from=str(tmp_path / "pre"), epochs=0).fit(
        ["great pasta", "awful pasta"], ["1", "0"])
    pre, m = base.model_, fine.model_
    assert fine.pipeline_.parser.name == "spiders.v2"
    for s in ("great__s_0", "great__s_2", "awful__s_1"):  # known words: the pretrained values
        assert m.weights[m.index[s]] == pytest.approx(pre.weights[pre.index[s]])
    for i in range(3):  # a new word starts from the pretrained unknown-word state
        assert m.weights[m.index[f"pasta__s_{i}"]] == pytest.approx(pre.weights[pre.index[f"<unk>__s_{i}"]])
    np.testing.assert_allclose(fine.predict_proba(["great food", "rude staff"]),
                               base.predict_proba(["great food", "rude staff"]), atol=1e-12)
    with pytest.raises(ConfigError, match="classes"):
        QuantumTextClassifier(init_from=str(tmp_path / "pre"), epochs=0).fit(["a b", "c d"], ["x", "y"])
    with pytest.raises(ConfigError, match="neither"):
        QuantumTextClassifier(init_from=str(tmp_path / "nope"), epochs=0).fit(["a b", "c d"], ["1", "0"])


def test_anchored_weight_decay_keeps_fine_tuning_near_the_start(tmp_path):
    base = QuantumTextClassifier(parser="spiders.v2", init="normal", epochs=20, learning_rate=0.1)
    base.fit(POS + NEG, ["1"] * 5 + ["0"] * 5).save(tmp_path / "pre")
    moved = {}
    for wd in (0.0, 30.0):
        fine = QuantumTextClassifier(init_from=str(tmp_path / "pre"), epochs=30, learning_rate=0.05, weight_decay=wd)
        fine.fit(["great food", "awful food"], ["0", "1"])  # labels flipped: pulls away from the start
        m, pre = fine.model_, base.model_
        moved[wd] = abs(m.weights[m.index["great__s_0"]] - pre.weights[pre.index["great__s_0"]])
    assert moved[30.0] < moved[0.0] / 3


def test_bundled_sst2_model_knows_sentiment():
    pre = load_pretrained("sst2")
    assert pre["pipeline"]["parser"]["name"] == "spiders.v2" and len(pre["symbols"]) > 30000
    clf = QuantumTextClassifier(init_from="sst2", epochs=0).fit(["good", "bad"], ["1", "0"])
    probs = clf.predict_proba(["a wonderful , moving film", "a dull , lifeless mess", "loved it", "terrible acting"])
    assert (probs[[0, 2], 1] > 0.7).all() and (probs[[1, 3], 0] > 0.7).all()


def test_presets_apply_to_real_text_only():
    assert discocat_preset("yelp")["init_from"] == "sst2"
    assert discocat_preset("sst2")["parser"] == "spiders.v2"
    assert discocat_preset("mc") == {} and discocat_preset("my_file.tsv") == {}


def test_cli_train_yelp_uses_the_real_text_preset_and_set(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from qnlp.cli.main import app

    from qnlp.cli import commands

    calls = {}

    def fake_train_one(data, **kw):
        calls.update(kw)
        return {"dataset": data.name, "seed": kw["seed"], "test_accuracy": 1.0, "train_accuracy": 1.0,
                "train_seconds": 0.0}
    # patch the name the CLI calls, after importing it (patching the module it is imported from
    # first would leave the fake bound in qnlp.cli.commands for later tests)
    monkeypatch.setattr(commands, "train_one", fake_train_one)
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--dataset", "yelp", "--out", str(tmp_path / "m"), "--json", "-q"])
    assert res.exit_code == 0, res.output
    assert calls["parser"] == "spiders.v2" and calls["epochs"] == 30 and calls["learning_rate"] == 0.003
    assert calls["extra"]["init_from"] == "sst2" and calls["extra"]["weight_decay"] == 0.1
    res = runner.invoke(app, ["train", "--dataset", "yelp", "--out", str(tmp_path / "m"), "--json", "-q",
                              "--parser", "dep", "--epochs", "5"])
    assert calls["parser"] == "dep" and calls["epochs"] == 5 and calls["extra"] == {}
    res = runner.invoke(app, ["train", "--dataset", "yelp", "--out", str(tmp_path / "m"), "-q",
                              "--set", "init_from=null"])
    assert calls["extra"]["init_from"] is None and calls["learning_rate"] == 0.1  # scratch: the SST-2 settings
    res = runner.invoke(app, ["train", "--dataset", "yelp", "--out", str(tmp_path / "m"), "-q", "--set", "heads=2"])
    assert res.exit_code == 1 and "unknown DisCoCat setting 'heads'" in res.output
    json.dumps(calls["extra"])
