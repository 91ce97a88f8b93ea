"""Pydantic models for the wire format and the app's own request.

- `GenerationRequest`: what a person asks for (local files and/or URLs), every API rule
  checked locally so no money is spent on a request the provider would refuse.
- `CreateTaskBody`: the paid create, provider-neutral: the API's common JSON body as it is, which
  the other adapters translate (`wanvideo/adapters/`).
- `Task`: the task object; tolerant of unknown fields, status case and result shapes (the
  queue providers' answers are normalised into it by their adapters).
- `ErrorEnvelope`: `{"error": {...}}` in both dialects (string or integer `code`).

The provider's rules (durations, prompt length, model variants, local files, callbacks)
apply when validating with `context={"profile": profile}`::

    GenerationRequest.model_validate(data, context={"profile": get_profile(name)})
"""

from __future__ import annotations

import contextlib
import math
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .messages import Message, echoed
from .providers import (
    CONTROLS,
    DEFAULT_DURATIONS,
    MAX_CALLBACK_URL_CHARS,
    MAX_CHARACTERS,
    MAX_REFERENCES,
    MODEL_NAME,
    PROFILES,
    SEED_MAX,
    STANDARD,
    ProviderProfile,
    duration_rule,
    reference_count_problem,
)
from .providers.choices import (
    ANY_PICK,
    CreateExtras,
    choice_problems,
    durations_for,
    prompt_max_for,
    read_negative_prompt,
    read_paths,
    read_seed,
    read_starts,
    read_voices,
)
from .task_status import PROVIDER_OK, PROVIDER_RUNNING
from .urls import is_http_url, literal_internal_reason

Quality = Literal["720p", "1080p"]
AspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]
ShotType = Literal["single", "multi"]

FIELD_LABELS = {
    name: Message(f"field.{name}")  # ids: field.prompt, field.videos, ... (tests check each exists)
    for name in (
        "prompt",
        "videos",
        "video_urls",
        "quality",
        "aspect_ratio",
        "duration",
        "shot_type",
        "callback_url",
        "fix_references",
        "reference_starts",
        "model",
        "provider",
        "images",
        "image_urls",
        "voices",
        *CONTROLS,
    )
}
# The longest prompt any model takes (Wan 2.7: 5000); each model's own limit is checked with
# its profile (`provider_problems`), or by its id without one (`prompt_max_for`).
PROMPT_MAX_ANY = max(v.prompt_max for p in PROFILES.values() for v in p.variants)
ANY_DURATIONS = durations_for(PROFILES, None)  # any model's (Wan 2.7: up to 15 s)


def field_problem(field: str, problem: object) -> Message:
    """ "<field label>: <problem>" as one message (the problem: a Message, or an exception
    whose first argument is one, or plain text)."""
    if isinstance(problem, Exception) and problem.args and isinstance(problem.args[0], Message):
        problem = problem.args[0]
    return Message(
        "field.problem",
        field=FIELD_LABELS.get(field, field),
        problem=problem if isinstance(problem, Message) else str(problem),
    )


def _check_prompt(value: str) -> str:
    if not value.strip():
        raise ValueError(Message("input.prompt_empty"))
    if len(value) > PROMPT_MAX_ANY:
        raise ValueError(Message("input.prompt_too_long", count=len(value), max=PROMPT_MAX_ANY))
    return value


def _check_reference_url(url: str) -> str:
    url = url.strip()
    if not is_http_url(url):
        raise ValueError(Message("input.not_http_link", url=echoed(url, 80)))
    return url


def _check_callback_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_CALLBACK_URL_CHARS:
        raise ValueError(Message("input.callback_too_long", max=MAX_CALLBACK_URL_CHARS))
    if not value.startswith("https://") or not is_http_url(value):
        raise ValueError(Message("input.callback_not_https"))
    reason = literal_internal_reason(urlsplit(value).hostname or "")
    if reason:
        raise ValueError(Message("input.callback_internal", reason=reason))
    return value


def read_duration(value: Any, profile: ProviderProfile | None = None) -> int:
    """Whole output seconds from any form or API input ("5", "5 s", 5.0, 5), checked against
    the provider's offer (`DEFAULT_DURATIONS` without a profile). Raises ValueError with a
    sentence a person can act on: inf, nan, 1e999, negative, fractional and huge values too."""
    durations = profile.durations if profile is not None else DEFAULT_DURATIONS
    choose = Message("input.duration_choose", rule=duration_rule(durations))
    shown = echoed(value)
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError(Message("input.duration_not_number", value=shown, choose=choose))
    text = value.strip().lower().removesuffix("s").strip() if isinstance(value, str) else value
    try:
        number = float(text)
    except (ValueError, OverflowError):  # OverflowError: an int beyond float range
        raise ValueError(Message("input.duration_not_number", value=shown, choose=choose)) from None
    if not math.isfinite(number):
        raise ValueError(Message("input.duration_not_finite", value=shown, choose=choose))
    if number > durations[-1] or number < durations[0]:
        seconds = f"{number:g}" if abs(number) < 1e6 else Message("input.many")
        raise ValueError(
            Message("input.duration_not_offered", seconds=seconds, provider=profile.label, choose=choose)
            if profile is not None
            else Message("input.duration_out_of_range", seconds=seconds, choose=choose)
        )
    if number != int(number):
        raise ValueError(Message("input.duration_not_whole", seconds=f"{number:g}", choose=choose))
    seconds_int = int(number)
    if profile is not None:
        problem = profile.duration_problem(seconds_int)
        if problem:
            raise ValueError(problem)
    elif seconds_int not in durations:
        raise ValueError(Message("input.duration_out_of_range", seconds=seconds_int, choose=choose))
    return seconds_int


def starts_input_problem(value: Any) -> tuple[tuple[float, ...], str | None]:
    """`read_starts` for a form: (starts, None) or ((), "Start at (s): ...")."""
    try:
        return read_starts(value), None
    except ValueError as exc:
        return (), field_problem("reference_starts", exc)


def duration_input_problem(
    value: Any, profile: ProviderProfile | None = None
) -> tuple[int | None, str | None]:
    """`read_duration` for a form: (seconds, None) or (None, "Duration (s): ...")."""
    try:
        return read_duration(value, profile), None
    except ValueError as exc:
        return None, field_problem("duration", exc)


def _check_duration(value: Any, info: ValidationInfo) -> int:
    """Any model's durations here (the chosen model's are checked with the request's model)."""
    profile = (info.context or {}).get("profile")
    try:
        return read_duration(value, profile)
    except ValueError:
        with contextlib.suppress(ValueError):  # else refused in the default model's words
            if profile is None:  # any model's (the model validator checks the request's model)
                return read_duration(value, PROFILES["demo"].model_copy(update={"durations": ANY_DURATIONS}))
            if profile.any_model_durations() is not profile:
                return read_duration(value, profile.any_model_durations())
        raise


def provider_problems(request: GenerationRequest, profile: ProviderProfile) -> list[str]:
    """The profile's own rules a request breaks (each a sentence naming the field); [] when none.
    Durations are checked by `read_duration`; references by `ProviderProfile.reference_problems`."""
    problem = profile.model_problem(request.model)
    if problem:
        return [field_problem("model", problem)]
    chosen = profile.with_model(request.model)
    duration = chosen.duration_problem(request.duration)
    if duration:
        return [field_problem("duration", duration)]
    controls = {c: getattr(request, c) for c in CONTROLS}
    problems = [
        field_problem(field, problem)
        for field, problem in choice_problems(
            chosen,
            videos=request.reference_count,
            images=request.image_count,
            voices=request.voice_count,
            duration=request.duration,
            shot_type=request.shot_type,
            controls=controls,
        )
    ]
    sent = chosen.prompt_as_sent(request.prompt, request.reference_count, request.image_count)
    if len(sent) > chosen.prompt_max:
        too_long = Message(
            "input.prompt_too_long_for", count=len(sent), provider=chosen.label, max=chosen.prompt_max
        )
        problems.append(field_problem("prompt", too_long))
    if request.videos and not (chosen.local_files or chosen.served_files):
        no_upload = Message("links.no_public_address", provider=chosen.label, urls=FIELD_LABELS["video_urls"])
        problems.append(field_problem("videos", no_upload))
    if (request.images or any(request.voices)) and not (chosen.local_files or chosen.served_files):
        no_upload = Message("links.no_public_address", provider=chosen.label, urls=FIELD_LABELS["image_urls"])
        problems.append(field_problem("images" if request.images else "voices", no_upload))
    if request.callback_url and not chosen.callbacks:
        problems.append(field_problem("callback_url", Message("input.no_callback", provider=chosen.label)))
    return problems


def _check_image_urls(value: Any) -> Any:
    """Links from lines or a list (blank lines skipped), each an http(s) URL."""
    if isinstance(value, str):
        value = value.splitlines()
    return tuple(_check_reference_url(u) for u in value if str(u).strip())


class GenerationRequest(BaseModel):
    """One generation as the person asked for it: local files and/or public URLs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str
    videos: tuple[str, ...] = ()  # local file paths, in character order
    video_urls: tuple[str, ...] = ()  # public links, after the local files
    quality: Quality = "720p"
    aspect_ratio: AspectRatio = "16:9"
    duration: int = 5
    shot_type: ShotType = "single"
    callback_url: str | None = None
    # Prepare references the provider would refuse (convert, rotate, trim, shrink).
    fix_references: bool = True
    # Where each reference's 30 s window starts, in reference order (files, then links).
    reference_starts: tuple[float, ...] = ()
    model: str | None = None  # the provider's model variant ("standard", "flash", "wan2.7"); None: default
    # Images after the videos in character order: local files, then links.
    images: tuple[str, ...] = ()
    image_urls: tuple[str, ...] = ()
    # The i-th voice (a local audio file) belongs to the i-th character; None: no voice.
    voices: tuple[str | None, ...] = ()
    # Generation controls; None: the model's default (`ReferenceRules` says which a pick takes).
    seed: int | None = Field(default=None, ge=0, le=SEED_MAX)
    negative_prompt: str | None = None
    prompt_extend: bool | None = None
    audio: bool | None = None
    watermark: bool | None = None

    _prompt = field_validator("prompt")(_check_prompt)
    _starts = field_validator("reference_starts", mode="before")(read_starts)
    _duration = field_validator("duration", mode="before")(_check_duration)
    _callback = field_validator("callback_url")(_check_callback_url)
    _image_urls = field_validator("image_urls", mode="before")(_check_image_urls)

    _images = field_validator("images", mode="before")(read_paths)
    _voices = field_validator("voices", mode="before")(read_voices)
    _seed = field_validator("seed", mode="before")(read_seed)
    _negative = field_validator("negative_prompt")(read_negative_prompt)
    _urls = field_validator("video_urls", mode="before")(_check_image_urls)

    @model_validator(mode="after")
    def _reference_count(self, info: ValidationInfo) -> GenerationRequest:
        if self.image_count:
            problem = ANY_PICK.count_problem(
                self.reference_count, self.image_count, Message("refs.any_model")
            )
        else:
            problem = reference_count_problem(self.reference_count)
        if problem:
            raise ValueError(problem)
        if len(self.voices) > self.character_count:
            extra = len(self.voices) - self.character_count
            raise ValueError(
                field_problem(
                    "voices",
                    Message(
                        "refs.too_many_voices",
                        count=len(self.voices),
                        characters=self.character_count,
                        remove=extra,
                    ),
                )
            )
        profile = (info.context or {}).get("profile")
        if profile is not None:
            problems = provider_problems(self, profile)
            if problems:
                raise ValueError("; ".join(problems))
        elif (offered := durations_for(PROFILES, self.model or STANDARD)) and self.duration not in offered:
            choose = Message("input.duration_choose", rule=duration_rule(offered))
            out = Message("input.duration_out_of_range", seconds=self.duration, choose=choose)
            raise ValueError(field_problem("duration", out))
        elif len(self.prompt) > prompt_max_for(PROFILES, self.model):
            limit = prompt_max_for(PROFILES, self.model)
            raise ValueError(
                field_problem("prompt", Message("input.prompt_too_long", count=len(self.prompt), max=limit))
            )
        return self

    @property
    def reference_count(self) -> int:
        """The reference videos (files, then links): characters 1..reference_count."""
        return len(self.videos) + len(self.video_urls)

    @property
    def image_count(self) -> int:
        """The reference images (files, then links), the characters after the videos."""
        return len(self.images) + len(self.image_urls)

    @property
    def character_count(self) -> int:
        return self.reference_count + self.image_count

    @property
    def voice_count(self) -> int:
        return sum(1 for v in self.voices if v)

    @property
    def character_sources(self) -> list[str]:
        """Every reference in character order: videos (files, links), then images (files, links)."""
        return [*self.videos, *self.video_urls, *self.images, *self.image_urls]


class ModelParams(BaseModel):
    shot_type: ShotType = "single"


class CreateTaskBody(BaseModel):
    """The paid create, as the API's common JSON body; the other adapters translate it.

    Validated with `context={"profile": profile}`, `model` defaults to the profile's selected
    variant (its wire name), and `video_urls` may use the schemes its uploads give (e.g.
    ``oss://``)."""

    model_config = ConfigDict(extra="forbid")

    model: str = MODEL_NAME
    prompt: str
    video_urls: list[str] = Field(default_factory=list, max_length=MAX_REFERENCES)
    aspect_ratio: AspectRatio = "16:9"
    quality: Quality = "720p"
    duration: int = 5
    model_params: ModelParams = Field(default_factory=ModelParams)
    callback_url: str | None = None
    # Images, voices and the controls: the adapters translate them where the pick takes them
    # (the common 2.6 body never carries them, so they are apart from it).
    extras: CreateExtras = Field(default_factory=lambda: CreateExtras())

    _prompt = field_validator("prompt")(_check_prompt)
    _duration = field_validator("duration", mode="before")(_check_duration)
    _callback = field_validator("callback_url")(_check_callback_url)

    @model_validator(mode="before")
    @classmethod
    def _profile_model(cls, data: Any, info: ValidationInfo) -> Any:
        profile = (info.context or {}).get("profile")
        if profile is not None and isinstance(data, dict) and not data.get("model"):
            data = {**data, "model": profile.variant.wire}
        return data

    @field_validator("model")
    @classmethod
    def _model(cls, value: str, info: ValidationInfo) -> str:
        profile = (info.context or {}).get("profile")
        known = [v.wire for v in profile.variants] if profile is not None else [MODEL_NAME]
        if value not in known:
            raise ValueError(
                f"{echoed(value)} is not a model of this provider; choose one of {', '.join(known)}"
            )
        return value

    @field_validator("video_urls")
    @classmethod
    def _urls(cls, value: list[str], info: ValidationInfo) -> list[str]:
        return _sendable_urls(value, info)

    @model_validator(mode="after")
    def _some_reference(self, info: ValidationInfo) -> CreateTaskBody:
        self.extras.image_urls = _sendable_urls(self.extras.image_urls, info)
        total = len(self.video_urls) + len(self.extras.image_urls)
        if not total:
            raise ValueError(Message("refs.none_any"))
        if total > MAX_CHARACTERS:
            raise ValueError(
                Message(
                    "refs.too_many_total",
                    count=total,
                    max=MAX_CHARACTERS,
                    provider=self.model,
                    remove=total - MAX_CHARACTERS,
                )
            )
        return self

    @property
    def image_urls(self) -> list[str]:
        return self.extras.image_urls

    @property
    def voice_by_character(self) -> list[str | None]:
        """A voice URL (or None) for every character, in character order."""
        count = len(self.video_urls) + len(self.extras.image_urls)
        return [*self.extras.voice_urls, *[None] * count][:count]

    def to_json(self) -> dict[str, Any]:
        """The API's common (Wan 2.6) body: the extras are the adapters' to translate."""
        return self.model_dump(exclude_none=True, exclude={"extras"})


def _sendable_urls(value: list[str], info: ValidationInfo) -> list[str]:
    """http(s) links, or the schemes the profile's uploads give (e.g. ``oss://``)."""
    profile = (info.context or {}).get("profile")
    schemes = tuple(f"{s}://" for s in profile.upload_url_schemes) if profile is not None else ()
    return [u if schemes and u.startswith(schemes) else _check_reference_url(u) for u in value]


class TaskError(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str | int | None = None
    message: str | None = None


class TaskInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    can_cancel: bool | None = None
    estimated_time: float | None = None
    video_duration: float | None = None


class Task(BaseModel):
    """A task as the provider reports it. Unknown fields are kept in `model_extra`."""

    model_config = ConfigDict(extra="allow")

    id: str
    status: str = "pending"
    progress: float = 0
    created: int | None = None
    model: str | None = None
    results: list[Any] | None = None
    result_data: list[Any] | None = None
    task_info: TaskInfo | None = None
    error: TaskError | None = None
    usage: dict[str, Any] | None = None
    billing: dict[str, Any] | None = None
    # Set by the queue adapters: the place in the provider's queue (0 = next) and the
    # seconds the provider says it billed (its usage or billable-units figure).
    queue_position: int | None = None
    billed_seconds: Decimal | None = None
    seed: int | None = None  # the seed the provider reports it used (set by the adapters)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        return str(value or "pending").strip().lower()

    @field_validator("progress", mode="before")
    @classmethod
    def _progress(cls, value: Any) -> float:
        try:
            return max(0.0, min(100.0, float(value)))
        except (TypeError, ValueError):
            return 0.0

    @property
    def is_final(self) -> bool:
        """True on any status that will not change again; unknown statuses count as final
        unless they look like a running state, so a poll never runs forever."""
        return self.status not in PROVIDER_RUNNING

    @property
    def succeeded(self) -> bool:
        return self.status in PROVIDER_OK

    @property
    def video_url(self) -> str | None:
        for item in self.results or []:
            if isinstance(item, str) and item:
                return item
            if isinstance(item, dict) and item.get("url"):
                return str(item["url"])
        for item in self.result_data or []:
            if isinstance(item, dict) and item.get("video_url"):
                return str(item["video_url"])
        return None

    @property
    def credits_reserved(self) -> Decimal | None:
        return _decimal((self.usage or {}).get("credits_reserved")) or _decimal(
            (self.billing or {}).get("reserved_credits")
        )

    @property
    def credits_charged(self) -> Decimal | None:
        usage = self.usage or {}
        cost = usage.get("cost") if isinstance(usage.get("cost"), dict) else {}
        for value in (
            (self.billing or {}).get("charged_credits"),
            usage.get("credits_used"),
            cost.get("credits"),
        ):
            found = _decimal(value)
            if found is not None:
                return found
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str | int | None = None
    message: str = ""
    type: str | None = None
    param: str | None = None
    fallback_suggestion: str | None = None


class ErrorEnvelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    error: ErrorDetail


def plain_problems(exc: ValidationError) -> list[str]:
    """Turn a pydantic error into sentences a person can act on."""
    problems = []
    for err in exc.errors():
        loc = err.get("loc") or ()
        label = FIELD_LABELS.get(str(loc[0]), str(loc[0])) if loc else ""
        cause = (err.get("ctx") or {}).get("error")
        msg: str = str(err.get("msg", Message("input.is_invalid"))).removeprefix("Value error, ")
        if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Message):
            msg = cause.args[0]  # our own refusal: keep its id and parameters
        if err.get("type") == "literal_error":
            msg = Message("input.choose_one_of", choices=str(err.get("ctx", {}).get("expected", "")))
        if label:
            problems.append(Message("field.problem", field=label, problem=msg))
        else:
            problems.append(Message("sentence", text=msg))
    return problems
