"""What the form shows about the chosen provider: its model variants with their prices, its
durations and its rules in one line. Pure (no gradio import); money through
`wanvideo.pricing.format_amount`, rules from the profile.

    model_choices(profile)    # [("Standard: $0.10/s at 720p", "standard"), ("Flash: $0.05/s at 720p", "flash")]
    facts(profile)            # "fal.ai: 5 or 10 seconds; references mp4 or mov, ..., at least 16 fps. ..."
    reference_hint(profile)   # the hint under the references, with the pick's reference rules
"""

from __future__ import annotations

from wanvideo.media.prepare import MAX_SOURCE_BYTES
from wanvideo.pricing import format_rate
from wanvideo.providers import MAX_REFERENCES, QUALITIES, ModelVariant, ProviderProfile

# Visible text (one place, to be keyed for translation).
VARIANT_NAMES = {"standard": "Standard", "flash": "Flash"}
MODEL_CHOICE = "{name}: {rates}"  # short: it must fit a phone's dropdown
RATE = "{rate} at {quality}"
FACTS = "**{label}**: durations {durations}; references {references}; {files}; {cancel}."
FILES_UPLOAD = "local files are uploaded"
FILES_LINKS = "public links only (no upload for local files)"
CANCEL_WORDS = {
    "none": "a task cannot be cancelled once created",
    "pending": "a task can be cancelled while it waits in the provider's queue",
    "queued": "a task can be cancelled while it waits in the provider's queue",
}
PROVIDER_INFO = "The provider runs your video. Another provider than this app's runs on your own key for it."
PROVIDER_INFO_DEMO = "Demo mode: every provider is simulated here, no key needed."
MODEL_INFO = "Price per billed second; the cost panel compares every provider."
REFERENCE_HINT = (
    "1 to {count} clips, one person per clip; their order is character1, character2, character3. "
    "The model copies each person's look and voice. {provider} takes {rules}; with fixing on, any "
    "common video up to {source_mb} MB is converted, turned upright, cut to its {window:g} s window "
    "from 'Start at' and made to fit first."
)


def rates(variant: ModelVariant) -> str:
    """The price at the first quality (the cost panel shows the other): short enough for a phone."""
    prices = variant.prices
    return RATE.format(
        rate=format_rate(prices.credits_per_second(QUALITIES[0]), prices.unit), quality=QUALITIES[0]
    )


def model_choices(profile: ProviderProfile) -> list[tuple[str, str]]:
    """(label with the price, variant id) for each model the provider sells."""
    return [
        (MODEL_CHOICE.format(name=VARIANT_NAMES.get(v.id, v.id), rates=rates(v)), v.id)
        for v in profile.variants
    ]


def facts(profile: ProviderProfile) -> str:
    """The chosen provider's rules in one line (they apply to the estimate and every check)."""
    return FACTS.format(
        label=profile.label,
        durations=profile.duration_rule(),
        references=profile.reference.in_words(),
        files=FILES_UPLOAD if profile.local_files else FILES_LINKS,
        cancel=CANCEL_WORDS.get(profile.cancel, CANCEL_WORDS["none"]),
    )


def reference_hint(profile: ProviderProfile) -> str:
    """The hint under the references: the picked provider's (and model's) reference rules."""
    rules = profile.reference
    return REFERENCE_HINT.format(
        count=MAX_REFERENCES,
        provider=profile.label,
        rules=rules.in_words(),
        source_mb=MAX_SOURCE_BYTES // 1_000_000,
        window=rules.max_seconds,
    )


def duration_value(profile: ProviderProfile, current: str | int | None) -> str:
    """The duration to keep when the provider changes: the current one when offered, else the
    provider's default."""
    try:
        seconds = int(str(current))
    except (TypeError, ValueError):
        return str(profile.default_duration)
    return str(seconds) if seconds in profile.durations else str(profile.default_duration)
