"""`ComposedTaskStore`: the concerns (records, leases, spend, links, owner controls, the
owner's report, the cast and upload cache) over one database,
behind the `TaskStoreBase` contract; each method hands over to the concern that owns it. A
write that spans concerns (a record inserted within the budget) is one transaction on the one
database (the spend part inserts through the records part). `SQLiteTaskStore` composes the
SQLite parts (one connection per thread); `pg_store.PostgresTaskStore` the PostgreSQL ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..budget import Limits, Usage
from ..controls import OwnerControls
from .base import TaskStoreBase
from .cast import Added, CastStore, Character, SQLiteCast
from .leases import LeaseStore, SQLiteLeases
from .links import Link, LinkStore, SQLiteLinks
from .owner import OwnerStore, SQLiteOwnerControls
from .records import RecordStore, SQLiteRecords, TaskRecord
from .report import MAX_REPORT_RECORDS, ReportStore, SQLiteReport
from .spend import SpendStore, SQLiteSpend
from .sqlite import SQLiteDatabase


class ComposedTaskStore(TaskStoreBase):
    """The contract, each method handed to its concern; a backend sets the parts."""

    db: Any
    task_records: RecordStore
    leases: LeaseStore
    spend: SpendStore
    links: LinkStore
    controls: OwnerStore
    report: ReportStore
    cast: CastStore

    def close(self) -> None:
        self.db.close()

    def schema_version(self) -> int:
        return int(self.db.schema_version())

    # records -----------------------------------------------------------------------
    def insert(self, record: TaskRecord) -> TaskRecord:
        return self.task_records.insert(record)

    def get(self, record_id: str, owner: str | None = None) -> TaskRecord | None:
        return self.task_records.get(record_id, owner)

    def update(self, record_id: str, **changes: Any) -> TaskRecord | None:
        return self.task_records.update(record_id, **changes)

    def list_for_owner(self, owner: str, limit: int = 100) -> list[TaskRecord]:
        return self.task_records.list_for_owner(owner, limit)

    def unfinished(self) -> list[TaskRecord]:
        return self.task_records.unfinished()

    def recent_run_seconds(self, provider: str, models: Sequence[str | None], limit: int = 20) -> list[float]:
        return self.task_records.recent_run_seconds(provider, models, limit)

    def saved_before(self, cutoff: float, limit: int = 200) -> list[TaskRecord]:
        return self.task_records.saved_before(cutoff, limit)

    def delete(self, record_id: str, owner: str) -> bool:
        return self.task_records.delete(record_id, owner)

    def group_records(self, group_id: str, owner: str) -> list[TaskRecord]:
        return self.task_records.group_records(group_id, owner)

    # leases ------------------------------------------------------------------------
    def claim(self, record_id: str, worker: str, ttl: float, *, steal_from: Iterable[str] = ()) -> bool:
        return self.leases.claim(record_id, worker, ttl, steal_from=steal_from)

    def renew(self, record_id: str, worker: str, ttl: float) -> bool:
        return self.leases.renew(record_id, worker, ttl)

    def release(self, record_id: str, worker: str) -> None:
        self.leases.release(record_id, worker)

    def lease_holders(self) -> set[str]:
        return self.leases.lease_holders()

    # spend -------------------------------------------------------------------------
    def insert_within_budget(self, record: TaskRecord, limits: Limits, now: datetime) -> TaskRecord:
        return self.spend.insert_within_budget(record, limits, now)

    def insert_batch_within_budget(
        self, records: Sequence[TaskRecord], limits: Limits, now: datetime
    ) -> Usage:
        return self.spend.insert_batch_within_budget(records, limits, now)

    def usage(self, visitor: str | None, since: float) -> Usage:
        return self.spend.usage(visitor, since)

    def set_spend(self, record_id: str, credits: Decimal) -> None:
        self.spend.set_spend(record_id, credits)

    # links -------------------------------------------------------------------------
    def add_link(self, link: Link) -> Link:
        return self.links.add_link(link)

    def find_link(self, token: str, kind: str, now: float) -> Link | None:
        return self.links.find_link(token, kind, now)

    def links_for(self, record_id: str, kind: str) -> list[Link]:
        return self.links.links_for(record_id, kind)

    def set_link_expiry(self, record_id: str, kind: str, expires_at: float) -> None:
        self.links.set_link_expiry(record_id, kind, expires_at)

    def delete_expired_links(self, now: float) -> int:
        return self.links.delete_expired_links(now)

    # the owner's controls and report ------------------------------------------------
    def owner_controls(self) -> OwnerControls:
        return self.controls.owner_controls()

    def set_owner_controls(self, **changes: object) -> OwnerControls:
        return self.controls.set_owner_controls(**changes)

    def records_since(self, since: float, limit: int = MAX_REPORT_RECORDS) -> list[TaskRecord]:
        return self.report.records_since(since, limit)

    # the cast and the upload cache -------------------------------------------------
    def add_character(self, character: Character, limit: int) -> Added:
        return self.cast.add_character(character, limit)

    def characters(self, owner: str) -> list[Character]:
        return self.cast.characters(owner)

    def character(self, owner: str, id_or_name: str) -> Character | None:
        return self.cast.character(owner, id_or_name)

    def delete_character(self, owner: str, character_id: str) -> Character | None:
        return self.cast.delete_character(owner, character_id)

    def uploaded_url(self, profile: str, key_fingerprint: str, sha256: str, valid_until: float) -> str | None:
        return self.cast.uploaded_url(profile, key_fingerprint, sha256, valid_until)

    def remember_upload(
        self, profile: str, key_fingerprint: str, sha256: str, url: str, expires_at: float
    ) -> None:
        self.cast.remember_upload(profile, key_fingerprint, sha256, url, expires_at)

    def forget_expired_uploads(self, now: float) -> int:
        return self.cast.forget_expired_uploads(now)


class SQLiteTaskStore(ComposedTaskStore):
    """One SQLite file in WAL mode, shared by several app processes (see `sqlite.py`)."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 10.0) -> None:
        self.db = SQLiteDatabase(path, busy_timeout=busy_timeout)
        self.path = self.db.path
        self.base_dir = self.db.base_dir
        self.busy_timeout = busy_timeout
        self.task_records = SQLiteRecords(self.db)
        self.leases = SQLiteLeases(self.db)
        self.spend = SQLiteSpend(self.db, self.task_records)
        self.links = SQLiteLinks(self.db)
        self.controls = SQLiteOwnerControls(self.db)
        self.report = SQLiteReport(self.db, self.task_records)
        self.cast = SQLiteCast(self.db)


TaskStore = SQLiteTaskStore
