"""EvoLink's catalogue entry, with its look-alike odkkk and the built-in demo (API_NOTES.md).

EvoLink sells credits; odkkk serves a copy of the same contract (its error `code` is an
integer) at its own hosts and price; the demo is the same contract on a local port (the
simulator). All three are spoken by the `evolink` adapter.
"""

from __future__ import annotations

from decimal import Decimal

from ..messages import Message
from .profile import (
    DEFAULT_DURATIONS,
    SPLIT_INPUT_CAPS,
    STANDARD,
    WAN27,
    ModelVariant,
    PriceTable,
    ProviderProfile,
    ReferenceNaming,
    ReferenceRules,
)

# 5 s of references billed in all, split evenly by count (the documented rule, API_NOTES.md).
EVOLINK_INPUT_CAPS = SPLIT_INPUT_CAPS

EVOLINK_PRICES = PriceTable(
    credits_per_second_720p=Decimal("4.76"),
    factor_1080p=Decimal("1.67"),
    minimum_credits=Decimal("9"),
    credits_per_usd=Decimal("68"),
    as_of="2026-10-10",
    source=Message("source.evolink_prices"),
    input_rule_source=Message("source.evolink_rule"),
)

# wan2.7-reference-video [MODELS.md 3, E27]: `image_urls` + `video_urls` at most 5 (the app sends at
# most 3 videos), named Image N / Video N counted per kind (图N / 视频N in Chinese), a
# negative prompt. Not retrieved from E27, so not offered: seed, prompt_extend, watermark; the
# per-character `model_params.voice_bindings` item keys (MODELS.md 3c says do not guess them):
# a voice goes in the legacy positional `audio_urls`, only with one reference, where position
# cannot be misread. Durations: E27's were not retrieved; Alibaba's rule for the same model is
# used (2-10 s with a video, 2-15 s without [A27]).
WAN27_EVOLINK_REFERENCE = ReferenceRules(
    min_seconds=1.0,  # upstream 1-30 s [A27]; EvoLink's own per-video limits were not retrieved
    max_seconds=30.0,
    max_videos=3,
    min_videos=0,
    max_images=5,
    max_total=5,
    voices="single",
    negative_prompt=True,
    shot_type=False,  # upstream has none [A27]; E27 lists none in what was retrieved
    naming=ReferenceNaming(
        video="Video {n}", image="Image {n}", shared=False, zh_video="视频{n}", zh_image="图{n}"
    ),
)
# EvoLink's blog gives $0.086/s (720p) and $0.144/s (1080p) for "Wan 2.7", not per mode [EB]; the
# credit rate per second was not retrieved, so the dollars are turned into credits at the
# catalogue's own rate (68 per $, API_NOTES.md 6): 5.848 and 9.792 credits/s. No minimum is
# documented for 2.7. Billed: input video + output seconds [E27]; the 5 s input cap of 2.6
# (split 5 / 2.5 / 1.65 s) is assumed, not retrieved.
WAN27_EVOLINK_PRICES = PriceTable(
    credits_per_second_720p=Decimal("5.848"),
    credits_per_second_1080p=Decimal("9.792"),
    credits_per_usd=Decimal("68"),
    confirmed=False,
    input_rule_confirmed=False,
    images_alone=True,
    as_of="2026-05-22",
    source=Message("source.evolink_wan27_prices", p720="0.086", p1080="0.144"),
    input_rule_source=Message("source.evolink_wan27_rule"),
)
WAN27_EVOLINK = ModelVariant(
    id=WAN27,
    label="wan2.7-reference-video",
    wire="wan2.7-reference-video",
    prices=WAN27_EVOLINK_PRICES,
    prompt_max=5000,  # overflow is cut silently [E27], so we refuse it
    reference=WAN27_EVOLINK_REFERENCE,
    durations=tuple(range(2, 16)),
    max_duration_with_video=10,
)


def _evolink_models(prices: PriceTable) -> tuple[ModelVariant, ...]:
    return (
        ModelVariant(id=STANDARD, label="Standard", wire="wan2.6-reference-video", prices=prices),
        WAN27_EVOLINK,
    )


UPLOAD_LIFETIME = 72 * 3600.0  # uploaded files expire after 72 h (API_NOTES.md 3)

EVOLINK = ProviderProfile(
    provider="evolink",
    label="EvoLink",
    brand="EvoLink",
    api_base_url="https://api.evolink.ai",
    files_base_url="https://files-api.evolink.ai",
    upload_lifetime=UPLOAD_LIFETIME,
    durations=DEFAULT_DURATIONS,
    default_duration=5,
    dialect="string",  # the error envelope's `code` is a string
    in_demo=False,  # the demo plays it
    prices=EVOLINK_PRICES,
    models=_evolink_models(EVOLINK_PRICES),
    rules_source="API_NOTES.md 1-6 (EvoLink OpenAPI page)",
)

ODKKK = ProviderProfile(
    provider="odkkk",
    label="odkkk",
    adapter="evolink",
    api_base_url="https://ai.odkkk.com/apiv1",
    files_base_url="https://files-api.t0ai.cn",
    upload_lifetime=UPLOAD_LIFETIME,
    durations=(5, 10),
    default_duration=5,
    dialect="integer",  # the error envelope's `code` is an integer
    prices=EVOLINK_PRICES.model_copy(
        update={
            "source": Message("source.odkkk_prices"),
            "confirmed": False,
        }
    ),
    rules_source="API_NOTES.md 1-6 (odkkk's copy of the EvoLink page)",
)

# The built-in simulator: the EvoLink contract on a local port.
DEMO = ProviderProfile(
    provider="demo",
    label=Message("provider.demo"),
    adapter="evolink",
    api_base_url="http://127.0.0.1:8900",
    files_base_url="http://127.0.0.1:8900",
    upload_lifetime=UPLOAD_LIFETIME,  # as the API it plays
    durations=DEFAULT_DURATIONS,
    default_duration=5,
    dialect="string",
    prices=EVOLINK_PRICES,
    models=_evolink_models(EVOLINK_PRICES),
)

# In the order they are listed; a key's first entry is its default.
ENTRIES = (EVOLINK, ODKKK, DEMO)
ERRORS = None  # its error envelope is the API's common one (`schemas.ErrorEnvelope`)
