"""fal's own rules for `wan/v2.6/reference-to-video` (the simulator's "fal" dialect), as data.

Written from ../shared/PROVIDERS.md section B (each rule carries its source key: F1 the model
page, F2 fal-js's generated types, F3 fal-js's queue/storage code, F4 the queue docs, F5
webhooks, F6 errors, F7 concurrency, F8 pricing, F9 the CDN, F10 the Python client, F11 the
flash page). Never from the client's profiles. Where PROVIDERS.md leaves a point open (its
section D), the choice made here says so with "open point:".

    model = MODELS["/wan/v2.6/reference-to-video"]
    checked = check_input(payload, model)     # Input, or a list of 422 `detail` entries
    price_per_second(model, "720p", audio=True)   # Decimal("0.10") USD
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .references import MediaLimits

# ---------------------------------------------------------------- endpoints [F1, F2, F3, F4]

APP = "/wan/v2.6"  # status, result and cancel use only owner/app, never the subpath [F4, F3]
REQUESTS_PREFIX = APP + "/requests/"
STORAGE_INITIATE = "/storage/upload/initiate"  # ?storage_type=fal-cdn-v3 [F3 storage.ts]
STORAGE_TOKEN = "/storage/auth/token"  # ?storage_type=fal-cdn-v3 [F10]
# The simulator's stand-ins for hosts it cannot be: the presigned upload_url, and the CDN's
# upload endpoint of the Python client (https://v3.fal.media/files/upload [F10]).
UPLOAD_PUT_PREFIX = "/storage/upload/put/"
CDN_BASE = "/fal-cdn"
CDN_UPLOAD = CDN_BASE + "/files/upload"
STORAGE_TYPES = ("fal-cdn-v3", "fal-cdn", "gcs")  # [F3, F10]

# Our task states -> fal's queue statuses [F3, F4]: a failed or cancelled request is COMPLETED
# too, with `error` and `error_type` in the status body [F10].
STATUSES = {
    "pending": "IN_QUEUE",
    "processing": "IN_PROGRESS",
    "completed": "COMPLETED",
    "failed": "COMPLETED",
    "cancelled": "COMPLETED",
}
CONCURRENCY = 2  # IN_PROGRESS requests of a new account; queued ones are never refused [F7]

# ---------------------------------------------------------------- the models [F1, F2, F11]

_MB = 1000 * 1000
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")  # default 16:9 [F2]
RESOLUTIONS = ("720p", "1080p")  # no 480p; default 1080p [F2]
DURATIONS = ("5", "10")  # strings; default "5" [F2]
NEGATIVE_PROMPT_MAX = 500  # [F2]
# Every default fal fills in (1080p and multi-shot are the ones to watch) [F2, B2].
DEFAULTS: dict[str, Any] = {
    "aspect_ratio": "16:9",
    "resolution": "1080p",
    "duration": "5",
    "negative_prompt": "",
    "enable_prompt_expansion": True,
    "multi_shots": True,
    "enable_safety_checker": True,
}


@dataclass(frozen=True)
class Model:
    endpoint: str  # the model id, as in the submit path
    flash: bool
    # Open point: "Max 800 characters" (llms.txt and types of Apr 2026) or 1500 (types of Aug
    # 2026) for standard; the newest official types are followed. Flash: 1500 [F2, F11].
    prompt_max: int
    videos: MediaLimits
    images: MediaLimits | None  # image_urls (flash only) [F11]
    max_images: int
    max_references: int
    # (resolution, audio) -> USD per second [F1, F11]
    prices: dict[tuple[str, bool], Decimal]


STANDARD = Model(
    endpoint="wan/v2.6/reference-to-video",
    flash=False,
    prompt_max=1500,
    # mp4/mov, 2-30 s, at most 30 MB, at least 16 fps [F1, F2, B3]
    videos=MediaLimits(
        formats=("mp4", "mov"), min_seconds=2.0, max_seconds=30.0, max_bytes=30 * _MB, max_mb=30, min_fps=16.0
    ),
    images=None,
    max_images=0,
    max_references=3,
    prices={("720p", True): Decimal("0.10"), ("1080p", True): Decimal("0.15")},  # [F1]
)
FLASH = Model(
    endpoint="wan/v2.6/reference-to-video/flash",
    flash=True,
    prompt_max=1500,
    # flash: 1-30 s, at most 100 MB, at least 16 fps [F11, B3]
    videos=MediaLimits(
        formats=("mp4", "mov"),
        min_seconds=1.0,
        max_seconds=30.0,
        max_bytes=100 * _MB,
        max_mb=100,
        min_fps=16.0,
    ),
    # images 240-5000 px, at most 10 MB [F11, A3]; the formats are not on the page (DashScope's
    # JPEG, PNG, WEBP are taken).
    images=MediaLimits(
        formats=(),
        min_seconds=0,
        max_seconds=0,
        max_bytes=0,
        max_mb=0,
        image_formats=("JPEG", "PNG", "WEBP"),
        image_min_side=240,
        image_max_side=5000,
        image_max_bytes=10 * _MB,
        image_max_mb=10,
    ),
    max_images=5,
    max_references=5,
    # half of standard with audio, a quarter without [F11]
    prices={
        ("720p", True): Decimal("0.05"),
        ("1080p", True): Decimal("0.075"),
        ("720p", False): Decimal("0.025"),
        ("1080p", False): Decimal("0.0375"),
    },
)
MODELS = {"/" + STANDARD.endpoint: STANDARD, "/" + FLASH.endpoint: FLASH}

# Open point: whether fal bills the reference seconds on 2.6 (its 2.7 page says it does [F12]).
# The working assumption is followed: output seconds only [F8, B6]; `x-fal-billable-units`
# carries the billed seconds [F13].
BILLS_INPUT_SECONDS = False


def price_per_second(model: Model, resolution: str, *, audio: bool) -> Decimal:
    return model.prices[(resolution, audio if model.flash else True)]


# ---------------------------------------------------------------- prompt naming [F1, F2]

VIDEO_NAME = re.compile(r"@Video(\d+)")
IMAGE_NAME = re.compile(r"@Image(\d+)")
CHARACTER_NAME = re.compile(r"\b[Cc]haracter\d+\b")

# ---------------------------------------------------------------- errors [F6, B7]

ERRORS_URL = "https://docs.fal.ai/errors/#"
NOT_FOUND = "Request not found"
STILL_RUNNING = "Request is still in progress"  # open point: the result before completion
CANCELLED = "Request was cancelled"
# A failure scheduled with an EvoLink code (`Simulator.fail_next_task`) as fal reports it:
# (HTTP status of the result, the error type, its message, the input field it concerns).
FAILURES: dict[str, tuple[int, str, str, str | None]] = {
    "content_policy_violation": (
        422,
        "content_policy_violation",
        "The content could not be processed because it contained material flagged by a content checker.",
        "prompt",
    ),
    "invalid_parameters": (
        422,
        "unsupported_video_format",
        "A reference video could not be processed.",
        "video_urls",
    ),
    "resource_not_found": (
        422,
        "file_download_error",
        "A reference video could not be downloaded.",
        "video_urls",
    ),
    "generation_failed_no_content": (422, "no_media_generated", "The model produced no video.", None),
    "generation_timeout": (504, "request_timeout", "The request timed out.", None),
    "service_error": (500, "runner_server_error", "The runner had an error.", None),
    "request_cancelled": (499, "client_cancelled", CANCELLED, None),
}


def detail(field: str | None, msg: str, kind: str, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    """One entry of a 422 `detail` list: loc, msg, type, url (+ ctx) [F6]."""
    entry: dict[str, Any] = {
        "loc": ["body", field] if field else ["body"],
        "msg": msg,
        "type": kind,
        "url": ERRORS_URL + kind,
    }
    if ctx:
        entry["ctx"] = ctx
    return entry


# ---------------------------------------------------------------- the input [F2, B2]

_KNOWN = (
    "prompt",
    "video_urls",
    "aspect_ratio",
    "resolution",
    "duration",
    "negative_prompt",
    "enable_prompt_expansion",
    "multi_shots",
    "seed",
    "enable_safety_checker",
)
_FLASH_ONLY = ("image_urls", "generate_audio")


@dataclass(frozen=True)
class Input:
    """A valid input with fal's defaults filled in."""

    prompt: str
    video_urls: list[str]
    image_urls: list[str]
    aspect_ratio: str
    resolution: str
    duration: str
    negative_prompt: str
    enable_prompt_expansion: bool
    multi_shots: bool
    seed: int | None
    enable_safety_checker: bool
    generate_audio: bool
    warnings: tuple[str, ...]  # what the simulator notes in the request's logs

    @property
    def single_shot(self) -> bool:
        # multi_shots acts only with prompt expansion [F2]
        return not (self.multi_shots and self.enable_prompt_expansion)


def _string_list(payload: dict[str, Any], name: str, low: int, high: int) -> list[dict[str, Any]]:
    value = payload.get(name)
    if not isinstance(value, list):
        return [detail(name, "Input should be a valid list", "list_type")]
    if not all(isinstance(v, str) for v in value):
        return [detail(name, "Input should be a list of URL strings", "string_type")]
    if len(value) < low:
        return [detail(name, f"List should have at least {low} item(s)", "too_short", {"min_length": low})]
    if len(value) > high:
        return [detail(name, f"List should have at most {high} items", "too_long", {"max_length": high})]
    return []


def check_input(payload: Any, model: Model) -> Input | list[dict[str, Any]]:
    """The input with defaults, or the 422 `detail` list fal's runner answers for it."""
    if not isinstance(payload, dict):
        return [detail(None, "Input should be a valid dictionary", "dict_type")]
    problems: list[dict[str, Any]] = []
    known = _KNOWN + (_FLASH_ONLY if model.flash else ())
    # Stricter than pydantic's default on purpose: a misspelt or misplaced field (fal_webhook
    # in the body) is caught here instead of being dropped silently.
    for name in sorted(set(payload) - set(known)):
        problems.append(detail(name, "Extra inputs are not permitted", "extra_forbidden"))
    prompt = payload.get("prompt")
    if "prompt" not in payload:
        problems.append(detail("prompt", "Field required", "missing"))
    elif not isinstance(prompt, str):
        problems.append(detail("prompt", "Input should be a valid string", "string_type"))
    elif not prompt.strip():
        problems.append(
            detail("prompt", "The prompt must not be empty", "string_too_short", {"min_length": 1})
        )
    elif len(prompt) > model.prompt_max:
        problems.append(
            detail(
                "prompt",
                f"String should have at most {model.prompt_max} characters",
                "string_too_long",
                {"max_length": model.prompt_max},
            )
        )
    if "video_urls" not in payload:
        problems.append(detail("video_urls", "Field required", "missing"))
    else:
        problems += _string_list(payload, "video_urls", 1, 3)
    if model.flash and "image_urls" in payload:
        problems += _string_list(payload, "image_urls", 0, model.max_images)
    for name, allowed in (
        ("aspect_ratio", ASPECT_RATIOS),
        ("resolution", RESOLUTIONS),
        ("duration", DURATIONS),
    ):
        if name in payload and payload[name] not in allowed:
            shown = " or ".join(f"'{v}'" for v in allowed)
            problems.append(detail(name, f"Input should be {shown}", "literal_error", {"expected": shown}))
    negative = payload.get("negative_prompt", "")
    if not isinstance(negative, str):
        problems.append(detail("negative_prompt", "Input should be a valid string", "string_type"))
    elif len(negative) > NEGATIVE_PROMPT_MAX:
        problems.append(
            detail(
                "negative_prompt",
                f"String should have at most {NEGATIVE_PROMPT_MAX} characters",
                "string_too_long",
                {"max_length": NEGATIVE_PROMPT_MAX},
            )
        )
    for name in ("enable_prompt_expansion", "multi_shots", "enable_safety_checker", "generate_audio"):
        if name in payload and not isinstance(payload[name], bool):
            problems.append(detail(name, "Input should be a valid boolean", "bool_type"))
    seed = payload.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        problems.append(detail("seed", "Input should be a valid integer", "int_type"))
    if problems:
        return problems

    videos, images = list(payload["video_urls"]), list(payload.get("image_urls") or [])
    if len(videos) + len(images) > model.max_references:
        return [detail("image_urls", f"At most {model.max_references} references in all", "too_long")]
    warnings: list[str] = []
    for kind, pattern, count in (("Video", VIDEO_NAME, len(videos)), ("Image", IMAGE_NAME, len(images))):
        for number in sorted({int(n) for n in pattern.findall(prompt)}):
            if not 1 <= number <= count:
                # Open point: fal's behaviour is undocumented; refused as a client mistake.
                return [
                    detail(
                        "prompt",
                        f"@{kind}{number} names a reference that was not given ({count} {kind.lower()}s)",
                        "value_error",
                    )
                ]
    if CHARACTER_NAME.search(prompt) and not VIDEO_NAME.search(prompt):
        # Open point: whether fal takes character1 for @Video1. Accepted, with a note in the logs.
        warnings.append("The prompt names characterN; fal's schema names references @Video1..@Video3")
    values = {**DEFAULTS, **{k: v for k, v in payload.items() if k in DEFAULTS}}
    return Input(
        prompt=prompt,
        video_urls=videos,
        image_urls=images,
        aspect_ratio=values["aspect_ratio"],
        resolution=values["resolution"],
        duration=values["duration"],
        negative_prompt=values["negative_prompt"],
        enable_prompt_expansion=values["enable_prompt_expansion"],
        multi_shots=values["multi_shots"],
        seed=seed,
        enable_safety_checker=values["enable_safety_checker"],
        generate_audio=payload.get("generate_audio", True),
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------- webhooks [F5]

# Open point: "10 times within 2 h" gives no spacing; the simulator waits 1, 2, 4 ... 256 s.
WEBHOOK_RETRY_DELAYS = tuple(float(2**n) for n in range(9))
WEBHOOK_TIMEOUT = 15.0  # a third party reports 15 s (unverified) [F5]
