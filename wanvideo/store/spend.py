"""The spend guard's storage: usage, and the atomic reservation. `insert_within_budget`
checks `budget.check` and inserts the record in one `BEGIN IMMEDIATE` transaction on the
shared connection, so simultaneous clicks (threads or processes) create only what fits;
`insert_batch_within_budget` does the same for all the records of one batch together."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ..budget import Limits, Usage, check, day_start
from ..task_status import RUNNING_STATUSES
from .records import SQLiteRecords, TaskRecord
from .schema import StoreError
from .sqlite import SQLiteDatabase


class SpendStore(ABC):
    """What counts against the spend limits. Every method is thread-safe."""

    @abstractmethod
    def insert_within_budget(self, record: TaskRecord, limits: Limits, now: datetime) -> TaskRecord:
        """Insert `record` (its `spend_credits` reserved) only if it fits `limits`, atomically
        with every other reservation (across threads and processes); else raise SpendRefused
        and insert nothing."""

    @abstractmethod
    def insert_batch_within_budget(
        self, records: Sequence[TaskRecord], limits: Limits, now: datetime
    ) -> Usage:
        """Insert every record of one batch (one visitor; each `spend_credits` reserved) only
        if all of them fit `limits` together (`budget.check` with their sum and count), in one
        transaction with every other reservation; else raise SpendRefused and insert none.
        Returns the usage counted before the batch (how many may run at once:
        `budget.batch_parallel`)."""

    @abstractmethod
    def usage(self, visitor: str | None, since: float) -> Usage:
        """Server-key credits counted since `since` (all, and `visitor`'s), and the visitor's
        generations in flight (on any key)."""

    @abstractmethod
    def set_spend(self, record_id: str, credits: Decimal) -> None:
        """Replace what a task counts against the limits (no effect on own-key tasks)."""


class SQLiteSpend(SpendStore):
    """The `visitor` / `spend_credits` columns of `tasks`; inserts through `records`."""

    def __init__(self, db: SQLiteDatabase, records: SQLiteRecords) -> None:
        self.db = db
        self.records = records

    def reservation_lock(self, conn: Any) -> None:
        """Make reservations one at a time across processes, inside the transaction on
        `conn`. SQLite: nothing to add (`BEGIN IMMEDIATE` already admits one writer)."""

    def _usage(self, conn: Any, visitor: str | None, since: float) -> Usage:
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
        return self._usage(self.db.conn(), visitor, since)

    def insert_within_budget(self, record: TaskRecord, limits: Limits, now: datetime) -> TaskRecord:
        if record.spend_credits is None and limits.server_key:
            raise StoreError("a reservation needs spend_credits")
        with self.db.transaction() as conn:  # one reservation at a time, across processes
            self.reservation_lock(conn)
            usage = self._usage(conn, record.visitor, day_start(now).timestamp())
            refusal = check(limits, usage, record.spend_credits or Decimal(0), now)
            if refusal is not None:
                raise refusal
            self.records.insert_in(conn, record)
        return record

    def insert_batch_within_budget(
        self, records: Sequence[TaskRecord], limits: Limits, now: datetime
    ) -> Usage:
        if not records:
            raise StoreError("a batch needs at least one record")
        visitors = {record.visitor for record in records}
        if len(visitors) != 1:
            raise StoreError("a batch belongs to one visitor")
        if limits.server_key and any(record.spend_credits is None for record in records):
            raise StoreError("a reservation needs spend_credits")
        amount = sum((record.spend_credits or Decimal(0) for record in records), Decimal(0))
        with self.db.transaction() as conn:  # the same one-at-a-time reservation as one record's
            self.reservation_lock(conn)
            usage = self._usage(conn, records[0].visitor, day_start(now).timestamp())
            refusal = check(limits, usage, amount, now, count=len(records))
            if refusal is not None:
                raise refusal
            for record in records:
                self.records.insert_in(conn, record)
        return usage

    def set_spend(self, record_id: str, credits: Decimal) -> None:
        self.db.conn().execute(
            "UPDATE tasks SET spend_credits = ? WHERE id = ? AND spend_credits IS NOT NULL",
            (str(credits), record_id),
        )
