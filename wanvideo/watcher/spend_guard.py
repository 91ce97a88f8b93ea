"""The spend guard at submit: what a task reserves against the server key's limits, and
the one transaction that checks and stores it (`TaskStoreBase.insert_within_budget`)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from ..budget import (
    BudgetStatus,
    active_only,
    budget_status,
    day_start,
    effective_limits,
    reservation_for,
)
from ..events import Probed
from ..providers import ProviderProfile
from ..schemas import GenerationRequest
from ..settings import Settings
from ..store import TaskRecord, TaskStoreBase


class SpendGuard:
    def __init__(self, settings: Settings, store: TaskStoreBase) -> None:
        self.settings = settings
        self.store = store
        self.limits = effective_limits(settings)

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
        created, on the server's key by any spend limit, in every mode by the visitor's
        generations in flight."""
        limits = self.limits if guarded else active_only(self.settings)
        self.store.insert_within_budget(record, limits, datetime.now(timezone.utc))

    def status(self, visitor: str | None) -> BudgetStatus | None:
        """What is left today on the server's key (overall and for `visitor`); None when no
        spend guard applies (demo mode, or no server key)."""
        if not self.spends_server_credits(None):
            return None
        now = datetime.now(timezone.utc)
        usage = self.store.usage(visitor, day_start(now).timestamp())
        return budget_status(self.limits, usage, now)
