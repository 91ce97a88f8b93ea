"""The finished video (elem_id `result-video`) and the task record as JSON.

The player plays the saved file from the owner-only route (`wanvideo.web.routes`): the page's
cookie proves the owner, and no copy of the video ever sits in Gradio's public file cache.
API clients download it from the record's `video_url`, a signed link that works for a few
minutes without a cookie.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import gradio as gr
from gradio import route_utils

from wanvideo.messages import EN
from wanvideo.web.routes import video_path

from .lang import static, t


def empty_html(lang: str = EN) -> str:
    return f'<div class="wan-result-empty">{html.escape(t("form.result_empty", lang))}</div>'


EMPTY = empty_html()
CSS = """
#result-video video { width: 100%; max-height: 420px; background: #000; border-radius: 6px; display: block; }
#result-video .wan-variations { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 8px; }
#result-video .wan-variation { margin: 0; }
#result-video .wan-variation figcaption { font-size: .85em; opacity: .8; padding-top: 2px; }
#result-video .wan-result-empty { opacity: .7; font-size: .9em; padding: 8px 0; }
#result-video .wan-result-links { font-size: .85em; margin-top: 4px; }
"""


@dataclass
class Result:
    video: gr.HTML
    record: gr.JSON


def player_html(record_id: str | None, lang: str = EN) -> str:
    """A player for the record's saved video (relative link: a root_path keeps working)."""
    if not record_id:
        return empty_html(lang)
    src = html.escape(video_path(record_id))
    download = html.escape(t("result.download", lang))
    return (
        f'<video controls playsinline preload="metadata" src="{src}"></video>'
        f'<div class="wan-result-links"><a href="{src}?download=1" download>{download}</a></div>'
    )


def public_root(request: gr.Request | None) -> str:
    """The app's public address as the caller sees it (behind a proxy too), no trailing slash."""
    raw = getattr(request, "request", None)
    if raw is None:
        return ""
    try:
        route = route_utils.get_api_call_path(request=raw)
    except ValueError:
        route = ""
    return route_utils.get_root_url(request=raw, route_path=route, root_path=raw.scope.get("root_path"))


def render() -> Result:
    initial = f'<div class="wan-result-empty">{static("form.result_empty")}</div>'
    video = gr.HTML(initial, label=static("form.result"), elem_id="result-video", padding=False)
    with gr.Accordion(static("form.task_record"), open=False, elem_id="task-record-box"):
        record = gr.JSON(label=static("form.task_record"), elem_id="task-record")
    return Result(video=video, record=record)


def listen(*_args: object) -> None:
    """Filled by components.status (the generate handler)."""
