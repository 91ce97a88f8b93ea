"""Watch leases in SQLite: a claim is one conditional UPDATE, so exactly one worker wins."""

from __future__ import annotations

import time
from collections.abc import Iterable

from .sqlite_base import SQLiteConnection


class SQLiteLeases(SQLiteConnection):
    """Leases: claim, renew, release, who holds one."""

    def claim(self, record_id: str, worker: str, ttl: float, *, steal_from: Iterable[str] = ()) -> bool:
        now = time.time()
        dead = list(steal_from)
        marks = ", ".join("?" for _ in dead) or "NULL"
        cur = self._conn().execute(
            "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ? AND ("
            "lease_owner IS NULL OR lease_owner = ? OR lease_expires IS NULL OR lease_expires < ? "
            f"OR lease_owner IN ({marks}))",
            (worker, now + ttl, record_id, worker, now, *dead),
        )
        return cur.rowcount > 0

    def renew(self, record_id: str, worker: str, ttl: float) -> bool:
        cur = self._conn().execute(
            "UPDATE tasks SET lease_expires = ? WHERE id = ? AND lease_owner = ?",
            (time.time() + ttl, record_id, worker),
        )
        return cur.rowcount > 0

    def release(self, record_id: str, worker: str) -> None:
        self._conn().execute(
            "UPDATE tasks SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
            (record_id, worker),
        )

    def lease_holders(self) -> set[str]:
        rows = self._conn().execute("SELECT DISTINCT lease_owner FROM tasks WHERE lease_owner IS NOT NULL")
        return {r[0] for r in rows}
