"""The provider catalogue keeps each provider in one place (issue 16, item 1): its name appears
in few modules outside the simulator and the translations, one key derives its other names,
every profile has an adapter and a simulator dialect, and every stored profile name still reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wanvideo.adapters import ADAPTERS
from wanvideo.errors import PROVIDER_SUGGESTIONS, retry_hint
from wanvideo.messages import CATALOGUE
from wanvideo.provider_choice import DEMO_DIALECTS
from wanvideo.providers import DEMO, ERROR_DIALECTS, PROFILES, PROVIDERS, REAL_PROVIDERS, REGIONS
from wanvideo.simulator.envelopes import ALL_DIALECTS

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_WORDS = ("fal", "dashscope", "evolink", "odkkk")
MAX_MODULES_PER_PROVIDER = 4  # its catalogue entry, its adapter, and the two registries


def modules_naming(word: str) -> list[str]:
    """What `grep -rliwE word --include=*.py wanvideo components app.py | grep -v simulator`
    lists: Python modules naming the word (whole word, any case, comments included)."""
    pattern = re.compile(rf"(?<![A-Za-z0-9_]){word}(?![A-Za-z0-9_])", re.IGNORECASE)
    files = [ROOT / "app.py", *(ROOT / "wanvideo").rglob("*.py"), *(ROOT / "components").rglob("*.py")]
    return sorted(
        str(path.relative_to(ROOT))
        for path in files
        if "simulator" not in str(path.relative_to(ROOT)) and pattern.search(path.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize("word", PROVIDER_WORDS)
def test_a_provider_is_named_in_at_most_four_modules(word):
    found = modules_naming(word)
    assert 1 <= len(found) <= MAX_MODULES_PER_PROVIDER, found


def test_catalogue_and_adapter_modules_stay_small():
    for folder in ("wanvideo/providers", "wanvideo/adapters"):
        for path in (ROOT / folder).glob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= 600, (path, lines)


def test_one_key_names_a_provider_everywhere():
    for name, profile in PROFILES.items():
        key = profile.provider
        assert name == (f"{key}-{profile.region}" if profile.region else key)
        assert profile.family == key and PROVIDERS[key].provider == key
        assert profile.adapter in ADAPTERS, name
        assert profile.dialect in ALL_DIALECTS, name
    # a look-alike borrows an adapter; the others speak their own key
    assert {p.adapter for p in PROFILES.values() if p.adapter != p.provider} <= set(PROVIDERS)
    for key, regions in REGIONS.items():
        assert PROVIDERS[key] is next(iter(regions.values()))  # the first region is the default


def test_profile_names_stored_by_earlier_versions_still_read():
    stored = (
        "evolink",
        "odkkk",
        "demo",
        "dashscope-singapore",
        "dashscope-virginia",
        "dashscope-beijing",
        "fal",
    )
    assert set(stored) <= set(PROFILES)
    assert tuple(n for n in stored if n != DEMO) == REAL_PROVIDERS
    assert list(DEMO_DIALECTS) == [DEMO, *(n for n in REAL_PROVIDERS if PROFILES[n].in_demo)]
    assert DEMO_DIALECTS["odkkk"] == ("integer", None) and DEMO_DIALECTS["dashscope-beijing"][1] == "beijing"


def test_error_dialects_are_data_with_catalogue_messages():
    assert ERROR_DIALECTS, "the queue providers' error bodies have dialects"
    for dialect in ERROR_DIALECTS:
        for code, message_id in dialect.suggestions.items():
            assert message_id in CATALOGUE, (code, message_id)
            assert PROVIDER_SUGGESTIONS[code].id == message_id, code
    headers = [d.retryable_header for d in ERROR_DIALECTS if d.retryable_header]
    assert headers and retry_hint({headers[0]: " TRUE "}) is True
    assert retry_hint({headers[0]: "false"}) is False and retry_hint({headers[0]: "maybe"}) is None
    assert retry_hint({}) is None
