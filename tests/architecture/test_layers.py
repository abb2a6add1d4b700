"""Imports follow the pipeline's stage order; modules stay small.

The same rules as ``shared/tools/layers.py``: a module may import its own layer or lower ones,
never a higher one (imports inside functions count too).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ORDER = [
    ["qnlp.errors", "qnlp.offline", "qnlp.registry", "qnlp.text", "qnlp._data", "qnlp.utils", "qnlp.__init__"],
    ["qnlp.datasets", "qnlp.parsing"],
    ["qnlp.circuits"],
    ["qnlp.backends"],
    ["qnlp.models"],
    ["qnlp.training"],
    ["qnlp.estimators"],
    ["qnlp.bench", "qnlp.testing"],
    ["qnlp.cli"],
]


def layer(module: str):
    best = None
    for i, prefixes in enumerate(ORDER):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def _modules():
    for path in list((ROOT / "qnlp").rglob("*.py")) + list((ROOT / "cli").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[0] == "cli":
            parts[0] = "qnlp.cli"
        yield path, ".".join(parts)


def upward_imports() -> list[str]:
    found = []
    for path, module in _modules():
        me = layer(module)
        if me is None:
            continue
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                    targets = [".".join(base + ([node.module] if node.module else []))]
                else:
                    targets = [node.module or ""]
            for t in targets:
                if t.startswith("qnlp") and (layer(t) or 0) > me:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} -> {t}")
    return found


def test_no_module_imports_a_higher_layer():
    assert upward_imports() == []


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch):
    """The scan is not vacuous: a model importing an estimator is reported."""
    global ROOT
    (tmp_path / "qnlp" / "models").mkdir(parents=True)
    (tmp_path / "cli").mkdir()
    (tmp_path / "qnlp" / "models" / "bad.py").write_text("def f():\n    from qnlp.estimators import X\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports() == ["qnlp/models/bad.py:2 -> qnlp.estimators"]


def test_modules_stay_small():
    big = [f"{p.relative_to(ROOT)} ({p.read_text(encoding='utf-8').count(chr(10))} lines)"
           for p, _ in _modules() if p.read_text(encoding="utf-8").count("\n") > 600]
    assert big == []
