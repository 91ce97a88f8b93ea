"""The cost panel's view: one look at the inputs (`Assessment`) rendered as the panel's
markdown and as the `/estimate` JSON (the `Assessment` itself is `wanvideo.service`'s). Pure (no gradio import); prices come from
`wanvideo.pricing`, money is written by `format_credits` only.

    a = Assessment(probed=probed, duration=5, quality="720p")
    as_markdown(a)          # "### Cost estimate: 47.60 credits (about $0.70)" ...
    as_json("demo", a)      # the /estimate answer (with `providers`: "Compare providers")

Amounts are in the chosen provider's unit (credits, USD or CNY: `pricing.format_amount`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from wanvideo.escape import for_markdown, markdown_text
from wanvideo.events import Probed
from wanvideo.media.prepare import about
from wanvideo.messages import EN, t
from wanvideo.messages import render as tr
from wanvideo.pricing import Estimate, ProviderQuote, format_amount, format_credits, format_rate
from wanvideo.providers import ProviderProfile
from wanvideo.service import Assessment

from .provider_view import variant_name

EMPTY = "### Cost estimate\nAdd 1 to 3 reference videos to see what the video will cost."
# The provider parts' text is the catalogue's compare.* and cost.on_provider (both languages).
COMPARE_ROW = "| {mark}{label} | {model} | {billed} | {usd}{flag} |"
CHOSEN_MARK = "▸ "
UNCONFIRMED_FLAG = " *"


def seconds(value: object, lang: str = EN) -> str:
    """'2.5 s', '5 s', '1.65 s' (at most two decimals)."""
    if value is None:
        return t("cost.unknown", lang)
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return t("cost.seconds", lang, value=text)


def money(e: Estimate, lang: str = EN) -> str:
    """The estimate's price in its unit: one amount, or a range when a duration is unknown."""
    if e.is_range:
        low, high = format_amount(e.credits_low, e.unit, e.usd_low), format_amount(e.credits, e.unit, e.usd)
        return t("cost.range", lang, low=low, high=high)
    return tr(format_amount(e.credits, e.unit, e.usd), lang)


def rate(e: Estimate, lang: str = EN) -> str:
    """The price of one billed second: "4.76 credits/s", "$0.10/s", "CNY 0.60/s"."""
    return tr(format_rate(e.credits_per_second, e.unit), lang)


def _usd_range(low: Decimal | None, high: Decimal | None, lang: str = EN) -> str:
    if high is None:
        return ""
    return (
        f"${high:.2f}"
        if low is None or low == high
        else t("cost.range", lang, low=f"${low:.2f}", high=f"${high:.2f}")
    )


def _billed_range(low: Decimal | None, high: Decimal | None, lang: str = EN) -> str:
    if high is None:
        return ""
    if low is None or low == high:
        return seconds(high, lang)
    return t("cost.range", lang, low=seconds(low, lang), high=seconds(high, lang))


def compare_lines(quotes: list[ProviderQuote], chosen: ProviderProfile | None, lang: str = EN) -> list[str]:
    """The rows of "Compare providers": one per provider and model, the chosen one marked; a * where
    the price or the rule for reference seconds is not the provider's word; then the sources."""
    if not quotes:
        return []
    lines = ["#### " + t("compare.title", lang), t("compare.head", lang), "|---|---|---|---|"]
    for q in quotes:
        is_chosen = chosen is not None and q.provider == chosen.name and q.model == chosen.model
        if q.offered:
            billed = _billed_range(q.billed_seconds_low, q.billed_seconds, lang)
            usd = _usd_range(q.usd_low, q.usd, lang)
        else:
            billed, usd = t("compare.not_offered", lang), ""
        lines.append(
            COMPARE_ROW.format(
                mark=CHOSEN_MARK if is_chosen else "",
                label=tr(q.short_label or q.label, lang).replace("|", "/"),
                model=variant_name(q.model, lang),
                billed=billed,
                usd=usd,
                flag=UNCONFIRMED_FLAG if not q.confirmed and q.offered else "",
            )
        )
    lines += ["", f"<small>{t('compare.foot', lang)}</small>", ""]
    sources: list[str] = []
    for q in quotes:
        for item in (
            t("compare.source", lang, label=q.label, model=q.model_name, source=q.source, when=q.as_of),
            *q.notes,
        ):
            if item not in sources:
                sources.append(item)
    lines.append(f"<details><summary>{t('compare.sources', lang)}</summary>\n")
    lines += [f"- <small>{tr(item, lang)}</small>" for item in sources]
    lines += ["", "</details>"]
    return lines


def _reset_time(value: Any) -> str:
    when = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), tz=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%H:%M UTC")


def budget_line(budget: Any, lang: str = EN) -> str:
    """How much the server's key may still spend today (None: no limit applies, no line).
    Reads `wanvideo.budget.BudgetStatus`: left_today, visitor_left_today, resets_at."""
    if budget is None:
        return ""
    left = [
        t(who, lang, money=format_credits(amount))
        for amount, who in (
            (budget.visitor_left_today, "cost.budget_for_you"),
            (budget.left_today, "cost.budget_for_everyone"),
        )
        if amount is not None
    ]
    if not left:
        return ""
    both = left[0] if len(left) == 1 else t("cost.budget_and", lang, a=left[0], b=left[1])
    return t("cost.budget", lang, left=both, resets=_reset_time(budget.resets_at))


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
        "variations": a.variations,  # the amounts below are for all of them together
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
                "prices_source": str(e.prices_source),
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


def refused_json(provider: str, refusal: str, retry_after: int, quality: str = "") -> dict[str, Any]:
    """The `/estimate` answer when the visitor may not run one now: the usual shape with nothing
    probed or priced, the refusal as its problem, and `retry_after` (seconds) to ask again."""
    data = as_json(provider, Assessment(probed=None, duration=None, quality=quality, problems=[refusal]))
    data["retry_after"] = retry_after
    return data


def refused_markdown(refusal: str, lang: str = EN) -> str:
    """The cost panel when the visitor may not run an estimate now."""
    return f"### {t('cost.title', lang)}\n{for_markdown(refusal, lang)}"


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


def preparation_lines(probed: Probed, lang: str = EN) -> list[str]:
    """What fixing does to each reference, and about how long it takes."""
    lines = []
    for i in range(len(probed.probes)):
        plan, clip = probed.plan(i), probed.clip(i)
        if plan is None or plan.job is None or plan.sent.problems:
            continue
        notes = ", ".join(for_markdown(n, lang) for n in (clip.notes() if clip is not None else plan.notes()))
        done = t("cost.done", lang) if clip is not None else ""
        name = markdown_text(probed.probes[i].name.replace("|", "/"))
        lines.append(f"- character{i + 1} · {name}: {notes}{done}")
    if not lines:
        return []
    left = prepare_seconds(probed)
    when = f", {tr(about(left), lang)}" if left else ""
    return [t("cost.fixed_before_upload", lang, when=when), *lines, ""]


def as_markdown(a: Assessment, lang: str = EN) -> str:
    e = a.estimate
    lines: list[str] = []
    if e is None:
        empty = t("cost.empty", lang) if not (a.probed and a.probed.probes) else t("cost.none_yet", lang)
        lines.append(f"### {t('cost.title', lang)}\n{empty}")
    else:
        headline = "cost.headline" if not a.problems else "cost.headline_fixed"
        lines.append("### " + t(headline, lang, money=money(e, lang)))
        if a.profile is not None:
            lines.append(t("cost.on_provider", lang, label=a.profile.label, model=a.profile.variant.wire))
        if a.variations > 1:
            lines.append(t("cost.variations", lang, count=a.variations))
        lines.append(t("cost.only_if_made", lang))
        lines.append("")
        lines.append(t("cost.table_head", lang))
        lines.append("|---|---|---|")
        probed = a.probed
        assert probed is not None
        for i, (probe, bill) in enumerate(zip(probed.probes, e.references, strict=False)):
            billed = seconds(bill.billed_high, lang)
            if bill.billed_low != bill.billed_high:
                billed = t("cost.range", lang, low="0", high=billed)
            name = markdown_text(probe.name.replace("|", "/"))  # a visitor's name: never markup
            sent = probed.sent(i).duration
            length = seconds(probe.duration, lang)
            if sent is not None and probe.duration is not None and sent != probe.duration:
                length = t("cost.sends", lang, length=length, sent=seconds(sent, lang))
            lines.append(f"| character{i + 1} · {name} | {length} | {billed} |")
        lines.append("")
        lines.extend(preparation_lines(probed, lang))
        input_s, total_s = seconds(e.input_seconds, lang), seconds(e.total_seconds, lang)
        if e.input_seconds_low != e.input_seconds:
            input_s = t("cost.range", lang, low=seconds(e.input_seconds_low, lang), high=input_s)
            total_s = t("cost.range", lang, low=seconds(e.total_seconds_low, lang), high=total_s)
        lines.append(
            t(
                "cost.formula",
                lang,
                input=input_s,
                output=seconds(e.output_seconds, lang),
                total=total_s,
                rate=rate(e, lang),
                quality=e.quality,
            )
        )
        if a.other is not None:
            lines.append(t("cost.other_quality", lang, quality=a.other.quality, money=money(a.other, lang)))
        if e.minimum_applied:
            lines.append(t("cost.minimum", lang, money=format_credits(e.minimum_credits)))
        lines.append("")
        lines.append(f"<small>{t('cost.prices', lang, when=e.prices_as_of, source=e.prices_source)}</small>")
    if a.notes:
        lines.append("")
        lines.extend(f"**{for_markdown(n, lang)}**" for n in a.notes)
    if budget_line(a.budget, lang):
        lines.append("")
        lines.append(budget_line(a.budget, lang))
    given = a.given or (a.probed and a.probed.probes)
    pristine = not given and len(a.problems) == 1 and a.duration is not None
    if a.problems and not pristine:  # an empty form needs no "fix" list, just the hint above
        lines.append("")
        lines.append(t("cost.fix_first", lang))
        lines.extend(f"- {for_markdown(p, lang)}" for p in a.problems)
    warnings = a.probed.warnings if a.probed else ()
    if warnings:
        lines.append("")
        lines.extend("- " + t("cost.note", lang, text=for_markdown(w, lang)) for w in warnings)
    compared = compare_lines(a.quotes, a.profile, lang)
    if compared:
        lines.append("")
        lines.extend(compared)
    return "\n".join(lines)
