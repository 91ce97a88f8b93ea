"""`TaskStoreBase`: the whole contract the watcher and the UI use, one interface per concern.
A second backend (PostgreSQL) implements each concern and composes them like `SQLiteTaskStore`."""

from __future__ import annotations

from collections.abc import Callable

from .cast import CastStore
from .leases import LeaseStore
from .links import LinkStore
from .owner import OwnerStore
from .records import RecordStore
from .report import ReportStore
from .spend import SpendStore


class TaskStoreBase(RecordStore, LeaseStore, SpendStore, LinkStore, OwnerStore, ReportStore, CastStore):
    """What the watcher and the UI need from persistence. Every method is thread-safe."""

    def close(self) -> None:  # noqa: B027 - optional for implementations
        """Release connections (optional)."""

    def shared_secret(self, name: str, make: Callable[[], bytes]) -> bytes | None:
        """A secret every app process on this store shares (`identity.py`'s), made with `make`
        by the first that asks. None: this store keeps none, and the data folder's file is
        used (SQLite: the processes on one data folder share that file already)."""
        return None

    def publish_wake(self, record_id: str) -> None:  # noqa: B027 - a store without a relay
        """Tell every app process on this store to wake its watch of `record_id` (a provider's
        callback reached a replica that does not watch it). Nothing where there is no relay."""

    def listen_wakes(self, heard: Callable[[str], None]) -> Callable[[], None] | None:
        """Call `heard(record_id)` (from another thread) for every published wake; returns
        what stops listening, or None when this store relays nothing."""
        return None
