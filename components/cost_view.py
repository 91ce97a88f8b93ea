"""The cost panel's view: one look at the inputs (`Assessment`) rendered as the panel's
markdown and as the `/estimate` JSON. Pure (no gradio import); prices come from
`wanvideo.pricing`, money is written by `format_credits` only.

    a = Assessment(probed=probed, duration=5, quality="720p")
    as_markdown(a)          # "### Cost estimate: 47.60 credits (about $0.70)" ...
    as_json("demo", a)      # the /estimate answer
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from wanvideo.events import Probed
from wanvideo.pricing import Estimate, format_credits

EMPTY = "### Cost estimate\nAdd 1 to 3 reference videos to see what the video will cost."


@dataclass
class Assessment:
    """One look at the inputs: the probe, the estimates and every problem in plain words."""

    probed: Probed | None
    duration: int | None
    quality: str
    other: Estimate | None = None
    problems: list[str] = field(default_factory=list)

    budget: Any = None  # wanvideo.budget.BudgetStatus: what the server's key may still spend today

    @property
    def estimate(self) -> Estimate | None:
        return self.probed.estimate if self.probed else None


def seconds(value: object) -> str:
    """'2.5 s', '5 s', '1.65 s' (at most two decimals)."""
    if value is None:
        return "unknown"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return f"{text} s"


def money(e: Estimate) -> str:
    """The estimate's price: one amount, or a range when a duration is unknown."""
    if e.is_range:
        return f"{format_credits(e.credits_low, e.usd_low)} to {format_credits(e.credits, e.usd)}"
    return format_credits(e.credits, e.usd)


def _reset_time(value: Any) -> str:
    when = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), tz=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%H:%M UTC")


def budget_line(budget: Any) -> str:
    """How much the server's key may still spend today (None: no limit applies, no line).
    Reads `wanvideo.budget.BudgetStatus`: left_today, visitor_left_today, resets_at."""
    if budget is None:
        return ""
    left = [
        f"{format_credits(amount)} {who}"
        for amount, who in ((budget.visitor_left_today, "for you"), (budget.left_today, "for everyone"))
        if amount is not None
    ]
    if not left:
        return ""
    return (
        f"Left today on this app's key: {' and '.join(left)} (resets at {_reset_time(budget.resets_at)}). "
        "Your own key under Advanced has no such limit."
    )


def budget_json(budget: Any) -> dict[str, Any] | None:
    if budget is None:
        return None
    return {
        "left_today": _num(budget.left_today),
        "visitor_left_today": _num(budget.visitor_left_today),
        "resets_at": _reset_time(budget.resets_at),
    }


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def as_json(provider: str, a: Assessment) -> dict[str, Any]:
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
        "provider": provider,
        "quality": a.quality,
        "references": refs,
        "output_seconds": a.duration,
        "problems": list(a.problems),
        "warnings": list(a.probed.warnings) if a.probed else [],
        "budget": budget_json(a.budget),
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
        lines.append(
            f"### Cost estimate: {money(e)}" if not a.problems else f"### Cost once fixed: {money(e)}"
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
            lines.append(f"At {a.other.quality} instead: {money(a.other)}.")
        if e.minimum_applied:
            lines.append(f"The minimum charge of {format_credits(e.minimum_credits)} per task applies.")
        lines.append("")
        lines.append(f"<small>Prices as of {e.prices_as_of}, source: {e.prices_source}.</small>")
    if budget_line(a.budget):
        lines.append("")
        lines.append(budget_line(a.budget))
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
