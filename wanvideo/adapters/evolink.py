"""EvoLink's contract (EvoLink, odkkk and the demo simulator): API_NOTES.md sections 1-5.

    POST {api}/v1/videos/generations       create (Idempotency-Key; a replay is marked)
    GET  {api}/v1/tasks/{id}                the task object
    POST {files}/api/v1/files/upload/stream multipart `file` -> data.file_url

EvoLink documents no cancel endpoint: `cancel` answers NOT_SUPPORTED without a request.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..client import CREATE_PATH, TASK_PATH, UPLOAD_PATH, ProgressCallback, _MultipartFile
from ..errors import UploadError
from ..messages import Message
from ..schemas import CreateTaskBody, Task
from .base import Adapter

log = logging.getLogger("wanvideo.client")


class EvoLinkAdapter(Adapter):
    name = "evolink"
    auth_scheme = "Bearer"
    # With the same Idempotency-Key, a 503 (not processed) can be retried too.
    create_retry_statuses = (429, 503)

    async def upload(self, path: Path, on_progress: ProgressCallback | None) -> str:
        client = self.client
        url = self.files_url(UPLOAD_PATH)
        what = Message("transport.uploading", name=path.name)

        async def attempt() -> str:
            body = _MultipartFile(path, on_progress=on_progress)
            headers = {
                **client.auth_headers(url),
                "Content-Type": body.content_type,
                "Content-Length": str(body.content_length),
            }
            request = client.http.build_request("POST", url, headers=headers, content=body)
            data = await client.send_json(request, what)
            if not isinstance(data, dict) or data.get("success") is False:
                msg = data.get("msg") if isinstance(data, dict) else None
                if msg:
                    raise UploadError(
                        Message("upload.files_host_said", what=what, reason=client.scrub(str(msg)))
                    )
                raise UploadError(Message("upload.files_host_refused", what=what))
            file_url = (
                (data.get("data") or {}).get("file_url") if isinstance(data.get("data"), dict) else None
            )
            if not file_url:
                raise UploadError(Message("upload.no_file_url", what=what))
            return str(file_url)

        return await client.with_retries(attempt, what=what, paid=False)

    async def create(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        client = self.client
        url = self.api_url(CREATE_PATH)
        headers = {**client.auth_headers(url), "Idempotency-Key": idempotency_key}
        payload = body.to_json()
        what = Message("transport.creating")

        async def attempt() -> Task:
            request = client.http.build_request("POST", url, headers=headers, json=payload)
            response = await client.send(request, what)
            if response.headers.get("idempotency-replayed", "").lower() == "true":
                log.info("create replayed by the provider for idempotency key %s", idempotency_key)
            return client.task_from_response(response, what)

        return await client.with_retries(attempt, what=what, paid=True)

    async def get_task(self, task_id: str) -> Task:
        client = self.client
        url = self.api_url(TASK_PATH.format(task_id=task_id))
        what = Message("transport.reading", task_id=task_id)

        async def attempt() -> Task:
            request = client.http.build_request("GET", url, headers=client.auth_headers(url))
            return client.task_from_response(await client.send(request, what), what)

        return await client.with_retries(attempt, what=what, paid=False)
