"""The request form: prompt (with a live character count), references, options, Advanced
(callback, API key, the provider and its model variant).

The labels are the accessible names users and tests rely on (DESIGN.md, public contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.providers import (
    ASPECT_RATIOS,
    MAX_PROMPT_CHARS,
    MAX_REFERENCES,
    QUALITIES,
    SHOT_TYPES,
    ProviderProfile,
)

from . import inputs, provider_view, references
from .context import AppContext

SHOT_TYPE_INFO = (
    "single: one continuous shot. multi: several cuts between shots. "
    "This setting overrides what the prompt asks for."
)

# Counted in the browser (no server round trip per keystroke), in code points like Python's len().
_COUNT_JS = f"""(p) => {{
  const n = [...(p || "")].length;
  const max = {MAX_PROMPT_CHARS};
  return n > max
    ? `**${{n}} / ${{max}} characters**: too long, remove ${{n - max}}.`
    : `${{n}} / ${{max}} characters`;
}}"""


def _insert_js(name: str) -> str:
    return f"""(p) => {{
  const s = p || "";
  return s + (s && !/\\s$/.test(s) ? " " : "") + "{name}";
}}"""


FIX_INFO = "Off: clips are sent as they are, and one the provider would refuse is refused here."


def count_text(prompt: str) -> str:
    n = len(prompt or "")
    if n > MAX_PROMPT_CHARS:
        return f"**{n} / {MAX_PROMPT_CHARS} characters**: too long, remove {n - MAX_PROMPT_CHARS}."
    return f"{n} / {MAX_PROMPT_CHARS} characters"


@dataclass
class Form:
    prompt: gr.Textbox
    prompt_count: gr.Markdown
    character_buttons: list[gr.Button]
    videos: gr.File
    refs: references.References
    fix_references: gr.Checkbox
    video_urls: gr.Textbox
    quality: gr.Radio
    aspect_ratio: gr.Radio
    duration: gr.Dropdown
    shot_type: gr.Radio
    callback_url: gr.Textbox
    api_key: gr.Textbox
    provider: gr.Dropdown
    model: gr.Dropdown
    provider_facts: gr.Markdown
    reference_hint: gr.Markdown  # the picked provider's reference rules, under the references
    provider_changed: Any = None  # the provider pick's event (set by listen), for panels to chain on
    # Chains a cost refresh after an event that sets form values (set by cost.listen; Remix).
    reprice_after: Any = None

    @property
    def reference_starts(self) -> gr.Textbox:
        return self.refs.starts_text

    @property
    def reference_inputs(self) -> list[gr.components.Component]:
        """What the cost depends on, in the /estimate order."""
        return [
            self.videos,
            self.video_urls,
            self.quality,
            self.duration,
            self.fix_references,
            self.reference_starts,
            self.provider,
            self.model,
        ]


def render(ctx: AppContext) -> Form:
    profile = ctx.profile
    prompt = gr.Textbox(
        label=inputs.PROMPT,
        lines=4,
        max_lines=12,
        placeholder="character1 sings on the roadside while character2 dances beside them",
        elem_id="prompt",
    )
    prompt_count = gr.Markdown(count_text(""), elem_id="prompt-count", elem_classes=["wan-hint"])
    with gr.Row(elem_id="character-buttons", elem_classes=["wan-chips"]):
        gr.Markdown("Insert into the prompt:", elem_classes=["wan-hint"])
        character_buttons = [
            gr.Button(f"character{i}", size="sm", variant="secondary", visible=False, min_width=90)
            for i in range(1, MAX_REFERENCES + 1)
        ]
    videos = gr.File(
        label=inputs.VIDEOS,
        file_count="multiple",
        file_types=["video"],
        type="filepath",
        elem_id="reference-videos",
        height=140,
    )
    refs = references.render()
    fix_references = gr.Checkbox(
        value=True, label=inputs.FIX_REFERENCES, info=FIX_INFO, elem_id="fix-references"
    )
    reference_hint = gr.Markdown(
        provider_view.reference_hint(profile), elem_id="reference-hint", elem_classes=["wan-hint"]
    )
    video_urls = gr.Textbox(
        label=inputs.VIDEO_URLS,
        value="",
        lines=2,
        max_lines=3,
        placeholder="https://example.com/clip.mp4 (public links, one per line; they come after uploaded files)",
        elem_id="reference-urls",
    )
    with gr.Row(equal_height=False):
        quality = gr.Radio(list(QUALITIES), value=QUALITIES[0], label=inputs.QUALITY, min_width=180)
        duration = gr.Dropdown(
            # Text choices: Gradio describes a dropdown to API and MCP clients as a string
            # from its choices, so whole-number choices would make an impossible schema.
            choices=[str(d) for d in profile.durations],
            value=str(profile.default_duration),
            label=inputs.DURATION,
            info=duration_info(profile),
            allow_custom_value=True,  # our own message names the allowed values
            min_width=180,
        )
    aspect_ratio = gr.Radio(list(ASPECT_RATIOS), value=ASPECT_RATIOS[0], label=inputs.ASPECT_RATIO)
    shot_type = gr.Radio(list(SHOT_TYPES), value=SHOT_TYPES[0], label=inputs.SHOT_TYPE, info=SHOT_TYPE_INFO)
    key_info = "Used only for your requests; never stored or logged."
    if ctx.settings.is_demo:
        key_info = "Not needed in demo mode (results are simulated). " + key_info
    elif ctx.needs_user_key:
        key_info = "Required: this app runs on your own key. " + key_info
    else:
        key_info = "Optional: leave empty to use this app's key. " + key_info
    with gr.Accordion("Advanced", open=ctx.needs_user_key, elem_id="advanced"):
        callback_url = gr.Textbox(
            label=inputs.CALLBACK_URL,
            placeholder="https://your-server.example/hook (optional, public https only)",
            info="The provider posts the finished task here.",
        )
        api_key = gr.Textbox(
            label=inputs.API_KEY,
            type="password",
            placeholder="sk-...",
            info=key_info,
            elem_id="api-key",
        )
        provider = gr.Dropdown(
            choices=[(label, name) for name, label in ctx.choice.options()],
            value=profile.name,
            label=inputs.PROVIDER,
            info=provider_view.PROVIDER_INFO_DEMO if ctx.settings.is_demo else provider_view.PROVIDER_INFO,
            allow_custom_value=True,  # API values: our own refusal names the choices
            elem_id="provider",
        )
        model = gr.Dropdown(
            choices=provider_view.model_choices(profile),
            value=profile.model,
            label=inputs.MODEL,
            info=provider_view.MODEL_INFO,
            allow_custom_value=True,  # the choices follow the provider; our refusal names them
            elem_id="model",
        )
        provider_facts = gr.Markdown(
            provider_view.facts(profile), elem_id="provider-facts", elem_classes=["wan-hint"]
        )
    return Form(
        prompt=prompt,
        prompt_count=prompt_count,
        character_buttons=character_buttons,
        videos=videos,
        refs=refs,
        fix_references=fix_references,
        video_urls=video_urls,
        quality=quality,
        aspect_ratio=aspect_ratio,
        duration=duration,
        shot_type=shot_type,
        callback_url=callback_url,
        api_key=api_key,
        provider=provider,
        model=model,
        provider_facts=provider_facts,
        reference_hint=reference_hint,
    )


def duration_info(profile: ProviderProfile) -> str:
    return f"{profile.label}: {profile.duration_rule()}"


def provider_updates(profile: ProviderProfile, duration: Any) -> tuple[Any, ...]:
    """What follows a provider (and model) pick, for `provider_outputs`: its model choices with
    the pick's model, its durations (keeping `duration` where offered), its rules, the
    references hint."""
    return (
        gr.update(choices=provider_view.model_choices(profile), value=profile.model),
        gr.update(
            choices=[str(d) for d in profile.durations],
            value=provider_view.duration_value(profile, duration),
            info=duration_info(profile),
        ),
        provider_view.facts(profile),
        provider_view.reference_hint(profile),
    )


def provider_outputs(form: Form) -> list[Any]:
    return [form.model, form.duration, form.provider_facts, form.reference_hint]


def listen(ctx: AppContext, form: Form) -> None:
    def follow_provider(provider: str, duration: Any) -> tuple[Any, ...]:
        """The model choices, durations and rules of the picked provider."""
        return provider_updates(ctx.choice.pick(provider).profile, duration)

    def follow_model(provider: str, model: str) -> tuple[str, str]:
        """A model variant has its own reference rules (fal's flash takes 100 MB)."""
        profile = ctx.choice.pick(provider, model).profile
        return provider_view.facts(profile), provider_view.reference_hint(profile)

    form.provider_changed = form.provider.input(
        follow_provider,
        inputs=[form.provider, form.duration],
        outputs=provider_outputs(form),
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    form.model.change(
        follow_model,
        inputs=[form.provider, form.model],
        outputs=[form.provider_facts, form.reference_hint],
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    # Browser-only events: no server round trip, never part of the API.
    form.prompt.change(None, inputs=form.prompt, outputs=form.prompt_count, js=_COUNT_JS)
    for i, button in enumerate(form.character_buttons, start=1):
        button.click(None, inputs=form.prompt, outputs=form.prompt, js=_insert_js(f"character{i}"))
    references.listen(form.refs)
