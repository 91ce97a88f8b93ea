"""What the form shows about the chosen provider: its model variants with their prices, its
durations and its rules in one line. Pure (no gradio import); money through
`wanvideo.pricing.format_amount`, rules from the profile.

    model_choices(profile)    # [("Standard: $0.10/s at 720p", "standard"), ("Flash: $0.05/s at 720p", "flash")]
    facts(profile)            # "<label>: 5 or 10 seconds; references mp4 or mov, ..., at least 16 fps. ..."
    reference_hint(profile)   # the hint under the references, with the pick's reference rules
"""

from __future__ import annotations

from wanvideo.media.prepare import MAX_SOURCE_BYTES
from wanvideo.messages import CATALOGUE, EN, Message
from wanvideo.messages import render as tr
from wanvideo.pricing import format_rate
from wanvideo.providers import MAX_REFERENCES, QUALITIES, ModelVariant, ProviderProfile

# Visible text: the catalogue's provider.* messages (wanvideo.messages), in each language.
CANCEL_WORDS = {
    "none": "provider.cancel_none",
    "pending": "provider.cancel_queued",
    "queued": "provider.cancel_queued",
}
PROVIDER_INFO = "provider.info"
PROVIDER_INFO_DEMO = "provider.info_demo"
MODEL_INFO = "provider.model_info"


def _variant(variant: str) -> str:
    mid = f"provider.variant.{variant}"
    return Message(mid) if mid in CATALOGUE else variant


def variant_name(variant: str, lang: str = EN) -> str:
    """ "Standard", "Flash" (an unknown variant id as it is)."""
    return tr(_variant(variant), lang)


def rates(variant: ModelVariant, lang: str = EN) -> str:
    """The price at the first quality (the cost panel shows the other): short enough for a phone."""
    return _rates(variant).render(lang)


def _rates(variant: ModelVariant) -> Message:
    prices = variant.prices
    value = format_rate(prices.credits_per_second(QUALITIES[0]), prices.unit)
    return Message("provider.rate", rate=value, quality=QUALITIES[0])


def model_choice_messages(profile: ProviderProfile) -> list[tuple[Message, str]]:
    """(label with the price, variant id) for each model the provider sells, as messages."""
    return [
        (Message("provider.model_choice", name=_variant(v.id), rates=_rates(v)), v.id)
        for v in profile.variants
    ]


def model_choices(profile: ProviderProfile, lang: str = EN) -> list[tuple[str, str]]:
    """(label with the price, variant id) for each model the provider sells, in `lang`."""
    return [(label.render(lang), value) for label, value in model_choice_messages(profile)]


def facts_message(profile: ProviderProfile) -> Message:
    """The chosen provider's rules in one line (they apply to the estimate and every check)."""
    return Message(
        "provider.facts",
        label=profile.label,
        durations=profile.duration_rule(),
        references=profile.reference.in_words(),
        files=Message("provider.files_upload" if profile.local_files else "provider.files_links"),
        cancel=Message(CANCEL_WORDS.get(profile.cancel, CANCEL_WORDS["none"])),
    )


def facts(profile: ProviderProfile, lang: str = EN) -> str:
    return facts_message(profile).render(lang)


def reference_hint_message(profile: ProviderProfile) -> Message:
    """The hint under the references: the picked provider's (and model's) reference rules."""
    rules = profile.reference
    return Message(
        "provider.reference_hint",
        count=MAX_REFERENCES,
        provider=profile.label,
        rules=rules.in_words(),
        source_mb=MAX_SOURCE_BYTES // 1_000_000,
        window=f"{rules.max_seconds:g}",
    )


def reference_hint(profile: ProviderProfile, lang: str = EN) -> str:
    return reference_hint_message(profile).render(lang)


def duration_value(profile: ProviderProfile, current: str | int | None) -> str:
    """The duration to keep when the provider changes: the current one when offered, else the
    provider's default."""
    try:
        seconds = int(str(current))
    except (TypeError, ValueError):
        return str(profile.default_duration)
    return str(seconds) if seconds in profile.durations else str(profile.default_duration)
