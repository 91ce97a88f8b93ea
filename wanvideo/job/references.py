"""The references of a generation: probed (files in the media sandbox, links through the
guarded fetcher), planned, priced as they will be sent, and prepared where they need it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from .. import media
from ..events import (
    Failed,
    Preparing,
    Probed,
)
from ..limits import MAX_ALL_REFERENCES, MAX_IMAGE_REFERENCES
from ..media import ProbeResult
from ..media.prepare import PreparedClip, PrepPlan
from ..messages import Message
from ..preparation import Ready, limits_for, plan_references, prepare_references, probe_limit
from ..pricing import Estimate, estimate
from ..providers import ProviderProfile, reference_count_problem
from ..settings import Settings
from ..urls import display_name
from .stills import check_stills

log = logging.getLogger("wanvideo.job")


async def check_references(
    videos: Sequence[str],
    video_urls: Sequence[str],
    quality: str,
    duration: int,
    profile: ProviderProfile,
    settings: Settings,
    *,
    fix: bool = True,
    starts: Sequence[float] = (),
    images: Sequence[str] = (),
    image_urls: Sequence[str] = (),
    voices: Sequence[str | None] = (),
) -> Probed:
    """Probe every reference (local files in a sandboxed worker, URLs through the guarded
    fetcher under a hard deadline), plan what each needs (with `fix`: convert, rotate, trim
    to its window from `starts[i]`, shrink) and price each as it will be sent.

    The estimate is given for 1 to 3 references (an unknown duration makes it a range);
    with none or more than 3 there is no estimate and a problem says what to change. More
    references than the pick takes are refused before any of them is probed: nothing is
    fetched, read or started for them.

    `images` (files) and `image_urls` come after the videos in character order; they are
    probed in the sandbox and, with `fix`, fixed at once (cheap, cached) into
    `prepared_images`. `voices[i]` (an audio file or a clip, or None) belongs to reference i
    of all of them; each is converted (cut to 10 s only with `fix`) into `prepared_voices`.
    Images and voices are not billed (../shared/MODELS.md: only input video seconds are).
    """
    videos = [v for v in videos if v]
    video_urls = [u for u in video_urls if u and u.strip()]
    images = [i for i in images if i]
    image_urls = [u for u in image_urls if u and u.strip()]
    count = len(videos) + len(video_urls)
    refused = _count_refusal(count, len(images) + len(image_urls), len(voices))
    if refused:
        return Probed(probes=(), estimate=None, problems=(refused,))
    stills_work = asyncio.ensure_future(check_stills(images, image_urls, voices, count, settings, fix=fix))
    limit = probe_limit(fix)
    tasks: list[Awaitable[ProbeResult]] = [
        _safe_probe(
            lambda path=path: media.probe_local(str(path), Path(path).name, max_bytes=limit),
            str(path),
            Path(path).name,
        )
        for path in videos
    ]
    tasks += [
        _safe_probe(
            lambda url=url: media.probe_url(
                url,
                allow_private=settings.allow_private_urls,
                timeout=settings.probe_timeout,
                max_bytes=limit,
            ),
            url,
            display_name(url),
        )
        for url in video_urls
    ]
    try:
        probes = tuple(await asyncio.gather(*tasks))
        stills = await stills_work
    finally:
        stills_work.cancel()  # a cancelled check stops the images' and voices' work too
    plans, problems, warnings = plan_references(probes, starts, fix=fix, limits=limits_for(profile))
    probed = price_probes(probes, quality, duration, profile, plans=plans, images=len(stills.image_probes))
    return replace(
        stills.attach(probed),
        problems=probed.problems + tuple(problems) + stills.problems,
        warnings=probed.warnings + tuple(warnings) + stills.warnings,
    )


def _count_refusal(videos: int, images: int, voices: int) -> Message | None:
    """More references (or voices) than any pick takes: refused before anything is probed."""
    too_many = reference_count_problem(videos) if videos > 0 else None
    if too_many:
        return Message("sentence.full", text=too_many)
    if images > MAX_IMAGE_REFERENCES:
        extra = images - MAX_IMAGE_REFERENCES
        text = Message("image.too_many", count=images, max=MAX_IMAGE_REFERENCES, remove=extra)
        return Message("sentence.full", text=text)
    if videos + images > MAX_ALL_REFERENCES:
        extra = videos + images - MAX_ALL_REFERENCES
        text = Message("image.all_too_many", count=videos + images, max=MAX_ALL_REFERENCES, remove=extra)
        return Message("sentence.full", text=text)
    if voices > videos + images:
        text = Message("voice.too_many", count=voices, refs=videos + images)
        return Message("sentence.full", text=text)
    return None


def price_probes(
    probes: Sequence[ProbeResult],
    quality: str,
    duration: int,
    profile: ProviderProfile,
    *,
    plans: Sequence[PrepPlan] = (),
    prepared: Sequence[PreparedClip | None] = (),
    images: int = 0,
) -> Probed:
    """The `Probed` of already-probed references for one quality and duration (pure: no I/O).

    Each reference is billed as it will be sent: its prepared clip, else its plan's window,
    else as probed. Used by `check_references`, by `prepare_step` once clips are made, and
    by `run_generation` when the caller probed already, so a change of quality or duration
    after the check is priced without probing again. `images`: how many image references
    come with them (not billed; with images, no video is needed)."""
    shell = Probed(probes=tuple(probes), estimate=None, plans=tuple(plans), prepared=tuple(prepared))
    sent = [shell.sent(i) for i in range(len(shell.probes))]
    problems = [p for probe in sent for p in probe.problems]
    problems += profile.reference_problems(sent)  # the provider's stricter limits (size, fps)
    warnings = [w for probe in sent for w in probe.warnings]
    result_estimate: Estimate | None = None
    if images:  # the pick's rule for videos and images together
        count_problem = profile.reference.count_problem(len(sent), images, profile.label)
    else:
        count_problem = reference_count_problem(len(sent))
    if count_problem:
        problems.insert(0, Message("sentence.full", text=count_problem))
    else:
        result_estimate = estimate(shell.sent_durations, quality, duration, profile.prices)
    return replace(shell, estimate=result_estimate, problems=tuple(problems), warnings=tuple(warnings))


async def prepare_step(
    probed: Probed,
    sources: Sequence[str],
    quality: str,
    duration: int,
    profile: ProviderProfile,
    settings: Settings,
) -> AsyncIterator[Preparing | Probed | Failed]:
    """Prepare the references `probed` plans for (`sources`: each reference's local path or
    link, in order). Yields Preparing*, then the Probed re-priced with the prepared clips, or
    Failed (nothing was sent). Closing it stops the preparation under way."""
    async with contextlib.aclosing(prepare_references(probed, sources, settings=settings)) as items:
        async for item in items:
            if isinstance(item, Ready):
                yield price_probes(
                    probed.probes, quality, duration, profile, plans=probed.plans, prepared=item.prepared
                )
                return
            yield item


async def _safe_probe(work: Callable[[], Awaitable[ProbeResult]], source: str, name: str) -> ProbeResult:
    """Run one probe; its failure becomes a problem. `work` makes the awaitable only when this
    runs, so a cancelled check leaves no never-awaited coroutine behind."""
    try:
        return await work()
    except Exception as exc:  # a probe must never take the job down
        log.warning("probing %s failed: %s", name, type(exc).__name__)
        return ProbeResult(
            name=name,
            source=source,
            problems=(Message("job.not_checked", name=name, kind=type(exc).__name__),),
        )
