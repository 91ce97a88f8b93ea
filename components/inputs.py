"""Form and API values -> plain Python values, or a refusal that names the field.

Pure functions (no gradio import): the cost panel, the generate handler and the history's
Remix all read the form through here, so a value means the same everywhere.

    paths = file_paths(videos)                       # gr.File value -> list of paths
    urls, problems = parse_urls(text)                # one link per line, each checked
    seconds, problem = parse_duration(profile, "5")  # (5, None) | (None, "Duration (s): ...")
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from wanvideo.providers import MAX_CALLBACK_URL_CHARS, ProviderProfile

# The visible labels: the accessible names users and tests rely on (DESIGN.md), and the name a
# refusal gives the field.
PROMPT = "Prompt"
VIDEOS = "Reference videos"
VIDEO_URLS = "Reference video URLs"
QUALITY = "Quality"
ASPECT_RATIO = "Aspect ratio"
DURATION = "Duration (s)"
SHOT_TYPE = "Shot type"
CALLBACK_URL = "Callback URL"
API_KEY = "API key"

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


def url_lines(video_urls: Any) -> list[str]:
    """The non-empty lines of the links box (a list is accepted too)."""
    if not video_urls:
        return []
    if isinstance(video_urls, list | tuple):
        video_urls = "\n".join(str(u) for u in video_urls)
    return [line.strip() for line in str(video_urls).splitlines() if line.strip()]


def link_problem(link: str) -> str | None:
    """Why `link` is not a web address, in words (None when it looks like one)."""
    if len(link) > MAX_LINK_CHARS:
        return f"is longer than {MAX_LINK_CHARS} characters"
    if any(ch.isspace() for ch in link):
        return "contains spaces"
    try:
        parts = urlsplit(link)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        return "is not a valid web address"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http(s) link"
    if not parts.hostname or port == 0:
        return "has no host name"
    return None


def parse_urls(video_urls: Any) -> tuple[list[str], list[str]]:
    """The links, and one problem per malformed line (naming the field and the line)."""
    urls, problems = [], []
    for number, line in enumerate(url_lines(video_urls), start=1):
        why = link_problem(line)
        if why:
            problems.append(
                f"{VIDEO_URLS}: line {number} ({_shown(line)}) {why}; paste a public https:// link."
            )
        else:
            urls.append(line)
    return urls, problems


def parse_duration(profile: ProviderProfile, duration: Any) -> tuple[int | None, str | None]:
    """Seconds of output the provider offers, or a refusal naming the field and the choices.
    Empty means the profile's default; inf, nan, fractions, negatives and huge values are refused."""
    if duration is None or (isinstance(duration, str) and not duration.strip()):
        return profile.default_duration, None
    choose = f"choose {profile.duration_rule()}."
    if isinstance(duration, bool):
        return None, f"{DURATION}: {_shown(duration)} is not a number of seconds; {choose}"
    try:
        value = float(str(duration).strip().removesuffix("s").strip())
    except (TypeError, ValueError, OverflowError):
        return None, f"{DURATION}: {_shown(duration)} is not a number of seconds; {choose}"
    if not math.isfinite(value):
        return None, f"{DURATION}: {_shown(duration)} is not a finite number of seconds; {choose}"
    if value != math.floor(value):
        return None, f"{DURATION}: {_shown(duration)} is not a whole number of seconds; {choose}"
    seconds = int(value)
    if seconds not in profile.durations:
        shown = f"{seconds} s" if abs(seconds) < 10**6 else _shown(duration)
        return None, f"{DURATION}: {shown} is not offered by {profile.label}; {choose}"
    return seconds, None
