"""The preparation step of a generation: each reference planned from its probe, then the
ones that need it prepared (in the sandbox, cached), as typed events.

    plans, problems, warnings = plan_references(probes, starts, fix=True, limits=limits_for(profile))  # pure
    async for item in prepare_references(probed, sources, settings=settings):
        ...   # Preparing*, then Ready(prepared) | Failed(PREPARE_FAILED)

`job.check_references` plans; `job.prepare_step` (used by `run_generation` and the Generate
handler, which prepares before handing the job over so Stop can still stop it) prepares and
re-prices. Nothing here uploads or creates anything: a failure costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .disk import MB, disk_low_message, short_of_space
from .events import Failed, FailureReason, Preparing, Probed
from .limits import MAX_REFERENCE_BYTES
from .media.clips import PreparedClips, PrepareError, default_clips
from .media.prepare import MAX_SOURCE_BYTES, Limits, PreparedClip, PrepPlan, plan_preparation
from .media.result import ProbeResult
from .media.rules import FIX_CHOICE
from .messages import Message
from .providers import ProviderProfile
from .schemas import FIELD_LABELS
from .settings import Settings
from .urls import is_http_url

PROGRESS_EVERY = 0.2  # seconds between Preparing events (the latest percent wins)
START_LABEL = FIELD_LABELS["reference_starts"]


@dataclass(frozen=True)
class Ready:
    """Every reference that needed it is prepared: `prepared[i]` (None: sent as it is)."""

    prepared: tuple[PreparedClip | None, ...]


def limits_for(profile: ProviderProfile) -> Limits:
    """What a prepared clip must meet on this provider (model variant): a smaller size cap, for one."""
    rules = profile.reference
    common = Limits()
    return Limits(
        max_bytes=min(rules.max_bytes, common.max_bytes),
        min_seconds=max(rules.min_seconds, common.min_seconds),
        max_seconds=min(rules.max_seconds, common.max_seconds),
        min_fps=rules.min_fps,
    )


def plan_references(
    probes: Sequence[ProbeResult], starts: Sequence[float], *, fix: bool, limits: Limits | None = None
) -> tuple[tuple[PrepPlan, ...], list[str], list[str]]:
    """(plans, extra problems, extra warnings) for `probes` with window `starts` (reference
    order; missing ones are 0), each prepared to `limits` (default: the API's common ones).
    Without `fix` there are no plans, and a start other than 0 is a problem (only a prepared
    clip can start later)."""
    problems: list[str] = []
    warnings: list[str] = []
    if len(starts) > len(probes):
        extra = len(starts) - len(probes)
        noun = Message("prep.reference" if len(probes) == 1 else "prep.references", n=len(probes))
        tail = Message("prep.last_is" if extra == 1 else "prep.last_are", n=extra)
        many = Message("prep.starts_extra", given=len(starts), refs=noun, tail=tail)
        warnings.append(Message("field.problem", field=START_LABEL, problem=many))
    padded = [*starts[: len(probes)], *[0.0] * max(0, len(probes) - len(starts))]
    if not fix:
        for i, start in enumerate(padded):
            if start:
                later = Message("prep.start_needs_fix", index=i + 1, start=f"{start:g}", fix=FIX_CHOICE)
                problems.append(Message("field.problem", field=START_LABEL, problem=later))
        return (), problems, warnings
    plans = tuple(plan_preparation(p, s, limits=limits) for p, s in zip(probes, padded, strict=True))
    return plans, problems, warnings


def probe_limit(fix: bool) -> int:
    """The largest file opened to probe: a clip that may be shrunk can be larger."""
    return MAX_SOURCE_BYTES if fix else MAX_REFERENCE_BYTES


async def prepare_references(
    probed: Probed,
    sources: Sequence[str],
    *,
    settings: Settings,
    clips: PreparedClips | None = None,
) -> AsyncIterator[Preparing | Ready | Failed]:
    """Prepare each reference `probed` plans for (`sources[i]`: its local path or link), in
    order. Yields Preparing (with progress), then Ready, or Failed on the first that cannot
    be prepared. Closing the iterator stops the work under way."""
    clips = clips or default_clips()
    count = len(probed.probes)
    prepared = [probed.clip(i) for i in range(count)]
    for i in probed.to_prepare:
        plan = probed.plans[i]
        source = sources[i]
        name = probed.probes[i].name
        notes = plan.notes()
        yield Preparing(index=i + 1, count=count, name=name, percent=0.0, notes=notes)
        floor = settings.min_free_disk_mb * MB
        free = short_of_space(clips.root, floor)
        if free is not None:  # the disk guard: no fixed clip (or link download) under the floor
            message = disk_low_message(free, floor)
            yield Failed(message=message, problems=(message,), reason=FailureReason.PREPARE_FAILED)
            return
        latest: list[float] = []

        def report(percent: float, latest: list[float] = latest) -> None:
            latest[:] = [percent]

        if is_http_url(source):
            work = clips.prepare_link(
                source,
                plan,
                allow_private=settings.allow_private_urls,
                max_bytes=MAX_SOURCE_BYTES,
                on_progress=report,
            )
        else:
            work = clips.prepare(Path(source), plan, on_progress=report)
        runner = asyncio.ensure_future(work)
        try:
            while not runner.done():
                await asyncio.wait({runner}, timeout=PROGRESS_EVERY)
                if latest and not runner.done():
                    yield Preparing(index=i + 1, count=count, name=name, percent=latest.pop(), notes=notes)
            clip = runner.result()
        except PrepareError as exc:
            yield Failed(
                message=Message("prep.failed", detail=exc.message),
                suggestion=Message("prep.failed_hint", fix=FIX_CHOICE),
                problems=(exc.message,),
                reason=FailureReason.PREPARE_FAILED,
            )
            return
        finally:
            if not runner.done():
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await runner
        prepared[i] = clip
        yield Preparing(index=i + 1, count=count, name=name, percent=100.0, notes=clip.notes())
    yield Ready(prepared=tuple(prepared))
