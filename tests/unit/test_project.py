"""Project-level promises: documented settings, layering."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wanvideo.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc", ["README.md", ".env.example"])
def test_every_setting_is_documented(doc):
    text = (ROOT / doc).read_text()
    missing = [f"WAN_{name.upper()}" for name in Settings.model_fields if f"WAN_{name.upper()}" not in text]
    assert missing == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_never_imports_gradio():
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "wanvideo").rglob("*.py") if "gradio" in _imports(p)
    ]
    assert offenders == []


def test_ui_does_no_http():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "components").rglob("*.py")
        if _imports(p) & {"httpx", "requests", "urllib", "av"}
    ]
    assert offenders == []
