"""`TaskStoreBase`: the whole contract the watcher and the UI use, one interface per concern.
A second backend (PostgreSQL) implements each concern and composes them like `SQLiteTaskStore`."""

from __future__ import annotations

from .leases import LeaseStore
from .links import LinkStore
from .owner import OwnerStore
from .records import RecordStore
from .report import ReportStore
from .spend import SpendStore


class TaskStoreBase(RecordStore, LeaseStore, SpendStore, LinkStore, OwnerStore, ReportStore):
    """What the watcher and the UI need from persistence. Every method is thread-safe."""

    def close(self) -> None:  # noqa: B027 - optional for implementations
        """Release connections (optional)."""
