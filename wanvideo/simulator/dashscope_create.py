"""The dashscope dialect's create, past its body's rules: why a reference is refused (its error
code [D4, D6]), what the references may not be together, and, once accepted, what the task
will bill [D1, D2] and the record it queues (`dashscope_api.DashScopeAPI.create` routes it)."""

from __future__ import annotations

import secrets
import time
from decimal import Decimal
from typing import Any

from . import dashscope_rules as rules
from .references import Reference, ReferenceRefused
from .state import ScheduledFailure, SimState, SimTask


def refusal_code(refused: ReferenceRefused, url: str) -> str:
    """DashScope's error code for a reference that cannot be used."""
    if refused.fetched:
        return "InvalidParameter"  # the media breaks a rule
    if url.startswith("oss://"):
        return "InvalidParameter.DataInspection"  # not resolvable [D4, D6]
    return "InvalidURL"  # [D6]


def references_problem(references: list[Reference], region: rules.Region) -> str | None:
    """What the references break together (too many videos, an image where only videos go)."""
    videos = [r for r in references if r.kind == "video"]
    images = [r for r in references if r.kind == "image"]
    if len(videos) > rules.MAX_VIDEOS:
        return f"at most {rules.MAX_VIDEOS} reference videos (there are {len(videos)})"
    if images and not region.images:
        return f"{region.label} takes video references only (reference {references.index(images[0]) + 1} is an image)"
    return None


def new_record(
    state: SimState,
    dialect: str,
    region: rules.Region,
    task_id: str,
    owner: str,
    body: rules.CreateBody,
    payload: Any,
    references: list[Reference],
    resolve: bool,
    failure: ScheduledFailure | None,
) -> SimTask:
    """The task of an accepted create, billed for its videos' seconds and its own."""
    videos = [r for r in references if r.kind == "video"]
    billed = rules.billed_seconds([r.duration for r in videos], body.duration)
    rate = rules.price_per_second(region, body.model, audio=body.audio, tier=body.tier)
    return SimTask(
        id=task_id,
        owner=owner,
        created=time.time(),
        task_seconds=state.task_seconds,
        prompt=body.prompt,
        video_urls=list(body.urls),
        quality=f"{body.tier}p",
        aspect_ratio=body.aspect_ratio,
        duration=body.duration,
        shot_type=body.shot_type,
        callback_url=None,  # no per-request callback [A8]
        credits_reserved=float(rate * Decimal(str(billed.total))),
        reference_durations=[r.duration for r in references],
        reference_paths=[str(r.path) for r in references],
        failure=failure,
        render_path=state.results_dir / f"{task_id}.mp4",
        dialect=dialect,
        extra={
            "model": body.model,
            "region": region.name,
            "size": body.size,
            "tier": body.tier,
            "orig_prompt": body.orig_prompt,
            "negative_prompt": body.negative_prompt,
            "audio": body.audio,
            "watermark": body.watermark,
            "seed": body.seed if body.seed is not None else secrets.randbelow(rules.SEED_MAX + 1),
            "prompt_extend": body.prompt_extend,
            "reference_kinds": [r.kind for r in references],
            "input_video_duration": billed.input,
            "output_video_duration": billed.output,
            "billed_seconds": billed.total,
            "price_per_second": str(rate),
            "currency": region.currency,
            "oss_resolve": resolve,
            "request": payload,
            "render": {"audio": body.audio},
        },
    )
