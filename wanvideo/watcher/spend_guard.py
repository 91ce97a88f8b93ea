"""The spend guard at submit: what a task reserves against the server key's limits, and
the one transaction that checks and stores it (`TaskStoreBase.insert_within_budget`; a batch's
records together: `insert_batch_within_budget`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal

from ..budget import (
    BudgetStatus,
    Limits,
    active_only,
    batch_parallel,
    budget_status,
    day_start,
    effective_limits,
    paused_refusal,
    reservation_for,
    with_overrides,
)
from ..console import SpendAlert
from ..events import Probed
from ..providers import ProviderProfile
from ..schemas import GenerationRequest
from ..settings import Settings
from ..store import TaskRecord, TaskStoreBase


class SpendGuard:
    def __init__(self, settings: Settings, store: TaskStoreBase) -> None:
        self.settings = settings
        self.store = store
        self.limits = effective_limits(settings)  # as configured; the owner's overrides on top
        self.alert = SpendAlert(settings, store)

    def current_limits(self) -> Limits:
        """The limits in force now: the configured ones with the owner's overrides (kept in
        the store, so a change holds at once for every app process)."""
        return with_overrides(self.limits, self.store.owner_controls())

    def spends_server_credits(self, visitor_key: str | None) -> bool:
        return visitor_key is None and self.settings.api_key is not None and not self.settings.is_demo

    def reservation(
        self, target: ProviderProfile, request: GenerationRequest, probed: Probed | None
    ) -> Decimal:
        """The estimate a task on the server's key reserves (from `probed`; without it, the
        most the request could cost), at the chosen model's prices."""
        durations = probed.sent_durations if probed is not None else None  # as they will be sent
        prices = target.with_model(request.model).prices  # the chosen model's
        return reservation_for(durations, request.reference_count, request.quality, request.duration, prices)

    def insert(self, record: TaskRecord, *, guarded: bool) -> None:
        """Store `record` only if it fits: raises SpendRefused before anything is uploaded or
        created: on any key while the owner has paused generation (the owner's console), on the
        server's key by any spend limit, in every mode by the visitor's generations in flight.
        The limits are read with the owner's overrides at each call (no restart)."""
        controls = self.store.owner_controls()
        if controls.paused:
            raise paused_refusal()
        limits = with_overrides(self.limits if guarded else active_only(self.settings), controls)
        self.store.insert_within_budget(record, limits, datetime.now(timezone.utc))
        self.alert.check(controls)

    def insert_batch(self, records: Sequence[TaskRecord], *, guarded: bool) -> int:
        """Store every record of one batch only if all fit together (as `insert` does for one:
        the owner's pause, the credits for their sum, the visitor's generations in flight: one
        free slot); raises SpendRefused and stores none otherwise. Returns how many of them may
        run at once (the visitor's free slots: `budget.batch_parallel`)."""
        controls = self.store.owner_controls()
        if controls.paused:
            raise paused_refusal()
        limits = with_overrides(self.limits if guarded else active_only(self.settings), controls)
        usage = self.store.insert_batch_within_budget(records, limits, datetime.now(timezone.utc))
        self.alert.check(controls)
        return batch_parallel(limits, usage, len(records))

    def status(self, visitor: str | None) -> BudgetStatus | None:
        """What is left today on the server's key (overall and for `visitor`); None when no
        spend guard applies (demo mode, or no server key)."""
        if not self.spends_server_credits(None):
            return None
        now = datetime.now(timezone.utc)
        usage = self.store.usage(visitor, day_start(now).timestamp())
        return budget_status(self.current_limits(), usage, now)
