"""DashScope's `wan2.7-r2v` create body (the "new protocol"), written from ../shared/MODELS.md
section 4 [A27, AP] and never from the client's profiles:

    {model, input: {prompt, negative_prompt?, media: [{type, url, reference_voice?}]},
     parameters: {resolution, ratio, duration, prompt_extend, watermark, seed}}

`media[]` items are `reference_image` / `reference_video` (at most 5 together, at least one)
and `first_frame` (at most one); a `reference_voice` (wav/mp3, 1-10 s, at most 15 MB) may sit
on a reference item. There is no `size`, `shot_type` or `audio` (2.7 always has sound [A27
FAQ]): those are refused with DashScope's words. Durations: 2-10 s with any reference video,
2-15 s without (A27; the model list says 2-10 only: open point, A27 followed).

    body = check_body(payload, region)    # MediaBody, or rules.Refused
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import dashscope_rules as rules

MODEL = rules.WAN27
PROMPT_MAX = 5000  # truncated silently [A27]
RESOLUTIONS = {"720P": 720, "1080P": 1080}
DEFAULT_RESOLUTION = "1080P"  # [A27]
RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
MAX_REFERENCES = 5
MEDIA_TYPES = ("reference_image", "reference_video", "first_frame")
_INPUT = ("prompt", "negative_prompt", "media")
_PARAMETERS = ("resolution", "ratio", "duration", "prompt_extend", "watermark", "seed")
_NOT_ON_27 = {
    "size": "wan2.7-r2v takes resolution and ratio, not size",
    "shot_type": "wan2.7-r2v does not support shot_type; describe the shots in the prompt",
    "audio": "wan2.7-r2v always outputs sound; audio is not a parameter",
}


@dataclass(frozen=True)
class MediaBody(rules.CreateBody):
    """A valid wan2.7 create: `urls` are the media's URLs in order, with their types and voices."""

    kinds: tuple[str, ...] = ()
    voices: tuple[str | None, ...] = ()

    @property
    def uses_oss(self) -> bool:
        return any(u.startswith("oss://") for u in [*self.urls, *(v for v in self.voices if v)])


def is_wan27(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("model") == MODEL


def _bad(message: str) -> rules.Refused:
    return rules.Refused(400, "InvalidParameter", message)


def _url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://", "oss://", "data:"))


def _media(items: Any) -> tuple[list[str], list[str], list[str | None]] | rules.Refused:
    if not isinstance(items, list) or not items:
        return _bad("input.media is required: at least one reference_image or reference_video")
    urls, kinds, voices = [], [], []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return _bad(f"input.media[{i}] must be an object")
        extra = sorted(set(item) - {"type", "url", "reference_voice"})
        if extra:
            return _bad(f"Unknown parameter: input.media[{i}].{extra[0]}")
        kind = item.get("type")
        if kind not in MEDIA_TYPES:
            return _bad(f"input.media[{i}].type must be one of {', '.join(MEDIA_TYPES)}")
        if not _url(item.get("url")) or (kind == "reference_video" and item["url"].startswith("data:")):
            return _bad(f"input.media[{i}].url must be a public http(s) URL or an oss:// temporary URL")
        voice = item.get("reference_voice")
        if voice is not None and (kind == "first_frame" or not _url(voice) or voice.startswith("data:")):
            return _bad(f"input.media[{i}].reference_voice must be an audio URL on a reference item")
        urls.append(item["url"])
        kinds.append(kind)
        voices.append(voice)
    references = sum(1 for k in kinds if k != "first_frame")
    if not references:
        return _bad("input.media needs at least one reference_image or reference_video")
    if references > MAX_REFERENCES:
        return _bad(
            f"input.media holds {references} references; at most {MAX_REFERENCES} images and videos in all"
        )
    if kinds.count("first_frame") > 1:
        return _bad("input.media holds more than one first_frame")
    return urls, kinds, voices


def _parameters(params: dict[str, Any], has_video: bool) -> dict[str, Any] | rules.Refused:
    for name, why in _NOT_ON_27.items():
        if name in params:
            return _bad(f"Unknown parameter: parameters.{name} ({why})")
    extra = sorted(set(params) - set(_PARAMETERS))
    if extra:
        return _bad(f"Unknown parameter: parameters.{extra[0]}")
    resolution = params.get("resolution", DEFAULT_RESOLUTION)
    if resolution not in RESOLUTIONS:
        return _bad("parameters.resolution must be 720P or 1080P")
    ratio = params.get("ratio", "16:9")
    if ratio not in RATIOS:
        return _bad(f"parameters.ratio must be one of {', '.join(RATIOS)}")
    high = 10 if has_video else 15
    duration = params.get("duration", rules.DEFAULT_DURATION)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 2 <= duration <= high:
        with_video = " with a reference video" if has_video else ""
        return _bad(f"parameters.duration must be a whole number of seconds from 2 to {high}{with_video}")
    for name in ("watermark", "prompt_extend"):
        if name in params and not isinstance(params[name], bool):
            return _bad(f"parameters.{name} must be true or false")
    seed = params.get("seed")
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= rules.SEED_MAX
    ):
        return _bad(f"parameters.seed must be a whole number from 0 to {rules.SEED_MAX}")
    tier = RESOLUTIONS[resolution]
    size = next(s for s, (t, r) in rules.SIZES.items() if t == tier and r == ratio)
    return {
        "size": size,
        "tier": tier,
        "aspect_ratio": ratio,
        "duration": duration,
        "shot_type": "single",
        "audio": True,
        "watermark": params.get("watermark", False),
        "seed": seed,
        "prompt_extend": params.get("prompt_extend", True),
    }


def check_body(payload: dict[str, Any], region: rules.Region) -> MediaBody | rules.Refused:
    """The wan2.7 create with defaults, or the first thing DashScope would refuse in it."""
    extra = sorted(set(payload) - {"model", "input", "parameters"})
    if extra:
        return _bad(f"Unknown parameter: {extra[0]}")
    if MODEL not in region.models:
        return rules.Refused(
            404, "ModelNotFound", f"{rules.MODEL_NOT_FOUND} ({MODEL} is not deployed in {region.label})"
        )
    inp = payload.get("input")
    if not isinstance(inp, dict):
        return _bad("input is required and must be an object")
    extra = sorted(set(inp) - set(_INPUT))
    if extra:
        return _bad(f"Unknown parameter: input.{extra[0]}")
    prompt, negative = inp.get("prompt"), inp.get("negative_prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return _bad("input.prompt is required and must not be empty")
    if negative is not None and not isinstance(negative, str):
        return _bad("input.negative_prompt must be a string")
    media = _media(inp.get("media"))
    if isinstance(media, rules.Refused):
        return media
    urls, kinds, voices = media
    params = payload.get("parameters", {})
    if not isinstance(params, dict):
        return _bad("parameters must be an object")
    checked = _parameters(params, "reference_video" in kinds)
    if isinstance(checked, rules.Refused):
        return checked
    return MediaBody(
        model=MODEL,
        prompt=prompt[:PROMPT_MAX],
        orig_prompt=prompt,
        negative_prompt=negative[: rules.NEGATIVE_PROMPT_MAX] if negative is not None else None,
        urls=urls,
        legacy_field=False,
        kinds=tuple(kinds),
        voices=tuple(voices),
        **checked,
    )


def media_problem(references: list[Any], body: MediaBody) -> str | None:
    """A media item whose file is not what its type says (an image sent as a reference_video)."""
    for i, (reference, kind) in enumerate(zip(references, body.kinds, strict=True)):
        wanted = "video" if kind == "reference_video" else "image"
        if reference.kind != wanted:
            return f"input.media[{i}] is a {kind} but its file is a {reference.kind}"
    return None
