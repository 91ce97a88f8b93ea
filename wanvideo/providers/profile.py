"""The shared types of the provider catalogue: a provider's profile, its model variants, price
tables, reference rules, generation-time prior and error dialect, and the API's common rules.

Each provider's entries (the data) live in its own module of this package; `__init__` builds
the registry from them. Rules are data here and are checked before anything is spent
(`schemas.GenerationRequest` with `context={"profile": profile}`, `reference_problems` on the
probed references); the adapters only translate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, InstanceOf, model_validator

from ..limits import (  # noqa: F401  (the API's limits, importable from here too)
    MAX_CALLBACK_URL_CHARS,
    MAX_PROMPT_CHARS,
    MAX_REFERENCE_BYTES,
    MAX_REFERENCE_SECONDS,
    MAX_REFERENCES,
    MIN_REFERENCE_SECONDS,
)
from ..messages import Message, echoed, either

if TYPE_CHECKING:
    from ..media.result import ProbeResult

MODEL_NAME = "wan2.6-reference-video"
QUALITIES = ("720p", "1080p")
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
SHOT_TYPES = ("single", "multi")
# The API's output durations (any whole second 2..10); also the rule when no profile is known.
DEFAULT_DURATIONS: tuple[int, ...] = tuple(range(2, 11))
STANDARD, FLASH = "standard", "flash"  # model variant ids (what a person or the API picks)
WAN27 = "wan2.7"  # Wan 2.7 reference-to-video (MODELS.md 3, 4)
# The generation controls a pick may take (`ReferenceRules` says which; the page reads it).
CONTROLS = ("seed", "negative_prompt", "prompt_extend", "audio", "watermark")
SEED_MAX = 2_147_483_647  # [A26, A27]; the seed range every source shares is 1..SEED_MAX
NEGATIVE_PROMPT_MAX = 500  # every source that has one [A26, A27, E27, F26]
# What the page and the API take at most (the largest pick): the variant's rules may be smaller.
MAX_IMAGES = 5
MAX_CHARACTERS = 5


def reference_count_problem(count: int) -> str | None:
    """The reference-count rule (1 to MAX_REFERENCES) in words; None when `count` is fine."""
    if count <= 0:
        return Message("refs.none")
    if count > MAX_REFERENCES:
        return Message("refs.too_many", count=count, max=MAX_REFERENCES, remove=count - MAX_REFERENCES)
    return None


def duration_rule(durations: tuple[int, ...]) -> str:
    """A set of offered durations in words, for error messages."""
    if durations == tuple(range(durations[0], durations[-1] + 1)):
        return Message("duration.rule_range", low=durations[0], high=durations[-1])
    return Message("duration.rule_list", choices=either([str(d) for d in durations]))


# Output pixel sizes by quality and aspect ratio (API_NOTES.md section 7; a provider that takes
# a `size` preset takes the same ten, written "W*H" [PROVIDERS.md A2]).
OUTPUT_SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "720p": {
        "16:9": (1280, 720),
        "9:16": (720, 1280),
        "1:1": (960, 960),
        "4:3": (1088, 832),
        "3:4": (832, 1088),
    },
    "1080p": {
        "16:9": (1920, 1080),
        "9:16": (1080, 1920),
        "1:1": (1440, 1440),
        "4:3": (1632, 1248),
        "3:4": (1248, 1632),
    },
}

# How the billed input seconds are capped per reference, by reference count: 5 s in all, split
# evenly (the reference seller's documented rule, API_NOTES.md; others' tables say whether they
# follow it).
SPLIT_INPUT_CAPS: dict[int, Decimal] = {1: Decimal("5"), 2: Decimal("2.5"), 3: Decimal("1.65")}


class PriceTable(BaseModel):
    """What one model variant costs per billed second, and how seconds are billed.

    `unit` is what the amounts are in: "credits" (a credit seller) or a currency ("USD", "CNY");
    `credits_per_usd` converts it to USD (1 for USD). 1080p = `credits_per_second_1080p`
    when given, else 720p x `factor_1080p`. `input_caps` is the per-reference cap on billed
    input seconds by reference count; None means reference seconds are not billed.
    `confirmed` is False when the price itself is not an official list price;
    `input_rule_confirmed` is False when the provider does not state the input rule.
    """

    model_config = ConfigDict(frozen=True)

    credits_per_second_720p: Decimal
    factor_1080p: Decimal = Decimal(1)
    credits_per_second_1080p: Decimal | None = None
    minimum_credits: Decimal = Decimal(0)
    credits_per_usd: Decimal = Decimal(1)
    unit: str = "credits"
    input_caps: dict[int, Decimal] | None = Field(default_factory=lambda: dict(SPLIT_INPUT_CAPS))
    confirmed: bool = True
    input_rule_confirmed: bool = True
    # Reference counts for which the input rule is the provider's word even when it is not
    # confirmed in general (one video is min(d, 5) in a provider's words; the split of 2-3 is not).
    input_confirmed_counts: tuple[int, ...] = ()
    # Where the price and the reference-seconds rule come from: a Message for the built-in
    # tables (shown in the visitor's language), plain text from WAN_PRICES_JSON.
    input_rule_source: InstanceOf[Message] | str = ""
    # The model takes images without any video (Wan 2.7): then no input seconds are billed.
    images_alone: bool = False
    as_of: str
    source: InstanceOf[Message] | str

    def credits_per_second(self, quality: str) -> Decimal:
        if quality == "1080p":
            if self.credits_per_second_1080p is not None:
                return self.credits_per_second_1080p
            return self.credits_per_second_720p * self.factor_1080p
        return self.credits_per_second_720p

    @property
    def bills_input(self) -> bool:
        return self.input_caps is not None

    def rule_confirmed(self, reference_count: int) -> bool:
        """Is the rule for billed reference seconds the provider's word for this many references?"""
        return self.input_rule_confirmed or reference_count in self.input_confirmed_counts

    def fully_confirmed(self, reference_count: int) -> bool:
        """The price and the rule for reference seconds are both the provider's word."""
        return self.confirmed and self.rule_confirmed(reference_count)


class ReferenceNaming(BaseModel):
    """How a provider and model name each reference in the prompt. A person writes
    character1..N (videos first, then images); `video`/`image` are the names sent, with
    ``{n}`` the number: in one sequence (`shared`), else counted per kind. `zh_video`/`zh_image`
    (when given) are used for a prompt written in Chinese."""

    model_config = ConfigDict(frozen=True)

    video: str = "character{n}"
    image: str = "character{n}"
    shared: bool = True
    zh_video: str = ""
    zh_image: str = ""

    def name(self, character: int, videos: int, *, chinese: bool = False) -> str:
        """The sent name of character `character` (1-based) when there are `videos` videos."""
        is_video = character <= videos
        n = character if self.shared or is_video else character - videos
        form = self.video if is_video else self.image
        if chinese:
            form = (self.zh_video if is_video else self.zh_image) or form
        return form.format(n=n)


class ReferenceRules(BaseModel):
    """What one provider (model variant) takes as a reference video."""

    model_config = ConfigDict(frozen=True)

    min_seconds: float = MIN_REFERENCE_SECONDS
    max_seconds: float = MAX_REFERENCE_SECONDS
    max_bytes: int = MAX_REFERENCE_BYTES
    min_fps: float | None = None
    formats: tuple[str, ...] = ("mp4", "mov")
    # How many of each kind a pick takes (characters: videos, then images).
    max_videos: int = MAX_REFERENCES
    min_videos: int = 1  # some picks need a video (their `video_urls` is required)
    max_images: int = 0
    max_total: int = MAX_REFERENCES
    # A voice per character: "none"; "each" (bound to its character); "single" (only with one
    # character: the provider documents a positional field only, MODELS.md 3c).
    voices: Literal["none", "each", "single"] = "none"
    # The controls this pick takes (`CONTROLS`); the others are shown disabled with the reason.
    seed: bool = False
    negative_prompt: bool = False
    prompt_extend: bool = False
    audio: bool = False  # an audio on/off switch
    watermark: bool = False
    shot_type: bool = True  # `shot_type` single/multi (Wan 2.7 has none: shots go in the prompt)
    naming: ReferenceNaming = Field(default_factory=lambda: ReferenceNaming())

    def takes(self, control: str) -> bool:
        """Does this pick take `control` (one of `CONTROLS`)?"""
        if control not in CONTROLS:
            raise ValueError(f"unknown control {control!r}")
        return bool(getattr(self, control))

    def control_reason(self, control: str, provider: Message | str) -> Message | None:
        """Why `control` is disabled for this pick (None when it applies), in any language."""
        if self.takes(control):
            return None
        return Message("control.not_taken", control=Message(f"field.{control}"), provider=provider)

    def count_problem(self, videos: int, images: int, provider: Message | str) -> Message | None:
        """The count rules for `videos` and `images` (character order), or None."""
        if videos + images <= 0:
            return Message("refs.none_any") if self.max_images else Message("refs.none")
        if images and not self.max_images:
            return Message("refs.no_images", provider=provider, count=images)
        if videos > self.max_videos:
            return Message(
                "refs.too_many_videos",
                count=videos,
                max=self.max_videos,
                provider=provider,
                remove=videos - self.max_videos,
            )
        if images > self.max_images:
            return Message(
                "refs.too_many_images",
                count=images,
                max=self.max_images,
                provider=provider,
                remove=images - self.max_images,
            )
        if videos + images > self.max_total:
            total = videos + images
            return Message(
                "refs.too_many_total",
                count=total,
                max=self.max_total,
                provider=provider,
                remove=total - self.max_total,
            )
        if videos < self.min_videos:
            return Message("refs.needs_video", provider=provider)
        return None

    def voice_problem(self, voices: int, characters: int, provider: Message | str) -> Message | None:
        """`voices` voices given (attached to characters) for `characters` characters, or None."""
        if not voices:
            return None
        if self.voices == "none":
            return Message("refs.no_voices", provider=provider)
        if self.voices == "single" and characters > 1:
            return Message("refs.voice_single", provider=provider, count=characters)
        return None

    def in_words(self) -> Message:
        """ "mp4 or mov, 2 to 30 s, at most 100 MB[, at least 16 fps]" (in any language)."""
        params = {
            "formats": either(self.formats),
            "low": f"{self.min_seconds:g}",
            "high": f"{self.max_seconds:g}",
            "mb": self.max_bytes // 1_000_000,
        }
        if self.min_fps:
            return Message("refs.rules_fps", **params, fps=f"{self.min_fps:g}")
        return Message("refs.rules", **params)


# The API's reference limits in words (any language), for any message that states them.
REFERENCE_LIMITS = ReferenceRules().in_words()


class GenerationTime(BaseModel):
    """How long a generation runs at the provider (from when it leaves the queue to its end),
    for pacing the polls of a task whose provider reports neither progress nor an estimate
    (`client.poll_interval`): few polls before `earliest`, then quick ones."""

    model_config = ConfigDict(frozen=True)

    earliest: float = Field(gt=0)  # s: a task is not expected to end sooner
    typical: float = Field(gt=0)  # s: the usual run; far past it the polls back off again


# The prior, until the app has seen enough of its own runs (`client.expected_generation_time`):
# a generation takes about 1 to 5 minutes (API_NOTES.md 7; PROVIDERS.md A1 [D1]) and the reference
# seller's create answers estimated_time 120 (API_NOTES.md 1). `earliest` is half the documented minimum, so a
# quicker task is still caught within one quick poll.
GENERATION_TIME = GenerationTime(earliest=30.0, typical=120.0)


class ModelVariant(BaseModel):
    """One model a provider sells (standard, flash), with its own rules and prices."""

    model_config = ConfigDict(frozen=True)

    id: str  # STANDARD or FLASH: what a person or the API picks
    label: str
    wire: str  # the provider's own name for it (its model name or endpoint id)
    prices: PriceTable
    prompt_max: int = MAX_PROMPT_CHARS
    reference: ReferenceRules = ReferenceRules()
    # Parameters sent on every create even where they equal the provider's default, so a
    # change of the provider's defaults never changes (or raises the price of) what we ask for.
    explicit_defaults: dict[str, Any] = Field(default_factory=dict)
    # The output durations this model offers (None: the provider's), and the longest one when
    # any reference is a video (None: no such rule; Wan 2.7 takes 2-10 s with a video, 2-15 without).
    durations: tuple[int, ...] | None = None
    max_duration_with_video: int | None = None
    # The price with the audio switched off (a pick whose `reference.audio` is True), or None.
    silent_prices: PriceTable | None = None


class ProviderProfile(BaseModel):
    """One provider (and region) as data: its catalogue entry (`wanvideo/providers/<key>.py`).

    `provider` is the one key that names it everywhere (WAN_PROVIDER, its adapter in
    `wanvideo/adapters/`, its simulator dialect, its messages); `name` is the key, with the
    region where it has regions ("<key>-<region>"), and is what a task record keeps. A
    look-alike of another provider names the adapter it borrows (`adapter`) and the simulator
    dialect that plays it (`dialect`); both default to the key.
    """

    model_config = ConfigDict(frozen=True)

    name: str  # default: the key, with "-<region>" where it has a region
    # A Message where the name is words ("Demo (simulated)", a region), shown in the visitor's
    # language; a plain brand name otherwise.
    label: InstanceOf[Message] | str
    api_base_url: str
    short_label: InstanceOf[Message] | str = ""  # for narrow tables (brand and region); default: label
    files_base_url: str
    durations: tuple[int, ...]
    # The provider's own durations, kept when a model with its own is selected (`with_model`).
    base_durations: tuple[int, ...] = ()
    default_duration: int
    # The selected model variant's price table (see `with_model`).
    prices: PriceTable
    provider: str  # the one key (WAN_PROVIDER; every region of a provider shares it)
    adapter: str = ""  # the key whose adapter speaks this API; default: the key
    # The simulator dialect that plays it (also its error envelope's `code` style where the
    # adapter's contract has two: "string" or "integer"); default: the key.
    dialect: str = ""
    in_demo: bool = True  # offered in demo mode (the demo itself stands in for its original)
    brand: str = ""  # the plain brand name for the API's descriptions; default: the key
    cancel_words: str = ""  # when a task can be cancelled, in the API's words (English)
    region: str | None = None
    model: str = STANDARD  # the selected variant's id
    models: tuple[ModelVariant, ...] = ()  # empty: one standard variant made of the fields here
    prompt_max: int = MAX_PROMPT_CHARS  # the selected variant's
    reference: ReferenceRules = ReferenceRules()  # the selected variant's
    local_files: bool = True  # local files can be uploaded (else: public links only)
    # No upload, but the app serves local files itself from its public address (`links.py`).
    served_files: bool = False
    files_on_api_host: bool = False  # the upload API is on the API host (WAN_API_BASE_URL moves both)
    callbacks: bool = True  # a per-request completion callback exists
    cancel: str = "none"  # when a task can be cancelled: "none", "pending" or "queued"
    idempotent_create: bool = True  # the create honours an Idempotency-Key
    reference_word: str = "character"  # how the provider names reference N in a prompt (+ N)
    upload_url_schemes: tuple[str, ...] = ()  # non-http URLs its uploads give (e.g. oss)
    # How long an upload stays usable, in seconds (the upload cache reuses it until then,
    # `job/uploads.py`); 0: never reused. `upload_model_bound`: usable only with its model.
    upload_lifetime: float = 0.0
    upload_model_bound: bool = False
    # Paces the polls when the provider reports no progress or estimate (a queue provider); the
    # watcher replaces it with what it observed of this provider's recent runs.
    generation_time: GenerationTime = GENERATION_TIME
    rules_source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _derived_names(cls, data: Any) -> Any:
        """`name`, `adapter` and `dialect` follow from the key unless an entry says otherwise."""
        if isinstance(data, dict) and data.get("provider"):
            key, region = data["provider"], data.get("region")
            data = {
                "name": f"{key}-{region}" if region else key,
                **data,
            }
            data["adapter"] = data.get("adapter") or key
            data["dialect"] = data.get("dialect") or key
        if isinstance(data, dict) and data.get("durations") and not data.get("base_durations"):
            data = {**data, "base_durations": tuple(data["durations"])}
        return data

    @property
    def error_code_style(self) -> str:
        """The error envelope's `code` style: the dialect the simulator plays it with."""
        return self.dialect

    # ------------------------------------------------------------------ variants

    @property
    def short(self) -> Message | str:
        return self.short_label or self.label

    @property
    def family(self) -> str:
        """The provider's one key (every region shares it)."""
        return self.provider

    @property
    def variants(self) -> tuple[ModelVariant, ...]:
        if self.models:
            return self.models
        return (
            ModelVariant(
                id=STANDARD,
                label="Standard",
                wire=MODEL_NAME,
                prices=self.prices,
                prompt_max=self.prompt_max,
                reference=self.reference,
            ),
        )

    @property
    def variant(self) -> ModelVariant:
        """The selected model variant."""
        return next(v for v in self.variants if v.id == self.model)

    def model_problem(self, model: str | None) -> str | None:
        """None when `model` (a variant id, or None for the default) is sold here."""
        if model is None or any(v.id == model for v in self.variants):
            return None
        offered = either([v.id for v in self.variants])
        return Message("input.no_model", provider=self.label, model=echoed(model), offered=offered)

    def with_model(self, model: str | None) -> ProviderProfile:
        """This provider with another model variant selected (None: unchanged). Raises
        ValueError for a variant it does not sell."""
        if model is None or model == self.model:
            return self
        problem = self.model_problem(model)
        if problem:
            raise ValueError(problem)
        chosen = next(v for v in self.variants if v.id == model)
        return self.model_copy(
            update={
                "model": chosen.id,
                "prices": chosen.prices,
                "prompt_max": chosen.prompt_max,
                "reference": chosen.reference,
                "durations": chosen.durations or self.base_durations or self.durations,
            }
        )

    def any_model_durations(self) -> ProviderProfile:
        """This profile offering every duration any of its models offers (the form's first
        check, before the model is known; `duration_problem` of the chosen model follows)."""
        every = {*self.durations, *(d for v in self.variants for d in v.durations or ())}
        return (
            self
            if len(every) == len(self.durations)
            else self.model_copy(update={"durations": tuple(sorted(every))})
        )

    def with_audio(self, audio: bool | None) -> ProviderProfile:
        """The selected model priced with its audio off (`audio` False) where it has a silent
        price; unchanged otherwise (None is the model's default: with audio)."""
        silent = self.variant.silent_prices
        if audio is False and silent is not None and self.reference.audio:
            return self.model_copy(update={"prices": silent})
        return self

    def duration_with_video_problem(self, seconds: int, videos: int) -> Message | None:
        """The selected model's shorter ceiling when any reference is a video, or None."""
        ceiling = self.variant.max_duration_with_video
        if videos and ceiling is not None and seconds > ceiling:
            return Message("input.duration_with_video", seconds=seconds, provider=self.label, max=ceiling)
        return None

    # ------------------------------------------------------------------ overrides

    def with_overrides(
        self,
        *,
        api_base_url: str | None = None,
        files_base_url: str | None = None,
        prices_json: str | None = None,
        public_url: str | None = None,
    ) -> ProviderProfile:
        """The profile with a deployment's hosts and prices; with `public_url` (the app's
        public address) a provider without an upload takes local files the app serves."""
        update: dict[str, object] = {}
        if public_url and not self.local_files:
            update["served_files"] = True
        if api_base_url:
            update["api_base_url"] = api_base_url
            if self.files_on_api_host and not files_base_url:
                update["files_base_url"] = api_base_url
        if files_base_url:
            update["files_base_url"] = files_base_url
        if prices_json:
            overrides = json.loads(prices_json)
            prices = PriceTable(**{**self.prices.model_dump(), **overrides})
            update["prices"] = prices
            if self.models:
                update["models"] = tuple(
                    v.model_copy(update={"prices": prices}) if v.id == self.model else v for v in self.models
                )
        return self.model_copy(update=update)

    # ------------------------------------------------------------------ rules in words

    def duration_rule(self) -> str:
        """The duration rule in words, for error messages."""
        return duration_rule(self.durations)

    def duration_problem(self, seconds: int) -> str | None:
        """The output-duration rule of this provider; None when `seconds` is offered.
        (`schemas.read_duration` turns any form input into whole seconds first.)"""
        if seconds in self.durations:
            return None
        choose = Message("input.duration_choose", rule=self.duration_rule())
        return Message("input.duration_not_offered", seconds=seconds, provider=self.label, choose=choose)

    def reference_problems(self, probes: list[ProbeResult] | tuple[ProbeResult, ...]) -> list[str]:
        """This provider's reference rules that are stricter than the API's common ones
        (`limits.py`, checked by `media.rules`): a smaller size cap or an fps floor."""
        rules = self.reference
        problems: list[str] = []
        for probe in probes:
            size = probe.size_bytes
            if size is not None and rules.max_bytes < size <= MAX_REFERENCE_BYTES:
                problems.append(
                    Message(
                        "refs.provider_too_big",
                        name=probe.name,
                        size=f"{size / 1_000_000:.1f}",
                        provider=self.label,
                        max=rules.max_bytes // 1_000_000,
                    )
                )
            if rules.min_fps and probe.fps is not None and probe.fps < rules.min_fps:
                fps, least = f"{probe.fps:g}", f"{rules.min_fps:g}"
                problems.append(Message("refs.fps", name=probe.name, fps=fps, provider=self.label, min=least))
            duration = probe.duration
            if duration is not None and MIN_REFERENCE_SECONDS <= duration < rules.min_seconds:
                low, high = f"{rules.min_seconds:g}", f"{rules.max_seconds:g}"
                lasts = f"{duration:.1f}"
                problems.append(
                    Message(
                        "refs.provider_short",
                        name=probe.name,
                        lasts=lasts,
                        provider=self.label,
                        low=low,
                        high=high,
                    )
                )
        return problems

    def prompt_as_sent(self, prompt: str, reference_count: int, images: int = 0) -> str:
        """The prompt in the provider's own naming (`reference.naming`, one rule): a person
        writes character1..N everywhere (videos first, then images); a provider may name them
        otherwise (@Video1 [PROVIDERS.md B2]; Video 1 / Image 1, 视频1 / 图1 [MODELS.md 3b, 4b]).
        `reference_count` is the number of videos. Names beyond the references given are
        left as written."""
        naming = self.reference.naming
        if naming == ReferenceNaming() and self.reference_word != "character":
            naming = ReferenceNaming(video=self.reference_word + "{n}", image=self.reference_word + "{n}")
        if naming == ReferenceNaming():
            return prompt
        chinese = bool(re.search(r"[\u4e00-\u9fff]", prompt))
        total = reference_count + images

        def swap(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if not 1 <= number <= total:
                return match.group(0)
            return naming.name(number, reference_count, chinese=chinese)

        # ASCII boundaries, so "character1" is found next to Chinese text too.
        return re.sub(r"(?<![A-Za-z0-9_])[Cc]haracter(\d+)(?![0-9])", swap, prompt)


# What an error body says: (message, code, param), or None when the body is not in this shape.
ErrorBodyReader = Callable[[dict], "tuple[str | None, str | None, str | None] | None"]


@dataclass(frozen=True)
class ErrorDialect:
    """How one provider's error bodies look and what its documented codes mean, read by
    `errors.error_for_status` (which sits below the adapters, so this is data here).

    `read` parses the body; `suggestions` maps a code to the catalogue message that says what
    to do; `kinds` maps a code whose meaning differs from the HTTP status to the error it is
    ("auth", "quota", "permission", "rate_limit"); `quota_words` is a (status, word, code) rule
    for an answer whose status misleads; `retryable_header` is a header that says whether a
    retry can help ("true"/"false").
    """

    read: ErrorBodyReader | None = None
    suggestions: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    quota_words: tuple[int, str, str] | None = None
    retryable_header: str | None = None
