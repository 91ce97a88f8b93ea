"""Alibaba Cloud DashScope's catalogue entry: one profile per region (PROVIDERS.md A).

A task is watched only with the region it was created in (a task of another region reads
UNKNOWN, which would look like "gone"), so the region is part of the profile's name
("dashscope-singapore"), which a task record keeps. Also its error dialect: the body
``{"request_id", "code", "message"}`` and its documented codes [PROVIDERS.md A7, D6].
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..messages import Message
from .profile import (
    DEFAULT_DURATIONS,
    FLASH,
    SPLIT_INPUT_CAPS,
    STANDARD,
    WAN27,
    ErrorDialect,
    ModelVariant,
    PriceTable,
    ProviderProfile,
    ReferenceNaming,
    ReferenceRules,
)

DASHSCOPE_REGION_NAMES = ("singapore", "virginia", "beijing")
DEFAULT_DASHSCOPE_REGION = "singapore"

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
        input_caps=dict(SPLIT_INPUT_CAPS),
        confirmed=confirmed,
        input_rule_confirmed=False,
        input_confirmed_counts=(1,),  # one video: min(d, 5) [D2]
        input_rule_source=_DASHSCOPE_SPLIT,
        images_alone=True,  # `reference_urls` may hold images only [A26]: no input seconds then
        as_of=_DASHSCOPE_AS_OF,
        source=source,
    )


# Any video in `reference_urls` is 1-30 s, mp4/mov, at most 100 MB [D1, A3]; no fps rule.
# Images too: 0-5 images, 0-3 videos, at most 5 in one character1..N sequence [MODELS.md 1a,
# A26]; seed, negative prompt and watermark; no prompt expansion (absent on A26) [MODELS.md 2].
_DASHSCOPE_REFERENCE = ReferenceRules(
    min_seconds=1.0,
    max_seconds=30.0,
    max_bytes=100 * 1_000_000,
    max_videos=3,
    min_videos=0,
    max_images=5,
    max_total=5,
    seed=True,
    negative_prompt=True,
    watermark=True,
)
# Open point: an earlier digest says Global (Virginia) takes video references only (not
# re-verified): the safe subset is offered there.
_VIDEOS_ONLY = _DASHSCOPE_REFERENCE.model_copy(update={"max_images": 0, "max_total": 3, "min_videos": 1})
# flash only: `audio` on/off [A26; MODELS.md 2].
_DASHSCOPE_FLASH_REFERENCE = _DASHSCOPE_REFERENCE.model_copy(update={"audio": True})
# wan2.7-r2v: `input.media[]` of reference_image / reference_video items, at most 5 together
# (the app sends at most 3 videos, the rule every pick shares), a `reference_voice` per item;
# named Video N / Image N (视频N / 图N) counted per kind; prompt_extend, no audio switch
# [A27; MODELS.md 4b, 4c].
WAN27_REFERENCE = _DASHSCOPE_REFERENCE.model_copy(
    update={
        "voices": "each",
        "prompt_extend": True,
        "shot_type": False,  # not supported; multi-shot is written in the prompt [A27 FAQ]
        "naming": ReferenceNaming(
            video="Video {n}", image="Image {n}", shared=False, zh_video="视频{n}", zh_image="图{n}"
        ),
    }
)
# 2-10 s with any reference video, 2-15 s without [A27 4c]. Open point: the model list (AM) and
# the console (AG) say 2-10 only; the API reference is followed (MODELS.md 6.5).
WAN27_DURATIONS = tuple(range(2, 16))
WAN27_MAX_WITH_VIDEO = 10
_WAN27_RULE = Message("source.dashscope_wan27_rule")  # input video capped at 5 s [AP 4e]


def _silent(prices: PriceTable) -> PriceTable:
    """flash without audio: half the price [AP; MODELS.md 2 "silent = 0.5x"]."""
    return prices.model_copy(
        update={
            "credits_per_second_720p": prices.credits_per_second_720p / 2,
            "credits_per_second_1080p": (prices.credits_per_second_1080p or Decimal(0)) / 2,
            "source": Message("source.dashscope_flash_silent", source=prices.source),
        }
    )


def _wan27(prices: tuple[str, str], unit: str, where: Message) -> ModelVariant:
    """wan2.7-r2v: CNY 0.6 / 1.0 (Beijing), CNY 0.733924 / 1.100886 (Singapore) per second [AP]."""
    table = _dashscope_prices(*prices, unit, Message("source.dashscope_wan27_prices", where=where))
    return ModelVariant(
        id=WAN27,
        label="wan2.7-r2v",
        wire="wan2.7-r2v",
        prices=table.model_copy(update={"input_rule_source": _WAN27_RULE}),
        prompt_max=5000,  # longer text is cut silently, so we refuse it [A27]
        reference=WAN27_REFERENCE,
        explicit_defaults={"watermark": False, "prompt_extend": True},  # their defaults [A27]
        durations=WAN27_DURATIONS,
        max_duration_with_video=WAN27_MAX_WITH_VIDEO,
    )


def _dashscope_variants(
    prices: dict[str, tuple[str, str]], unit: str, where: Message, *, images: bool = True, **kw: Any
):
    variants = [
        ModelVariant(
            id=STANDARD,
            label="wan2.6-r2v",
            wire="wan2.6-r2v",
            prices=_dashscope_prices(
                *prices[STANDARD], unit, Message("source.dashscope_prices", where=where), **kw
            ),
            prompt_max=1500,  # both models; longer text is cut silently, so we refuse it [D1]
            reference=_DASHSCOPE_REFERENCE if images else _VIDEOS_ONLY,
            explicit_defaults={"watermark": False},  # default false [D1]
        )
    ]
    if FLASH in prices:
        flash = _dashscope_prices(
            *prices[FLASH], unit, Message("source.dashscope_flash_prices", where=where), **kw
        )
        variants.append(
            ModelVariant(
                id=FLASH,
                label="wan2.6-r2v-flash (with audio)",
                wire="wan2.6-r2v-flash",
                prices=flash,
                prompt_max=1500,
                reference=_DASHSCOPE_FLASH_REFERENCE,
                # flash only: audio defaults to true; sent so the price asked for is the one paid [D1]
                explicit_defaults={"watermark": False, "audio": True},
                silent_prices=_silent(flash),
            )
        )
    if WAN27 in prices:
        variants.append(_wan27(prices[WAN27], "CNY", where))
    return tuple(variants)


def _dashscope(
    region: str, base: str, variants: tuple[ModelVariant, ...], *, durations, local_files: bool
) -> ProviderProfile:
    return ProviderProfile(
        provider="dashscope",
        region=region,
        label=Message("provider.dashscope", region=Message(f"region.{region}")),
        short_label=Message("provider.dashscope_short", region=Message(f"region.{region}")),
        brand="DashScope",
        api_base_url=base,
        files_base_url=base,  # getPolicy is on the API host [D4]
        files_on_api_host=True,
        durations=durations,
        default_duration=5,
        prices=variants[0].prices,
        models=variants,
        prompt_max=variants[0].prompt_max,
        reference=variants[0].reference,
        local_files=local_files,
        callbacks=False,  # no per-request callback (EventBridge is per account) [A8]
        cancel="pending",  # POST /api/v1/tasks/{id}/cancel, PENDING only [D5]
        cancel_words="while the task waits in its queue (PENDING)",
        idempotent_create=False,  # no idempotency key is documented
        reference_word="character",
        upload_url_schemes=("oss",),  # the temporary upload's oss:// URLs [D4]
        upload_lifetime=48 * 3600.0,  # the temporary upload is deleted after 48 h [D4]
        upload_model_bound=True,  # usable only with the model of its getPolicy [D4]
        # No progress and no estimate: polls are paced by the prior (`GENERATION_TIME`).
        rules_source="PROVIDERS.md A (Alibaba's wan2.6-r2v reference [D1])",
    )


DASHSCOPE_REGIONS: dict[str, ProviderProfile] = {
    "singapore": _dashscope(
        "singapore",
        "https://dashscope-intl.aliyuncs.com",
        # CNY converted at the page's own rate [D2]
        _dashscope_variants(
            {STANDARD: ("0.10", "0.15"), FLASH: ("0.05", "0.075"), WAN27: ("0.733924", "1.100886")},
            "USD",
            Message("source.where_singapore"),
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
            {STANDARD: ("0.6", "1.0")},
            "CNY",
            Message("source.where_virginia"),
            images=False,
            confirmed=False,
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
            {STANDARD: ("0.6", "1.0"), FLASH: ("0.3", "0.5"), WAN27: ("0.6", "1.0")},
            "CNY",
            Message("source.where_beijing"),
        ),
        durations=DEFAULT_DURATIONS,
        local_files=True,  # [D4]
    ),
}

# In the order they are listed; the first is the default region.
ENTRIES = tuple(DASHSCOPE_REGIONS[r] for r in (DEFAULT_DASHSCOPE_REGION, "virginia", "beijing"))
assert tuple(sorted(DASHSCOPE_REGIONS)) == tuple(sorted(DASHSCOPE_REGION_NAMES))


def _read_error(body: dict) -> tuple[str | None, str | None, str | None] | None:
    """``{"request_id", "code", "message"}`` [A7]; None for another shape."""
    if isinstance(body.get("code"), str) and "message" in body:
        return str(body.get("message") or ""), body["code"], None
    return None


ERRORS = ErrorDialect(
    read=_read_error,
    # Its documented codes [PROVIDERS.md A7, D6]: the catalogue's code.* message for each.
    suggestions={
        "InvalidApiKey": "code.InvalidApiKey",
        "AccessDenied": "code.AccessDenied",
        "AccessDenied.Unpurchased": "code.AccessDenied.Unpurchased",
        "Model.AccessDenied": "code.Model.AccessDenied",
        "AllocationQuota.FreeTierOnly": "code.AllocationQuota.FreeTierOnly",
        "Arrearage": "code.Arrearage",
        "ModelNotFound": "code.ModelNotFound",
        "InvalidParameter": "code.InvalidParameter",
        "InvalidParameter.DataInspection": "code.InvalidParameter.DataInspection",
        "InvalidURL": "code.InvalidURL",
        "InvalidURL.ConnectionRefused": "code.InvalidURL.ConnectionRefused",
        "InvalidURL.Timeout": "code.InvalidURL.Timeout",
        "DataInspectionFailed": "code.DataInspectionFailed",
        "data_inspection_failed": "code.DataInspectionFailed",
        "IPInfringementSuspect": "code.IPInfringementSuspect",
        "Throttling": "code.Throttling",
        "Throttling.RateQuota": "code.Throttling",
        "Throttling.BurstRate": "code.Throttling.BurstRate",
        "Throttling.AllocationQuota": "code.Throttling.AllocationQuota",
        "InternalError": "code.InternalError",
        "InternalError.Algo": "code.InternalError.Algo",
        "InternalError.Timeout": "code.InternalError.Timeout",
        "UnsupportedOperation": "code.UnsupportedOperation",
        "UNKNOWN": "code.UNKNOWN",
        "CANCELED": "code.CANCELED",
    },
    # Codes whose meaning differs from the HTTP status (a 400 Arrearage is a quota error).
    kinds={
        "Arrearage": "quota",
        "InvalidApiKey": "auth",
        "AccessDenied.Unpurchased": "permission",
        "Model.AccessDenied": "permission",
        "AllocationQuota.FreeTierOnly": "quota",
        "Throttling": "rate_limit",
        "Throttling.RateQuota": "rate_limit",
        "Throttling.BurstRate": "rate_limit",
        "Throttling.AllocationQuota": "rate_limit",
    },
)
