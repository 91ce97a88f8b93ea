"""One-click examples: each fills the prompt, the reference clips and the settings.

    examples.render(the_form)      # inside the slot where the examples should appear

Filling the form triggers the same change events as typing and uploading, so the cost panel
prices an example like any other input before anything is spent. The clips and sets are the
domain's (`wanvideo.examples`); the clips are served from the repository's `examples/` folder
(`ALLOWED_PATHS`, added to `launch(allowed_paths=...)`).
"""

from __future__ import annotations

import gradio as gr

from wanvideo.examples import EXAMPLE_SETS, EXAMPLES_DIR, example_paths

from .form import Form
from .lang import static

LABEL = "Try an example (one click fills the form)"
ALLOWED_PATHS = [str(EXAMPLES_DIR)]


def rows() -> list[list[object]]:
    """One row per example, in the order of `inputs(form)`."""
    return [
        [
            example.prompt,
            [str(p) for p in example_paths(example)],
            example.quality,
            example.aspect_ratio,
            str(example.duration),
            example.shot_type,
        ]
        for example in EXAMPLE_SETS
    ]


def inputs(form: Form) -> list[gr.components.Component]:
    return [form.prompt, form.videos, form.quality, form.aspect_ratio, form.duration, form.shot_type]


def render(form: Form) -> gr.Examples:
    return gr.Examples(
        examples=rows(),
        inputs=inputs(form),
        label=static("form.examples"),
        example_labels=[example.label for example in EXAMPLE_SETS],
        elem_id="examples",
        cache_examples=False,
        api_visibility="private",  # a UI convenience, never an API endpoint or an MCP tool
    )
