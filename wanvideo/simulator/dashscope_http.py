"""The dashscope dialect's HTTP shapes: its JSON errors, the OSS host's XML errors, its
Bearer key check and its time format [D1, D4]. `dashscope_api` and `dashscope_uploads` answer
with these."""

from __future__ import annotations

import time
import uuid
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import dashscope_rules as rules
from .envelopes import dashscope_body

BUCKET = "dashscope-file-sim"
OSS_STATUS_CODES = {
    400: "InvalidArgument",
    403: "AccessDenied",
    404: "NoSuchKey",
    409: "FileAlreadyExists",
    413: "EntityTooLarge",
    429: "Throttling",
}


def dashscope_time(ts: float) -> str:
    """DashScope's "YYYY-MM-DD HH:mm:ss.SSS" [D1], in China Standard Time (UTC+8)."""
    local = time.gmtime(ts + 8 * 3600)
    return time.strftime("%Y-%m-%d %H:%M:%S", local) + f".{int(ts * 1000) % 1000:03d}"


def oss_error(status: int, code: str | None, message: str, headers: dict[str, str] | None = None) -> Response:
    """An OSS error document (the upload host and result links are OSS)."""
    code = code or OSS_STATUS_CODES.get(status, "InternalError")
    request_id = uuid.uuid4().hex[:24].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{escape(code)}</Code>\n  <Message>{escape(message)}</Message>\n"
        f"  <RequestId>{request_id}</RequestId>\n  <HostId>{BUCKET}.oss.simulated</HostId>\n</Error>\n"
    )
    return Response(body, status_code=status, media_type="application/xml", headers=headers)


def error(
    status: int, code: str | None, message: str | None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """DashScope's error body ``{"request_id", "code", "message"}``."""
    return JSONResponse(dashscope_body(status, message, code), status_code=status, headers=headers)


def bearer_key(request: Request, api_keys: frozenset[str] | None) -> str | Response:
    """The request's Bearer key, or DashScope's 401 (`api_keys` None: any key is taken)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not header or scheme.lower() != "bearer" or not token:
        return error(401, "InvalidApiKey", rules.NO_KEY)
    if api_keys is not None and token not in api_keys:
        return error(401, "InvalidApiKey", rules.BAD_KEY)
    return token
