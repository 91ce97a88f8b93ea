"""Reference cards: a preview of each reference with its length and billed seconds.

Filled by the cost panel's refresh (one probe serves both); this module only renders HTML.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import gradio as gr

from wanvideo.events import Probed

from .cost_view import seconds

EMPTY = '<div class="wan-refs-empty">No references yet: upload 1 to 3 clips or paste links.</div>'


def _src(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return source
    # Uploads live in Gradio's cache, which Gradio serves; relative so a root_path still works.
    return "gradio_api/file=" + quote(source)


def cards_html(probed: Probed | None) -> str:
    if probed is None or not probed.probes:
        return EMPTY
    bills = probed.estimate.references if probed.estimate else ()
    cards = []
    for i, probe in enumerate(probed.probes):
        name = html.escape(probe.name)
        playable = probe.duration is not None and probe.container is not None
        preview = (
            f'<video src="{html.escape(_src(probe.source))}" controls muted playsinline preload="metadata"></video>'
            if playable
            else '<div class="wan-ref-novideo">no preview</div>'
        )
        if i < len(bills):
            bill = bills[i]
            billed = (
                seconds(bill.billed_high)
                if bill.billed_low == bill.billed_high
                else f"up to {seconds(bill.billed_high)}"
            )
            length = f"{seconds(probe.duration)} · billed {billed}"
        else:
            length = seconds(probe.duration)
        notes = "".join(
            f'<div class="wan-ref-problem">{html.escape(p)}</div>' for p in probe.problems
        ) + "".join(f'<div class="wan-ref-warning">{html.escape(w)}</div>' for w in probe.warnings)
        cards.append(
            f'<div class="wan-ref" data-character="character{i + 1}">{preview}'
            f'<div class="wan-ref-meta"><b>character{i + 1}</b> <span class="wan-ref-name">{name}</span>'
            f'<br><span class="wan-ref-length">{length}</span></div>{notes}</div>'
        )
    return '<div class="wan-refs">' + "".join(cards) + "</div>"


def render() -> gr.HTML:
    return gr.HTML(EMPTY, elem_id="reference-cards", padding=False)


def listen(*_args: object) -> None:
    """Updated by components.cost (the same probe feeds the cards and the estimate)."""
