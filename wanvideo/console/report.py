"""The owner's report: pure functions over task records (any owner), no I/O.

    report = build_report(records, now=now, limits=limits, paused=False, alert=None, key=key)
    report.to_json()     # {"days", "providers", "visitors", "tasks", "differences", "limits", "paused", "alert"}

What counts: a task on the server's key spends the owner's money; a task on a visitor's own key
is listed (key "own") but counts in no sum. A task's estimate is the estimate it was accepted
with (`estimate.credits`; else its reservation), its charge what the provider reported. What it
counts against the limits (`spent`) is its `spend_credits` (the reservation, then the charge; 0
once it failed uncharged), or in demo mode, where nothing is guarded, the same rule applied
to its estimate and charge. Days are UTC days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from ..batch import KIND_FILM
from ..budget import Limit, Limits, day_start
from ..store import KEY_SERVER, TaskRecord
from ..task_status import FAILED, RUNNING_STATUSES
from .pseudonym import pseudonym

REPORT_DAYS = 30  # the chart's days
TASK_DAYS = 7  # the table's days
MAX_TASK_ROWS = 200  # the table's rows (the CSV has every task of REPORT_DAYS)
TOP_VISITORS = 20
ZERO = Decimal(0)


@dataclass(frozen=True)
class TaskRow:
    when: float
    visitor: str  # pseudonym
    provider: str
    model: str | None
    status: str
    estimate: Decimal | None
    charged: Decimal | None
    seconds: float | None
    unit: str
    own_key: bool


@dataclass(frozen=True)
class DaySpend:
    day: date
    tasks: int
    estimate: Decimal
    charged: Decimal


@dataclass(frozen=True)
class ProviderSpend:
    provider: str
    model: str | None
    unit: str
    tasks: int
    estimate: Decimal
    charged: Decimal


@dataclass(frozen=True)
class VisitorSpend:
    visitor: str  # pseudonym
    tasks: int
    estimate: Decimal
    charged: Decimal
    spent_today: Decimal


@dataclass(frozen=True)
class LimitUse:
    limit: Limit
    value: Decimal | int | None  # None: no limit
    used: Decimal | int  # today (the per-visitor limits: the visitor nearest to it)

    @property
    def reached(self) -> bool:
        return self.value is not None and self.used >= self.value


@dataclass(frozen=True)
class AlertState:
    threshold: Decimal
    spent_today: Decimal

    @property
    def crossed(self) -> bool:
        return self.spent_today >= self.threshold


@dataclass(frozen=True)
class OwnerReport:
    generated_at: float
    days: list[DaySpend]
    providers: list[ProviderSpend]
    visitors: list[VisitorSpend]
    tasks: list[TaskRow]
    differences: list[TaskRow]
    limits: list[LimitUse]
    paused: bool
    spent_today: Decimal
    alert: AlertState | None

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": iso(self.generated_at),
            "days": [
                {
                    "day": d.day.isoformat(),
                    "tasks": d.tasks,
                    "estimate": num(d.estimate),
                    "charged": num(d.charged),
                }
                for d in self.days
            ],
            "providers": [
                {
                    "provider": p.provider,
                    "model": p.model,
                    "unit": p.unit,
                    "tasks": p.tasks,
                    "estimate": num(p.estimate),
                    "charged": num(p.charged),
                }
                for p in self.providers
            ],
            "visitors": [
                {
                    "visitor": v.visitor,
                    "tasks": v.tasks,
                    "estimate": num(v.estimate),
                    "charged": num(v.charged),
                    "spent_today": num(v.spent_today),
                }
                for v in self.visitors
            ],
            "tasks": [task_json(row) for row in self.tasks],
            "differences": [
                task_json(row) | {"difference": num((row.charged or ZERO) - (row.estimate or ZERO))}
                for row in self.differences
            ],
            "limits": [
                {"limit": u.limit.value, "value": num(u.value), "used": num(u.used), "reached": u.reached}
                for u in self.limits
            ],
            "paused": self.paused,
            "spent_today": num(self.spent_today),
            "alert": None
            if self.alert is None
            else {
                "threshold": num(self.alert.threshold),
                "spent_today": num(self.alert.spent_today),
                "crossed": self.alert.crossed,
            },
        }


# ---------------------------------------------------------------- one record


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() else None


def estimate_of(record: TaskRecord) -> Decimal | None:
    """The estimate the task was accepted with (else what it reserved)."""
    found = _decimal((record.estimate or {}).get("credits"))
    if found is not None:
        return found
    return record.spend_credits if record.spend_credits is not None else record.credits_reserved


def unit_of(record: TaskRecord) -> str:
    return str((record.estimate or {}).get("unit") or "credits")


def on_server_key(record: TaskRecord) -> bool:
    return record.key_source == KEY_SERVER


def spent(record: TaskRecord) -> Decimal:
    """What the task counts against the server key's limits (see the module docstring)."""
    if not on_server_key(record):
        return ZERO
    if record.spend_credits is not None:
        return record.spend_credits
    if record.credits_charged is not None:
        return record.credits_charged
    if record.status == FAILED:
        return ZERO
    return estimate_of(record) or ZERO


def seconds_of(record: TaskRecord) -> float | None:
    if record.finished_at is None:
        return None
    start = record.submitted_at if record.submitted_at is not None else record.created_at
    return max(0.0, record.finished_at - start)


def task_row(record: TaskRecord, key: bytes) -> TaskRow:
    return TaskRow(
        when=record.created_at,
        visitor=pseudonym(record.visitor, key),
        provider=record.provider,
        model=record.model,
        status=record.status,
        estimate=estimate_of(record),
        charged=record.credits_charged,
        seconds=seconds_of(record),
        unit=unit_of(record),
        own_key=not on_server_key(record),
    )


# ---------------------------------------------------------------- the figures


def spend_by_day(records: Iterable[TaskRecord], now: float, days: int = REPORT_DAYS) -> list[DaySpend]:
    """Every UTC day of the last `days` (today last), with the server key's tasks, estimates
    and charges; days without a task are there with zeros (the chart's axis)."""
    today = _day(now)
    first = today - timedelta(days=days - 1)
    sums: dict[date, list[Any]] = {first + timedelta(days=i): [0, ZERO, ZERO] for i in range(days)}
    for record in records:
        row = sums.get(_day(record.created_at))
        if row is None or not on_server_key(record):
            continue
        row[0] += 1
        row[1] += estimate_of(record) or ZERO
        row[2] += record.credits_charged or ZERO
    return [DaySpend(day, n, est, charged) for day, (n, est, charged) in sums.items()]


def spend_by_provider(records: Iterable[TaskRecord]) -> list[ProviderSpend]:
    """Per provider and model (the server key's tasks), the largest estimate first."""
    sums: dict[tuple[str, str | None, str], list[Any]] = defaultdict(lambda: [0, ZERO, ZERO])
    for record in records:
        if not on_server_key(record):
            continue
        row = sums[(record.provider, record.model, unit_of(record))]
        row[0] += 1
        row[1] += estimate_of(record) or ZERO
        row[2] += record.credits_charged or ZERO
    out = [ProviderSpend(p, m, u, n, est, ch) for (p, m, u), (n, est, ch) in sums.items()]
    return sorted(out, key=lambda s: (-s.estimate, s.provider, s.model or ""))


def spend_by_visitor(
    records: Iterable[TaskRecord], key: bytes, now: float, top: int = TOP_VISITORS
) -> list[VisitorSpend]:
    """The `top` visitors by what they spent on the server's key, shown by pseudonym."""
    since = day_start(datetime.fromtimestamp(now, timezone.utc)).timestamp()
    sums: dict[str | None, list[Any]] = defaultdict(lambda: [0, ZERO, ZERO, ZERO])
    for record in records:
        if not on_server_key(record):
            continue
        row = sums[record.visitor]
        row[0] += 1
        row[1] += estimate_of(record) or ZERO
        row[2] += record.credits_charged or ZERO
        if record.created_at >= since:
            row[3] += spent(record)
    ranked = sorted(sums.items(), key=lambda item: (-(item[1][2] or item[1][1]), -item[1][0]))
    return [VisitorSpend(pseudonym(v, key), n, est, ch, today) for v, (n, est, ch, today) in ranked[:top]]


def differences(rows: Iterable[TaskRow]) -> list[TaskRow]:
    """Tasks whose provider's charge is known and differs from the estimate."""
    return [r for r in rows if r.charged is not None and r.estimate is not None and r.charged != r.estimate]


def limit_uses(limits: Limits, records: Iterable[TaskRecord], now: float) -> list[LimitUse]:
    """Today's use against each limit: the server key's total; for the per-visitor limits the
    visitor nearest to theirs (most spent today, most generations in flight)."""
    since = day_start(datetime.fromtimestamp(now, timezone.utc)).timestamp()
    total = ZERO
    per_visitor: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
    active: dict[str | None, int] = defaultdict(int)
    for record in records:
        if record.status in RUNNING_STATUSES:
            active[record.visitor] += 1
        if record.created_at >= since:
            total += spent(record)
            per_visitor[record.visitor] += spent(record)
    return [
        LimitUse(Limit.DAILY, limits.daily, total),
        LimitUse(Limit.VISITOR_DAILY, limits.visitor_daily, max(per_visitor.values(), default=ZERO)),
        LimitUse(Limit.VISITOR_ACTIVE, limits.visitor_max_active, max(active.values(), default=0)),
    ]


def spent_today(records: Iterable[TaskRecord], now: float) -> Decimal:
    since = day_start(datetime.fromtimestamp(now, timezone.utc)).timestamp()
    return sum((spent(r) for r in records if r.created_at >= since), ZERO)


def build_report(
    records: Sequence[TaskRecord],
    *,
    now: float,
    limits: Limits,
    paused: bool,
    alert_threshold: Decimal | None,
    key: bytes,
) -> OwnerReport:
    """The whole report from the records of the last `REPORT_DAYS` (newest first). A film's
    joined video counts in no sum: its shots are the paid tasks."""
    records = [r for r in records if r.group_kind != KIND_FILM]
    table_since = day_start(datetime.fromtimestamp(now, timezone.utc)).timestamp() - (TASK_DAYS - 1) * 86400
    rows = [task_row(r, key) for r in records]
    today = spent_today(records, now)
    return OwnerReport(
        generated_at=now,
        days=spend_by_day(records, now),
        providers=spend_by_provider(records),
        visitors=spend_by_visitor(records, key, now),
        tasks=[r for r in rows if r.when >= table_since][:MAX_TASK_ROWS],
        differences=differences(rows)[:MAX_TASK_ROWS],
        limits=limit_uses(limits, records, now),
        paused=paused,
        spent_today=today,
        alert=None if alert_threshold is None else AlertState(alert_threshold, today),
    )


# ---------------------------------------------------------------- JSON


def _day(ts: float) -> date:
    return datetime.fromtimestamp(ts, timezone.utc).date()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def num(value: Decimal | int | None) -> float | int | None:
    """A figure for JSON (4 decimals; integers stay integers)."""
    if value is None or isinstance(value, int):
        return value
    return float(round(value, 4))


def task_json(row: TaskRow) -> dict[str, Any]:
    return {
        "when": iso(row.when),
        "visitor": row.visitor,
        "provider": row.provider,
        "model": row.model,
        "status": row.status,
        "estimate": num(row.estimate),
        "charged": num(row.charged),
        "unit": row.unit,
        "seconds": None if row.seconds is None else round(row.seconds, 1),
        "key": "own" if row.own_key else "server",
    }
