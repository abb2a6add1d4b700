"""lambeq's syntax-free readers behind the Parser API, and the registry."""

import pytest

from qnlp.errors import ConfigError, ParseError
from qnlp.parsing import make_parser
from qnlp.registry import registry


def test_cups_reader_types_and_batch():
    results = make_parser("cups").parse(["man runs", "woman cooks meal"])
    assert [r.words for r in results] == [["START", "man", "runs"], ["START", "woman", "cooks", "meal"]]
    assert results[0].types == ["s", "s.r·s", "s.r·s"]


def test_on_error_modes():
    parser = make_parser("cups")
    assert parser.parse(["man runs", "  "], on_error="skip")[0].words[-1] == "runs"
    assert parser.parse(["  ", "man runs"], on_error="none")[0] is None
    with pytest.raises(ParseError):
        parser.parse(["  "])
    with pytest.raises(ParseError, match="not a single str"):
        parser.parse("man runs")


def test_bobcat_needs_local_files(monkeypatch):
    monkeypatch.delenv("QNLP_BOBCAT_DIR", raising=False)
    with pytest.raises(ConfigError, match="QNLP_BOBCAT_DIR"):
        make_parser("bobcat")


def test_registry_resolves_versions_and_lists_valid_names():
    assert registry.canonical("ansatz", "IQP") == "iqp.v1"
    with pytest.raises(ConfigError, match="valid: .*iqp"):
        registry.canonical("ansatz", "nope")
    with pytest.raises(ConfigError, match="versioned"):
        registry.register("ansatz", "plain", "x:y")
