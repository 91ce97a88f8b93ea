"""The cost panel's view: one look at the inputs (`Assessment`) rendered as the panel's
markdown and as the `/estimate` JSON. Pure (no gradio import); prices come from
`wanvideo.pricing`, money is written by `format_credits` only.

    a = Assessment(probed=probed, duration=5, quality="720p")
    as_markdown(a)          # "### Cost estimate: 47.60 credits (about $0.70)" ...
    as_json("demo", a)      # the /estimate answer (with `providers`: "Compare providers")

Amounts are in the chosen provider's unit (credits, USD or CNY: `pricing.format_amount`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from wanvideo.events import Probed
from wanvideo.media.prepare import about
from wanvideo.pricing import Estimate, ProviderQuote, format_amount, format_credits, format_rate
from wanvideo.providers import ProviderProfile

from .provider_view import VARIANT_NAMES

EMPTY = "### Cost estimate\nAdd 1 to 3 reference videos to see what the video will cost."
# Visible text of the provider parts (one place, to be keyed for translation).
ON_PROVIDER = "On **{label}**, model `{model}`."
COMPARE_TITLE = "#### Compare providers"
COMPARE_HEAD = "| Provider | Model | Billed | USD |\n|---|---|---|---|"
COMPARE_ROW = "| {mark}{label} | {model} | {billed} | {usd}{flag} |"
CHOSEN_MARK = "▸ "
UNCONFIRMED_FLAG = " *"
NOT_OFFERED = "not offered"
COMPARE_FOOT = (
    "\\* not confirmed by the provider (see the sources). The same references, quality and duration on each."
)
SOURCES_TITLE = "Sources and open points"


@dataclass
class Assessment:
    """One look at the inputs: the probe, the estimates and every problem in plain words."""

    probed: Probed | None
    duration: int | None
    quality: str
    other: Estimate | None = None
    problems: list[str] = field(default_factory=list)

    budget: Any = None  # wanvideo.budget.BudgetStatus: what the server's key may still spend today
    fix: bool = True  # clips the provider would refuse are prepared (fix_references)
    profile: ProviderProfile | None = None  # the provider and model priced (None: the configured one)
    quotes: list[ProviderQuote] = field(default_factory=list)  # the same job on every provider
    notes: list[str] = field(default_factory=list)  # what the visitor should know, not a refusal

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
    """The estimate's price in its unit: one amount, or a range when a duration is unknown."""
    if e.is_range:
        return (
            f"{format_amount(e.credits_low, e.unit, e.usd_low)} to {format_amount(e.credits, e.unit, e.usd)}"
        )
    return format_amount(e.credits, e.unit, e.usd)


def rate(e: Estimate) -> str:
    """The price of one billed second: "4.76 credits/s", "$0.10/s", "CNY 0.60/s"."""
    if e.unit == "credits":
        return f"{e.credits_per_second:.4g} credits/s"
    return format_rate(e.credits_per_second, e.unit)


def _usd_range(low: Decimal | None, high: Decimal | None) -> str:
    if high is None:
        return ""
    return f"${high:.2f}" if low is None or low == high else f"${low:.2f} to ${high:.2f}"


def _billed_range(low: Decimal | None, high: Decimal | None) -> str:
    if high is None:
        return ""
    return seconds(high) if low is None or low == high else f"{seconds(low)} to {seconds(high)}"


def compare_lines(quotes: list[ProviderQuote], chosen: ProviderProfile | None) -> list[str]:
    """The rows of "Compare providers": one per provider and model, the chosen one marked; a * where
    the price or the rule for reference seconds is not the provider's word; then the sources."""
    if not quotes:
        return []
    lines = [COMPARE_TITLE, COMPARE_HEAD]
    for q in quotes:
        is_chosen = chosen is not None and q.provider == chosen.name and q.model == chosen.model
        if q.offered:
            billed, usd = _billed_range(q.billed_seconds_low, q.billed_seconds), _usd_range(q.usd_low, q.usd)
        else:
            billed, usd = NOT_OFFERED, ""
        lines.append(
            COMPARE_ROW.format(
                mark=CHOSEN_MARK if is_chosen else "",
                label=(q.short_label or q.label).replace("|", "/"),
                model=VARIANT_NAMES.get(q.model, q.model),
                billed=billed,
                usd=usd,
                flag=UNCONFIRMED_FLAG if not q.confirmed and q.offered else "",
            )
        )
    lines += ["", f"<small>{COMPARE_FOOT}</small>", ""]
    sources: list[str] = []
    for q in quotes:
        for item in (f"{q.label} ({q.model_name}): {q.source}, as of {q.as_of}", *q.notes):
            if item not in sources:
                sources.append(item)
    lines.append(f"<details><summary>{SOURCES_TITLE}</summary>\n")
    lines += [f"- <small>{item}</small>" for item in sources]
    lines += ["", "</details>"]
    return lines


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


def _preparation(probed: Probed, i: int) -> dict[str, Any]:
    """What fixing does to reference `i`, as /estimate reports it (typed fields, not sentences
    to parse: `steps` are `wanvideo.media.prepare.Step` values)."""
    plan, clip = probed.plan(i), probed.clip(i)
    if plan is None or plan.job is None or plan.sent.problems:
        return {"steps": [], "will_be_done": [], "window": None, "prepare_seconds": 0, "prepared": False}
    return {
        "steps": [step.value for step in plan.steps],
        "will_be_done": list(clip.notes() if clip is not None else plan.notes()),
        "window": [_num(Decimal(str(plan.start))), _num(Decimal(str(plan.end)))]
        if plan.end is not None
        else None,
        "prepare_seconds": 0 if clip is not None else round(plan.seconds_to_prepare, 1),
        "prepared": clip is not None,
    }


def prepare_seconds(probed: Probed | None) -> float:
    """About how long preparing the references still takes (0: nothing to do)."""
    if probed is None:
        return 0.0
    return sum(probed.plans[i].seconds_to_prepare for i in probed.to_prepare)


def as_json(provider: str, a: Assessment) -> dict[str, Any]:
    """The `/estimate` answer: each reference as it will be sent (`duration`, `billed_seconds`,
    `size_bytes`), with its `source_duration` and what fixing does to it."""
    probes = a.probed.probes if a.probed else ()
    e = a.estimate
    bills = e.references if e else ()
    refs = []
    for i, probe in enumerate(probes):
        assert a.probed is not None
        bill = bills[i] if i < len(bills) else None
        sent = a.probed.sent(i)
        refs.append(
            {
                "character": f"character{i + 1}",
                "name": probe.name,
                "source": "url" if probe.source.startswith(("http://", "https://")) else "file",
                "duration": sent.duration,
                "source_duration": probe.duration,
                "billed_seconds": _num(bill.billed_high) if bill else None,
                "billed_seconds_low": _num(bill.billed_low) if bill else None,
                "size_bytes": sent.size_bytes,
                "source_size_bytes": probe.size_bytes,
                "container": probe.container,
                "orientation": sent.orientation,
                "has_audio": probe.has_audio,
                **_preparation(a.probed, i),
                "problems": list(sent.problems),
                "warnings": list(sent.warnings),
            }
        )
    data: dict[str, Any] = {
        "ok": not a.problems,
        "provider": provider,
        "model": a.profile.model if a.profile is not None else None,
        "unit": a.estimate.unit if a.estimate is not None else None,
        "quality": a.quality,
        "fix_references": a.fix,
        "prepare_seconds": round(prepare_seconds(a.probed), 1),
        "references": refs,
        "output_seconds": a.duration,
        "problems": list(a.problems),
        "warnings": list(a.probed.warnings) if a.probed else [],
        "budget": budget_json(a.budget),
        "notes": list(a.notes),
        "providers": [q.to_json() for q in a.quotes],
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
        "unit": e.unit,
        "minimum_applied": e.minimum_applied,
        "prices_as_of": e.prices_as_of,
    }


def preparation_lines(probed: Probed) -> list[str]:
    """What fixing does to each reference, and about how long it takes."""
    lines = []
    for i in range(len(probed.probes)):
        plan, clip = probed.plan(i), probed.clip(i)
        if plan is None or plan.job is None or plan.sent.problems:
            continue
        notes = ", ".join(clip.notes() if clip is not None else plan.notes())
        done = " (done)" if clip is not None else ""
        lines.append(f"- character{i + 1} · {probed.probes[i].name.replace('|', '/')}: {notes}{done}")
    if not lines:
        return []
    left = prepare_seconds(probed)
    when = f", {about(left)}" if left else ""
    return [f"**Fixed before upload**{when}:", *lines, ""]


def as_markdown(a: Assessment) -> str:
    e = a.estimate
    lines: list[str] = []
    if e is None:
        lines.append(EMPTY if not (a.probed and a.probed.probes) else "### Cost estimate\nNo estimate yet.")
    else:
        lines.append(
            f"### Cost estimate: {money(e)}" if not a.problems else f"### Cost once fixed: {money(e)}"
        )
        if a.profile is not None:
            lines.append(ON_PROVIDER.format(label=a.profile.label, model=a.profile.variant.wire))
        lines.append("Charged only if the video is made; a failed task costs nothing.")
        lines.append("")
        lines.append("| Reference | Length | Billed |")
        lines.append("|---|---|---|")
        probed = a.probed
        assert probed is not None
        for i, (probe, bill) in enumerate(zip(probed.probes, e.references, strict=False)):
            billed = seconds(bill.billed_high)
            if bill.billed_low != bill.billed_high:
                billed = f"0 to {billed}"
            name = probe.name.replace("|", "/")
            sent = probed.sent(i).duration
            length = seconds(probe.duration)
            if sent is not None and probe.duration is not None and sent != probe.duration:
                length = f"{length}, sends {seconds(sent)}"
            lines.append(f"| character{i + 1} · {name} | {length} | {billed} |")
        lines.append("")
        lines.extend(preparation_lines(probed))
        input_s, total_s = seconds(e.input_seconds), seconds(e.total_seconds)
        if e.input_seconds_low != e.input_seconds:
            input_s = f"{seconds(e.input_seconds_low)} to {input_s}"
            total_s = f"{seconds(e.total_seconds_low)} to {total_s}"
        lines.append(
            f"Input {input_s} + output {seconds(e.output_seconds)} = **{total_s} billed** "
            f"× {rate(e)} at {e.quality}."
        )
        if a.other is not None:
            lines.append(f"At {a.other.quality} instead: {money(a.other)}.")
        if e.minimum_applied:
            lines.append(f"The minimum charge of {format_credits(e.minimum_credits)} per task applies.")
        lines.append("")
        lines.append(f"<small>Prices as of {e.prices_as_of}, source: {e.prices_source}.</small>")
    if a.notes:
        lines.append("")
        lines.extend(f"**{n}**" for n in a.notes)
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
    compared = compare_lines(a.quotes, a.profile)
    if compared:
        lines.append("")
        lines.extend(compared)
    return "\n".join(lines)
