"""The "dashscope" dialect: Alibaba Cloud DashScope's native API for wan2.6-r2v (PROVIDERS.md A).

    POST /api/v1/services/aigc/video-generation/video-synthesis   create (X-DashScope-Async: enable)
    GET  /api/v1/tasks/{task_id}                                  PENDING RUNNING SUCCEEDED FAILED
                                                                  CANCELED, UNKNOWN (unknown/expired)
    POST /api/v1/tasks/{task_id}/cancel                           only while PENDING
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

The upload host speaks OSS: a form with `OSSAccessKeyId`, `Signature`, `policy`, `key`, ...
and `file` last (fields after the file are ignored, as OSS does), HTTP 200 with no body for
``success_action_status=200``, XML errors (403 AccessDenied "Policy expired", ...). The file
is then ``oss://<key>``, usable for 48 h, by the same account, with the model named in
getPolicy only [D4].
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
from xml.sax.saxutils import escape

from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from . import dashscope_rules as rules
from .envelopes import dashscope_body, new_request_id
from .faults import Fault
from .files_api import mime_for, safe_name
from .multipart import MalformedForm, StreamingForm, UploadTooLarge, receive_form
from .queue_base import QueueDialect
from .references import ReferenceRefused, resolve_references
from .state import FileRecord, SimTask, new_file_id, owner_id

log = logging.getLogger(__name__)

_MULTIPART_SLACK = 64 * 1024
_BUCKET = "dashscope-file-sim"
_OSS_STATUS_CODES = {
    400: "InvalidArgument",
    403: "AccessDenied",
    404: "NoSuchKey",
    409: "FileAlreadyExists",
    413: "EntityTooLarge",
    429: "Throttling",
}


def _time(ts: float) -> str:
    """DashScope's "YYYY-MM-DD HH:mm:ss.SSS" [D1], in China Standard Time (UTC+8)."""
    local = time.gmtime(ts + 8 * 3600)
    return time.strftime("%Y-%m-%d %H:%M:%S", local) + f".{int(ts * 1000) % 1000:03d}"


def oss_error(status: int, code: str | None, message: str, headers: dict[str, str] | None = None) -> Response:
    """An OSS error document (the upload host and result links are OSS)."""
    code = code or _OSS_STATUS_CODES.get(status, "InternalError")
    request_id = uuid.uuid4().hex[:24].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{escape(code)}</Code>\n  <Message>{escape(message)}</Message>\n"
        f"  <RequestId>{request_id}</RequestId>\n  <HostId>{_BUCKET}.oss.simulated</HostId>\n</Error>\n"
    )
    return Response(body, status_code=status, media_type="application/xml", headers=headers)


@dataclass
class UploadPolicy:
    """One getPolicy answer, remembered until it expires (not kept across restarts)."""

    policy: str
    signature: str
    access_key_id: str
    owner: str
    model: str
    upload_dir: str
    expires: float
    max_bytes: int


class DashScopeAPI(QueueDialect):
    """Handlers of the dashscope dialect."""

    name = "dashscope"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = rules.REGIONS[self.config.region or rules.DEFAULT_REGION]
        self._secret = secrets.token_bytes(32)  # signs the upload policies
        self._access_key_id = "LTAI5tSim" + secrets.token_hex(6)
        self.policies: dict[str, UploadPolicy] = {}

    def group_key(self, record: SimTask) -> tuple[str, str]:
        return (record.owner, str(record.extra.get("model")))  # 5 in progress per model [D3]

    def routes(self) -> list[Route]:
        return [
            Route(rules.CREATE_PATH, self.create, methods=["POST"]),
            Route(rules.TASK_PREFIX + "{task_id}", self.get_task, methods=["GET"]),
            Route(rules.TASK_PREFIX + "{task_id}/cancel", self.cancel_task, methods=["POST"]),
            Route(rules.UPLOADS_PATH, self.get_policy, methods=["GET"]),
            Route(rules.OSS_PATH, self.oss_upload, methods=["POST"]),
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
        return self._error(status, None, fault.message, headers)

    # ---------------------------------------------------------------- helpers

    def _error(
        self, status: int, code: str | None, message: str | None, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        return JSONResponse(dashscope_body(status, message, code), status_code=status, headers=headers)

    def _key(self, request: Request) -> str | Response:
        """The request's Bearer key, or DashScope's 401."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if not header or scheme.lower() != "bearer" or not token:
            return self._error(401, "InvalidApiKey", rules.NO_KEY)
        if self.config.api_keys is not None and token not in self.config.api_keys:
            return self._error(401, "InvalidApiKey", rules.BAD_KEY)
        return token

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
            return self._error(403, "AccessDenied", rules.ASYNC_REQUIRED)
        try:
            payload = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return self._error(400, "InvalidParameter", "The request body is not valid JSON")
        body = rules.check_body(payload, self.region)
        if isinstance(body, rules.Refused):
            return self._error(body.status, body.code, body.message)
        resolve = request.headers.get("x-dashscope-ossresourceresolve", "").strip().lower() == "enable"
        if body.uses_oss and not resolve:
            return self._error(
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
                local=lambda url: self._oss_file(url, owner, body.model),
            )
        except ReferenceRefused as refused:
            shutil.rmtree(work_dir, ignore_errors=True)
            if refused.fetched:
                code = "InvalidParameter"  # the media breaks a rule
            elif body.urls[refused.index].startswith("oss://"):
                code = "InvalidParameter.DataInspection"  # not resolvable [D4, D6]
            else:
                code = "InvalidURL"  # [D6]
            return self._error(400, code, f"Reference {refused.index + 1} cannot be used: {refused.reason}")
        videos = [r for r in references if r.kind == "video"]
        images = [r for r in references if r.kind == "image"]
        problem = None
        if len(videos) > rules.MAX_VIDEOS:
            problem = f"at most {rules.MAX_VIDEOS} reference videos (there are {len(videos)})"
        elif images and not self.region.images:
            problem = f"{self.region.label} takes video references only (reference {references.index(images[0]) + 1} is an image)"
        if problem is not None:
            shutil.rmtree(work_dir, ignore_errors=True)
            return self._error(400, "InvalidParameter", f"input.reference_urls: {problem}")

        billed = rules.billed_seconds([r.duration for r in videos], body.duration)
        rate = rules.price_per_second(self.region, body.model, audio=body.audio, tier=body.tier)
        record = SimTask(
            id=task_id,
            owner=owner,
            created=time.time(),
            task_seconds=self.state.task_seconds,
            prompt=body.prompt,
            video_urls=list(body.urls),
            quality=f"{body.tier}p",
            aspect_ratio=body.aspect_ratio,
            duration=body.duration,
            shot_type=body.shot_type,
            callback_url=None,  # no per-request callback [A8]
            credits_reserved=float(rate * Decimal(str(billed.total))),
            reference_durations=[r.duration for r in references],
            reference_paths=[str(r.path) for r in references],
            failure=self.take_failure(),
            render_path=self.state.results_dir / f"{task_id}.mp4",
            dialect=self.name,
            extra={
                "model": body.model,
                "region": self.region.name,
                "size": body.size,
                "tier": body.tier,
                "orig_prompt": body.orig_prompt,
                "negative_prompt": body.negative_prompt,
                "audio": body.audio,
                "watermark": body.watermark,
                "seed": body.seed if body.seed is not None else secrets.randbelow(rules.SEED_MAX + 1),
                "prompt_extend": body.prompt_extend,
                "reference_kinds": [r.kind for r in references],
                "input_video_duration": billed.input,
                "output_video_duration": billed.output,
                "billed_seconds": billed.total,
                "price_per_second": str(rate),
                "currency": self.region.currency,
                "oss_resolve": resolve,
                "request": payload,
                "render": {"audio": body.audio},
            },
        )
        self.add_task(record)
        return JSONResponse(
            {"output": {"task_status": "PENDING", "task_id": task_id}, "request_id": new_request_id()}
        )

    def _oss_file(self, url: str, owner: str, model: str) -> Path | str | None:
        """An ``oss://`` key made local, or why it cannot be used [D4]."""
        if not url.startswith("oss://"):
            return None
        key = url[len("oss://") :]
        with self.state.lock:
            found = [f for f in self.state.files.values() if f.bound_model and f.upload_path == key]
        record = found[0] if found else None
        if record is None or record.owner != owner:
            return "no temporary upload of this account has this oss:// key"
        if (
            record.expired
            or not record.path.exists()
            or time.time() - record.uploaded > rules.UPLOAD_LIFETIME_S
        ):
            return "the temporary upload has expired (they last 48 h)"
        if record.bound_model != model:
            return (
                f"the file was uploaded for {record.bound_model}; a temporary upload can be used only "
                f"with the model named when its upload policy was asked for"
            )
        return record.path

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
            "submit_time": _time(record.created),
        }
        started = record.start_time <= time.time()
        if started and status != "cancelled":
            output["scheduled_time"] = _time(record.start_time)
        body: dict[str, Any] = {"request_id": new_request_id(), "output": output}
        if status == "completed":
            extra = record.extra
            expires = int(record.created + rules.TASK_LIFETIME_S)
            signature = hashlib.sha1(f"{record.id}{expires}".encode()).hexdigest()[:24]
            output["end_time"] = _time(record.end_time)
            output["orig_prompt"] = extra["orig_prompt"]
            output["video_url"] = (
                f"{self.config.base_url}/results/{record.id}.mp4"
                f"?Expires={expires}&OSSAccessKeyId={self._access_key_id}&Signature={signature}"
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
            output["end_time"] = _time(min(record.failure_due(), time.time()))
            output["code"], output["message"] = code, message
        elif status == "cancelled" and record.cancelled_at is not None:
            output["end_time"] = _time(record.cancelled_at)
        return body

    async def cancel_task(self, request: Request) -> Response:
        self.state.stats.cancels += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        record = self._visible(request.path_params["task_id"], key)
        # Only a PENDING task can be cancelled [D5]; an unknown one cannot either.
        if record is None or record.status != "pending":
            return self._error(400, "UnsupportedOperation", rules.CANCEL_REFUSED)
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

    # ---------------------------------------------------------------- temporary upload [D4]

    async def get_policy(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        key = self._key(request)
        if isinstance(key, Response):
            return key
        if request.query_params.get("action") != "getPolicy":
            return self._error(400, "InvalidParameter", "action must be getPolicy")
        model = request.query_params.get("model")
        if not model:
            return self._error(400, "InvalidParameter", "model is required")
        if model not in rules.MODELS or model not in self.region.models:
            return self._error(404, "ModelNotFound", rules.MODEL_NOT_FOUND)
        if not self.region.temporary_upload:
            # Open point: what Virginia answers is unknown; the simulator refuses plainly.
            return self._error(
                403, "AccessDenied", f"Temporary file upload is not available in {self.region.label}"
            )
        owner = owner_id(key)
        now = time.time()
        upload_dir = f"{rules.UPLOAD_ROOT}/{owner[:16]}/{time.strftime('%Y-%m-%d', time.gmtime(now))}/{uuid.uuid4().hex}"
        max_bytes = min(rules.UPLOAD_MAX_MB * 1000 * 1000, self.config.max_upload_bytes)
        document = {
            "expiration": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + rules.POLICY_SECONDS)),
            "conditions": [
                {"bucket": _BUCKET},
                ["starts-with", "$key", upload_dir + "/"],
                ["content-length-range", 0, max_bytes],
            ],
        }
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        signature = base64.b64encode(hmac.new(self._secret, policy.encode(), hashlib.sha1).digest()).decode()
        with self.state.lock:
            self.policies = {p: v for p, v in self.policies.items() if v.expires > now}
            self.policies[policy] = UploadPolicy(
                policy=policy,
                signature=signature,
                access_key_id=self._access_key_id,
                owner=owner,
                model=model,
                upload_dir=upload_dir,
                expires=now + rules.POLICY_SECONDS,
                max_bytes=max_bytes,
            )
        # Numbers as in D4's example (its table says strings: clients should read both).
        data = {
            "policy": policy,
            "signature": signature,
            "upload_dir": upload_dir,
            "upload_host": f"{self.config.base_url}{rules.OSS_PATH}",
            "expire_in_seconds": rules.POLICY_SECONDS,
            "max_file_size_mb": rules.UPLOAD_MAX_MB,
            "capacity_limit_mb": rules.CAPACITY_LIMIT_MB,
            "oss_access_key_id": self._access_key_id,
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }
        return JSONResponse({"request_id": new_request_id(), "data": data})

    def expire_policies(self) -> None:
        """Every policy handed out so far is past its expiration."""
        with self.state.lock:
            for policy in self.policies.values():
                policy.expires = 0

    async def oss_upload(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        ctype, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            return oss_error(400, "InvalidArgument", "The upload must be a multipart/form-data POST form.")
        if int(request.headers.get("content-length") or 0) > self.config.max_upload_bytes + _MULTIPART_SLACK:
            return oss_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        file_id = new_file_id()
        path = self.state.uploads_dir / file_id
        self.state.uploads_dir.mkdir(parents=True, exist_ok=True)
        try:
            form = await receive_form(request, boundary, path, self.config.max_upload_bytes)
        except UploadTooLarge:
            return oss_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        except MalformedForm as exc:
            return oss_error(400, "MalformedPOSTRequest", f"The body of the POST request is malformed: {exc}")
        answer = self._accept_upload(form, path, file_id)
        if answer is not None:
            path.unlink(missing_ok=True)
            return answer
        status = form.before_file.get("success_action_status", "204")
        return Response(status_code=200 if status == "200" else 204)

    def _accept_upload(self, form: StreamingForm, path: Path, file_id: str) -> Response | None:
        """Check the OSS form and store its file; None when stored, else the error to answer."""
        fields = form.before_file  # OSS ignores whatever follows the file [D4]
        if not form.got_file:
            return oss_error(400, "InvalidArgument", "The file field is missing (it must be the last field).")
        for name in ("OSSAccessKeyId", "Signature", "policy", "key"):
            if not fields.get(name):
                return oss_error(
                    400,
                    "InvalidArgument",
                    f"The form field {name} is missing (fields after 'file' are ignored).",
                )
        now = time.time()
        with self.state.lock:
            policy = self.policies.get(fields["policy"])
        expected = hmac.new(self._secret, fields["policy"].encode(), hashlib.sha1).digest()
        if (
            policy is None
            or fields["OSSAccessKeyId"] != policy.access_key_id
            or not hmac.compare_digest(base64.b64encode(expected).decode(), fields["Signature"])
        ):
            return oss_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if policy.expires <= now:
            return oss_error(403, "AccessDenied", rules.POLICY_EXPIRED)
        key = fields["key"]
        name = key[len(policy.upload_dir) + 1 :] if key.startswith(policy.upload_dir + "/") else ""
        if not name or "/" in name:
            return oss_error(
                403,
                "AccessDenied",
                f'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", '
                f'"{policy.upload_dir}/"]',
            )
        if form.size > policy.max_bytes:
            return oss_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        if form.size == 0:
            return oss_error(400, "InvalidArgument", "The uploaded file is empty.")
        with self.state.lock:
            taken = [f for f in self.state.files.values() if f.bound_model and f.upload_path == key]
            if taken and fields.get("x-oss-forbid-overwrite", "false").lower() == "true":
                return oss_error(
                    409,
                    "FileAlreadyExists",
                    "The object you specified already exists and can not be overwritten.",
                )
            for old in taken:  # overwritten
                del self.state.files[old.file_id]
                old.path.unlink(missing_ok=True)
            self.state.files[file_id] = FileRecord(
                file_id=file_id,
                file_name=safe_name(name, f"{file_id}.bin"),
                original_name=form.filename or name,
                path=path,
                size=form.size,
                mime_type=mime_for(name, fields.get("x-oss-content-type") or form.content_type),
                upload_path=key,
                uploaded=now,
                owner=policy.owner,
                bound_model=policy.model,
            )
        self.state.save()
        return None
