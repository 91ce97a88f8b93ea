"""The provider catalogue: one module per provider (its entries, as data) and the registry.

    profile = effective_profile(settings)          # WAN_PROVIDER (+ WAN_DASHSCOPE_REGION)
    flash = profile.with_model("flash")            # the same provider, another model variant
    flash.prices, flash.variant.wire, flash.reference.max_bytes

A provider's catalogue entry (`<key>.py`) holds its profiles: hosts, prices with source and
date, model variants, limits, durations, prompt naming, demo dialect, and its error dialect
(`ERRORS`). Its adapter (`wanvideo/adapters/<key>.py`) holds the wire. The registry below
lists the modules explicitly; nothing is imported by name.

| module      | key (WAN_PROVIDER) | profile names                      | adapter   |
|-------------|--------------------|------------------------------------|-----------|
| `evolink`   | evolink, odkkk, demo | `evolink`, `odkkk`, `demo`       | evolink   |
| `dashscope` | dashscope (+ WAN_DASHSCOPE_REGION) | `dashscope-<region>` | dashscope |
| `fal`       | fal                | `fal`                              | fal       |

A profile's `name` is what a task record keeps (`TaskRecord.provider`); records of every
earlier version keep the same names, so they stay readable.
"""

from __future__ import annotations

from typing import Protocol

from . import dashscope, evolink, fal
from .dashscope import CNY_PER_USD, DASHSCOPE_REGION_NAMES, DASHSCOPE_REGIONS, DEFAULT_DASHSCOPE_REGION
from .evolink import EVOLINK_INPUT_CAPS, EVOLINK_PRICES
from .profile import (
    ASPECT_RATIOS,
    CONTROLS,
    DEFAULT_DURATIONS,
    FLASH,
    GENERATION_TIME,
    MAX_CALLBACK_URL_CHARS,
    MAX_CHARACTERS,
    MAX_IMAGES,
    MAX_PROMPT_CHARS,
    MAX_REFERENCE_BYTES,
    MAX_REFERENCE_SECONDS,
    MAX_REFERENCES,
    MIN_REFERENCE_SECONDS,
    MODEL_NAME,
    NEGATIVE_PROMPT_MAX,
    OUTPUT_SIZES,
    QUALITIES,
    REFERENCE_LIMITS,
    SEED_MAX,
    SHOT_TYPES,
    SPLIT_INPUT_CAPS,
    STANDARD,
    WAN27,
    ErrorDialect,
    GenerationTime,
    ModelVariant,
    PriceTable,
    ProviderProfile,
    ReferenceNaming,
    ReferenceRules,
    duration_rule,
    reference_count_problem,
)

__all__ = [
    "ASPECT_RATIOS",
    "CNY_PER_USD",
    "DASHSCOPE_REGIONS",
    "DASHSCOPE_REGION_NAMES",
    "DEFAULT_DASHSCOPE_REGION",
    "DEFAULT_DURATIONS",
    "DEFAULT_PROVIDER",
    "DEMO",
    "ERROR_DIALECTS",
    "EVOLINK_INPUT_CAPS",
    "EVOLINK_PRICES",
    "FLASH",
    "GENERATION_TIME",
    "MAX_CALLBACK_URL_CHARS",
    "MAX_PROMPT_CHARS",
    "MAX_REFERENCES",
    "MAX_REFERENCE_BYTES",
    "MAX_REFERENCE_SECONDS",
    "MIN_REFERENCE_SECONDS",
    "CONTROLS",
    "MAX_CHARACTERS",
    "MAX_IMAGES",
    "MODEL_NAME",
    "NEGATIVE_PROMPT_MAX",
    "OUTPUT_SIZES",
    "PROFILES",
    "PROVIDERS",
    "QUALITIES",
    "REAL_PROVIDERS",
    "REFERENCE_LIMITS",
    "REGIONS",
    "SEED_MAX",
    "SHOT_TYPES",
    "SPLIT_INPUT_CAPS",
    "STANDARD",
    "WAN27",
    "ErrorDialect",
    "GenerationTime",
    "ModelVariant",
    "ProfileSettings",
    "PriceTable",
    "ProviderProfile",
    "ReferenceNaming",
    "ReferenceRules",
    "compared_profiles",
    "demo_profiles",
    "duration_rule",
    "effective_profile",
    "get_profile",
    "reference_count_problem",
]

# The catalogue, module by module, in the order providers are listed. Adding a provider adds
# its module here (and its adapter to `wanvideo/adapters/__init__.py`).
_MODULES = (evolink, dashscope, fal)
_ENTRIES: tuple[ProviderProfile, ...] = tuple(p for module in _MODULES for p in module.ENTRIES)

DEMO = evolink.DEMO.name  # the built-in simulator's profile (no key needed)
DEFAULT_PROVIDER = evolink.EVOLINK.provider  # WAN_PROVIDER when a key is given without one

# WAN_PROVIDER key -> its default profile (a provider with regions: its first region).
PROVIDERS: dict[str, ProviderProfile] = {}
for _profile in _ENTRIES:
    PROVIDERS.setdefault(_profile.provider, _profile)

# Key -> region -> profile, for the providers that have regions.
REGIONS: dict[str, dict[str, ProviderProfile]] = {}
for _profile in _ENTRIES:
    if _profile.region is not None:
        REGIONS.setdefault(_profile.provider, {})[_profile.region] = _profile

# Every profile by name (task records keep the name): the real ones, then the demo.
PROFILES: dict[str, ProviderProfile] = {p.name: p for p in _ENTRIES if p.name != DEMO}
PROFILES[DEMO] = PROVIDERS[DEMO]

# The real providers a visitor may pick (with their own key), in the order they are listed.
REAL_PROVIDERS: tuple[str, ...] = tuple(name for name in PROFILES if name != DEMO)

# Every error dialect the client may meet (`errors.error_for_status` reads them in turn).
ERROR_DIALECTS: tuple[ErrorDialect, ...] = tuple(m.ERRORS for m in _MODULES if m.ERRORS is not None)


def demo_profiles() -> dict[str, tuple[str, str | None]]:
    """What plays each provider in demo mode: profile name -> (simulator dialect, region);
    the demo first, then every provider it does not stand in for."""
    return {
        name: (profile.dialect, profile.region)
        for name, profile in ((DEMO, PROFILES[DEMO]), *PROFILES.items())
        if profile.in_demo
    }


def get_profile(name: str, region: str | None = None) -> ProviderProfile:
    """The profile for a WAN_PROVIDER key (`region` for a provider with regions) or a profile name."""
    if name in REGIONS and region is not None:
        regions = REGIONS[name]
        if region not in regions:
            brand = PROVIDERS[name].brand or name
            raise ValueError(f"unknown {brand} region {region!r}; choose one of {', '.join(regions)}")
        return regions[region]
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
    region = settings.dashscope_region if settings.provider in REGIONS else None
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
        if profile.name == DEMO:
            continue
        rows += [profile.with_model(v.id) for v in profile.variants]
    return rows
