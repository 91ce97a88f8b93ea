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
    POST /fal-run/wan/v2.6/reference-to-video[/flash]   fal.run: the result, once it ran (`fal_run`)
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

`FalAPI` holds the routes and the queue; each concern is its own module: `fal_submit`
(references made local, the task record and its billing), `fal_results` (what status, result
and webhook say), `fal_storage` (uploads), `fal_http` (error body, key check, JSON body).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import fal_results as results
from . import fal_rules as rules
from .fal_http import error, fal_key, json_object
from .fal_run import RUN_BASE, FalRun
from .fal_storage import FalStorage
from .fal_submit import new_record, resolve_inputs
from .faults import Fault
from .files_api import FilesAPI
from .queue_base import QueueDialect
from .references import Reference
from .state import ScheduledFailure, SimTask, owner_id

log = logging.getLogger(__name__)


class FalAPI(QueueDialect):
    """Handlers of the fal dialect."""

    name = "fal"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.files = FilesAPI(self.state, self.config)
        self.storage = FalStorage(self.state, self.config)

    def routes(self) -> list[Route]:
        routes = [Route(path, self.submit, methods=["POST"]) for path in rules.MODELS]
        return routes + [
            *FalRun(self.state, self.submit, self.result).routes(),
            Route(rules.REQUESTS_PREFIX + "{request_id}/status", self.status, methods=["GET"]),
            Route(rules.REQUESTS_PREFIX + "{request_id}", self.result, methods=["GET"]),
            Route(rules.REQUESTS_PREFIX + "{request_id}/cancel", self.cancel_request, methods=["PUT"]),
            Route(rules.STORAGE_INITIATE, self.storage.initiate, methods=["POST"]),
            Route(rules.UPLOAD_PUT_PREFIX + "{token}", self.storage.put_upload, methods=["PUT"]),
            Route(rules.STORAGE_TOKEN, self.storage.cdn_token, methods=["POST"]),
            Route(rules.CDN_UPLOAD, self.storage.cdn_upload, methods=["POST"]),
            Route("/files/{file_id}/{name}", self.files.get_file, methods=["GET", "HEAD"]),
            Route("/results/{task_id}.mp4", self.files.get_result, methods=["GET", "HEAD"]),
        ]

    # ---------------------------------------------------------------- the fault layer's view

    def route_of(self, method: str, path: str) -> str:
        if method == "POST" and path.removeprefix(RUN_BASE) in rules.MODELS:
            return "create"  # a queue submit, or a run on fal.run
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
        return error(status, fault.message, headers=headers)

    # ---------------------------------------------------------------- helpers

    def _key(self, request: Request) -> str | Response:
        return fal_key(request, self.config.api_keys)

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
        payload = await json_object(request)
        if isinstance(payload, Response):
            return payload
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
            refs = await resolve_inputs(self.state, self.config, checked, model, request_id, owner)
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
        record = new_record(
            self.state, self.name, request_id, owner, model, payload, checked, references, failure, request
        )
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

    # ---------------------------------------------------------------- status, result, cancel

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
        body["logs"] = results.logs(record) if with_logs else None
        if state == "COMPLETED":
            ran = max(0.0, min(time.time(), record.end_time) - min(record.start_time, time.time()))
            body["metrics"] = {"inference_time": round(ran, 3) if record.status == "completed" else None}
            words = results.error_words(record)
            if words is not None:
                body["error"], body["error_type"] = words
        # 202 while queued or running, 200 once complete [F4 inference-api]
        return JSONResponse(body, status_code=200 if state == "COMPLETED" else 202)

    async def result(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        record = self._mine(request, key)
        if record is None:
            return JSONResponse({"detail": rules.NOT_FOUND}, status_code=404)
        headers = {"x-fal-request-id": record.id}
        failed = results.failure(record)
        if failed is not None:
            status, body = failed
            if status == 422:
                headers["X-Fal-Retryable"] = "false"
            if "error_type" in body:
                headers["X-Fal-Error-Type"] = body["error_type"]
            return JSONResponse(body, status_code=status, headers=headers)
        if record.status != "completed":
            return error(400, rules.STILL_RUNNING, headers=headers)
        headers["x-fal-billable-units"] = f"{record.extra['billable_units']:g}"
        return JSONResponse(results.output(record, self.config.base_url), headers=headers)

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
        return results.webhook(record, self.config.base_url)
