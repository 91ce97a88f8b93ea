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
from wanvideo.messages import EN, LANGUAGES

from .form import Form
from .lang import lang_class, static

ALLOWED_PATHS = [str(EXAMPLES_DIR)]


def rows(lang: str = EN) -> list[list[object]]:
    """One row per example, in the order of `inputs(form)` (the prompt in `lang`)."""
    return [
        [
            example.prompt.render(lang),
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


def render(form: Form) -> list[gr.Examples]:
    """One set per language; the page shows the browser's (`lang-<code>` classes, LANG_CSS)."""
    sets = []
    for lang in LANGUAGES:
        with gr.Column(elem_classes=[lang_class(lang)]):
            sets.append(
                gr.Examples(
                    examples=rows(lang),
                    inputs=inputs(form),
                    label=static("form.examples"),
                    example_labels=[example.label.render(lang) for example in EXAMPLE_SETS],
                    elem_id="examples" if lang == EN else f"examples-{lang}",
                    cache_examples=False,
                    api_visibility="private",  # a UI convenience, never an API endpoint or an MCP tool
                )
            )
    return sets
