"""What the owner changes without a restart (the owner's console): the pause switch, the daily
limits' overrides and the alert threshold. Kept in the store (`store/owner.py`), so every app
process and replica sees the same switch; `budget.with_overrides` applies them to the limits.

    controls = store.owner_controls()          # OwnerControls(paused=False, daily=None, ...)
    store.set_owner_controls(paused=True)      # None for a limit: back to the configured value
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

__all__ = ["CONTROL_NAMES", "OwnerControls"]


@dataclass(frozen=True)
class OwnerControls:
    """None for a limit or the threshold: the configured value (`WAN_*`) holds."""

    paused: bool = False  # a new generation is refused (running tasks finish)
    daily: Decimal | None = None  # overrides WAN_DAILY_CREDIT_LIMIT
    visitor_daily: Decimal | None = None  # overrides WAN_VISITOR_DAILY_CREDIT_LIMIT
    visitor_max_active: int | None = None  # overrides WAN_VISITOR_MAX_ACTIVE
    alert_credits: Decimal | None = None  # overrides WAN_ALERT_CREDITS

    @classmethod
    def from_values(cls, values: dict[str, str]) -> OwnerControls:
        """From the stored text values (unknown names and unreadable values are ignored)."""
        out: dict[str, object] = {}
        for name, text in values.items():
            try:
                if name == "paused":
                    out[name] = text == "1"
                elif name == "visitor_max_active":
                    out[name] = int(text)
                elif name in CONTROL_NAMES:
                    out[name] = Decimal(text)
            except (ArithmeticError, ValueError):
                continue
        return cls(**out)  # type: ignore[arg-type]

    @staticmethod
    def as_text(name: str, value: object) -> str | None:
        """A value as stored (None: remove the override)."""
        if name not in CONTROL_NAMES:
            raise ValueError(f"unknown owner control {name!r}")
        if value is None:
            return None
        if name == "paused":
            return "1" if value else "0"
        return str(value)


CONTROL_NAMES = tuple(f.name for f in fields(OwnerControls))
