"""EvoLink's contract (EvoLink, odkkk and the demo simulator): API_NOTES.md sections 1-5.

    POST {api}/v1/videos/generations       create (Idempotency-Key; a replay is marked)
    GET  {api}/v1/tasks/{id}                the task object
    POST {files}/api/v1/files/upload/stream multipart `file` -> data.file_url

EvoLink documents no cancel endpoint: `cancel` answers NOT_SUPPORTED without a request.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..errors import UploadError
from ..messages import Message
from ..schemas import CreateTaskBody, Task
from ..transport import MultipartFile, ProgressCallback
from .base import Adapter

log = logging.getLogger("wanvideo.client")

CREATE_PATH = "/v1/videos/generations"
TASK_PATH = "/v1/tasks/{task_id}"
UPLOAD_PATH = "/api/v1/files/upload/stream"


class EvoLinkAdapter(Adapter):
    name = "evolink"
    auth_scheme = "Bearer"
    # With the same Idempotency-Key, a 503 (not processed) can be retried too.
    create_retry_statuses = (429, 503)

    async def upload(self, path: Path, on_progress: ProgressCallback | None) -> str:
        transport = self.transport
        url = self.files_url(UPLOAD_PATH)
        what = Message("transport.uploading", name=path.name)

        async def attempt() -> str:
            body = MultipartFile(path, on_progress=on_progress)
            headers = {
                **transport.auth_headers(url),
                "Content-Type": body.content_type,
                "Content-Length": str(body.content_length),
            }
            request = transport.http.build_request("POST", url, headers=headers, content=body)
            data = await transport.send_json(request, what)
            if not isinstance(data, dict) or data.get("success") is False:
                msg = data.get("msg") if isinstance(data, dict) else None
                if msg:
                    raise UploadError(
                        Message("upload.files_host_said", what=what, reason=transport.scrub(str(msg)))
                    )
                raise UploadError(Message("upload.files_host_refused", what=what))
            file_url = (
                (data.get("data") or {}).get("file_url") if isinstance(data.get("data"), dict) else None
            )
            if not file_url:
                raise UploadError(Message("upload.no_file_url", what=what))
            return str(file_url)

        return await transport.with_retries(attempt, what=what, paid=False)

    async def create(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        transport = self.transport
        url = self.api_url(CREATE_PATH)
        headers = {**transport.auth_headers(url), "Idempotency-Key": idempotency_key}
        payload = self.wire_body(body)
        what = Message("transport.creating")

        async def attempt() -> Task:
            request = transport.http.build_request("POST", url, headers=headers, json=payload)
            response = await transport.send(request, what)
            if response.headers.get("idempotency-replayed", "").lower() == "true":
                log.info("create replayed by the provider for idempotency key %s", idempotency_key)
            return self.task_from_response(response, what)

        return await transport.with_retries(attempt, what=what, paid=True)

    def wire_body(self, body: CreateTaskBody) -> dict[str, Any]:
        """The common body; for Wan 2.7 [MODELS.md 3a] also `image_urls`, the prompt in its
        Image N / Video N naming, `negative_prompt`, the voice in `audio_urls` (one reference
        only: the per-character `voice_bindings` shape was not published), no `shot_type`."""
        payload = body.to_json()
        rules = self.profile.reference
        payload["prompt"] = self.sent_prompt(body)
        if not body.video_urls:
            payload.pop("video_urls", None)
        if body.image_urls:
            payload["image_urls"] = list(body.image_urls)
        if not rules.shot_type:
            payload.pop("model_params", None)
        payload.update(self.controls(body))
        voices = [v for v in body.voice_by_character if v]
        if voices and rules.voices != "none":
            payload["audio_urls"] = voices
        return payload

    async def get_task(self, task_id: str) -> Task:
        transport = self.transport
        url = self.api_url(TASK_PATH.format(task_id=task_id))
        what = Message("transport.reading", task_id=task_id)

        async def attempt() -> Task:
            request = transport.http.build_request("GET", url, headers=transport.auth_headers(url))
            return self.task_from_response(await transport.send(request, what), what)

        return await transport.with_retries(attempt, what=what, paid=False)
