"""The dashscope dialect's temporary upload [D4]: getPolicy, the OSS-style upload host, and
``oss://`` keys made local for a create.

    GET  /api/v1/uploads?action=getPolicy&model=...   a signed policy (remembered until it expires)
    POST /dashscope-file                              the policy's upload host (OSS form)

The form carries `OSSAccessKeyId`, `Signature`, `policy`, `key`, ... and `file` last (fields
after the file are ignored, as OSS does); HTTP 200 with no body for
``success_action_status=200``, XML errors (403 AccessDenied "Policy expired", ...). The file
is then ``oss://<key>``, usable for 48 h, by the same account, with the model named in
getPolicy only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from python_multipart.multipart import parse_options_header
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import dashscope_rules as rules
from .config import SimConfig
from .dashscope_http import BUCKET, bearer_key, error, oss_error
from .envelopes import new_request_id
from .files_api import mime_for, safe_name
from .multipart import MalformedForm, StreamingForm, UploadTooLarge, receive_form
from .state import FileRecord, SimState, new_file_id, owner_id

MULTIPART_SLACK = 64 * 1024


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


class DashScopeUploads:
    """Upload policies handed out, the upload host's form, and the files it stored."""

    def __init__(self, state: SimState, config: SimConfig, region: rules.Region) -> None:
        self.state = state
        self.config = config
        self.region = region
        self.secret = secrets.token_bytes(32)  # signs the upload policies
        self.access_key_id = "LTAI5tSim" + secrets.token_hex(6)
        self.policies: dict[str, UploadPolicy] = {}

    def oss_file(self, url: str, owner: str, model: str) -> Path | str | None:
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

    async def get_policy(self, request: Request) -> Response:
        self.state.stats.uploads += 1
        key = bearer_key(request, self.config.api_keys)
        if isinstance(key, Response):
            return key
        if request.query_params.get("action") != "getPolicy":
            return error(400, "InvalidParameter", "action must be getPolicy")
        model = request.query_params.get("model")
        if not model:
            return error(400, "InvalidParameter", "model is required")
        if model not in self.region.models:  # the region's models include wan2.7-r2v [MODELS.md 4d]
            return error(404, "ModelNotFound", rules.MODEL_NOT_FOUND)
        if not self.region.temporary_upload:
            # Open point: what Virginia answers is unknown; the simulator refuses plainly.
            return error(
                403, "AccessDenied", f"Temporary file upload is not available in {self.region.label}"
            )
        owner = owner_id(key)
        now = time.time()
        upload_dir = f"{rules.UPLOAD_ROOT}/{owner[:16]}/{time.strftime('%Y-%m-%d', time.gmtime(now))}/{uuid.uuid4().hex}"
        max_bytes = min(rules.UPLOAD_MAX_MB * 1000 * 1000, self.config.max_upload_bytes)
        document = {
            "expiration": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + rules.POLICY_SECONDS)),
            "conditions": [
                {"bucket": BUCKET},
                ["starts-with", "$key", upload_dir + "/"],
                ["content-length-range", 0, max_bytes],
            ],
        }
        policy = base64.b64encode(json.dumps(document).encode()).decode()
        signature = base64.b64encode(hmac.new(self.secret, policy.encode(), hashlib.sha1).digest()).decode()
        with self.state.lock:
            self.policies = {p: v for p, v in self.policies.items() if v.expires > now}
            self.policies[policy] = UploadPolicy(
                policy=policy,
                signature=signature,
                access_key_id=self.access_key_id,
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
            "oss_access_key_id": self.access_key_id,
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
        if int(request.headers.get("content-length") or 0) > self.config.max_upload_bytes + MULTIPART_SLACK:
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
        answer = self.accept_upload(form, path, file_id)
        if answer is not None:
            path.unlink(missing_ok=True)
            return answer
        status = form.before_file.get("success_action_status", "204")
        return Response(status_code=200 if status == "200" else 204)

    def accept_upload(self, form: StreamingForm, path: Path, file_id: str) -> Response | None:
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
        expected = hmac.new(self.secret, fields["policy"].encode(), hashlib.sha1).digest()
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
