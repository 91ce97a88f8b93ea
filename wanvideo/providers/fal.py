"""fal.ai's catalogue entry: wan/v2.6/reference-to-video and its flash variant (PROVIDERS.md B),
and its error dialect: ``{"detail": "..." | [{loc, msg, type}], "error_type"?}`` [B7, F6], its
documented codes, and the ``X-Fal-Retryable`` header.
"""

from __future__ import annotations

from decimal import Decimal

from ..messages import Message
from .profile import (
    FLASH,
    STANDARD,
    ErrorDialect,
    ModelVariant,
    PriceTable,
    ProviderProfile,
    ReferenceNaming,
    ReferenceRules,
)

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


# @Video1..3 [B2]; flash's images: "videos are numbered first, then images" [B2], the image
# name is not documented (MODELS.md 1b, 6.8): @Image1.. counted apart is sent (open point).
_FAL_NAMING = ReferenceNaming(video="@Video{n}", image="@Image{n}", shared=False)
# mp4/mov, 2-30 s, at most 30 MB, at least 16 fps [F1, F2, B3]; seed, negative prompt,
# prompt expansion; no watermark, no audio switch [B2; MODELS.md 2].
_FAL_STANDARD_REFERENCE = ReferenceRules(
    min_seconds=2.0,
    max_seconds=30.0,
    max_bytes=30 * 1_000_000,
    min_fps=16.0,
    seed=True,
    negative_prompt=True,
    prompt_extend=True,
    naming=_FAL_NAMING,
)
# flash: 1-30 s, at most 100 MB [F11, B3]; `image_urls` 0-5, at most 5 in all, `video_urls`
# still required [B2]; the audio switch (`generate_audio`, the types' name [F2]).
_FAL_FLASH_REFERENCE = _FAL_STANDARD_REFERENCE.model_copy(
    update={
        "min_seconds": 1.0,
        "max_bytes": 100 * 1_000_000,
        "max_images": 5,
        "max_total": 5,
        "audio": True,
    }
)

_FAL_DEFAULTS = {
    # fal turns both on by default [F2]; sent explicitly so a change of defaults changes nothing.
    "enable_prompt_expansion": True,
    "enable_safety_checker": True,
}

FAL = ProviderProfile(
    provider="fal",
    label="fal.ai",
    short_label="fal",
    api_base_url="https://queue.fal.run",
    files_base_url="https://rest.fal.ai",
    durations=(5, 10),  # "5" or "10", sent as strings [F2]
    default_duration=5,
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
            reference=_FAL_STANDARD_REFERENCE,
            explicit_defaults=_FAL_DEFAULTS,
        ),
        ModelVariant(
            id=FLASH,
            label="wan/v2.6/reference-to-video/flash (with audio)",
            wire="wan/v2.6/reference-to-video/flash",
            # half of standard with audio [F11]
            prices=_fal_prices("0.05", "0.075", "flash"),
            prompt_max=1500,  # [F2, F11]
            reference=_FAL_FLASH_REFERENCE,
            explicit_defaults={**_FAL_DEFAULTS, "generate_audio": True},
            # without audio: a quarter of standard [F26; MODELS.md 2]
            silent_prices=_fal_prices("0.025", "0.0375", "flash_silent"),
        ),
    ),
    prompt_max=1500,
    reference=_FAL_STANDARD_REFERENCE,
    local_files=True,  # storage upload: initiate, then PUT [F3]
    # CDN uploads are "persistent" [F9] but the default lifecycle is not documented: a day assumed.
    upload_lifetime=24 * 3600.0,
    callbacks=True,  # ?fal_webhook=<url> [F5]
    cancel="queued",  # PUT cancel_url removes a queued request [F4]
    cancel_words="while it is queued",
    idempotent_create=False,  # no idempotency key is documented
    reference_word="@Video",
    rules_source="PROVIDERS.md B (fal's model page [F1] and fal-js types [F2])",
)

# Every profile by name (task records keep the name).

ENTRIES = (FAL,)


def _read_error(body: dict) -> tuple[str | None, str | None, str | None] | None:
    """A request/infrastructure error (``detail`` text) or a 422 (``detail`` list) [F6]."""
    detail = body.get("detail")
    if isinstance(detail, str):
        kind = body.get("error_type")
        return detail, str(kind) if kind else None, None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        loc = first.get("loc") or []
        param = str(loc[-1]) if loc and loc[-1] != "body" else None
        return str(first.get("msg") or ""), str(first.get("type") or "") or None, param
    return None


ERRORS = ErrorDialect(
    read=_read_error,
    # Its documented codes [B7, F6]: the catalogue's code.* message for each.
    suggestions={
        "bad_request": "code.bad_request",
        "request_timeout": "code.request_timeout",
        "startup_timeout": "code.startup_timeout",
        "runner_scheduling_failure": "code.runner_scheduling_failure",
        "runner_connection_timeout": "code.runner_lost",
        "runner_disconnected": "code.runner_lost",
        "runner_connection_refused": "code.runner_lost",
        "runner_connection_error": "code.runner_lost",
        "runner_incomplete_response": "code.runner_incomplete_response",
        "runner_server_error": "code.runner_server_error",
        "internal_error": "code.internal_error",
        "client_cancelled": "code.client_cancelled",
        "client_disconnected": "code.client_disconnected",
        "exhausted_balance": "code.exhausted_balance",
        "content_policy_violation": "code.content_policy_violation",
        "file_download_error": "code.file_download_error",
        "video_duration_too_long": "code.video_duration_too_long",
        "video_duration_too_short": "code.video_duration_too_short",
        "file_too_large": "code.file_too_large",
        "video_fps_too_low": "code.video_fps_too_low",
        "unsupported_video_format": "code.unsupported_video_format",
        "no_media_generated": "code.no_content",
        "string_too_long": "code.string_too_long",
        "literal_error": "code.literal_error",
        "value_error": "code.value_error",
    },
    # A 403 "User is locked. ... Exhausted balance" is a quota error [B7].
    quota_words=(403, "balance", "exhausted_balance"),
    retryable_header="X-Fal-Retryable",  # says whether a retry can help [B7]
)
