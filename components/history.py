"""The history panel: the visitor's own generations, newest first, live while they run.

    hist = history.render()
    history.listen(ctx=ctx, owner=owner, history=hist, demo=demo, form=the_form)

Each card (`history_cards`) carries its own actions. Play (the saved video replaces the
poster) and the pager act in the browser; Remix (fills the form), Delete local copy, Retry
download and Resume with my key go to `act` on the server through the panel's custom
`card_action` event, with the card's record id. Videos and posters come from the owner-only
routes (`wanvideo.web.routes`); this panel sets the signed owner cookie those routes check.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.escape import html_text
from wanvideo.limits import MAX_REFERENCES
from wanvideo.messages import Message
from wanvideo.storage import copy_out
from wanvideo.store import TaskRecord
from wanvideo.task_status import NEEDS_KEY
from wanvideo.web.routes import COOKIE, video_path

from . import history_cards as cards
from . import identity
from .context import AppContext
from .form import Form, provider_outputs, provider_updates
from .lang import lang_of, static

RENDER_EVERY = 0.5  # seconds between re-renders while tasks stream
CSS = cards.CSS

# Visible text (one place, to be keyed for translation).
TITLE = "## Your generations"
MESSAGES = {  # what each action tells the visitor: catalogue ids (wanvideo.messages)
    "not_found": "history.not_found",
    "no_copy": "history.no_copy",
    "deleted": "history.deleted_info",
    "not_resumable": "history.not_resumable",
    "resume_key": "history.resume_key",
    "resumed": "history.resumed",
    "not_retryable": "history.not_retryable",
    "retrying": "history.retrying",
    "remixed": "history.remixed",
    "remixed_seed": "history.remixed_seed",
    "upload_again": "history.upload_again",
    "used_ref": "history.used_ref",
    "refs_full": "history.refs_full",
    "kept_info": "history.kept_info",
    "not_keepable": "history.not_keepable",
}


def _say(key: str, lang: str, **params: Any) -> str:
    """A toast's text (Gradio renders toasts as HTML): the values it quotes are escaped."""
    return Message(MESSAGES[key], **params).render(lang, html_text)


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

# The cards' script: one listener on the panel (cards are re-rendered, the panel stays).
CARDS_JS = """
const texts = __TEXT__;
const text = texts[(navigator.language || "").toLowerCase() === "zh-cn" ? "zh-CN" : "en"];
const serverActions = __SERVER__;
let page = 0;
const showPage = () => {
  const grid = element.querySelector(".wan-hist");
  const nav = element.querySelector(".wan-pager");
  if (!grid || !nav) return;
  const size = Number(grid.dataset.pageSize), pages = Number(nav.dataset.pages);
  page = Math.max(0, Math.min(page, pages - 1));
  grid.querySelectorAll(".wan-card").forEach((card, i) => {
    card.hidden = Math.floor(i / size) !== page;
  });
  nav.hidden = false;
  nav.querySelector(".wan-pager-label").textContent = nav.dataset.label
    .replace("{page}", page + 1).replace("{pages}", pages).replace("{count}", nav.dataset.count);
  nav.querySelector('[data-action="newer"]').disabled = page === 0;
  nav.querySelector('[data-action="older"]').disabled = page === pages - 1;
};
const play = (card) => {
  const media = card.querySelector(".wan-card-media");
  const video = document.createElement("video");
  Object.assign(video, { controls: true, autoplay: true, playsInline: true, preload: "auto" });
  video.src = __VIDEO__ + card.dataset.record;
  media.replaceChildren(video);
  video.play().catch(() => {});
};
element.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button || !element.contains(button)) return;
  const action = button.dataset.action;
  const card = button.closest(".wan-card");
  if (action === "newer" || action === "older") {
    page += action === "older" ? 1 : -1;
    showPage();
    element.scrollIntoView({ block: "start", behavior: "smooth" });
  } else if (action === "play" && card) {
    play(card);
  } else if (serverActions.includes(action) && card) {
    if (action === "delete" && !window.confirm(text.confirm_delete)) return;
    trigger("card_action", { action: action, record: card.dataset.record });
  }
});
// A poster that cannot be loaded (an older video without one) becomes a plain label.
element.addEventListener("error", (event) => {
  const img = event.target;
  if (!(img instanceof HTMLImageElement) || !img.classList.contains("wan-poster")) return;
  const label = Object.assign(document.createElement("div"), { className: "wan-card-noposter" });
  label.textContent = text.no_poster;
  img.replaceWith(label);
}, true);
watch("value", showPage);
showPage();
"""
CARDS_JS = (
    CARDS_JS.replace("__TEXT__", json.dumps(cards.ALL_TEXT))
    .replace("__SERVER__", json.dumps(list(cards.SERVER_ACTIONS)))
    .replace("__VIDEO__", json.dumps(video_path("")))
)


@dataclass
class History:
    running: gr.HTML
    panel: gr.HTML
    token: gr.HTML


def _cards_html(elem_id: str, value: str) -> gr.HTML:
    return gr.HTML(value, elem_id=elem_id, js_on_load=CARDS_JS, padding=False)


def render() -> History:
    with gr.Column(elem_id="history-panel"):
        gr.Markdown(static("history.title_md"))
        running = _cards_html("history-running", "")
        panel = _cards_html("history-list", f'<div class="wan-hist-empty">{static("history.empty")}</div>')
        # Sets the signed owner cookie the video and poster routes check; shows nothing.
        token = gr.HTML("", html_template="", js_on_load=SET_COOKIE_JS, elem_id="history-owner-token")
    return History(running=running, panel=panel, token=token)


def _error(key: str, lang: str) -> gr.Error:
    return gr.Error(_say(key, lang), print_exception=False)


def _live_history(ctx: AppContext) -> Callable[..., AsyncIterator[tuple[Any, ...]]]:
    """The history's live stream for one page: the owner's cookie first, then the cards again
    on every change of that owner's records (or a heartbeat, so a closed page is noticed)."""
    manager = ctx.manager
    prices = ctx.profile.prices

    async def stream(value: Any, request: gr.Request) -> AsyncIterator[tuple[Any, ...]]:
        owner_id = identity.resolve_owner(ctx, value, request)
        lang = lang_of(request)
        if owner_id is None:
            yield "", cards.render_cards([], prices, lang=lang), ""
            return
        # The cookie first, so the cards' posters and videos load with it.
        yield gr.skip(), gr.skip(), ctx.identity.token(owner_id)
        last: tuple[str, str] | None = None
        changes = manager.follow_owner(owner_id, heartbeat=15.0)
        try:
            while True:
                records = await asyncio.to_thread(manager.records, owner_id)
                view = cards.views(records, prices, lang)
                if view != last:
                    yield (
                        view[0] if last is None or view[0] != last[0] else gr.skip(),
                        view[1] if last is None or view[1] != last[1] else gr.skip(),
                        gr.skip(),
                    )
                    last = view
                else:
                    yield gr.skip(), gr.skip(), gr.skip()  # lets Gradio notice a closed page
                # Wait for the next change of this owner's records (or a heartbeat).
                await changes.__anext__()
                await asyncio.sleep(RENDER_EVERY)
        finally:
            await changes.aclose()

    return stream


def listen(ctx: AppContext, owner: gr.BrowserState, history: History, demo: gr.Blocks, form: Form) -> None:
    """Wire the panel: the live list, and each card's actions."""
    manager = ctx.manager
    private = {"api_visibility": "private"}

    stream = _live_history(ctx)

    live = {**private, "concurrency_limit": None, "show_progress": "hidden"}
    outputs = [history.running, history.panel, history.token]
    load_event = demo.load(stream, inputs=[owner], outputs=outputs, **live)
    owner.change(stream, inputs=[owner], outputs=outputs, cancels=[load_event], **live)

    def act(
        value: Any, key: str | None, videos: Any, evt: gr.EventData, request: gr.Request
    ) -> tuple[Any, ...]:
        """One card's button: (action, record id) from the panel's script."""
        data = getattr(evt, "_data", None) or {}
        action, record_id = str(data.get("action", "")), str(data.get("record", ""))
        owner_id = identity.resolve_owner(ctx, value, request)
        lang = lang_of(request)
        record = manager.get(record_id, owner_id) if owner_id and record_id else None
        if owner_id is None or record is None:
            raise _error("not_found", lang)
        unchanged = tuple(gr.skip() for _ in range(len(remix_outputs) + 1))  # and the videos
        if action in (cards.REMIX, cards.SAME_SEED):
            return (*remix(record, lang, same_seed=action == cards.SAME_SEED), gr.skip())
        if action == cards.USE_REF:
            return (*unchanged[:-1], use_as_reference(ctx, record, list(videos or []), lang))
        if action == cards.KEEP:
            if manager.keep(record.id, owner_id) is None:
                raise _error("not_keepable", lang)
            gr.Info(_say("kept_info", lang))
        if action == cards.DELETE:
            if not manager.delete_video(record.id, owner_id):
                raise _error("no_copy", lang)
            gr.Info(_say("deleted", lang))
        elif action == cards.RESUME:
            if record.status != NEEDS_KEY:
                raise _error("not_resumable", lang)
            # The manager rebuilds the task's profile from the record (its provider and model;
            # in demo mode on its dialect's simulator).
            if manager.resume(record.id, owner_id, api_key=key) is None:
                raise _error("resume_key", lang)
            gr.Info(_say("resumed", lang))
        elif action == cards.RETRY:
            if not cards.can_retry_download(record) or not manager.retry_download(record.id, owner_id):
                raise _error("not_retryable", lang)
            gr.Info(_say("retrying", lang))
        return unchanged

    def remix(record: TaskRecord, lang: str, *, same_seed: bool = False) -> tuple[Any, ...]:
        files = cards.uploaded_names(record)
        if files:
            gr.Info(_say("upload_again", lang, files=", ".join(files)))
        elif same_seed:
            gr.Info(_say("remixed_seed", lang, seed=record.seed))
        else:
            gr.Info(_say("remixed", lang))
        prompt, urls, quality, ratio, duration, shot = cards.remix_values(
            record, ctx.profile.default_duration
        )
        profile = cards.remix_profile(record, ctx.choice)  # its provider and model, as offered now
        seed = gr.update(value=str(record.seed)) if same_seed else gr.skip()
        shown = gr.update(open=True) if same_seed else gr.skip()  # the seed in view
        return (
            prompt,
            urls,
            quality,
            ratio,
            shot,
            seed,
            shown,
            profile.name,
            *provider_updates(profile, duration, lang),
        )

    remix_outputs = [
        form.prompt,
        form.video_urls,
        form.quality,
        form.aspect_ratio,
        form.shot_type,
        form.controls.seed,
        form.controls.panel,
        form.provider,
        *provider_outputs(form),
    ]
    for panel in (history.running, history.panel):
        acted = panel.card_action(  # type: ignore[attr-defined]  (a custom event of the panel's script)
            act,
            inputs=[owner, form.api_key, form.videos],
            outputs=[*remix_outputs, form.videos],
            show_progress="hidden",
            **private,
        )
        if form.reprice_after is not None:
            form.reprice_after(acted)


def use_as_reference(ctx: AppContext, record: TaskRecord, videos: list[Any], lang: str) -> list[str]:
    """The record's saved video copied next to the uploads (Gradio serves and cleans it
    there; the data folder is never served) and added as the next reference video."""
    if len(videos) >= MAX_REFERENCES:
        raise gr.Error(_say("refs_full", lang, max=MAX_REFERENCES), print_exception=False)
    folder = ctx.clips.root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"result-{record.video_token[:12]}.mp4"
    if record.video_key is not None:
        copy_out(ctx.manager.storage, record.video_key, dest)
    elif record.video_path is not None:
        shutil.copyfile(record.video_path, dest)
    ctx.clips.files.add(str(dest))  # cleaned with Gradio's cache, like the prepared clips
    gr.Info(_say("used_ref", lang, name=dest.name))
    return [_path_of(v) for v in videos] + [str(dest)]


def _path_of(value: Any) -> str:
    """A gr.File value's path (a path, or Gradio's file data)."""
    return str(getattr(value, "path", None) or (value.get("path") if isinstance(value, dict) else value))
