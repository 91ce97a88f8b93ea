"""The simulator's HTTP surface: the task API, the files host and file downloads, as ASGI.

Routes (the task API is also mounted under ``/apiv1``, like odkkk's base URL)::

    POST /v1/videos/generations          create a task (Bearer key, Idempotency-Key honoured)
    GET  /v1/tasks/{task_id}             query a task
    POST /api/v1/files/upload/stream     multipart field `file`, streamed to disk
    POST /api/v1/files/upload/base64     JSON {base64_data, upload_path?, file_name?}
    POST /api/v1/files/upload/url        JSON {file_url, upload_path?, file_name?}
    GET  /files/{file_id}/{name}         an uploaded file (Range requests supported)
    GET  /results/{task_id}.mp4          a task's result video (Range requests supported)

`SimulatorApp` is the outermost ASGI callable: it counts requests, applies armed faults
(see `faults.py`) and hands the rest to a Starlette router.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import mimetypes
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
import httpx
from pydantic import ValidationError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from wanvideo.pricing import estimate
from wanvideo.providers import (
    MAX_REFERENCE_SECONDS,
    MIN_REFERENCE_SECONDS,
    MODEL_NAME,
    OUTPUT_SIZES,
    ProviderProfile,
)
from wanvideo.schemas import CreateTaskBody

from .envelopes import error_response, files_error_response
from .faults import ERROR_KINDS, Fault, Faults
from .render import fetch_to_file, probe_duration, render_video
from .state import FileRecord, ScheduledFailure, SimState, TaskRecord, new_file_id, new_task_id, owner_id

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # 100 MiB: a "100 MB" video always fits
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._-]{16,96}")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def route_of(method: str, path: str) -> str:
    """The fault/stat route name of a request: create, task, upload, download or other."""
    api_path = path.removeprefix("/apiv1")
    if method == "POST" and api_path == "/v1/videos/generations":
        return "create"
    if method == "GET" and api_path.startswith("/v1/tasks/"):
        return "task"
    if method == "POST" and path.startswith("/api/v1/files/upload/"):
        return "upload"
    if method in ("GET", "HEAD") and path.startswith(("/files/", "/results/")):
        return "download"
    return "other"


def _transport_of(send: Send) -> asyncio.Transport | None:
    """The connection's transport behind uvicorn's `send` (its RequestResponseCycle)."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


async def drop_connection(send: Send) -> None:
    """Close the TCP connection without a response (the client sees a protocol error)."""
    transport = _transport_of(send)
    if transport is None:
        raise RuntimeError("simulator: cannot reach the transport to drop the connection")
    transport.abort()
    # Let uvicorn see connection_lost, so it does not try to answer with a 500.
    for _ in range(3):
        await asyncio.sleep(0)


def _safe_name(name: str, default: str) -> str:
    name = Path(unquote(name or "")).name
    name = _SAFE_NAME.sub("_", name).strip("._")
    return name[:120] or default


def _mime_for(name: str, given: str | None = None) -> str:
    if given and given not in ("application/octet-stream", ""):
        return given.split(";")[0].strip()
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class UploadTooLarge(Exception):
    pass


class SimulatorApp:
    """The ASGI application of one simulator (routes + fault layer + stats)."""

    def __init__(
        self,
        state: SimState,
        faults: Faults,
        profile: ProviderProfile,
        dialect: str,
        api_keys: set[str] | None,
        *,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        renderer: ThreadPoolExecutor | None = None,
    ) -> None:
        self.state = state
        self.faults = faults
        self.profile = profile
        self.dialect = dialect
        self.api_keys = api_keys
        self.max_upload_bytes = max_upload_bytes
        self.base_url = "http://127.0.0.1"  # set by the server once the port is known
        self.renderer = renderer or ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-render")
        self._create_lock: asyncio.Lock | None = None
        routes = []
        for prefix in ("", "/apiv1"):
            routes += [
                Route(prefix + "/v1/videos/generations", self.create_task, methods=["POST"]),
                Route(prefix + "/v1/tasks/{task_id}", self.get_task, methods=["GET"]),
            ]
        routes += [
            Route("/api/v1/files/upload/stream", self.upload_stream, methods=["POST"]),
            Route("/api/v1/files/upload/base64", self.upload_base64, methods=["POST"]),
            Route("/api/v1/files/upload/url", self.upload_url, methods=["POST"]),
            Route("/files/{file_id}/{name}", self.get_file, methods=["GET", "HEAD"]),
            Route("/results/{task_id}.mp4", self.get_result, methods=["GET", "HEAD"]),
            Route("/health", self.health, methods=["GET"]),
        ]
        self.router = Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._http_exception, Exception: self._server_error},
        )

    # ---------------------------------------------------------------- ASGI + faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        route = route_of(method, path)
        stats = self.state.stats
        stats.routes[route] += 1
        status = [0]
        recorded = [False]

        def record(code: int) -> None:
            # Recorded before the client can see the end of the response (or the drop),
            # so a test reading `stats.requests` right after a call always finds it.
            if not recorded[0]:
                recorded[0] = True
                stats.requests.append((method, path, code))

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record(status[0])
            await send(message)

        fault = self.faults.take(route, method, path)
        try:
            if fault is None:
                await self.router(scope, receive, recording_send)
                return
            stats.faults[fault.kind] += 1
            if fault.kind == "drop":
                record(0)
                await drop_connection(send)
            elif fault.kind == "slow":
                await asyncio.sleep(fault.delay)
                await self.router(scope, receive, recording_send)
            elif fault.kind in ERROR_KINDS:
                await self._fault_response(route, fault)(scope, receive, recording_send)
            elif fault.kind == "drop_after":
                await self.router(scope, receive, _swallow)
                record(0)
                await drop_connection(send)
            elif fault.kind in ("truncate", "stall"):
                cutting = self._cutting_send(fault, send, recording_send, lambda: record(status[0]))
                await self.router(scope, receive, cutting)
        finally:
            record(status[0])

    def _fault_response(self, route: str, fault: Fault) -> Response:
        status = fault.response_status()
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(
                int(fault.retry_after) if float(fault.retry_after).is_integer() else fault.retry_after
            )
        if route == "upload":
            return files_error_response(status, fault.message or "Simulated files host error", headers)
        message = fault.message
        if fault.kind == "expired":
            message = message or (
                "Task not found or expired" if route == "task" else "File not found or expired"
            )
        suggestion = f"retry after {headers['Retry-After']} seconds" if "Retry-After" in headers else None
        return error_response(status, self.dialect, message, fallback_suggestion=suggestion, headers=headers)

    def _cutting_send(
        self, fault: Fault, raw_send: Send, send: Send, before_drop: Callable[[], None]
    ) -> Send:
        """A `send` that delivers half the body, then closes (truncate) or pauses (stall)."""
        state: dict[str, Any] = {"limit": None, "sent": 0, "done": False, "through": False}

        async def cutting_send(message: Message) -> None:
            if state["done"]:
                return
            if state["through"] or message["type"] != "http.response.body":
                if message["type"] == "http.response.start":
                    for name, value in message.get("headers", []):
                        if name.lower() == b"content-length":
                            state["limit"] = int(value) // 2
                await send(message)
                return
            body: bytes = message.get("body", b"")
            limit = state["limit"] if state["limit"] is not None else len(body) // 2
            room = max(0, limit - state["sent"])
            if room >= len(body) and message.get("more_body", False):
                state["sent"] += len(body)
                await send(message)
                return
            await send({"type": "http.response.body", "body": body[:room], "more_body": True})
            state["sent"] += room
            if fault.kind == "truncate":
                state["done"] = True
                before_drop()
                await drop_connection(raw_send)
                return
            await asyncio.sleep(fault.delay)
            state["through"] = True
            await send({**message, "body": body[room:]})

        return cutting_send

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return error_response(405, self.dialect, f"Method {request.method} is not allowed here")
        return error_response(
            exc.status_code, self.dialect, exc.detail if exc.status_code != 404 else "Not found"
        )

    async def _server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("simulator: unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, self.dialect, f"Simulator error: {exc}")

    # ---------------------------------------------------------------- auth

    def _api_key(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if self.api_keys is not None and token not in self.api_keys:
            return None
        return token

    def _auth_error(self, request: Request) -> Response:
        if not request.headers.get("authorization"):
            message = "Missing Authorization header; send 'Authorization: Bearer <key>'"
        else:
            message = "Invalid or expired token"
        return error_response(401, self.dialect, message)

    # ---------------------------------------------------------------- task API

    async def health(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "tasks": len(self.state.tasks)})

    async def create_task(self, request: Request) -> Response:
        self.state.stats.creates += 1
        key = self._api_key(request)
        if key is None:
            return self._auth_error(request)
        idem = request.headers.get("idempotency-key")
        if idem is not None and not IDEMPOTENCY_KEY.fullmatch(idem):
            return self._bad_request(
                "Idempotency-Key must be 16 to 96 characters of letters, digits, '.', '_' or '-'",
                "Idempotency-Key",
            )
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._bad_request("The request body is not valid JSON")
        if not isinstance(payload, dict):
            return self._bad_request("The request body must be a JSON object")
        problem = self._model_problem(payload)
        if problem is not None:
            return problem
        try:
            body = CreateTaskBody.model_validate(payload, context={"profile": self.profile})
        except ValidationError as exc:
            param, message = _first_problem(exc)
            return self._bad_request(message, param)

        fingerprint = json.dumps(payload, sort_keys=True)
        owner = owner_id(key)
        if self._create_lock is None:
            self._create_lock = asyncio.Lock()
        async with self._create_lock:
            if idem is not None:
                known = self.state.idempotency.get((owner, idem))
                if known is not None:
                    task_id, known_fingerprint, response = known
                    if known_fingerprint != fingerprint:
                        return self._bad_request(
                            "This Idempotency-Key was already used with a different request body",
                            "Idempotency-Key",
                            code="idempotency_key_reused",
                        )
                    self.state.stats.replays += 1
                    return JSONResponse(response, headers={"idempotency-replayed": "true"})
            record = await self._new_task(owner, body, idem)
            response = record.snapshot(self.base_url, create_response=True)
            with self.state.lock:
                self.state.tasks[record.id] = record
                if idem is not None:
                    self.state.idempotency[(owner, idem)] = (record.id, fingerprint, response)
                self.state.stats.tasks_created += 1
            self.state.save()
        return JSONResponse(response)

    def _model_problem(self, payload: dict[str, Any]) -> Response | None:
        model = payload.get("model")
        if model is None:
            return self._bad_request("model is required: use 'wan2.6-reference-video'", "model")
        if model == MODEL_NAME:
            return None
        if self.dialect == "integer":
            return error_response(
                404,
                self.dialect,
                "Specified model not found",
                param="model",
                fallback_suggestion=MODEL_NAME,
            )
        return self._bad_request(f"Unsupported model {model!r}; use '{MODEL_NAME}'", "model")

    def _bad_request(self, message: str, param: str | None = None, *, code: str | None = None) -> Response:
        return error_response(400, self.dialect, message, param=param, code=code)

    async def _new_task(self, owner: str, body: CreateTaskBody, idem: str | None) -> TaskRecord:
        now = time.time()
        task_id = new_task_id(now)
        work_dir = self.state.results_dir / task_id
        sources = await anyio.to_thread.run_sync(self._reference_sources, body.video_urls, work_dir)
        durations = [d for _, d in sources]
        bill = estimate(durations, body.quality, body.duration, self.profile.prices)
        credits = float(bill.credits.quantize(Decimal("0.01")))
        failure = None
        with self.state.lock:
            if self.state.pending_failures:
                failure = self.state.pending_failures.pop(0)
        bad = [
            i + 1
            for i, d in enumerate(durations)
            if d is not None and not MIN_REFERENCE_SECONDS <= d <= MAX_REFERENCE_SECONDS
        ]
        if failure is None and bad:
            failure = ScheduledFailure(
                code="invalid_parameters",
                message=f"Reference video {bad[0]} must be 2 to 30 seconds long",
                after=min(self.state.task_seconds, 1.0),
            )
        record = TaskRecord(
            id=task_id,
            owner=owner,
            created=now,
            task_seconds=self.state.task_seconds,
            prompt=body.prompt,
            video_urls=list(body.video_urls),
            quality=body.quality,
            aspect_ratio=body.aspect_ratio,
            duration=body.duration,
            shot_type=body.model_params.shot_type,
            callback_url=body.callback_url,
            credits_reserved=credits,
            reference_durations=durations,
            idempotency_key=idem,
            failure=failure,
            render_path=self.state.results_dir / f"{task_id}.mp4",
        )
        if failure is None:
            self.renderer.submit(self._render, record, [p for p, _ in sources])
        else:
            record.render_done = True
        return record

    def _reference_sources(self, urls: list[str], work_dir: Path) -> list[tuple[Path | None, float | None]]:
        """(local path, duration) of each reference: uploads read in place, other URLs fetched.
        Unreadable references give (None, None): billed at the cap, drawn as a plain panel."""
        sources: list[tuple[Path | None, float | None]] = []
        for url in urls:
            record = self.state.file_for_url(url)
            if record is not None:
                path = record.path if not record.expired else None
            else:
                work_dir.mkdir(parents=True, exist_ok=True)
                path = fetch_to_file(url, work_dir)
            sources.append((path, probe_duration(path) if path is not None else None))
        return sources

    def resume_renders(self) -> None:
        """Render the tasks loaded from disk whose video was never finished."""
        for record in list(self.state.tasks.values()):
            if not record.render_done and record.failure is None:
                self.renderer.submit(self._resume_render, record)

    def _resume_render(self, record: TaskRecord) -> None:
        work_dir = self.state.results_dir / record.id
        self._render(record, [p for p, _ in self._reference_sources(record.video_urls, work_dir)])

    def _render(self, record: TaskRecord, sources: list[Path | None]) -> None:
        assert record.render_path is not None
        try:
            size = OUTPUT_SIZES[record.quality][record.aspect_ratio]
            record.render_seconds = render_video(
                record.render_path, sources, record.prompt, size, record.duration
            )
        except Exception as exc:  # a broken render is a failed task, never a dead worker
            log.exception("simulator: render of %s failed", record.id)
            record.render_error = f"Rendering failed: {exc}"
        finally:
            record.render_done = True
            self.state.save()

    async def get_task(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = self._api_key(request)
        if key is None:
            return self._auth_error(request)
        record = self.state.tasks.get(request.path_params["task_id"])
        if record is None or record.expired or record.owner != owner_id(key):
            return error_response(404, self.dialect, "Task not found or expired", code="task_not_found")
        record.polls += 1
        return JSONResponse(record.snapshot(self.base_url))

    # ---------------------------------------------------------------- files host

    def _files_key(self, request: Request) -> Response | None:
        if self._api_key(request) is None:
            return files_error_response(401, "Invalid or missing API key")
        return None

    def _store(
        self,
        request: Request,
        file_id: str,
        path: Path,
        size: int,
        name: str,
        original: str,
        mime: str | None,
        upload_path: str,
    ) -> Response:
        record = FileRecord(
            file_id=file_id,
            file_name=name,
            original_name=original,
            path=path,
            size=size,
            mime_type=_mime_for(name, mime),
            upload_path=upload_path,
            uploaded=time.time(),
            owner=owner_id(self._api_key(request) or ""),
        )
        with self.state.lock:
            self.state.files[file_id] = record
        self.state.save()
        return JSONResponse(
            {
                "success": True,
                "code": 200,
                "msg": "File uploaded successfully",
                "data": record.data(self.base_url),
            }
        )

    def _new_upload_path(self) -> tuple[str, Path]:
        file_id = new_file_id()
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        return file_id, self.state.uploads_dir / file_id

    async def upload_stream(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        denied = self._files_key(request)
        if denied is not None:
            return denied
        ctype, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            return files_error_response(400, "Send multipart/form-data with a 'file' field")
        declared = int(request.headers.get("content-length") or 0)
        if declared > self.max_upload_bytes + 64 * 1024:
            return files_error_response(413, f"File too large: at most {self.max_upload_bytes} bytes")
        file_id, path = self._new_upload_path()
        form = _StreamingForm(path, self.max_upload_bytes)
        parser = MultipartParser(boundary, form.callbacks())
        try:
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
        except UploadTooLarge:
            form.close()
            path.unlink(missing_ok=True)
            return files_error_response(413, f"File too large: at most {self.max_upload_bytes} bytes")
        except Exception as exc:
            form.close()
            path.unlink(missing_ok=True)
            return files_error_response(400, f"Malformed multipart body: {exc}")
        finally:
            form.close()
        if not form.got_file:
            path.unlink(missing_ok=True)
            return files_error_response(400, "The 'file' field is required")
        if form.size == 0:
            path.unlink(missing_ok=True)
            return files_error_response(400, "The uploaded file is empty")
        original = form.filename or "upload.bin"
        name = _safe_name(form.fields.get("file_name") or original, f"{file_id}.bin")
        return self._store(
            request,
            file_id,
            path,
            form.size,
            name,
            original,
            form.content_type,
            form.fields.get("upload_path", ""),
        )

    async def _json_body(self, request: Request) -> dict[str, Any] | Response:
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return files_error_response(400, "The request body is not valid JSON")
        if not isinstance(payload, dict):
            return files_error_response(400, "The request body must be a JSON object")
        return payload

    async def _json_upload(self, request: Request) -> dict[str, Any] | Response:
        """Count a JSON upload, check its key and read its body: the payload or an error response."""
        self.state.stats.uploads += 1
        denied = self._files_key(request)
        if denied is not None:
            return denied
        return await self._json_body(request)

    async def upload_base64(self, request: Request) -> Response:
        payload = await self._json_upload(request)
        if isinstance(payload, Response):
            return payload
        data = payload.get("base64_data")
        if not isinstance(data, str) or not data.strip():
            return files_error_response(400, "base64_data is required")
        mime = None
        if data.startswith("data:"):
            header, _, data = data.partition(",")
            mime = header[5:].split(";")[0] or None
        try:
            raw = base64.b64decode(data.strip(), validate=True)
        except (binascii.Error, ValueError):
            return files_error_response(400, "base64_data is not valid base64")
        if not raw:
            return files_error_response(400, "base64_data is empty")
        if len(raw) > self.max_upload_bytes:
            return files_error_response(413, f"File too large: at most {self.max_upload_bytes} bytes")
        file_id, path = self._new_upload_path()
        await anyio.to_thread.run_sync(path.write_bytes, raw)
        ext = mimetypes.guess_extension(mime or "") or ".bin"
        name = _safe_name(str(payload.get("file_name") or ""), f"{file_id}{ext}")
        return self._store(
            request, file_id, path, len(raw), name, name, mime, str(payload.get("upload_path") or "")
        )

    async def upload_url(self, request: Request) -> Response:
        payload = await self._json_upload(request)
        if isinstance(payload, Response):
            return payload
        url = payload.get("file_url")
        if (
            not isinstance(url, str)
            or urlsplit(url).scheme not in ("http", "https")
            or not urlsplit(url).hostname
        ):
            return files_error_response(400, "file_url must be an http(s) URL")
        file_id, path = self._new_upload_path()
        size = 0
        try:
            async with (
                httpx.AsyncClient(timeout=30, follow_redirects=True) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    return files_error_response(400, f"Could not fetch file_url: HTTP {response.status_code}")
                mime = response.headers.get("content-type")
                with path.open("wb") as out:
                    async for chunk in response.aiter_bytes(1 << 16):
                        size += len(chunk)
                        if size > self.max_upload_bytes:
                            raise UploadTooLarge
                        out.write(chunk)
        except UploadTooLarge:
            path.unlink(missing_ok=True)
            return files_error_response(413, f"File too large: at most {self.max_upload_bytes} bytes")
        except httpx.HTTPError as exc:
            path.unlink(missing_ok=True)
            return files_error_response(400, f"Could not fetch file_url: {exc.__class__.__name__}")
        if size == 0:
            path.unlink(missing_ok=True)
            return files_error_response(400, "file_url returned an empty file")
        original = Path(unquote(urlsplit(url).path)).name or f"{file_id}.bin"
        name = _safe_name(str(payload.get("file_name") or original), f"{file_id}.bin")
        return self._store(
            request, file_id, path, size, name, original, mime, str(payload.get("upload_path") or "")
        )

    # ---------------------------------------------------------------- downloads

    async def get_file(self, request: Request) -> Response:
        self.state.stats.downloads += 1
        record = self.state.files.get(request.path_params["file_id"])
        if record is None or record.expired or not record.path.exists():
            return error_response(404, self.dialect, "File not found or expired")
        return FileResponse(record.path, media_type=record.mime_type)

    async def get_result(self, request: Request) -> Response:
        self.state.stats.downloads += 1
        record = self.state.tasks.get(request.path_params["task_id"])
        if (
            record is None
            or record.results_expired
            or record.status != "completed"
            or record.render_path is None
            or not record.render_path.exists()
        ):
            return error_response(404, self.dialect, "File not found or expired")
        return FileResponse(record.render_path, media_type="video/mp4")


async def _swallow(message: Message) -> None:
    """A `send` that discards the response (for the drop_after fault)."""


def _first_problem(exc: ValidationError) -> tuple[str, str]:
    """(param, message) of the first validation error, in the API's words."""
    err = exc.errors()[0]
    loc = [str(part) for part in err.get("loc", ()) if not isinstance(part, int)]
    param = ".".join(loc) or "body"
    kind = err.get("type")
    if kind == "missing":
        return param, f"{param} is required"
    if kind == "extra_forbidden":
        return param, f"Unknown parameter: {param}"
    if kind == "literal_error":
        return param, f"{param} must be one of {err.get('ctx', {}).get('expected', '')}"
    if kind in ("too_short", "too_long") and param == "video_urls":
        return param, "video_urls must contain 1 to 3 video URLs"
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    return param, f"Invalid {param}: {message}"


class _StreamingForm:
    """python-multipart callbacks writing the `file` part straight to disk."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.content_type: str | None = None
        self.size = 0
        self.got_file = False
        self._file: Any = None
        self._headers: dict[str, str] = {}
        self._field = b""
        self._value = b""
        self._name: str | None = None
        self._buffer = bytearray()

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._field, self._value, self._name = {}, b"", b"", None
        self._buffer = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.decode("latin-1").lower()] = self._value.decode("utf-8", "replace")
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if self._name == "file" and not self.got_file:
            self.got_file = True
            filename = params.get(b"filename")
            self.filename = filename.decode("utf-8", "replace") if filename else None
            self.content_type = self._headers.get("content-type")
            self._file = self.path.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None and self._name == "file":
            self.size += end - start
            if self.size > self.limit:
                raise UploadTooLarge
            self._file.write(data[start:end])
        elif len(self._buffer) < 4096:
            self._buffer += data[start:end]

    def _part_end(self) -> None:
        if self._name == "file" and self._file is not None:
            self._file.close()
            self._file = None
            self._name = "file-done"
        elif self._name:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
