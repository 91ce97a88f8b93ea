"""The live cost estimate (elem_id `cost-estimate`) and the `/estimate` API endpoint.

Every change of the references, quality or duration re-probes (the domain's
`check_references`) and re-prices (`wanvideo.pricing`); nothing is priced here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import gradio as gr

from wanvideo.events import Probed
from wanvideo.job import check_references
from wanvideo.pricing import Estimate, estimate, other_quality

from . import references
from .context import AppContext
from .form import Form

EMPTY = "### Cost estimate\nAdd 1 to 3 reference videos to see what the video will cost."


@dataclass
class Assessment:
    """One look at the inputs: the probe, the estimates and every problem in plain words."""

    probed: Probed | None
    duration: int | None
    quality: str
    other: Estimate | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def estimate(self) -> Estimate | None:
        return self.probed.estimate if self.probed else None


def file_paths(videos: Any) -> list[str]:
    """gr.File(file_count="multiple") gives a list of paths (or None); accept one path too."""
    if not videos:
        return []
    if isinstance(videos, str | bytes) or not isinstance(videos, list | tuple):
        videos = [videos]
    paths = []
    for item in videos:
        path = item.get("path") if isinstance(item, dict) else getattr(item, "path", item)
        if path:
            paths.append(str(path))
    return paths


def url_lines(video_urls: Any) -> list[str]:
    if not video_urls:
        return []
    if isinstance(video_urls, list | tuple):
        video_urls = "\n".join(str(u) for u in video_urls)
    return [line.strip() for line in str(video_urls).splitlines() if line.strip()]


def parse_duration(ctx: AppContext, duration: Any) -> tuple[int | None, str | None]:
    profile = ctx.profile
    try:
        value = float(str(duration).strip().removesuffix("s").strip())
        if value != int(value):
            raise ValueError
        seconds = int(value)
    except (TypeError, ValueError):
        return (
            None,
            f"Duration (s): {duration!r} is not a number of seconds; choose {profile.duration_rule()}.",
        )
    if seconds not in profile.durations:
        return (
            None,
            f"Duration (s): {seconds} s is not offered by {profile.label}; choose {profile.duration_rule()}.",
        )
    return seconds, None


async def assess(ctx: AppContext, videos: Any, video_urls: Any, quality: str, duration: Any) -> Assessment:
    quality = quality or "720p"
    if duration is None or duration == "":
        duration = ctx.profile.default_duration
    seconds, duration_problem = parse_duration(ctx, duration)
    paths, urls = file_paths(videos), url_lines(video_urls)
    priced_seconds = seconds if seconds is not None else ctx.profile.default_duration
    probed = await check_references(paths, urls, quality, priced_seconds, ctx.profile, ctx.settings)
    result = Assessment(probed=probed, duration=seconds, quality=quality, problems=list(probed.problems))
    if duration_problem:
        result.problems.append(duration_problem)
    if probed.estimate is not None:
        result.other = estimate(
            [p.duration for p in probed.probes], other_quality(quality), priced_seconds, ctx.profile.prices
        )
    return result


# --------------------------------------------------------------------------- presentation


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _credits(e: Estimate, low: bool = False) -> str:
    return f"{(e.credits_low if low else e.credits):.2f}"


def _money(e: Estimate) -> str:
    if e.is_range:
        return f"{_credits(e, True)} to {_credits(e)} credits (about ${e.usd_low} to ${e.usd})"
    return f"{_credits(e)} credits (about ${e.usd})"


def as_json(ctx: AppContext, a: Assessment) -> dict[str, Any]:
    """The `/estimate` answer."""
    probes = a.probed.probes if a.probed else ()
    e = a.estimate
    bills = e.references if e else ()
    refs = []
    for i, probe in enumerate(probes):
        bill = bills[i] if i < len(bills) else None
        refs.append(
            {
                "character": f"character{i + 1}",
                "name": probe.name,
                "source": "url" if probe.source.startswith(("http://", "https://")) else "file",
                "duration": probe.duration,
                "billed_seconds": _num(bill.billed_high) if bill else None,
                "billed_seconds_low": _num(bill.billed_low) if bill else None,
                "size_bytes": probe.size_bytes,
                "container": probe.container,
                "has_audio": probe.has_audio,
                "problems": list(probe.problems),
                "warnings": list(probe.warnings),
            }
        )
    data: dict[str, Any] = {
        "ok": not a.problems,
        "provider": ctx.profile.name,
        "quality": a.quality,
        "references": refs,
        "output_seconds": a.duration,
        "problems": list(a.problems),
        "warnings": list(a.probed.warnings) if a.probed else [],
    }
    if e is not None:
        data.update(
            {
                "billed_input_seconds": _num(e.input_seconds),
                "total_billed_seconds": _num(e.total_seconds),
                "credits_per_second": _num(e.credits_per_second),
                "credits": _num(e.credits),
                "usd": _num(e.usd),
                "is_range": e.is_range,
                "billed_input_seconds_low": _num(e.input_seconds_low),
                "credits_low": _num(e.credits_low),
                "usd_low": _num(e.usd_low),
                "minimum_credits": _num(e.minimum_credits),
                "minimum_applied": e.minimum_applied,
                "prices_as_of": e.prices_as_of,
                "prices_source": e.prices_source,
            }
        )
        if a.other is not None:
            data["other_quality"] = {
                "quality": a.other.quality,
                "credits": _num(a.other.credits),
                "usd": _num(a.other.usd),
            }
    else:
        for key in ("billed_input_seconds", "total_billed_seconds", "credits", "usd"):
            data[key] = None
    return data


def estimate_summary(e: Estimate | None) -> dict[str, Any] | None:
    """The estimate inside a task record."""
    if e is None:
        return None
    return {
        "quality": e.quality,
        "billed_input_seconds": _num(e.input_seconds),
        "output_seconds": _num(e.output_seconds),
        "total_billed_seconds": _num(e.total_seconds),
        "credits": _num(e.credits),
        "usd": _num(e.usd),
        "minimum_applied": e.minimum_applied,
        "prices_as_of": e.prices_as_of,
    }


def as_markdown(a: Assessment) -> str:
    e = a.estimate
    lines: list[str] = []
    if e is None:
        lines.append(EMPTY if not (a.probed and a.probed.probes) else "### Cost estimate\nNo estimate yet.")
    else:
        seconds = references.seconds
        lines.append(
            f"### Cost estimate: {_money(e)}" if not a.problems else f"### Cost once fixed: {_money(e)}"
        )
        lines.append("Charged only if the video is made; a failed task costs nothing.")
        lines.append("")
        lines.append("| Reference | Length | Billed |")
        lines.append("|---|---|---|")
        for i, (probe, bill) in enumerate(zip(a.probed.probes, e.references, strict=False)):  # type: ignore[union-attr]
            billed = seconds(bill.billed_high)
            if bill.billed_low != bill.billed_high:
                billed = f"0 to {billed}"
            name = probe.name.replace("|", "/")
            lines.append(f"| character{i + 1} · {name} | {seconds(probe.duration)} | {billed} |")
        lines.append("")
        input_s, total_s = seconds(e.input_seconds), seconds(e.total_seconds)
        if e.input_seconds_low != e.input_seconds:
            input_s = f"{seconds(e.input_seconds_low)} to {input_s}"
            total_s = f"{seconds(e.total_seconds_low)} to {total_s}"
        lines.append(
            f"Input {input_s} + output {seconds(e.output_seconds)} = **{total_s} billed** "
            f"× {e.credits_per_second:.4g} credits/s at {e.quality}."
        )
        if a.other is not None:
            lines.append(f"At {a.other.quality} instead: {_money(a.other)}.")
        if e.minimum_applied:
            lines.append(f"The minimum charge of {e.minimum_credits:.4g} credits per task applies.")
        lines.append("")
        lines.append(f"<small>Prices as of {e.prices_as_of}, source: {e.prices_source}.</small>")
    pristine = not (a.probed and a.probed.probes) and len(a.problems) == 1 and a.duration is not None
    if a.problems and not pristine:  # an empty form needs no "fix" list, just the hint above
        lines.append("")
        lines.append("**Fix before generating:**")
        lines.extend(f"- {p}" for p in a.problems)
    warnings = a.probed.warnings if a.probed else ()
    if warnings:
        lines.append("")
        lines.extend(f"- Note: {w}" for w in warnings)
    return "\n".join(lines)


# --------------------------------------------------------------------------- UI


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
        videos: Any = None, video_urls: str = "", quality: str = "720p", duration: Any = None
    ) -> dict[str, Any]:
        """Price a generation before paying: per reference its duration and billed seconds,
        billed input and output seconds, total billed seconds, credits, USD and problems."""
        return as_json(ctx, await assess(ctx, videos, video_urls, quality, duration))

    async def refresh(videos: Any, video_urls: str, quality: str, duration: Any) -> tuple[Any, ...]:
        a = await assess(ctx, videos, video_urls, quality, duration)
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
