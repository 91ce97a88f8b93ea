"""The visitor's language in the UI: static text through Gradio's `gr.I18n` (translated in the
browser, English fallback) and dynamic text rendered on the server from the same catalogue
(`wanvideo.messages`) in the language the request's Accept-Language asks for.

    label = static("field.prompt")              # a gr.I18n key: "Prompt" / "提示词" in the browser
    choice = static_text(profile.label)         # a Message the same way; a brand name as it is
    lang = lang_of(request)                     # "en" | "zh-CN", the same choice the browser made
    text = t("cost.empty", lang)                # server-side text for a panel or a gr.Error
    launch(i18n=i18n())                         # every static key registered while building

Gradio's frontend picks the locale from `navigator.language` (exact `zh-CN`, else English for
our texts) and `negotiate` mirrors that, so a label and the panel under it never disagree.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from wanvideo.messages import CATALOGUE, EN, LANGUAGES, Message, negotiate, render, t

_STATIC: dict[str, dict[str, str]] = {}  # i18n key -> {lang: text}, filled while the UI is built


def static(id: str, /, **params: Any) -> I18nData:  # noqa: A002
    """A catalogue message as static text, translated by the browser (params fixed at build)."""
    msg = Message(id, **params)
    key = id
    if params:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]
        key = f"{id}.{digest}"
    _STATIC[key] = {lang: msg.render(lang) for lang in LANGUAGES}
    return I18nData(key)


def static_text(value: Message | str) -> I18nData | str:
    """A Message (a catalogue id with parameters) as static text; a plain string (a brand
    name, a model id) is the same in every language."""
    return static(value.id, **value.params) if isinstance(value, Message) else value


# Gradio's own keys whose text Gradio 6.31 lacks. In every language (svelte-i18n then shows the
# key as it is): `common.complete`, which the status tracker says to screen readers when a run
# ends (only `chatbot.complete` exists), and `common.upload`, the name and tooltip of gr.File's
# upload button. In Chinese only (English is shown): the status tracker's progress and queue
# position. Our tables give them catalogue text, as a template Gradio fills itself ({position});
# a flat key is looked up before Gradio's nested ones, other languages fall back to English.
GRADIO_KEYS = {
    "common.complete": "gradio.complete",
    "common.upload": "gradio.upload",
    "common.progress": "gradio.progress",
    "status.queue_position": "gradio.queue_position",
}


def i18n() -> gr.I18n:
    """The translations of every `static` text and of `GRADIO_KEYS`, for `launch(i18n=...)`."""
    tables = {
        lang: {key: texts[lang] for key, texts in _STATIC.items()}
        | {key: CATALOGUE[id][lang] for key, id in GRADIO_KEYS.items()}
        for lang in LANGUAGES
    }
    return gr.I18n(**tables)


def _english(value: Any) -> Any:
    """A translation key left in a structure (dict form or I18nData) as its English text."""
    if isinstance(value, I18nData):
        return _STATIC.get(value.key, {}).get(EN, value.key)
    if isinstance(value, dict):
        if value.get("_type") == "translation_metadata" or value.get("__type__") == "translation_metadata":
            return _STATIC.get(str(value.get("key")), {}).get(EN, value.get("key"))
        return {k: _english(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_english(v) for v in value]
    return value


def english_api_info(demo: gr.Blocks) -> None:
    """API and MCP clients read parameter labels from `get_api_info`; Gradio copies a gr.I18n
    label there as a translation key, so give them the English text (the API's language)."""
    original = demo.get_api_info

    def get_api_info(*args: Any, **kwargs: Any) -> Any:
        return _english(original(*args, **kwargs))

    demo.get_api_info = get_api_info  # type: ignore[method-assign]


def lang_class(lang: str) -> str:
    """The CSS class of a block shown only in `lang` (the page script marks <html data-wan-lang>)."""
    return f"wan-only-{lang.lower()}"


# Marks the page with the language Gradio's frontend chose (same rule as `negotiate`), so blocks
# made per language (the examples: their values are data, not labels) show only the right one.
LANG_JS = """
document.documentElement.dataset.wanLang =
  (navigator.language || "").toLowerCase() === "zh-cn" ? "zh-cn" : "en";
"""
LANG_CSS = "".join(
    f'html:not([data-wan-lang="{lang.lower()}"]) .wan-only-{lang.lower()} {{ display: none !important; }}\n'
    for lang in LANGUAGES
)
# Gradio's popups title themselves with their type in English ("Error"; `gr.Error(title=...)`
# is not shown by this frontend): other languages get the catalogue's word in its place.
LANG_CSS += "".join(
    f'html[data-wan-lang="{lang.lower()}"] .toast-title.{kind} {{ visibility: hidden; font-size: 0; }}\n'
    f'html[data-wan-lang="{lang.lower()}"] .toast-title.{kind}::before {{ content: "{t(f"toast.{kind}", lang)}";'
    " visibility: visible; font-size: var(--text-md); }\n"
    for lang in LANGUAGES
    if lang != EN
    for kind in ("error", "warning", "info")
)


def lang_of(request: gr.Request | None) -> str:
    """The visitor's language from the request (English for API calls without the header)."""
    headers = getattr(request, "headers", None) if request is not None else None
    if not headers:
        return EN
    return negotiate(headers.get("accept-language"))


__all__ = ["LANG_CSS", "LANG_JS", "english_api_info", "i18n", "lang_class", "lang_of", "static", "t", "tr"]
tr = render  # any domain text in `lang` (a Message is translated, other text shown as it is)
