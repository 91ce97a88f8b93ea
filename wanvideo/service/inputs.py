"""Form and API values -> plain Python values, or a refusal that names the field.

Pure functions (no gradio import): the cost panel, the generate handler and the history's
Remix all read the form through here, so a value means the same everywhere.

    paths = file_paths(videos)                       # gr.File value -> list of paths
    urls, problems = parse_urls(text)                # one link per line, each checked
    seconds, problem = parse_duration(profile, "5")  # (5, None) | (None, "Duration (s): ...")
    starts, problem = parse_starts("0, 12.5")        # ((0.0, 12.5), None) | ((), "Start at (s): ...")
    fix = parse_fix(None)                            # True: fixing is on unless turned off
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from wanvideo.limits import MAX_LINKS_BOX_CHARS, MAX_LINKS_BOX_LINES, MAX_VARIATIONS
from wanvideo.messages import Message
from wanvideo.providers import MAX_CALLBACK_URL_CHARS, MAX_REFERENCES, ProviderProfile
from wanvideo.providers.choices import read_negative_prompt, read_seed
from wanvideo.schemas import FIELD_LABELS, duration_input_problem, field_problem, starts_input_problem

# The visible labels: the accessible names users and tests rely on (DESIGN.md), and the name a
# refusal gives the field. The domain's refusals use the same words (`FIELD_LABELS`).
PROMPT = FIELD_LABELS["prompt"]
VIDEOS = FIELD_LABELS["videos"]
VIDEO_URLS = FIELD_LABELS["video_urls"]
QUALITY = FIELD_LABELS["quality"]
ASPECT_RATIO = FIELD_LABELS["aspect_ratio"]
DURATION = FIELD_LABELS["duration"]
SHOT_TYPE = FIELD_LABELS["shot_type"]
CALLBACK_URL = FIELD_LABELS["callback_url"]
FIX_REFERENCES = FIELD_LABELS["fix_references"]
REFERENCE_STARTS = FIELD_LABELS["reference_starts"]
API_KEY = Message("field.api_key")
PROVIDER = FIELD_LABELS["provider"]
MODEL = FIELD_LABELS["model"]
IMAGE_URLS = FIELD_LABELS["image_urls"]
VARIATIONS = Message("field.variations")

MAX_LINK_CHARS = MAX_CALLBACK_URL_CHARS  # a reference link longer than this is not a link anyone pasted
_SHOWN_CHARS = 40  # how much of a bad value a refusal repeats


def _shown(value: Any) -> str:
    text = str(value).strip()
    return repr(text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…")


def file_paths(videos: Any) -> list[str]:
    """gr.File(file_count="multiple") gives a list of paths (or None); accept one path too."""
    if not videos:
        return []
    if isinstance(videos, str | bytes) or not isinstance(videos, list | tuple):
        videos = [videos]
    paths = []
    for item in videos:
        path = item.get("path") if isinstance(item, dict) else getattr(item, "path", item)
        if path:
            paths.append(str(path))
    return paths


def _links_text(video_urls: Any) -> str:
    if not video_urls:
        return ""
    if isinstance(video_urls, list | tuple):
        return "\n".join(str(u) for u in video_urls)
    return str(video_urls)


def url_lines(video_urls: Any) -> list[str]:
    """The non-empty lines of the links box (a list is accepted too)."""
    return [line.strip() for line in _links_text(video_urls).splitlines() if line.strip()]


def links_box_problem(video_urls: Any, field: Message = VIDEO_URLS) -> str | None:
    """A refusal naming the field when the links box is larger than any real form
    (`MAX_LINKS_BOX_LINES` lines, `MAX_LINKS_BOX_CHARS` characters); None when it fits.
    Checked before any line is read, so a crafted megabyte costs nothing and answers briefly."""
    text = _links_text(video_urls)
    lines = len(text.splitlines())
    if len(text) <= MAX_LINKS_BOX_CHARS and lines <= MAX_LINKS_BOX_LINES:
        return None
    problem = Message(
        "input.links_box_too_big",
        lines=f"{lines:,}",
        chars=f"{len(text):,}",
        max_lines=MAX_LINKS_BOX_LINES,
        max_chars=f"{MAX_LINKS_BOX_CHARS:,}",
        refs=MAX_REFERENCES,
    )
    return Message("field.problem", field=field, problem=problem)


def link_problem(link: str) -> str | None:
    """Why `link` is not a web address, in words (None when it looks like one)."""
    if len(link) > MAX_LINK_CHARS:
        return Message("input.link_too_long", max=MAX_LINK_CHARS)
    if any(ch.isspace() for ch in link):
        return Message("input.link_spaces")
    try:
        parts = urlsplit(link)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        return Message("input.link_invalid")
    if parts.scheme.lower() not in ("http", "https"):
        return Message("input.link_not_http")
    if not parts.hostname or port == 0:
        return Message("input.link_no_host")
    return None


def parse_urls(video_urls: Any, field: Message = VIDEO_URLS) -> tuple[list[str], list[str]]:
    """The links, and one problem per malformed line (naming the field and the line); an
    oversized box is one refusal and no links. `field`: the box's label (video or photo links)."""
    oversized = links_box_problem(video_urls, field)
    if oversized:
        return [], [oversized]
    urls, problems = [], []
    for number, line in enumerate(url_lines(video_urls), start=1):
        why = link_problem(line)
        if why:
            line_problem = Message("input.link_line", number=number, value=_shown(line), why=why)
            problems.append(Message("field.problem", field=field, problem=line_problem))
        else:
            urls.append(line)
    return urls, problems


def parse_duration(profile: ProviderProfile, duration: Any) -> tuple[int | None, str | None]:
    """Seconds of output the provider offers, or a refusal naming the field and the choices.
    Empty means the profile's default; the rule itself is `wanvideo.schemas.read_duration`."""
    if duration is None or (isinstance(duration, str) and not duration.strip()):
        return profile.default_duration, None
    return duration_input_problem(duration, profile)


def parse_starts(value: Any) -> tuple[tuple[float, ...], str | None]:
    """Where each reference's window starts ("0, 12.5"; empty: all at 0), or a refusal naming
    the field; the rule itself is `wanvideo.schemas.read_starts`."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        value = [value]
    return starts_input_problem(value)


def parse_fix(value: Any) -> bool:
    """The fix_references flag from a form or an API call: on unless clearly turned off."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return True if value is None else bool(value)


def voice_paths(voices: Any) -> list[str | None]:
    """The voices by character: from the API a list of files (the i-th is the i-th
    character's), from the page one entry per card (None where a card has none)."""
    if not voices:
        return []
    items = (
        [voices] if isinstance(voices, str | bytes | dict) or not isinstance(voices, list | tuple) else voices
    )
    paths = [file_paths(item)[0] if file_paths(item) else None for item in items]
    while paths and paths[-1] is None:
        paths.pop()
    return paths


def parse_flag(value: Any) -> bool | None:
    """An on/off control from a form or an API call; None (empty) is the model's default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)


def parse_controls(seed: Any, negative_prompt: Any, **flags: Any) -> tuple[dict[str, Any], list[str]]:
    """The generation controls as the request takes them, and a refusal naming each bad one."""
    controls: dict[str, Any] = {name: parse_flag(value) for name, value in flags.items()}
    problems: list[str] = []
    for name, value, read in (
        ("seed", seed, read_seed),
        ("negative_prompt", negative_prompt, read_negative_prompt),
    ):
        try:
            controls[name] = read(value)
        except ValueError as exc:
            controls[name] = None
            problems.append(field_problem(name, exc))
    return controls, problems


def parse_variations(value: Any) -> tuple[int, str | None]:
    """How many variations (1 to MAX_VARIATIONS; empty: 1), or a refusal naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1, None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if isinstance(value, bool) or not number.is_integer() or not 1 <= number <= MAX_VARIATIONS:
        problem = Message("input.variations", max=MAX_VARIATIONS, value=_shown(value))
        return 1, Message("field.problem", field=VARIATIONS, problem=problem)
    return int(number), None


def character_names(value: Any) -> list[str]:
    """The cast characters asked for, in order: a list, or text with commas or lines."""
    if not value:
        return []
    items = value if isinstance(value, list | tuple) else str(value).replace(",", "\n").splitlines()
    return [str(item).strip() for item in items if str(item).strip()]
