"""The history panel: the visitor's own generations, newest first, live while they run.

    hist = history.render(ctx, owner)            # owner: the identity gr.BrowserState
    history.listen(ctx=ctx, owner=owner, history=hist, demo=demo, form=the_form)
    demo.launch(**layout_kwargs, **history.launch_kwargs(ctx))   # the owner-only video route

Each card shows the video, prompt, settings, status, estimated and final cost and date.
Pick one in "Generation" to Remix it (fills the form: see `remix_values`), delete its
local copy, or Resume it with your key when it was started with a key that was not kept.

Videos are served by `GET /wan/video/<record id>` (`routes(ctx)`), only to their owner:
the page sets a cookie holding the owner id signed with the server's secret, and the route
answers 404 to anybody else. The file names in the data folder are random and never listed.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import gradio as gr

from wanvideo.store import COMPLETED, NEEDS_KEY, TaskRecord

from . import identity

COOKIE = "wan_owner"
VIDEO_ROUTE = "wan/video"
RENDER_EVERY = 0.5  # seconds between re-renders while tasks stream

SET_COOKIE_JS = f"""
const setCookie = () => {{
  const token = props.value;
  if (!token) return;
  const secure = window.location.protocol === "https:";
  const attrs = secure ? "; Secure; SameSite=None; Partitioned" : "; SameSite=Lax";
  document.cookie = "{COOKIE}=" + encodeURIComponent(token) + "; Path=/; Max-Age=31536000" + attrs;
}};
setCookie();
watch("value", setCookie);
"""

CSS = """
#history-panel .wan-hist { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 10px; }
#history-panel .wan-hist-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px; }
#history-panel .wan-hist-card video { width: 100%; max-height: 200px; background: #000; border-radius: 4px; }
#history-panel .wan-hist-novideo { height: 80px; display: flex; align-items: center; justify-content: center;
  background: var(--block-background-fill); border-radius: 4px; opacity: .8; font-size: .9em; }
#history-panel .wan-hist-prompt { margin: 6px 0; overflow-wrap: anywhere; }
#history-panel .wan-hist-meta { font-size: .85em; opacity: .85; overflow-wrap: anywhere; }
#history-panel .wan-hist-msg { font-size: .85em; margin-top: 4px; overflow-wrap: anywhere; }
#history-panel .wan-hist-failed .wan-hist-msg { color: var(--error-text-color, #b42318); }
"""


@dataclass
class History:
    running: gr.HTML
    panel: gr.HTML
    select: gr.Dropdown
    remix: gr.Button
    delete: gr.Button
    resume: gr.Button
    token: gr.HTML


# ------------------------------------------------------------------------ rendering


def _date(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _credits(value: Any) -> str:
    if value is None or value == "":
        return "?"
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return "?"
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _cost_line(record: TaskRecord) -> str:
    parts = []
    est = record.estimate or {}
    if est.get("credits") is not None:
        usd = f" (~${est.get('usd')})" if est.get("usd") is not None else ""
        parts.append(f"estimate {_credits(est.get('credits'))} credits{usd}")
    if record.credits_charged is not None:
        parts.append(f"charged {_credits(record.credits_charged)} credits")
    elif record.status == COMPLETED:
        parts.append("charged: not reported")
    elif record.is_final:
        parts.append("not charged" if not (record.error or {}).get("charged") else "charged")
    return " · ".join(parts) or "cost unknown"


def _settings_line(record: TaskRecord) -> str:
    req = record.request or {}
    refs = req.get("references") or []
    names = ", ".join(str(r).rsplit("/", 1)[-1] for r in refs) or "none"
    return (
        f"{req.get('quality', '?')} · {req.get('aspect_ratio', '?')} · {req.get('duration', '?')} s · "
        f"{req.get('shot_type', '?')} shot · references: {names}"
    )


def _card(record: TaskRecord) -> str:
    rid = html.escape(record.id)
    failed = record.is_final and record.status != COMPLETED
    cls = "wan-hist-card wan-hist-failed" if failed or record.status == NEEDS_KEY else "wan-hist-card"
    if record.status == COMPLETED and record.has_video:
        media = f'<video controls preload="metadata" src="{VIDEO_ROUTE}/{rid}"></video>'
        download = f'<a href="{VIDEO_ROUTE}/{rid}?download=1" download>Download video</a>'
    else:
        label = "Local copy deleted" if record.status == COMPLETED else html.escape(record.status_label)
        if record.is_running:
            label += f" · {record.progress:.0f}%"
        media = f'<div class="wan-hist-novideo">{label}</div>'
        download = ""
    error = record.error or {}
    message = record.message or ""
    if failed and error.get("suggestion"):
        message = f"{message} {error['suggestion']}".strip()
    prompt = (record.request or {}).get("prompt", "")
    return (
        f'<div class="{cls}" data-record="{rid}" data-status="{html.escape(record.status)}">'
        f"{media}"
        f'<div class="wan-hist-prompt">{html.escape(prompt)}</div>'
        f'<div class="wan-hist-meta"><b>{html.escape(record.status_label)}</b> · {_date(record.created_at)}</div>'
        f'<div class="wan-hist-meta">{html.escape(_settings_line(record))}</div>'
        f'<div class="wan-hist-meta">{html.escape(_cost_line(record))}</div>'
        f'<div class="wan-hist-msg">{html.escape(message)}</div>'
        f'<div class="wan-hist-meta">{download}</div>'
        "</div>"
    )


def render_cards(records: list[TaskRecord], *, empty: str) -> str:
    if not records:
        return f'<div class="wan-hist-empty">{html.escape(empty)}</div>'
    return '<div class="wan-hist">' + "".join(_card(r) for r in records) + "</div>"


def _choice_label(record: TaskRecord) -> str:
    prompt = (record.request or {}).get("prompt", "").replace("\n", " ")
    short = prompt if len(prompt) <= 40 else prompt[:39] + "…"
    return f"{_date(record.created_at)} · {record.status_label} · {short}"


def _views(records: list[TaskRecord]) -> tuple[str, str, list[tuple[str, str]]]:
    running = [r for r in records if r.is_running]
    done = [r for r in records if not r.is_running]
    running_html = render_cards(running, empty="") if running else ""
    done_html = render_cards(done, empty="Your finished generations will appear here.")
    choices = [(_choice_label(r), r.id) for r in records]
    return running_html, done_html, choices


def remix_values(record: TaskRecord) -> tuple[str, str, str, str, int, str]:
    """The form values that reuse a record's settings, in this order:
    (prompt, video_urls text, quality, aspect_ratio, duration, shot_type)."""
    req = record.request or {}
    return (
        str(req.get("prompt", "")),
        "\n".join(req.get("video_urls") or []),
        str(req.get("quality", "720p")),
        str(req.get("aspect_ratio", "16:9")),
        int(req.get("duration", 5)),
        str(req.get("shot_type", "single")),
    )


# ------------------------------------------------------------------------ UI


def render(ctx: Any, owner: Any = None) -> History:
    with gr.Column(elem_id="history-panel"):
        gr.Markdown("## Your generations")
        running = gr.HTML("", elem_id="history-running")
        panel = gr.HTML(
            '<div class="wan-hist-empty">Your finished generations will appear here.</div>',
            elem_id="history-list",
        )
        with gr.Row(equal_height=True):
            select = gr.Dropdown(
                choices=[],
                value=None,
                label="Generation",
                elem_id="history-select",
                scale=3,
                allow_custom_value=False,
            )
            remix = gr.Button("Remix", elem_id="history-remix", scale=1)
            delete = gr.Button("Delete local copy", elem_id="history-delete", variant="stop", scale=1)
            resume = gr.Button("Resume with my key", elem_id="history-resume", scale=1)
        # Sets the signed owner cookie the video route checks; shows nothing.
        token = gr.HTML("", html_template="", js_on_load=SET_COOKIE_JS, elem_id="history-owner-token")
    return History(
        running=running, panel=panel, select=select, remix=remix, delete=delete, resume=resume, token=token
    )


def listen(
    ctx: Any,
    owner: gr.BrowserState | None,
    history: History | None,
    demo: gr.Blocks,
    form: Any = None,
) -> None:
    """Wire the panel. With `form` (components.form.Form) Remix fills it directly."""
    if history is None or owner is None:
        return
    manager = ctx.manager
    ident = identity.for_settings(ctx.settings)

    def who(value: Any, request: gr.Request | None) -> str | None:
        return identity.resolve_owner(ident, value, request)

    async def stream(value: Any, selected: str | None, request: gr.Request) -> AsyncIterator[tuple[Any, ...]]:
        owner_id = who(value, request)
        if owner_id is None or manager is None:
            yield "", render_cards([], empty="Your finished generations will appear here."), gr.update(), ""
            return
        token = ident.token(owner_id)
        last: tuple[Any, ...] = ()
        changes = manager.follow_owner(owner_id, heartbeat=15.0)
        try:
            first = True
            while True:
                records = await asyncio.to_thread(manager.records, owner_id)
                running_html, done_html, choices = _views(records)
                ids = [c[1] for c in choices]
                view = (running_html, done_html, tuple(choices))
                if first or view != last:
                    keep = selected if selected in ids else (ids[0] if ids else None)
                    yield (
                        running_html if first or running_html != last[0] else gr.skip(),
                        done_html if first or done_html != last[1] else gr.skip(),
                        # The value only on the first render: later ones keep the visitor's pick.
                        gr.update(choices=choices, value=keep)
                        if first
                        else (gr.update(choices=choices) if view[2] != last[2] else gr.skip()),
                        token if first else gr.skip(),
                    )
                    last = view
                else:
                    yield gr.skip(), gr.skip(), gr.skip(), gr.skip()  # lets Gradio notice a closed page
                first = False
                # Wait for the next change of this owner's records (or a heartbeat).
                await changes.__anext__()
                await asyncio.sleep(RENDER_EVERY)
        finally:
            await changes.aclose()

    outputs = [history.running, history.panel, history.select, history.token]
    load_event = demo.load(
        stream,
        inputs=[owner, history.select],
        outputs=outputs,
        api_visibility="private",
        concurrency_limit=None,
        show_progress="hidden",
    )
    owner.change(
        stream,
        inputs=[owner, history.select],
        outputs=outputs,
        api_visibility="private",
        concurrency_limit=None,
        show_progress="hidden",
        cancels=[load_event],
    )

    def _record(
        selected: str | None, value: Any, request: gr.Request | None
    ) -> tuple[str | None, TaskRecord | None]:
        owner_id = who(value, request)
        if owner_id is None or not selected or manager is None:
            return owner_id, None
        return owner_id, manager.get(selected, owner_id)

    def delete(selected: str | None, value: Any, request: gr.Request) -> None:
        owner_id, record = _record(selected, value, request)
        if record is None or owner_id is None:
            raise gr.Error("Pick one of your generations first.", print_exception=False)
        if not manager.delete_video(record.id, owner_id):
            raise gr.Error("That generation has no local copy to delete.", print_exception=False)
        gr.Info("The local copy was deleted; the entry stays in your history.")

    history.delete.click(delete, inputs=[history.select, owner], outputs=None, api_visibility="private")

    def resume(selected: str | None, value: Any, key: str | None, request: gr.Request) -> None:
        owner_id, record = _record(selected, value, request)
        if record is None or owner_id is None:
            raise gr.Error("Pick one of your generations first.", print_exception=False)
        if record.status != NEEDS_KEY:
            raise gr.Error("Only a generation marked 'Needs key' can be resumed.", print_exception=False)
        if manager.resume(record.id, owner_id, api_key=key) is None:
            raise gr.Error(
                "It could not be resumed: paste the API key it was started with under API key.",
                print_exception=False,
            )
        gr.Info("Resumed: the task is being watched again.")

    key_box = getattr(form, "api_key", None) if form is not None else None
    if key_box is not None:
        history.resume.click(
            resume, inputs=[history.select, owner, key_box], outputs=None, api_visibility="private"
        )
    else:
        history.resume.click(
            lambda s, v, request: resume(s, v, None, request),
            inputs=[history.select, owner],
            outputs=None,
            api_visibility="private",
        )

    if form is not None:

        def remix(selected: str | None, value: Any, request: gr.Request) -> tuple[Any, ...]:
            _, record = _record(selected, value, request)
            if record is None:
                raise gr.Error("Pick one of your generations first.", print_exception=False)
            files = [r for r in (record.request or {}).get("references", []) if "://" not in str(r)]
            if files:
                gr.Info("Settings reused. Upload the reference files again: " + ", ".join(files))
            return remix_values(record)

        history.remix.click(
            remix,
            inputs=[history.select, owner],
            outputs=[
                form.prompt,
                form.video_urls,
                form.quality,
                form.aspect_ratio,
                form.duration,
                form.shot_type,
            ],
            api_visibility="private",
        )


# ------------------------------------------------------------------------ serving videos


def routes(ctx: Any) -> list[Any]:
    """Starlette routes to add to Gradio's app: `GET /wan/video/{record_id}` serves a saved
    video to its owner only (cookie `wan_owner`, signed); everybody else gets 404."""
    from starlette.responses import FileResponse, PlainTextResponse
    from starlette.routing import Route

    ident = identity.for_settings(ctx.settings)

    async def video(request: Any) -> Any:
        record_id = request.path_params["record_id"]
        owner_id = ident.owner_from_token(unquote(request.cookies.get(COOKIE) or ""))
        manager = ctx.manager
        record = manager.get(record_id, owner_id) if (owner_id and manager is not None) else None
        if record is None or not record.has_video:
            return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})
        headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
        name = f"wan-{time.strftime('%Y%m%d-%H%M', time.gmtime(record.created_at))}-{record.id[:8]}.mp4"
        if request.query_params.get("download"):
            return FileResponse(record.video_path, media_type="video/mp4", filename=name, headers=headers)
        return FileResponse(
            record.video_path, media_type="video/mp4", headers=headers, content_disposition_type="inline"
        )

    return [Route(f"/{VIDEO_ROUTE}/{{record_id}}", video, methods=["GET", "HEAD"])]


def launch_kwargs(ctx: Any) -> dict[str, Any]:
    """What `launch()` needs for this panel: the owner-only video route (merge with the
    layout's kwargs; `allowed_paths` stays the videos folder only, never the data folder)."""
    return {"app_kwargs": {"routes": routes(ctx)}}
