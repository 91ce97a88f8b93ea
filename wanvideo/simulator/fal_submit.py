"""The fal dialect's submit, past the key and the JSON: the references made local and checked
(a refusal is the runner's 422, later [F6, B1]), and the task record with what it will bill
(`x-fal-billable-units`) and the request headers it keeps. `fal_api.FalAPI.submit` queues it."""

from __future__ import annotations

import secrets
import shutil
import time
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from . import fal_rules as rules
from .config import SimConfig
from .references import Reference, ReferenceRefused, resolve_references
from .state import ScheduledFailure, SimState, SimTask

REFERENCE_TYPES = {  # why a reference was refused -> fal's error type (docs.fal.ai/errors)
    "fetch": "file_download_error",
    "lasts": "video_duration_too_long",
    "larger": "file_too_large",
    "fps": "video_fps_too_low",  # not in fal's catalogue: the simulator's own name
    "format": "unsupported_video_format",
    "image": "unsupported_image_format",
}


def reference_type(refused: ReferenceRefused, limits_min: float) -> str:
    reason = refused.reason
    if not refused.fetched:
        return REFERENCE_TYPES["fetch"]
    if "lasts" in reason:
        seconds = float(reason.split()[2])
        return "video_duration_too_short" if seconds < limits_min else "video_duration_too_long"
    if "larger than" in reason:
        return REFERENCE_TYPES["larger"]
    if "fps" in reason:
        return REFERENCE_TYPES["fps"]
    if "image" in reason or "px" in reason or "alpha" in reason:
        return REFERENCE_TYPES["image"]
    return REFERENCE_TYPES["format"]


async def resolve_inputs(
    state: SimState, config: SimConfig, checked: rules.Input, model: rules.Model, request_id: str, owner: str
) -> list[Reference] | tuple[int, list[dict[str, Any]]]:
    """The references made local and checked, or the 422 the runner would answer."""
    work_dir = state.results_dir / request_id
    groups = [("video_urls", checked.video_urls, model.videos)]
    if checked.image_urls and model.images is not None:
        groups.append(("image_urls", checked.image_urls, model.images))
    found: list[Reference] = []
    for field, urls, limits in groups:
        try:
            refs = await resolve_references(urls, work_dir, state=state, config=config, limits=limits)
        except ReferenceRefused as refused:
            shutil.rmtree(work_dir, ignore_errors=True)
            kind = reference_type(refused, limits.min_seconds)
            msg = f"{field}[{refused.index}] cannot be used: {refused.reason}"
            return 422, [rules.detail(field, msg, kind, {"index": refused.index})]
        found += refs
    return found


def new_record(
    state: SimState,
    dialect: str,
    request_id: str,
    owner: str,
    model: rules.Model,
    payload: dict[str, Any],
    checked: rules.Input | list[dict[str, Any]],
    references: list[Reference],
    failure: ScheduledFailure | None,
    request: Request,
) -> SimTask:
    valid = checked if isinstance(checked, rules.Input) else None
    resolution = valid.resolution if valid else "720p"
    duration = int(valid.duration) if valid else 5
    audio = valid.generate_audio if valid else True
    videos = [r for r in references if r.kind == "video"]
    units = duration + (sum(r.duration for r in videos) if rules.BILLS_INPUT_SECONDS else 0)
    rate = rules.price_per_second(model, resolution, audio=audio)
    labels = [f"@Video{i + 1}" for i in range(len(videos))]
    labels += [f"@Image{i + 1}" for i in range(len(references) - len(videos))]
    webhook = request.query_params.get("fal_webhook") or None
    return SimTask(
        id=request_id,
        owner=owner,
        created=time.time(),
        task_seconds=state.task_seconds,
        prompt=valid.prompt if valid else str(payload.get("prompt", "")),
        video_urls=[r.url for r in references],
        quality=resolution,
        aspect_ratio=valid.aspect_ratio if valid else "16:9",
        duration=duration,
        shot_type="single" if valid is None or valid.single_shot else "multi",
        callback_url=webhook,
        credits_reserved=float(rate * Decimal(str(units))),
        reference_durations=[r.duration for r in references],
        reference_paths=[str(r.path) for r in references],
        failure=failure,
        render_path=state.results_dir / f"{request_id}.mp4",
        dialect=dialect,
        extra={
            "model": model.endpoint,
            "input": payload,
            "resolved": {
                "aspect_ratio": valid.aspect_ratio,
                "resolution": valid.resolution,
                "duration": valid.duration,
                "enable_prompt_expansion": valid.enable_prompt_expansion,
                "multi_shots": valid.multi_shots,
                "enable_safety_checker": valid.enable_safety_checker,
                "generate_audio": valid.generate_audio,
            }
            if valid
            else None,
            "seed": valid.seed if valid and valid.seed is not None else secrets.randbelow(2**31),
            "prompt_expansion": bool(valid and valid.enable_prompt_expansion),
            "warnings": list(valid.warnings) if valid else [],
            "billable_units": units,
            "price_per_second": str(rate),
            "headers": {
                name: request.headers[name]
                for name in (
                    "x-fal-queue-priority",
                    "x-fal-request-timeout",
                    "x-fal-no-retry",
                    "x-fal-store-io",
                )
                if name in request.headers
            },
            "render": {"audio": audio, "labels": labels},
        },
    )
