"""The simulator's own reading of the provider's contract: spec, validation, billing, envelopes.

The simulator is an independent implementation of the contract, so these tests check it
against the provider's documents and the API notes, never against the client's code.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from wanvideo.simulator import billing, contract, envelopes, validation
from wanvideo.simulator.contract import SpecError

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "wanvideo" / "simulator"
CLIENT_MODULES = {"wanvideo.schemas", "wanvideo.pricing", "wanvideo.providers"}
MODEL = "wan2.6-reference-video"


# ---------------------------------------------------------------- independence


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of every module `path` imports, relative imports resolved."""
    package = "wanvideo.simulator"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
                # `from .. import schemas` imports a module by its alias name.
                found.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                module = node.module or ""
                found.update(f"{module}.{alias.name}" for alias in node.names)
            found.add(module)
    return found


def test_simulator_source_never_imports_the_clients_rules():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & CLIENT_MODULES)
        for path in SIM.rglob("*.py")
        if _imported_modules(path) & CLIENT_MODULES
    }
    assert offenders == {}


def test_import_graph_check_sees_a_forbidden_import(tmp_path):
    """The AST check above would catch each way of writing the import."""
    for line in (
        "from wanvideo.pricing import estimate",
        "from ..schemas import X",
        "from .. import providers",
    ):
        probe = tmp_path / "probe.py"
        probe.write_text(line + "\n")
        assert _imported_modules(probe) & CLIENT_MODULES, line


def test_importing_the_simulator_loads_none_of_the_clients_rules():
    code = "import sys, wanvideo.simulator; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
    )
    assert "wanvideo.simulator.server" in loaded
    assert loaded & (CLIENT_MODULES | {"gradio"}) == set()


def test_packaged_spec_is_the_shared_document():
    shared = ROOT.parent / "shared" / "spec" / "evolink-wan2.6-reference-video.openapi.yaml"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout (a fresh clone or a Space)")
    assert contract.SPEC_FILES["string"].read_text() == shared.read_text()


# ---------------------------------------------------------------- reading the spec


@pytest.mark.parametrize("dialect", ["string", "integer"])
def test_contract_reads_the_documents_rules(dialect):
    rules = contract.contract(dialect)
    assert rules.model == MODEL
    assert (rules.min_reference_seconds, rules.max_reference_seconds) == (2.0, 30.0)
    assert rules.max_reference_bytes == 100_000_000
    assert rules.reference_formats == ("mp4", "mov")
    assert rules.max_references == 3
    assert rules.input_caps == {1: Decimal("5"), 2: Decimal("2.5"), 3: Decimal("1.65")}
    assert rules.qualities == ("720p", "1080p")
    assert rules.aspect_ratios == ("16:9", "9:16", "1:1", "4:3", "3:4")
    assert rules.max_callback_chars == 2048
    assert rules.defaults == {"aspect_ratio": "16:9", "quality": "720p", "duration": 5, "shot_type": "single"}


def test_dialects_differ_where_the_documents_do():
    evolink = contract.contract("string").request_schema["properties"]["duration"]
    odkkk = contract.contract("integer").request_schema["properties"]["duration"]
    assert (evolink["minimum"], evolink["maximum"]) == (2, 10) and "enum" not in evolink
    assert odkkk["enum"] == [5, 10]
    assert contract.contract("integer").error_example(404)["error"]["fallback_suggestion"] == MODEL
    assert contract.contract("string").error_example(404) is None


def test_changed_wording_fails_loudly(tmp_path, monkeypatch):
    text = contract.SPEC_FILES["string"].read_text().replace("Duration: 2~30 seconds", "Duration: short")
    changed = tmp_path / "spec.yaml"
    changed.write_text(text)
    monkeypatch.setitem(contract.SPEC_FILES, "string", changed)
    contract.contract.cache_clear()
    try:
        with pytest.raises(SpecError, match="duration limits"):
            contract.contract("string")
    finally:
        monkeypatch.undo()
        contract.contract.cache_clear()
    assert contract.contract("string").max_reference_seconds == 30.0


# ---------------------------------------------------------------- validation


def body(**change):
    return {"model": MODEL, "prompt": "character1 dances", "video_urls": ["https://a.test/v.mp4"], **change}


REFUSED = [
    ({"prompt": "   "}, "prompt"),
    ({"prompt": "x" * 1501}, "prompt"),
    ({"prompt": 5}, "prompt"),
    ({"video_urls": []}, "video_urls"),
    ({"video_urls": ["https://a.test/1.mp4"] * 4}, "video_urls"),
    ({"video_urls": ["ftp://a.test/1.mp4"]}, "video_urls"),
    ({"video_urls": "https://a.test/1.mp4"}, "video_urls"),
    ({"aspect_ratio": "21:9"}, "aspect_ratio"),
    ({"quality": "4k"}, "quality"),
    ({"duration": 11}, "duration"),
    ({"duration": 1}, "duration"),
    ({"duration": "5"}, "duration"),
    ({"duration": True}, "duration"),
    ({"model_params": {"shot_type": "wide"}}, "model_params.shot_type"),
    ({"model_params": {"shots": "single"}}, "model_params.shots"),
    ({"callback_url": "http://example.com/hook"}, "callback_url"),
    ({"callback_url": "https://192.168.1.5/hook"}, "callback_url"),
    ({"callback_url": "https://example.com/" + "a" * 2048}, "callback_url"),
    ({"callback_url": "https://2130706433/"}, "callback_url"),
    ({"callback_url": "https://127.1/"}, "callback_url"),
    ({"callback_url": "https://0x7f.1/"}, "callback_url"),
    ({"callback_url": "https://[::ffff:10.0.0.1]/"}, "callback_url"),
    ({"callback_url": "https://100.100.100.200/"}, "callback_url"),
    ({"callback_url": "https://localhost/"}, "callback_url"),
    ({"model": "wan2.5"}, "model"),
    ({"aspectratio": "16:9"}, "aspectratio"),
]


@pytest.mark.parametrize(("change", "param"), REFUSED)
def test_refusals_name_the_parameter(change, param):
    refusal = validation.check_create(body(**change), contract.contract("string"))
    assert refusal is not None and (refusal.status, refusal.param) == (400, param), refusal
    assert refusal.message


def test_missing_fields_and_the_odkkk_rules():
    evolink, odkkk = contract.contract("string"), contract.contract("integer")
    assert (
        validation.check_create({"prompt": "x", "video_urls": ["https://a.test/v"]}, evolink).param == "model"
    )
    assert validation.check_create({"model": MODEL, "prompt": "x"}, evolink).param == "video_urls"
    assert validation.check_create([], evolink).status == 400
    refusal = validation.check_create(body(duration=7), odkkk)
    assert refusal.param == "duration" and "5 or 10" in refusal.message
    unknown = validation.check_create(body(model="x"), odkkk)
    assert (unknown.status, unknown.param, unknown.fallback_suggestion) == (404, "model", MODEL)


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"duration": 2, "quality": "1080p", "aspect_ratio": "3:4"},
        {"model_params": {"shot_type": "multi"}, "callback_url": "https://hooks.example.com/done"},
        {"video_urls": ["http://a.test/1.mp4", "https://b.test/2.mov", "HTTPS://c.test/3"]},
        {"prompt": "x" * 1500},
    ],
)
def test_valid_bodies_pass(change):
    assert validation.check_create(body(**change), contract.contract("string")) is None


def test_odkkk_accepts_only_its_durations():
    odkkk = contract.contract("integer")
    assert [d for d in range(1, 12) if validation.check_create(body(duration=d), odkkk) is None] == [5, 10]


# ---------------------------------------------------------------- billing (API_NOTES section 6)


CAPS = contract.contract("string").input_caps


@pytest.mark.parametrize(
    ("durations", "quality", "output", "credits"),
    [
        ([10.0], "720p", 5, "47.60"),  # the worked example: (5 + 5) s x 4.76
        ([3.0], "720p", 5, "38.08"),  # (3 + 5) x 4.76
        ([4.0, 1.0], "720p", 5, "40.46"),  # (2.5 + 1 + 5) x 4.76
        ([9.0, 9.0, 9.0], "720p", 10, "71.16"),  # (3 x 1.65 + 10) x 4.76 = 71.162
        ([10.0], "1080p", 5, "79.49"),  # 10 x 4.76 x 1.67 = 79.492
        ([0.2], "720p", 1, "9.00"),  # 1.2 x 4.76 = 5.71: the 9-credit minimum
    ],
)
def test_charge(durations, quality, output, credits):
    assert billing.charge(durations, quality, output, CAPS) == Decimal(credits)


# ---------------------------------------------------------------- error envelopes


@pytest.mark.parametrize("dialect", ["string", "integer"])
def test_envelopes_match_every_documented_example(dialect):
    rules = contract.contract(dialect)
    documented = [
        int(s) for s in rules.document["paths"][contract.CREATE_PATH]["post"]["responses"] if s != "200"
    ]
    assert len(documented) >= 6
    for status in documented:
        example = rules.error_example(status)["error"]
        built = envelopes.error_body(status, dialect, example["message"])["error"]
        assert (built["code"], built["type"]) == (example["code"], example["type"]), status
        if "fallback_suggestion" in example and example.get("param") != "model":
            assert built["fallback_suggestion"] == example["fallback_suggestion"], status
