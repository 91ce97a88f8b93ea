"""The request form: prompt (with a live character count), references, options, Advanced
(callback, API key, the provider and its model variant).

The labels are the accessible names users and tests rely on (DESIGN.md, public contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.limits import MAX_VARIATIONS
from wanvideo.messages import EN
from wanvideo.providers import (
    ASPECT_RATIOS,
    CONTROLS,
    MAX_CHARACTERS,
    MAX_PROMPT_CHARS,
    QUALITIES,
    SHOT_TYPES,
    ProviderProfile,
)
from wanvideo.service import ESTIMATE_FIELDS
from wanvideo.service.values import PER_CARD_FIELDS

from . import controls as controls_panel
from . import provider_view, references
from .context import AppContext
from .controls import Controls
from .lang import lang_of, static, static_text, t

# Counted in the browser (no server round trip per keystroke), in code points like Python's len(),
# in the language Gradio's frontend chose (the same rule as `wanvideo.messages.negotiate`).
_COUNT_JS = f"""(p) => {{
  const n = [...(p || "")].length;
  const max = {MAX_PROMPT_CHARS};
  const zh = (navigator.language || "").toLowerCase() === "zh-cn";
  if (zh) return n > max ? `**${{n}} / ${{max}} 个字符**：太长了，请删去 ${{n - max}} 个。` : `${{n}} / ${{max}} 个字符`;
  return n > max
    ? `**${{n}} / ${{max}} characters**: too long, remove ${{n - max}}.`
    : `${{n}} / ${{max}} characters`;
}}"""


def _insert_js(name: str) -> str:
    return f"""(p) => {{
  const s = p || "";
  return s + (s && !/\\s$/.test(s) ? " " : "") + "{name}";
}}"""


def count_text(prompt: str, lang: str = EN) -> str:
    n = len(prompt or "")
    if n > MAX_PROMPT_CHARS:
        return t("form.count_over", lang, count=n, max=MAX_PROMPT_CHARS, over=n - MAX_PROMPT_CHARS)
    return t("form.count", lang, count=n, max=MAX_PROMPT_CHARS)


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
    images: gr.File
    image_urls: gr.Textbox
    controls: Controls
    api_controls: Controls  # hidden: the controls as the API takes them (empty: the model's default)
    voices: gr.File  # hidden: the API's voices (the page has one voice per reference card)
    variations: gr.Slider  # 1 to 4 generations of this request, side by side (issue 20)
    characters: gr.Textbox  # saved characters by name, before the uploaded references (issue 20)
    provider_changed: Any = None  # the provider pick's event (set by listen), for panels to chain on
    # Chains a cost refresh after an event that sets form values (set by cost.listen; Remix).
    reprice_after: Any = None

    @property
    def reference_starts(self) -> gr.Textbox:
        return self.refs.starts_text

    def inputs_for(self, names: tuple[str, ...], *, cards: bool = False) -> list[gr.components.Component]:
        """The components of the form's fields `names` (`FormValues`), in that order; with
        `cards`, the page's: a per-card field is its control on each reference card
        (`form_api.form_endpoint(..., cards=)`)."""
        found: list[gr.components.Component] = []
        for name in names:
            if cards and name in PER_CARD_FIELDS:
                found += getattr(self.refs, name)
            elif name in CONTROLS:
                found.append(getattr(self.controls if cards else self.api_controls, name))
            else:
                found.append(getattr(self, name))
        return found

    @property
    def cards(self) -> int:
        return len(self.refs.slots)

    @property
    def reference_inputs(self) -> list[gr.components.Component]:
        """What the cost depends on, as the page's refresh takes it (`ESTIMATE_FIELDS`, cards)."""
        return self.inputs_for(ESTIMATE_FIELDS, cards=True)


def _render_advanced(ctx: AppContext) -> tuple[Any, ...]:
    """The Advanced section: callback, the visitor's own key, provider and model with its facts."""
    profile = ctx.profile
    if ctx.settings.is_demo:
        key_info = static("form.key_demo")
    elif ctx.needs_user_key:
        key_info = static("form.key_required")
    else:
        key_info = static("form.key_optional")
    with gr.Accordion(static("form.advanced"), open=ctx.needs_user_key, elem_id="advanced"):
        callback_url = gr.Textbox(
            label=static("field.callback_url"),
            placeholder=static("form.callback_placeholder"),
            info=static("form.callback_info"),
        )
        api_key = gr.Textbox(
            label=static("field.api_key"),
            type="password",
            placeholder="sk-...",
            info=key_info,
            elem_id="api-key",
        )
        provider = gr.Dropdown(
            choices=[(static_text(label), name) for name, label in ctx.choice.options()],
            value=profile.name,
            label=static("field.provider"),
            info=static(
                provider_view.PROVIDER_INFO_DEMO if ctx.settings.is_demo else provider_view.PROVIDER_INFO
            ),
            allow_custom_value=True,  # API values: our own refusal names the choices
            elem_id="provider",
        )
        model = gr.Dropdown(
            choices=[
                (static_text(label), value) for label, value in provider_view.model_choice_messages(profile)
            ],
            value=profile.model,
            label=static("field.model"),
            info=static(provider_view.MODEL_INFO),
            allow_custom_value=True,  # the choices follow the provider; our refusal names them
            elem_id="model",
        )
        facts = provider_view.facts_message(profile)
        provider_facts = gr.Markdown(static_text(facts), elem_id="provider-facts", elem_classes=["wan-hint"])
    return callback_url, api_key, provider, model, provider_facts


def _render_references(profile: ProviderProfile) -> tuple[Any, ...]:
    """The references: video files, their cards (with a voice each where the pick takes
    voices), the fixing option, the pick's rules, video links, photo files and photo links."""
    videos = gr.File(
        label=static("field.videos"),
        file_count="multiple",
        file_types=["video"],
        type="filepath",
        elem_id="reference-videos",
        height=140,
    )
    refs = references.render(voices_shown=profile.reference.voices != "none")
    fix_references = gr.Checkbox(
        value=True,
        label=static("field.fix_references"),
        info=static("form.fix_info"),
        elem_id="fix-references",
    )
    hint = provider_view.reference_hint_message(profile)
    reference_hint = gr.Markdown(static_text(hint), elem_id="reference-hint", elem_classes=["wan-hint"])
    video_urls = gr.Textbox(
        label=static("field.video_urls"),
        value="",
        lines=2,
        max_lines=3,
        placeholder=static("form.urls_placeholder"),
        elem_id="reference-urls",
    )
    images = gr.File(
        label=static("field.images"),
        file_count="multiple",
        file_types=["image", ".heic", ".heif"],
        type="filepath",
        elem_id="reference-images",
        height=120,
    )
    image_urls = gr.Textbox(
        label=static("field.image_urls"),
        value="",
        lines=1,
        max_lines=3,
        info=static("form.images_info"),
        placeholder=static("form.image_urls_placeholder"),
        elem_id="reference-image-urls",
    )
    return videos, refs, fix_references, reference_hint, video_urls, images, image_urls


def render(ctx: AppContext) -> Form:
    profile = ctx.profile
    prompt = gr.Textbox(
        label=static("field.prompt"),
        lines=4,
        max_lines=12,
        placeholder=static("form.prompt_placeholder"),
        elem_id="prompt",
    )
    prompt_count = gr.Markdown(
        static("form.count", count=0, max=MAX_PROMPT_CHARS), elem_id="prompt-count", elem_classes=["wan-hint"]
    )
    with gr.Row(elem_id="character-buttons", elem_classes=["wan-chips"]):
        gr.Markdown(static("form.insert"), elem_classes=["wan-hint"])
        character_buttons = [
            gr.Button(f"character{i}", size="sm", variant="secondary", visible=False, min_width=90)
            for i in range(1, MAX_CHARACTERS + 1)
        ]
    videos, refs, fix_references, reference_hint, video_urls, images, image_urls = _render_references(profile)
    with gr.Row(equal_height=False):
        quality = gr.Radio(list(QUALITIES), value=QUALITIES[0], label=static("field.quality"), min_width=180)
        duration = gr.Dropdown(
            # Text choices: Gradio describes a dropdown to API and MCP clients as a string
            # from its choices, so whole-number choices would make an impossible schema.
            choices=[str(d) for d in profile.durations],
            value=str(profile.default_duration),
            label=static("field.duration"),
            info=static("form.duration_info", provider=profile.label, rule=profile.duration_rule()),
            allow_custom_value=True,  # our own message names the allowed values
            min_width=180,
        )
    aspect_ratio = gr.Radio(list(ASPECT_RATIOS), value=ASPECT_RATIOS[0], label=static("field.aspect_ratio"))
    characters = gr.Textbox(
        label=static("field.characters"),
        max_lines=2,
        info=static("form.characters_info"),
        elem_id="characters",
    )
    variations = gr.Slider(
        1,
        MAX_VARIATIONS,
        value=1,
        step=1,
        label=static("field.variations"),
        info=static("form.variations_info", max=MAX_VARIATIONS),
        elem_id="variations",
    )
    shot_type = gr.Radio(
        [(static(f"shot.{shot}"), shot) for shot in SHOT_TYPES],
        value=SHOT_TYPES[0],
        label=static("field.shot_type"),
        info=static("form.shot_type_info"),
    )
    controls = controls_panel.render(profile)
    callback_url, api_key, provider, model, provider_facts = _render_advanced(ctx)
    voices = gr.File(file_count="multiple", type="filepath", visible=False, label=static("field.voices"))
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
        images=images,
        image_urls=image_urls,
        controls=controls,
        api_controls=controls_panel.render_api(),
        voices=voices,
        variations=variations,
        characters=characters,
    )


def duration_info(profile: ProviderProfile, lang: str = EN) -> str:
    return t("form.duration_info", lang, provider=profile.label, rule=profile.duration_rule())


def provider_updates(profile: ProviderProfile, duration: Any, lang: str = EN) -> tuple[Any, ...]:
    """What follows a provider (and model) pick, for `provider_outputs`: its model choices with
    the pick's model, its durations (keeping `duration` where offered), its rules, the
    references hint, in the visitor's language."""
    return (
        gr.update(choices=provider_view.model_choices(profile, lang), value=profile.model),
        gr.update(
            choices=[str(d) for d in profile.durations],
            value=provider_view.duration_value(profile, duration),
            info=duration_info(profile, lang),
        ),
        *model_updates(profile, lang),
    )


def model_updates(profile: ProviderProfile, lang: str = EN) -> tuple[Any, ...]:
    """What follows a model pick, for `model_outputs`: its rules, the references hint, the
    controls it takes (the others disabled with the reason) and the cards' voices."""
    voices = gr.update(visible=profile.reference.voices != "none")
    return (
        provider_view.facts(profile, lang),
        provider_view.reference_hint(profile, lang),
        *controls_panel.updates(profile, lang),
        *(voices for _ in range(MAX_CHARACTERS)),
    )


def model_outputs(form: Form) -> list[Any]:
    return [form.provider_facts, form.reference_hint, *form.controls.outputs(), *form.refs.voices]


def provider_outputs(form: Form) -> list[Any]:
    return [form.model, form.duration, *model_outputs(form)]


def listen(ctx: AppContext, form: Form) -> None:
    def follow_provider(provider: str, duration: Any, request: gr.Request) -> tuple[Any, ...]:
        """The model choices, durations and rules of the picked provider (in the visitor's language)."""
        return provider_updates(ctx.choice.pick(provider).profile, duration, lang_of(request))

    def follow_model(provider: str, model: str, request: gr.Request) -> tuple[Any, ...]:
        """A model variant has its own reference rules (a flash variant may take 100 MB) and
        controls (Wan 2.7 takes a voice per character)."""
        return model_updates(ctx.choice.pick(provider, model).profile, lang_of(request))

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
        outputs=model_outputs(form),
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    # Browser-only events: no server round trip, never part of the API.
    form.prompt.change(None, inputs=form.prompt, outputs=form.prompt_count, js=_COUNT_JS)
    for i, button in enumerate(form.character_buttons, start=1):
        button.click(None, inputs=form.prompt, outputs=form.prompt, js=_insert_js(f"character{i}"))
    references.listen(form.refs)
