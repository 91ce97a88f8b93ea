"""fal.ai's queue API for wan/v2.6/reference-to-video (and /flash) (PROVIDERS.md B).

    POST {queue}/wan/v2.6/reference-to-video[/flash][?fal_webhook=<url>]   submit
         -> {request_id, status_url, response_url, cancel_url, status: IN_QUEUE, queue_position}
    GET  status_url        IN_QUEUE (queue_position) | IN_PROGRESS | COMPLETED (+ error, error_type)
    GET  response_url      the output {video: {url, ...}, seed}; header x-fal-billable-units
    PUT  cancel_url        202 CANCELLATION_REQUESTED | 400 ALREADY_COMPLETED | 404 NOT_FOUND
    POST {rest}/storage/upload/initiate?storage_type=fal-cdn-v3  {upload_url, file_url}; PUT upload_url

Authorization is ``Key <key>`` [F3]. The status, result and cancel URLs the submit returns
are used as given when they are on fal's own hosts (the key goes nowhere else); after a
restart only the request id is known, so they are rebuilt from the app path without the
model's subpath (``/wan/v2.6/requests/{id}/...``, the documented gotcha [F4]).

Translation (the rules are data in the profile, checked before this runs):
- the prompt's character1..3 become @Video1..3 (`ProviderProfile.prompt_as_sent`);
- `duration` is the string "5" or "10"; `resolution` and `aspect_ratio` are always sent
  (fal defaults to 1080p); `multi_shots` follows the shot type (fal defaults to multi-shot);
  the variant's `explicit_defaults` (prompt expansion, safety checker; flash: audio) are sent;
- a visitor's callback URL goes in the `fal_webhook` query parameter [F5].
- IN_QUEUE -> "queued" with `queue_position`; IN_PROGRESS -> "in_progress"; COMPLETED ->
  "completed" (with `billed_seconds` from `x-fal-billable-units`), "failed" (with fal's
  `error_type` as the code) or "cancelled" (`client_cancelled`).

The paid create: fal documents no idempotency key, so a submit is retried only after a 429
(refused, nothing queued) or when it provably never left this machine. A submit whose answer
was lost is NOT retried: the job reports that the request may exist (`Failed(task_continues=
True)`) and the person checks fal's dashboard (Requests) before generating again.
"""

from __future__ import annotations

import logging
import mimetypes
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import APIStatusError, ServerError, UploadError
from ..messages import Message
from ..providers import ProviderProfile
from ..schemas import CreateTaskBody, Task
from ..transport import ProgressCallback, RawFile, Transport
from .base import Adapter, CancelOutcome, CancelResult

log = logging.getLogger("wanvideo.client")

INITIATE_PATH = "/storage/upload/initiate"
STORAGE_TYPE = "fal-cdn-v3"  # [F3 storage.ts]
# fal's queue statuses -> the words `Task` knows (task_status.PROVIDER_*).
_RUNNING = {"IN_QUEUE": "queued", "IN_PROGRESS": "in_progress"}
_CANCELLED_TYPES = ("client_cancelled",)
_CANCELLED = Message("cancel.fal_cancelled")
# The catalogue's control names -> fal's fields [B2]; flash's audio is `generate_audio` in the
# types (its About text says `enable_audio`: the types are followed, MODELS.md 6.8).
_FAL_CONTROLS = {
    "seed": "seed",
    "negative_prompt": "negative_prompt",
    "prompt_extend": "enable_prompt_expansion",
    "audio": "generate_audio",
}


def app_path(endpoint: str) -> str:
    """The owner/app part of an endpoint id: "wan/v2.6/reference-to-video/flash" -> "/wan/v2.6"."""
    return "/" + "/".join(endpoint.strip("/").split("/")[:2])


class FalAdapter(Adapter):
    name = "fal"
    auth_scheme = "Key"
    create_retry_statuses = (429,)

    def __init__(self, profile: ProviderProfile, transport: Transport) -> None:
        super().__init__(profile, transport)
        self._urls: dict[str, dict[str, str]] = {}  # request id -> the submit's URLs

    # ----------------------------------------------------------------- URLs

    def _url(self, request_id: str, kind: str) -> str:
        """`status_url`, `response_url` or `cancel_url` of a request."""
        given = self._urls.get(request_id, {}).get(kind)
        if given:
            return given
        base = f"{self.profile.api_base_url}{app_path(self.profile.variant.wire)}/requests/{request_id}"
        return {"status_url": f"{base}/status", "response_url": base, "cancel_url": f"{base}/cancel"}[kind]

    def _remember(self, request_id: str, answer: dict[str, Any]) -> None:
        urls = {}
        for kind in ("status_url", "response_url", "cancel_url"):
            url = answer.get(kind)
            if isinstance(url, str) and url:
                if self.transport.is_key_host(url):
                    urls[kind] = url
                else:  # never send the key to a host we did not configure
                    log.warning("fal named a %s on another host; the documented path is used instead", kind)
        self._urls[request_id] = urls

    # ----------------------------------------------------------------- storage upload [F3]

    async def upload(self, path: Path, on_progress: ProgressCallback | None) -> str:
        transport = self.transport
        what = Message("transport.uploading", name=path.name)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        url = self.files_url(INITIATE_PATH)

        async def attempt() -> str:
            request = transport.http.build_request(
                "POST",
                url,
                params={"storage_type": STORAGE_TYPE},
                headers=transport.auth_headers(url),
                json={"content_type": mime, "file_name": path.name},
            )
            urls = await transport.send_json(request, what)
            upload_url = urls.get("upload_url") if isinstance(urls, dict) else None
            file_url = urls.get("file_url") if isinstance(urls, dict) else None
            if not upload_url or not file_url:
                raise ServerError(Message("upload.fal_no_urls", what=what), status_code=200)
            body = RawFile(path, on_progress)
            # A presigned URL: no key (fal's own host or not).
            put = transport.http.build_request(
                "PUT",
                str(upload_url),
                headers={"Content-Type": mime, "Content-Length": str(body.content_length)},
                content=body,
            )
            response = await transport.send_raw(put, what)
            if response.status_code >= 400:
                error = transport.status_error(response)
                if error.retryable or response.status_code == 429 or response.status_code >= 500:
                    raise error
                raise UploadError(Message("upload.fal_refused", what=what, detail=error.message))
            return str(file_url)

        return await transport.with_retries(attempt, what=what, paid=False)

    # ----------------------------------------------------------------- submit, status, result

    def wire_body(self, body: CreateTaskBody) -> dict[str, Any]:
        """The submit body in fal's shape [F2]; flash's `image_urls` after the videos [B2]."""
        payload: dict[str, Any] = {
            "prompt": self.sent_prompt(body),
            "video_urls": list(body.video_urls),
            "aspect_ratio": body.aspect_ratio,
            "resolution": body.quality,
            "duration": str(body.duration),
            "multi_shots": body.model_params.shot_type == "multi",
            **self.profile.variant.explicit_defaults,
        }
        if body.image_urls:
            payload["image_urls"] = list(body.image_urls)
        controls = self.controls(body)
        for ours, theirs in _FAL_CONTROLS.items():
            if ours in controls:
                payload[theirs] = controls[ours]
        return payload

    async def create(self, body: CreateTaskBody, idempotency_key: str) -> Task:
        transport = self.transport
        what = Message("transport.creating")
        endpoint = next(
            (v.wire for v in self.profile.variants if v.wire == body.model), self.profile.variant.wire
        )
        url = self.api_url("/" + endpoint)
        params = {"fal_webhook": body.callback_url} if body.callback_url else None
        payload = self.wire_body(body)
        # No idempotency key exists: see the module docstring for a lost submit.
        log.debug("submit for idempotency key %s (not sent: fal has none)", idempotency_key)

        async def attempt() -> Task:
            request = transport.http.build_request(
                "POST", url, params=params, headers=transport.auth_headers(url), json=payload
            )
            answer = transport.read_json(await transport.send(request, what), what)
            if not isinstance(answer, dict) or not answer.get("request_id"):
                raise ServerError(Message("transport.fal_no_request_id", what=what), status_code=200)
            request_id = str(answer["request_id"])
            self._remember(request_id, answer)
            return self._running(request_id, answer, what)

        return await transport.with_retries(attempt, what=what, paid=True)

    def _running(self, request_id: str, answer: dict[str, Any], what: str) -> Task:
        state = str(answer.get("status") or "IN_QUEUE").upper()
        found: dict[str, Any] = {"id": request_id, "status": _RUNNING.get(state, "queued")}
        position = answer.get("queue_position")
        if state == "IN_QUEUE" and isinstance(position, int) and not isinstance(position, bool):
            found["queue_position"] = position
        return self.task_from(found, what)

    async def get_task(self, task_id: str) -> Task:
        transport = self.transport
        what = Message("transport.reading", task_id=task_id)
        url = self._url(task_id, "status_url")

        async def attempt() -> dict[str, Any]:
            request = transport.http.build_request("GET", url, headers=transport.auth_headers(url))
            answer = transport.read_json(await transport.send(request, what), what)
            if not isinstance(answer, dict):
                raise ServerError(Message("transport.fal_unexpected_status", what=what), status_code=200)
            return answer

        status = await transport.with_retries(attempt, what=what, paid=False)
        state = str(status.get("status") or "").upper()
        if state != "COMPLETED":
            return self._running(task_id, status, what)
        kind = status.get("error_type")
        if kind or status.get("error"):
            return self._ended(task_id, str(kind or "internal_error"), str(status.get("error") or ""), what)
        return await self._result(task_id, what)

    def _ended(self, task_id: str, kind: str, message: str, what: str) -> Task:
        if kind in _CANCELLED_TYPES:
            return self.task_from(
                {"id": task_id, "status": "cancelled", "error": {"code": kind, "message": _CANCELLED}}, what
            )
        return self.task_from(
            {"id": task_id, "status": "failed", "error": {"code": kind, "message": message or None}}, what
        )

    async def _result(self, task_id: str, what: str) -> Task:
        """The output of a COMPLETED request; a request that failed answers its model's error
        status here (422 ...), which is the task's failure, not a failed read [F4]."""
        transport = self.transport
        url = self._url(task_id, "response_url")

        async def attempt() -> Task:
            request = transport.http.build_request("GET", url, headers=transport.auth_headers(url))
            try:
                response = await transport.send(request, what)
            except APIStatusError as exc:
                if 400 <= exc.status_code < 500 and exc.status_code not in (401, 403, 404, 429):
                    return self._ended(task_id, str(exc.code or exc.status_code), exc.message, what)
                raise
            output = transport.read_json(response, what)
            video = output.get("video") if isinstance(output, dict) else None
            found: dict[str, Any] = {"id": task_id, "status": "completed"}
            if isinstance(video, dict) and video.get("url"):
                found["results"] = [video["url"]]
            seed = output.get("seed") if isinstance(output, dict) else None
            if isinstance(seed, int) and not isinstance(seed, bool):
                found["seed"] = seed  # the output's `seed` [B2 output]
            units = response.headers.get("x-fal-billable-units")
            if units:
                try:
                    found["billed_seconds"] = str(Decimal(units.strip()))
                except InvalidOperation:
                    log.warning("x-fal-billable-units is not a number: %r", units[:40])
            return self.task_from(found, what)

        return await transport.with_retries(attempt, what=what, paid=False)

    # ----------------------------------------------------------------- cancel [F4]

    async def cancel(self, task_id: str) -> CancelResult:
        """A queued request is removed (never run, never charged); a running one can only be
        signalled and may still finish and be charged [F4], so that is reported as too late."""
        transport = self.transport
        url = self._url(task_id, "cancel_url")
        what = Message("transport.cancelling", task_id=task_id)

        async def attempt() -> tuple[int, str]:
            request = transport.http.build_request("PUT", url, headers=transport.auth_headers(url))
            response = await transport.send_raw(request, what)
            word = ""
            try:
                answer = response.json()
                word = str(answer.get("status") or "") if isinstance(answer, dict) else ""
            except ValueError:
                pass
            if response.status_code >= 400 and word not in ("ALREADY_COMPLETED", "NOT_FOUND"):
                raise transport.status_error(response)
            return response.status_code, word

        _, word = await transport.with_retries(attempt, what=what, paid=False)
        if word == "NOT_FOUND":
            return CancelResult(CancelOutcome.NOT_FOUND, Message("cancel.fal_unknown"), task_id)
        if word == "ALREADY_COMPLETED":
            return CancelResult(
                CancelOutcome.TOO_LATE,
                Message("cancel.fal_started"),
                task_id,
            )
        task = await self.get_task(task_id)  # CANCELLATION_REQUESTED or OK: what happened?
        if task.status == "in_progress":
            return CancelResult(
                CancelOutcome.TOO_LATE,
                Message("cancel.fal_stopping"),
                task_id,
            )
        if task.status in ("cancelled", "queued"):
            return CancelResult(CancelOutcome.CANCELLED, _CANCELLED, task_id)
        return CancelResult(
            CancelOutcome.TOO_LATE,
            Message("cancel.already_ended", status=task.status),
            task_id,
        )
