"""The files host and the download links: uploads in three shapes, files and results served.

    POST /api/v1/files/upload/stream     multipart field `file` (+ upload_path, file_name), streamed
    POST /api/v1/files/upload/base64     JSON {base64_data (data URL or raw), upload_path?, file_name?}
    POST /api/v1/files/upload/url        JSON {file_url, upload_path?, file_name?} (fetched by `fetch.py`)
    GET  /files/{file_id}/{name}         an uploaded file (Range requests supported)
    GET  /results/{task_id}.mp4          a completed task's video (Range requests supported)

Upload errors use the files host's envelope ``{"success": false, "code": ..., "msg": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from .auth import api_key
from .config import SimConfig
from .envelopes import error_response, files_error_response
from .fetch import LinkRefused, Why, fetch_link
from .multipart import MalformedForm, UploadTooLarge, receive_form
from .state import FileRecord, SimState, new_file_id, owner_id

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_MULTIPART_SLACK = 64 * 1024  # boundaries and small fields around the file part


def safe_name(name: str, default: str) -> str:
    name = Path(unquote(name or "")).name
    name = _SAFE_NAME.sub("_", name).strip("._")
    return name[:120] or default


def mime_for(name: str, given: str | None = None) -> str:
    if given and given not in ("application/octet-stream", ""):
        return given.split(";")[0].strip()
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class FilesAPI:
    """Handlers of the files host and the download routes of one simulator."""

    def __init__(self, state: SimState, config: SimConfig) -> None:
        self.state = state
        self.config = config

    def _too_large(self) -> Response:
        return files_error_response(413, f"File too large: at most {self.config.max_upload_bytes} bytes")

    def _denied(self, request: Request) -> Response | None:
        if api_key(request, self.config.api_keys) is None:
            return files_error_response(401, "Invalid or missing API key")
        return None

    def _new_upload_path(self) -> tuple[str, Path]:
        file_id = new_file_id()
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        return file_id, self.state.uploads_dir / file_id

    def _store(
        self,
        request: Request,
        file_id: str,
        path: Path,
        size: int,
        names: tuple[str, str],
        mime: str | None,
        upload_path: str,
    ) -> Response:
        name, original = names
        record = FileRecord(
            file_id=file_id,
            file_name=name,
            original_name=original,
            path=path,
            size=size,
            mime_type=mime_for(name, mime),
            upload_path=upload_path,
            uploaded=time.time(),
            owner=owner_id(api_key(request, self.config.api_keys) or ""),
        )
        with self.state.lock:
            self.state.files[file_id] = record
        self.state.save()
        body = {"success": True, "code": 200, "msg": "File uploaded successfully"}
        return JSONResponse({**body, "data": record.data(self.config.base_url)})

    # ---------------------------------------------------------------- uploads

    async def upload_stream(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        denied = self._denied(request)
        if denied is not None:
            return denied
        ctype, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            return files_error_response(400, "Send multipart/form-data with a 'file' field")
        declared = int(request.headers.get("content-length") or 0)
        if declared > self.config.max_upload_bytes + _MULTIPART_SLACK:
            return self._too_large()
        file_id, path = self._new_upload_path()
        try:
            form = await receive_form(request, boundary, path, self.config.max_upload_bytes)
        except UploadTooLarge:
            return self._too_large()
        except MalformedForm as exc:
            return files_error_response(400, f"Malformed multipart body: {exc}")
        if not form.got_file or form.size == 0:
            path.unlink(missing_ok=True)
            problem = "The 'file' field is required" if not form.got_file else "The uploaded file is empty"
            return files_error_response(400, problem)
        original = form.filename or "upload.bin"
        name = safe_name(form.fields.get("file_name") or original, f"{file_id}.bin")
        return self._store(
            request,
            file_id,
            path,
            form.size,
            (name, original),
            form.content_type,
            form.fields.get("upload_path", ""),
        )

    async def _json_upload(self, request: Request) -> dict[str, Any] | Response:
        """Count a JSON upload, check its key and read its body: the payload or an error response."""
        self.state.stats.uploads += 1
        denied = self._denied(request)
        if denied is not None:
            return denied
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return files_error_response(400, "The request body is not valid JSON")
        if not isinstance(payload, dict):
            return files_error_response(400, "The request body must be a JSON object")
        return payload

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
        if len(raw) > self.config.max_upload_bytes:
            return self._too_large()
        file_id, path = self._new_upload_path()
        await anyio.to_thread.run_sync(path.write_bytes, raw)
        ext = mimetypes.guess_extension(mime or "") or ".bin"
        name = safe_name(str(payload.get("file_name") or ""), f"{file_id}{ext}")
        return self._store(
            request, file_id, path, len(raw), (name, name), mime, str(payload.get("upload_path") or "")
        )

    async def upload_url(self, request: Request) -> Response:
        payload = await self._json_upload(request)
        if isinstance(payload, Response):
            return payload
        url = payload.get("file_url")
        if not isinstance(url, str):
            return files_error_response(400, "file_url must be an http(s) URL")
        file_id, path = self._new_upload_path()
        own = self.state.file_for_url(url)
        if own is not None and not own.expired and own.path.exists():
            # One of our own links: copied in place, never fetched over the network.
            await anyio.to_thread.run_sync(shutil.copyfile, own.path, path)
            size, mime = own.size, own.mime_type
        else:
            try:
                fetched = await fetch_link(
                    url,
                    path,
                    max_bytes=self.config.max_upload_bytes,
                    timeout=self.config.fetch_timeout,
                    allow_private=self.config.allow_private_urls,
                )
            except LinkRefused as exc:
                status = 413 if exc.why is Why.TOO_LARGE else 400
                return files_error_response(status, f"Could not fetch file_url: {exc.reason}")
            size, mime = fetched.size, fetched.content_type
        if size == 0:
            path.unlink(missing_ok=True)
            return files_error_response(400, "file_url returned an empty file")
        original = Path(unquote(urlsplit(url).path)).name or f"{file_id}.bin"
        name = safe_name(str(payload.get("file_name") or original), f"{file_id}.bin")
        return self._store(
            request, file_id, path, size, (name, original), mime, str(payload.get("upload_path") or "")
        )

    # ---------------------------------------------------------------- downloads

    async def get_file(self, request: Request) -> Response:
        self.state.stats.downloads += 1
        record = self.state.files.get(request.path_params["file_id"])
        if record is None or record.expired or not record.path.exists():
            return error_response(404, self.config.dialect, "File not found or expired")
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
            return error_response(404, self.config.dialect, "File not found or expired")
        return FileResponse(record.render_path, media_type="video/mp4")
