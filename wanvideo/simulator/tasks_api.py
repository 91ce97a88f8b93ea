"""The task API: create a task, query it, and render its result in the background.

    POST /v1/videos/generations   Bearer key; Idempotency-Key honoured (replay, or 400 if reused)
    GET  /v1/tasks/{task_id}      the task object; 404 for another key's task or an expired one

A create is checked in this order, and every refusal answers the provider's error envelope
before any task exists (so it costs nothing): key, Idempotency-Key, JSON, the request schema
(`validation.py`), then the references (`references.py`: fetched, mp4/mov, size, 2 to 30 s).
The charge is the simulator's own (`billing.py`). Rendering runs on a small thread pool, up to
`render_workers` results at once; a task completes once its time is up and its video is on disk.
A create's `callback_url` is called back once the task ends (`notify.py`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import evolink_wan27
from .auth import api_key, auth_error
from .billing import charge
from .config import SimConfig
from .envelopes import error_response
from .references import Reference, ReferenceRefused, resolve_references
from .render import OUTPUT_SIZES, render_video
from .state import SimState, SimTask, new_task_id, owner_id
from .validation import Refusal, check_create
from .voices import check_voices

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._-]{16,96}")


class _VoiceRefused(Exception):
    """A voice the provider would refuse (its words)."""


class TaskAPI:
    """Handlers of the task routes of one simulator."""

    def __init__(self, state: SimState, config: SimConfig, renderer: ThreadPoolExecutor) -> None:
        self.state = state
        self.config = config
        self.renderer = renderer
        self._create_lock: asyncio.Lock | None = None

    def _refuse(self, refusal: Refusal) -> Response:
        return error_response(
            refusal.status,
            self.config.dialect,
            refusal.message,
            param=refusal.param,
            code=refusal.code,
            fallback_suggestion=refusal.fallback_suggestion,
        )

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "tasks": len(self.state.tasks)})

    async def create_task(self, request: Request) -> Response:
        self.state.stats.creates += 1
        key = api_key(request, self.config.api_keys)
        if key is None:
            return auth_error(request, self.config.dialect)
        idem = request.headers.get("idempotency-key")
        if idem is not None and not IDEMPOTENCY_KEY.fullmatch(idem):
            return self._refuse(
                Refusal(
                    400,
                    "Idempotency-Key must be 16 to 96 characters of letters, digits, '.', '_' or '-'",
                    "Idempotency-Key",
                )
            )
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._refuse(Refusal(400, "The request body is not valid JSON"))
        loopback = self.config.allow_private_urls
        wan27 = evolink_wan27.is_wan27(payload)
        if wan27:
            refusal = evolink_wan27.check(payload, allow_loopback_callbacks=loopback)
        else:
            refusal = check_create(payload, self.config.rules, allow_loopback_callbacks=loopback)
        if refusal is not None:
            return self._refuse(refusal)

        fingerprint = json.dumps(payload, sort_keys=True)
        owner = owner_id(key)
        if self._create_lock is None:
            self._create_lock = asyncio.Lock()
        replay = self._replay(owner, idem, fingerprint)
        if replay is not None:
            return replay
        # References are fetched and probed outside the lock, so creates run side by side;
        # a second create with the same key meanwhile is settled under the lock below.
        task_id = new_task_id(time.time())
        work_dir = self.state.results_dir / task_id
        try:
            if wan27:
                references = await self._wan27_references(payload, work_dir)
            else:
                references = await resolve_references(
                    payload["video_urls"], work_dir, state=self.state, config=self.config
                )
        except ReferenceRefused as refused:
            shutil.rmtree(work_dir, ignore_errors=True)
            return self._refuse(Refusal(400, refused.message, "video_urls"))
        except _VoiceRefused as refused:
            shutil.rmtree(work_dir, ignore_errors=True)
            return self._refuse(Refusal(400, str(refused), "audio_urls"))
        async with self._create_lock:
            replay = self._replay(owner, idem, fingerprint)
            if replay is not None:
                shutil.rmtree(work_dir, ignore_errors=True)
                return replay
            record = self._new_task(task_id, owner, payload, references, idem)
            response = record.snapshot(self.config.base_url, create_response=True)
            with self.state.lock:
                self.state.tasks[record.id] = record
                if idem is not None:
                    self.state.idempotency[(owner, idem)] = (record.id, fingerprint, response)
                self.state.stats.tasks_created += 1
            self.state.save()
        if record.failure is None:
            self.renderer.submit(self._render, record)
        return JSONResponse(response)

    async def _wan27_references(self, payload: dict[str, Any], work_dir: Any) -> list[Reference]:
        """wan2.7's videos, then images, checked as that model takes them [MODELS.md 3], and its voices."""
        body = evolink_wan27.with_defaults(payload)
        references = await resolve_references(
            [*body["video_urls"], *body["image_urls"]],
            work_dir,
            state=self.state,
            config=self.config,
            limits=evolink_wan27.LIMITS,
        )
        kinds = ["video"] * len(body["video_urls"]) + ["image"] * len(body["image_urls"])
        for index, (reference, kind) in enumerate(zip(references, kinds, strict=True)):
            if reference.kind != kind:
                field = f"{kind}_urls"
                raise ReferenceRefused(index, f"{field} holds a {reference.kind}, not a {kind}")
        problem = await check_voices(
            body["audio_urls"], work_dir, state=self.state, config=self.config, field="audio_urls"
        )
        if problem:
            raise _VoiceRefused(problem)
        return references

    def _replay(self, owner: str, idem: str | None, fingerprint: str) -> Response | None:
        """The stored answer to a repeated Idempotency-Key, a refusal if reused, else None."""
        if idem is None:
            return None
        known = self.state.idempotency.get((owner, idem))
        if known is None:
            return None
        _task_id, known_fingerprint, response = known
        if known_fingerprint != fingerprint:
            return self._refuse(
                Refusal(
                    400,
                    "This Idempotency-Key was already used with a different request body",
                    "Idempotency-Key",
                    code="idempotency_key_reused",
                )
            )
        self.state.stats.replays += 1
        return JSONResponse(response, headers={"idempotency-replayed": "true"})

    def _new_task(
        self,
        task_id: str,
        owner: str,
        payload: dict[str, Any],
        references: list[Reference],
        idem: str | None,
    ) -> SimTask:
        rules = self.config.rules
        wan27 = evolink_wan27.is_wan27(payload)
        body = evolink_wan27.with_defaults(payload) if wan27 else rules.with_defaults(payload)
        durations = [r.duration for r in references if r.kind == "video"]
        if wan27:
            credits = evolink_wan27.charge(durations, body["quality"], int(body["duration"]))
        else:
            credits = charge(durations, body["quality"], int(body["duration"]), rules.input_caps)
        failure = None
        with self.state.lock:
            if self.state.pending_failures:
                failure = self.state.pending_failures.pop(0)
        record = SimTask(
            id=task_id,
            owner=owner,
            created=time.time(),
            task_seconds=self.state.task_seconds,
            prompt=body["prompt"],
            video_urls=list(body["video_urls"]),
            quality=body["quality"],
            aspect_ratio=body["aspect_ratio"],
            duration=int(body["duration"]),
            shot_type=body["model_params"]["shot_type"],
            callback_url=body.get("callback_url"),
            credits_reserved=float(credits),
            reference_durations=[r.duration for r in references],
            reference_paths=[str(r.path) for r in references],
            idempotency_key=idem,
            failure=failure,
            render_path=self.state.results_dir / f"{task_id}.mp4",
            extra={"model": body.get("model"), "request": payload},  # what the provider received
        )
        if failure is not None:
            record.render_done = True
        return record

    # ---------------------------------------------------------------- rendering

    def resume_renders(self) -> None:
        """Render the tasks loaded from disk whose video was never finished."""
        resume_renders(self.state, self.renderer)

    def _render(self, record: SimTask) -> None:
        render_task(self.state, record)

    # ---------------------------------------------------------------- query

    async def get_task(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = api_key(request, self.config.api_keys)
        if key is None:
            return auth_error(request, self.config.dialect)
        record = self.state.tasks.get(request.path_params["task_id"])
        if record is None or record.expired or record.owner != owner_id(key):
            return error_response(
                404, self.config.dialect, "Task not found or expired", code="task_not_found"
            )
        record.polls += 1
        return JSONResponse(record.snapshot(self.config.base_url))


# ---------------------------------------------------------------- rendering (every dialect)


def resume_renders(state: SimState, renderer: ThreadPoolExecutor) -> None:
    """Render the tasks loaded from disk whose video was never finished."""
    for record in list(state.tasks.values()):
        if not record.render_done and record.failure is None:
            renderer.submit(render_task, state, record)


def render_task(state: SimState, record: SimTask) -> None:
    """Render `record`'s result video; a broken render fails the task, never the worker."""
    assert record.render_path is not None
    if record.cancelled_at is not None:  # cancelled while it waited: nothing to show
        record.render_done = True
        return
    # A reference gone since (an expired upload) is drawn as a plain panel.
    sources: list[Path | None] = [Path(p) if Path(p).exists() else None for p in record.reference_paths]
    try:
        size = OUTPUT_SIZES[record.quality][record.aspect_ratio]
        record.render_seconds = render_video(
            record.render_path,
            sources,
            record.prompt,
            size,
            record.duration,
            **record.extra.get("render", {}),
        )
    except Exception as exc:  # a broken render is a failed task, never a dead worker
        log.exception("simulator: render of %s failed", record.id)
        record.render_error = f"Rendering failed: {exc}"
    finally:
        record.render_done = True
        # Fetched copies of links are only needed for the render.
        shutil.rmtree(state.results_dir / record.id, ignore_errors=True)
        state.save()
