"""The history panel's HTML: one card per generation with its own actions, 20 to a page.

Pure (no gradio import): records in, HTML and plain values out. Money goes through
`wanvideo.pricing.format_credits`, status words through the record's `status_label`
(`wanvideo.task_status`). Videos and posters come from the owner-only routes
(`wanvideo.web.routes`).

    running_html, done_html = views(manager.records(owner), prices)

A card: poster (Play swaps in the player), status chip, when, prompt, quality / ratio /
duration, the estimate next to the provider's charge, and the buttons that apply to it
(`actions(record)`). A button carries `data-action` and the card's `data-record`; the panel's
script (`components.history`) sends them to the server, except Play and the pager, which act
in the browser. Every visible word is a constant below.
"""

from __future__ import annotations

import html
import time
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from wanvideo.batch import KIND_VARIATION
from wanvideo.messages import CATALOGUE, EN, LANGUAGES, t
from wanvideo.messages import render as tr
from wanvideo.pricing import Estimate, billed_difference, estimated_seconds, format_amount, seconds_text
from wanvideo.provider_choice import ProviderChoice
from wanvideo.providers import ASPECT_RATIOS, PROFILES, QUALITIES, SHOT_TYPES, PriceTable, ProviderProfile
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED, NEEDS_KEY, chip_for
from wanvideo.watcher.triage import download_resumable
from wanvideo.web.routes import poster_url, video_path

PAGE_SIZE = 20  # cards per page; more are paged in the browser

# Visible text: the catalogue's "history.<key>" messages (wanvideo.messages), in each language.
EMPTY = t("history.empty", EN)  # the English text (tests, logs); the page renders the visitor's
_KEYS = (
    "play",
    "download",
    "remix",
    "same_seed",
    "use_ref",
    "keep",
    "kept",
    "delete",
    "retry",
    "resume",
    "newer",
    "older",
    "page",
    "deleted",
    "no_poster",
    "estimate",
    "charged",
    "billed",
    "billed_differs",
    "provider",
    "charge_unknown",
    "charged_failed",
    "not_charged",
    "cost_unknown",
    "settings",
    "references",
    "retry_hint",
    "confirm_delete",
)


def texts(lang: str = EN) -> dict[str, str]:
    """The cards' text templates in `lang` (placeholders filled where they are used)."""
    return {key: CATALOGUE[f"history.{key}"].get(lang) or CATALOGUE[f"history.{key}"][EN] for key in _KEYS}


TEXT = texts(EN)
ALL_TEXT = {lang: texts(lang) for lang in LANGUAGES}  # for the panel's script (it picks the browser's)

# Actions, in the order their buttons appear. Play and Download need the saved video.
PLAY, DOWNLOAD, REMIX, DELETE, RETRY, RESUME = "play", "download", "remix", "delete", "retry", "resume"
SAME_SEED = "same_seed"  # Remix with the seed the provider used
USE_REF = "use_ref"  # the saved video as the form's next reference video (issue 20)
KEEP = "keep"  # the variation chosen among its batch (issue 20)
SERVER_ACTIONS = (REMIX, SAME_SEED, USE_REF, KEEP, DELETE, RETRY, RESUME)  # handled by components.history

CSS = """
#history-running:not(:has(.wan-card)) { display: none; }
#history-panel .wan-hist { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
#history-panel .wan-card { border: 1px solid var(--border-color-primary); border-radius: 10px; overflow: hidden;
  display: flex; flex-direction: column; background: var(--block-background-fill); min-width: 0; }
#history-panel .wan-card[hidden] { display: none; }
#history-panel .wan-card-media { position: relative; aspect-ratio: 16 / 9; background: #111; overflow: hidden; }
#history-panel .wan-card-media img, #history-panel .wan-card-media video {
  position: absolute; inset: 0; width: 100%; height: 100%; object-fit: contain; display: block; background: #111; }
#history-panel .wan-card-noposter { height: 100%; display: flex; align-items: center; justify-content: center;
  color: #ddd; font-size: .9em; padding: 8px; text-align: center; }
#history-panel .wan-card-body { padding: 8px 10px 10px; display: flex; flex-direction: column; gap: 4px; }
#history-panel .wan-card-top { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: .85em; }
#history-panel .wan-chip { border-radius: 999px; padding: 2px 10px; font-weight: 600; font-size: .85em;
  background: #e5e7eb; color: #1f2937; }
#history-panel .wan-chip-done { background: #dcfce7; color: #14532d; }
#history-panel .wan-chip-running { background: #dbeafe; color: #1e3a8a; }
#history-panel .wan-chip-failed { background: #fee2e2; color: #7f1d1d; }
#history-panel .wan-chip-attention { background: #fef3c7; color: #78350f; }
#history-panel .wan-chip-kept { background: #ede9fe; color: #4c1d95; }
#history-panel .wan-card-prompt { margin: 2px 0; overflow-wrap: anywhere; display: -webkit-box;
  -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
#history-panel .wan-card-meta { font-size: .85em; opacity: .85; overflow-wrap: anywhere; }
#history-panel .wan-card-msg { font-size: .85em; overflow-wrap: anywhere; }
#history-panel .wan-card-failed .wan-card-msg { color: var(--error-text-color, #b42318); }
#history-panel .wan-card-actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 4px; }
#history-panel .wan-act { min-height: 40px; padding: 6px 12px; border-radius: 8px; font-size: .9em; cursor: pointer;
  border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color); display: inline-flex; align-items: center; text-decoration: none;
  box-sizing: border-box; }
#history-panel .wan-act-danger { color: var(--error-text-color, #b42318); }
#history-panel .wan-pager { display: flex; align-items: center; justify-content: space-between; gap: 8px;
  margin: 10px 0; flex-wrap: wrap; font-size: .9em; }
#history-panel .wan-pager[hidden] { display: none; }
"""


def date_text(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def usd_of(credits: Decimal, prices: PriceTable) -> Decimal:
    return (credits / prices.credits_per_usd).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _estimate(est: dict[str, Any]) -> Estimate | None:
    try:
        return Estimate.model_validate(est) if est else None
    except ValueError:
        return None


def billed_text(record: TaskRecord, lang: str = EN) -> str:
    """The provider's own billed seconds (a queue provider), flagged where the estimate differs."""
    TEXT = texts(lang)
    est = record.estimate or {}
    billed = _decimal(est.get("provider_billed_seconds"))
    if billed is None:
        return ""
    text = TEXT["billed"].format(seconds=seconds_text(billed))
    priced = _estimate(est)
    if priced is not None and billed_difference(priced, billed):
        text += " " + TEXT["billed_differs"].format(expected=tr(estimated_seconds(priced), lang))
    return text


def cost_line(record: TaskRecord, prices: PriceTable, lang: str = EN) -> str:
    """The estimate next to the provider's charge (and its billed seconds), in the unit of the
    provider the record ran on (`prices`: the configured provider's, for older records)."""
    TEXT = texts(lang)
    parts = []
    est = record.estimate or {}
    unit = str(est.get("unit") or prices.unit)
    profile = PROFILES.get(record.provider)
    own_prices = profile.prices if profile is not None and profile.prices.unit == unit else prices
    credits = _decimal(est.get("credits"))
    if credits is not None:
        money = tr(format_amount(credits, unit, _decimal(est.get("usd"))), lang)
        parts.append(TEXT["estimate"].format(money=money))
    if record.credits_charged is not None:
        money = tr(
            format_amount(record.credits_charged, unit, usd_of(record.credits_charged, own_prices)), lang
        )
        parts.append(TEXT["charged"].format(money=money))
    elif record.status == COMPLETED:
        parts.append(TEXT["charge_unknown"])
    elif record.is_final:
        parts.append(TEXT["charged_failed"] if (record.error or {}).get("charged") else TEXT["not_charged"])
    billed = billed_text(record, lang)
    if billed:
        parts.append(billed)
    return " · ".join(parts) or TEXT["cost_unknown"]


def provider_line(record: TaskRecord, lang: str = EN) -> str:
    """Who made it: the provider's label and the model as sent."""
    profile = PROFILES.get(record.provider)
    req = record.request or {}
    model = (req.get("sent") or {}).get("model")
    if not model and profile is not None:
        chosen = req.get("model")
        model = (profile if profile.model_problem(chosen) else profile.with_model(chosen)).variant.wire
    label = tr(profile.label, lang) if profile is not None else record.provider
    return texts(lang)["provider"].format(provider=label, model=model or "")


def settings_line(record: TaskRecord, lang: str = EN) -> str:
    TEXT = texts(lang)
    req = record.request or {}
    return TEXT["settings"].format(
        quality=req.get("quality", "?"),
        ratio=req.get("aspect_ratio", "?"),
        duration=req.get("duration", "?"),
        shot=_shot_label(req.get("shot_type"), lang),
    )


def _shot_label(shot: Any, lang: str) -> str:
    return t(f"shot.{shot}", lang) if shot in SHOT_TYPES else "?"


def references_line(record: TaskRecord, lang: str = EN) -> str:
    TEXT = texts(lang)
    refs = (record.request or {}).get("references") or []
    names = ", ".join(str(r).rsplit("/", 1)[-1] for r in refs)
    return TEXT["references"].format(names=names) if names else ""


def can_retry_download(record: TaskRecord, now: float | None = None) -> bool:
    """The card offers "Retry download" exactly when the manager would try (one rule, the
    domain's `download_resumable`)."""
    return download_resumable(record, time.time() if now is None else now)


def chip_kind(record: TaskRecord) -> str:
    return chip_for(record.status, download_resumable=can_retry_download(record)).value


def actions(record: TaskRecord) -> list[str]:
    """The buttons a card shows, in order."""
    made = record.status == COMPLETED and record.has_video
    found = [PLAY, DOWNLOAD] if made else []
    if record.request:
        found.append(REMIX)
        if record.seed is not None:
            found.append(SAME_SEED)
    if made:
        found.append(USE_REF)
    if record.status == COMPLETED and record.group_kind == KIND_VARIATION and not record.kept:
        found.append(KEEP)
    if record.has_video:
        found.append(DELETE)
    if can_retry_download(record):
        found.append(RETRY)
    if record.status == NEEDS_KEY:
        found.append(RESUME)
    return found


def _button(action: str, rid: str, lang: str = EN) -> str:
    TEXT = texts(lang)
    if action == DOWNLOAD:
        href = html.escape(video_path(rid)) + "?download=1"
        return f'<a class="wan-act" data-action="download" href="{href}" download>{TEXT["download"]}</a>'
    danger = " wan-act-danger" if action == DELETE else ""
    return f'<button type="button" class="wan-act{danger}" data-action="{action}">{html.escape(TEXT[action])}</button>'


def _media(record: TaskRecord, prompt: str, lang: str = EN) -> str:
    TEXT = texts(lang)
    if record.status == COMPLETED and record.has_video:
        src = html.escape(poster_url(record.id))
        # A missing poster (an older video) is swapped for NO_POSTER by the panel's script.
        return f'<img class="wan-poster" src="{src}" alt="{html.escape(prompt[:120])}" loading="lazy">'

    label = TEXT["deleted"] if record.status == COMPLETED else tr(record.status_label, lang)
    if record.is_running:
        label += f" · {record.progress:.0f}%"
    return f'<div class="wan-card-noposter">{html.escape(label)}</div>'


def card(record: TaskRecord, prices: PriceTable, *, hidden: bool = False, lang: str = EN) -> str:
    TEXT = texts(lang)
    rid = html.escape(record.id)
    kind = chip_kind(record)
    prompt = str((record.request or {}).get("prompt", ""))
    error = record.error or {}
    message = tr(record.message, lang)
    if kind == "failed" and error.get("suggestion"):
        message = f"{message} {tr(error['suggestion'], lang)}".strip()
    if can_retry_download(record):
        message = f"{message} {TEXT['retry_hint']}".strip()
    cls = "wan-card wan-hist-card" + (" wan-card-failed" if kind in ("failed", "attention") else "")
    buttons = "".join(_button(a, record.id, lang) for a in actions(record))
    refs = references_line(record, lang)
    return (
        f'<article class="{cls}" data-record="{rid}" data-status="{html.escape(record.status)}"'
        f"{' hidden' if hidden else ''}>"
        f'<div class="wan-card-media">{_media(record, prompt, lang)}</div>'
        '<div class="wan-card-body">'
        f'<div class="wan-card-top"><span class="wan-chip wan-chip-{kind}">{html.escape(tr(record.status_label, lang))}</span>'
        + (f'<span class="wan-chip wan-chip-kept">{html.escape(TEXT["kept"])}</span>' if record.kept else "")
        + f'<time datetime="{int(record.created_at)}">{date_text(record.created_at)}</time></div>'
        f'<p class="wan-card-prompt">{html.escape(prompt)}</p>'
        f'<div class="wan-card-meta wan-card-settings">{html.escape(settings_line(record, lang))}</div>'
        + (f'<div class="wan-card-meta">{html.escape(refs)}</div>' if refs else "")
        + f'<div class="wan-card-meta wan-card-provider">{html.escape(provider_line(record, lang))}</div>'
        + f'<div class="wan-card-meta wan-card-cost">{html.escape(cost_line(record, prices, lang))}</div>'
        + (f'<div class="wan-card-msg">{html.escape(message)}</div>' if message else "")
        + (f'<div class="wan-card-actions">{buttons}</div>' if buttons else "")
        + "</div></article>"
    )


def pager(count: int, lang: str = EN) -> str:
    TEXT = texts(lang)
    """The page switcher (shown by the panel's script when there is more than one page)."""
    pages = max(1, -(-count // PAGE_SIZE))
    label = html.escape(TEXT["page"])
    return (
        f'<nav class="wan-pager" data-pages="{pages}" data-count="{count}" data-label="{label}" hidden>'
        f'<button type="button" class="wan-act" data-action="newer">{html.escape(TEXT["newer"])}</button>'
        '<span class="wan-pager-label"></span>'
        f'<button type="button" class="wan-act" data-action="older">{html.escape(TEXT["older"])}</button>'
        "</nav>"
    )


def render_cards(
    records: list[TaskRecord], prices: PriceTable, *, empty: str | None = None, lang: str = EN
) -> str:
    """The cards, the first page visible; the panel's script shows the page the visitor is on."""
    if not records:
        empty = t("history.empty", lang) if empty is None else empty
        return f'<div class="wan-hist-empty">{html.escape(empty)}</div>' if empty else ""
    cards = "".join(card(r, prices, hidden=i >= PAGE_SIZE, lang=lang) for i, r in enumerate(records))
    nav = pager(len(records), lang) if len(records) > PAGE_SIZE else ""
    return f'<div class="wan-hist" data-page-size="{PAGE_SIZE}">{cards}</div>{nav}'


def views(records: list[TaskRecord], prices: PriceTable, lang: str = EN) -> tuple[str, str]:
    """(running cards, finished cards) for an owner's records, newest first."""
    running = [r for r in records if r.is_running]
    done = [r for r in records if not r.is_running]
    return render_cards(running, prices, empty="", lang=lang), render_cards(done, prices, lang=lang)


def _choice(value: Any, allowed: tuple[Any, ...]) -> Any:
    return value if value in allowed else allowed[0]


def remix_values(record: TaskRecord, default_duration: int) -> tuple[str, str, str, str, str, str]:
    """The form values that reuse a record's settings, in this order:
    (prompt, video_urls text, quality, aspect_ratio, duration, shot_type)."""
    req = record.request or {}
    try:
        duration = int(req.get("duration", default_duration))
    except (TypeError, ValueError):
        duration = default_duration
    return (
        str(req.get("prompt", "")),
        "\n".join(req.get("video_urls") or []),
        _choice(req.get("quality"), QUALITIES),
        _choice(req.get("aspect_ratio"), ASPECT_RATIOS),
        str(duration),  # the form's duration choices are text
        _choice(req.get("shot_type"), SHOT_TYPES),
    )


def remix_profile(record: TaskRecord, choice: ProviderChoice) -> ProviderProfile:
    """The provider and model a record ran on, as the form can pick them now: the provider's
    default model where that model is no longer sold, the configured provider where the
    provider is not offered here."""
    picked = choice.pick(record.provider, record.model)
    return picked.profile if picked.ok else choice.pick(picked.profile.name).profile


def uploaded_names(record: TaskRecord) -> list[str]:
    """The reference files Remix cannot refill (uploads are not kept)."""
    return [str(r) for r in (record.request or {}).get("references", []) if "://" not in str(r)]
