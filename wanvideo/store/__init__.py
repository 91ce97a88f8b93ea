"""Task records that survive refresh, restart and several app workers.

A record is written when a generation is accepted (before anything is paid), updated when
the provider confirms the task (before the first poll), and on every change after that::

    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    record = store.insert(TaskRecord.new(owner="anon:...", provider=profile.name, request={...}))
    store.update(record.id, task_id="task-...", status="submitted")
    store.list_for_owner("anon:...")      # newest first, that owner's only
    store.get(record.id, owner="anon:...")  # None for anybody else

`TaskStoreBase` is the contract the watcher and the UI use, one interface per concern, each
with its SQLite implementation on one shared connection (WAL, busy timeout, short
transactions, so several app processes can share one data folder):

    records.py     TaskRecord; RecordStore: CRUD and owner-scoped reads
    leases.py      LeaseStore: which worker watches which task
    spend.py       SpendStore: usage, and the atomic reservation `insert_within_budget`
    links.py       Link; LinkStore: links a provider may call
    owner.py       OwnerStore: the owner's controls (pause, limit overrides, alert threshold)
    report.py      ReportStore: read-only queries for the owner's report (any owner)
    schema.py      MIGRATIONS (applied in order, tracked in `PRAGMA user_version`)
    sqlite.py      SQLiteDatabase: the connection per thread, WAL, 0600 file, transactions
    base.py        TaskStoreBase: all the concerns' contracts in one
    task_store.py  SQLiteTaskStore (alias TaskStore): the concerns composed

PostgreSQL (`WAN_DATABASE_URL`, several replicas) reuses each concern's SQL and row mapping:

    postgres.py    PostgresDatabase: a psycopg pool behind the same conn()/transaction()
    pg_schema.py   PG_MIGRATIONS, applied under pg_advisory_xact_lock (replicas migrate once)
    pg_store.py    PostgresTaskStore: SKIP LOCKED leases, advisory-locked reservations,
                   the identity's shared secrets; pg_wakes.py relays wake-ups (LISTEN/NOTIFY)
    factory.py     open_store(settings): the backend the settings name

A second backend implements the concerns one by one and composes them the same way.
A record never holds an API key: `key_source` only says whose key started the task; `provider`
and `model` say which profile it runs on (rebuilt after a restart, never a key).
`insert_within_budget` checks `budget.check` and inserts in one `BEGIN IMMEDIATE` transaction,
so simultaneous clicks (threads or processes) create only what fits.
"""

from __future__ import annotations

from ..task_status import (
    COMPLETED,
    DOWNLOADING,
    EXPIRED,
    FAILED,
    FINAL_STATUSES,
    INTERRUPTED,
    NEEDS_KEY,
    PENDING,
    PROCESSING,
    QUEUED,
    RUNNING_STATUSES,
    SUBMITTED,
)
from .base import TaskStoreBase
from .leases import LeaseStore, SQLiteLeases
from .links import LINK_REFERENCE, LINK_WAKE, Link, LinkStore, SQLiteLinks
from .owner import OwnerStore, SQLiteOwnerControls
from .records import KEY_SERVER, KEY_VISITOR, RecordStore, SQLiteRecords, TaskRecord
from .report import ReportStore, SQLiteReport
from .schema import MIGRATIONS, SCHEMA_VERSION, StoreError
from .spend import SpendStore, SQLiteSpend
from .sqlite import SQLiteDatabase
from .task_store import SQLiteTaskStore, TaskStore

__all__ = [
    "COMPLETED",
    "DOWNLOADING",
    "EXPIRED",
    "FAILED",
    "FINAL_STATUSES",
    "INTERRUPTED",
    "KEY_SERVER",
    "KEY_VISITOR",
    "LINK_REFERENCE",
    "LINK_WAKE",
    "MIGRATIONS",
    "NEEDS_KEY",
    "OwnerStore",
    "PENDING",
    "PROCESSING",
    "QUEUED",
    "RUNNING_STATUSES",
    "SCHEMA_VERSION",
    "SUBMITTED",
    "LeaseStore",
    "Link",
    "LinkStore",
    "RecordStore",
    "ReportStore",
    "SQLiteDatabase",
    "SQLiteLeases",
    "SQLiteLinks",
    "SQLiteOwnerControls",
    "SQLiteRecords",
    "SQLiteReport",
    "SQLiteSpend",
    "SQLiteTaskStore",
    "SpendStore",
    "StoreError",
    "TaskRecord",
    "TaskStore",
    "TaskStoreBase",
]
