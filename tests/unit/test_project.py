"""Project-level promises: documented settings, layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wanvideo.settings import ENV_NAME_FOR_FIELD, Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc", ["README.md", ".env.example"])
def test_every_setting_is_documented(doc):
    text = (ROOT / doc).read_text()
    names = [ENV_NAME_FOR_FIELD[field] for field in Settings.model_fields]
    missing = [name for name in names if name not in text]
    assert missing == []


def _imports(path: Path) -> set[str]:
    """Every absolute module a file imports, with each of its parents (a.b.c -> a, a.b, a.b.c)."""
    tree = ast.parse(path.read_text())
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return {".".join(m.split(".")[: i + 1]) for m in modules for i in range(m.count(".") + 1)}


def test_domain_never_imports_gradio():
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "wanvideo").rglob("*.py") if "gradio" in _imports(p)
    ]
    assert offenders == []


def test_ui_does_no_http():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "components").rglob("*.py")
        if _imports(p) & {"httpx", "requests", "urllib.request", "http.client", "av", "sqlite3"}
    ]
    assert offenders == []
