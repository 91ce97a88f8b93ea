"""Generate / Stop and the streamed status panel (elem_id `status-panel`), plus `/generate`.

The handler hands the form's values to the service (`wanvideo.service`: `generate` checks,
prepares, hands the request to the TaskManager and follows it) and renders its events through
`status_view.View`. Every refusal (`GenerationRefused`) becomes a gr.Error that says what to
change; nothing is sent or charged before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.error_base import WanError
from wanvideo.escape import for_html
from wanvideo.events import Completed, Failed
from wanvideo.messages import EN
from wanvideo.service import (
    GENERATE_FIELDS,
    BatchStarted,
    Checking,
    FormValues,
    GenerationRefused,
    RefusalStage,
    Started,
    VariationEvent,
)
from wanvideo.web.routes import signed_video_path

from . import identity
from .batch_view import BatchView
from .context import AppContext
from .form import Form
from .form_api import OWNER_ID, REQUEST, form_endpoint
from .lang import lang_of, static, t
from .result import Result, empty_html, player_html, public_root
from .status_view import (
    View,
    cancel_json,
    cancel_message,
    stop_label,
    stop_message,
)
from .stop_signal import StopSignals


@dataclass
class Status:
    generate: gr.Button
    stop: gr.Button
    panel: gr.Markdown
    tracking: gr.State
    # hidden: the /cancel endpoint's inputs, trigger and output
    cancel_task_id: gr.Textbox
    cancel_key: gr.Textbox
    cancel_trigger: gr.Button
    cancel_result: gr.JSON
    api_trigger: gr.Button  # hidden: carries /generate (the page's Generate is private)
    generate_event: Any = None  # the Dependency of Generate, for panels that chain on it


def render() -> Status:
    with gr.Row(elem_id="actions"):
        generate = gr.Button(
            static("form.generate"), variant="primary", elem_id="generate", scale=3, min_width=120
        )
        stop = gr.Button(static("form.stop"), variant="stop", elem_id="stop", scale=1, min_width=80)
    panel = gr.Markdown(
        static("view.idle_panel"),
        label=static("form.status"),
        elem_id="status-panel",
        elem_classes=["wan-panel"],
    )
    tracking = gr.State(None)
    return Status(
        generate=generate,
        stop=stop,
        panel=panel,
        tracking=tracking,
        cancel_task_id=gr.Textbox(visible=False, label="task_id"),
        cancel_key=gr.Textbox("", visible=False, label="api_key"),
        cancel_trigger=gr.Button("Cancel", visible=False),
        cancel_result=gr.JSON(visible=False, label="Cancel"),
        api_trigger=gr.Button("Generate", visible=False),
    )


def refusal(problems: list[str], lang: str = EN) -> gr.Error:
    shown = [for_html(p, lang) for p in problems]  # a toast renders HTML: visitor values escaped
    text = t(
        "view.cannot_generate",
        lang,
        problems=" ".join(p if p.endswith((".", "。")) else p + ("。" if lang != EN else ".") for p in shown),
    )
    return gr.Error(text, title=t("refusal.title", lang), print_exception=False)


# How the panel and the toast word each refusal: the panel's headline (None: the panel was not
# started) and the toast's title; a refusal of the form or its references lists every problem.
_HEADLINE = {
    RefusalStage.INPUT: None,
    RefusalStage.REFERENCES: "view.fix_refs_first",
    RefusalStage.PREPARE: "view.ref_not_prepared",
    RefusalStage.LIMIT: "view.not_started_limit",
    RefusalStage.PAUSED: "view.not_started_paused",
}
_TITLE = {
    RefusalStage.PREPARE: "view.prepare_failed",
    RefusalStage.LIMIT: "budget.title",
    RefusalStage.PAUSED: "budget.paused_title",
}


def refusal_error(refused: GenerationRefused, lang: str = EN) -> gr.Error:
    title = _TITLE.get(refused.stage)
    if title is None:
        return refusal(refused.problems, lang)
    return gr.Error(for_html(refused.message, lang), title=t(title, lang), print_exception=False)


def _generate(
    ctx: AppContext, stops: StopSignals, cards: int = 0
) -> Callable[..., AsyncIterator[tuple[Any, ...]]]:
    """`/generate` (its description: `tools.py`), or with `cards` the page's Generate (its
    voices one per card; a control the pick does not take, shown disabled, stays unset): the
    service's events as the status panel, the player, the task record and what Stop needs."""

    @stops.stoppable
    @form_endpoint(GENERATE_FIELDS, extra=(OWNER_ID, REQUEST), cards=cards)
    async def generate(
        values: FormValues, owner_id: Any, request: gr.Request
    ) -> AsyncIterator[tuple[Any, ...]]:
        if cards:
            values = values.for_pick(ctx.choice.pick(values.provider, values.model).profile)
        lang = lang_of(request)
        who = identity.owner_of(ctx, owner_id, request)
        visitor = identity.visitor_of(ctx, request)
        view: View | None = None
        batch: BatchView | None = None
        events = ctx.service.generate(values, owner=who, visitor=visitor)
        try:
            async with contextlib.aclosing(events):
                async for event in events:
                    if isinstance(event, BatchStarted):  # variations: their own view from here on
                        batch = BatchView(event, lang=lang, sign=lambda rid: signed_url(ctx, rid, request)[0])
                        yield batch.markdown(), gr.skip(), batch.record(), None
                        continue
                    if isinstance(event, VariationEvent):
                        assert batch is not None
                        batch.apply(event)
                        players = batch.players_html() if isinstance(event.event, Completed) else gr.skip()
                        yield batch.markdown(), players, batch.record(), None
                        continue
                    if isinstance(event, Checking):
                        profile = event.profile
                        view = View(
                            provider=profile.name,
                            simulated=ctx.settings.is_demo,
                            cancel=profile.cancel,
                            lang=lang,
                        )
                        yield view.markdown(), empty_html(lang), None, view.tracking()
                        continue
                    assert view is not None
                    view.apply(event)
                    yield _update(ctx, view, event, record_id=view.record_id, request=request)
        except GenerationRefused as refused:
            headline = _HEADLINE[refused.stage]
            if view is not None and refused.failed is not None and headline is not None:
                view.apply(refused.failed)
                view.headline = t(headline, lang)
                yield view.markdown(), gr.skip(), view.record(), None
            raise refusal_error(refused, lang) from None

    return generate


def _update(
    ctx: AppContext, view: View, event: Any, *, record_id: str | None, request: gr.Request
) -> tuple[Any, ...]:
    """Generate's outputs after `event`: (panel, player, task record, tracking)."""
    lang = view.lang
    if record_id is None:  # checking and preparing: nothing handed over yet
        return view.markdown(), gr.skip(), None, view.tracking()
    if isinstance(event, Started):
        return view.markdown(), gr.skip(), gr.skip(), view.tracking()
    if isinstance(event, Completed):
        view.video_url, view.video_url_expires = signed_url(ctx, record_id, request)
        return view.markdown(), player_html(record_id, lang), view.record(), None
    if isinstance(event, Failed):
        gr.Warning(for_html(event.message, lang))
        return view.markdown(), gr.skip(), view.record(), None
    # The record travels with every update once handed over: API callers read task_id, status
    # and can_cancel as fields while it runs.
    return view.markdown(), gr.skip(), view.record(), view.tracking()


def signed_url(ctx: AppContext, record_id: str, request: gr.Request) -> tuple[str, int]:
    """A link to the record's video that works for a few minutes without the owner cookie, and
    when it stops working."""
    path, expires = signed_video_path(ctx.identity, record_id, now=time.time())
    return f"{public_root(request)}/{path}", expires


def _stop(ctx: AppContext, stops: StopSignals) -> Callable[..., Awaitable[tuple[str, None]]]:
    async def stop(
        tracking: dict[str, Any] | None, api_key: str | None, owner_id: Any, request: gr.Request
    ) -> tuple[str, None]:
        """Stop following; where the provider can still cancel the task (Cancel task), cancel it.
        Generate ends with the same panel as its last update (`StopSignals`)."""
        panel = await stopped_panel(tracking, api_key, owner_id, request)
        stops.stop(request.session_hash, final=(panel, gr.skip(), gr.skip(), None))
        return panel, None

    async def stopped_panel(
        tracking: dict[str, Any] | None, api_key: str | None, owner_id: Any, request: gr.Request
    ) -> str:
        lang = lang_of(request)
        tracked = tracking or {}
        record_id = tracked.get("record_id")
        if not tracked.get("cancel") or not record_id:
            return stop_message(tracking, lang)
        who = identity.owner_of(ctx, owner_id, request)
        key = (api_key or "").strip() or None
        try:
            result = await asyncio.to_thread(ctx.manager.cancel, record_id, who, key)
        except WanError as exc:  # the provider could not be asked: the task goes on
            return cancel_message(None, exc.message, tracking, lang)
        if result is None:
            return stop_message(tracking, lang)
        return cancel_message(result.outcome.value, result.message, tracking, lang)

    return stop


def _cancel_api(ctx: AppContext) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def cancel_api(
        task_id: str,
        api_key: str = "",
        owner_id: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Cancel one of your own tasks at the provider, where it can (its description: `tools.py`)."""
        who = identity.owner_of(ctx, owner_id, request)
        record = await asyncio.to_thread(find_record, ctx, who, task_id)
        if record is None:
            return cancel_json(None, task_id)
        try:
            result = await asyncio.to_thread(
                ctx.manager.cancel, record.id, who, (api_key or "").strip() or None
            )
        except WanError as exc:
            lang = lang_of(request)
            title = t("view.provider_unreachable", lang)
            raise gr.Error(for_html(exc.message, lang), title=title, print_exception=False) from None
        return cancel_json(result, record.task_id or task_id, record.id)

    return cancel_api


def listen(
    ctx: AppContext, form: Form, status: Status, result: Result, owner: gr.components.Component
) -> None:
    stops = StopSignals()
    outputs = [status.panel, result.video, result.record, status.tracking]
    status.generate_event = status.generate.click(
        _generate(ctx, stops, cards=form.cards),
        inputs=[*form.inputs_for(GENERATE_FIELDS, cards=True), owner],
        outputs=outputs,
        api_name="page_generate",  # its own name, so `/generate` keeps its own
        api_visibility="private",
        concurrency_limit=None,
        show_progress="minimal",
    )
    status.api_trigger.click(  # /generate: the same fields, the voices as one list
        _generate(ctx, stops),
        inputs=[*form.inputs_for(GENERATE_FIELDS), owner],
        outputs=outputs,
        api_name="generate",
        concurrency_limit=None,
        show_progress="minimal",
    )
    status.stop.click(
        _stop(ctx, stops),
        inputs=[status.tracking, form.api_key, owner],
        outputs=[status.panel, status.tracking],
        # no `cancels=`: Generate ends itself with Stop's panel as its last update (StopSignals)
        api_visibility="private",
    )

    # Stop reads "Cancel task" while the provider can still cancel the task.
    def relabel(tracking: dict[str, Any] | None, request: gr.Request) -> Any:
        return gr.update(value=stop_label(tracking, lang_of(request)))

    status.tracking.change(
        relabel,
        inputs=status.tracking,
        outputs=status.stop,
        api_visibility="private",
        queue=False,
        show_progress="hidden",
    )
    status.cancel_trigger.click(
        _cancel_api(ctx),
        inputs=[status.cancel_task_id, status.cancel_key, owner],
        outputs=status.cancel_result,
        api_name="cancel",
        concurrency_limit=None,
    )


def find_record(ctx: AppContext, owner: str, task_id: str) -> Any:
    """The owner's record with this provider task id (or record id); None for anyone else's."""
    wanted = (task_id or "").strip()
    if not wanted:
        return None
    found = ctx.manager.get(wanted, owner)
    if found is not None:
        return found
    return next((r for r in ctx.manager.records(owner, limit=1000) if r.task_id == wanted), None)
