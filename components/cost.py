"""The live cost estimate (elem_id `cost-estimate`) and the `/estimate` API endpoint.

Every change of the references, their starts, the fixing option, quality or duration
re-probes and plans (the domain's `check_references`) and re-prices (`wanvideo.pricing`);
`cost_view` renders the result, `reference_cards` the cards. Then the form prepares the
clips that need it (`job.prepare_step`, cached, so Generate reuses them) and the cards
switch to previews of the prepared clips. Nothing is priced or parsed here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import gradio as gr

from wanvideo.events import Failed, Preparing, Probed
from wanvideo.job import check_references, prepare_step
from wanvideo.messages import EN
from wanvideo.pricing import compare_providers, estimate, other_quality
from wanvideo.providers import MAX_REFERENCES, QUALITIES
from wanvideo.ratelimit import LimitRefused
from wanvideo.schemas import GenerationRequest, provider_problems

from . import identity, inputs
from .context import AppContext
from .cost_view import Assessment, as_json, as_markdown, refused_json, refused_markdown
from .form import Form
from .lang import lang_of, static
from .reference_cards import CardState, card_html


async def assess(
    ctx: AppContext,
    videos: Any,
    video_urls: Any,
    quality: str,
    duration: Any,
    fix_references: Any = True,
    reference_starts: Any = "",
    provider: Any = None,
    model: Any = None,
    *,
    visitor: str | None = None,
) -> Assessment:
    """Probe, plan and price the form's references (the one probe per look) on the picked
    provider and model, and compare every provider; with `visitor`, also what the server's key
    may still spend today (on the configured provider only). The values come in the order of
    `Form.reference_inputs`."""
    quality = quality or QUALITIES[0]
    picked = ctx.choice.pick(provider, model)
    profile = picked.profile
    seconds, duration_problem = inputs.parse_duration(profile, duration)
    urls, url_problems = inputs.parse_urls(video_urls)
    starts, starts_problem = inputs.parse_starts(reference_starts)
    priced_seconds = seconds if seconds is not None else profile.default_duration
    paths = inputs.file_paths(videos)
    oversized = inputs.links_box_problem(video_urls)  # then `url_problems` is that refusal alone
    given = len(paths) + (len(inputs.url_lines(video_urls)) if oversized else len(urls))

    def check() -> Awaitable[Probed]:
        return check_references(
            paths,
            urls,
            quality,
            priced_seconds,
            profile,
            ctx.settings,
            fix=inputs.parse_fix(fix_references),
            starts=starts,
        )

    if oversized:  # refused as a whole: nothing is probed, not even the files
        probed = Probed(probes=(), estimate=None)
    elif visitor and 0 < given <= MAX_REFERENCES:  # a look that probes: limited (LimitRefused)
        async with ctx.estimates.admit(visitor):
            probed = await check()
    else:  # nothing to probe, or too many: refused before probing
        probed = await check()
    on_server_key = not ctx.choice.is_other(profile)
    budget = (
        await asyncio.to_thread(ctx.manager.budget_status, visitor) if visitor and on_server_key else None
    )
    result = Assessment(
        probed=probed,
        given=given,
        duration=seconds,
        quality=quality,
        problems=[*picked.problems, *probed.problems],
        budget=budget,
        fix=inputs.parse_fix(fix_references),
        profile=profile,
    )
    result.problems += url_problems
    if duration_problem:
        result.problems.append(duration_problem)
    if starts_problem:
        result.problems.append(starts_problem)
    # The provider's rules on the references themselves (a region may take links only).
    shape = GenerationRequest.model_construct(
        prompt="", videos=tuple(inputs.file_paths(videos)), video_urls=tuple(urls), model=profile.model
    )
    result.problems += [p for p in provider_problems(shape, profile) if p not in result.problems]
    key_note = ctx.choice.key_note(profile)
    if key_note:
        result.notes.append(key_note)
    reprice(ctx, result)
    return result


def reprice(ctx: AppContext, a: Assessment) -> None:
    """The other quality's price and every provider's, for the references as they will be sent."""
    profile = a.profile or ctx.profile
    seconds = a.duration if a.duration is not None else profile.default_duration
    if a.probed is not None and a.probed.estimate is not None:
        a.other = estimate(a.probed.sent_durations, other_quality(a.quality), seconds, profile.prices)
        a.quotes = compare_providers(a.probed.sent_durations, a.quality, seconds, ctx.choice.compared())
    else:
        a.quotes = []


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
    """The `/estimate` endpoint (its parameters, defaults and docstring are the API's)."""

    async def estimate_api(
        videos: Any = None,
        video_urls: str = "",
        quality: str = "720p",
        duration: Any = None,
        fix_references: bool = True,
        reference_starts: str = "",
        provider: str = "",
        model: str = "",
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Price a generation before paying: per reference its duration and billed seconds as it
        will be sent, what will be done to it (fix_references: convert, rotate, trim to the 30 s
        window from reference_starts, shrink) and about how long that takes; billed input and
        output seconds, total billed seconds, credits, USD, problems, and what this app's key
        may still spend today (budget); provider and model (empty: this app's provider and its
        default model) pick where it is priced, and providers prices it on every provider."""
        visitor = identity.visitor_of(ctx, request)
        values = (videos, video_urls, quality, duration, fix_references, reference_starts, provider, model)
        try:
            a = await assess(ctx, *values, visitor=visitor)
        except LimitRefused as refused:  # nothing probed: say when to ask again
            name = ctx.choice.pick(provider, model).profile.name
            return refused_json(name, refused.message, refused.retry_after, quality or QUALITIES[0])
        return as_json(a.profile.name if a.profile else ctx.profile.name, a)

    return estimate_api


def _card_view(form: Form) -> Callable[..., tuple[Any, ...]]:
    """An assessment as the panel, the reference cards, their starts and the character buttons."""
    refs = form.refs
    slots = len(refs.slots)

    def view(
        a: Assessment, states: dict[int, CardState] | None = None, *, panel: bool = True, lang: str = EN
    ) -> tuple[Any, ...]:
        probed = a.probed
        count = len(probed.probes) if probed else 0
        states = states or {}
        cards = [
            card_html(probed, i, states.get(i), lang) if probed is not None and i < count else gr.skip()
            for i in range(slots)
        ]
        shown = [gr.update(visible=i < count) for i in range(slots)]
        # A hidden card's start goes back to 0, so a removed reference leaves no start behind.
        starts = [gr.skip() if i < count else gr.update(value=0) for i in range(slots)]
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
    ctx: AppContext,
    a: Assessment,
    videos: Any,
    video_urls: Any,
    view: Callable[..., tuple[Any, ...]],
    lang: str,
) -> AsyncIterator[tuple[Any, ...]]:
    """Prepare now (cached): the cards preview what the model gets, and Generate reuses it."""
    probed = a.probed
    assert probed is not None
    urls, _ = inputs.parse_urls(video_urls)
    sources = [*inputs.file_paths(videos), *urls]
    states: dict[int, CardState] = {}
    current = probed.to_prepare[0]
    profile = a.profile or ctx.profile
    seconds = a.duration if a.duration is not None else profile.default_duration
    async for item in prepare_step(probed, sources, a.quality, seconds, profile, ctx.settings):
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
            reprice(ctx, a)
            yield view(a, lang=lang)


def listen(ctx: AppContext, form: Form, cost: Cost) -> None:
    refs = form.refs
    estimate_api = _estimate_api(ctx)

    view = _card_view(form)

    async def refresh(
        videos: Any,
        video_urls: str,
        quality: str,
        duration: Any,
        fix_references: bool,
        reference_starts: str,
        provider: str,
        model: str,
        request: gr.Request,
    ) -> AsyncIterator[tuple[Any, ...]]:
        visitor = identity.visitor_of(ctx, request)
        lang = lang_of(request)
        values = (videos, video_urls, quality, duration, fix_references, reference_starts, provider, model)
        try:
            a = await assess(ctx, *values, visitor=visitor)
        except LimitRefused as refused:  # the panel says so; the cards stay as they were
            yield (refused_markdown(refused.message, lang), *(gr.skip() for _ in outputs[1:]))
            return
        yield view(a, lang=lang)
        probed = a.probed
        if probed is None or probed.estimate is None or not probed.to_prepare:
            return
        async with contextlib.aclosing(_previews(ctx, a, videos, video_urls, view, lang)) as previews:
            async for update in previews:
                yield update

    cost.api_trigger.click(
        estimate_api,
        inputs=form.reference_inputs,
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
        form.quality,
        form.duration,
        form.fix_references,
        form.reference_starts,
        form.model,
    ):
        component.change(
            refresh,
            inputs=form.reference_inputs,
            outputs=outputs,
            api_visibility="private",
            concurrency_limit=None,
            trigger_mode="always_last",
            show_progress="hidden",
        )

    def reprice_after(event: Any) -> Any:
        return event.then(
            refresh,
            inputs=form.reference_inputs,
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
