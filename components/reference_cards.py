"""The reference cards' HTML: one card per reference with its preview, length, billed seconds,
what will be done to it (or was), preparation progress, problems and warnings.

Pure (no gradio import): a `Probed` (and a card's preparation state) in, HTML out. The card
previews the prepared clip once it is made, so the person sees what the model will get.

    card_html(probed, 0)                        # character1's card
    card_html(probed, 1, CardState(percent=40))  # while character2 is being prepared
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote

from wanvideo.events import Probed
from wanvideo.media.prepare import about
from wanvideo.messages import EN, t
from wanvideo.messages import render as tr

from .cost_view import seconds

EMPTY = '<div class="wan-refs-empty">No references yet: upload 1 to 3 clips or paste links.</div>'
PLAYABLE_CONTAINERS = ("mp4", "mov", "webm")  # what a browser's <video> opens
SHOWN_IMAGES = ("jpeg", "png", "webp", "bmp")  # what a browser's <img> shows (not HEIC)


@dataclass(frozen=True)
class CardState:
    """A card's preparation as the cost panel follows it: percent while it runs, or why it failed."""

    percent: float | None = None
    failure: str | None = None


def media_src(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return source
    # Uploads and prepared clips live in Gradio's cache, which Gradio serves; relative so a
    # root_path still works.
    return "gradio_api/file=" + quote(source)


def _video(source: str) -> str:
    return f'<video src="{html.escape(media_src(source))}" controls muted playsinline preload="metadata"></video>'


def billed_text(probed: Probed, index: int, lang: str = EN) -> str | None:
    bills = probed.estimate.references if probed.estimate else ()
    if index >= len(bills):
        return None
    bill = bills[index]
    if bill.billed_low == bill.billed_high:
        return seconds(bill.billed_high, lang)
    return t("refs.up_to", lang, value=seconds(bill.billed_high, lang))


def length_text(probed: Probed, index: int, lang: str = EN) -> str:
    """ "3 s · billed 2.5 s", or "45 s, sends 30 s · billed 1.65 s" when trimmed."""
    probe, sent, plan = probed.probes[index], probed.sent(index), probed.plan(index)
    length = seconds(probe.duration, lang)
    if (
        plan is not None
        and plan.job is not None
        and sent.duration is not None
        and sent.duration != probe.duration
    ):
        length = t("cost.sends", lang, length=length, sent=seconds(sent.duration, lang))
    billed = billed_text(probed, index, lang)
    return t("refs.length_billed", lang, length=length, billed=billed) if billed else length


def card_html(probed: Probed, index: int, state: CardState | None = None, lang: str = EN) -> str:
    """The card of reference `index` (character{index + 1})."""
    state = state or CardState()
    probe, sent, plan, clip = probed.probes[index], probed.sent(index), probed.plan(index), probed.clip(index)
    character = f"character{index + 1}"
    needs_work = plan is not None and plan.needed
    if clip is not None:
        preview = _video(str(clip.path))
    elif (
        probe.duration is not None
        and probe.container is not None
        and (probe.container in PLAYABLE_CONTAINERS or not needs_work)
    ):
        preview = _video(probe.source)
    elif needs_work:
        preview = f'<div class="wan-ref-novideo">{t("refs.no_preview_yet", lang)}</div>'
    else:
        preview = f'<div class="wan-ref-novideo">{t("refs.no_preview", lang)}</div>'

    notes = clip.notes() if clip is not None else (plan.notes() if plan is not None else ())
    parts = [
        f'<div class="wan-ref" data-character="{character}">{preview}',
        f'<div class="wan-ref-meta"><b>{character}</b> <span class="wan-ref-name">{html.escape(probe.name)}</span>'
        f'<br><span class="wan-ref-length">{html.escape(length_text(probed, index, lang))}</span></div>',
    ]
    if notes:
        items = "".join(f"<li>{html.escape(tr(n, lang))}</li>" for n in notes)
        parts.append(f'<ul class="wan-ref-notes">{items}</ul>')
    if clip is not None:
        parts.append(f'<div class="wan-ref-prep">{t("refs.prepared", lang)}</div>')
    elif state.failure:
        parts.append(f'<div class="wan-ref-problem">{html.escape(tr(state.failure, lang))}</div>')
    elif needs_work:
        if state.percent is not None:
            parts.append(
                f'<div class="wan-ref-prep">{t("refs.preparing", lang, percent=f"{state.percent:.0f}")}</div>'
            )
        else:
            when = tr(about(plan.seconds_to_prepare), lang)
            parts.append(f'<div class="wan-ref-prep">{t("refs.will_prepare", lang, when=when)}</div>')
    parts += [f'<div class="wan-ref-problem">{html.escape(tr(p, lang))}</div>' for p in sent.problems]
    parts += [f'<div class="wan-ref-warning">{html.escape(tr(w, lang))}</div>' for w in sent.warnings]
    parts.append(_voice_line(probed, index, lang))
    parts.append("</div>")
    return "".join(parts)


def _voice_line(probed: Probed, character: int, lang: str) -> str:
    """The voice bound to character `character` (0-based over all references): name and
    length, or its problem."""
    voices = probed.voice_probes
    voice = voices[character] if character < len(voices) else None
    if voice is None:
        return ""
    if voice.problems:
        return "".join(
            f'<div class="wan-ref-problem">{html.escape(tr(p, lang))}</div>' for p in voice.problems
        )
    text = t("refs.voice_line", lang, name=voice.name, seconds=seconds(voice.seconds, lang))
    return f'<div class="wan-ref-voiceline">🔊 {html.escape(text)}</div>'


def image_card_html(probed: Probed, index: int, lang: str = EN) -> str:
    """The card of photo `index` (0-based among the photos): its character number comes after
    the videos'. The photo itself is previewed where the browser can show it."""
    card = probed.image_card(index)
    number = len(probed.probes) + index + 1
    character = f"character{number}"
    probe = probed.image_probes[index]
    source = probe.source
    made = probed.prepared_images[index] if index < len(probed.prepared_images) else None
    shown = str(made.path) if made is not None else source
    preview = (
        f'<img src="{html.escape(media_src(shown))}" alt="{html.escape(card.name)}" loading="lazy">'
        if probe.format in SHOWN_IMAGES or made is not None
        else f'<div class="wan-ref-novideo">{t("refs.no_preview", lang)}</div>'
    )
    size = (
        t("refs.image_size", lang, format=card.format or "", width=card.width, height=card.height)
        if card.width and card.height
        else ""
    )
    parts = [
        f'<div class="wan-ref wan-ref-image" data-character="{character}">{preview}',
        f'<div class="wan-ref-meta"><b>{character}</b> <span class="wan-ref-name">{html.escape(card.name)}</span>'
        f'<br><span class="wan-ref-length">{html.escape(size)}</span></div>',
    ]
    if card.notes:
        items = "".join(f"<li>{html.escape(tr(n, lang))}</li>" for n in card.notes)
        parts.append(f'<ul class="wan-ref-notes">{items}</ul>')
    if card.problem:
        parts.append(f'<div class="wan-ref-problem">{html.escape(tr(card.problem, lang))}</div>')
    parts.append(_voice_line(probed, number - 1, lang))
    parts.append("</div>")
    return "".join(parts)


def cards_html(probed: Probed | None, states: dict[int, CardState] | None = None) -> str:
    """Every card in one row (the empty hint without references)."""
    if probed is None or not probed.probes:
        return EMPTY
    states = states or {}
    cards = "".join(card_html(probed, i, states.get(i)) for i in range(len(probed.probes)))
    return f'<div class="wan-refs">{cards}</div>'
