"""What the watcher and the UI need from persistence, one interface per concern (records,
leases, spend, links) so a second backend can be written concern by concern; `TaskStoreBase`
is all four behind one connection. Every method is thread-safe."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..budget import Limits, Usage
from .record import Link, TaskRecord


class RecordStore(ABC):
    """Task records: insert, read (owner-scoped), update, list, delete."""

    @abstractmethod
    def insert(self, record: TaskRecord) -> TaskRecord: ...

    @abstractmethod
    def get(self, record_id: str, owner: str | None = None) -> TaskRecord | None:
        """The record, or None when missing or (with `owner`) owned by somebody else."""

    @abstractmethod
    def update(self, record_id: str, **changes: Any) -> TaskRecord | None: ...

    @abstractmethod
    def list_for_owner(self, owner: str, limit: int = 100) -> list[TaskRecord]:
        """That owner's records, newest first."""

    @abstractmethod
    def unfinished(self) -> list[TaskRecord]:
        """Records in a running (or needs-key) state, oldest first, any owner."""

    def recent_run_seconds(self, provider: str, models: Sequence[str | None], limit: int = 20) -> list[float]:
        """Seconds from submit to saved of the `limit` latest completed tasks of one provider
        profile whose request named one of `models` (a variant id; None: the default), any
        owner; newest first. A store that keeps no history has none."""
        return []

    def saved_before(self, cutoff: float, limit: int = 200) -> list[TaskRecord]:
        """Records (any owner) with a saved video finished before `cutoff`, oldest first: what
        the retention sweep deletes (`WAN_KEEP_DAYS`). A store that keeps no files has none."""
        return []

    @abstractmethod
    def delete(self, record_id: str, owner: str) -> bool: ...


class LeaseStore(ABC):
    """Which worker watches which task (exactly one at a time)."""

    @abstractmethod
    def claim(self, record_id: str, worker: str, ttl: float, *, steal_from: Iterable[str] = ()) -> bool:
        """Take the right to watch a task: True when free, expired, already ours, or held
        by one of `steal_from` (workers known to be dead)."""

    @abstractmethod
    def renew(self, record_id: str, worker: str, ttl: float) -> bool:
        """Extend `worker`'s lease; False when it no longer holds it (it expired and another
        worker claimed the task): that worker must stop watching."""

    @abstractmethod
    def release(self, record_id: str, worker: str) -> None: ...

    @abstractmethod
    def lease_holders(self) -> set[str]:
        """Every worker that holds a lease now (to find dead ones)."""


class SpendStore(ABC):
    """The spend guard's reservations: checked and taken atomically with every other one."""

    @abstractmethod
    def insert_within_budget(self, record: TaskRecord, limits: Limits, now: datetime) -> TaskRecord:
        """Insert `record` (its `spend_credits` reserved) only if it fits `limits`, atomically
        with every other reservation (across threads and processes); else raise SpendRefused
        and insert nothing."""

    @abstractmethod
    def usage(self, visitor: str | None, since: float) -> Usage:
        """Server-key credits counted since `since` (all, and `visitor`'s), and the visitor's
        generations in flight (on any key)."""

    @abstractmethod
    def set_spend(self, record_id: str, credits: Decimal) -> None:
        """Replace what a task counts against the limits (no effect on own-key tasks)."""


class LinkStore(ABC):
    """Links a provider may call (served references, wake-ups)."""

    @abstractmethod
    def add_link(self, link: Link) -> Link:
        """Remember a link a provider may call (a served reference, a task's wake-up)."""

    @abstractmethod
    def find_link(self, token: str, kind: str, now: float) -> Link | None:
        """The link of `kind` with that token while it has not expired; None otherwise."""

    @abstractmethod
    def links_for(self, record_id: str, kind: str) -> list[Link]:
        """A record's links of `kind` (expired ones too), oldest first."""

    @abstractmethod
    def set_link_expiry(self, record_id: str, kind: str, expires_at: float) -> None:
        """Move the expiry of every link of `kind` of a record."""

    @abstractmethod
    def delete_expired_links(self, now: float) -> int:
        """Forget every link that expired before `now`; how many."""


class TaskStoreBase(RecordStore, LeaseStore, SpendStore, LinkStore):
    """Every concern behind one connection (a transaction may span them: a record inserted
    within the budget)."""

    def close(self) -> None:  # noqa: B027 - optional for implementations
        """Release connections (optional)."""
