"""Reference cards: one slot per character (videos, then photos) with its card
(`reference_cards`), its "Start at (s)" control (videos) and its voice (where the pick takes
voices), plus the hidden `reference_starts` text the starts fill (the `/estimate` and
`/generate` parameter; the voices reach the page's handlers one per card).

Filled by the cost panel's refresh (one probe serves both); this module builds and wires the
controls only.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from wanvideo.providers import MAX_CHARACTERS
from wanvideo.schemas import FIELD_LABELS

from .lang import static

START_LABEL = FIELD_LABELS["reference_starts"]

# The starts in reference order, trailing zeros dropped ("0, 12.5"); runs in the browser.
_JOIN_STARTS_JS = """(...values) => {
  const v = values.map((x) => (x === null || x === undefined || x === "" || isNaN(Number(x))) ? 0 : Number(x));
  while (v.length && v[v.length - 1] === 0) v.pop();
  return v.join(", ");
}"""


@dataclass
class References:
    empty: gr.HTML  # the hint shown without references
    slots: list[gr.Column]  # one per reference, hidden when unused
    cards: list[gr.HTML]
    starts: list[gr.Number]  # "Start at (s)" of each card
    voices: list[gr.File]  # the voice of each card's character
    starts_text: gr.Textbox  # hidden: the starts as the API takes them


def render(voices_shown: bool = False) -> References:
    initial = f'<div class="wan-refs-empty">{static("refs.empty")}</div>'  # translated in the browser
    empty = gr.HTML(initial, elem_id="reference-empty", padding=False)
    slots, cards, starts, voices = [], [], [], []
    with gr.Row(elem_id="reference-cards", equal_height=False):
        for i in range(1, MAX_CHARACTERS + 1):
            with gr.Column(visible=False, min_width=160, elem_classes=["wan-ref-slot"]) as slot:
                cards.append(gr.HTML("", elem_id=f"reference-card-{i}", padding=False))
                starts.append(
                    gr.Number(
                        value=0,
                        label=static("field.reference_starts"),
                        minimum=0,
                        step=0.5,
                        elem_id=f"reference-start-{i}",
                        elem_classes=["wan-ref-start"],
                        info=static("form.start_info", index=i),
                    )
                )
                voices.append(
                    gr.File(
                        label=static("form.voice_label"),
                        file_types=["audio", "video"],
                        type="filepath",
                        visible=voices_shown,
                        height=90,
                        elem_id=f"reference-voice-{i}",
                        elem_classes=["wan-ref-voice"],
                    )
                )
            slots.append(slot)
    starts_text = gr.Textbox(value="", visible=False, label=START_LABEL, elem_id="reference-starts")
    return References(
        empty=empty, slots=slots, cards=cards, starts=starts, voices=voices, starts_text=starts_text
    )


def listen(refs: References) -> None:
    """Browser-only: the per-card starts fill the hidden text (its change re-prices)."""
    for start in refs.starts:
        start.change(None, inputs=refs.starts, outputs=refs.starts_text, js=_JOIN_STARTS_JS)
