"""The offline dependency parser (dep.v1): shipped model quality, lambeq types, diagrams, errors."""

from pathlib import Path

import pytest

from qnlp.errors import ParseError

EWT_TEST = Path(__file__).resolve().parents[1] / "data" / "en_ewt-ud-test.conllu"


@pytest.fixture(scope="module")
def dep():
    from qnlp.parsing.dependency import DependencyParser

    return DependencyParser()


def test_shipped_model_loads_from_the_package_without_download():
    import spacy

    from qnlp.parsing.dependency import MODEL_DIR

    assert (MODEL_DIR / "meta.json").is_file()
    assert (MODEL_DIR / "LICENSE.md").is_file()
    nlp = spacy.load(MODEL_DIR)
    assert nlp.pipe_names == ["tok2vec", "tagger", "parser"]
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert size < 12e6


def test_ewt_test_accuracy_is_above_floor(dep):
    from qnlp.parsing.conllu import evaluate, read_conllu

    scores = evaluate(dep.nlp, read_conllu(EWT_TEST))
    assert scores["sentences"] == 2077 and scores["tokens"] == 25094
    assert scores["uas"] >= 83.5
    assert scores["las"] >= 79.5
    assert scores["tag_acc"] >= 93.0


def test_conllu_reader_skips_multiword_and_empty_nodes(tmp_path):
    from qnlp.parsing.conllu import read_conllu

    path = tmp_path / "x.conllu"
    path.write_text(
        "# text = I don't go\n"
        "1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_\n"
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_\n"
        "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_\n"
        "4\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_\n"
        "4.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t4:conj\t_\n\n",
        encoding="utf-8",
    )
    (sent,) = list(read_conllu(path))
    assert [t.form for t in sent] == ["I", "do", "n't", "go"]
    assert [t.head for t in sent] == [4, 4, 4, 0]


@pytest.mark.parametrize("name, floor", [("mc_train", 0.95), ("mc_dev", 0.95), ("mc_test", 0.95),
                                         ("rp_train", 0.95), ("rp_test", 0.90)])
def test_lambeq_types_on_mc_and_rp(dep, name, floor):
    from qnlp.bench.parser_bench import exact_types

    res = exact_types(dep, name)
    assert res["fraction"] >= floor, res["misses"]
    # MC sentences are sentences (s); RP items are noun phrases (n)
    want = "s" if name.startswith("mc") else "n"
    assert res["codomains"] == {want: res["total"]}
    assert res["fallbacks"] == 0


@pytest.mark.parametrize("sentence, types", [
    ("skillful man prepares sauce .", ["n·n.l", "n", "n.r·s·n.l", "n"]),
    ("woman cooks tasty meal .", ["n", "n.r·s·n.l", "n·n.l", "n"]),
    ("person runs program .", ["n", "n.r·s·n.l", "n"]),
    ("organization that church establish .", ["n", "n.r·n·n.l.l·s.l", "n", "n.r·s·n.l"]),
    ("organization that have team .", ["n", "n.r·n·s.l·n", "n.r·s·n.l", "n"]),
    ("The man will prepare a meal", ["n·n.l", "n", "n.r·s·s.l·n", "n.r·s·n.l", "n·n.l", "n"]),
])
def test_specific_sentences_get_specific_types(dep, sentence, types):
    res = dep.parse([sentence])[0]
    assert res.types == types
    assert res.words == [w for w in sentence.split() if w != "."]
    assert not res.fallback and res.parser == "dep.v1"


def test_diagrams_are_lambeq_grammar_diagrams_with_sentence_or_noun_type(dep):
    from lambeq.backend.grammar import Diagram, Ty

    mc, rp = dep.parse(["man prepares tasty dinner .", "device that astronomer use ."])
    assert isinstance(mc.diagram, Diagram) and isinstance(rp.diagram, Diagram)
    assert mc.diagram.cod == Ty("s")
    assert rp.diagram.cod == Ty("n")
    assert mc.diagram.dom == Ty()


def test_general_text_reduces_to_one_wire_and_never_crashes(dep):
    texts = ["it 's a charming and often affecting journey . ",
             "The food was very tasty, but the service was slow.",
             "Wow... Loved this place.", "😀😀 !!", "Привет мир", "日本語のテキスト", "...", "a"]
    results = dep.parse(texts)
    assert len(results) == len(texts)
    for res in results:
        assert res.diagram is not None and len(res.words) >= 1
        if not res.fallback:
            assert len(res.diagram.cod) == 1


def test_real_text_gives_planar_single_wire_diagrams(dep):
    from lambeq.backend.grammar import Swap

    from qnlp.bench.parser_bench import fallback_counts, tab_sentences
    from qnlp.datasets.loaders import data_root

    texts = tab_sentences(data_root() / "sst2" / "sentiment-dev")[:150]
    counts = fallback_counts(dep, {"sst2": texts})["sst2"]
    assert counts == {"sentences": 150, "parsed": 150, "fallbacks": 0, "rejected": 0,
                      "with_swaps": 0, "multi_wire": 0}
    res = dep.parse(["it 's a charming and often affecting journey ."])[0]
    assert not any(isinstance(b, Swap) for b in res.diagram.boxes)


def test_fallback_is_flagged_and_uses_cups_reader(dep, monkeypatch):
    from qnlp.parsing.dependency import DependencyParser

    def broken(toks):
        raise ValueError("no tree")

    monkeypatch.setattr(DependencyParser, "tree_diagram", staticmethod(broken))
    res = dep.parse(["man prepares meal ."])[0]
    assert res.fallback is True
    assert res.words == ["START", "man", "prepares", "meal", "."]
    assert res.types[1:] == ["s.r·s"] * 4


def test_lexicon_overrides_types():
    from qnlp.parsing.dependency import DependencyParser

    parser = DependencyParser(lexicon={"runs": "n.r·s"})
    res = parser.parse(["man runs ."])[0]
    assert res.types == ["n", "n.r·s"]
    assert str(res.diagram.cod) == "s"
    assert parser.config()["lexicon"] == {"runs": "n.r·s"}


def test_bad_lexicon_type_is_a_config_error():
    from qnlp.errors import ConfigError
    from qnlp.parsing.dependency import DependencyParser

    with pytest.raises(ConfigError, match="bad pregroup atom"):
        DependencyParser(lexicon={"runs": "n.x·s"}).parse(["man runs"])


@pytest.mark.parametrize("bad", ["", "   ", " ".join(["word"] * 65), 3, None])
def test_bad_input_raises_parse_error(dep, bad):
    with pytest.raises(ParseError):
        dep.parse([bad])


def test_bare_string_is_rejected_and_on_error_modes(dep):
    with pytest.raises(ParseError, match="not a single str"):
        dep.parse("man prepares meal .")
    out = dep.parse(["man prepares meal .", ""], on_error="none")
    assert out[1] is None and out[0].types == ["n", "n.r·s·n.l", "n"]
    assert len(dep.parse(["", "man prepares meal ."], on_error="skip")) == 1


def test_registry_and_missing_model_dir(tmp_path):
    from qnlp.errors import ConfigError
    from qnlp.parsing import make_parser
    from qnlp.parsing.dependency import DependencyParser

    assert isinstance(make_parser("dep"), DependencyParser)
    with pytest.raises(ConfigError, match="no spaCy model"):
        DependencyParser(model_dir=tmp_path).parse(["man prepares meal"])


def test_pregroup_mapping_is_pure_and_planar_for_relative_clauses():
    from qnlp.parsing.pregroup import Tok, pregroup_tree, word_types

    toks = [Tok("device", "NOUN", -1, "ROOT"), Tok("that", "PRON", 2, "nsubj"),
            Tok("show", "VERB", 0, "acl:relcl"), Tok("time", "NOUN", 2, "obj")]
    tree = pregroup_tree(toks)
    assert tree.parents == [1, -1, 1, 2]
    assert word_types(tree) == ["n", "n.r @ n @ s.l @ n", "n.r @ s @ n.l", "n"]


def test_dependents_beyond_a_marker_hang_on_the_marker():
    from qnlp.parsing.pregroup import Tok, attach_to_markers

    # inspiring especially for hippies: "especially" moves from "hippies" to "for"
    toks = [Tok("inspiring", "VERB", -1, "ROOT"), Tok("especially", "ADV", 3, "advmod"),
            Tok("for", "ADP", 3, "case"), Tok("hippies", "NOUN", 0, "obl")]
    assert [t.head for t in attach_to_markers(toks)] == [-1, 2, 3, 0]


def test_projectivize_lifts_crossing_arcs():
    from qnlp.parsing.pregroup import Tok, projectivize

    # 0 <- 2 is crossed by 1 -> 3
    toks = [Tok("a", "X", 2, "dep"), Tok("b", "X", 3, "dep"), Tok("c", "X", 3, "dep"),
            Tok("d", "X", -1, "ROOT")]
    fixed, lifted = projectivize(toks)
    assert lifted == 1 and fixed[0].head == 3
