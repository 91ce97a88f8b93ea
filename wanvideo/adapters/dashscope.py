"""Alibaba Cloud DashScope's native API for wan2.6-r2v / wan2.6-r2v-flash (PROVIDERS.md A).

    POST {api}/api/v1/services/aigc/video-generation/video-synthesis   create, with
         X-DashScope-Async: enable (+ X-DashScope-OssResourceResolve: enable for oss:// URLs)
    GET  {api}/api/v1/tasks/{id}            PENDING RUNNING SUCCEEDED FAILED CANCELED UNKNOWN
    POST {api}/api/v1/tasks/{id}/cancel     only while PENDING (400 UnsupportedOperation after)
    GET  {api}/api/v1/uploads?action=getPolicy&model=<model>      temporary upload policy
    POST {policy.upload_host}               the OSS form: policy fields, then `file` last

Translation (the rules themselves are data in the profile, checked before this runs):
- `size` is "W*H" from quality and aspect ratio (`providers.OUTPUT_SIZES`); `duration` an
  integer; `shot_type` as asked; the variant's `explicit_defaults` (watermark off; flash:
  audio on) are always sent.
- Local files become ``oss://<key>`` URLs bound to the model named in getPolicy: the adapter
  remembers which model each one was uploaded for and refuses, without sending anything, a
  create for another model (DashScope would refuse it with InvalidParameter.DataInspection).
- A task's `usage.duration` (input + output seconds) is the billed figure
  (`Task.billed_seconds`). UNKNOWN means DashScope no longer knows the task (older than
  24 h, or another region's or account's): a final status, reported as gone.

The paid create: DashScope documents no idempotency key, so a create is retried only after a
429 (Throttling: refused, nothing created) or when it provably never left this machine. A
create whose answer was lost (read timeout, dropped connection, 5xx) is NOT retried: the job
reports that the task may exist (`Failed(task_continues=True)`) and the person checks the
task list in the Model Studio console before generating again. (DashScope's batch task list,
`GET /api/v1/tasks/?start_time=...`, could find it; it is not used yet.)
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any

from ..errors import APIStatusError, BadRequestError, ServerError, UploadError
from ..messages import Message
from ..providers import OUTPUT_SIZES, WAN27, ProviderProfile
from ..schemas import CreateTaskBody, Task
from ..transport import MultipartFile, ProgressCallback, Transport
from .base import Adapter, CancelOutcome, CancelResult

log = logging.getLogger("wanvideo.client")

CREATE_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
TASK_PATH = "/api/v1/tasks/{task_id}"
CANCEL_PATH = "/api/v1/tasks/{task_id}/cancel"
UPLOADS_PATH = "/api/v1/uploads"
OSS_SCHEME = "oss://"
POLICY_TRIES = 2  # an upload policy lives 5 minutes: one fresh policy after "Policy expired"

_UNKNOWN_MESSAGE = Message("cancel.dashscope_unknown")
_CANCELED_MESSAGE = Message("cancel.dashscope_cancelled")


def _size(quality: str, aspect_ratio: str) -> str:
    width, height = OUTPUT_SIZES[quality][aspect_ratio]
    return f"{width}*{height}"


def _object_name(name: str) -> str:
    """A safe last segment for the OSS key: letters, digits, dot, dash, underscore."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")[-100:]
    return cleaned or "reference.mp4"


def _oss_words(text: str) -> tuple[str, str]:
    """(Code, Message) of an OSS XML error document (read with a pattern, never parsed as XML)."""
    code = re.search(r"<Code>([^<]{0,200})</Code>", text)
    message = re.search(r"<Message>([^<]{0,500})</Message>", text)
    return (code.group(1) if code else "", message.group(1) if message else "")


def _number(value: Any) -> float | None:
    """D4 documents the policy's numbers as strings; its example shows numbers: read both."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class _PolicyExpired(Exception):
    pass


class DashScopeAdapter(Adapter):
    name = "dashscope"
    auth_scheme = "Bearer"
    create_retry_statuses = (429,)

    def __init__(self, profile: ProviderProfile, transport: Transport) -> None:
        super().__init__(profile, transport)
        self._bound: dict[str, str] = {}  # oss:// URL -> the model its upload policy named

    # ----------------------------------------------------------------- the temporary upload [D4]

    async def upload(self, path: Path, on_progress: ProgressCallback | None) -> str:
        transport = self.transport
        model = self.profile.variant.wire
        what = Message("transport.uploading", name=path.name)
        if not self.profile.local_files:
            raise UploadError(
                Message("upload.no_local_files", what=what, provider=self.profile.label),
                suggestion=Message("upload.no_local_files_hint"),
            )

        async def attempt() -> str:
            for _ in range(POLICY_TRIES):
                policy = await self._policy(model, what)
                try:
                    return await self._post_form(policy, path, on_progress, what)
                except _PolicyExpired:
                    log.info("%s: the upload policy expired; asking for a new one", what)
            raise UploadError(Message("upload.policy_expiring", what=what))

        url = await transport.with_retries(attempt, what=what, paid=False)
        self._bound[url] = model
        return url

    async def _policy(self, model: str, what: str) -> dict[str, Any]:
        transport = self.transport
        url = self.files_url(UPLOADS_PATH)
        request = transport.http.build_request(
            "GET",
            url,
            params={"action": "getPolicy", "model": model},
            headers={**transport.auth_headers(url), "Content-Type": "application/json"},
        )
        data = await transport.send_json(request, what)
        policy = data.get("data") if isinstance(data, dict) else None
        needed = ("policy", "signature", "upload_dir", "upload_host", "oss_access_key_id")
        if not isinstance(policy, dict) or any(not policy.get(name) for name in needed):
            raise ServerError(Message("upload.policy_unexpected", what=what), status_code=200)
        return policy

    async def _post_form(
        self, policy: dict[str, Any], path: Path, on_progress: ProgressCallback | None, what: str
    ) -> str:
        transport = self.transport
        size = path.stat().st_size
        limit_mb = _number(policy.get("max_file_size_mb"))
        if limit_mb is not None and size > limit_mb * 1_000_000:
            raise UploadError(
                Message("upload.too_large", what=what, size=f"{size / 1_000_000:.1f}", max=f"{limit_mb:g}"),
                suggestion=Message("upload.too_large_hint"),
            )
        # A fresh name inside the policy's folder: the policy forbids overwriting [D4].
        key = f"{str(policy['upload_dir']).rstrip('/')}/{uuid.uuid4().hex[:8]}-{_object_name(path.name)}"
        fields = [
            ("OSSAccessKeyId", str(policy["oss_access_key_id"])),
            ("Signature", str(policy["signature"])),
            ("policy", str(policy["policy"])),
            ("x-oss-object-acl", str(policy.get("x_oss_object_acl") or "private")),
            ("x-oss-forbid-overwrite", str(policy.get("x_oss_forbid_overwrite") or "true")),
            ("key", key),
            ("success_action_status", "200"),
        ]
        body = MultipartFile(path, on_progress=on_progress, fields=fields)  # `file` goes last [D4]
        headers = {"Content-Type": body.content_type, "Content-Length": str(body.content_length)}
        # The upload host is OSS, named by the policy: it never gets the key.
        request = transport.http.build_request(
            "POST", str(policy["upload_host"]), headers=headers, content=body
        )
        response = await transport.send_raw(request, what)
        if response.status_code < 300:
            return OSS_SCHEME + key
        code, message = _oss_words(response.text[:4000])
        if response.status_code == 403 and "expired" in message.lower():
            raise _PolicyExpired()
        if response.status_code == 429 or response.status_code >= 500:
            raise ServerError(
                Message(
                    "upload.host_status",
                    what=what,
                    status=response.status_code,
                    code=code or Message("upload.no_code"),
                ),
                status_code=response.status_code,
                code=code or None,
            )
        raise UploadError(
            Message(
                "upload.host_refused",
                what=what,
                code=code or response.status_code,
                reason=transport.scrub(message) or Message("upload.no_reason"),
            )
        )

    # ----------------------------------------------------------------- create, query, cancel

    def wire_body(self, body: CreateTaskBody) -> dict[str, Any]:
        """The create body in DashScope's shape: wan2.6 [D1; MODELS.md 1a] takes one flat
        `input.reference_urls` (videos, then images: character1..N); wan2.7 [MODELS.md 4b, 4c]
        takes `input.media[]` items with each voice bound to its character
        (`reference_voice`), `resolution` and `ratio`, no `size`, `shot_type` or `audio`."""
        variant = self.profile.variant
        controls = self.controls(body)
        given: dict[str, Any] = {"prompt": self.sent_prompt(body)}
        negative = controls.pop("negative_prompt", None)
        if negative:
            given["negative_prompt"] = negative
        if variant.id == WAN27:  # the media[] protocol
            kinds = ["reference_video"] * len(body.video_urls) + ["reference_image"] * len(body.image_urls)
            urls = [*body.video_urls, *body.image_urls]
            media = []
            for kind, url, voice in zip(kinds, urls, body.voice_by_character, strict=True):
                media.append({"type": kind, "url": url, **({"reference_voice": voice} if voice else {})})
            given["media"] = media
            parameters: dict[str, Any] = {
                "resolution": body.quality.upper(),
                "ratio": body.aspect_ratio,
                "duration": body.duration,
            }
        else:
            given["reference_urls"] = [*body.video_urls, *body.image_urls]
            parameters = {
                "size": _size(body.quality, body.aspect_ratio),
                "duration": body.duration,
                "shot_type": body.model_params.shot_type,
            }
        parameters.update({**variant.explicit_defaults, **controls})
        return {"model": body.model, "input": given, "parameters": parameters}

    @staticmethod
    def _all_urls(body: CreateTaskBody) -> list[str]:
        return [*body.video_urls, *body.image_urls, *(v for v in body.extras.voice_urls if v)]

    async def create(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        transport = self.transport
        what = Message("transport.creating")
        for url in self._all_urls(body):
            bound = self._bound.get(url)
            if bound is not None and bound != body.model:
                raise BadRequestError(
                    Message("transport.dashscope_wrong_model", what=what, bound=bound, model=body.model),
                    status_code=400,
                    code="InvalidParameter.DataInspection",
                    suggestion=Message("transport.dashscope_wrong_model_hint"),
                )
        url = self.api_url(CREATE_PATH)
        headers = {**transport.auth_headers(url), "X-DashScope-Async": "enable"}
        if any(u.startswith(OSS_SCHEME) for u in self._all_urls(body)):
            headers["X-DashScope-OssResourceResolve"] = "enable"  # [D4]
        payload = self.wire_body(body)
        # No idempotency key exists: see the module docstring for a lost create.
        log.debug("create for idempotency key %s (not sent: DashScope has none)", idempotency_key)

        async def attempt() -> Task:
            request = transport.http.build_request("POST", url, headers=headers, json=payload)
            response = await transport.send(request, what)
            return self._task(transport.read_json(response, what), None, what)

        return await transport.with_retries(attempt, what=what, paid=True)

    async def get_task(self, task_id: str) -> Task:
        transport = self.transport
        url = self.api_url(TASK_PATH.format(task_id=task_id))
        what = Message("transport.reading", task_id=task_id)

        async def attempt() -> Task:
            request = transport.http.build_request("GET", url, headers=transport.auth_headers(url))
            return self._task(transport.read_json(await transport.send(request, what), what), task_id, what)

        return await transport.with_retries(attempt, what=what, paid=False)

    def _task(self, data: Any, task_id: str | None, what: str) -> Task:
        """DashScope's answer as a `Task` [D1, A5]."""
        output = data.get("output") if isinstance(data, dict) else None
        if not isinstance(output, dict):
            raise ServerError(Message("transport.dashscope_no_output", what=what), status_code=200)
        status = str(output.get("task_status") or "PENDING").upper()
        found: dict[str, Any] = {"id": output.get("task_id") or task_id, "status": status}
        seed = output.get("seed")  # tolerated where reported (A26/A27 document none in `output`)
        if isinstance(seed, int) and not isinstance(seed, bool):
            found["seed"] = seed
        if status == "SUCCEEDED":
            if output.get("video_url"):
                found["results"] = [output["video_url"]]
            usage = data.get("usage")
            if isinstance(usage, dict):
                found["usage"] = usage
                if usage.get("duration") is not None:
                    found["billed_seconds"] = str(usage["duration"])  # input + output: the billed figure
        elif status == "FAILED":
            found["error"] = {"code": output.get("code"), "message": output.get("message")}
        elif status == "UNKNOWN":
            found["error"] = {"code": "UNKNOWN", "message": _UNKNOWN_MESSAGE}
        elif status == "CANCELED":
            found["error"] = {"code": "CANCELED", "message": _CANCELED_MESSAGE}
        return self.task_from(found, what)

    async def cancel(self, task_id: str) -> CancelResult:
        """Only a PENDING task can be cancelled [D5]. A refusal is checked against the task
        itself: a cancel whose answer was lost and was asked again reads CANCELED there."""
        transport = self.transport
        url = self.api_url(CANCEL_PATH.format(task_id=task_id))
        what = Message("transport.cancelling", task_id=task_id)

        async def attempt() -> CancelResult | None:
            request = transport.http.build_request("POST", url, headers=transport.auth_headers(url))
            try:
                await transport.send(request, what)
            except APIStatusError as exc:
                if exc.status_code == 400 and exc.code == "UnsupportedOperation":
                    return None
                raise
            return CancelResult(CancelOutcome.CANCELLED, _CANCELED_MESSAGE, task_id)

        result = await transport.with_retries(attempt, what=what, paid=False)
        if result is not None:
            return result
        task = await self.get_task(task_id)
        if task.status == "canceled":
            return CancelResult(CancelOutcome.CANCELLED, _CANCELED_MESSAGE, task_id)
        if task.status == "unknown":
            return CancelResult(CancelOutcome.NOT_FOUND, _UNKNOWN_MESSAGE, task_id)
        if task.is_final:
            return CancelResult(
                CancelOutcome.TOO_LATE,
                Message("cancel.task_already_ended", status=task.status),
                task_id,
            )
        return CancelResult(
            CancelOutcome.TOO_LATE,
            Message("cancel.dashscope_running"),
            task_id,
        )
