"""`OwnerConsole`: the owner's report and controls over the store, for the UI and the API.

    console = OwnerConsole(settings, store, key=identity.pseudonym_key)
    console.access.token_ok(token)          # who may use it (components check first)
    console.report().to_json()              # the figures (`report.py`)
    console.tasks_csv()                     # every task of the report's days
    console.set_paused(True)                # new generations refused (`budget.paused_refusal`)
    console.set_limits(daily=Decimal(100))  # None: back to the configured value

Every change is kept in the store, so it holds for every app process at once, without a
restart; `watcher/spend_guard.py` reads the same controls at each submit.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from decimal import Decimal

from ..budget import Limits, day_start, effective_limits, with_overrides
from ..controls import OwnerControls
from ..settings import Settings
from ..store import TaskStoreBase
from .access import OwnerAccess
from .alert import alert_threshold
from .export import tasks_csv
from .report import REPORT_DAYS, OwnerReport, build_report, task_row

log = logging.getLogger("wanvideo.owner")


class OwnerConsole:
    def __init__(self, settings: Settings, store: TaskStoreBase, *, key: bytes) -> None:
        self.settings = settings
        self.store = store
        self.key = key
        self.access = OwnerAccess.for_settings(settings)

    def limits(self, controls: OwnerControls | None = None) -> Limits:
        """The limits in force (the configured ones with the owner's overrides)."""
        return with_overrides(effective_limits(self.settings), controls or self.store.owner_controls())

    def _records(self, now: float) -> list:
        since = day_start(datetime.fromtimestamp(now, timezone.utc)).timestamp() - (REPORT_DAYS - 1) * 86400
        return self.store.records_since(since)

    def report(self, now: float | None = None) -> OwnerReport:
        now = time.time() if now is None else now
        controls = self.store.owner_controls()
        return build_report(
            self._records(now),
            now=now,
            limits=self.limits(controls),
            paused=controls.paused,
            alert_threshold=alert_threshold(self.settings, controls),
            key=self.key,
        )

    def tasks_csv(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        return tasks_csv(task_row(r, self.key) for r in self._records(now))

    def controls(self) -> OwnerControls:
        return self.store.owner_controls()

    def set_paused(self, paused: bool) -> OwnerControls:
        log.warning("the owner %s generation", "paused" if paused else "resumed")
        return self.store.set_owner_controls(paused=bool(paused))

    def set_limits(
        self,
        *,
        daily: Decimal | None = None,
        visitor_daily: Decimal | None = None,
        visitor_max_active: int | None = None,
        alert_credits: Decimal | None = None,
    ) -> OwnerControls:
        """Override the daily limits and the alert threshold (None: the configured value)."""
        for value in (daily, visitor_daily, alert_credits):
            if value is not None and (not value.is_finite() or value < 0):
                raise ValueError("a limit is a number of credits, 0 or more")
        if visitor_max_active is not None and visitor_max_active < 1:
            raise ValueError("generations in flight: 1 or more")
        log.warning(
            "the owner set the limits: daily %s, per visitor %s, in flight %s, alert %s (blank: as configured)",
            daily,
            visitor_daily,
            visitor_max_active,
            alert_credits,
        )
        return self.store.set_owner_controls(
            daily=daily,
            visitor_daily=visitor_daily,
            visitor_max_active=visitor_max_active,
            alert_credits=alert_credits,
        )
