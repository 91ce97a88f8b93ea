"""Task records in SQLite (owner-scoped reads, updates in one short transaction)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..task_status import COMPLETED, NEEDS_KEY, RUNNING_STATUSES
from .record import TaskRecord
from .schema import StoreError
from .sqlite_base import SQLiteConnection


class SQLiteRecords(SQLiteConnection):
    """Records: insert, owner-scoped reads, updates, lists, delete."""

    def insert(self, record: TaskRecord) -> TaskRecord:
        self._insert(self._conn(), record)
        return record

    def get(self, record_id: str, owner: str | None = None) -> TaskRecord | None:
        if owner is None:
            row = self._conn().execute("SELECT * FROM tasks WHERE id = ?", (record_id,)).fetchone()
        else:
            row = (
                self._conn()
                .execute("SELECT * FROM tasks WHERE id = ? AND owner = ?", (record_id, owner))
                .fetchone()
            )
        return None if row is None else self._from_row(row)

    def update(self, record_id: str, **changes: Any) -> TaskRecord | None:
        changes.setdefault("updated_at", time.time())
        for forbidden in ("id", "owner"):
            if forbidden in changes:
                raise StoreError(f"{forbidden} cannot change")
        row = self._to_row(changes)
        assignments = ", ".join(f"{name} = ?" for name in row)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"UPDATE tasks SET {assignments} WHERE id = ?", [*row.values(), record_id])
            found = conn.execute("SELECT * FROM tasks WHERE id = ?", (record_id,)).fetchone()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return None if found is None else self._from_row(found)

    def list_for_owner(self, owner: str, limit: int = 100) -> list[TaskRecord]:
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM tasks WHERE owner = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (owner, limit),
            )
            .fetchall()
        )
        return [self._from_row(r) for r in rows]

    def unfinished(self) -> list[TaskRecord]:
        statuses = sorted(RUNNING_STATUSES | {NEEDS_KEY})
        marks = ", ".join("?" for _ in statuses)
        rows = (
            self._conn()
            .execute(f"SELECT * FROM tasks WHERE status IN ({marks}) ORDER BY created_at", statuses)
            .fetchall()
        )
        return [self._from_row(r) for r in rows]

    def recent_run_seconds(self, provider: str, models: Sequence[str | None], limit: int = 20) -> list[float]:
        if not models:
            return []
        named = " OR ".join("json_extract(request, '$.model') IS ?" for _ in models)
        rows = (
            self._conn()
            .execute(
                "SELECT finished_at - submitted_at FROM tasks WHERE provider = ? AND status = ?"
                f" AND ({named}) AND submitted_at IS NOT NULL AND finished_at IS NOT NULL"
                " ORDER BY finished_at DESC LIMIT ?",
                (provider, COMPLETED, *models, limit),
            )
            .fetchall()
        )
        return [float(r[0]) for r in rows]

    def saved_before(self, cutoff: float, limit: int = 200) -> list[TaskRecord]:
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM tasks WHERE video_path IS NOT NULL AND COALESCE(finished_at, created_at) < ?"
                " ORDER BY COALESCE(finished_at, created_at) LIMIT ?",
                (cutoff, limit),
            )
            .fetchall()
        )
        return [self._from_row(r) for r in rows]

    def delete(self, record_id: str, owner: str) -> bool:
        cur = self._conn().execute("DELETE FROM tasks WHERE id = ? AND owner = ?", (record_id, owner))
        return cur.rowcount > 0
