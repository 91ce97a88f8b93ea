"""Error bodies as the providers document them, in both dialects.

API envelope (``/v1/...``)::

    {"error": {"code": "invalid_request" | 400, "message": "...", "type": "invalid_request_error",
               "param": "duration"?, "fallback_suggestion": "..."?}}

`code` is a string in the ``string`` dialect (EvoLink) and the HTTP status as an integer in the
``integer`` dialect (odkkk). Files host (``/api/v1/files/...``)::

    {"success": false, "code": 400, "msg": "..."}
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

DIALECTS = ("string", "integer")

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
    return JSONResponse(body, status_code=status, headers=headers)


def files_error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The files host's error body: ``{"success": false, "code": <status>, "msg": ...}``."""
    return JSONResponse(
        {"success": False, "code": status, "msg": message}, status_code=status, headers=headers
    )
