"""The client's exception tree, mapped from HTTP status in one place (`error_for_status`).
Its root `WanError` lives in `error_base.py` (every error raised to a caller derives from it).

    WanError
    ├── APIConnectionError          the request got no answer (DNS, refused, reset)
    │   └── APITimeoutError
    ├── APIStatusError              the server answered with an error status
    │   ├── BadRequestError             400 (and 422)
    │   ├── AuthenticationError         401
    │   ├── InsufficientQuotaError      402
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404
    │   ├── RequestTooLargeError        413
    │   ├── RateLimitError              429
    │   └── ServerError                 500, 502, 503 and other 5xx
    ├── UploadError                 the files host said success=false
    ├── DownloadError               the result could not be saved as a playable video
    └── TaskDeadlineError           we stopped watching at the poll deadline; the task may still finish

A task that ends without a video is not an exception: the job returns it as a value
(`events.Failed`, with a typed `reason`).

`error_for_status` reads every provider's error body: the API's common envelope
``{"error": {...}}`` (`schemas.ErrorEnvelope`), else each provider's own shape (its
`ErrorDialect`, data in its catalogue entry `wanvideo/providers/<key>.py`). A documented code
picks the class where the status alone would mislead (a 400 that means an unpaid account is a
quota error) and the suggestion (`PROVIDER_SUGGESTIONS`, merged from the dialects).

Every message is written for people: what happened and what to do. No message ever
contains the API key (the client never puts it anywhere but the Authorization header).
"""

from __future__ import annotations

from collections.abc import Mapping

from .error_base import WanError
from .messages import Message
from .providers import ERROR_DIALECTS, REFERENCE_LIMITS
from .schemas import ErrorEnvelope


class APIConnectionError(WanError):
    suggestion = Message("suggest.connection")


class APITimeoutError(APIConnectionError):
    suggestion = Message("suggest.timeout")


class APIStatusError(WanError):
    status_code: int = 0
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | int | None = None,
        param: str | None = None,
        suggestion: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, suggestion=suggestion)
        self.status_code = status_code
        self.code = code
        self.param = param
        self.retry_after = retry_after


class BadRequestError(APIStatusError):
    suggestion = Message("suggest.bad_request")


class AuthenticationError(APIStatusError):
    suggestion = Message("suggest.auth")


class InsufficientQuotaError(APIStatusError):
    suggestion = Message("suggest.quota")


class PermissionDeniedError(APIStatusError):
    suggestion = Message("suggest.permission")


class NotFoundError(APIStatusError):
    suggestion = Message("suggest.not_found")


class RequestTooLargeError(APIStatusError):
    suggestion = Message("suggest.too_large", limits=REFERENCE_LIMITS)


class RateLimitError(APIStatusError):
    retryable = True
    suggestion = Message("suggest.rate_limit")


class ServerError(APIStatusError):
    retryable = True
    suggestion = Message("suggest.server")


class UploadError(WanError):
    suggestion = Message("suggest.upload")


class DownloadError(WanError):
    suggestion = Message("suggest.download")


class TaskDeadlineError(WanError):
    """We stopped watching a task at `settings.poll_deadline`; it may still finish."""

    def __init__(self, message: str, *, task_id: str, last: object | None = None) -> None:
        super().__init__(
            message,
            suggestion=Message("suggest.deadline"),
        )
        self.task_id = task_id
        self.last = last


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientQuotaError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: RequestTooLargeError,
    422: BadRequestError,
    429: RateLimitError,
}


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _queue_provider_error(body: dict) -> tuple[str | None, str | None, str | None]:
    """(message, code, param) of a provider's own error body; Nones when no dialect reads it."""
    for dialect in ERROR_DIALECTS:
        found = dialect.read(body) if dialect.read is not None else None
        if found is not None:
            return found
    return None, None, None


def retry_hint(headers: Mapping[str, str]) -> bool | None:
    """Whether the provider says a retry can help (its `retryable_header`); None: it does not say."""
    for dialect in ERROR_DIALECTS:
        if dialect.retryable_header:
            said = headers.get(dialect.retryable_header, "").strip().lower()
            if said in ("true", "false"):
                return said == "true"
    return None


def error_for_status(status_code: int, body: object, retry_after: str | None = None) -> APIStatusError:
    """Build the right exception for an error response (body: parsed JSON or text)."""
    cls = _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else APIStatusError)
    message: str = Message("transport.http_status", status=status_code)
    code, param, suggestion = None, None, None
    if isinstance(body, dict):
        try:
            detail = ErrorEnvelope.model_validate(body).error
        except ValueError:
            detail = None
        if detail is not None:
            message = detail.message or message
            code, param, suggestion = detail.code, detail.param, detail.fallback_suggestion
        else:
            found, code, param = _queue_provider_error(body)
            message = found or message
        if param and param not in message:
            message = Message("transport.field", message=message, field=param)
    if code is not None and str(code) in _BY_CODE:
        cls = _BY_CODE[str(code)]
    else:
        for dialect in ERROR_DIALECTS:  # a status that misleads, told by the words (a quota)
            rule = dialect.quota_words
            if rule is not None and status_code == rule[0] and rule[1] in message.lower():
                cls, code = InsufficientQuotaError, code or rule[2]
                break
    if suggestion is None and code is not None:
        suggestion = PROVIDER_SUGGESTIONS.get(str(code))
    return cls(
        message,
        status_code=status_code,
        code=code,
        param=param,
        suggestion=suggestion,
        retry_after=parse_retry_after(retry_after),
    )


# Task error codes the provider documents, with what a person should do.
TASK_ERROR_SUGGESTIONS: dict[str, Message] = {
    "content_policy_violation": Message("code.content_policy_violation"),
    "invalid_parameters": Message("code.invalid_parameters", limits=REFERENCE_LIMITS),
    "image_processing_error": Message("code.image_processing_error"),
    "image_dimension_mismatch": Message("code.image_dimension_mismatch"),
    "request_cancelled": Message("code.request_cancelled"),
    "generation_failed_no_content": Message("code.no_content"),
    "service_error": Message("code.service_error"),
    "generation_timeout": Message("code.generation_timeout"),
    "resource_exhausted": Message("code.resource_exhausted"),
    "quota_exceeded": Message("code.quota_exceeded"),
    "service_unavailable": Message("code.service_unavailable"),
    "resource_not_found": Message("code.resource_not_found"),
    "unknown_error": Message("code.unknown_error"),
}


# The providers' documented codes (each provider's `ErrorDialect.suggestions`) with what a
# person should do. Used for HTTP errors and for tasks that end with such a code.
PROVIDER_SUGGESTIONS: dict[str, Message] = {
    code: Message(message_id)
    for dialect in ERROR_DIALECTS
    for code, message_id in dialect.suggestions.items()
}

_KINDS: dict[str, type[APIStatusError]] = {
    "auth": AuthenticationError,
    "quota": InsufficientQuotaError,
    "permission": PermissionDeniedError,
    "rate_limit": RateLimitError,
}
# Codes whose meaning differs from what the HTTP status says.
_BY_CODE: dict[str, type[APIStatusError]] = {
    code: _KINDS[kind] for dialect in ERROR_DIALECTS for code, kind in dialect.kinds.items()
}

TASK_ERROR_SUGGESTIONS.update(
    {code: text for code, text in PROVIDER_SUGGESTIONS.items() if code not in TASK_ERROR_SUGGESTIONS}
)
