"""The film (issue 20): shots (one per line, "seconds | prompt") on the form's references,
characters and settings, priced in total before anything is spent, generated shot by shot and
joined into one video; `/film` for the API and MCP (`shots` as JSON).

The shots' progress is `BatchView` in its shot words; the film's player is the owner-only
video route, as for one generation.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.batch import KIND_SHOT
from wanvideo.escape import for_markdown
from wanvideo.events import Failed
from wanvideo.messages import render as tr
from wanvideo.pricing import format_credits
from wanvideo.ratelimit import LimitRefused
from wanvideo.service import (
    ESTIMATE_FIELDS,
    FILM_FIELDS,
    BatchStarted,
    Checking,
    FilmDone,
    FilmStarted,
    FormValues,
    GenerationRefused,
    Joining,
    ShotEvent,
    VariationEvent,
)
from wanvideo.service.film import film_price
from wanvideo.task_status import COMPLETED

from . import identity
from .batch_view import BatchView
from .context import AppContext
from .form import Form
from .form_api import OWNER_ID, REQUEST, form_endpoint
from .lang import lang_of, static, t
from .result import player_html
from .status import refusal_error, signed_url

# `/film`'s own parameter, after the form's fields: JSON [{"prompt", "duration"}], or the page's lines.
SHOTS_PARAMETER = inspect.Parameter(
    "shots", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="", annotation=str
)
FILM_ID_PARAMETER = inspect.Parameter(
    "film_id", inspect.Parameter.POSITIONAL_OR_KEYWORD, default="", annotation=str
)


@dataclass
class FilmPanel:
    shots: gr.Textbox
    price: gr.Markdown
    make: gr.Button
    retry: gr.Button
    status: gr.Markdown
    player: gr.HTML
    record: gr.JSON
    api_trigger: gr.Button  # hidden: carries `/film`
    retry_trigger: gr.Button  # hidden: carries `/film_retry`
    film_id: gr.Textbox  # hidden: `/film_retry`'s film


def render() -> FilmPanel:
    with gr.Accordion(static("film.title"), open=False, elem_id="film-section"):
        gr.Markdown(static("film.hint"), elem_classes=["wan-hint"])
        shots = gr.Textbox(
            label=static("film.shots_label"),
            lines=3,
            max_lines=8,
            placeholder="2 | character1 walks in\n2 | character1 waves\n2 | character1 leaves",
            elem_id="film-shots",
        )
        price = gr.Markdown(elem_id="film-price", elem_classes=["wan-panel"])
        with gr.Row():
            make = gr.Button(static("film.make"), variant="primary", elem_id="film-make")
            retry = gr.Button(static("film.retry"), elem_id="film-retry")
        status = gr.Markdown(elem_id="film-status", elem_classes=["wan-panel"])
        player = gr.HTML(elem_id="film-player")
        record = gr.JSON(visible=False)
        api_trigger = gr.Button(visible=False)
        retry_trigger = gr.Button(visible=False)
        film_id = gr.Textbox(visible=False)
    return FilmPanel(shots, price, make, retry, status, player, record, api_trigger, retry_trigger, film_id)


def film_json(done: FilmDone, shots: BatchView, sign: Callable[[str], str]) -> dict[str, Any]:
    """`/film`'s last record: the film's link, duration and status, then each shot's record."""
    film = done.film
    completed = film.status == COMPLETED
    error = (film.error or {}).get("message")
    return {
        "record_id": film.id,
        "group_id": film.group_id,
        "status": film.status,
        "video_url": sign(film.id) if completed else None,
        "duration": film.request.get("seconds") if completed else None,
        "error": str(error) if error else None,
        "shots": shots.record()["shots"],
    }


async def _rendered(
    ctx: AppContext, events: AsyncIterator[Any], request: gr.Request
) -> AsyncIterator[tuple[Any, ...]]:
    """The film's events as (status panel, player, record)."""
    lang = lang_of(request)
    view: BatchView | None = None
    head = ""
    try:
        async with contextlib.aclosing(events):
            async for event in events:
                if isinstance(event, Checking):
                    yield t("view.checking", lang), "", None
                elif isinstance(event, FilmStarted):
                    started = BatchStarted(event.group_id, event.record_ids, (None,) * len(event.record_ids))
                    view = BatchView(
                        started, lang, lambda rid: signed_url(ctx, rid, request)[0], kind=KIND_SHOT
                    )
                    if event.estimate is not None:
                        money = tr(format_credits(event.estimate.credits, event.estimate.usd), lang)
                        head = t("film.started", lang, count=len(event.record_ids), money=money) + "\n\n"
                    yield head + view.markdown(), "", view.record()
                elif isinstance(event, ShotEvent) and view is not None:
                    view.apply(VariationEvent(event.index, event.record_id, event.event))
                    if isinstance(event.event, Failed):
                        gr.Warning(for_markdown(event.event.message, lang))
                    yield head + view.markdown(), gr.skip(), view.record()
                elif isinstance(event, Joining) and view is not None:
                    joining = t("film.joining", lang, percent=f"{event.percent:.0f}")
                    yield f"{head}{view.markdown()}\n\n{joining}", gr.skip(), gr.skip()
                elif isinstance(event, FilmDone) and view is not None:
                    record = film_json(event, view, lambda rid: signed_url(ctx, rid, request)[0])
                    if event.film.status == COMPLETED:
                        end = t("film.done", lang, seconds=record["duration"])
                        player = player_html(event.film.id, lang)
                    else:
                        end = t("film.failed", lang, reason=tr(record["error"] or "", lang))
                        player = gr.skip()
                    yield f"{head}{view.markdown()}\n\n**{end}**", player, record
    except GenerationRefused as refused:
        raise refusal_error(refused, lang) from None


def _for_page(ctx: AppContext, values: FormValues, cards: int) -> FormValues:
    return values.for_pick(ctx.choice.pick(values.provider, values.model).profile) if cards else values


def _film(ctx: AppContext, cards: int = 0) -> Callable[..., AsyncIterator[tuple[Any, ...]]]:
    """`/film` (its description: `tools.py`), or with `cards` the page's Make film."""

    @form_endpoint(FILM_FIELDS, extra=(SHOTS_PARAMETER, OWNER_ID, REQUEST), cards=cards)
    async def film(
        values: FormValues, shots: str, owner_id: Any, request: gr.Request
    ) -> AsyncIterator[tuple[Any, ...]]:
        who = identity.owner_of(ctx, owner_id, request)
        visitor = identity.visitor_of(ctx, request)
        events = ctx.service.film(_for_page(ctx, values, cards), shots, owner=who, visitor=visitor)
        async for update in _rendered(ctx, events, request):
            yield update

    return film


def _retry(ctx: AppContext, cards: int = 0) -> Callable[..., AsyncIterator[tuple[Any, ...]]]:
    """`/film_retry`: a film's failed shots again, alone, then the film joined (the page's
    Retry failed shots gives the film shown)."""

    @form_endpoint(FILM_FIELDS, extra=(FILM_ID_PARAMETER, OWNER_ID, REQUEST), cards=cards)
    async def film_retry(
        values: FormValues, film_id: Any, owner_id: Any, request: gr.Request
    ) -> AsyncIterator[tuple[Any, ...]]:
        if isinstance(film_id, dict):  # the page gives the film's record
            film_id = film_id.get("record_id")
        who = identity.owner_of(ctx, owner_id, request)
        visitor = identity.visitor_of(ctx, request)
        values = _for_page(ctx, values, cards)
        events = ctx.service.retry_film(values, str(film_id or ""), owner=who, visitor=visitor)
        async for update in _rendered(ctx, events, request):
            yield update

    return film_retry


def _price(ctx: AppContext, cards: int) -> Callable[..., Any]:
    @form_endpoint(ESTIMATE_FIELDS, extra=(SHOTS_PARAMETER, OWNER_ID, REQUEST), cards=cards)
    async def price(values: FormValues, shots: str, owner_id: Any, request: gr.Request) -> str:
        lang = lang_of(request)
        if not (shots or "").strip():
            return ""
        values = values.for_pick(ctx.choice.pick(values.provider, values.model).profile)
        try:
            count, estimate = await film_price(
                ctx.service,
                values,
                shots,
                visitor=identity.visitor_of(ctx, request),
                owner=identity.owner_of(ctx, owner_id, request),
            )
        except GenerationRefused as refused:
            return "\n".join(f"- {for_markdown(p, lang)}" for p in refused.problems)
        except LimitRefused as refused:
            return for_markdown(refused.message, lang)
        if estimate is None:
            return t("film.price_pending", lang)
        money = tr(format_credits(estimate.total.credits, estimate.total.usd), lang)
        seconds = sum(int(e.output_seconds) for e in estimate.shots)
        return t("film.price", lang, count=count, seconds=seconds, money=money)

    return price


def listen(ctx: AppContext, form: Form, panel: FilmPanel, owner: gr.components.Component) -> None:
    outputs = [panel.status, panel.player, panel.record]
    panel.make.click(
        _film(ctx, cards=form.cards),
        inputs=[*form.inputs_for(FILM_FIELDS, cards=True), panel.shots, owner],
        outputs=outputs,
        api_name="page_film",
        api_visibility="private",
        concurrency_limit=None,
        show_progress="minimal",
    )
    panel.api_trigger.click(
        _film(ctx),
        inputs=[*form.inputs_for(FILM_FIELDS), panel.shots, owner],
        outputs=outputs,
        api_name="film",
        concurrency_limit=None,
        show_progress="minimal",
    )
    panel.retry.click(
        _retry(ctx, cards=form.cards),
        inputs=[*form.inputs_for(FILM_FIELDS, cards=True), panel.record, owner],
        outputs=outputs,
        api_name="page_film_retry",
        api_visibility="private",
        concurrency_limit=None,
        show_progress="minimal",
    )
    panel.retry_trigger.click(
        _retry(ctx),
        inputs=[*form.inputs_for(FILM_FIELDS), panel.film_id, owner],
        outputs=outputs,
        api_name="film_retry",
        concurrency_limit=None,
        show_progress="minimal",
    )
    panel.shots.change(
        _price(ctx, form.cards),
        inputs=[*form.inputs_for(ESTIMATE_FIELDS, cards=True), panel.shots, owner],
        outputs=panel.price,
        api_visibility="private",
        concurrency_limit=None,
        trigger_mode="always_last",
        show_progress="hidden",
    )
