"""The live cost estimate (elem_id `cost-estimate`) and the `/estimate` API endpoint.

Every change of the references, quality or duration re-probes (the domain's
`check_references`) and re-prices (`wanvideo.pricing`); `cost_view` renders the result.
Nothing is priced or parsed here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import gradio as gr

from wanvideo.job import check_references
from wanvideo.pricing import estimate, other_quality
from wanvideo.providers import QUALITIES

from . import identity, inputs, references
from .context import AppContext
from .cost_view import EMPTY, Assessment, as_json, as_markdown
from .form import Form


async def assess(
    ctx: AppContext, videos: Any, video_urls: Any, quality: str, duration: Any, visitor: str | None = None
) -> Assessment:
    """Probe and price the form's references (the one probe per look); with `visitor`, also
    what the server's key may still spend today."""
    quality = quality or QUALITIES[0]
    seconds, duration_problem = inputs.parse_duration(ctx.profile, duration)
    urls, url_problems = inputs.parse_urls(video_urls)
    priced_seconds = seconds if seconds is not None else ctx.profile.default_duration
    probed = await check_references(
        inputs.file_paths(videos), urls, quality, priced_seconds, ctx.profile, ctx.settings
    )
    budget = await asyncio.to_thread(ctx.manager.budget_status, visitor) if visitor else None
    result = Assessment(
        probed=probed, duration=seconds, quality=quality, problems=list(probed.problems), budget=budget
    )
    result.problems += url_problems
    if duration_problem:
        result.problems.append(duration_problem)
    if probed.estimate is not None:
        result.other = estimate(
            [p.duration for p in probed.probes], other_quality(quality), priced_seconds, ctx.profile.prices
        )
    return result


@dataclass
class Cost:
    panel: gr.Markdown
    data: gr.JSON  # hidden: the /estimate endpoint's output
    api_trigger: gr.Button  # hidden: carries the /estimate endpoint


def render() -> Cost:
    panel = gr.Markdown(EMPTY, elem_id="cost-estimate", elem_classes=["wan-panel"])
    data = gr.JSON(visible=False, label="Estimate")
    api_trigger = gr.Button("Estimate", visible=False)
    return Cost(panel=panel, data=data, api_trigger=api_trigger)


def listen(ctx: AppContext, form: Form, cost: Cost) -> None:
    async def estimate_api(
        videos: Any = None,
        video_urls: str = "",
        quality: str = "720p",
        duration: Any = None,
        request: gr.Request = None,  # type: ignore[assignment]
    ) -> dict[str, Any]:
        """Price a generation before paying: per reference its duration and billed seconds,
        billed input and output seconds, total billed seconds, credits, USD, problems, and
        what this app's key may still spend today (budget)."""
        visitor = identity.visitor_of(ctx, request)
        return as_json(ctx.profile.name, await assess(ctx, videos, video_urls, quality, duration, visitor))

    async def refresh(
        videos: Any, video_urls: str, quality: str, duration: Any, request: gr.Request
    ) -> tuple[Any, ...]:
        a = await assess(ctx, videos, video_urls, quality, duration, identity.visitor_of(ctx, request))
        count = len(a.probed.probes) if a.probed else 0
        buttons = [gr.update(visible=i < count) for i in range(len(form.character_buttons))]
        return (as_markdown(a), references.cards_html(a.probed), *buttons)

    cost.api_trigger.click(
        estimate_api,
        inputs=form.reference_inputs,
        outputs=cost.data,
        api_name="estimate",
        concurrency_limit=None,
    )
    outputs = [cost.panel, form.cards, *form.character_buttons]
    # always_last: while one refresh runs, only the newest pending change is kept.
    for component in (form.videos, form.video_urls, form.quality, form.duration):
        component.change(
            refresh,
            inputs=form.reference_inputs,
            outputs=outputs,
            api_visibility="private",
            concurrency_limit=None,
            trigger_mode="always_last",
            show_progress="hidden",
        )
