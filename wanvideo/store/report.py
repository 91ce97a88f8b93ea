"""Read-only queries for the owner's report (`wanvideo/console/`): every task of a period, any
owner. Only the owner's console calls this; the figures are computed from the records by
pure functions (`console/report.py`), so a second backend implements one query."""

from __future__ import annotations

from abc import ABC, abstractmethod

from .records import SQLiteRecords, TaskRecord
from .sqlite import SQLiteDatabase

MAX_REPORT_RECORDS = 20000  # a report never reads more (30 days of a busy Space)


class ReportStore(ABC):
    """Every method is thread-safe."""

    @abstractmethod
    def records_since(self, since: float, limit: int = MAX_REPORT_RECORDS) -> list[TaskRecord]:
        """Records of every owner created at or after `since` (Unix seconds), newest first."""


class SQLiteReport(ReportStore):
    def __init__(self, db: SQLiteDatabase, records: SQLiteRecords) -> None:
        self.db = db
        self.records = records

    def records_since(self, since: float, limit: int = MAX_REPORT_RECORDS) -> list[TaskRecord]:
        rows = (
            self.db.conn()
            .execute(
                "SELECT * FROM tasks WHERE created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?",
                (since, limit),
            )
            .fetchall()
        )
        return [self.records.from_row(row) for row in rows]
