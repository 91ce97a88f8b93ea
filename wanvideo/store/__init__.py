"""Task records that survive refresh, restart and several app workers.

A record is written when a generation is accepted (before anything is paid), updated when
the provider confirms the task (before the first poll), and on every change after that::

    store = TaskStore(settings.data_dir / "tasks.sqlite3")
    record = store.insert(TaskRecord.new(owner="anon:...", provider=profile.name, request={...}))
    store.update(record.id, task_id="task-...", status="submitted")
    store.list_for_owner("anon:...")      # newest first, that owner's only
    store.get(record.id, owner="anon:...")  # None for anybody else

`TaskStoreBase` is the small contract the watcher and the UI use; `SQLiteTaskStore` (alias
`TaskStore`) implements it with one SQLite file in WAL mode, a busy timeout and short
transactions, so several app processes can share one data folder. A server database can
replace it later by implementing the same methods.

Schema changes go through `MIGRATIONS` (applied in order, tracked in `PRAGMA user_version`).
A record never holds an API key: `key_source` only says whose key started the task; `provider`
and `model` say which profile it runs on (rebuilt after a restart, never a key).

The store is split by concern (`contract.py`: records, leases, spend, links), each with its
SQLite part (`sqlite_*.py`) over one connection (`sqlite_base.py`) and schema (`schema.py`).
The spend guard is in the store because it must be atomic across workers:
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
from .contract import LeaseStore, LinkStore, RecordStore, SpendStore, TaskStoreBase
from .record import KEY_SERVER, KEY_VISITOR, LINK_REFERENCE, LINK_WAKE, Link, TaskRecord
from .schema import MIGRATIONS, SCHEMA_VERSION, StoreError
from .sqlite_leases import SQLiteLeases
from .sqlite_links import SQLiteLinks
from .sqlite_records import SQLiteRecords
from .sqlite_spend import SQLiteSpend


class SQLiteTaskStore(SQLiteRecords, SQLiteLeases, SQLiteSpend, SQLiteLinks, TaskStoreBase):
    """The store on one SQLite file: every concern over one connection per thread."""


TaskStore = SQLiteTaskStore

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
    "SQLiteTaskStore",
    "SpendStore",
    "StoreError",
    "TaskRecord",
    "TaskStore",
    "TaskStoreBase",
]
