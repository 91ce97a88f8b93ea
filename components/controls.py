"""The generation controls (seed, negative prompt, prompt expansion, audio, watermark), each
enabled only where the picked provider and model take it, else disabled with the reason
(`ReferenceRules.control_reason`); never silently dropped.

    controls = render(ctx.profile)         # inside the form
    updates(profile, lang)                 # after a provider or model pick, in `outputs()` order
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.messages import EN, t
from wanvideo.messages import render as tr
from wanvideo.providers import CONTROLS, NEGATIVE_PROMPT_MAX, SEED_MAX, ProviderProfile

from .lang import static, static_text


@dataclass
class Controls:
    seed: gr.Number | gr.Textbox
    negative_prompt: gr.Textbox
    prompt_extend: gr.Checkbox | gr.Textbox
    audio: gr.Checkbox | gr.Textbox
    watermark: gr.Checkbox | gr.Textbox
    panel: gr.Accordion | None = None  # the page's section (None: the API's hidden inputs)

    def outputs(self) -> list[Any]:
        return [getattr(self, name) for name in CONTROLS]


def _info(profile: ProviderProfile, control: str, lang: str) -> str:
    reason = profile.reference.control_reason(control, profile.label)
    return tr(reason, lang) if reason is not None else t(f"controls.{control}_info", lang)


# What a pick that has no such switch does anyway (shown on the disabled switch).
ANYWAY = {"prompt_extend": False, "audio": True, "watermark": False}


def _value(profile: ProviderProfile, control: str, default: Any) -> Any:
    return default if profile.reference.takes(control) else ANYWAY.get(control, default)


def updates(profile: ProviderProfile, lang: str = EN) -> tuple[Any, ...]:
    """Each control enabled where `profile` takes it, else disabled with the reason (an on/off
    switch showing what the pick does anyway)."""
    return tuple(
        gr.update(interactive=profile.reference.takes(c), info=_info(profile, c, lang))
        if c not in ANYWAY or profile.reference.takes(c)
        else gr.update(interactive=False, info=_info(profile, c, lang), value=ANYWAY[c])
        for c in CONTROLS
    )


def render(profile: ProviderProfile) -> Controls:
    def static_info(control: str) -> Any:
        reason = profile.reference.control_reason(control, profile.label)
        return static_text(reason) if reason is not None else static(f"controls.{control}_info")

    def takes(control: str) -> bool:
        return profile.reference.takes(control)

    def switch(control: str, default: bool) -> gr.Checkbox:
        """An on/off control (elem_id: its name with dashes)."""
        return gr.Checkbox(
            value=_value(profile, control, default),
            label=static(f"field.{control}"),
            info=static_info(control),
            interactive=takes(control),
            elem_id=control.replace("_", "-"),
        )

    with gr.Accordion(static("controls.title"), open=False, elem_id="controls") as panel:
        with gr.Row(equal_height=False):
            seed = gr.Textbox(  # text: empty is "a new seed each time" (a number box shows 0)
                value="",
                label=static("field.seed"),
                placeholder=static("controls.seed_placeholder", max=SEED_MAX),
                max_length=len(str(SEED_MAX)),
                info=static_info("seed"),
                interactive=takes("seed"),
                elem_id="seed",
                min_width=160,
            )
            negative_prompt = gr.Textbox(
                label=static("field.negative_prompt"),
                max_length=NEGATIVE_PROMPT_MAX,
                info=static_info("negative_prompt"),
                interactive=takes("negative_prompt"),
                elem_id="negative-prompt",
                min_width=200,
            )
        with gr.Row(equal_height=False):
            prompt_extend = switch("prompt_extend", True)
            audio = switch("audio", True)
            watermark = switch("watermark", False)
    return Controls(seed, negative_prompt, prompt_extend, audio, watermark, panel)


def render_api() -> Controls:
    """The controls as `/estimate` and `/generate` take them: hidden, each empty by default (the
    model's default, so a caller who sets none is never refused). Gradio gives an API parameter
    its component's value as the default and a checkbox always has one, so the on/off controls
    are text here ("true"/"false", read by `inputs.parse_flag`)."""

    def flag(name: str) -> gr.Textbox:
        return gr.Textbox(value=None, visible=False, label=static(f"field.{name}"))

    return Controls(
        seed=gr.Number(value=None, visible=False, precision=0, label=static("field.seed")),
        negative_prompt=gr.Textbox(value=None, visible=False, label=static("field.negative_prompt")),
        prompt_extend=flag("prompt_extend"),
        audio=flag("audio"),
        watermark=flag("watermark"),
    )
