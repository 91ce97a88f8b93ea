"""Provider profiles: one data record per API seller (and, for DashScope, per region).

A profile holds the hosts, every rule that differs between sellers, the model variants with
their price tables, and which adapter speaks its API (`wanvideo/adapters/`). Rules are data
here and are checked before anything is spent (`schemas.GenerationRequest` with
`context={"profile": profile}`, `reference_problems` on the probed references); the adapters
only translate. Prices are data with a date, a source and a `confirmed` flag;
`WAN_PRICES_JSON` overrides any field of the selected variant's table.

    profile = effective_profile(settings)          # WAN_PROVIDER (+ WAN_DASHSCOPE_REGION)
    flash = profile.with_model("flash")            # the same provider, another model variant
    flash.prices, flash.variant.wire, flash.reference.max_bytes

| name                 | adapter   | WAN_PROVIDER                                  |
|----------------------|-----------|-----------------------------------------------|
| `evolink`, `odkkk`   | evolink   | `evolink`, `odkkk`                            |
| `demo`               | evolink   | `demo` (the simulator's EvoLink contract)     |
| `dashscope-<region>` | dashscope | `dashscope` + `WAN_DASHSCOPE_REGION`          |
| `fal`                | fal       | `fal`                                         |

A profile's `name` is what a task record keeps (`TaskRecord.provider`): a DashScope task is
watched only with the region it was created in (a task of another region reads UNKNOWN,
which would look like "gone").
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, InstanceOf

from .limits import (  # noqa: F401  (the API's limits, importable from here too)
    MAX_CALLBACK_URL_CHARS,
    MAX_PROMPT_CHARS,
    MAX_REFERENCE_BYTES,
    MAX_REFERENCE_SECONDS,
    MAX_REFERENCES,
    MIN_REFERENCE_SECONDS,
)
from .messages import Message, echoed, either

if TYPE_CHECKING:
    from .media.result import ProbeResult

MODEL_NAME = "wan2.6-reference-video"
QUALITIES = ("720p", "1080p")
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
SHOT_TYPES = ("single", "multi")
# EvoLink's output durations (any whole second 2..10); also the rule when no profile is known.
DEFAULT_DURATIONS: tuple[int, ...] = tuple(range(2, 11))
STANDARD, FLASH = "standard", "flash"  # model variant ids (what a person or the API picks)
DASHSCOPE_REGION_NAMES = ("singapore", "virginia", "beijing")
DEFAULT_DASHSCOPE_REGION = "singapore"


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


# Output pixel sizes by quality and aspect ratio (API_NOTES.md section 7; DashScope's `size`
# presets are the same ten, written "W*H" [PROVIDERS.md A2]).
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
# evenly (EvoLink's documented rule; DashScope's split is not on an Alibaba page).
EVOLINK_INPUT_CAPS: dict[int, Decimal] = {1: Decimal("5"), 2: Decimal("2.5"), 3: Decimal("1.65")}


class PriceTable(BaseModel):
    """What one model variant costs per billed second, and how seconds are billed.

    `unit` is what the amounts are in: "credits" (EvoLink) or a currency ("USD", "CNY");
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
    input_caps: dict[int, Decimal] | None = Field(default_factory=lambda: dict(EVOLINK_INPUT_CAPS))
    confirmed: bool = True
    input_rule_confirmed: bool = True
    # Reference counts for which the input rule is the provider's word even when it is not
    # confirmed in general (DashScope: one video is min(d, 5); the split of 2-3 is not).
    input_confirmed_counts: tuple[int, ...] = ()
    # Where the price and the reference-seconds rule come from: a Message for the built-in
    # tables (shown in the visitor's language), plain text from WAN_PRICES_JSON.
    input_rule_source: InstanceOf[Message] | str = ""
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


EVOLINK_PRICES = PriceTable(
    credits_per_second_720p=Decimal("4.76"),
    factor_1080p=Decimal("1.67"),
    minimum_credits=Decimal("9"),
    credits_per_usd=Decimal("68"),
    as_of="2026-10-10",
    source=Message("source.evolink_prices"),
    input_rule_source=Message("source.evolink_rule"),
)


class ReferenceRules(BaseModel):
    """What one provider (model variant) takes as a reference video."""

    model_config = ConfigDict(frozen=True)

    min_seconds: float = MIN_REFERENCE_SECONDS
    max_seconds: float = MAX_REFERENCE_SECONDS
    max_bytes: int = MAX_REFERENCE_BYTES
    min_fps: float | None = None
    formats: tuple[str, ...] = ("mp4", "mov")

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
# a generation takes about 1 to 5 minutes (API_NOTES.md 7; PROVIDERS.md A1 [D1]) and EvoLink's create
# answers estimated_time 120 (API_NOTES.md 1). `earliest` is half the documented minimum, so a
# quicker task is still caught within one quick poll.
GENERATION_TIME = GenerationTime(earliest=30.0, typical=120.0)


class ModelVariant(BaseModel):
    """One model a provider sells (standard, flash), with its own rules and prices."""

    model_config = ConfigDict(frozen=True)

    id: str  # STANDARD or FLASH: what a person or the API picks
    label: str
    wire: str  # the provider's own name for it (DashScope's model, fal's endpoint id)
    prices: PriceTable
    prompt_max: int = MAX_PROMPT_CHARS
    reference: ReferenceRules = ReferenceRules()
    # Parameters sent on every create even where they equal the provider's default, so a
    # change of the provider's defaults never changes (or raises the price of) what we ask for.
    explicit_defaults: dict[str, Any] = Field(default_factory=dict)


class ProviderProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    # A Message where the name is words ("Demo (simulated)", a region), shown in the visitor's
    # language; a plain brand name otherwise.
    label: InstanceOf[Message] | str
    api_base_url: str
    short_label: InstanceOf[Message] | str = ""  # for narrow tables ("DashScope Singapore"); default: label
    files_base_url: str
    durations: tuple[int, ...]
    default_duration: int
    # The error envelope's `code`: "string" (EvoLink), "integer" (odkkk); the queue
    # providers answer in their own shapes ("dashscope", "fal").
    error_code_style: str
    # The selected model variant's price table (see `with_model`).
    prices: PriceTable
    adapter: str = "evolink"  # the module of wanvideo/adapters/ that speaks this API
    provider: str = ""  # the WAN_PROVIDER word ("dashscope" for every region); default: name
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
    upload_url_schemes: tuple[str, ...] = ()  # non-http URLs its uploads give (DashScope: oss)
    # Paces the polls when the provider reports no progress or estimate (DashScope, fal); the
    # watcher replaces it with what it observed of this provider's recent runs.
    generation_time: GenerationTime = GENERATION_TIME
    rules_source: str = ""

    # ------------------------------------------------------------------ variants

    @property
    def short(self) -> Message | str:
        return self.short_label or self.label

    @property
    def family(self) -> str:
        return self.provider or self.name

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
            }
        )

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
        (`limits.py`, checked by `media.rules`): fal's 30 MB and 16 fps, for example."""
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

    def prompt_as_sent(self, prompt: str, reference_count: int) -> str:
        """The prompt in the provider's own naming: a person writes character1..3 everywhere;
        fal's schema names references @Video1..3 [PROVIDERS.md B2]. Names beyond the
        references given are left as written."""
        if self.reference_word == "character":
            return prompt

        def swap(match: re.Match[str]) -> str:
            number = int(match.group(1))
            return f"{self.reference_word}{number}" if 1 <= number <= reference_count else match.group(0)

        return re.sub(r"\b[Cc]haracter(\d+)\b", swap, prompt)


# ---------------------------------------------------------------------------- EvoLink family

PROVIDERS: dict[str, ProviderProfile] = {
    "evolink": ProviderProfile(
        name="evolink",
        label="EvoLink",
        api_base_url="https://api.evolink.ai",
        files_base_url="https://files-api.evolink.ai",
        durations=DEFAULT_DURATIONS,
        default_duration=5,
        error_code_style="string",
        prices=EVOLINK_PRICES,
        rules_source="API_NOTES.md 1-6 (EvoLink OpenAPI page)",
    ),
    "odkkk": ProviderProfile(
        name="odkkk",
        label="odkkk",
        api_base_url="https://ai.odkkk.com/apiv1",
        files_base_url="https://files-api.t0ai.cn",
        durations=(5, 10),
        default_duration=5,
        error_code_style="integer",
        prices=EVOLINK_PRICES.model_copy(
            update={
                "source": Message("source.odkkk_prices"),
                "confirmed": False,
            }
        ),
        rules_source="API_NOTES.md 1-6 (odkkk's copy of the EvoLink page)",
    ),
    # The built-in simulator: the EvoLink contract on a local port.
    "demo": ProviderProfile(
        name="demo",
        label=Message("provider.demo"),
        api_base_url="http://127.0.0.1:8900",
        files_base_url="http://127.0.0.1:8900",
        durations=DEFAULT_DURATIONS,
        default_duration=5,
        error_code_style="string",
        prices=EVOLINK_PRICES,
    ),
}

# ---------------------------------------------------------------------------- DashScope [PROVIDERS.md A]

_DASHSCOPE_SPLIT = Message("source.dashscope_rule")  # PROVIDERS.md A6 [D2, D12]
# The zh pricing page's own rate: CNY 0.733924 = USD 0.10 [D2].
CNY_PER_USD = Decimal("7.33924")
_DASHSCOPE_AS_OF = "2026-05-30"  # the docs mirror's commit date [D1, D2]


def _dashscope_prices(
    p720: str, p1080: str, unit: str, source: Message, *, confirmed: bool = True
) -> PriceTable:
    return PriceTable(
        credits_per_second_720p=Decimal(p720),
        credits_per_second_1080p=Decimal(p1080),
        credits_per_usd=Decimal(1) if unit == "USD" else CNY_PER_USD,
        unit=unit,
        input_caps=dict(EVOLINK_INPUT_CAPS),
        confirmed=confirmed,
        input_rule_confirmed=False,
        input_confirmed_counts=(1,),  # one video: min(d, 5) [D2]
        input_rule_source=_DASHSCOPE_SPLIT,
        as_of=_DASHSCOPE_AS_OF,
        source=source,
    )


# Any video in `reference_urls` is 1-30 s, mp4/mov, at most 100 MB [D1, A3]; no fps rule.
_DASHSCOPE_REFERENCE = ReferenceRules(min_seconds=1.0, max_seconds=30.0, max_bytes=100 * 1_000_000)


def _dashscope_variants(prices: dict[str, tuple[str, str]], unit: str, where: Message, **kw: Any):
    variants = [
        ModelVariant(
            id=STANDARD,
            label="wan2.6-r2v",
            wire="wan2.6-r2v",
            prices=_dashscope_prices(
                *prices[STANDARD], unit, Message("source.dashscope_prices", where=where), **kw
            ),
            prompt_max=1500,  # both models; longer text is cut silently, so we refuse it [D1]
            reference=_DASHSCOPE_REFERENCE,
            explicit_defaults={"watermark": False},  # default false [D1]
        )
    ]
    if FLASH in prices:
        variants.append(
            ModelVariant(
                id=FLASH,
                label="wan2.6-r2v-flash (with audio)",
                wire="wan2.6-r2v-flash",
                prices=_dashscope_prices(
                    *prices[FLASH],
                    unit,
                    Message("source.dashscope_flash_prices", where=where),
                    **kw,
                ),
                prompt_max=1500,
                reference=_DASHSCOPE_REFERENCE,
                # flash only: audio defaults to true; sent so the price asked for is the one paid [D1]
                explicit_defaults={"watermark": False, "audio": True},
            )
        )
    return tuple(variants)


def _dashscope(
    region: str, base: str, variants: tuple[ModelVariant, ...], *, durations, local_files: bool
) -> ProviderProfile:
    return ProviderProfile(
        name=f"dashscope-{region}",
        label=Message("provider.dashscope", region=Message(f"region.{region}")),
        short_label=Message("provider.dashscope_short", region=Message(f"region.{region}")),
        provider="dashscope",
        region=region,
        adapter="dashscope",
        api_base_url=base,
        files_base_url=base,  # getPolicy is on the API host [D4]
        files_on_api_host=True,
        durations=durations,
        default_duration=5,
        error_code_style="dashscope",
        prices=variants[0].prices,
        models=variants,
        prompt_max=variants[0].prompt_max,
        reference=variants[0].reference,
        local_files=local_files,
        callbacks=False,  # no per-request callback (EventBridge is per account) [A8]
        cancel="pending",  # POST /api/v1/tasks/{id}/cancel, PENDING only [D5]
        idempotent_create=False,  # no idempotency key is documented
        reference_word="character",
        upload_url_schemes=("oss",),  # the temporary upload's oss:// URLs [D4]
        rules_source="PROVIDERS.md A (Alibaba's wan2.6-r2v reference [D1])",
    )


DASHSCOPE_REGIONS: dict[str, ProviderProfile] = {
    "singapore": _dashscope(
        "singapore",
        "https://dashscope-intl.aliyuncs.com",
        # CNY converted at the page's own rate [D2]
        _dashscope_variants(
            {STANDARD: ("0.10", "0.15"), FLASH: ("0.05", "0.075")}, "USD", Message("source.where_singapore")
        ),
        durations=DEFAULT_DURATIONS,  # 2-10 [D1]
        # Open point (sources conflict): the es/pt-br copies of Oct 2026 say the temporary
        # upload works in Singapore; the older EN copies say Beijing only. The newer are followed.
        local_files=True,
    ),
    "virginia": _dashscope(
        "virginia",
        "https://dashscope-us.aliyuncs.com",
        # Only wan2.6-r2v under "Global"; CNY 0.6 / 1.0 [D2]. The USD list price was not found:
        # the CNY price is converted at the zh page's rate and marked unconfirmed.
        _dashscope_variants(
            {STANDARD: ("0.6", "1.0")}, "CNY", Message("source.where_virginia"), confirmed=False
        ),
        # Open point: an earlier digest says Global takes 5 or 10 s only (not re-verified); the
        # safe subset is offered.
        durations=(5, 10),
        local_files=False,  # the temporary upload is never mentioned for Virginia [D4]
    ),
    "beijing": _dashscope(
        "beijing",
        "https://dashscope.aliyuncs.com",
        _dashscope_variants(
            {STANDARD: ("0.6", "1.0"), FLASH: ("0.3", "0.5")}, "CNY", Message("source.where_beijing")
        ),
        durations=DEFAULT_DURATIONS,
        local_files=True,  # [D4]
    ),
}
PROVIDERS["dashscope"] = DASHSCOPE_REGIONS[DEFAULT_DASHSCOPE_REGION]

# ---------------------------------------------------------------------------- fal [PROVIDERS.md B]

_FAL_INPUT = Message("source.fal_rule")  # PROVIDERS.md B6 [F8, F12]
_FAL_AS_OF = "2026-08-02"  # fal-js types @381105e [F2]; the model page [F1]


def _fal_prices(p720: str, p1080: str, source: str) -> PriceTable:
    """fal's price table; `source` names the catalogue's source.fal_<source> (with the rates)."""
    return PriceTable(
        credits_per_second_720p=Decimal(p720),
        credits_per_second_1080p=Decimal(p1080),
        unit="USD",
        input_caps=None,  # working assumption: output seconds only
        input_rule_confirmed=False,
        input_rule_source=_FAL_INPUT,
        as_of=_FAL_AS_OF,
        source=Message(f"source.fal_{source}", p720=p720, p1080=p1080),
    )


_FAL_DEFAULTS = {
    # fal turns both on by default [F2]; sent explicitly so a change of defaults changes nothing.
    "enable_prompt_expansion": True,
    "enable_safety_checker": True,
}

PROVIDERS["fal"] = ProviderProfile(
    name="fal",
    label="fal.ai",
    short_label="fal",
    adapter="fal",
    api_base_url="https://queue.fal.run",
    files_base_url="https://rest.fal.ai",
    durations=(5, 10),  # "5" or "10", sent as strings [F2]
    default_duration=5,
    error_code_style="fal",
    prices=_fal_prices("0.10", "0.15", "standard"),
    models=(
        ModelVariant(
            id=STANDARD,
            label="wan/v2.6/reference-to-video",
            wire="wan/v2.6/reference-to-video",
            prices=_fal_prices("0.10", "0.15", "standard"),
            # Open point: "Max 800 characters" (llms.txt, types of Apr 2026) or 1500 (types of
            # Aug 2026); the newest official types are followed. A longer prompt is refused by
            # fal's runner (422, not charged), not cut.
            prompt_max=1500,
            # mp4/mov, 2-30 s, at most 30 MB, at least 16 fps [F1, F2, B3]
            reference=ReferenceRules(
                min_seconds=2.0, max_seconds=30.0, max_bytes=30 * 1_000_000, min_fps=16.0
            ),
            explicit_defaults=_FAL_DEFAULTS,
        ),
        ModelVariant(
            id=FLASH,
            label="wan/v2.6/reference-to-video/flash (with audio)",
            wire="wan/v2.6/reference-to-video/flash",
            # half of standard with audio [F11]
            prices=_fal_prices("0.05", "0.075", "flash"),
            prompt_max=1500,  # [F2, F11]
            # flash: 1-30 s, at most 100 MB, at least 16 fps [F11, B3]
            reference=ReferenceRules(
                min_seconds=1.0, max_seconds=30.0, max_bytes=100 * 1_000_000, min_fps=16.0
            ),
            explicit_defaults={**_FAL_DEFAULTS, "generate_audio": True},
        ),
    ),
    prompt_max=1500,
    reference=ReferenceRules(min_seconds=2.0, max_seconds=30.0, max_bytes=30 * 1_000_000, min_fps=16.0),
    local_files=True,  # storage upload: initiate, then PUT [F3]
    callbacks=True,  # ?fal_webhook=<url> [F5]
    cancel="queued",  # PUT cancel_url removes a queued request [F4]
    idempotent_create=False,  # no idempotency key is documented
    reference_word="@Video",
    rules_source="PROVIDERS.md B (fal's model page [F1] and fal-js types [F2])",
)

# Every profile by name (task records keep the name).
PROFILES: dict[str, ProviderProfile] = {
    p.name: p
    for p in (
        PROVIDERS["evolink"],
        PROVIDERS["odkkk"],
        *DASHSCOPE_REGIONS.values(),
        PROVIDERS["fal"],
        PROVIDERS["demo"],
    )
}


def get_profile(name: str, region: str | None = None) -> ProviderProfile:
    """The profile for a WAN_PROVIDER word (`region` for DashScope) or a profile name."""
    if name == "dashscope" and region is not None:
        if region not in DASHSCOPE_REGIONS:
            raise ValueError(
                f"unknown DashScope region {region!r}; choose one of {', '.join(DASHSCOPE_REGIONS)}"
            )
        return DASHSCOPE_REGIONS[region]
    found = PROVIDERS.get(name) or PROFILES.get(name)
    if found is None:
        raise ValueError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDERS)}")
    return found


class ProfileSettings(Protocol):
    """What `effective_profile` reads of `settings.Settings` (which imports this module to
    check its provider and region names: a Protocol here keeps the import one-way)."""

    provider: str
    dashscope_region: str
    api_base_url: str | None
    files_base_url: str | None
    prices_json: str | None

    @property
    def public_base_url(self) -> str | None: ...


def effective_profile(settings: ProfileSettings) -> ProviderProfile:
    """The configured provider's profile with the host and price overrides from the settings."""
    region = settings.dashscope_region if settings.provider == "dashscope" else None
    return get_profile(settings.provider, region).with_overrides(
        api_base_url=settings.api_base_url,
        files_base_url=settings.files_base_url,
        prices_json=settings.prices_json,
        public_url=settings.public_base_url,
    )


def compared_profiles() -> list[ProviderProfile]:
    """Every real provider (not the demo) with each of its model variants selected in turn:
    the rows of "Compare providers"."""
    rows = []
    for profile in PROFILES.values():
        if profile.name == "demo":
            continue
        rows += [profile.with_model(v.id) for v in profile.variants]
    return rows
