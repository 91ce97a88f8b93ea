"""The "dashscope" dialect: Alibaba Cloud DashScope's native API for wan2.6-r2v (PROVIDERS.md A).

    POST /api/v1/services/aigc/video-generation/video-synthesis   create (X-DashScope-Async: enable)
    GET  /api/v1/tasks/{task_id}                                  PENDING RUNNING SUCCEEDED FAILED
                                                                  CANCELED, UNKNOWN (unknown/expired)
    POST /api/v1/tasks/{task_id}/cancel                           only while PENDING
    GET  /api/v1/tasks?start_time=...&status=...&page_no=...      the batch list [D5] (`dashscope_list`)
    GET  /api/v1/uploads?action=getPolicy&model=...               temporary upload policy
    POST /dashscope-file                                          the policy's upload host (OSS form)
    GET  /results/{task_id}.mp4?Expires=...                       the result (valid 24 h)

Every answer carries a `request_id`; errors are ``{"request_id", "code", "message"}`` [D1, A7].
A create is refused before any task exists (so it costs nothing) when: the key is missing
(401 InvalidApiKey), the async header is missing (403 AccessDenied), the body breaks a rule of
`dashscope_rules` (400 InvalidParameter, 404 ModelNotFound), an ``oss://`` URL comes without
``X-DashScope-OssResourceResolve: enable`` or is not usable (another account's, another
model's, expired: 400 InvalidParameter.DataInspection), a link cannot be fetched (400
InvalidURL) or a reference breaks the media rules (400 InvalidParameter). A task then waits in
the account's queue (5 running per model [D3]) and its result carries `usage` [D1]. A failure
a test schedules (`Simulator.fail_next_task`) ends the task FAILED with ``output.code``.

The temporary upload (getPolicy, the OSS-style upload host, ``oss://`` keys) is
`dashscope_uploads`; the error shapes, the key check and the time format are `dashscope_http`;
a create's refusal codes, its task record and billing are `dashscope_create`. The fields the official
SDK adds to a create (``input.extend_prompt``, ``input.function``) are `dashscope_sdk`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from . import dashscope_rules as rules
from . import dashscope_wan27
from .dashscope_create import new_record, references_problem, refusal_code
from .dashscope_http import bearer_key, dashscope_time, error, oss_error
from .dashscope_list import LIST_PATHS, DashScopeTaskList
from .dashscope_sdk import without_sdk_fields
from .dashscope_uploads import DashScopeUploads
from .envelopes import new_request_id
from .faults import Fault
from .queue_base import QueueDialect
from .references import ReferenceRefused, resolve_references
from .state import SimTask, owner_id
from .voices import check_voices

log = logging.getLogger(__name__)


class DashScopeAPI(QueueDialect):
    """Handlers of the dashscope dialect."""

    name = "dashscope"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = rules.REGIONS[self.config.region or rules.DEFAULT_REGION]
        self.uploads = DashScopeUploads(self.state, self.config, self.region)
        self.listing = DashScopeTaskList(self.state, self.config, self.region)

    def group_key(self, record: SimTask) -> tuple[str, str]:
        return (record.owner, str(record.extra.get("model")))  # 5 in progress per model [D3]

    def routes(self) -> list[Route]:
        return [
            Route(rules.CREATE_PATH, self.create, methods=["POST"]),
            *(Route(path, self.listing.list_tasks, methods=["GET"]) for path in LIST_PATHS),
            Route(rules.TASK_PREFIX + "{task_id}", self.get_task, methods=["GET"]),
            Route(rules.TASK_PREFIX + "{task_id}/cancel", self.cancel_task, methods=["POST"]),
            Route(rules.UPLOADS_PATH, self.uploads.get_policy, methods=["GET"]),
            Route(rules.OSS_PATH, self.uploads.oss_upload, methods=["POST"]),
            Route("/results/{task_id}.mp4", self.get_result, methods=["GET", "HEAD"]),
        ]

    # ---------------------------------------------------------------- the fault layer's view

    def route_of(self, method: str, path: str) -> str:
        if method == "POST" and path == rules.CREATE_PATH:
            return "create"
        if path.startswith(rules.TASK_PREFIX):
            if method == "POST" and path.endswith("/cancel"):
                return "cancel"
            if method == "GET":
                return "task"
        if (method == "GET" and path == rules.UPLOADS_PATH) or (method == "POST" and path == rules.OSS_PATH):
            return "upload"
        if method in ("GET", "HEAD") and path.startswith("/results/"):
            return "download"
        return "other"

    def fault_response(self, route: str, fault: Fault, path: str, headers: dict[str, str]) -> Response:
        status = fault.response_status()
        if fault.kind == "expired" and route == "task":
            task_id = path.removeprefix(rules.TASK_PREFIX).split("/")[0]
            return self._unknown(task_id)
        if fault.kind == "expired" and route == "download":
            return oss_error(403, "AccessDenied", fault.message or "Request has expired.", headers)
        if route == "upload" and path == rules.OSS_PATH:
            return oss_error(status, None, fault.message or "Simulated upload host error", headers)
        return error(status, None, fault.message, headers)

    # ---------------------------------------------------------------- helpers

    def expire_policies(self) -> None:
        """Every upload policy handed out so far is past its expiration."""
        self.uploads.expire_policies()

    def _key(self, request: Request) -> str | Response:
        return bearer_key(request, self.config.api_keys)

    def _visible(self, task_id: str, key: str) -> SimTask | None:
        """The caller's task, None when DashScope would say UNKNOWN (no such task, another
        account's, or older than 24 h) [D1]."""
        record = self.state.tasks.get(task_id)
        if (
            record is None
            or record.dialect != self.name
            or record.expired
            or record.owner != owner_id(key)
            or time.time() - record.created > rules.TASK_LIFETIME_S
        ):
            return None
        return record

    def _unknown(self, task_id: str) -> JSONResponse:
        return JSONResponse(
            {"request_id": new_request_id(), "output": {"task_id": task_id, "task_status": "UNKNOWN"}}
        )

    # ---------------------------------------------------------------- create

    async def create(self, request: Request) -> Response:
        self.state.stats.creates += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        if request.headers.get("x-dashscope-async", "").strip().lower() != "enable":
            return error(403, "AccessDenied", rules.ASYNC_REQUIRED)
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error(400, "InvalidParameter", "The request body is not valid JSON")
        accepted = without_sdk_fields(payload)
        if isinstance(accepted, rules.Refused):
            body = accepted
        elif dashscope_wan27.is_wan27(accepted):  # the media[] protocol [MODELS.md 4]
            body = dashscope_wan27.check_body(accepted, self.region)
        else:
            body = rules.check_body(accepted, self.region)
        if isinstance(body, rules.Refused):
            return error(body.status, body.code, body.message)
        resolve = request.headers.get("x-dashscope-ossresourceresolve", "").strip().lower() == "enable"
        if body.uses_oss and not resolve:
            return error(
                400,
                "InvalidParameter.DataInspection",
                "The oss:// URL could not be resolved: send the header X-DashScope-OssResourceResolve: enable",
            )
        owner = owner_id(key)
        task_id = str(uuid.uuid4())
        work_dir = self.state.results_dir / task_id
        limits = rules.LEGACY_REFERENCE_LIMITS if body.legacy_field else rules.REFERENCE_LIMITS
        try:
            references = await resolve_references(
                body.urls,
                work_dir,
                state=self.state,
                config=self.config,
                limits=limits,
                local=lambda url: self.uploads.oss_file(url, owner, body.model),
            )
        except ReferenceRefused as refused:
            shutil.rmtree(work_dir, ignore_errors=True)
            code = refusal_code(refused, body.urls[refused.index])
            return error(400, code, f"Reference {refused.index + 1} cannot be used: {refused.reason}")
        problem = await self._media_problem(body, references, owner, work_dir)
        if problem is not None:
            shutil.rmtree(work_dir, ignore_errors=True)
            return error(400, "InvalidParameter", problem)

        record = new_record(
            self.state,
            self.name,
            self.region,
            task_id,
            owner,
            body,
            payload,
            references,
            resolve,
            self.take_failure(),
        )
        record.extra["request_id"] = request_id = new_request_id()  # the batch list shows it [D5]
        self.add_task(record)
        return JSONResponse(
            {"output": {"task_status": "PENDING", "task_id": task_id}, "request_id": request_id}
        )

    async def _media_problem(
        self, body: rules.CreateBody, references: list[Any], owner: str, work_dir: Any
    ) -> str | None:
        """What the references break together: wan2.6's rules, or wan2.7's media types and voices."""
        if not isinstance(body, dashscope_wan27.MediaBody):
            problem = references_problem(references, self.region)
            return f"input.reference_urls: {problem}" if problem else None
        problem = dashscope_wan27.media_problem(references, body)
        if problem:
            return problem
        voices = [v for v in body.voices if v]
        return await check_voices(
            voices,
            work_dir,
            state=self.state,
            config=self.config,
            local=lambda url: self.uploads.oss_file(url, owner, body.model),
            field="input.media[].reference_voice",
        )

    # ---------------------------------------------------------------- query and cancel

    async def get_task(self, request: Request) -> Response:
        self.state.stats.task_gets += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        task_id = request.path_params["task_id"]
        record = self._visible(task_id, key)
        if record is None:
            return self._unknown(task_id)
        record.polls += 1
        return JSONResponse(self.snapshot(record))

    def snapshot(self, record: SimTask) -> dict[str, Any]:
        """The task as GET /api/v1/tasks/{id} returns it [D1]."""
        status = record.status
        output: dict[str, Any] = {
            "task_id": record.id,
            "task_status": rules.STATUSES[status],
            "submit_time": dashscope_time(record.created),
        }
        started = record.start_time <= time.time()
        if started and status != "cancelled":
            output["scheduled_time"] = dashscope_time(record.start_time)
        body: dict[str, Any] = {"request_id": new_request_id(), "output": output}
        if status == "completed":
            extra = record.extra
            expires = int(record.created + rules.TASK_LIFETIME_S)
            signature = hashlib.sha1(f"{record.id}{expires}".encode()).hexdigest()[:24]
            output["end_time"] = dashscope_time(record.end_time)
            output["orig_prompt"] = extra["orig_prompt"]
            output["video_url"] = (
                f"{self.config.base_url}/results/{record.id}.mp4"
                f"?Expires={expires}&OSSAccessKeyId={self.uploads.access_key_id}&Signature={signature}"
            )
            body["usage"] = {
                "duration": extra["billed_seconds"],
                "size": extra["size"],
                "input_video_duration": extra["input_video_duration"],
                "output_video_duration": extra["output_video_duration"],
                "video_count": 1,
                "SR": extra["tier"],
            }
        elif status == "failed":
            failure = record.failure_now()
            assert failure is not None
            code, message = rules.failure_words(failure.code, failure.message)
            output["end_time"] = dashscope_time(min(record.failure_due(), time.time()))
            output["code"], output["message"] = code, message
        elif status == "cancelled" and record.cancelled_at is not None:
            output["end_time"] = dashscope_time(record.cancelled_at)
        return body

    async def cancel_task(self, request: Request) -> Response:
        self.state.stats.cancels += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        record = self._visible(request.path_params["task_id"], key)
        # Only a PENDING task can be cancelled [D5]; an unknown one cannot either.
        if record is None or record.status != "pending":
            return error(400, "UnsupportedOperation", rules.CANCEL_REFUSED)
        self.cancel(record)
        return JSONResponse({"request_id": new_request_id()})

    async def get_result(self, request: Request) -> Response:
        self.state.stats.downloads += 1
        record = self.state.tasks.get(request.path_params["task_id"])
        if record is None or record.dialect != self.name or record.status != "completed":
            return oss_error(404, "NoSuchKey", "The specified key does not exist.")
        if record.results_expired or time.time() - record.created > rules.TASK_LIFETIME_S:
            return oss_error(403, "AccessDenied", "Request has expired.")  # a signed URL past 24 h
        if record.render_path is None or not record.render_path.exists():
            return oss_error(404, "NoSuchKey", "The specified key does not exist.")
        return FileResponse(record.render_path, media_type="video/mp4")
