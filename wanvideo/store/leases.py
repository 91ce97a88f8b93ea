"""Leases: which worker watches which task (`watcher/leases.py` decides when to claim,
renew and release; this is where the claim is kept)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable

from .sqlite import SQLiteDatabase


class LeaseStore(ABC):
    """Every method is thread-safe and atomic across workers."""

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


class SQLiteLeases(LeaseStore):
    """The `lease_owner` / `lease_expires` columns of `tasks`; each change one UPDATE."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def claim(self, record_id: str, worker: str, ttl: float, *, steal_from: Iterable[str] = ()) -> bool:
        now = time.time()
        dead = list(steal_from)
        marks = ", ".join("?" for _ in dead) or "NULL"
        cur = self.db.conn().execute(
            "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ? AND ("
            "lease_owner IS NULL OR lease_owner = ? OR lease_expires IS NULL OR lease_expires < ? "
            f"OR lease_owner IN ({marks}))",
            (worker, now + ttl, record_id, worker, now, *dead),
        )
        return cur.rowcount > 0

    def renew(self, record_id: str, worker: str, ttl: float) -> bool:
        cur = self.db.conn().execute(
            "UPDATE tasks SET lease_expires = ? WHERE id = ? AND lease_owner = ?",
            (time.time() + ttl, record_id, worker),
        )
        return cur.rowcount > 0

    def release(self, record_id: str, worker: str) -> None:
        self.db.conn().execute(
            "UPDATE tasks SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
            (record_id, worker),
        )

    def lease_holders(self) -> set[str]:
        rows = self.db.conn().execute("SELECT DISTINCT lease_owner FROM tasks WHERE lease_owner IS NOT NULL")
        return {r[0] for r in rows}
