"""Error bodies as the providers document them, in both dialects.

API envelope (``/v1/...``)::

    {"error": {"code": "invalid_request" | 400, "message": "...", "type": "invalid_request_error",
               "param": "duration"?, "fallback_suggestion": "..."?}}

`code` is a string in the ``string`` dialect (EvoLink) and the HTTP status as an integer in the
``integer`` dialect (odkkk). Files host (``/api/v1/files/...``)::

    {"success": false, "code": 400, "msg": "..."}

The queue dialects (PROVIDERS.md)::

    dashscope  {"request_id": "...", "code": "InvalidParameter", "message": "..."}      [D1, A7]
    fal        {"detail": "..."} or {"detail": "...", "error_type": "runner_scheduling_failure"}
               (+ header X-Fal-Error-Type), 422 {"detail": [{"loc", "msg", "type"}]}    [F6, B7]
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

DIALECTS = ("string", "integer")  # the EvoLink contract (EvoLink, odkkk)
QUEUE_DIALECTS = ("dashscope", "fal")
ALL_DIALECTS = DIALECTS + QUEUE_DIALECTS

# status -> (string-dialect code, string-dialect type, integer-dialect type, default message)
_ERRORS: dict[int, tuple[str, str, str, str]] = {
    400: ("invalid_request", "invalid_request_error", "invalid_request_error", "Invalid request parameters"),
    401: ("unauthorized", "authentication_error", "authentication_error", "Invalid or expired token"),
    402: (
        "insufficient_quota",
        "insufficient_quota",
        "insufficient_quota_error",
        "Insufficient quota. Please top up your account.",
    ),
    403: (
        "model_access_denied",
        "invalid_request_error",
        "permission_error",
        "Token does not have access to model: wan2.6-reference-video",
    ),
    404: ("not_found", "not_found_error", "not_found_error", "Resource not found"),
    409: ("conflict", "invalid_request_error", "invalid_request_error", "Conflict"),
    413: (
        "request_too_large",
        "request_too_large_error",
        "request_too_large_error",
        "Request body too large",
    ),
    429: (
        "rate_limit_exceeded",
        "rate_limit_error",
        "rate_limit_error",
        "Too many requests, please try again later",
    ),
    500: ("internal_error", "api_error", "internal_server_error", "Internal server error"),
    502: ("upstream_error", "upstream_error", "upstream_error", "Bad gateway"),
    503: (
        "service_unavailable",
        "service_unavailable_error",
        "service_unavailable_error",
        "Service temporarily unavailable",
    ),
}

_SUGGESTIONS = {
    429: "retry after 60 seconds",
    500: "try again later",
    502: "try again later",
    503: "retry after 30 seconds",
}


# DashScope: status -> (code, message) where nothing more precise is known [D6, A7].
_DASHSCOPE: dict[int, tuple[str, str]] = {
    400: ("InvalidParameter", "Invalid parameter."),
    401: ("InvalidApiKey", "Invalid API-key provided."),
    403: ("AccessDenied", "Access denied."),
    404: ("NotFound", "Not found."),
    405: ("MethodNotAllowed", "Method not allowed."),
    429: ("Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    500: ("InternalError", "An internal error has occurred, please try again later."),
}
# fal: the documented error_type per status of request/infrastructure errors [F6, B7].
FAL_ERROR_TYPES = {
    400: "bad_request",
    499: "client_cancelled",
    500: "internal_error",
    502: "runner_incomplete_response",
    503: "runner_scheduling_failure",
    504: "request_timeout",
}
_FAL_MESSAGES = {
    401: "Missing or invalid key: send 'Authorization: Key <FAL_KEY>'",
    # The wording is from third-party code comments (uncertain) [B7].
    403: "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing",
    404: "Not Found",
    429: "Too many requests",
}


def new_request_id() -> str:
    return str(uuid.uuid4())


def dashscope_body(status: int, message: str | None = None, code: str | None = None) -> dict[str, Any]:
    """DashScope's error body: ``{"request_id", "code", "message"}`` [D1, A7]."""
    default = _DASHSCOPE.get(status) or (_DASHSCOPE[500] if status >= 500 else ("InvalidParameter", "Error."))
    return {"request_id": new_request_id(), "code": code or default[0], "message": message or default[1]}


def fal_body(status: int, message: str | None = None, error_type: str | None = None) -> dict[str, Any]:
    """fal's flat error body ``{"detail", "error_type"?}`` [F6]."""
    error_type = error_type or FAL_ERROR_TYPES.get(status) or ("internal_error" if status >= 500 else None)
    body: dict[str, Any] = {"detail": message or _FAL_MESSAGES.get(status) or "Error"}
    if error_type:
        body["error_type"] = error_type
    return body


def error_body(
    status: int,
    dialect: str,
    message: str | None = None,
    *,
    param: str | None = None,
    code: str | None = None,
    fallback_suggestion: str | None = None,
) -> dict[str, Any]:
    """The API error envelope for `status` in `dialect` (`code` overrides the string code)."""
    if dialect == "dashscope":
        return dashscope_body(status, message, code)
    if dialect == "fal":
        return fal_body(status, message, code)
    default = _ERRORS.get(status) or (
        _ERRORS[500]
        if status >= 500
        else ("error", "invalid_request_error", "invalid_request_error", "Error")
    )
    string_code, string_type, integer_type, default_message = default
    error: dict[str, Any] = {
        "code": status if dialect == "integer" else (code or string_code),
        "message": message or default_message,
        "type": integer_type if dialect == "integer" else string_type,
    }
    if param:
        error["param"] = param
    suggestion = fallback_suggestion or _SUGGESTIONS.get(status)
    if suggestion:
        error["fallback_suggestion"] = suggestion
    return {"error": error}


def error_response(
    status: int,
    dialect: str,
    message: str | None = None,
    *,
    param: str | None = None,
    code: str | None = None,
    fallback_suggestion: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = error_body(
        status, dialect, message, param=param, code=code, fallback_suggestion=fallback_suggestion
    )
    if dialect == "fal" and "error_type" in body:
        headers = {**(headers or {}), "X-Fal-Error-Type": body["error_type"]}
    return JSONResponse(body, status_code=status, headers=headers)


def files_error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The files host's error body: ``{"success": false, "code": <status>, "msg": ...}``."""
    return JSONResponse(
        {"success": False, "code": status, "msg": message}, status_code=status, headers=headers
    )
