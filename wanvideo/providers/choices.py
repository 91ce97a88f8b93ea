"""What a person may ask of a pick beyond the videos (Wan 2.7 and the image references): the
counts of videos and images, voices, and the generation controls (seed, negative prompt,
prompt expansion, audio, watermark), as rules `schemas.GenerationRequest` applies.

Each problem is (field, message) so the caller names the field in its own words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..limits import MAX_PROMPT_CHARS, MAX_REFERENCES
from ..messages import Message, echoed
from .profile import (
    CONTROLS,
    MAX_CHARACTERS,
    MAX_IMAGES,
    NEGATIVE_PROMPT_MAX,
    SEED_MAX,
    ProviderProfile,
    ReferenceRules,
)

MAX_START_SECONDS = 24 * 3600.0  # no clip the app takes is longer than a day
# What any pick takes at most, checked without a profile (each pick's own rules with one).
ANY_PICK = ReferenceRules(
    max_videos=MAX_REFERENCES, min_videos=0, max_images=MAX_IMAGES, max_total=MAX_CHARACTERS
)


def prompt_max_for(profiles: Mapping[str, ProviderProfile], model: str | None) -> int:
    """The prompt limit of a model id without a profile: the largest of the variants so named."""
    limits = [v.prompt_max for p in profiles.values() for v in p.variants if v.id == model]
    return max(limits) if model is not None and limits else MAX_PROMPT_CHARS


def durations_for(profiles: Mapping[str, ProviderProfile], model: str | None) -> tuple[int, ...]:
    """The durations a model id is sold with anywhere (without a profile); None: any model's."""
    found = {
        d
        for p in profiles.values()
        for v in p.variants
        if model is None or v.id == model
        for d in (v.durations or p.base_durations or p.durations)
    }
    return tuple(sorted(found))


def read_starts(value: Any) -> tuple[float, ...]:
    """Seconds where each reference's window starts, in reference order, from "0, 12.5",
    "0 12.5", a list, or nothing (all at 0). Raises ValueError with a sentence naming the
    bad value (`starts_input_problem` adds the field's label)."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = [v for v in value.replace(",", " ").replace(";", " ").split() if v]
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        items = [value]
    else:
        raise ValueError(Message("input.starts_not_list", value=echoed(value)))
    starts = []
    for item in items:
        shown = echoed(item, 20)
        try:
            number = float(item) if item is not None and not isinstance(item, bool) else math.nan
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not math.isfinite(number) or number < 0 or number > MAX_START_SECONDS:
            raise ValueError(Message("input.start_not_number", value=shown))
        starts.append(number)
    return tuple(starts)


def read_paths(value: Any) -> Any:
    """Local paths from a list (empty entries skipped)."""
    return tuple(v for v in value if v) if isinstance(value, list | tuple) else value


def read_voices(value: Any) -> Any:
    """Voices by character: a path, or None (an empty entry) where a character has none."""
    return tuple(v if v else None for v in value) if isinstance(value, list | tuple) else value


def read_seed(value: Any) -> int | None:
    """A seed from any form or API input ("", None: none), 0..SEED_MAX; ValueError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(Message("input.seed_range", max=SEED_MAX))
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(Message("input.seed_range", max=SEED_MAX)) from None
    if not 0 <= number <= SEED_MAX:
        raise ValueError(Message("input.seed_range", max=SEED_MAX))
    return number


def read_negative_prompt(value: str | None) -> str | None:
    """Blank is none; longer than NEGATIVE_PROMPT_MAX is refused (providers cut it silently)."""
    if value is None or not value.strip():
        return None
    if len(value) > NEGATIVE_PROMPT_MAX:
        raise ValueError(Message("input.negative_prompt_too_long", count=len(value), max=NEGATIVE_PROMPT_MAX))
    return value


def choice_problems(
    chosen: ProviderProfile,
    *,
    videos: int,
    images: int,
    voices: int,
    duration: int,
    shot_type: str,
    controls: Mapping[str, object],
) -> list[tuple[str, Message]]:
    """The pick's counts, voices, duration ceiling with a video and controls. A control the pick
    does not take is refused with the reason, never dropped (audio on is what every model does
    anyway, so it is never refused)."""
    rules, label = chosen.reference, chosen.label
    problems: list[tuple[str, Message]] = []
    count = rules.count_problem(videos, images, label)
    if count:
        problems.append(("images" if images else "videos", count))
    voice = rules.voice_problem(voices, videos + images, label)
    if voice:
        problems.append(("voices", voice))
    longer = chosen.duration_with_video_problem(duration, videos)
    if longer:
        problems.append(("duration", longer))
    if shot_type != "single" and not rules.shot_type:
        problems.append(
            ("shot_type", Message("control.not_taken", control=Message("field.shot_type"), provider=label))
        )
    for control in CONTROLS:
        value = controls.get(control)
        if value is None or (control == "audio" and value is True):
            continue
        reason = rules.control_reason(control, label)
        if reason:
            problems.append((control, reason))
    return problems


class CreateExtras(BaseModel):
    """What a create carries beyond the common 2.6 body (image references, Wan 2.7)."""

    model_config = ConfigDict(extra="forbid")

    image_urls: list[str] = Field(default_factory=list, max_length=MAX_IMAGES)
    # By character (videos, then images): the uploaded voice's URL, or None.
    voice_urls: list[str | None] = Field(default_factory=list, max_length=MAX_CHARACTERS)
    seed: int | None = Field(default=None, ge=0, le=SEED_MAX)
    negative_prompt: str | None = Field(default=None, max_length=NEGATIVE_PROMPT_MAX)
    prompt_extend: bool | None = None
    audio: bool | None = None
    watermark: bool | None = None
