"""Seq2SeqTranslator: fitting, translation, save/load, bad input, the CLI functions."""

import json

import pytest

from qnlp.errors import ConfigError, DatasetError, ModelFileError, ParseError
from qnlp.estimators.seq2seq import Seq2SeqTranslator

PAIRS = [
    ("Tom ran.", "Tom corrió."), ("I ran.", "Corrí."), ("We ran.", "Corrimos."), ("Mary ran.", "Mary corrió."),
    ("Tom eats.", "Tom come."), ("I eat.", "Como."), ("We eat.", "Comemos."), ("Mary eats.", "Mary come."),
    ("Tom sings.", "Tom canta."), ("I sing.", "Canto."), ("We sing.", "Cantamos."), ("Mary sings.", "Mary canta."),
    ("Is Tom here?", "¿Está Tom aquí?"), ("Is Mary here?", "¿Está Mary aquí?"), ("I am here.", "Estoy aquí."),
    ("We are here.", "Estamos aquí."), ("Tom likes Mary.", "A Tom le gusta Mary."),
    ("Mary likes Tom.", "A Mary le gusta Tom."), ("I like cats.", "Me gustan los gatos."),
    ("We like dogs.", "Nos gustan los perros."),
]
EN = [e for e, _ in PAIRS]
ES = [s for _, s in PAIRS]
SMALL = dict(n_qubits=3, n_layers=1, n_heads=2, hidden=64, lexical_dim=8, epochs=150, batch_size=20, learning_rate=0.03,
             label_smoothing=0.0, unk_rate=0.0, target_min_count=1, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    return Seq2SeqTranslator(attention="quantum", **SMALL).fit(EN, ES)


def test_tiny_quantum_model_overfits_to_exact_match(fitted):
    scores = fitted.evaluate(EN, [[s] for s in ES])
    assert scores["exact_match"] == 1.0
    assert scores["chrf"] == pytest.approx(100.0)
    assert fitted.history_[-1].loss < 0.05 < fitted.history_[0].loss
    assert fitted.describe()["n_qubits_max"] == 3


def test_names_are_copied_from_the_source(fitted):
    # "Zorglub" was never seen: it takes the name slot that Tom/Mary had in training
    out = fitted.translate(["Zorglub sings."])[0]
    assert "Zorglub" in out


def test_beam_search_agrees_on_training_pairs(fitted):
    assert fitted.translate(EN[:6], beam=3) == ES[:6]


def test_save_load_round_trip(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["model_type"] == "Seq2SeqTranslator"
    assert (tmp_path / "m" / "weights.npz").is_file() and (tmp_path / "m" / "training_curve.png").is_file()
    loaded = Seq2SeqTranslator.load(tmp_path / "m")
    sentences = EN + ["Zorglub eats.", "Tom likes dogs."]
    assert loaded.translate(sentences) == fitted.translate(sentences)
    assert loaded.translate_scored(EN[:3]) == fitted.translate_scored(EN[:3])
    from qnlp.estimators.loading import SEQ2SEQ, model_kind

    assert model_kind(tmp_path / "m") == SEQ2SEQ
    (tmp_path / "m" / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(ModelFileError):
        Seq2SeqTranslator.load(tmp_path / "m")


def test_bad_input_messages(fitted):
    with pytest.raises(ParseError, match="sentence 2: empty sentence"):
        fitted.translate(["Tom ran.", "  "])
    with pytest.raises(ParseError, match="outside the Latin script"):
        fitted.translate(["Том бежал."])
    with pytest.raises(ValueError, match="string object received"):
        fitted.translate("Tom ran.")
    with pytest.warns(UserWarning, match="more than 16 tokens"):
        out = fitted.translate(["Tom " * 30 + "ran."])
    assert isinstance(out[0], str)
    with pytest.raises(ConfigError, match="unknown attention"):
        Seq2SeqTranslator(attention="magic").fit(EN, ES)


def test_classical_twin_fits_too():
    model = Seq2SeqTranslator(attention="classical", **{**SMALL, "learning_rate": 0.02}).fit(EN, ES)
    assert model.evaluate(EN, [[s] for s in ES])["exact_match"] >= 0.9


def test_cli_functions(fitted, tmp_path, capsys):
    from qnlp.cli import seq2seq as cli

    fitted.save(tmp_path / "m")
    cli.translate_command(str(tmp_path / "m"), ["Tom ran.", "Is Mary here?"], 1, True)
    out = json.loads(capsys.readouterr().out)
    assert [r["translation"] for r in out] == ["Tom corrió.", "¿Está Mary aquí?"]
    assert all(r["score"] <= 0 for r in out)
    with pytest.raises(ConfigError, match="1 of 3 sentences could not be translated"):
        cli.translate_command(str(tmp_path / "m"), ["Tom ran.", "", "I eat."], 1, False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "ERROR\t\tempty sentence" and lines[0].startswith("Tom corrió.\t")
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("".join(f"{e}\t{s}\n" for e, s in PAIRS[:5]) + "I ran.\tYo corrí.\n", encoding="utf-8")
    cli.evaluate_command(str(tmp_path / "m"), str(tsv), True)
    scores = json.loads(capsys.readouterr().out)
    assert scores["exact_match"] == 1.0 and scores["n_sentences"] == 5
    tsv.write_text("no tab here\n")
    with pytest.raises(DatasetError, match="pairs.tsv:1: expected 'English<TAB>Spanish'"):
        cli.evaluate_command(str(tmp_path / "m"), str(tsv), False)
    with pytest.raises(ModelFileError):
        cli.translate_command(str(tmp_path / "missing"), ["Tom ran."], 1, False)
    with pytest.raises(ConfigError, match="unknown seq2seq setting 'colour'"):
        cli.parse_settings(["colour=blue"])
    with pytest.raises(DatasetError, match="bundled translation dataset"):
        cli.train_command(str(tsv), str(tmp_path / "t"), 0, 1, [], False, True)


@pytest.mark.aer
def test_shot_agreement_on_a_state_backend_is_exact(fitted):
    from qnlp.bench.translation_bench import shots_agreement, summarise, table

    pytest.importorskip("qiskit_aer")
    report = shots_agreement(fitted, ["Tom ran.", "We sing."], backend="aer-state", shots=None)
    assert report["token_agreement"] == 1.0 and report["sentence_agreement"] == 1.0
    assert report["tokens_equal"] == report["tokens_compared"] == 7  # "<c1> corrió ." and "cantamos .", each + </s>
    rows = summarise([{"model": "quantum", "bleu": b, "chrf": 40.0, "exact_match": 0.1, "train_seconds": 1.0,
                       "n_parameters": 10, "n_qubits_max": 4} for b in (20.0, 22.0)])
    assert rows[0]["bleu"] == 21.0 and rows[0]["bleu_sd"] == pytest.approx(2 ** 0.5)
    assert "| quantum | 21.0 ± 1.4 | 40.0 ± 0.0 |" in table(rows)


def test_seeded_fits_are_reproducible_and_leave_global_rng_alone():
    import torch

    settings = {**SMALL, "epochs": 3}
    state = torch.random.get_rng_state()
    a = Seq2SeqTranslator(attention="transformer", d_model=16, ff_dim=32, **{k: v for k, v in settings.items()
                                                                             if k not in ("n_qubits",)}).fit(EN, ES)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = Seq2SeqTranslator(attention="transformer", d_model=16, ff_dim=32, **{k: v for k, v in settings.items()
                                                                             if k not in ("n_qubits",)}).fit(EN, ES)
    assert [r.loss for r in a.history_] == [r.loss for r in b.history_]
    c = Seq2SeqTranslator(attention="quantum", **settings).fit(EN, ES)
    assert torch.equal(torch.random.get_rng_state(), state)
    d = Seq2SeqTranslator(attention="quantum", **settings).fit(EN, ES)
    assert [r.loss for r in c.history_] == [r.loss for r in d.history_]
