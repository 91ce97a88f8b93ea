"""The spend guard in SQLite: usage counted and a record inserted in one `BEGIN IMMEDIATE`
transaction, so simultaneous clicks (threads or processes) create only what fits."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ..budget import Limits, Usage, check, day_start
from ..task_status import RUNNING_STATUSES
from .record import TaskRecord
from .schema import StoreError
from .sqlite_base import SQLiteConnection


class SQLiteSpend(SQLiteConnection):
    """The spend guard: usage and the atomic reservation."""

    def _usage(self, conn: sqlite3.Connection, visitor: str | None, since: float) -> Usage:
        rows = conn.execute(
            "SELECT visitor, spend_credits FROM tasks WHERE created_at >= ? AND spend_credits IS NOT NULL",
            (since,),
        ).fetchall()
        spent = visitor_spent = Decimal(0)
        for row in rows:
            try:
                credits = Decimal(row["spend_credits"])
            except InvalidOperation:
                continue
            spent += credits
            if visitor is not None and row["visitor"] == visitor:
                visitor_spent += credits
        statuses = sorted(RUNNING_STATUSES)
        marks = ", ".join("?" for _ in statuses)
        # Every key counts: the visitor's generations in flight are limited in every mode.
        active = conn.execute(
            f"SELECT COUNT(*) FROM tasks WHERE visitor = ? AND status IN ({marks})",
            (visitor, *statuses),
        ).fetchone()[0]
        return Usage(spent=spent, visitor_spent=visitor_spent, visitor_active=int(active))

    def usage(self, visitor: str | None, since: float) -> Usage:
        return self._usage(self._conn(), visitor, since)

    def insert_within_budget(self, record: TaskRecord, limits: Limits, now: datetime) -> TaskRecord:
        if record.spend_credits is None and limits.server_key:
            raise StoreError("a reservation needs spend_credits")
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # one reservation at a time, across processes
        try:
            usage = self._usage(conn, record.visitor, day_start(now).timestamp())
            refusal = check(limits, usage, record.spend_credits or Decimal(0), now)
            if refusal is not None:
                raise refusal
            self._insert(conn, record)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return record

    def set_spend(self, record_id: str, credits: Decimal) -> None:
        self._conn().execute(
            "UPDATE tasks SET spend_credits = ? WHERE id = ? AND spend_credits IS NOT NULL",
            (str(credits), record_id),
        )
