"""Provider profiles: one data record per API seller.

A profile holds the hosts, the rules that differ between sellers and the price table.
Prices are data with a date and a source; `WAN_PRICES_JSON` overrides any field.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from .limits import (  # noqa: F401  (the API's limits, importable from here too)
    MAX_CALLBACK_URL_CHARS,
    MAX_PROMPT_CHARS,
    MAX_REFERENCE_BYTES,
    MAX_REFERENCE_SECONDS,
    MAX_REFERENCES,
    MIN_REFERENCE_SECONDS,
)

if TYPE_CHECKING:
    from .settings import Settings

MODEL_NAME = "wan2.6-reference-video"
QUALITIES = ("720p", "1080p")
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
SHOT_TYPES = ("single", "multi")
# The reference limits in words, for any message or label that states them.
REFERENCE_LIMITS = (
    f"mp4 or mov, {MIN_REFERENCE_SECONDS:g} to {MAX_REFERENCE_SECONDS:g} s, "
    f"at most {MAX_REFERENCE_BYTES // 1_000_000} MB"
)
# EvoLink's output durations (any whole second 2..10); also the rule when no profile is known.
DEFAULT_DURATIONS: tuple[int, ...] = tuple(range(2, 11))


def reference_count_problem(count: int) -> str | None:
    """The reference-count rule (1 to MAX_REFERENCES) in words; None when `count` is fine."""
    if count <= 0:
        return "add at least one reference video (upload a file or paste a URL)"
    if count > MAX_REFERENCES:
        return (
            f"{count} references given; the model takes at most {MAX_REFERENCES}: "
            f"remove {count - MAX_REFERENCES}"
        )
    return None


def duration_rule(durations: tuple[int, ...]) -> str:
    """A set of offered durations in words, for error messages."""
    if durations == tuple(range(durations[0], durations[-1] + 1)):
        return f"a whole number of seconds from {durations[0]} to {durations[-1]}"
    return " or ".join(str(d) for d in durations) + " seconds"


# Output pixel sizes by quality and aspect ratio (API_NOTES.md section 7).
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


class PriceTable(BaseModel):
    """Credits per billed second. 1080p = 720p x `factor_1080p`."""

    model_config = ConfigDict(frozen=True)

    credits_per_second_720p: Decimal
    factor_1080p: Decimal
    minimum_credits: Decimal
    credits_per_usd: Decimal
    as_of: str
    source: str

    def credits_per_second(self, quality: str) -> Decimal:
        if quality == "1080p":
            return self.credits_per_second_720p * self.factor_1080p
        return self.credits_per_second_720p


EVOLINK_PRICES = PriceTable(
    credits_per_second_720p=Decimal("4.76"),
    factor_1080p=Decimal("1.67"),
    minimum_credits=Decimal("9"),
    credits_per_usd=Decimal("68"),
    as_of="2026-10-10",
    source="EvoLink public catalogue snapshot",
)


class ProviderProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    api_base_url: str
    files_base_url: str
    durations: tuple[int, ...]
    default_duration: int
    # The error envelope's `code`: "string" (EvoLink) or "integer" (odkkk).
    error_code_style: str
    prices: PriceTable

    def with_overrides(
        self,
        *,
        api_base_url: str | None = None,
        files_base_url: str | None = None,
        prices_json: str | None = None,
    ) -> ProviderProfile:
        update: dict[str, object] = {}
        if api_base_url:
            update["api_base_url"] = api_base_url
        if files_base_url:
            update["files_base_url"] = files_base_url
        if prices_json:
            overrides = json.loads(prices_json)
            update["prices"] = PriceTable(**{**self.prices.model_dump(), **overrides})
        return self.model_copy(update=update)

    def duration_rule(self) -> str:
        """The duration rule in words, for error messages."""
        return duration_rule(self.durations)

    def duration_problem(self, seconds: int) -> str | None:
        """The output-duration rule of this provider; None when `seconds` is offered.
        (`schemas.read_duration` turns any form input into whole seconds first.)"""
        if seconds in self.durations:
            return None
        return f"{seconds} s is not offered by {self.label}; choose {self.duration_rule()}"


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
            update={"source": "odkkk publishes no prices; EvoLink snapshot used (configurable)"}
        ),
    ),
    # The built-in simulator: the EvoLink contract on a local port.
    "demo": ProviderProfile(
        name="demo",
        label="Demo (simulated)",
        api_base_url="http://127.0.0.1:8900",
        files_base_url="http://127.0.0.1:8900",
        durations=DEFAULT_DURATIONS,
        default_duration=5,
        error_code_style="string",
        prices=EVOLINK_PRICES,
    ),
}


def get_profile(name: str) -> ProviderProfile:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDERS)}") from None


def effective_profile(settings: Settings) -> ProviderProfile:
    """The configured provider's profile with the host and price overrides from the settings."""
    return get_profile(settings.provider).with_overrides(
        api_base_url=settings.api_base_url,
        files_base_url=settings.files_base_url,
        prices_json=settings.prices_json,
    )
