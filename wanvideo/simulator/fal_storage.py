"""The fal dialect's storage [F3, F10]: uploads the client makes before a submit.

    POST /storage/upload/initiate?storage_type=...   {upload_url, file_url}; then PUT upload_url
    POST /storage/auth/token, POST /fal-cdn/files/upload   the Python client's upload [F10]

The files are then served by `files_api.FilesAPI` under /files/{id}/{name} (fal's CDN).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import fal_rules as rules
from .config import SimConfig
from .fal_http import error, fal_key, json_object
from .files_api import mime_for, safe_name
from .state import FileRecord, SimState, new_file_id, owner_id


@dataclass
class PendingUpload:
    """An initiated storage upload waiting for its PUT (in memory only)."""

    file_id: str
    name: str
    content_type: str
    owner: str
    expires: float


class FalStorage:
    """Initiated uploads waiting for their PUT, CDN tokens, and the files they stored."""

    def __init__(self, state: SimState, config: SimConfig) -> None:
        self.state = state
        self.config = config
        self.uploads: dict[str, PendingUpload] = {}  # upload token -> upload
        self.tokens: dict[str, tuple[str, float]] = {}  # CDN token -> (owner, expires)

    def storage_type(self, request: Request) -> Response | None:
        kind = request.query_params.get("storage_type", "fal-cdn-v3")
        if kind not in rules.STORAGE_TYPES:
            return JSONResponse(
                {"detail": [rules.detail("storage_type", f"Unknown storage type {kind!r}", "enum")]},
                status_code=422,
            )
        return None

    async def initiate(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        key = fal_key(request, self.config.api_keys)
        if isinstance(key, Response):
            return key
        refused = self.storage_type(request)
        if refused is not None:
            return refused
        payload = await json_object(request, b"{}")
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

    async def receive(self, request: Request, path: Path) -> int | Response:
        """Stream the request body to `path`; its size, or 413."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.config.max_upload_bytes:
            return error(413, f"File too large: at most {self.config.max_upload_bytes} bytes")
        size = 0
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.config.max_upload_bytes:
                    break
                await out.write(chunk)
        if size > self.config.max_upload_bytes:
            path.unlink(missing_ok=True)
            return error(413, f"File too large: at most {self.config.max_upload_bytes} bytes")
        return size

    def store(self, file_id: str, name: str, path: Path, size: int, mime: str, owner: str) -> FileRecord:
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
            return error(403, "The upload URL is not valid or has expired")
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        path = self.state.uploads_dir / upload.file_id
        size = await self.receive(request, path)
        if isinstance(size, Response):
            return size
        if size == 0:
            path.unlink(missing_ok=True)
            return error(400, "The uploaded file is empty")
        with self.state.lock:
            self.uploads.pop(token, None)
        mime = request.headers.get("content-type") or upload.content_type
        self.store(upload.file_id, upload.name, path, size, mime, upload.owner)
        return Response(status_code=200)

    async def cdn_token(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        key = fal_key(request, self.config.api_keys)
        if isinstance(key, Response):
            return key
        refused = self.storage_type(request)
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
            return error(401, "Invalid or expired storage token")
        file_id = new_file_id()
        name = safe_name(request.headers.get("x-fal-file-name", ""), f"{file_id}.bin")
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        path = self.state.uploads_dir / file_id
        size = await self.receive(request, path)
        if isinstance(size, Response):
            return size
        if size == 0:
            path.unlink(missing_ok=True)
            return error(400, "The uploaded file is empty")
        mime = request.headers.get("content-type") or "application/octet-stream"
        self.store(file_id, name, path, size, mime, known[0])
        return JSONResponse({"access_url": f"{self.config.base_url}/files/{file_id}/{name}"})
