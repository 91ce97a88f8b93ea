"""The one service the page, the API and MCP call, over one `FormValues`; and the one error root."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
from dataclasses import fields
from pathlib import Path

import pytest

from components.form_api import OWNER_ID, REQUEST, form_endpoint
from tests.videos import make_video
from wanvideo.error_base import WanError
from wanvideo.provider_choice import ProviderChoice
from wanvideo.providers import effective_profile
from wanvideo.service import (
    ESTIMATE_FIELDS,
    GENERATE_FIELDS,
    FormValues,
    GenerationRefused,
    RefusalStage,
    Service,
)
from wanvideo.service.generation import read_request
from wanvideo.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]


def _service(tmp_path: Path, **env: str) -> Service:
    settings = load_settings({"WAN_DATA_DIR": str(tmp_path), **env})
    profile = effective_profile(settings)
    choice = ProviderChoice(configured=profile, demo=settings.is_demo)
    return Service(settings, choice, manager=None)  # type: ignore[arg-type]  # estimate needs none


def test_the_api_parameters_are_the_form_values_fields_in_order():
    """/generate takes every field then the page's owner and the request; /estimate the
    priced ones; the old parameter order is kept (today's callers pass them by position)."""

    @form_endpoint(GENERATE_FIELDS, extra=(OWNER_ID, REQUEST))
    async def generate(values, owner_id, request):  # noqa: ANN001, ANN202
        yield values, owner_id

    @form_endpoint(ESTIMATE_FIELDS, extra=(REQUEST,))
    async def estimate(values, request):  # noqa: ANN001, ANN202
        return values

    assert [*inspect.signature(generate).parameters] == [
        *(f.name for f in fields(FormValues)),
        "owner_id",
        "request",
    ]
    assert list(GENERATE_FIELDS[:13]) == [
        "prompt", "videos", "video_urls", "quality", "aspect_ratio", "duration", "shot_type",
        "callback_url", "api_key", "fix_references", "reference_starts", "provider", "model",
    ]  # fmt: skip
    assert list(ESTIMATE_FIELDS[:8]) == [
        "videos", "video_urls", "quality", "duration", "fix_references", "reference_starts", "provider", "model",
    ]  # fmt: skip
    assert inspect.isasyncgenfunction(generate)
    # Positional and keyword calls both become one FormValues; omitted fields keep the defaults.
    got = asyncio.run(estimate(None, "https://example.com/a.mp4", "1080p", request=None))
    assert got == FormValues(video_urls="https://example.com/a.mp4", quality="1080p")

    async def first() -> tuple[FormValues, str]:
        return await anext(generate("a cat", owner_id="me", model="flash"))

    values, owner = asyncio.run(first())
    assert (values.prompt, values.model, values.quality, owner) == ("a cat", "flash", "720p", "me")


def test_estimate_probes_and_prices_a_real_clip_without_a_page(tmp_path):
    clip = make_video(tmp_path / "a.mp4", seconds=3)
    service = _service(tmp_path)
    a = asyncio.run(service.estimate(FormValues(videos=[str(clip)], duration="5")))
    assert a.problems == []
    assert a.estimate is not None and a.estimate.credits > 0
    assert a.quotes, "every provider's price for the same job"


def test_a_form_refusal_names_every_field_and_is_a_wan_error(tmp_path):
    service = _service(tmp_path)
    profile = service.pick(FormValues())
    with pytest.raises(GenerationRefused) as caught:
        read_request(FormValues(prompt="", duration="7.5", reference_starts="x"), profile)
    refused = caught.value
    assert isinstance(refused, WanError)
    assert refused.stage is RefusalStage.INPUT and refused.failed is None
    assert len(refused.problems) == 2  # the duration and the starts, each naming its field


def test_another_provider_without_its_key_is_refused_before_anything(tmp_path):
    service = _service(tmp_path, WAN_API_KEY="sk-test-1234567890", WAN_PROVIDER="evolink")
    with pytest.raises(GenerationRefused) as caught:
        service.pick(FormValues(provider="fal"))
    assert caught.value.stage is RefusalStage.INPUT


def _exception_classes() -> list[tuple[str, str]]:
    """Every public exception class defined in wanvideo/ outside the simulator."""
    found = []
    for path in sorted((ROOT / "wanvideo").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[1] == "simulator":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
                cls = getattr(importlib.import_module(module), node.name)
                if isinstance(cls, type) and issubclass(cls, BaseException):
                    found.append((module, node.name))
    return found


def test_every_error_the_domain_raises_derives_from_one_root():
    classes = _exception_classes()
    assert len(classes) >= 20  # the client's tree and the sandbox, fetcher, store, limits...
    outside = [
        f"{module}.{name}"
        for module, name in classes
        if not issubclass(getattr(importlib.import_module(module), name), WanError)
    ]
    assert outside == []


def test_the_owners_pause_is_its_own_refusal_with_its_own_words():
    from components.status import refusal_error
    from wanvideo.budget import paused_refusal
    from wanvideo.service.generation import limit_refusal

    refused = limit_refusal(paused_refusal())
    assert refused.stage is RefusalStage.PAUSED and refused.failed is not None
    error = refusal_error(refused)
    assert error.title == "Generation paused" and "paused" in str(error.message)
