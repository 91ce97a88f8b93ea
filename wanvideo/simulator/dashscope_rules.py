"""DashScope's own rules for `wan2.6-r2v` (the simulator's "dashscope" dialect), as data.

Written from ../shared/PROVIDERS.md section A (each rule carries its source key: D1 the R2V API
reference, D2 pricing, D3 rate limits, D4 temporary upload, D5 task management, D6 error
codes, D12 EvoLink's billing split). Never from the client's profiles: a mistake there must
disagree with this module, not repeat it. Where PROVIDERS.md leaves a point open (its section
D), the choice made here says so with "open point:".

    region = REGIONS["singapore"]
    body = check_body(payload, region)          # CreateBody, or Refused(status, code, message)
    billed = billed_seconds([3.0], output=5)    # Billed(input=3, output=5, total=8.0)
    price_per_second(region, "wan2.6-r2v", audio=True, tier=720)   # Decimal("0.10") (USD)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .references import MediaLimits

# ---------------------------------------------------------------- endpoints and statuses [D1, D5]

CREATE_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"  # [D1]
TASK_PREFIX = "/api/v1/tasks/"  # GET {id} [D1], POST {id}/cancel [D5]
UPLOADS_PATH = "/api/v1/uploads"  # ?action=getPolicy&model=... [D4]
# The simulator's stand-in for the policy's upload host (one port serves every host).
OSS_PATH = "/dashscope-file"

# Our task states -> DashScope's task_status [D1]. UNKNOWN: no such task, or older than 24 h.
STATUSES = {
    "pending": "PENDING",
    "processing": "RUNNING",
    "completed": "SUCCEEDED",
    "failed": "FAILED",
    "cancelled": "CANCELED",
}
TASK_LIFETIME_S = 24 * 3600  # task_id queryable and video_url valid for 24 h [D1]
CONCURRENCY = 5  # tasks in progress at once per account and model [D3]

# ---------------------------------------------------------------- create body [D1 unless noted]

MODELS = ("wan2.6-r2v", "wan2.6-r2v-flash")  # flash is on the same page [D1]
STANDARD, FLASH = MODELS
# Wan 2.7's own protocol (`input.media[]`) lives in `dashscope_wan27` [MODELS.md 4]; its prices
# are in the regions' tables below: CNY 0.6/1.0 (Beijing), CNY 0.733924/1.100886 (Singapore,
# USD 0.10/0.15 at the page's own rate) [AP]. Not sold in Virginia (Global) [AP].
WAN27 = "wan2.7-r2v"
PROMPT_MAX = 1500  # both models; longer text is truncated silently [D1]
NEGATIVE_PROMPT_MAX = 500  # truncated silently [D1]
SEED_MAX = 2147483647  # [D1]
SHOT_TYPES = ("single", "multi")  # default single [D1]
DEFAULT_SHOT_TYPE = "single"
DEFAULT_SIZE = "1920*1080"  # both models [D1]
DEFAULT_DURATION = 5  # [D1]
# "W*H" -> (resolution tier, aspect ratio) [D1]
SIZES: dict[str, tuple[int, str]] = {
    "1280*720": (720, "16:9"),
    "720*1280": (720, "9:16"),
    "960*960": (720, "1:1"),
    "1088*832": (720, "4:3"),
    "832*1088": (720, "3:4"),
    "1920*1080": (1080, "16:9"),
    "1080*1920": (1080, "9:16"),
    "1440*1440": (1080, "1:1"),
    "1632*1248": (1080, "4:3"),
    "1248*1632": (1080, "3:4"),
}
MAX_REFERENCES = 5  # images + videos [D1]
MAX_VIDEOS = 3  # [D1]
MAX_IMAGES = 5  # [D1]
_MB = 1000 * 1000  # "100 MB" read as decimal megabytes: the stricter reading
# Videos in `reference_urls`: MP4/MOV, 1-30 s, at most 100 MB; images: JPEG/JPG, PNG without
# alpha, BMP, WEBP, each side 240-8000 px, at most 20 MB [D1, A3]. (F11 and a third party
# give smaller image limits: the official page wins here.)
REFERENCE_LIMITS = MediaLimits(
    formats=("mp4", "mov"),
    min_seconds=1.0,
    max_seconds=30.0,
    max_bytes=100 * _MB,
    max_mb=100,
    image_formats=("JPEG", "PNG", "BMP", "WEBP"),
    image_min_side=240,
    image_max_side=8000,
    image_max_bytes=20 * _MB,
    image_max_mb=20,
)
# The deprecated `reference_video_urls`: videos only, 2-30 s [D1, A3].
LEGACY_REFERENCE_LIMITS = MediaLimits(
    formats=("mp4", "mov"), min_seconds=2.0, max_seconds=30.0, max_bytes=100 * _MB, max_mb=100
)

# ---------------------------------------------------------------- regions [D1, D2, D3, D4, D9]


@dataclass(frozen=True)
class Region:
    name: str
    label: str
    real_base_url: str  # the provider's base (the simulator serves on its own port)
    models: tuple[str, ...]
    durations: tuple[int, ...]  # accepted output seconds
    images: bool  # image references accepted
    temporary_upload: bool  # getPolicy available
    currency: str
    # (model, audio, resolution tier) -> price per billed second
    prices: dict[tuple[str, bool, int], Decimal]


def _prices(standard: tuple[str, str], flash: tuple[str, str] | None, silent: tuple[str, str] | None):
    table = {
        (STANDARD, True, 720): Decimal(standard[0]),
        (STANDARD, True, 1080): Decimal(standard[1]),
    }
    if flash is not None and silent is not None:
        table.update(
            {
                (FLASH, True, 720): Decimal(flash[0]),
                (FLASH, True, 1080): Decimal(flash[1]),
                (FLASH, False, 720): Decimal(silent[0]),
                (FLASH, False, 1080): Decimal(silent[1]),
            }
        )
    return table


REGIONS: dict[str, Region] = {
    "singapore": Region(
        name="singapore",
        label="Singapore (International)",
        real_base_url="https://dashscope-intl.aliyuncs.com",  # [D1]
        models=(*MODELS, WAN27),  # [D9; MODELS.md 4d]
        durations=tuple(range(2, 11)),  # 2-10 [D1]
        images=True,
        # Open point: the EN copies of D4 say Beijing only, the es/pt-br copies of Oct 2026
        # say Singapore and Beijing. The newer copies are followed.
        temporary_upload=True,
        currency="USD",
        # The zh page's CNY converted at its own rate: 0.10/0.15, flash 0.05/0.075 with audio,
        # 0.025/0.0375 silent [D2].
        prices={
            **_prices(("0.10", "0.15"), ("0.05", "0.075"), ("0.025", "0.0375")),
            (WAN27, True, 720): Decimal("0.10"),
            (WAN27, True, 1080): Decimal("0.15"),
        },
    ),
    "beijing": Region(
        name="beijing",
        label="China (Beijing)",
        real_base_url="https://dashscope.aliyuncs.com",  # [D1]
        models=(*MODELS, WAN27),  # [D9; MODELS.md 4d]
        durations=tuple(range(2, 11)),  # [D1]
        images=True,
        temporary_upload=True,  # [D4]
        currency="CNY",
        # CNY 0.6/1.0, flash 0.3/0.5 with audio, 0.15/0.25 silent [D2]. The free quota of 50 s
        # within 90 days is not simulated.
        prices={
            **_prices(("0.6", "1.0"), ("0.3", "0.5"), ("0.15", "0.25")),
            (WAN27, True, 720): Decimal("0.6"),
            (WAN27, True, 1080): Decimal("1.0"),
        },
    ),
    "virginia": Region(
        name="virginia",
        label="US (Virginia)",
        real_base_url="https://dashscope-us.aliyuncs.com",  # [D1]
        models=(STANDARD,),  # only wan2.6-r2v under "Global" [D2, D3]
        # Open point: an earlier digest says Global takes 5 or 10 s and video references only
        # (not re-verified). The simulator enforces it, so a client that relies on more fails here.
        durations=(5, 10),
        images=False,
        temporary_upload=False,  # never mentioned for Virginia [D4]: treated as unavailable
        # Open point: no USD list price was found for Global; the CNY price is used [D2].
        currency="CNY",
        prices=_prices(("0.6", "1.0"), None, None),
    ),
}
DEFAULT_REGION = "singapore"

# ---------------------------------------------------------------- temporary upload [D4, D8]

POLICY_SECONDS = 300  # expire_in_seconds, as in the example [D4]
UPLOAD_MAX_MB = 100  # max_file_size_mb: model-dependent, 100 in the example [D4]
CAPACITY_LIMIT_MB = 999999999  # capacity_limit_mb (daily per account) [D4]
UPLOAD_LIFETIME_S = 48 * 3600  # an oss:// file lives 48 h [D4]
UPLOAD_ROOT = "dashscope-instant"  # upload_dir's first segment, as in the example [D4]

# ---------------------------------------------------------------- errors [D1, D4, D5, D6]

NO_KEY = "No API-key provided."  # [D1]
BAD_KEY = "Invalid API-key provided."
ASYNC_REQUIRED = "current user api does not support synchronous calls"  # 403 AccessDenied [D1, D6]
CANCEL_REFUSED = "Failed to cancel the task, please confirm if the task is in PENDING status."  # [D5]
MODEL_NOT_FOUND = "Model not exist."
POLICY_EXPIRED = "Invalid according to Policy: Policy expired."  # 403 AccessDenied [D4]
# A failure scheduled with an EvoLink code (`Simulator.fail_next_task`) in DashScope's words [D6].
FAILURE_CODES = {
    "content_policy_violation": ("DataInspectionFailed", "Input data may contain inappropriate content."),
    "invalid_parameters": ("InvalidParameter", "The size is not match the reference."),
    "generation_failed_no_content": ("InternalError.Algo", "The model produced no content."),
    "generation_timeout": ("InternalError.Timeout", "The task has no result after 3 hours."),
    "service_error": ("InternalError", "An internal error has occurred, please try again later."),
    "resource_not_found": ("InvalidURL", "A reference could not be downloaded."),
    "request_cancelled": ("InternalError", "The task was cancelled."),
}


def failure_words(code: str, message: str | None) -> tuple[str, str]:
    """(code, message) of a failed task in DashScope's terms (DashScope codes pass through)."""
    known = FAILURE_CODES.get(code)
    if known is not None:
        return known[0], message or known[1]
    return code, message or "The task failed."


# ---------------------------------------------------------------- billing [D1, D2, D12]

# Billed seconds = input video seconds (capped at 5 s in all) + output seconds [D2]. How the
# cap splits across references is not on an Alibaba page (open point); EvoLink's split is
# used: 5, 2.5 or 1.65 s per video for 1, 2 or 3 videos [D12]. Images are not billed (A6).
INPUT_CAPS = {1: Decimal("5"), 2: Decimal("2.5"), 3: Decimal("1.65")}


@dataclass(frozen=True)
class Billed:
    input: int  # usage.input_video_duration (documented as an integer [D1])
    output: int  # usage.output_video_duration
    total: float  # usage.duration = input + output, the billed quantity [D1]


def billed_seconds(video_durations: list[float], output: int) -> Billed:
    """The usage figures of a task with reference videos of `video_durations` seconds.
    Open point: whether input_video_duration is rounded, and how; it is rounded half up here."""
    if video_durations:
        # wan2.7 takes up to 5 videos: 5 s in all, split evenly beyond EvoLink's table.
        cap = INPUT_CAPS.get(len(video_durations), Decimal(5) / len(video_durations))
        capped = sum((min(Decimal(str(d)), cap) for d in video_durations), Decimal(0))
    else:
        capped = Decimal(0)
    seconds = int(capped.quantize(Decimal(1), ROUND_HALF_UP))
    return Billed(input=seconds, output=output, total=float(seconds + output))


def price_per_second(region: Region, model: str, *, audio: bool, tier: int) -> Decimal:
    return region.prices[(model, audio, tier)]


# ---------------------------------------------------------------- the create body [D1]

_TOP = ("model", "input", "parameters")
_INPUT = ("prompt", "negative_prompt", "reference_urls", "reference_video_urls")
# prompt_extend is not in the R2V reference; the SDK sends it if given [D8]. Open point:
# accepted (a boolean) and ignored here.
_PARAMETERS = ("size", "duration", "shot_type", "audio", "watermark", "seed", "prompt_extend")


@dataclass(frozen=True)
class Refused:
    status: int
    code: str
    message: str


@dataclass(frozen=True)
class CreateBody:
    """A valid create body with the defaults filled in (prompts already truncated)."""

    model: str
    prompt: str  # as the model sees it (at most PROMPT_MAX characters)
    orig_prompt: str
    negative_prompt: str | None
    urls: list[str]
    legacy_field: bool  # the deprecated reference_video_urls was used
    size: str
    tier: int
    aspect_ratio: str
    duration: int
    shot_type: str
    audio: bool
    watermark: bool
    seed: int | None
    prompt_extend: bool | None

    @property
    def uses_oss(self) -> bool:
        return any(url.startswith("oss://") for url in self.urls)


def _bad(message: str, code: str = "InvalidParameter", status: int = 400) -> Refused:
    return Refused(status, code, message)


def _unknown(obj: dict[str, Any], known: tuple[str, ...], where: str) -> Refused | None:
    # Stricter than the provider on purpose (open point: DashScope may ignore unknown fields):
    # a misspelt field in a client is caught here instead of being silently dropped.
    extra = sorted(set(obj) - set(known))
    return _bad(f"Unknown parameter: {where}{extra[0]}") if extra else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_urls(inp: dict[str, Any]) -> tuple[list[str], bool] | Refused:
    if "reference_urls" in inp and "reference_video_urls" in inp:
        # Open point: undocumented; refused, since the two lists would disagree on characterN.
        return _bad("Send reference_urls or the deprecated reference_video_urls, not both")
    legacy = "reference_video_urls" in inp
    field = "reference_video_urls" if legacy else "reference_urls"
    urls = inp.get(field)
    if urls is None:
        return _bad("input.reference_urls is required")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        return _bad(f"input.{field} must be an array of URL strings")
    limit = MAX_VIDEOS if legacy else MAX_REFERENCES
    if not 1 <= len(urls) <= limit:
        return _bad(f"input.{field} must hold 1 to {limit} URLs (it has {len(urls)})")
    for i, url in enumerate(urls):
        if not url.lower().startswith(("http://", "https://", "oss://")) or len(url.split("://", 1)[1]) < 1:
            return _bad(f"input.{field}[{i}] must be a public http(s) URL or an oss:// temporary URL")
    return urls, legacy


def _check_parameters(params: dict[str, Any], model: str, region: Region) -> dict[str, Any] | Refused:
    size = params.get("size", DEFAULT_SIZE)
    if size not in SIZES:
        return _bad(f"parameters.size must be an exact size such as 1280*720 (one of {', '.join(SIZES)})")
    duration = params.get("duration", DEFAULT_DURATION)
    if not _is_int(duration) or duration not in region.durations:
        shown = (
            f"{region.durations[0]} to {region.durations[-1]}"
            if len(region.durations) > 2
            else " or ".join(map(str, region.durations))
        )
        return _bad(f"parameters.duration must be a whole number of seconds: {shown} in {region.label}")
    shot_type = params.get("shot_type", DEFAULT_SHOT_TYPE)
    if shot_type not in SHOT_TYPES:
        return _bad("parameters.shot_type must be single or multi")
    audio = params.get("audio", True)
    if not isinstance(audio, bool):
        return _bad("parameters.audio must be true or false")
    if audio is False and model != FLASH:
        # wan2.6-r2v always outputs audio [D1]. Open point: the provider may ignore the flag;
        # refused here so a client never believes it asked for (and pays for) a silent video.
        return _bad(f"parameters.audio can be switched off only with {FLASH}; {model} always has audio")
    for name in ("watermark", "prompt_extend"):
        if name in params and not isinstance(params[name], bool):
            return _bad(f"parameters.{name} must be true or false")
    seed = params.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= SEED_MAX):
        return _bad(f"parameters.seed must be a whole number from 0 to {SEED_MAX}")
    tier, ratio = SIZES[size]
    return {
        "size": size,
        "tier": tier,
        "aspect_ratio": ratio,
        "duration": duration,
        "shot_type": shot_type,
        "audio": audio,
        "watermark": params.get("watermark", False),
        "seed": seed,
        "prompt_extend": params.get("prompt_extend"),
    }


def check_body(payload: Any, region: Region) -> CreateBody | Refused:
    """The create body with defaults, or the first thing DashScope would refuse in it."""
    if not isinstance(payload, dict):
        return _bad("The request body must be a JSON object")
    unknown = _unknown(payload, _TOP, "")
    if unknown:
        return unknown
    model = payload.get("model")
    if model is None:
        return _bad("model is required")
    if model not in MODELS:
        return Refused(404, "ModelNotFound", MODEL_NOT_FOUND)
    if model not in region.models:
        return Refused(404, "ModelNotFound", f"{MODEL_NOT_FOUND} ({model} is not deployed in {region.label})")
    inp = payload.get("input")
    if not isinstance(inp, dict):
        return _bad("input is required and must be an object")
    unknown = _unknown(inp, _INPUT, "input.")
    if unknown:
        return unknown
    prompt = inp.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _bad("input.prompt is required and must not be empty")
    negative = inp.get("negative_prompt")
    if negative is not None and not isinstance(negative, str):
        return _bad("input.negative_prompt must be a string")
    urls = _check_urls(inp)
    if isinstance(urls, Refused):
        return urls
    params = payload.get("parameters", {})
    if not isinstance(params, dict):
        return _bad("parameters must be an object")
    unknown = _unknown(params, _PARAMETERS, "parameters.")
    if unknown:
        return unknown
    checked = _check_parameters(params, model, region)
    if isinstance(checked, Refused):
        return checked
    return CreateBody(
        model=model,
        prompt=prompt[:PROMPT_MAX],
        orig_prompt=prompt,
        negative_prompt=negative[:NEGATIVE_PROMPT_MAX] if negative is not None else None,
        urls=urls[0],
        legacy_field=urls[1],
        **checked,
    )
