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

`error_for_status` reads every provider's error body: EvoLink's ``{"error": {...}}``,
DashScope's ``{"request_id", "code", "message"}`` [PROVIDERS.md A7] and fal's
``{"detail": "..." | [{loc, msg, type}], "error_type"?}`` [B7]. A documented code picks the
class where the status alone would mislead (DashScope's 400 ``Arrearage`` is a quota error,
fal's 403 "Exhausted balance" too) and the suggestion (`PROVIDER_SUGGESTIONS`).

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


def _queue_provider_error(body: dict) -> tuple[str | None, str | None, str | None]:
    """(message, code, param) of a DashScope or fal error body; Nones when it is neither."""
    if isinstance(body.get("code"), str) and "message" in body:  # DashScope [A7]
        return str(body.get("message") or ""), body["code"], None
    detail = body.get("detail")
    if isinstance(detail, str):  # fal: request/infrastructure errors [F6]
        kind = body.get("error_type")
        return detail, str(kind) if kind else None, None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):  # fal: 422 [F6]
        first = detail[0]
        loc = first.get("loc") or []
        param = str(loc[-1]) if loc and loc[-1] != "body" else None
        return str(first.get("msg") or ""), str(first.get("type") or "") or None, param
    return None, None, None


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
        else:
            found, code, param = _queue_provider_error(body)
            message = found or message
        if param and param not in message:
            message = f"{message} (field: {param})"
    if code is not None and str(code) in _BY_CODE:
        cls = _BY_CODE[str(code)]
    elif status_code == 403 and "balance" in message.lower():  # fal: "User is locked. ... balance" [B7]
        cls, code = InsufficientQuotaError, code or "exhausted_balance"
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


# The queue providers' documented codes (DashScope [PROVIDERS.md A7, D6], fal [B7, F6]) with
# what a person should do. Used for HTTP errors and for tasks that end with such a code.
PROVIDER_SUGGESTIONS: dict[str, str] = {
    # DashScope
    "InvalidApiKey": (
        "Check the DashScope API key: a key works only in its own region, so WAN_DASHSCOPE_REGION "
        "(singapore, virginia or beijing) must be the key's region."
    ),
    "AccessDenied": "This key may not use this API or model in this region; enable wan2.6-r2v for it in Model Studio.",
    "AccessDenied.Unpurchased": "Activate Model Studio (or this model) for the account, then try again.",
    "Model.AccessDenied": "This key has no access to the model; enable it in Model Studio.",
    "AllocationQuota.FreeTierOnly": "The free quota is used up and paid use is off; turn it on in Model Studio.",
    "Arrearage": "The Alibaba Cloud account is overdue; top it up, then try again.",
    "ModelNotFound": "The model is not offered in this region; pick another model or region.",
    "InvalidParameter": "A setting was refused; check the size, duration and references, then try again.",
    "InvalidParameter.DataInspection": (
        "A reference could not be read by DashScope (a temporary upload expired, or a link it cannot "
        "download from its region); upload the file again or give another public link."
    ),
    "InvalidURL": "A reference link could not be fetched by DashScope; check that it is public (no login, no expiry).",
    "InvalidURL.ConnectionRefused": "A reference link refused DashScope's connection; use a public host.",
    "InvalidURL.Timeout": "A reference link was too slow for DashScope; use a faster public host.",
    "DataInspectionFailed": "The prompt or a reference was refused by content moderation; change them.",
    "data_inspection_failed": "The prompt or a reference was refused by content moderation; change them.",
    "IPInfringementSuspect": "The input looks like protected material; use your own characters and prompt.",
    "Throttling": "DashScope is limiting requests (5 per second, 5 tasks at once per model); wait a little.",
    "Throttling.RateQuota": "DashScope is limiting requests (5 per second, 5 tasks at once per model); wait a little.",
    "Throttling.BurstRate": "Too many requests at once; wait a few seconds and try again.",
    "Throttling.AllocationQuota": "The account's quota for this model is used up for now; try again later.",
    "InternalError": "DashScope had a problem; try again in a few minutes (failed tasks are not charged).",
    "InternalError.Algo": "The model failed on this input; try again, or change the prompt or references.",
    "InternalError.Timeout": "The task had no result after 3 hours; try again later (it was not charged).",
    "UnsupportedOperation": "DashScope cancels only tasks that are still waiting (PENDING).",
    "UNKNOWN": (
        "Nothing more can be fetched for it; generate it again. If the task is recent, check that "
        "the key and WAN_DASHSCOPE_REGION are the ones it was created with."
    ),
    "CANCELED": "It was cancelled before it started; nothing was charged.",
    # fal
    "bad_request": "fal refused the request; check the settings and try again.",
    "request_timeout": "fal did not finish the request in time; try again (timeouts are not charged).",
    "startup_timeout": "fal could not start a runner in time; try again in a few minutes.",
    "runner_scheduling_failure": "fal had no runner free; try again in a few minutes.",
    "runner_connection_timeout": "fal lost the runner; try again in a few minutes.",
    "runner_disconnected": "fal lost the runner; try again in a few minutes.",
    "runner_connection_refused": "fal lost the runner; try again in a few minutes.",
    "runner_connection_error": "fal lost the runner; try again in a few minutes.",
    "runner_incomplete_response": "fal's runner answered incompletely; try again.",
    "runner_server_error": "fal's runner failed; try again (server errors are not charged).",
    "internal_error": "fal had a problem; try again in a few minutes.",
    "client_cancelled": "The request was cancelled; nothing was charged.",
    "client_disconnected": "The request was dropped; try again.",
    "exhausted_balance": "The fal balance is used up; top it up at fal.ai/dashboard/billing.",
    "content_policy_violation": "Change the prompt or the reference videos; they were refused by the content policy.",
    "file_download_error": "fal could not download a reference; check that its link is public.",
    "video_duration_too_long": "A reference is too long for fal (2 to 30 s); trim it.",
    "video_duration_too_short": "A reference is too short for fal (2 to 30 s); use a longer clip.",
    "file_too_large": "A reference is larger than fal takes (30 MB on the standard model); use a smaller clip.",
    "video_fps_too_low": "A reference has under 16 frames per second; fal needs at least 16.",
    "unsupported_video_format": "A reference is not an mp4 or mov video fal can read; convert it.",
    "no_media_generated": "The model produced nothing; try another prompt.",
    "string_too_long": "A text field is too long for fal; shorten the prompt.",
    "literal_error": "A setting has a value fal does not offer; pick another.",
    "value_error": "fal refused a value; check the prompt's @Video names and the settings.",
}

# Codes whose meaning differs from what the HTTP status says.
_BY_CODE: dict[str, type[APIStatusError]] = {
    "Arrearage": InsufficientQuotaError,
    "InvalidApiKey": AuthenticationError,
    "AccessDenied.Unpurchased": PermissionDeniedError,
    "Model.AccessDenied": PermissionDeniedError,
    "AllocationQuota.FreeTierOnly": InsufficientQuotaError,
    "Throttling": RateLimitError,
    "Throttling.RateQuota": RateLimitError,
    "Throttling.BurstRate": RateLimitError,
    "Throttling.AllocationQuota": RateLimitError,
}

TASK_ERROR_SUGGESTIONS.update(
    {code: text for code, text in PROVIDER_SUGGESTIONS.items() if code not in TASK_ERROR_SUGGESTIONS}
)
