"""One generation from request to saved video (`run_generation`), and watching a task again
after a restart (`resume_generation`), as steps that each end the run with a `Failed` event
when they must."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr, ValidationError

from ..client import WanClient, request_may_have_reached_server
from ..errors import (
    APIStatusError,
    WanError,
)
from ..events import (
    Event,
    Failed,
    FailureReason,
    Probed,
    Submitted,
    Uploading,
)
from ..ids import new_idempotency_key
from ..links import TaskLinks
from ..messages import Message
from ..netguard import dns_executor
from ..pricing import Estimate
from ..providers import CONTROLS, ProviderProfile
from ..schemas import (
    CreateTaskBody,
    GenerationRequest,
    field_problem,
    plain_problems,
    provider_problems,
)
from ..settings import Settings
from ..urls import resolved_internal_reason
from .follow import follow_task, with_progress
from .references import check_references, prepare_step, price_probes
from .shared_uploads import SharedUploads
from .uploads import UploadCache

log = logging.getLogger("wanvideo.job")

CALLBACK_RESOLVE_TIMEOUT = 10.0  # seconds to resolve a callback host before refusing it


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
    uploads: UploadCache | None = None,
    shared: SharedUploads | None = None,
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
    `uploads`: the provider upload cache; a file this key uploaded and whose upload stays
    valid is not uploaded again (None: every file is uploaded). `shared`: the uploads of the
    generations of one batch (same key): a file a sibling is uploading is not uploaded twice.
    """
    task_id: str | None = None
    run = _Run(request, profile, settings, links, probed, uploads=uploads, shared=shared, api_key=api_key)
    try:
        for step in (_checked, _prepared):
            async with contextlib.aclosing(step(run)) as events:
                async for event in events:
                    yield event
                    if isinstance(event, Failed):
                        return
        async with WanClient(run.profile, api_key, settings, transport=transport) as client:
            urls = _Sent([], [], [])
            async with contextlib.aclosing(_uploaded(run, client, urls)) as events:
                async for event in events:
                    yield event
                    if isinstance(event, Failed):
                        return
            body = _create_body(run, urls)
            if isinstance(body, Failed):
                yield body
                return
            woken = body.callback_url is None and run.profile.callbacks and links is not None
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
                yield _create_failed(exc, key, run.profile)
                return
            submitted_at = time.time()
            if links is not None and run.serve:
                links.created(submitted_at)
            task_id = task.id
            yield Submitted(
                task_id=task.id,
                credits_reserved=task.credits_reserved,
                idempotency_key=key,
                sent_prompt=client.sent_prompt(body),
                model=body.model,
                seed=body.extras.seed,
            )
            # Lazy from here: the consumer has had the chance to persist the task id.
            estimate = run.probed.estimate if run.probed is not None else None
            async with contextlib.aclosing(
                follow_task(client, task.id, submitted_at, settings, dest_dir, estimate, task, wake, woken)
            ) as watched:
                async for event in watched:
                    yield event
    except Exception as exc:
        yield _unexpected(exc, task_id is not None, task_id)


@dataclass
class _Run:
    """What the steps of one generation hand on to the next."""

    request: GenerationRequest
    profile: ProviderProfile
    settings: Settings
    links: TaskLinks | None
    probed: Probed | None = None
    serve: bool = False  # the app serves local files itself (the provider has no upload)
    uploads: UploadCache | None = None
    shared: SharedUploads | None = None  # a batch's uploads, shared by its generations
    api_key: str | SecretStr | None = None  # only its fingerprint keys the upload cache

    @property
    def sources(self) -> list[str]:
        return [*self.request.videos, *self.request.video_urls]


def _refused(problem: str, problems: tuple[str, ...] | None = None) -> Failed:
    return Failed(
        message=Message("job.refused_before_sending"),
        suggestion=problem,
        problems=problems if problems is not None else (problem,),
        reason=FailureReason.REFUSED,
    )


async def _checked(run: _Run) -> AsyncIterator[Event]:
    """The provider's rules, the references (probed, or the caller's probe re-priced), the
    callback: a Failed ends the run before anything is sent."""
    request, settings = run.request, run.settings
    refusals = tuple(provider_problems(request, run.profile))
    if refusals:  # the provider's own rules (checked in the form too, when it validated with it)
        yield _refused(refusals[0], refusals)
        return
    # the chosen model's prices and rules (flash without audio: its silent price)
    run.profile = profile = run.profile.with_model(request.model).with_audio(request.audio)
    probed = run.probed
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
            images=request.images,
            image_urls=request.image_urls,
            voices=request.voices,
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
    run.probed = probed
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
        yield _refused(callback_problem)
        return
    run.serve = not profile.local_files and run.links is not None
    if probed.to_prepare and not profile.local_files and not run.serve:
        yield _refused(Message("links.prepared_not_servable", provider=profile.label))


async def _prepared(run: _Run) -> AsyncIterator[Event]:
    """The references that need it fixed (converted, trimmed, ...) before upload."""
    probed = run.probed
    assert probed is not None
    if not probed.to_prepare:
        return
    request = run.request
    async with contextlib.aclosing(
        prepare_step(probed, run.sources, request.quality, request.duration, run.profile, run.settings)
    ) as steps:
        async for step in steps:
            if isinstance(step, Probed):
                run.probed = step
            else:
                yield step
                if isinstance(step, Failed):
                    return


def media_files(run: _Run) -> tuple[list[str | None], list[str | None]]:
    """What to upload besides the videos: per image (files, then links) its file (the fixed one
    `check_references` made, else the uploaded file itself; None: a link sent as it is), and
    per character its voice (converted where it had to be; None: no voice)."""
    probed, request = run.probed, run.request
    assert probed is not None
    made = probed.prepared_images
    images: list[str | None] = []
    for j, source in enumerate([*request.images, *request.image_urls]):
        fixed = made[j] if j < len(made) else None
        images.append(str(fixed.path) if fixed is not None else source if j < len(request.images) else None)
    if probed.prepared_voices:
        voices = [str(v.path) if v is not None else None for v in probed.prepared_voices]
    else:
        voices = list(request.voices)
    return images, voices


@dataclass
class _Sent:
    """What the create sends, in character order: video URLs, image URLs, voice URLs."""

    videos: list[str]
    images: list[str]
    voices: list[str | None]


async def _uploaded(run: _Run, client: WanClient, sent: _Sent) -> AsyncIterator[Event]:
    """Local files, prepared clips, images and voices uploaded (or served by the app); links
    that needed nothing are sent as they are. `sent` gets what the create sends."""
    probed, sources = run.probed, run.sources
    assert probed is not None
    image_files, voice_files = media_files(run)
    local = [i for i in range(len(sources)) if i < len(run.request.videos) or probed.clip(i)]
    jobs: list[tuple[str, int, str, str]] = []  # (kind, index, path, name)
    for i in local:
        clip = probed.clip(i)
        path = str(clip.path) if clip is not None else sources[i]
        jobs.append(("video", i, path, probed.probes[i].name or Path(path).name))
    jobs += [("image", i, path, Path(path).name) for i, path in enumerate(image_files) if path]
    jobs += [("voice", i, path, Path(path).name) for i, path in enumerate(voice_files) if path]
    done: dict[tuple[str, int], str] = {}
    count = len(jobs)
    for index, (kind, i, path, name) in enumerate(jobs, start=1):
        if run.serve:
            assert run.links is not None
            done[kind, i] = run.links.reference_url(Path(path))
            continue

        def uploading(got: int, all_: int, index: int = index, name: str = name) -> Uploading:
            return Uploading(index, count, name, got, all_)

        file_url = await run.uploads.find(run.profile, run.api_key, path) if run.uploads else None
        if file_url is not None:  # this content's upload under this key is still valid
            done[kind, i] = file_url
            continue
        shared = (str(Path(path).resolve()), run.profile.name, run.profile.model)
        mine = False  # this run uploads it for the batch (and says how it went)
        try:
            total = Path(path).stat().st_size
            if run.shared is not None:
                file_url = await run.shared.take(shared)
                if file_url is not None:
                    yield Uploading(index, count, name, total, total)  # a sibling of the batch sent it
                    done[kind, i] = file_url
                    continue
                mine = True
            yield Uploading(index, count, name, 0, total)
            async with contextlib.aclosing(
                with_progress(
                    lambda report, path=path: client.upload_file(path, on_progress=report), uploading
                )
            ) as items:
                async for item in items:
                    if isinstance(item, Uploading):
                        yield item
                    else:
                        file_url = item.value
        except (WanError, OSError) as exc:
            yield _upload_failed(exc, name)
            return
        finally:
            if mine and run.shared is not None:
                run.shared.done(shared, None if file_url is None else str(file_url))
        yield Uploading(index, count, name, total, total)
        done[kind, i] = str(file_url)
        if run.uploads is not None:
            await run.uploads.remember(run.profile, run.api_key, path, str(file_url))
    sent.videos.extend(done.get(("video", i), source) for i, source in enumerate(sources))
    links = [*run.request.images, *run.request.image_urls]  # a link not fixed goes as it is
    sent.images.extend(done.get(("image", i), links[i]) for i in range(len(image_files)))
    sent.voices.extend(done.get(("voice", i)) for i in range(len(voice_files)))


def _upload_failed(exc: WanError | OSError, name: str) -> Failed:
    detail = exc.message if isinstance(exc, WanError) else (exc.strerror or str(exc))
    hint = exc.suggestion if isinstance(exc, WanError) else ""
    shown = detail.rstrip(".") if not isinstance(detail, Message) else detail
    if name not in detail:
        shown = Message("job.upload_failed_detail", name=name, detail=shown)
    if isinstance(shown, Message) and shown.endswith("."):  # already a sentence
        told = Message("job.upload_failed_sentence", detail=shown)
    else:
        told = Message("job.upload_failed", detail=shown)
    return Failed(
        message=told,
        suggestion=Message("job.upload_hint", hint=hint) if hint else Message("job.upload_hint_alone"),
        code=getattr(exc, "code", None),
        reason=FailureReason.UPLOAD_FAILED,
    )


def _create_body(run: _Run, sent: _Sent) -> CreateTaskBody | Failed:
    """The create's body, validated against the provider's rules (a Failed names the problem)."""
    request = run.request
    extras = {
        "image_urls": sent.images,
        "voice_urls": sent.voices,
        **{name: getattr(request, name) for name in CONTROLS},
    }
    try:
        return CreateTaskBody.model_validate(
            {
                "prompt": request.prompt,
                "video_urls": sent.videos,
                "extras": extras,
                "aspect_ratio": request.aspect_ratio,
                "quality": request.quality,
                "duration": request.duration,
                "model_params": {"shot_type": request.shot_type},
                "callback_url": request.callback_url,
            },
            context={"profile": run.profile},
        )
    except ValidationError as exc:
        problems = tuple(plain_problems(exc))
        return _refused(problems[0] if problems else "", problems)


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
                follow_task(
                    client, task_id, submitted_at, settings, dest_dir, estimate, None, wake, callback_expected
                )
            ) as events,
        ):
            async for event in events:
                yield event
    except Exception as exc:
        yield _unexpected(exc, True, task_id)


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
