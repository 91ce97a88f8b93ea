"""One Generate, from the form's values to the finished video, as typed events.

    async for event in service.generate(values, owner=owner, visitor=visitor):
        Checking -> Probed -> Preparing* -> Started -> (the job's events) -> Completed | Failed

Every refusal before anything is sent is `GenerationRefused` (its `stage` says which check,
`failed` what the status panel shows): nothing was uploaded, created or charged then.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum

from pydantic import ValidationError

from ..budget import Limit, SpendRefused
from ..error_base import WanError
from ..events import Completed, Event, Failed, FailureReason, Probed
from ..job import check_references, prepare_step
from ..messages import Message
from ..providers import ProviderProfile
from ..schemas import GenerationRequest, plain_problems
from . import inputs
from .values import FormValues


class RefusalStage(str, Enum):
    """Which check refused a Generate (the page words each its own way)."""

    INPUT = "input"  # the form itself: a field to change
    REFERENCES = "references"  # a reference the provider would refuse
    PREPARE = "prepare"  # a reference could not be prepared
    LIMIT = "limit"  # a spending limit (or the visitor's generations in flight)
    PAUSED = "paused"  # the owner paused generation (the owner's console)


class GenerationRefused(WanError):
    """Nothing was sent: `problems` say what to change; `failed` is the event the status panel
    shows (None for INPUT: the panel was not started)."""

    def __init__(self, stage: RefusalStage, problems: list[str], failed: Failed | None = None) -> None:
        super().__init__(failed.message if failed is not None else " ".join(problems))
        self.stage = stage
        self.problems = list(problems)
        self.failed = failed


@dataclass(frozen=True)
class Checking:
    """The form is well-formed on `profile`: its references are being checked now."""

    profile: ProviderProfile


@dataclass(frozen=True)
class Started:
    """The request was handed to the TaskManager (it survives the browser closing)."""

    record_id: str


@dataclass(frozen=True)
class BatchStarted:
    """Variations (issue 20) were handed to the TaskManager together: one record each, in order,
    with the seed each asks for (None: the provider picks)."""

    group_id: str
    record_ids: tuple[str, ...]
    seeds: tuple[int | None, ...]


@dataclass(frozen=True)
class VariationEvent:
    """A job event of variation `index` (0-based) of a batch."""

    index: int
    record_id: str
    event: Event


def read_request(values: FormValues, profile: ProviderProfile) -> GenerationRequest:
    """The form as a validated request on `profile`, or `GenerationRefused` (INPUT) naming
    every field to fix."""
    seconds, duration_problem = inputs.parse_duration(profile, values.duration)
    urls, problems = inputs.parse_urls(values.video_urls)
    image_urls, image_url_problems = inputs.parse_urls(values.image_urls, inputs.IMAGE_URLS)
    starts, starts_problem = inputs.parse_starts(values.reference_starts)
    controls, control_problems = inputs.parse_controls(**values.controls)
    problems += [p for p in (*image_url_problems, duration_problem, starts_problem, *control_problems) if p]
    if problems:
        raise GenerationRefused(RefusalStage.INPUT, problems)
    try:
        return GenerationRequest.model_validate(
            {
                "prompt": values.prompt or "",
                "videos": inputs.file_paths(values.videos),
                "video_urls": urls,
                "quality": values.quality,
                "aspect_ratio": values.aspect_ratio,
                "duration": seconds,
                "shot_type": values.shot_type,
                "callback_url": values.callback_url or None,
                "fix_references": inputs.parse_fix(values.fix_references),
                "reference_starts": starts,
                "model": profile.model,
                "images": inputs.file_paths(values.images),
                "image_urls": image_urls,
                "voices": inputs.voice_paths(values.voices),
                **controls,
            },
            context={"profile": profile},
        )
    except ValidationError as exc:
        raise GenerationRefused(RefusalStage.INPUT, plain_problems(exc)) from None


async def checked_references(
    req: GenerationRequest, profile: ProviderProfile, settings: object
) -> AsyncIterator[Event]:
    """Probe the references once (that `Probed` goes to the TaskManager: nothing is probed
    twice) and prepare those that need it, here, before the job is handed over: a Stop closes
    this, which stops the worker; nothing was uploaded or created yet. The cost panel's
    preparation of the same clips is reused (cached by content, start and settings).
    The last event is the `Probed` the job gets."""
    probed = await check_references(
        req.videos,
        req.video_urls,
        req.quality,
        req.duration,
        profile,
        settings,  # type: ignore[arg-type]
        fix=req.fix_references,
        starts=req.reference_starts,
        images=req.images,
        image_urls=req.image_urls,
        voices=req.voices,
    )
    if probed.problems:
        failed = Failed(
            message=Message("job.refs_unusable"), problems=probed.problems, reason=FailureReason.REFUSED
        )
        raise GenerationRefused(RefusalStage.REFERENCES, list(probed.problems), failed)
    yield probed
    if not probed.to_prepare:
        return
    sources = [*req.videos, *req.video_urls]
    async for item in prepare_step(probed, sources, req.quality, req.duration, profile, settings):  # type: ignore[arg-type]
        if isinstance(item, Failed):
            raise GenerationRefused(RefusalStage.PREPARE, [item.message], item)
        yield item
        if isinstance(item, Probed):
            return


def limit_refusal(exc: SpendRefused) -> GenerationRefused:
    failed = Failed(message=exc.message, reason=FailureReason.REFUSED)
    stage = RefusalStage.PAUSED if exc.limit is Limit.PAUSED else RefusalStage.LIMIT
    return GenerationRefused(stage, [exc.message], failed)


def is_final(event: Event) -> bool:
    return isinstance(event, Completed | Failed)
