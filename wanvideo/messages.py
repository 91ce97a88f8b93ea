"""Every sentence a person reads, in English and Chinese (Simplified): one catalogue keyed by id.

The domain returns `Message(id, **params)` instead of assembling sentences; the UI renders it in
the visitor's language. A `Message` *is* a `str` (its English rendering), so logs, JSON answers
and code that only needs English keep working; `render(value, lang)` gives any language.

    msg = Message("input.prompt_empty")
    str(msg)                          # "write a prompt describing the video (it is empty)"
    msg.render("zh-CN")               # "请写一段描述视频的提示词（目前为空）"
    render(msg, negotiate("zh-CN,zh;q=0.9"))
    Message("field.problem", field=Message("field.duration"), problem="...")  # params nest

Messages are stored as id + params (`encode` / `decode`), so a history entry written today
still reads in the visitor's language tomorrow. `negotiate` picks the language the way Gradio's
frontend does (the browser's first language, exact `zh-CN`, else English), so static labels
(`gr.I18n`, translated in the browser) and server-rendered text always agree.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

EN = "en"
ZH = "zh-CN"
LANGUAGES = (EN, ZH)
DEFAULT_LANGUAGE = EN
_MARK = "__msg__"


def negotiate(accept_language: str | None) -> str:
    """The visitor's language from an Accept-Language header: the highest-weighted tag, `zh-CN`
    when it is exactly that (any case), else English. Gradio's frontend decides the same way from
    `navigator.language` (zh-TW, zh-HK and bare zh fall back to English there too)."""
    best, best_q = "", -1.0
    for part in (accept_language or "").split(","):
        tag, _, rest = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        q = 1.0
        for option in rest.split(";"):
            name, _, value = option.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = tag, q
    return ZH if best.lower() == ZH.lower() else EN


LOCALES = Path(__file__).with_name("locales")  # <language>/<area>.json: {id: text}
AREAS = ("domain", "page")  # the domain's messages; the page's labels and panels


def load_catalogue(folder: Path = LOCALES) -> dict[str, dict[str, str]]:
    """Every message id with its text per language, read from the translators' JSON files
    (one flat {id: text} object per language and area)."""
    catalogue: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        for area in AREAS:
            table = json.loads((folder / lang / f"{area}.json").read_text(encoding="utf-8"))
            for mid, text in table.items():
                catalogue.setdefault(mid, {})[lang] = text
    return catalogue


CATALOGUE: dict[str, dict[str, str]] = load_catalogue()


class Message(str):
    """A catalogue message with its parameters; as a `str` it is the English text."""

    id: str
    params: dict[str, Any]

    def __new__(cls, id: str, /, **params: Any) -> Message:  # noqa: A002 - the catalogue's word
        if id not in CATALOGUE:
            raise KeyError(f"unknown message id {id!r}")
        self = super().__new__(cls, _format(id, EN, params))
        self.id = id
        self.params = params
        return self

    def render(self, lang: str = EN, escape: Callable[[str], str] | None = None) -> str:
        """The text in `lang`; with `escape`, every value it quotes (at any depth) goes through
        it and the catalogue's own words do not (`wanvideo.escape`: markdown, HTML)."""
        return _format(self.id, lang, self.params, escape)

    def __reduce__(self) -> tuple[Any, ...]:  # pickling keeps id + params
        return (_rebuild, (self.id, self.params))

    def __repr__(self) -> str:
        return f"Message({self.id!r}, {self.params!r})"


def _rebuild(id: str, params: dict[str, Any]) -> Message:  # noqa: A002
    return Message(id, **params)


def _format(
    id: str,  # noqa: A002
    lang: str,
    params: Mapping[str, Any],
    escape: Callable[[str], str] | None = None,
) -> str:
    entry = CATALOGUE[id]
    template = entry.get(lang) or entry[EN]
    text = template.format_map({k: _value(v, lang, escape) for k, v in params.items()})
    return text[:1].upper() + text[1:] if id in ("sentence", "sentence.full") else text


def _value(value: Any, lang: str, escape: Callable[[str], str] | None) -> Any:
    if isinstance(value, Message):
        return value.render(lang, escape)
    if escape is None or isinstance(value, int | float | Decimal):  # numbers carry no markup
        return value
    return escape(str(value))


def render(value: Any, lang: str = EN, escape: Callable[[str], str] | None = None) -> str:
    """Text in `lang`: a Message is rendered, anything else is shown as it is. With `escape`
    (`wanvideo.escape`), the values a Message quotes, or the whole of a plain text, go through it."""
    if isinstance(value, Message):
        return value.render(lang, escape)
    text = "" if value is None else str(value)
    return escape(text) if escape is not None and text else text


ECHO_CHARS = 40  # a visitor's own value quoted in a message: at most this many characters


def echoed(value: Any, limit: int = ECHO_CHARS) -> str:
    """A visitor's own value as a message quotes it: its repr, cut to `limit` characters, so a
    crafted megabyte of input never comes back in a refusal (or a log line)."""
    text = str(value).strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def either(items: list[Any] | tuple[Any, ...]) -> Any:
    """ "a or b or c" in any language (one item: itself)."""
    if not items:
        return ""
    result: Any = str(items[0])
    for item in items[1:]:
        result = Message("text.or", a=result, b=str(item))
    return result


def t(id: str, lang: str, /, **params: Any) -> str:  # noqa: A002
    """A catalogue message rendered in `lang` (for views that write text, not return messages)."""
    return Message(id, **params).render(lang)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def encode(value: Any) -> Any:
    """JSON-ready: every Message (also inside dicts and lists) as {"__msg__": id, "params": ...}."""
    if isinstance(value, Message):
        return {_MARK: value.id, "params": {k: encode(v) for k, v in value.params.items()}}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """The inverse of `encode`; an id no longer in the catalogue reads as its English text."""
    if isinstance(value, dict):
        if _MARK in value and set(value) <= {_MARK, "params", "en"}:
            params = {k: decode(v) for k, v in (value.get("params") or {}).items()}
            try:
                return Message(str(value[_MARK]), **params)
            except (KeyError, IndexError, ValueError):
                return str(value.get("en") or value[_MARK])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
