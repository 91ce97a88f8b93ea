"""The page: banner, form on the left, cost / status / result on the right, history below.

    ctx = AppContext.create(settings, manager)
    build(ctx).launch(**launch_kwargs(ctx))

Each panel module has `render()` (builds) and `listen()` (wires); this module only places
them.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from wanvideo.disk import cache_life
from wanvideo.media.prepare import MAX_SOURCE_BYTES
from wanvideo.web.routes import route_kwargs

from . import (
    banner,
    cast,
    cost,
    examples,
    film,
    form,
    history,
    identity,
    lang,
    mcp_compat,
    result,
    status,
    tools,
)
from . import owner as console
from .context import AppContext
from .upload_guard import upload_middleware

TITLE = "Wan 2.6 Reference Video Studio"

CSS = """
.gradio-container { max-width: 1280px !important; }
#mode-banner { padding: 10px 14px; border-radius: 8px; }
/* Gradio puts elem_classes on the block and on the inner prose: style the block only. */
#mode-banner.wan-banner-demo { background: #fff7d6; border: 1px solid #e8c96a; }
#mode-banner.wan-banner-live { background: #e9f5ee; border: 1px solid #9bcfb0; }
#mode-banner.wan-banner-demo .prose { color: #4a3b00; }
#mode-banner.wan-banner-live .prose { color: #12391f; }
.dark #mode-banner.wan-banner-demo { background: #3b3214; }
.dark #mode-banner.wan-banner-demo .prose { color: #f4e6b0; }
.dark #mode-banner.wan-banner-live { background: #16301f; }
.dark #mode-banner.wan-banner-live .prose { color: #cdeed8; }
.wan-hint, .wan-hint p { font-size: 0.85em; opacity: 0.85; margin: 0; }
#character-buttons { align-items: center; gap: 6px; flex-wrap: wrap; }
#character-buttons > * { flex: 0 1 auto !important; min-width: 0 !important; }
.wan-refs { display: flex; flex-wrap: wrap; gap: 8px; }
.wan-refs-empty { font-size: 0.85em; opacity: 0.7; }
.wan-ref { flex: 1 1 150px; max-width: min(100%, 320px); min-width: 0; border: 1px solid var(--border-color-primary);
           border-radius: 8px; padding: 6px; box-sizing: border-box; }
.wan-ref video { width: 100%; max-height: 150px; background: #000; border-radius: 4px; display: block; }
.wan-ref-novideo { height: 60px; display: flex; align-items: center; justify-content: center;
                   background: var(--block-background-fill); opacity: 0.7; font-size: 0.85em; }
.wan-ref-meta { font-size: 0.85em; margin-top: 4px; overflow-wrap: anywhere; }
.wan-ref-problem { color: var(--error-text-color, #b42318); font-size: 0.85em; overflow-wrap: anywhere; }
.wan-ref-warning { color: #8a6100; font-size: 0.8em; overflow-wrap: anywhere; }
.wan-ref-notes { font-size: 0.85em; margin: 4px 0 0 0; padding-left: 1.1em; overflow-wrap: anywhere; }
.wan-ref-prep { font-size: 0.8em; opacity: 0.85; margin-top: 2px; }
#reference-cards { gap: 8px; flex-wrap: wrap; }
#reference-cards .wan-ref-slot { flex: 1 1 160px; max-width: min(100%, 320px); min-width: 0 !important; }
#reference-cards .wan-ref { max-width: 100%; }
.wan-ref-start input { max-width: 8em; }
.wan-ref img { width: 100%; max-height: 150px; object-fit: contain; background: #000; border-radius: 4px; display: block; }
/* A photo has no start: its slot hides the control (its value stays 0). */
#reference-cards .wan-ref-slot:has(.wan-ref-image) .wan-ref-start { display: none; }
.wan-panel { padding: 2px 4px !important; }
.wan-panel p, .wan-panel li, .wan-panel td:first-child { overflow-wrap: anywhere; }
.wan-panel table { width: 100%; max-width: 100%; table-layout: auto; border-collapse: collapse; }
.wan-panel th, .wan-panel td:not(:first-child) { white-space: nowrap; }
.wan-panel th, .wan-panel td { padding: 4px 8px !important; }
#status-panel ul { list-style: none; padding-left: 0; }
#status-panel code { white-space: pre-wrap; word-break: break-all; }
#examples-slot .gallery button, #examples-slot button.gallery-item { min-height: 40px; }
/* Phone first: one column, nothing wider than the screen, every control a thumb can hit.
   (Gradio scopes this style sheet to the app: no .gradio-container prefix needed.) */
@media (max-width: 480px) {
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  button, fieldset label, input[type="text"], input[type="password"], textarea, .wan-act {
    min-height: 40px !important; box-sizing: border-box; }
  fieldset label { display: inline-flex !important; align-items: center; }
  #character-buttons button { min-width: 96px !important; }
  #actions button { min-height: 48px !important; }
  #history-panel .wan-hist { grid-template-columns: 1fr; }
  #result-video video { max-height: 60vh; }
  video, img { max-width: 100%; }
}
"""


# Gradio renders a radio group as a <fieldset> without a legend and names every file input
# "File upload": give them the visible label as their accessible name (screen readers, tests).
ACCESSIBLE_NAMES_JS = """
() => {
  const labelOf = (el) => {
    const tag = el.querySelector('[data-testid="block-info"], [data-testid="block-label"]');
    return tag ? tag.textContent.trim() : "";
  };
  const fix = () => {
    document.querySelectorAll("fieldset").forEach((group) => {
      const name = labelOf(group);
      if (name && group.getAttribute("aria-label") !== name) {
        group.setAttribute("role", "radiogroup");
        group.setAttribute("aria-label", name);
      }
    });
    document.querySelectorAll('input[type="file"]').forEach((input) => {
      const block = input.closest(".block");
      const name = block ? labelOf(block) : "";
      if (name && input.getAttribute("aria-label") !== name) input.setAttribute("aria-label", name);
    });
  };
  fix();
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
}
"""


def build(ctx: AppContext) -> gr.Blocks:
    # Uploads and prepared clips leave Gradio's cache on this schedule (sooner on a Space).
    with gr.Blocks(title=TITLE, delete_cache=cache_life(ctx.settings)) as demo:
        # The owner id lives in the browser (identity: gr.BrowserState); handlers read a
        # gr.State copy so it never appears as a parameter of the public API.
        owner = identity.render(ctx)
        owner_state = gr.State(None)
        banner.render(ctx)
        the_console = console.render(ctx)  # the owner's console: hidden from everybody else
        with gr.Column(elem_id="intro"):
            gr.Markdown(lang.static("ui.title_md"))
            gr.Markdown(lang.static("ui.intro"))
        with gr.Row(equal_height=False, elem_id="main-row"):
            with gr.Column(scale=5, min_width=300, elem_id="form-column"):
                examples_slot = gr.Column(elem_id="examples-slot")  # filled below, shown first
                the_form = form.render(ctx)
                the_cast = cast.render()  # saved characters (issue 20)
                the_film = film.render()  # shots joined into one video (issue 20)
                with examples_slot:
                    examples.render(the_form)
            with gr.Column(scale=4, min_width=300, elem_id="output-column"):
                the_cost = cost.render()
                the_status = status.render()
                the_result = result.render()
        # History slot: the visitor's own generations (components/history.py).
        with gr.Column(elem_id="history-slot"):
            the_history = history.render()

        # Prepared clips are cleaned with Gradio's own cache (same schedule, and at shutdown).
        demo.temp_file_sets.append(ctx.clips.files)
        form.listen(ctx, the_form)
        cost.listen(ctx, the_form, the_cost, owner_state)
        status.listen(ctx, the_form, the_status, the_result, owner_state)
        cast.listen(ctx, the_cast, owner_state, the_form.characters)
        film.listen(ctx, the_form, the_film, owner_state)
        identity.listen(ctx=ctx, owner=owner, demo=demo)

        def copy(value: Any) -> Any:
            return value

        private = {"api_visibility": "private", "show_progress": "hidden", "queue": False}
        demo.load(copy, inputs=owner, outputs=owner_state, **private)
        owner.change(copy, inputs=owner, outputs=owner_state, **private)
        history.listen(ctx=ctx, owner=owner, history=the_history, demo=demo, form=the_form)
        console.listen(ctx, the_console, demo)
        tools.describe(demo, ctx)
    lang.english_api_info(demo)
    return demo


def launch_kwargs(ctx: AppContext) -> dict[str, Any]:
    if ctx.settings.mcp_server:
        mcp_compat.install()
    kwargs: dict[str, Any] = {
        "css": CSS + history.CSS + result.CSS + lang.LANG_CSS,
        "js": ACCESSIBLE_NAMES_JS,
        "head": f"<script>{lang.LANG_JS}</script>",  # before the app renders: no flash of the other set
        "theme": gr.themes.Soft(),
        # A visitor's API key is an event input: never keep inputs in the browser's run history.
        "run_history": False,
        # Nothing under the data folder goes through Gradio's file route (videos are served by
        # the owner-only route below); blocking it also stops a data path leaking into an output.
        "blocked_paths": [str(ctx.settings.data_dir.resolve())],
        # Clips up to this size are fixed (shrunk under the provider's 100 MB); above it Gradio
        # refuses the upload with a message naming the limit.
        "max_file_size": MAX_SOURCE_BYTES,
        # The example clips (repository files, nothing private).
        "allowed_paths": examples.ALLOWED_PATHS,
        # WAN_MCP_SERVER: `estimate` and `generate` as MCP tools at /gradio_api/mcp/.
        "mcp_server": ctx.settings.mcp_server,
        "show_error": True,
        # Static text in the browser's language (English fallback); dynamic text follows the
        # request's Accept-Language on the server (components/lang.py).
        "i18n": lang.i18n(),
    }
    # The owner-only video route (player, history cards, API downloads), and the routes
    # providers call (served references, wake-up callbacks); the upload quota and disk floor
    # in front of Gradio's upload routes.
    routes = route_kwargs(
        ctx.manager.get,
        ctx.identity,
        links=ctx.manager,
        by_link=ctx.manager.store.get,
        storage=ctx.manager.storage,
    )
    app = routes["app_kwargs"]
    app_kwargs = {**app, "middleware": [*app["middleware"], upload_middleware(ctx)]}
    return {**kwargs, "app_kwargs": app_kwargs}
