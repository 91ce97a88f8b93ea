"""The spend guard's rules: how much the server's key may spend today, and who may start more.

Pure functions and values; the store applies them inside one write transaction, so a
reservation holds across threads and app processes::

    limits = effective_limits(settings)       # configured, Space defaults, or none
    refusal = check(limits, usage, amount)    # None, or a SpendRefused to raise
    status = budget_status(limits, usage)     # what the cost panel shows

Accounting (the store keeps one `spend_credits` per task started on the server's key):
the estimate is reserved when a generation is accepted; the provider's charge replaces it
when known; a task that failed without a charge releases it (0). Tasks on a visitor's own
key count against no credits; every task counts against its visitor's generations in flight
(`WAN_VISITOR_MAX_ACTIVE`, `active_only`), in every mode. Days are UTC days.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .controls import OwnerControls
from .error_base import WanError
from .messages import Message
from .pricing import estimate, format_credits
from .providers import PriceTable
from .settings import Settings

__all__ = [
    "SPACE_DAILY_CREDITS",
    "SPACE_VISITOR_DAILY_CREDITS",
    "BudgetStatus",
    "Limit",
    "Limits",
    "SpendRefused",
    "Usage",
    "active_only",
    "batch_parallel",
    "budget_status",
    "check",
    "day_start",
    "effective_limits",
    "next_reset",
    "paused_refusal",
    "reservation_for",
    "with_overrides",
]

log = logging.getLogger("wanvideo.budget")

# Safe defaults on a public Space that runs on its owner's key with no limits configured.
SPACE_DAILY_CREDITS = Decimal(300)
SPACE_VISITOR_DAILY_CREDITS = Decimal(50)

_OWN_KEY_HINT = Message("budget.own_key_hint")


class Limit(str, enum.Enum):
    """Which limit refused a generation."""

    DAILY = "daily"  # the server key's credits per UTC day, all visitors together
    VISITOR_DAILY = "visitor_daily"  # one visitor's credits per UTC day
    VISITOR_ACTIVE = "visitor_active"  # one visitor's generations in flight
    PAUSED = "paused"  # the owner paused generation (the owner's console)


@dataclass(frozen=True)
class Limits:
    daily: Decimal | None
    visitor_daily: Decimal | None
    visitor_max_active: int | None
    source: str  # "configured", "space defaults" or "none": for the start-up log
    # False: a generation in demo mode or on the visitor's own key, where only the visitor's
    # generations in flight are limited (the refusal then says so, without the own-key hint).
    server_key: bool = True

    @property
    def any(self) -> bool:
        return self.daily is not None or self.visitor_daily is not None or self.visitor_max_active is not None


@dataclass(frozen=True)
class Usage:
    """What the store counted today (server key only)."""

    spent: Decimal  # all visitors
    visitor_spent: Decimal
    visitor_active: int


@dataclass(frozen=True)
class BudgetStatus:
    """For the cost panel. None fields: that limit does not apply."""

    left_today: Decimal | None
    visitor_left_today: Decimal | None
    visitor_active: int
    visitor_max_active: int | None
    resets_at: datetime


class SpendRefused(WanError):
    """A generation on the server's key was refused by a spend limit; nothing was sent."""

    def __init__(self, limit: Limit, amount: Decimal | int, resets_at: datetime | None, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.amount = amount  # the limit's value: credits, or generations for VISITOR_ACTIVE
        self.resets_at = resets_at  # None: frees up when a running generation ends


def day_start(now: datetime) -> datetime:
    """00:00 UTC of `now`'s UTC day."""
    now = now.astimezone(timezone.utc)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def next_reset(now: datetime) -> datetime:
    return day_start(now) + timedelta(days=1)


def effective_limits(settings: Settings) -> Limits:
    """The limits in force. On a Space with a server key and no limit configured, the safe
    defaults apply. Visitors' own keys spend no credits of it; demo mode and own keys get
    `active_only` (the in-flight limit)."""
    daily, visitor = settings.daily_credit_limit, settings.visitor_daily_credit_limit
    if daily is not None or visitor is not None:
        return Limits(daily, visitor, settings.visitor_max_active, "configured")
    if settings.on_space and settings.api_key is not None:
        return Limits(
            SPACE_DAILY_CREDITS, SPACE_VISITOR_DAILY_CREDITS, settings.visitor_max_active, "space defaults"
        )
    return Limits(None, None, settings.visitor_max_active, "none")


def with_overrides(limits: Limits, controls: OwnerControls) -> Limits:
    """The limits with the owner's overrides (the owner's console, kept in the store). The
    credit limits apply only where server credits are guarded (`limits.server_key`)."""
    daily, visitor = limits.daily, limits.visitor_daily
    if limits.server_key:
        daily = controls.daily if controls.daily is not None else daily
        visitor = controls.visitor_daily if controls.visitor_daily is not None else visitor
    active = (
        controls.visitor_max_active if controls.visitor_max_active is not None else limits.visitor_max_active
    )
    changed = (daily, visitor, active) != (limits.daily, limits.visitor_daily, limits.visitor_max_active)
    source = "owner" if changed else limits.source
    return Limits(daily, visitor, active, source, server_key=limits.server_key)


def paused_refusal() -> SpendRefused:
    """The refusal while the owner has paused generation: nothing is uploaded or charged."""
    return SpendRefused(Limit.PAUSED, 0, None, Message("budget.paused"))


def describe_limits(limits: Limits) -> str:
    """One line for the start-up log."""
    daily = format_credits(limits.daily) if limits.daily is not None else "no limit"
    visitor = format_credits(limits.visitor_daily) if limits.visitor_daily is not None else "no limit"
    return (
        f"spend limits ({limits.source}): server key {daily} per UTC day, {visitor} per visitor per day, "
        f"{limits.visitor_max_active} generations in flight per visitor (on any key); a visitor's own key spends no credits"
    )


def _at(resets_at: datetime) -> str:
    return f"{resets_at:%H:%M} UTC"


def active_only(settings: Settings) -> Limits:
    """The limit in force where no credits are guarded (demo mode, a visitor's own key): the
    visitor's generations in flight (`WAN_VISITOR_MAX_ACTIVE`), in every mode."""
    return Limits(None, None, settings.visitor_max_active, "in flight only", server_key=False)


def _active_message_id(n: int, server_key: bool) -> str:
    base = "budget.visitor_active" if server_key else "budget.visitor_active_here"
    return base if n != 1 else base + "_one"


def check(
    limits: Limits, usage: Usage, amount: Decimal, now: datetime, count: int = 1
) -> SpendRefused | None:
    """The refusal for reserving `amount` more credits now, or None when it fits.

    `count` > 1: a batch (variations, a film's shots) reserving `amount` for all of them at
    once. It needs one free slot of the visitor's generations in flight (`batch_parallel`:
    it then runs at most the free slots at once, the others waiting their turn), and its
    whole amount within the credit limits."""
    resets = next_reset(now)
    if limits.visitor_max_active is not None and usage.visitor_active >= limits.visitor_max_active:
        n = limits.visitor_max_active
        if count > 1:
            return SpendRefused(
                Limit.VISITOR_ACTIVE,
                n,
                None,
                Message(
                    "budget.batch_active",
                    count=count,
                    active=usage.visitor_active,
                    max=n,
                    hint=_OWN_KEY_HINT if limits.server_key else "",
                ),
            )
        return SpendRefused(
            Limit.VISITOR_ACTIVE,
            n,
            None,
            Message(
                _active_message_id(n, limits.server_key),
                count=n,
                **({"hint": _OWN_KEY_HINT} if limits.server_key else {}),
            ),
        )
    daily = (Limit.DAILY, limits.daily, usage.spent, "budget.daily")
    visitor = (Limit.VISITOR_DAILY, limits.visitor_daily, usage.visitor_spent, "budget.visitor_daily")
    for which, limit, spent, message_id in (daily, visitor):
        if limit is not None and spent + amount > limit:
            left = format_credits(max(Decimal(0), limit - spent))
            message = Message(
                message_id + ("_batch" if count > 1 else ""),
                **({"count": count} if count > 1 else {}),
                limit=format_credits(limit),
                left=left,
                amount=format_credits(amount),
                resets=_at(resets),
                hint=_OWN_KEY_HINT,
            )
            return SpendRefused(which, limit, resets, message)
    return None


def batch_parallel(limits: Limits, usage: Usage, count: int) -> int:
    """How many of a batch of `count` may run at once: the visitor's free slots of
    generations in flight (at least 1: `check` refuses a batch with none free)."""
    if limits.visitor_max_active is None:
        return count
    return max(1, min(count, limits.visitor_max_active - usage.visitor_active))


def budget_status(limits: Limits, usage: Usage, now: datetime) -> BudgetStatus:
    def left(limit: Decimal | None, spent: Decimal) -> Decimal | None:
        return None if limit is None else max(Decimal(0), limit - spent)

    return BudgetStatus(
        left_today=left(limits.daily, usage.spent),
        visitor_left_today=left(limits.visitor_daily, usage.visitor_spent),
        visitor_active=usage.visitor_active,
        visitor_max_active=limits.visitor_max_active,
        resets_at=next_reset(now),
    )


def reservation_for(
    durations: list[float | None] | None, count: int, quality: str, duration: int, prices: PriceTable
) -> Decimal:
    """Credits to reserve for a generation: the estimate's high end for the probed durations,
    or, unprobed (`durations` None), the most `count` references could cost (every input
    billed at its cap), so a reservation never falls short of the charge."""
    known: list[float | Decimal | None] = list(durations) if durations is not None else [None] * count
    return estimate(known, quality, duration, prices).credits
