"""Reference cards: one slot per reference with its card (`reference_cards`) and its
"Start at (s)" control, plus the hidden `reference_starts` text those controls fill (the
`/estimate` and `/generate` parameter).

Filled by the cost panel's refresh (one probe serves both); this module builds and wires the
controls only.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from wanvideo.providers import MAX_REFERENCES
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
    starts_text: gr.Textbox  # hidden: the starts as the API takes them


def render() -> References:
    initial = f'<div class="wan-refs-empty">{static("refs.empty")}</div>'  # translated in the browser
    empty = gr.HTML(initial, elem_id="reference-empty", padding=False)
    slots, cards, starts = [], [], []
    with gr.Row(elem_id="reference-cards", equal_height=False):
        for i in range(1, MAX_REFERENCES + 1):
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
            slots.append(slot)
    starts_text = gr.Textbox(value="", visible=False, label=START_LABEL, elem_id="reference-starts")
    return References(empty=empty, slots=slots, cards=cards, starts=starts, starts_text=starts_text)


def listen(refs: References) -> None:
    """Browser-only: the per-card starts fill the hidden text (its change re-prices)."""
    for start in refs.starts:
        start.change(None, inputs=refs.starts, outputs=refs.starts_text, js=_JOIN_STARTS_JS)
