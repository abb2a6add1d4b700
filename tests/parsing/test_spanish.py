"""The offline Spanish parser (dep-es.v1): shipped model, Spanish pregroup conventions, fallback,
Tatoeba coverage, ``make_parser`` and ``qnlp parse --lang``."""

from pathlib import Path

import pytest

from qnlp.errors import ConfigError

GSD_TEST = Path("/work/shared/datasets/ud_spanish_gsd/es_gsd-ud-test.conllu")


@pytest.fixture(scope="module")
def es():
    from qnlp.parsing.spanish import SpanishDependencyParser

    return SpanishDependencyParser()


def _types(parser, sentence):
    r = parser.parse([sentence])[0]
    assert not r.fallback
    return list(zip(r.words, r.types)), r


def test_shipped_model_is_small_licensed_and_loads_offline(es):
    from qnlp.parsing.spanish import MODEL_DIR

    assert (MODEL_DIR / "meta.json").is_file()
    licence = (MODEL_DIR / "LICENSE.md").read_text()
    assert "CC BY-SA 4.0" in licence and "Spanish-GSD" in licence and "Spanish-PUD" in licence
    nlp = es.nlp  # spacy.load of the shipped folder (a missing file would raise here)
    assert nlp.lang == "es" and nlp.pipe_names == ["tok2vec", "tagger", "parser"]
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert size < 12e6


def test_post_nominal_adjective_determiner_and_transitive_verb(es):
    pairs, r = _types(es, "El gato negro come pescado.")
    assert pairs == [("El", "n·n.l"), ("gato", "n"), ("negro", "n.r·n"), ("come", "n.r·s·n.l"),
                     ("pescado", "n")]
    from qnlp.parsing.base import format_type

    assert format_type(r.diagram.cod) == "s"


def test_pro_drop_subject_still_gives_a_sentence(es):
    pairs, r = _types(es, "Come pescado.")
    assert pairs == [("Come", "s·n.l"), ("pescado", "n")]
    assert len(r.diagram.cod) == 1 and r.diagram.cod[0].name == "s"


def test_pre_verbal_clitic_is_an_argument_of_the_verb(es):
    pairs, _ = _types(es, "Lo veo.")
    assert pairs == [("Lo", "n"), ("veo", "n.r·s")]


def test_question_marks_are_dropped_and_the_question_is_a_clause(es):
    pairs, r = _types(es, "¿Te gustan los perros?")
    assert [w for w, _ in pairs] == ["Te", "gustan", "los", "perros"]
    assert dict(pairs)["gustan"] == "n.r·s·n.l" and dict(pairs)["los"] == "n·n.l"
    assert r.diagram.cod[0].name == "s" and len(r.diagram.cod) == 1


def test_de_phrase_is_a_functor_over_its_noun(es):
    pairs, _ = _types(es, "El perro de Tom come carne.")
    assert dict(pairs)["de"] == "n.r·n·n.l" and dict(pairs)["come"] == "n.r·s·n.l"


def test_subject_relative_clause(es):
    pairs, _ = _types(es, "el hombre que come pescado")
    assert dict(pairs)["que"] == "n.r·n·s.l·n"


def test_normalise_spanish_makes_clitics_arguments():
    from qnlp.parsing.pregroup import Tok
    from qnlp.parsing.spanish import normalise_spanish

    toks = [Tok("se", "PRON", 2, "compound:prt"), Tok("le", "PRON", 2, "obl:arg"),
            Tok("dio", "VERB", -1, "ROOT"), Tok("la", "DET", 4, "det"), Tok("mano", "NOUN", 2, "obj")]
    assert [t.dep for t in normalise_spanish(toks)] == ["expl", "iobj", "ROOT", "det", "obj"]
    assert toks[0].dep == "compound:prt"  # a copy: the input is unchanged


def test_fallback_is_flagged_and_uses_cups_reader(es, monkeypatch):
    from qnlp.parsing.spanish import SpanishDependencyParser

    def broken(toks):
        raise ValueError("no tree")

    monkeypatch.setattr(SpanishDependencyParser, "tree_diagram", staticmethod(broken))
    res = es.parse(["El gato come pescado ."])[0]
    assert res.fallback is True and res.parser == "dep-es.v1"
    assert res.words == ["START", "El", "gato", "come", "pescado", "."]


def test_tatoeba_sample_reduces_to_sentence_type_without_fallback(es):
    from qnlp.parsing.training.evaluate_es import sentence_type_share, tatoeba_spanish

    sample = tatoeba_spanish("train")[::40]  # 201 sentences of the train split
    res = sentence_type_share(es, sample)
    assert res["total"] == 201 and res["rejected"] == 0
    assert res["fallbacks"] == 0
    assert res["share"] >= 0.9


def test_gsd_test_scores_of_the_shipped_model(es):
    if not GSD_TEST.is_file():
        pytest.skip("UD Spanish-GSD test file not available")
    from qnlp.parsing.conllu import evaluate, read_conllu

    gold = list(read_conllu(GSD_TEST, merge_multiword=True))
    assert len(gold) == 427
    res = evaluate(es.nlp, gold[::4])  # every 4th sentence keeps the test fast
    assert res["sentences"] == 107
    assert res["uas"] > 72 and res["las"] > 65 and res["tag_acc"] > 88


def test_conllu_merges_multiword_tokens(tmp_path):
    from qnlp.parsing.conllu import read_conllu

    text = ("1\tLa\tel\tDET\t_\t_\t2\tdet\t_\t_\n2\tcasa\tcasa\tNOUN\t_\t_\t0\troot\t_\t_\n"
            "3-4\tdel\t_\t_\t_\t_\t_\t_\t_\t_\n3\tde\tde\tADP\t_\t_\t5\tcase\t_\t_\n"
            "4\tel\tel\tDET\t_\t_\t5\tdet\t_\t_\n5\tperro\tperro\tNOUN\t_\t_\t2\tnmod\t_\t_\n\n")
    path = tmp_path / "x.conllu"
    path.write_text(text, encoding="utf-8")
    [words] = read_conllu(path)
    [merged] = read_conllu(path, merge_multiword=True)
    assert [t.form for t in words] == ["La", "casa", "de", "el", "perro"]
    assert [(t.form, t.upos, t.head, t.deprel) for t in merged] == [
        ("La", "DET", 2, "det"), ("casa", "NOUN", 0, "root"), ("del", "ADP", 4, "case"),
        ("perro", "NOUN", 2, "nmod")]


def test_make_parser_names_and_languages():
    from qnlp.parsing import default_parser, make_parser
    from qnlp.parsing.dependency import DependencyParser
    from qnlp.parsing.spanish import SpanishDependencyParser

    assert isinstance(make_parser("dep-es"), SpanishDependencyParser)
    assert isinstance(make_parser("dep-es.v1"), SpanishDependencyParser)
    assert isinstance(make_parser("default", lang="es"), SpanishDependencyParser)
    assert type(make_parser("default")) is DependencyParser
    assert default_parser("ES") == "dep-es"
    from qnlp.parsing import parser_for_language

    assert parser_for_language("default", "es") == "dep-es"
    assert parser_for_language("cups", "es") == "cups"
    with pytest.raises(ConfigError):
        parser_for_language("cups", "xx")
    with pytest.raises(ConfigError, match="unknown language 'fr'; valid: en, es"):
        make_parser("default", lang="fr")


def test_parser_pickles_without_the_pipeline(es):
    import pickle

    clone = pickle.loads(pickle.dumps(es))
    assert clone._nlp is None and clone.config()["name"] == "dep-es.v1"


def test_cli_parse_lang_es():
    from typer.testing import CliRunner

    from qnlp.cli.main import app

    res = CliRunner().invoke(app, ["parse", "--lang", "es", "El gato come pescado."])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "El gato come pescado.  (dep-es.v1)"
    assert lines[1] == "  El:n·n.l  gato:n  come:n.r·s·n.l  pescado:n"


def test_cli_parse_unknown_lang_is_a_one_line_error():
    from typer.testing import CliRunner

    from qnlp.cli.main import app

    res = CliRunner().invoke(app, ["parse", "--lang", "xx", "El gato come pescado."])
    assert res.exit_code == 1
    assert res.output.strip() == "error: unknown language 'xx'; valid: en, es"
    assert "Traceback" not in res.output


def test_reference_model_is_opt_in_and_never_downloaded():
    from qnlp.parsing.spanish import reference_model_dir

    with pytest.raises(ConfigError, match="'no_such_spacy_package' is not installed"):
        reference_model_dir("no_such_spacy_package")
