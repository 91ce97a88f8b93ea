"""The history panel's HTML: one card per generation, the picker's labels, Remix values.

Pure (no gradio import): records in, HTML and plain values out. Money goes through
`wanvideo.pricing.format_credits`, status words through the record's `status_label`
(`wanvideo.task_status`). Videos play from the owner-only route (`wanvideo.web.routes`).

    running_html, done_html, choices = views(manager.records(owner))
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from wanvideo.pricing import format_credits
from wanvideo.providers import ASPECT_RATIOS, QUALITIES, SHOT_TYPES
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED, FAILED, NEEDS_KEY
from wanvideo.web.routes import video_path

EMPTY = "Your finished generations will appear here."

CSS = """
#history-panel .wan-hist { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 10px; }
#history-panel .wan-hist-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px; }
#history-panel .wan-hist-card video { width: 100%; max-height: 200px; background: #000; border-radius: 4px; }
#history-panel .wan-hist-novideo { height: 80px; display: flex; align-items: center; justify-content: center;
  background: var(--block-background-fill); border-radius: 4px; opacity: .8; font-size: .9em; }
#history-panel .wan-hist-prompt { margin: 6px 0; overflow-wrap: anywhere; }
#history-panel .wan-hist-meta { font-size: .85em; opacity: .85; overflow-wrap: anywhere; }
#history-panel .wan-hist-msg { font-size: .85em; margin-top: 4px; overflow-wrap: anywhere; }
#history-panel .wan-hist-failed .wan-hist-msg { color: var(--error-text-color, #b42318); }
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


def cost_line(record: TaskRecord) -> str:
    parts = []
    est = record.estimate or {}
    credits = _decimal(est.get("credits"))
    if credits is not None:
        parts.append(f"estimate {format_credits(credits, _decimal(est.get('usd')))}")
    if record.credits_charged is not None:
        parts.append(f"charged {format_credits(record.credits_charged)}")
    elif record.status == COMPLETED:
        parts.append("charged: not reported")
    elif record.is_final:
        parts.append("charged" if (record.error or {}).get("charged") else "not charged")
    return " · ".join(parts) or "cost unknown"


def settings_line(record: TaskRecord) -> str:
    req = record.request or {}
    refs = req.get("references") or []
    names = ", ".join(str(r).rsplit("/", 1)[-1] for r in refs) or "none"
    return (
        f"{req.get('quality', '?')} · {req.get('aspect_ratio', '?')} · {req.get('duration', '?')} s · "
        f"{req.get('shot_type', '?')} shot · references: {names}"
    )


def can_retry_download(record: TaskRecord) -> bool:
    """The video was made (the provider gave its link) but is not saved here."""
    return record.status == FAILED and record.result_url is not None and not record.has_video


def card(record: TaskRecord) -> str:
    rid = html.escape(record.id)
    failed = record.is_final and record.status != COMPLETED
    cls = "wan-hist-card wan-hist-failed" if failed or record.status == NEEDS_KEY else "wan-hist-card"
    src = html.escape(video_path(record.id))
    if record.status == COMPLETED and record.has_video:
        media = f'<video controls preload="metadata" src="{src}"></video>'
        download = f'<a href="{src}?download=1" download>Download video</a>'
    else:
        label = "Local copy deleted" if record.status == COMPLETED else html.escape(record.status_label)
        if record.is_running:
            label += f" · {record.progress:.0f}%"
        media = f'<div class="wan-hist-novideo">{label}</div>'
        download = ""
    if can_retry_download(record):
        download = "The video was made but not saved: pick it under Generation and press Retry download."
    error = record.error or {}
    message = record.message or ""
    if failed and error.get("suggestion"):
        message = f"{message} {error['suggestion']}".strip()
    prompt = (record.request or {}).get("prompt", "")
    return (
        f'<div class="{cls}" data-record="{rid}" data-status="{html.escape(record.status)}">'
        f"{media}"
        f'<div class="wan-hist-prompt">{html.escape(prompt)}</div>'
        f'<div class="wan-hist-meta"><b>{html.escape(record.status_label)}</b> · {date_text(record.created_at)}</div>'
        f'<div class="wan-hist-meta">{html.escape(settings_line(record))}</div>'
        f'<div class="wan-hist-meta">{html.escape(cost_line(record))}</div>'
        f'<div class="wan-hist-msg">{html.escape(message)}</div>'
        f'<div class="wan-hist-meta">{download}</div>'
        "</div>"
    )


def render_cards(records: list[TaskRecord], *, empty: str = EMPTY) -> str:
    if not records:
        return f'<div class="wan-hist-empty">{html.escape(empty)}</div>'
    return '<div class="wan-hist">' + "".join(card(r) for r in records) + "</div>"


def choice_label(record: TaskRecord) -> str:
    prompt = (record.request or {}).get("prompt", "").replace("\n", " ")
    short = prompt if len(prompt) <= 40 else prompt[:39] + "…"
    return f"{date_text(record.created_at)} · {record.status_label} · {short}"


def views(records: list[TaskRecord]) -> tuple[str, str, list[tuple[str, str]]]:
    """(running cards, finished cards, picker choices) for an owner's records."""
    running = [r for r in records if r.is_running]
    done = [r for r in records if not r.is_running]
    running_html = render_cards(running, empty="") if running else ""
    done_html = render_cards(done)
    choices = [(choice_label(r), r.id) for r in records]
    return running_html, done_html, choices


def _choice(value: Any, allowed: tuple[Any, ...]) -> Any:
    return value if value in allowed else allowed[0]


def remix_values(record: TaskRecord, default_duration: int) -> tuple[str, str, str, str, int, str]:
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
        duration,
        _choice(req.get("shot_type"), SHOT_TYPES),
    )


def uploaded_names(record: TaskRecord) -> list[str]:
    """The reference files Remix cannot refill (uploads are not kept)."""
    return [str(r) for r in (record.request or {}).get("references", []) if "://" not in str(r)]
