"""The "fal" dialect: fal.ai's queue API for wan/v2.6/reference-to-video (PROVIDERS.md B).

    POST /wan/v2.6/reference-to-video[/flash][?fal_webhook=<url>]   submit (Authorization: Key ...)
    GET  /wan/v2.6/requests/{id}/status[?logs=1]    IN_QUEUE (queue_position) 202, IN_PROGRESS 202,
                                                    COMPLETED 200 (+ error, error_type if it failed)
    GET  /wan/v2.6/requests/{id}                    the result (+ x-fal-billable-units), or the
                                                    model's error with its own status (422 ...)
    PUT  /wan/v2.6/requests/{id}/cancel             202 CANCELLATION_REQUESTED while queued,
                                                    400 ALREADY_COMPLETED once it runs, 404 NOT_FOUND
    POST /storage/upload/initiate?storage_type=...  {upload_url, file_url}; then PUT upload_url
    POST /storage/auth/token, POST /fal-cdn/files/upload   the Python client's upload [F10]
    GET  /files/{id}/{name}, /results/{id}.mp4      the CDN (uploads, results)

The status, result and cancel URLs use the app path without the model's subpath [F4]; the
submit answers them (`status_url`, `response_url`, `cancel_url`) and a client should use those.

As on fal, a submit is never refused for its input: the queue takes any JSON object, and the
runner's refusal comes later, as a COMPLETED request whose result is a 422 ``{"detail": [{loc,
msg, type, url}]}`` [F6, B1] (TanStack/ai #396 saw the same live). Such a request is not charged.
The input rules are `fal_rules.check_input`; reference videos are fetched at submit and must
be mp4/mov, 2 to 30 s, at most 30 MB, at least 16 fps [B3]. Up to 2 requests of an account run
at once [F7]; the others wait IN_QUEUE with their `queue_position` (0 = next).

A request cancelled while queued is never run nor charged; its status is COMPLETED with
``error_type: client_cancelled`` and its result a 499. Open point: fal "signals" a running
request and lets the app decide; the simulator treats a running Wan request as not
cancellable and answers ALREADY_COMPLETED, so a client never believes it stopped one.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import fal_rules as rules
from .envelopes import fal_body
from .faults import Fault
from .files_api import FilesAPI, mime_for, safe_name
from .queue_base import QueueDialect
from .references import Reference, ReferenceRefused, resolve_references
from .render import FPS, OUTPUT_SIZES
from .state import FileRecord, ScheduledFailure, SimTask, new_file_id, owner_id

log = logging.getLogger(__name__)

_REFERENCE_TYPES = {  # why a reference was refused -> fal's error type (docs.fal.ai/errors)
    "fetch": "file_download_error",
    "lasts": "video_duration_too_long",
    "larger": "file_too_large",
    "fps": "video_fps_too_low",  # not in fal's catalogue: the simulator's own name
    "format": "unsupported_video_format",
    "image": "unsupported_image_format",
}


def _reference_type(refused: ReferenceRefused, limits_min: float) -> str:
    reason = refused.reason
    if not refused.fetched:
        return _REFERENCE_TYPES["fetch"]
    if "lasts" in reason:
        seconds = float(reason.split()[2])
        return "video_duration_too_short" if seconds < limits_min else "video_duration_too_long"
    if "larger than" in reason:
        return _REFERENCE_TYPES["larger"]
    if "fps" in reason:
        return _REFERENCE_TYPES["fps"]
    if "image" in reason or "px" in reason or "alpha" in reason:
        return _REFERENCE_TYPES["image"]
    return _REFERENCE_TYPES["format"]


@dataclass
class PendingUpload:
    """An initiated storage upload waiting for its PUT (in memory only)."""

    file_id: str
    name: str
    content_type: str
    owner: str
    expires: float


class FalAPI(QueueDialect):
    """Handlers of the fal dialect."""

    name = "fal"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files = FilesAPI(self.state, self.config)
        self.uploads: dict[str, PendingUpload] = {}  # upload token -> upload
        self.tokens: dict[str, tuple[str, float]] = {}  # CDN token -> (owner, expires)

    def routes(self) -> list[Route]:
        routes = [Route(path, self.submit, methods=["POST"]) for path in rules.MODELS]
        return routes + [
            Route(rules.REQUESTS_PREFIX + "{request_id}/status", self.status, methods=["GET"]),
            Route(rules.REQUESTS_PREFIX + "{request_id}", self.result, methods=["GET"]),
            Route(rules.REQUESTS_PREFIX + "{request_id}/cancel", self.cancel_request, methods=["PUT"]),
            Route(rules.STORAGE_INITIATE, self.initiate, methods=["POST"]),
            Route(rules.UPLOAD_PUT_PREFIX + "{token}", self.put_upload, methods=["PUT"]),
            Route(rules.STORAGE_TOKEN, self.cdn_token, methods=["POST"]),
            Route(rules.CDN_UPLOAD, self.cdn_upload, methods=["POST"]),
            Route("/files/{file_id}/{name}", self.files.get_file, methods=["GET", "HEAD"]),
            Route("/results/{task_id}.mp4", self.files.get_result, methods=["GET", "HEAD"]),
        ]

    # ---------------------------------------------------------------- the fault layer's view

    def route_of(self, method: str, path: str) -> str:
        if method == "POST" and path in rules.MODELS:
            return "create"
        if path.startswith(rules.REQUESTS_PREFIX):
            if method == "PUT" and path.endswith("/cancel"):
                return "cancel"
            if method == "GET":
                rest = path[len(rules.REQUESTS_PREFIX) :]
                return "task" if "/status" in rest else "result"
        if path.startswith(("/storage/", rules.CDN_BASE + "/")):
            return "upload"
        if method in ("GET", "HEAD") and path.startswith(("/files/", "/results/")):
            return "download"
        return "other"

    def fault_response(self, route: str, fault: Fault, path: str, headers: dict[str, str]) -> Response:
        status = fault.response_status()
        if fault.kind == "expired":
            message = (
                rules.NOT_FOUND if route in ("task", "result", "cancel") else "File not found or expired"
            )
            return JSONResponse({"detail": fault.message or message}, status_code=404, headers=headers)
        return self._error(status, fault.message, headers=headers)

    # ---------------------------------------------------------------- helpers

    def _error(
        self,
        status: int,
        message: str | None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        body = fal_body(status, message, error_type)
        if "error_type" in body:
            headers = {**(headers or {}), "X-Fal-Error-Type": body["error_type"]}
        return JSONResponse(body, status_code=status, headers=headers)

    def _key(self, request: Request) -> str | Response:
        """The request's fal key (``Authorization: Key <key>`` [F3]), or 401."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "key" or not token:
            return self._error(401, None)
        if self.config.api_keys is not None and token not in self.config.api_keys:
            return self._error(401, "Invalid key")
        return token

    def _mine(self, request: Request, key: str) -> SimTask | None:
        record = self.state.tasks.get(request.path_params["request_id"])
        if record is None or record.dialect != self.name or record.expired or record.owner != owner_id(key):
            return None
        return record

    def urls(self, record: SimTask) -> dict[str, str]:
        base = f"{self.config.base_url}{rules.REQUESTS_PREFIX}{record.id}"
        return {"response_url": base, "status_url": f"{base}/status", "cancel_url": f"{base}/cancel"}

    # ---------------------------------------------------------------- submit

    async def submit(self, request: Request) -> Response:
        self.state.stats.creates += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(400, "The request body is not valid JSON")
        if not isinstance(payload, dict):
            return self._error(400, "The request body must be a JSON object")
        model = rules.MODELS[request.url.path]
        owner = owner_id(key)
        request_id = str(uuid.uuid4())
        checked = rules.check_input(payload, model)
        references: list[Reference] = []
        failure = None
        problem: tuple[int, list[dict[str, Any]]] | None = None
        if isinstance(checked, list):
            problem = (422, checked)
        else:
            refs = await self._references(checked, model, request_id, owner)
            if isinstance(refs, tuple):
                problem = refs
            else:
                references = refs
        if problem is not None:
            # The runner refuses it as it starts: COMPLETED, a 422 result, nothing charged.
            first = problem[1][0]
            failure = ScheduledFailure(code=first["type"], message=first["msg"], at_start=True)
        else:
            failure = self.take_failure()
        record = self._record(request_id, owner, model, payload, checked, references, failure, request)
        if problem is not None:
            record.extra["error"] = {"status": problem[0], "detail": problem[1]}
        self.add_task(record)
        answer = {
            "status": "IN_QUEUE",
            "request_id": request_id,
            **self.urls(record),
            "queue_position": self.position(record) or 0,
        }
        return JSONResponse(answer, headers={"x-fal-request-id": request_id})

    async def _references(
        self, checked: rules.Input, model: rules.Model, request_id: str, owner: str
    ) -> list[Reference] | tuple[int, list[dict[str, Any]]]:
        """The references made local and checked, or the 422 the runner would answer."""
        work_dir = self.state.results_dir / request_id
        groups = [("video_urls", checked.video_urls, model.videos)]
        if checked.image_urls and model.images is not None:
            groups.append(("image_urls", checked.image_urls, model.images))
        found: list[Reference] = []
        for field, urls, limits in groups:
            try:
                refs = await resolve_references(
                    urls, work_dir, state=self.state, config=self.config, limits=limits
                )
            except ReferenceRefused as refused:
                shutil.rmtree(work_dir, ignore_errors=True)
                kind = _reference_type(refused, limits.min_seconds)
                msg = f"{field}[{refused.index}] cannot be used: {refused.reason}"
                return 422, [rules.detail(field, msg, kind, {"index": refused.index})]
            found += refs
        return found

    def _record(
        self,
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
            task_seconds=self.state.task_seconds,
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
            render_path=self.state.results_dir / f"{request_id}.mp4",
            dialect=self.name,
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

    # ---------------------------------------------------------------- status, result, cancel

    def _failure(self, record: SimTask) -> tuple[int, dict[str, Any]] | None:
        """The result's error status and body when the request ended without a video."""
        status = record.status
        if status == "cancelled":
            return 499, fal_body(499, rules.CANCELLED, "client_cancelled")
        if status != "failed":
            return None
        if "error" in record.extra:
            return record.extra["error"]["status"], {"detail": record.extra["error"]["detail"]}
        failure = record.failure_now()
        assert failure is not None
        http, kind, message, field = rules.FAILURES.get(
            failure.code, (500, failure.code, failure.message or "The request failed.", None)
        )
        message = failure.message or message
        if http == 422:
            return http, {"detail": [rules.detail(field, message, kind)]}
        return http, fal_body(http, message, kind)

    def _error_words(self, record: SimTask) -> tuple[str, str] | None:
        """(error, error_type) for the status body of a request that ended without a video."""
        failed = self._failure(record)
        if failed is None:
            return None
        detail = failed[1].get("detail")
        if isinstance(detail, list):
            return detail[0]["msg"], detail[0]["type"]
        return str(detail), str(failed[1].get("error_type", "internal_error"))

    def logs(self, record: SimTask) -> list[dict[str, Any]]:
        """Runner log entries {message, level, source, timestamp} [F4] so far."""
        if record.status == "pending":
            return []
        started = record.start_time

        def entry(message: str, level: str = "INFO", at: float = started) -> dict[str, Any]:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at * 1000) % 1000:03d}Z"
            return {"message": message, "level": level, "source": "user", "timestamp": stamp}

        entries = [entry(f"Generating {record.duration} s at {record.quality} ({record.aspect_ratio})")]
        entries += [entry(w, "WARNING") for w in record.extra.get("warnings", [])]
        if record.status == "completed":
            entries.append(entry("Done", at=record.end_time))
        return entries

    async def status(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        record = self._mine(request, key)
        if record is None:
            return JSONResponse({"detail": rules.NOT_FOUND}, status_code=404)
        record.polls += 1
        state = rules.STATUSES[record.status]
        body: dict[str, Any] = {"status": state, "request_id": record.id, **self.urls(record)}
        if state == "IN_QUEUE":
            body["queue_position"] = self.position(record) or 0
        with_logs = request.query_params.get("logs") in ("1", "true")
        body["logs"] = self.logs(record) if with_logs else None
        if state == "COMPLETED":
            ran = max(0.0, min(time.time(), record.end_time) - min(record.start_time, time.time()))
            body["metrics"] = {"inference_time": round(ran, 3) if record.status == "completed" else None}
            words = self._error_words(record)
            if words is not None:
                body["error"], body["error_type"] = words
        # 202 while queued or running, 200 once complete [F4 inference-api]
        return JSONResponse(body, status_code=200 if state == "COMPLETED" else 202)

    def output(self, record: SimTask) -> dict[str, Any]:
        """The model's output (`TextToVideoOutput` [F2, B5])."""
        assert record.render_path is not None
        width, height = OUTPUT_SIZES[record.quality][record.aspect_ratio]
        video = {
            "url": f"{self.config.base_url}/results/{record.id}.mp4",
            "content_type": "video/mp4",
            "file_name": f"{record.id}.mp4",
            "file_size": record.render_path.stat().st_size if record.render_path.exists() else None,
            "width": width,
            "height": height,
            "fps": FPS,
            "duration": float(record.duration),
            "num_frames": record.duration * FPS,
        }
        output: dict[str, Any] = {"video": video, "seed": record.extra["seed"]}
        if record.extra.get("prompt_expansion"):
            output["actual_prompt"] = record.prompt
        return output

    async def result(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        record = self._mine(request, key)
        if record is None:
            return JSONResponse({"detail": rules.NOT_FOUND}, status_code=404)
        headers = {"x-fal-request-id": record.id}
        failed = self._failure(record)
        if failed is not None:
            status, body = failed
            if status == 422:
                headers["X-Fal-Retryable"] = "false"
            if "error_type" in body:
                headers["X-Fal-Error-Type"] = body["error_type"]
            return JSONResponse(body, status_code=status, headers=headers)
        if record.status != "completed":
            return self._error(400, rules.STILL_RUNNING, headers=headers)
        headers["x-fal-billable-units"] = f"{record.extra['billable_units']:g}"
        return JSONResponse(self.output(record), headers=headers)

    async def cancel_request(self, request: Request) -> Response:
        self.state.stats.cancels += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        record = self._mine(request, key)
        if record is None:
            return JSONResponse({"status": "NOT_FOUND"}, status_code=404)
        if record.status != "pending":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, status_code=400)
        self.cancel(record)
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, status_code=202)

    # ---------------------------------------------------------------- the webhook [F5]

    def webhook(self, record: SimTask) -> tuple[bytes, dict[str, str]]:
        """The body and headers fal POSTs to `fal_webhook` once the request is COMPLETED."""
        failed = self._failure(record)
        body: dict[str, Any] = {"request_id": record.id, "gateway_request_id": record.id}
        if failed is None:
            body.update(status="OK", payload=self.output(record))
        else:
            words = self._error_words(record)
            body.update(status="ERROR", payload=failed[1], error=words[0] if words else "Request failed")
        headers = {
            "X-Fal-Webhook-Request-Id": record.id,
            "X-Fal-Webhook-User-Id": record.owner,
            "X-Fal-Webhook-Timestamp": str(int(time.time())),
        }
        return json.dumps(body).encode(), headers

    # ---------------------------------------------------------------- storage [F3, F10]

    async def _json(self, request: Request) -> dict[str, Any] | Response:
        try:
            payload = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(400, "The request body is not valid JSON")
        if not isinstance(payload, dict):
            return self._error(400, "The request body must be a JSON object")
        return payload

    def _storage_type(self, request: Request) -> Response | None:
        kind = request.query_params.get("storage_type", "fal-cdn-v3")
        if kind not in rules.STORAGE_TYPES:
            return JSONResponse(
                {"detail": [rules.detail("storage_type", f"Unknown storage type {kind!r}", "enum")]},
                status_code=422,
            )
        return None

    async def initiate(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        refused = self._storage_type(request)
        if refused is not None:
            return refused
        payload = await self._json(request)
        if isinstance(payload, Response):
            return payload
        content_type = payload.get("content_type")
        if not isinstance(content_type, str) or "/" not in content_type:
            return JSONResponse(
                {"detail": [rules.detail("content_type", "Field required", "missing")]}, status_code=422
            )
        file_id = new_file_id()
        name = safe_name(str(payload.get("file_name") or ""), f"{file_id}.bin")
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self.uploads[token] = PendingUpload(
                file_id, name, content_type, owner_id(key), time.time() + 3600
            )
        return JSONResponse(
            {
                "upload_url": f"{self.config.base_url}{rules.UPLOAD_PUT_PREFIX}{token}",
                "file_url": f"{self.config.base_url}/files/{file_id}/{name}",
            }
        )

    async def _receive(self, request: Request, path: Path) -> int | Response:
        """Stream the request body to `path`; its size, or 413."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.config.max_upload_bytes:
            return self._error(413, f"File too large: at most {self.config.max_upload_bytes} bytes")
        size = 0
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.config.max_upload_bytes:
                    break
                await out.write(chunk)
        if size > self.config.max_upload_bytes:
            path.unlink(missing_ok=True)
            return self._error(413, f"File too large: at most {self.config.max_upload_bytes} bytes")
        return size

    def _store(self, file_id: str, name: str, path: Path, size: int, mime: str, owner: str) -> FileRecord:
        record = FileRecord(
            file_id=file_id,
            file_name=name,
            original_name=name,
            path=path,
            size=size,
            mime_type=mime_for(name, mime),
            upload_path="",
            uploaded=time.time(),
            owner=owner,
        )
        with self.state.lock:
            self.state.files[file_id] = record
        self.state.save()
        return record

    async def put_upload(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        token = request.path_params["token"]
        with self.state.lock:
            upload = self.uploads.get(token)
        if upload is None or upload.expires < time.time():
            return self._error(403, "The upload URL is not valid or has expired")
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        path = self.state.uploads_dir / upload.file_id
        size = await self._receive(request, path)
        if isinstance(size, Response):
            return size
        if size == 0:
            path.unlink(missing_ok=True)
            return self._error(400, "The uploaded file is empty")
        with self.state.lock:
            self.uploads.pop(token, None)
        mime = request.headers.get("content-type") or upload.content_type
        self._store(upload.file_id, upload.name, path, size, mime, upload.owner)
        return Response(status_code=200)

    async def cdn_token(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        refused = self._storage_type(request)
        if refused is not None:
            return refused
        token = secrets.token_urlsafe(24)
        expires = time.time() + 3600
        with self.state.lock:
            self.tokens[token] = (owner_id(key), expires)
        return JSONResponse(
            {
                "token": token,
                "token_type": "Bearer",
                "base_url": f"{self.config.base_url}{rules.CDN_BASE}",
                "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
            }
        )

    async def cdn_upload(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self.state.lock:
            known = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if known is None or known[1] < time.time():
            return self._error(401, "Invalid or expired storage token")
        file_id = new_file_id()
        name = safe_name(request.headers.get("x-fal-file-name", ""), f"{file_id}.bin")
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        path = self.state.uploads_dir / file_id
        size = await self._receive(request, path)
        if isinstance(size, Response):
            return size
        if size == 0:
            path.unlink(missing_ok=True)
            return self._error(400, "The uploaded file is empty")
        mime = request.headers.get("content-type") or "application/octet-stream"
        self._store(file_id, name, path, size, mime, known[0])
        return JSONResponse({"access_url": f"{self.config.base_url}/files/{file_id}/{name}"})
