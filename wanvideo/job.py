"""One generation as an async generator of typed events (`wanvideo.events`).

    probed = await check_references(videos, urls, "720p", 5, profile, settings)   # cost, problems
    async for item in prepare_step(probed, sources, "720p", 5, profile, settings):
        ...   # Preparing*, then the re-priced Probed (or Failed): references fixed before upload

    async for event in run_generation(request, profile=profile, settings=settings, api_key=key):
        ...   # Probed, Preparing*, Uploading*, Submitted, Progress*, Downloading*, Completed | Failed

    async for event in resume_generation(task_id, profile=profile, settings=settings, api_key=key,
                                         started_at=submitted_at):
        ...   # Progress*, Downloading*, Completed | Failed   (after a restart)

The generator never raises a `WanError` (nor any other error) to its consumer: every
failure ends the stream with a `Failed` event that says what happened, what to do, whether
anything was charged and whether the task may still be running. It is lazy: nothing after
`Submitted` runs until the consumer asks for the next event, so a consumer that persists the
task id on `Submitted` has it stored before the first poll. Closing the generator early
(`aclose()`) stops watching and cancels a running upload or download (its temporary file
is removed); it never cancels the task at the provider. Nested generators are closed with
`contextlib.aclosing`, so closing the outer one closes them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr, ValidationError

from . import media
from .client import WanClient, estimate_remaining, request_may_have_reached_server
from .errors import (
    TASK_ERROR_SUGGESTIONS,
    APIStatusError,
    DownloadError,
    NotFoundError,
    TaskDeadlineError,
    WanError,
)
from .events import (
    Completed,
    Downloading,
    Event,
    Failed,
    FailureReason,
    Preparing,
    Probed,
    Progress,
    Submitted,
    Uploading,
)
from .ids import new_idempotency_key
from .links import TaskLinks
from .media import ProbeResult
from .media.prepare import PreparedClip, PrepPlan
from .messages import Message
from .netguard import dns_executor
from .preparation import Ready, limits_for, plan_references, prepare_references, probe_limit
from .pricing import Estimate, charge_for, estimate
from .providers import ProviderProfile, reference_count_problem
from .schemas import CreateTaskBody, GenerationRequest, Task, field_problem, plain_problems, provider_problems
from .settings import Settings
from .task_status import PROVIDER_GONE
from .urls import display_name, resolved_internal_reason

__all__ = ["check_references", "prepare_step", "price_probes", "resume_generation", "run_generation"]

log = logging.getLogger("wanvideo.job")

PROGRESS_EVERY = 0.2  # seconds between Uploading/Downloading events (the latest value wins)
CALLBACK_RESOLVE_TIMEOUT = 10.0  # seconds to resolve a callback host before refusing it
T = TypeVar("T")


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
) -> Probed:
    """Probe every reference (local files in a sandboxed worker, URLs through the guarded
    fetcher under a hard deadline), plan what each needs (with `fix`: convert, rotate, trim
    to its window from `starts[i]`, shrink) and price each as it will be sent.

    The estimate is given for 1 to 3 references (an unknown duration makes it a range);
    with none or more than 3 there is no estimate and a problem says what to change. More
    references than the pick takes are refused before any of them is probed: nothing is
    fetched, read or started for them.
    """
    videos = [v for v in videos if v]
    video_urls = [u for u in video_urls if u and u.strip()]
    count = len(videos) + len(video_urls)
    too_many = reference_count_problem(count) if count > 0 else None
    if too_many:
        return Probed(probes=(), estimate=None, problems=(Message("sentence.full", text=too_many),))
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
    probes = tuple(await asyncio.gather(*tasks))
    plans, problems, warnings = plan_references(probes, starts, fix=fix, limits=limits_for(profile))
    probed = price_probes(probes, quality, duration, profile, plans=plans)
    return replace(
        probed, problems=probed.problems + tuple(problems), warnings=probed.warnings + tuple(warnings)
    )


def price_probes(
    probes: Sequence[ProbeResult],
    quality: str,
    duration: int,
    profile: ProviderProfile,
    *,
    plans: Sequence[PrepPlan] = (),
    prepared: Sequence[PreparedClip | None] = (),
) -> Probed:
    """The `Probed` of already-probed references for one quality and duration (pure: no I/O).

    Each reference is billed as it will be sent: its prepared clip, else its plan's window,
    else as probed. Used by `check_references`, by `prepare_step` once clips are made, and
    by `run_generation` when the caller probed already, so a change of quality or duration
    after the check is priced without probing again."""
    shell = Probed(probes=tuple(probes), estimate=None, plans=tuple(plans), prepared=tuple(prepared))
    sent = [shell.sent(i) for i in range(len(shell.probes))]
    problems = [p for probe in sent for p in probe.problems]
    problems += profile.reference_problems(sent)  # the provider's stricter limits (size, fps)
    warnings = [w for probe in sent for w in probe.warnings]
    result_estimate: Estimate | None = None
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


async def run_generation(
    request: GenerationRequest,
    *,
    profile: ProviderProfile,
    settings: Settings,
    api_key: str | SecretStr | None,
    idempotency_key: str | None = None,
    dest_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    probed: Probed | None = None,
    links: TaskLinks | None = None,
    wake: asyncio.Event | None = None,
) -> AsyncIterator[Event]:
    """Run one generation, yielding its events; ends with exactly one Completed or Failed.

    `api_key` None sends the demo placeholder (the caller resolves a server key).
    `probed`: what `check_references` found for these references in this click; given, the
    references are not probed again (a remote link is fetched once per click, and the
    estimate shown is the one charged against). It is re-priced for the request's quality
    and duration, which is pure arithmetic.
    `links`: the task's links on the app's public address (`wanvideo.links`; None without
    one): where the provider has no upload, local files and prepared clips are served from
    there; where it has a per-request callback and the person gave none, it wakes the watch.
    `wake`: set it to make the watch poll now (the watcher's wake-up). When the app's own
    wake-up was sent, polling is only the fallback (every `settings.poll_max_interval` s).
    """
    task_id: str | None = None
    try:
        refusals = tuple(provider_problems(request, profile))
        if refusals:  # the provider's own rules (checked in the form too, when it validated with it)
            yield Failed(
                message=Message("job.refused_before_sending"),
                suggestion=refusals[0],
                problems=refusals,
                reason=FailureReason.REFUSED,
            )
            return
        profile = profile.with_model(request.model)  # the chosen model's prices and rules
        if probed is None:
            probed = await check_references(
                request.videos,
                request.video_urls,
                request.quality,
                request.duration,
                profile,
                settings,
                fix=request.fix_references,
                starts=request.reference_starts,
            )
        elif len(probed.probes) != request.reference_count:
            raise ValueError(
                f"probed {len(probed.probes)} references for a request with {request.reference_count}"
            )
        else:
            repriced = price_probes(
                probed.probes,
                request.quality,
                request.duration,
                profile,
                plans=probed.plans,
                prepared=probed.prepared,
            )
            probed = replace(probed, estimate=repriced.estimate)
        yield probed
        if probed.problems:
            yield Failed(
                message=Message("job.references_unusable"),
                suggestion=probed.problems[0],
                problems=probed.problems,
                reason=FailureReason.REFUSED,
            )
            return
        callback_problem = await _callback_problem(request.callback_url)
        if callback_problem:
            yield Failed(
                message=Message("job.refused_before_sending"),
                suggestion=callback_problem,
                problems=(callback_problem,),
                reason=FailureReason.REFUSED,
            )
            return
        sources = [*request.videos, *request.video_urls]
        serve = not profile.local_files and links is not None  # the app serves local files itself
        if probed.to_prepare and not profile.local_files and not serve:
            problem = Message("links.prepared_not_servable", provider=profile.label)
            yield Failed(
                message=Message("job.refused_before_sending"),
                suggestion=problem,
                problems=(problem,),
                reason=FailureReason.REFUSED,
            )
            return
        if probed.to_prepare:
            async with contextlib.aclosing(
                prepare_step(probed, sources, request.quality, request.duration, profile, settings)
            ) as steps:
                async for step in steps:
                    if isinstance(step, Probed):
                        probed = step
                    else:
                        yield step
                        if isinstance(step, Failed):
                            return

        async with WanClient(profile, api_key, settings, transport=transport) as client:
            # Local files and prepared clips are uploaded; links that needed nothing are sent as they are.
            local = [i for i in range(len(sources)) if i < len(request.videos) or probed.clip(i)]
            sent_urls: dict[int, str] = {}
            count = len(local)
            for index, i in enumerate(local, start=1):
                clip = probed.clip(i)
                path = str(clip.path) if clip is not None else sources[i]
                name = probed.probes[i].name or Path(path).name
                if serve:
                    assert links is not None
                    sent_urls[i] = links.reference_url(Path(path))
                    continue

                def uploading(done: int, all_: int, index: int = index, name: str = name) -> Uploading:
                    return Uploading(index, count, name, done, all_)

                file_url = None
                try:
                    total = Path(path).stat().st_size
                    yield Uploading(index, count, name, 0, total)
                    async with contextlib.aclosing(
                        _with_progress(
                            lambda report, path=path: client.upload_file(path, on_progress=report), uploading
                        )
                    ) as items:
                        async for item in items:
                            if isinstance(item, Uploading):
                                yield item
                            else:
                                file_url = item.value
                except (WanError, OSError) as exc:
                    detail = exc.message if isinstance(exc, WanError) else (exc.strerror or str(exc))
                    hint = exc.suggestion if isinstance(exc, WanError) else ""
                    shown = detail.rstrip(".") if not isinstance(detail, Message) else detail
                    if name not in detail:
                        shown = Message("job.upload_failed_detail", name=name, detail=shown)
                    if isinstance(shown, Message) and shown.endswith("."):  # already a sentence
                        told = Message("job.upload_failed_sentence", detail=shown)
                    else:
                        told = Message("job.upload_failed", detail=shown)
                    yield Failed(
                        message=told,
                        suggestion=Message("job.upload_hint", hint=hint)
                        if hint
                        else Message("job.upload_hint_alone"),
                        code=getattr(exc, "code", None),
                        reason=FailureReason.UPLOAD_FAILED,
                    )
                    return
                yield Uploading(index, count, name, total, total)
                sent_urls[i] = str(file_url)
            urls = [sent_urls.get(i, source) for i, source in enumerate(sources)]

            try:
                body = CreateTaskBody.model_validate(
                    {
                        "prompt": request.prompt,
                        "video_urls": urls,
                        "aspect_ratio": request.aspect_ratio,
                        "quality": request.quality,
                        "duration": request.duration,
                        "model_params": {"shot_type": request.shot_type},
                        "callback_url": request.callback_url,
                    },
                    context={"profile": profile},
                )
            except ValidationError as exc:
                problems = tuple(plain_problems(exc))
                yield Failed(
                    message=Message("job.refused_before_sending"),
                    suggestion=problems[0] if problems else "",
                    problems=problems,
                    reason=FailureReason.REFUSED,
                )
                return

            woken = body.callback_url is None and profile.callbacks and links is not None
            if woken:
                assert links is not None
                # Our own wake-up (built from the validated public address, not a visitor's
                # input); a visitor's own callback is sent instead, and then polling alone watches.
                body = body.model_copy(update={"callback_url": links.wake_url()})
            key = idempotency_key or new_idempotency_key()
            try:
                task = await client.create_task(body, key)
            except WanError as exc:
                if links is not None and not request_may_have_reached_server(exc):
                    links.revoke()  # no task: nobody will fetch its references
                yield _create_failed(exc, key, profile)
                return
            submitted_at = time.time()
            if links is not None and serve:
                links.created(submitted_at)
            task_id = task.id
            yield Submitted(
                task_id=task.id,
                credits_reserved=task.credits_reserved,
                idempotency_key=key,
                sent_prompt=client.sent_prompt(body),
                model=body.model,
            )
            # Lazy from here: the consumer has had the chance to persist the task id.
            async with contextlib.aclosing(
                _follow(client, task.id, submitted_at, settings, dest_dir, probed.estimate, task, wake, woken)
            ) as events:
                async for event in events:
                    yield event
    except Exception as exc:
        yield _unexpected(exc, task_id is not None, task_id)


async def resume_generation(
    task_id: str,
    *,
    profile: ProviderProfile,
    settings: Settings,
    api_key: str | SecretStr | None,
    started_at: float | None = None,
    dest_dir: Path | None = None,
    estimate: Estimate | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    wake: asyncio.Event | None = None,
    callback_expected: bool = False,
) -> AsyncIterator[Event]:
    """Watch an already-submitted task to its end and download its video.

    Yields Progress*, Downloading*, then Completed or Failed. `started_at` is the submit time
    (`time.time()`) so elapsed time and ETA continue where they were; the poll deadline
    (`settings.poll_deadline`) counts from this call. A task that expired at the provider
    ends with Failed(task_continues=False).
    """
    submitted_at = time.time() if started_at is None else started_at
    try:
        async with (
            WanClient(profile, api_key, settings, transport=transport) as client,
            contextlib.aclosing(
                _follow(
                    client, task_id, submitted_at, settings, dest_dir, estimate, None, wake, callback_expected
                )
            ) as events,
        ):
            async for event in events:
                yield event
    except Exception as exc:
        yield _unexpected(exc, True, task_id)


# --------------------------------------------------------------------------- steps


async def _follow(
    client: WanClient,
    task_id: str,
    submitted_at: float,
    settings: Settings,
    dest_dir: Path | None,
    priced: Estimate | None,
    initial: Task | None,
    wake: asyncio.Event | None = None,
    callback_expected: bool = False,
) -> AsyncIterator[Event]:
    """Progress until final, then download: the part shared by run and resume. With
    `callback_expected` (the app's wake-up was sent) polling is only the fallback."""
    task = initial
    try:
        async with contextlib.aclosing(
            client.watch_task(
                task_id,
                started_at=submitted_at,
                initial=initial,
                wake=wake,
                callback_expected=callback_expected,
            )
        ) as snapshots:
            async for task in snapshots:
                elapsed = max(0.0, time.time() - submitted_at)
                yield Progress(
                    task_id=task_id,
                    status=task.status,
                    percent=task.progress,
                    elapsed=elapsed,
                    eta=_eta(task, elapsed),
                    queue_position=task.queue_position,
                )
    except TaskDeadlineError as exc:
        yield Failed(
            message=exc.message,
            suggestion=exc.suggestion,
            task_id=task_id,
            task_continues=True,
            reason=FailureReason.DEADLINE,
        )
        return
    except WanError as exc:
        gone = isinstance(exc, NotFoundError)  # the provider forgot the task (older than 24 h)
        yield Failed(
            message=Message("job.watch_failed", task_id=task_id, detail=exc.message),
            suggestion=exc.suggestion,
            task_id=task_id,
            code=getattr(exc, "code", None),
            task_continues=not gone,
            reason=FailureReason.EXPIRED if gone else FailureReason.CONNECTION,
        )
        return

    if task is None:  # cannot happen: watch_task yields or raises
        yield Failed(
            message=Message("job.task_unreadable", task_id=task_id),
            task_id=task_id,
            task_continues=True,
            reason=FailureReason.CONNECTION,
        )
        return
    if not task.succeeded:
        yield _task_failed(task)
        return
    async with contextlib.aclosing(_download(client, task, settings, dest_dir, priced)) as events:
        async for event in events:
            yield event


async def _download(
    client: WanClient, task: Task, settings: Settings, dest_dir: Path | None, priced: Estimate | None
) -> AsyncIterator[Event]:
    url = task.video_url
    charged = task.credits_charged
    billed = task.billed_seconds
    if not url:
        yield Failed(
            message=Message("job.no_video_link", task_id=task.id),
            suggestion=Message("job.look_in_dashboard"),
            task_id=task.id,
            charged=True,
            reason=FailureReason.DOWNLOAD_FAILED,
        )
        return
    dest = Path(dest_dir or settings.videos_dir) / _file_name(task.id)

    def downloading(done: int, total: int) -> Downloading:
        return Downloading(task_id=task.id, bytes_received=done, bytes_total=total or None, result_url=url)

    refreshed = False
    while True:
        try:
            path = None
            yield Downloading(task_id=task.id, bytes_received=0, bytes_total=None, result_url=url)
            async with contextlib.aclosing(
                _with_progress(
                    lambda report, url=url: client.download(url, dest, on_progress=report), downloading
                )
            ) as items:
                async for item in items:
                    if isinstance(item, Downloading):
                        yield item
                    else:
                        path = item.value
            break
        except WanError as exc:
            # An expired or broken link: read the task once more, a fresh link may be there.
            if not refreshed and isinstance(exc, NotFoundError | DownloadError):
                refreshed = True
                with contextlib.suppress(WanError):
                    fresh = await client.get_task(task.id)
                    charged = fresh.credits_charged or charged
                    billed = fresh.billed_seconds or billed
                    if fresh.video_url and fresh.video_url != url:
                        url = fresh.video_url
                        continue
            # The link answered 404 even after reading the task again: it is gone for good
            # (links live 24 h). Anything else may work later: the watcher retries.
            gone = isinstance(exc, NotFoundError)
            yield Failed(
                message=Message("job.not_saved", task_id=task.id, detail=exc.message),
                suggestion=exc.suggestion,
                task_id=task.id,
                code=getattr(exc, "code", None),
                charged=True,
                reason=FailureReason.EXPIRED if gone else FailureReason.DOWNLOAD_FAILED,
                result_url=url,
            )
            return
    if charged is None and billed is not None and priced is not None:
        charged = charge_for(billed, priced)  # the provider's seconds at the estimate's rate
    yield Completed(
        task_id=task.id,
        video_path=Path(path),
        credits_charged=charged,
        estimate=priced,
        billed_seconds=billed,
    )


# --------------------------------------------------------------------------- helpers


async def _callback_problem(callback_url: str | None) -> str | None:
    """Refuse a callback whose host RESOLVES to an internal address (the schema only sees
    the literal: a name, or a numeric form like 2130706433 or 0x7f.1, can still point
    inside). Resolved in netguard's DNS pool: never on the event loop or its default pool."""
    if not callback_url:
        return None
    parts = urlsplit(callback_url)
    host = parts.hostname or ""
    try:
        reason = await asyncio.wait_for(
            asyncio.wrap_future(dns_executor().submit(resolved_internal_reason, host, parts.port or 443)),
            CALLBACK_RESOLVE_TIMEOUT,
        )
    except asyncio.TimeoutError:
        return field_problem("callback_url", Message("job.callback_unresolved", host=host))
    if reason:
        return field_problem("callback_url", Message("job.callback_points_to", reason=reason))
    return None


class _Result:
    """The value of the work `_with_progress` ran, after its progress events."""

    def __init__(self, value: Any) -> None:
        self.value = value


async def _with_progress(
    work: Callable[[Callable[[int, int], None]], Awaitable[T]],
    make_event: Callable[[int, int], Event],
) -> AsyncIterator[Event | _Result]:
    """Run `work(report)` and yield its progress as events (at most every PROGRESS_EVERY s,
    latest value wins), then a `_Result`. Its errors propagate; closing the iterator cancels it."""
    latest: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        latest[:] = [(done, total)]

    runner = asyncio.ensure_future(work(report))
    try:
        while not runner.done():
            await asyncio.wait({runner}, timeout=PROGRESS_EVERY)
            if latest and not runner.done():
                yield make_event(*latest.pop())
        yield _Result(runner.result())
    finally:
        if not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await runner


def _eta(task: Task, elapsed: float) -> float | None:
    if task.is_final:
        return 0.0
    return estimate_remaining(task, elapsed)


def _file_name(task_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", task_id)[:120].lstrip(".") + ".mp4"


def _task_failed(task: Task) -> Failed:
    code = task.error.code if task.error else None
    detail = task.error.message if task.error and task.error.message else None
    if detail:
        message = Message("job.task_ended_detail", task_id=task.id, status=task.status, detail=detail)
    else:
        message = Message("job.task_ended", task_id=task.id, status=task.status)
    suggestion = TASK_ERROR_SUGGESTIONS.get(str(code), "") if code is not None else ""
    if not suggestion:
        suggestion = Message("job.task_failed_hint")
    # A queue provider's UNKNOWN and a gateway's "expired" mean the provider forgot the task (24 h).
    reason = FailureReason.EXPIRED if task.status in PROVIDER_GONE else FailureReason.PROVIDER_FAILED
    if task.status in ("cancelled", "canceled"):
        reason = FailureReason.CANCELLED  # cancelled at the provider before it ran
    return Failed(
        message=message,
        suggestion=suggestion,
        task_id=task.id,
        code=code,
        charged=False,
        reason=reason,
    )


def _create_failed(exc: WanError, key: str, profile: ProviderProfile) -> Failed:
    if request_may_have_reached_server(exc):
        # The create is never sent again by itself; where the provider has no idempotency key
        # (a queue provider) only its task list can tell whether the task exists.
        return Failed(
            message=Message("job.create_unclear", detail=exc.message),
            suggestion=(
                Message("job.check_task_list_key", key=key)
                if profile.idempotent_create
                else Message("job.check_task_list", provider=profile.label)
            ),
            code=getattr(exc, "code", None),
            task_continues=True,
            reason=FailureReason.CONNECTION,
        )
    return Failed(
        message=Message("job.not_created", detail=exc.message),
        suggestion=exc.suggestion,
        code=getattr(exc, "code", None),
        reason=FailureReason.REJECTED if isinstance(exc, APIStatusError) else FailureReason.CONNECTION,
    )


def _unexpected(exc: Exception, submitted: bool, task_id: str | None = None) -> Failed:
    if isinstance(exc, WanError):
        return Failed(
            message=exc.message,
            suggestion=exc.suggestion,
            task_id=task_id,
            code=getattr(exc, "code", None),
            task_continues=submitted,
            reason=FailureReason.CONNECTION,
        )
    log.exception("generation failed unexpectedly")
    return Failed(
        message=Message("job.unexpected", kind=type(exc).__name__),
        suggestion=Message("job.unexpected_hint"),
        task_id=task_id,
        task_continues=submitted,
        reason=FailureReason.UNEXPECTED,
    )
