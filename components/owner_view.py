"""The owner's console's view model (pure, no gradio): the report as the tab's tables, chart
rows and sentences, in the visitor's language. `components/owner.py` wires it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wanvideo.budget import Limit
from wanvideo.console.report import MAX_TASK_ROWS, TASK_DAYS, OwnerReport, TaskRow, iso
from wanvideo.controls import OwnerControls
from wanvideo.messages import render, t
from wanvideo.pricing import format_credits
from wanvideo.task_status import status_label

LIMIT_LABELS = {
    Limit.DAILY: "owner.limit_daily",
    Limit.VISITOR_DAILY: "owner.limit_visitor_daily",
    Limit.VISITOR_ACTIVE: "owner.limit_visitor_active",
}


def _n(value: Decimal | int | float | None) -> int | str:
    """A figure in a table: whole numbers as they are, amounts with two decimals."""
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    return f"{Decimal(str(value)):.2f}"


def table(headers: list[str], rows: list[list[Any]], lang: str) -> dict[str, Any]:
    """A gr.Dataframe value: translated headers, rows (one empty row keeps the headers shown)."""
    return {"headers": [t(h, lang) for h in headers], "data": rows or [["" for _ in headers]]}


def unit_word(unit: str, lang: str) -> str:
    """Credits in the visitor's language; a currency code (USD, CNY) as it is."""
    return t("owner.unit_credits", lang) if unit == "credits" else unit


def chart_rows(report: OwnerReport, lang: str) -> list[dict[str, Any]]:
    """The bar chart's long-format rows: per day the provider's charge and the part of the
    estimate not charged (yet), stacked: a bar is what the day cost or will cost."""
    charged, reserved = t("owner.series_charged", lang), t("owner.series_reserved", lang)
    rows: list[dict[str, Any]] = []
    for day in report.days:
        label = day.day.strftime("%m-%d")
        rows.append({"day": label, "credits": float(day.charged), "kind": charged})
        rows.append(
            {"day": label, "credits": float(max(Decimal(0), day.estimate - day.charged)), "kind": reserved}
        )
    return rows


def task_rows(rows: list[TaskRow], lang: str) -> list[list[Any]]:
    key_own, key_server = t("owner.key_own", lang), t("owner.key_server", lang)
    return [
        [
            iso(r.when).replace("T", " ").removesuffix("Z"),
            r.visitor,
            r.provider,
            r.model or "",
            render(status_label(r.status), lang),
            _n(r.estimate),
            _n(r.charged),
            "" if r.seconds is None else round(r.seconds),
            key_own if r.own_key else key_server,
        ]
        for r in rows
    ]


TASK_HEADERS = [
    "owner.col_when",
    "owner.col_visitor",
    "owner.col_provider",
    "owner.col_model",
    "owner.col_status",
    "owner.col_estimate",
    "owner.col_charged",
    "owner.col_seconds",
    "owner.col_key",
]


def tables(report: OwnerReport, lang: str) -> dict[str, dict[str, Any]]:
    """Every table of the tab by name: providers, visitors, tasks, differences, limits."""
    none = t("owner.no_limit", lang)
    return {
        "providers": table(
            [
                "owner.col_provider",
                "owner.col_model",
                "owner.col_tasks",
                "owner.col_estimate",
                "owner.col_charged",
                "owner.col_unit",
            ],
            [
                [p.provider, p.model or "", p.tasks, _n(p.estimate), _n(p.charged), unit_word(p.unit, lang)]
                for p in report.providers
            ],
            lang,
        ),
        "visitors": table(
            [
                "owner.col_visitor",
                "owner.col_tasks",
                "owner.col_estimate",
                "owner.col_charged",
                "owner.col_today",
            ],
            [[v.visitor, v.tasks, _n(v.estimate), _n(v.charged), _n(v.spent_today)] for v in report.visitors],
            lang,
        ),
        "tasks": table(TASK_HEADERS, task_rows(report.tasks, lang), lang),
        "differences": table(
            [*TASK_HEADERS[:4], "owner.col_estimate", "owner.col_charged", "owner.col_difference"],
            [
                [*row[:4], row[5], row[6], _n((r.charged or Decimal(0)) - (r.estimate or Decimal(0)))]
                for r, row in zip(report.differences, task_rows(report.differences, lang), strict=True)
            ],
            lang,
        ),
        "limits": table(
            ["owner.col_limit", "owner.col_value", "owner.col_used"],
            [
                [t(LIMIT_LABELS[u.limit], lang), none if u.value is None else _n(u.value), _n(u.used)]
                for u in report.limits
            ],
            lang,
        ),
    }


def summary_md(report: OwnerReport, lang: str) -> str:
    return t(
        "owner.summary",
        lang,
        spent=format_credits(report.spent_today),
        tasks=len(report.tasks),
        days=TASK_DAYS,
        rows=MAX_TASK_ROWS,
    )


def pause_md(paused: bool, lang: str) -> str:
    return t("owner.paused_md" if paused else "owner.running_md", lang)


def alert_md(report: OwnerReport, lang: str) -> str | None:
    """The banner's text while today's spend is at or over the threshold; else None."""
    if report.alert is None or not report.alert.crossed:
        return None
    return t(
        "owner.alert",
        lang,
        spent=format_credits(report.alert.spent_today),
        threshold=format_credits(report.alert.threshold),
    )


def override_values(controls: OwnerControls) -> list[float | int | None]:
    """The limit inputs' values: the owner's overrides (None: blank, as configured)."""

    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return [
        num(controls.daily),
        num(controls.visitor_daily),
        controls.visitor_max_active,
        num(controls.alert_credits),
    ]


def parse_overrides(values: list[Any]) -> dict[str, Any] | None:
    """The limit inputs as overrides (blank: None); None when one is not a valid number."""
    names = ("daily", "visitor_daily", "visitor_max_active", "alert_credits")
    out: dict[str, Any] = {}
    for name, value in zip(names, values, strict=True):
        if value is None or value == "":
            out[name] = None
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return None
        if not number.is_finite() or number < 0:
            return None
        if name == "visitor_max_active":
            if number != number.to_integral_value() or number < 1:
                return None
            out[name] = int(number)
        else:
            out[name] = number
    return out
