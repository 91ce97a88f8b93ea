"""The owner's spend alert: when what the server's key spent today crosses the threshold
(the console's, else `WAN_ALERT_CREDITS`), a warning in the log, once per UTC day per
process; the console shows a banner while it is crossed (`report.AlertState`)."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from decimal import Decimal

from ..budget import day_start
from ..controls import OwnerControls
from ..pricing import format_credits
from ..settings import Settings
from ..store import TaskStoreBase
from .report import spent_today

log = logging.getLogger("wanvideo.owner")


def alert_threshold(settings: Settings, controls: OwnerControls) -> Decimal | None:
    return controls.alert_credits if controls.alert_credits is not None else settings.alert_credits


class SpendAlert:
    def __init__(self, settings: Settings, store: TaskStoreBase) -> None:
        self.settings = settings
        self.store = store
        self.logged_day: str | None = None

    def check(self, controls: OwnerControls, now: float | None = None) -> bool:
        """Log a warning the first time today's spend is at or over the threshold; True
        while it is. Never raises (a generation was already accepted when this runs)."""
        try:
            threshold = alert_threshold(self.settings, controls)
            if threshold is None:
                return False
            now = time.time() if now is None else now
            start = day_start(datetime.fromtimestamp(now, timezone.utc))
            today = spent_today(self.store.records_since(start.timestamp()), now)
            if today < threshold:
                return False
            day = start.date().isoformat()
            if self.logged_day != day:
                self.logged_day = day
                log.warning(
                    "spend alert: %s spent today on the server's key, at or over the alert threshold "
                    "of %s (WAN_ALERT_CREDITS or the owner's console)",
                    format_credits(today),
                    format_credits(threshold),
                )
            return True
        except Exception:  # noqa: BLE001 - an alert must never undo an accepted generation
            log.exception("the spend alert could not be checked")
            return False
