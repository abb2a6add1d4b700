"""``qnlp parse --draw`` and ``qnlp compile --draw``: the pictures show the diagrams and circuits
(not an empty plot), one row per sentence, written atomically; bad file names fail cleanly."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from qnlp.cli.main import app

runner = CliRunner()
SENTENCES = ["skillful man prepares sauce .", "woman cooks tasty meal ."]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def gray(path):
    """The PNG at ``path`` as a grayscale array in [0, 1] (white paper is 1)."""
    import matplotlib.image as mpimg

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(path)
    return image[..., :3].mean(axis=-1)


def assert_shows_a_drawing(path):
    """Not blank: clear contrast and some ink, over the whole picture and in its middle (the old
    empty plot, an axes frame with ticks, has ink at its edges only), spread over most of it."""
    g = gray(path)
    h, w = g.shape
    for part, name in ((g, "picture"), (g[h // 5:4 * h // 5, w // 5:4 * w // 5], "middle")):
        assert part.std() > 0.05, f"{path.name}: the {name} is (nearly) blank, std {part.std():.4f}"
        ink = (part < 0.5).mean()
        assert ink > 0.005, f"{path.name}: only {ink:.2%} of the {name}'s pixels are inked"
    ink = g < 0.5
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert rows[-1] - rows[0] > 0.5 * h and cols[-1] - cols[0] > 0.5 * w
    return g


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A DisCoCat classifier on MC, two epochs (drawing needs circuits, not a good model)."""
    from qnlp.datasets import load
    from qnlp.estimators import QuantumTextClassifier

    mc = load("mc")
    path = tmp_path_factory.mktemp("draw") / "mc-tiny"
    QuantumTextClassifier(parser="cups", epochs=2, random_state=0).fit(mc.train.texts, mc.train.labels).save(path)
    return path


def test_parse_draw_shows_every_diagram(tmp_path):
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    res = run("parse", "--draw", one, SENTENCES[0])
    assert res.exit_code == 0, res.output
    assert f"drawing saved to {one}" in res.output
    g1 = assert_shows_a_drawing(one)
    res = run("parse", "--json", "--draw", two, *SENTENCES)
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == 2  # standard output stays pure JSON
    g2 = assert_shows_a_drawing(two)
    assert g2.shape[0] > 1.6 * g1.shape[0]  # one row per sentence
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "two.png"]  # no temporary files left


@pytest.mark.parametrize("name,magic", [("d.svg", b"<svg"), ("d.pdf", b"%PDF")])
def test_parse_draw_svg_and_pdf(tmp_path, name, magic):
    res = run("parse", "--parser", "cups", "--draw", tmp_path / name, "man prepares sauce .")
    assert res.exit_code == 0, res.output
    data = (tmp_path / name).read_bytes()
    assert magic in data[:2000] and len(data) > 2000


@pytest.mark.aer
def test_compile_draw_shows_the_circuits(tiny_model, tmp_path):
    target = tmp_path / "c.png"
    res = run("compile", "--model", tiny_model, "--draw", target, *SENTENCES)
    assert res.exit_code == 0, res.output
    assert "qubits" in res.stdout and SENTENCES[1] in res.stdout  # the compile report is still printed
    assert f"drawing saved to {target}" in res.output
    g = assert_shows_a_drawing(target)
    one = tmp_path / "one.png"
    assert run("compile", "--model", tiny_model, "--draw", one, SENTENCES[0]).exit_code == 0
    assert g.shape[0] > 1.6 * gray(one).shape[0]  # one row per sentence
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.png", "one.png"]


@pytest.mark.parametrize("command", ["parse", "compile"])
@pytest.mark.parametrize("name", ["d.jpg", "d", "d.png.txt"])
def test_wrong_extension_is_one_clean_line(command, name, tiny_model, tmp_path):
    extra = ["--model", tiny_model] if command == "compile" else ["--parser", "cups"]
    res = run(command, *extra, "--draw", tmp_path / name, "man prepares sauce .")
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [f"error: --draw needs a .png, .pdf or .svg file name, got {name!r}"]
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_clean(tmp_path):
    res = run("parse", "--parser", "cups", "--draw", tmp_path / "no" / "d.png", "man runs")
    assert res.exit_code == 1 and "folder not found" in res.output and "Traceback" not in res.output


def test_compile_draw_refuses_an_attention_folder(tmp_path):
    folder = tmp_path / "att"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "QuantumAttentionClassifier"}))
    res = run("compile", "--model", folder, "--draw", tmp_path / "c.png", "man runs")
    assert res.exit_code == 1
    assert len(res.output.strip().splitlines()) == 1 and "compile needs a DisCoCat model" in res.output
    assert not (tmp_path / "c.png").exists()


def test_failed_drawing_keeps_the_old_file(tmp_path, monkeypatch):
    """The write is atomic: a failure half-way leaves the previous drawing and no temporary file."""
    from matplotlib.figure import Figure

    def broken_savefig(self, fh, **kwargs):
        fh.write(b"\x89PNG half")
        raise OSError("disk full")

    target = tmp_path / "d.png"
    target.write_bytes(b"old drawing")
    monkeypatch.delenv("QNLP_DEBUG", raising=False)
    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    res = run("parse", "--parser", "cups", "--draw", target, "man runs")
    assert res.exit_code == 1 and "disk full" in res.output
    assert target.read_bytes() == b"old drawing"
    assert [p.name for p in tmp_path.iterdir()] == ["d.png"]
