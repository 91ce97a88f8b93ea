"""The history panel: the visitor's own generations, newest first, live while they run.

    hist = history.render()
    history.listen(ctx=ctx, owner=owner, history=hist, demo=demo, form=the_form)

Each card (`history_cards`) shows the video, prompt, settings, status, estimated and final cost
and date. Pick one in "Generation" to Remix it (fills the form), delete its local copy, Resume
it with your key when it was started with a key that was not kept, or Retry the download of a
video that was made but not saved. Videos play from the owner-only route
(`wanvideo.web.routes`); this panel sets the signed owner cookie that route checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.store import TaskRecord
from wanvideo.task_status import NEEDS_KEY
from wanvideo.web.routes import COOKIE

from . import history_cards as cards
from . import identity
from .context import AppContext
from .form import Form

RENDER_EVERY = 0.5  # seconds between re-renders while tasks stream
CSS = cards.CSS

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


@dataclass
class History:
    running: gr.HTML
    panel: gr.HTML
    select: gr.Dropdown
    remix: gr.Button
    delete: gr.Button
    resume: gr.Button
    retry: gr.Button
    token: gr.HTML


def render() -> History:
    with gr.Column(elem_id="history-panel"):
        gr.Markdown("## Your generations")
        running = gr.HTML("", elem_id="history-running")
        panel = gr.HTML(f'<div class="wan-hist-empty">{cards.EMPTY}</div>', elem_id="history-list")
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
            retry = gr.Button("Retry download", elem_id="history-retry", scale=1)
        # Sets the signed owner cookie the video route checks; shows nothing.
        token = gr.HTML("", html_template="", js_on_load=SET_COOKIE_JS, elem_id="history-owner-token")
    return History(
        running=running,
        panel=panel,
        select=select,
        remix=remix,
        delete=delete,
        resume=resume,
        retry=retry,
        token=token,
    )


def _pick_first() -> gr.Error:
    return gr.Error("Pick one of your generations first.", print_exception=False)


def listen(ctx: AppContext, owner: gr.BrowserState, history: History, demo: gr.Blocks, form: Form) -> None:
    """Wire the panel: the live list, and the actions on the picked generation."""
    manager = ctx.manager
    private = {"api_visibility": "private"}

    async def stream(value: Any, selected: str | None, request: gr.Request) -> AsyncIterator[tuple[Any, ...]]:
        owner_id = identity.resolve_owner(ctx, value, request)
        if owner_id is None:
            yield "", cards.render_cards([]), gr.update(), ""
            return
        token = ctx.identity.token(owner_id)
        last: tuple[Any, ...] = ()
        changes = manager.follow_owner(owner_id, heartbeat=15.0)
        try:
            first, picked_once = True, False
            while True:
                records = await asyncio.to_thread(manager.records, owner_id)
                running_html, done_html, choices = cards.views(records)
                ids = [c[1] for c in choices]
                view = (running_html, done_html, tuple(choices))
                if first or view != last:
                    # The value only when nothing is picked yet: later renders keep the visitor's pick.
                    pick = (
                        None if picked_once else (selected if selected in ids else (ids[0] if ids else None))
                    )
                    picked_once = picked_once or pick is not None
                    if pick is not None:
                        choice_update = gr.update(choices=choices, value=pick)
                    elif first or view[2] != last[2]:
                        choice_update = gr.update(choices=choices)
                    else:
                        choice_update = gr.skip()
                    yield (
                        running_html if first or running_html != last[0] else gr.skip(),
                        done_html if first or done_html != last[1] else gr.skip(),
                        choice_update,
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

    live = {**private, "concurrency_limit": None, "show_progress": "hidden"}
    outputs = [history.running, history.panel, history.select, history.token]
    load_event = demo.load(stream, inputs=[owner, history.select], outputs=outputs, **live)
    owner.change(stream, inputs=[owner, history.select], outputs=outputs, cancels=[load_event], **live)

    def picked(selected: str | None, value: Any, request: gr.Request | None) -> tuple[str, TaskRecord]:
        owner_id = identity.resolve_owner(ctx, value, request)
        record = manager.get(selected, owner_id) if owner_id and selected else None
        if owner_id is None or record is None:
            raise _pick_first()
        return owner_id, record

    def delete(selected: str | None, value: Any, request: gr.Request) -> None:
        owner_id, record = picked(selected, value, request)
        if not manager.delete_video(record.id, owner_id):
            raise gr.Error("That generation has no local copy to delete.", print_exception=False)
        gr.Info("The local copy was deleted; the entry stays in your history.")

    def resume(selected: str | None, value: Any, key: str | None, request: gr.Request) -> None:
        owner_id, record = picked(selected, value, request)
        if record.status != NEEDS_KEY:
            raise gr.Error("Only a generation marked 'Needs key' can be resumed.", print_exception=False)
        if manager.resume(record.id, owner_id, api_key=key) is None:
            raise gr.Error(
                "It could not be resumed: paste the API key it was started with under API key.",
                print_exception=False,
            )
        gr.Info("Resumed: the task is being watched again.")

    def retry(selected: str | None, value: Any, request: gr.Request) -> None:
        owner_id, record = picked(selected, value, request)
        if not cards.can_retry_download(record) or not manager.retry_download(record.id, owner_id):
            raise gr.Error(
                "Only a video that was made but could not be saved can be downloaded again.",
                print_exception=False,
            )
        gr.Info("Downloading the video again: it appears here when saved.")

    def remix(selected: str | None, value: Any, request: gr.Request) -> tuple[Any, ...]:
        _, record = picked(selected, value, request)
        files = cards.uploaded_names(record)
        if files:
            gr.Info("Settings reused. Upload the reference files again: " + ", ".join(files))
        return cards.remix_values(record, ctx.profile.default_duration)

    picked_inputs = [history.select, owner]
    history.delete.click(delete, inputs=picked_inputs, outputs=None, **private)
    history.resume.click(resume, inputs=[*picked_inputs, form.api_key], outputs=None, **private)
    history.retry.click(retry, inputs=picked_inputs, outputs=None, **private)
    remix_outputs = [
        form.prompt,
        form.video_urls,
        form.quality,
        form.aspect_ratio,
        form.duration,
        form.shot_type,
    ]
    history.remix.click(remix, inputs=picked_inputs, outputs=remix_outputs, **private)
