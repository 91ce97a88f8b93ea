"""EvoLink's `wan2.7-reference-video` (the "string"/"integer" dialects' second model), as data
and checks, written from ../shared/MODELS.md section 3 [E27, EB, EQ] and never from the client's
profiles.

What E27 shows: `prompt` (at most 5000), `negative_prompt` (at most 500), `image_start`,
`image_urls` + `video_urls` (at least one, at most 5 together), `audio_urls` (legacy, by
position) and `model_params.voice_bindings` (its item keys were not retrieved, so it is
refused here rather than guessed), `callback_url`. Not retrieved, so refused as unknown:
`seed`, `prompt_extend`, `watermark`, `model_params.shot_type` (Wan 2.7 has none [A27]).
Open points (taken from Alibaba's page for the same model [A27]): `quality` 720p/1080p,
`aspect_ratio` of five, `duration` 2-10 s with a reference video and 2-15 s without.

    refusal = check(payload, allow_loopback_callbacks=False)   # Refusal or None
    body = with_defaults(payload); charge(video_seconds, body["quality"], body["duration"])
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from .references import MediaLimits
from .validation import Refusal, internal_host

MODEL = "wan2.7-reference-video"
PROMPT_MAX = 5000
NEGATIVE_PROMPT_MAX = 500
MAX_REFERENCES = 5  # image_urls + video_urls [E27]
QUALITIES = ("720p", "1080p")  # EB quotes both tiers
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
DURATIONS_WITH_VIDEO = range(2, 11)
DURATIONS = range(2, 16)
DEFAULTS = {"quality": "720p", "aspect_ratio": "16:9", "duration": 5}
_FIELDS = (
    "model",
    "prompt",
    "negative_prompt",
    "image_start",
    "image_urls",
    "video_urls",
    "audio_urls",
    "model_params",
    "quality",
    "aspect_ratio",
    "duration",
    "callback_url",
)
# Upstream's limits for the same model [A27]: images JPEG/PNG (no alpha)/BMP/WEBP, 240-8000 px,
# at most 20 MB; videos mp4/mov, 1-30 s, at most 100 MB. EvoLink's own were cut off [E27].
_MB = 1000 * 1000
LIMITS = MediaLimits(
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
# $0.086/s at 720p and $0.144/s at 1080p [EB], in credits at EvoLink's 68 per $ (API_NOTES 6):
# the simulator's own reading (EvoLink's credit rate for 2.7 was not retrieved). Billed: input
# video + output seconds [E27]; the 2.6 cap of 5 s of input in all is assumed, split evenly.
CREDITS_PER_SECOND = {"720p": Decimal("0.086") * 68, "1080p": Decimal("0.144") * 68}
INPUT_CAP = Decimal(5)


def is_wan27(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("model") == MODEL


def _bad(message: str, param: str) -> Refusal:
    return Refusal(400, message, param)


def _urls(payload: dict[str, Any], name: str) -> list[str] | Refusal:
    value = payload.get(name, [])
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        return _bad(f"{name} must be an array of URL strings", name)
    for url in value:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            return _bad(f"{name} must be http(s) URLs; {url!r} is not", name)
    return value


def _check_references(payload: dict[str, Any]) -> Refusal | None:
    videos, images = _urls(payload, "video_urls"), _urls(payload, "image_urls")
    for checked in (videos, images):
        if isinstance(checked, Refusal):
            return checked
    assert isinstance(videos, list) and isinstance(images, list)
    if not videos and not images:
        return _bad(
            "At least one of image_urls or video_urls is required (image_start alone is not enough)",
            "image_urls",
        )
    if len(videos) + len(images) > MAX_REFERENCES:
        return _bad(f"image_urls + video_urls must hold at most {MAX_REFERENCES} URLs in all", "image_urls")
    voices = _urls(payload, "audio_urls")
    if isinstance(voices, Refusal):
        return voices
    if len(voices) > len(videos) + len(images):
        return _bad("audio_urls must not hold more voices than there are references", "audio_urls")
    params = payload.get("model_params", {})
    if not isinstance(params, dict):
        return _bad("model_params must be an object", "model_params")
    if params:
        return _bad(
            f"Unknown parameter: model_params.{sorted(params)[0]}", f"model_params.{sorted(params)[0]}"
        )
    return None


def _check_settings(payload: dict[str, Any], has_video: bool) -> Refusal | None:
    prompt = payload.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _bad("prompt is required and must not be empty", "prompt")
    if len(prompt) > PROMPT_MAX:
        return _bad(f"prompt must be at most {PROMPT_MAX} characters (it has {len(prompt)})", "prompt")
    negative = payload.get("negative_prompt")
    if negative is not None and (not isinstance(negative, str) or len(negative) > NEGATIVE_PROMPT_MAX):
        return _bad(
            f"negative_prompt must be a string of at most {NEGATIVE_PROMPT_MAX} characters", "negative_prompt"
        )
    body = {**DEFAULTS, **payload}
    if body["quality"] not in QUALITIES:
        return _bad("quality must be 720p or 1080p", "quality")
    if body["aspect_ratio"] not in ASPECT_RATIOS:
        return _bad(f"aspect_ratio must be {', '.join(ASPECT_RATIOS)}", "aspect_ratio")
    durations = DURATIONS_WITH_VIDEO if has_video else DURATIONS
    duration = body["duration"]
    if not isinstance(duration, int) or isinstance(duration, bool) or duration not in durations:
        low, high = durations[0], durations[-1]
        with_video = " with a reference video" if has_video else ""
        return _bad(f"duration must be a whole number from {low} to {high}{with_video}", "duration")
    return None


def check(payload: dict[str, Any], *, allow_loopback_callbacks: bool = False) -> Refusal | None:
    """The first thing EvoLink would refuse in a `wan2.7-reference-video` create, or None."""
    extra = sorted(set(payload) - set(_FIELDS))
    if extra:
        return _bad(f"Unknown parameter: {extra[0]}", extra[0])
    refused = _check_references(payload) or _check_settings(payload, bool(payload.get("video_urls")))
    if refused:
        return refused
    callback = payload.get("callback_url")
    if callback is not None:
        parts = urlsplit(str(callback))
        host = parts.hostname or ""
        loopback = allow_loopback_callbacks and parts.scheme in ("http", "https") and internal_host(host)
        if not loopback and (parts.scheme != "https" or not host or internal_host(host)):
            return _bad("callback_url must be a public https:// URL", "callback_url")
    return None


def with_defaults(payload: dict[str, Any]) -> dict[str, Any]:
    """The create with every omitted field filled in (and the references in character order)."""
    return {
        **DEFAULTS,
        "video_urls": [],
        "image_urls": [],
        "audio_urls": [],
        **payload,
        "model_params": {"shot_type": "single"},  # for the record only: 2.7 has no shot type
    }


def charge(video_seconds: list[float], quality: str, output_seconds: int) -> Decimal:
    """Credits for a successful task: input video seconds (5 s in all) + output seconds."""
    cap = INPUT_CAP / len(video_seconds) if video_seconds else Decimal(0)
    billed = sum((min(Decimal(str(d)), cap) for d in video_seconds), Decimal(0)) + output_seconds
    return (billed * CREDITS_PER_SECOND[quality]).quantize(Decimal("0.01"), ROUND_HALF_UP)
