"""The client's exception tree, mapped from HTTP status in one place (`error_for_status`).

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

Every message is written for people: what happened and what to do. No message ever
contains the API key (the client never puts it anywhere but the Authorization header).
"""

from __future__ import annotations

from .providers import REFERENCE_LIMITS
from .schemas import ErrorEnvelope


class WanError(Exception):
    """Base of every error the domain raises. `suggestion` says what to do next."""

    suggestion: str = ""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if suggestion is not None:
            self.suggestion = suggestion

    def __str__(self) -> str:
        return f"{self.message} {self.suggestion}".strip()


class APIConnectionError(WanError):
    suggestion = "Check the network connection and try again."


class APITimeoutError(APIConnectionError):
    suggestion = "The provider is slow to answer; try again in a minute."


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
    suggestion = "Change the named setting and try again."


class AuthenticationError(APIStatusError):
    suggestion = "Check the API key: it is missing, wrong or expired."


class InsufficientQuotaError(APIStatusError):
    suggestion = "Top up credits with the provider, then try again."


class PermissionDeniedError(APIStatusError):
    suggestion = "This key has no access to wan2.6-reference-video; enable the model for it."


class NotFoundError(APIStatusError):
    suggestion = "The task or file no longer exists (tasks and links expire after 24 hours)."


class RequestTooLargeError(APIStatusError):
    suggestion = f"Use shorter or smaller reference videos ({REFERENCE_LIMITS} each)."


class RateLimitError(APIStatusError):
    retryable = True
    suggestion = "Too many requests; wait a minute and try again."


class ServerError(APIStatusError):
    retryable = True
    suggestion = "The provider has a problem; try again in a few minutes."


class UploadError(WanError):
    suggestion = "Try again, or paste a public link to the video under Reference video URLs."


class DownloadError(WanError):
    suggestion = "The result could not be saved; the app retries, or download it from the provider."


class TaskDeadlineError(WanError):
    """We stopped watching a task at `settings.poll_deadline`; it may still finish."""

    def __init__(self, message: str, *, task_id: str, last: object | None = None) -> None:
        super().__init__(
            message,
            suggestion="The task may still finish at the provider; check it again later with its task id.",
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


def error_for_status(status_code: int, body: object, retry_after: str | None = None) -> APIStatusError:
    """Build the right exception for an error response (body: parsed JSON or text)."""
    cls = _BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else APIStatusError)
    message, code, param, suggestion = f"The provider answered HTTP {status_code}.", None, None, None
    if isinstance(body, dict):
        try:
            detail = ErrorEnvelope.model_validate(body).error
        except ValueError:
            detail = None
        if detail is not None:
            message = detail.message or message
            code, param, suggestion = detail.code, detail.param, detail.fallback_suggestion
            if param and param not in message:
                message = f"{message} (field: {param})"
    return cls(
        message,
        status_code=status_code,
        code=code,
        param=param,
        suggestion=suggestion,
        retry_after=parse_retry_after(retry_after),
    )


# Task error codes the provider documents, with what a person should do.
TASK_ERROR_SUGGESTIONS: dict[str, str] = {
    "content_policy_violation": "Change the prompt or the reference videos; they were refused by the content policy.",
    "invalid_parameters": f"A setting was refused; check the references ({REFERENCE_LIMITS}).",
    "image_processing_error": "A reference could not be processed; try another file.",
    "image_dimension_mismatch": "A reference has unsupported dimensions; try another file.",
    "request_cancelled": "The task was cancelled.",
    "generation_failed_no_content": "The model produced nothing; try another prompt.",
    "service_error": "The provider had a problem; try again later.",
    "generation_timeout": "The model took too long; try again later.",
    "resource_exhausted": "The provider is busy; try again later.",
    "quota_exceeded": "Your quota is used up; top up credits.",
    "service_unavailable": "The service is unavailable; try again later.",
    "resource_not_found": "A reference could not be fetched; check that its link is public.",
    "unknown_error": "Something went wrong at the provider; try again.",
}
