"""The live cost estimate (elem_id `cost-estimate`) and the `/estimate` API endpoint.

Every change of the references, their starts, the fixing option, quality or duration
re-probes, plans and re-prices (`wanvideo.service`: the same `estimate` as `/estimate`);
`cost_view` renders the result, `reference_cards` the cards. Then the form prepares the
clips that need it (`job.prepare_step`, cached, so Generate reuses them) and the cards
switch to previews of the prepared clips. Nothing is priced or parsed here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr

from wanvideo.events import Failed, Preparing, Probed
from wanvideo.job import prepare_step
from wanvideo.messages import EN
from wanvideo.providers import QUALITIES
from wanvideo.ratelimit import LimitRefused
from wanvideo.service import ESTIMATE_FIELDS, Assessment, FormValues
from wanvideo.service.assessment import ReferenceInputs

from . import identity
from .context import AppContext
from .cost_view import as_json, as_markdown, refused_json, refused_markdown
from .form import Form
from .form_api import OWNER_ID, REQUEST, form_endpoint
from .lang import lang_of, static
from .newest import Newest
from .reference_cards import CardState, card_html, image_card_html


@dataclass
class Cost:
    panel: gr.Markdown
    data: gr.JSON  # hidden: the /estimate endpoint's output
    api_trigger: gr.Button  # hidden: carries the /estimate endpoint


def render() -> Cost:
    panel = gr.Markdown(static("cost.empty_panel"), elem_id="cost-estimate", elem_classes=["wan-panel"])
    data = gr.JSON(visible=False, label="Estimate")
    api_trigger = gr.Button("Estimate", visible=False)
    return Cost(panel=panel, data=data, api_trigger=api_trigger)


def _estimate_api(ctx: AppContext) -> Callable[..., Awaitable[dict[str, Any]]]:
    """The `/estimate` endpoint: the form's priced fields (its description: `tools.py`)."""

    @form_endpoint(ESTIMATE_FIELDS, extra=(REQUEST,))
    async def estimate_api(values: FormValues, request: gr.Request) -> dict[str, Any]:
        try:
            a = await ctx.service.estimate(
                values, visitor=identity.visitor_of(ctx, request), owner=identity.owner_of(ctx, None, request)
            )
        except LimitRefused as refused:  # nothing probed: say when to ask again
            name = ctx.choice.pick(values.provider, values.model).profile.name
            return refused_json(name, refused.message, refused.retry_after, values.quality or QUALITIES[0])
        return as_json(a.profile.name if a.profile else ctx.profile.name, a)

    return estimate_api


def _card_view(form: Form) -> Callable[..., tuple[Any, ...]]:
    """An assessment as the panel, the reference cards, their starts and the character buttons."""
    refs = form.refs
    slots = len(refs.slots)

    def card(probed: Probed, i: int, states: dict[int, CardState], lang: str) -> Any:
        videos, images = len(probed.probes), len(probed.image_probes)
        if i < videos:
            return card_html(probed, i, states.get(i), lang)
        return image_card_html(probed, i - videos, lang) if i < videos + images else gr.skip()

    def view(
        a: Assessment, states: dict[int, CardState] | None = None, *, panel: bool = True, lang: str = EN
    ) -> tuple[Any, ...]:
        probed = a.probed
        videos = len(probed.probes) if probed else 0
        count = videos + (len(probed.image_probes) if probed else 0)  # characters: videos, then photos
        cards = [
            card(probed, i, states or {}, lang) if probed is not None else gr.skip() for i in range(slots)
        ]
        shown = [gr.update(visible=i < count) for i in range(slots)]
        # A photo's start (hidden by the page's CSS) and a hidden card's go back to 0, so a
        # removed reference leaves no start behind. (A `visible` update would reset a value.)
        starts = [gr.skip() if i < videos else gr.update(value=0) for i in range(slots)]
        buttons = [gr.update(visible=i < count) for i in range(len(form.character_buttons))]
        return (
            as_markdown(a, lang) if panel else gr.skip(),
            gr.update(visible=count == 0),
            *cards,
            *shown,
            *starts,
            *buttons,
        )

    return view


async def _previews(
    ctx: AppContext, a: Assessment, values: FormValues, view: Callable[..., tuple[Any, ...]], lang: str
) -> AsyncIterator[tuple[Any, ...]]:
    """Prepare now (cached): the cards preview what the model gets, and Generate reuses it."""
    probed = a.probed
    profile = a.profile
    assert probed is not None and profile is not None
    sources = ReferenceInputs.read(values).sources
    states: dict[int, CardState] = {}
    current = probed.to_prepare[0]
    async for item in prepare_step(probed, sources, a.quality, a.seconds, profile, ctx.settings):
        if isinstance(item, Preparing):
            current = item.index - 1
            states[current] = CardState(percent=item.percent)
            yield view(a, states, panel=False, lang=lang)
        elif isinstance(item, Failed):
            why = item.problems[0] if item.problems else item.message
            states = {current: CardState(failure=why)}
            a.problems.append(why)
            yield view(a, states, lang=lang)
        elif isinstance(item, Probed):
            a = replace(a, probed=item)
            ctx.service.reprice(a)
            yield view(a, lang=lang)


def listen(ctx: AppContext, form: Form, cost: Cost, owner: gr.components.Component) -> None:
    refs = form.refs
    estimate_api = _estimate_api(ctx)

    view = _card_view(form)
    newest = Newest()  # per tab: only its newest refresh writes the panel

    @form_endpoint(ESTIMATE_FIELDS, extra=(OWNER_ID, REQUEST), cards=form.cards)
    async def refresh(
        values: FormValues, owner_id: Any, request: gr.Request
    ) -> AsyncIterator[tuple[Any, ...]]:
        unchanged = tuple(gr.skip() for _ in outputs)
        updates = _refreshed(values, owner_id, request)
        async for update in newest.only_newest(request.session_hash or "", updates, unchanged):
            yield update

    async def _refreshed(
        values: FormValues, owner_id: Any, request: gr.Request
    ) -> AsyncIterator[tuple[Any, ...]]:
        lang = lang_of(request)
        values = values.for_pick(ctx.choice.pick(values.provider, values.model).profile)
        try:
            a = await ctx.service.estimate(
                values,
                visitor=identity.visitor_of(ctx, request),
                owner=identity.owner_of(ctx, owner_id, request),
            )
        except LimitRefused as refused:  # the panel says so; the cards stay as they were
            yield (refused_markdown(refused.message, lang), *(gr.skip() for _ in outputs[1:]))
            return
        yield view(a, lang=lang)
        probed = a.probed
        if probed is None or probed.estimate is None or not probed.to_prepare:
            return
        async with contextlib.aclosing(_previews(ctx, a, values, view, lang)) as previews:
            async for update in previews:
                yield update

    cost.api_trigger.click(
        estimate_api,
        inputs=form.inputs_for(ESTIMATE_FIELDS),
        outputs=cost.data,
        api_name="estimate",
        concurrency_limit=None,
    )
    outputs = [
        cost.panel,
        refs.empty,
        *refs.cards,
        *refs.slots,
        *refs.starts,
        *form.character_buttons,
    ]
    # always_last: while one refresh runs, only the newest pending change is kept.
    for component in (
        form.videos,
        form.video_urls,
        form.images,
        form.image_urls,
        *form.refs.voices,
        form.quality,
        form.duration,
        form.fix_references,
        form.reference_starts,
        form.model,
        form.controls.audio,  # off: the silent price
        form.variations,  # each is charged
        form.characters,
    ):
        component.change(
            refresh,
            inputs=[*form.reference_inputs, owner],
            outputs=outputs,
            api_visibility="private",
            concurrency_limit=None,
            trigger_mode="always_last",
            show_progress="hidden",
        )

    def reprice_after(event: Any) -> Any:
        return event.then(
            refresh,
            inputs=[*form.reference_inputs, owner],
            outputs=outputs,
            api_visibility="private",
            concurrency_limit=None,
            trigger_mode="always_last",
            show_progress="hidden",
        )

    if form.provider_changed is not None:  # after the model and duration follow the new provider
        reprice_after(form.provider_changed)
    # Remix may switch the provider while the model and duration keep their values (no change event).
    form.reprice_after = reprice_after
