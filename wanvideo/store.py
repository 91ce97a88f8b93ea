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

The spend guard lives here too because it must be atomic across workers:
`insert_within_budget` checks `budget.check` and inserts in one `BEGIN IMMEDIATE` transaction,
so simultaneous clicks (threads or processes) create only what fits.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .budget import Limits, Usage, check, day_start
from .ids import new_idempotency_key, new_record_id, new_video_token
from .messages import Message, decode, encode
from .task_status import (
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
    status_label,
)

KEY_SERVER = "server"
KEY_VISITOR = "visitor"


@dataclass(frozen=True)
class TaskRecord:
    """One generation as the app remembers it."""

    id: str
    owner: str
    provider: str
    request: dict[str, Any]  # prompt, settings, reference names; never a key
    status: str = QUEUED
    progress: float = 0.0
    message: str = ""
    task_id: str | None = None
    estimate: dict[str, Any] | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    submitted_at: float | None = None
    finished_at: float | None = None
    result_url: str | None = None
    video_path: Path | None = None  # absolute; stored relative to the data folder
    video_token: str = ""
    credits_reserved: Decimal | None = None
    credits_charged: Decimal | None = None
    error: dict[str, Any] | None = None  # {"code", "message", "suggestion"}
    key_source: str = KEY_SERVER
    idempotency_key: str = ""
    download_attempts: int = 0
    lease_owner: str | None = None
    lease_expires: float | None = None
    # Spend guard: who started it (every task counts against its visitor's generations in
    # flight), and what it counts against the credit limits (server key only: the reserved
    # estimate, then the provider's charge; 0 once it failed uncharged). None: a visitor's own
    # key or demo mode, counted against no credits.
    visitor: str | None = None
    spend_credits: Decimal | None = None
    # The model variant id the task runs on (`ProviderProfile.model`). With `provider` (the
    # profile name, which holds its region) it rebuilds the task's profile after a
    # restart. None: a record from before schema v4 without a model (the provider's default).
    model: str | None = None

    @classmethod
    def new(
        cls,
        *,
        owner: str,
        provider: str,
        request: Mapping[str, Any],
        key_source: str = KEY_SERVER,
        estimate: Mapping[str, Any] | None = None,
        now: float | None = None,
        message: str = "",
        lease_owner: str | None = None,
        lease_ttl: float = 0.0,
        visitor: str | None = None,
        spend_credits: Decimal | None = None,
        model: str | None = None,
    ) -> TaskRecord:
        """A fresh record. With `lease_owner` it is inserted already claimed by that worker,
        so no start-up sweep (of this or another process) can take it between insert and claim."""
        now = time.time() if now is None else now
        if "api_key" in request:
            raise ValueError("a task record never holds an API key")
        return cls(
            id=new_record_id(),
            owner=owner,
            provider=provider,
            request=dict(request),
            estimate=dict(estimate) if estimate else None,
            created_at=now,
            updated_at=now,
            video_token=new_video_token(),
            key_source=key_source,
            idempotency_key=new_idempotency_key(),
            message=message,
            lease_owner=lease_owner,
            lease_expires=now + lease_ttl if lease_owner else None,
            visitor=visitor,
            spend_credits=spend_credits,
            model=model,
        )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def has_video(self) -> bool:
        return self.video_path is not None and self.video_path.is_file()

    def public_dict(self) -> dict[str, Any]:
        """JSON-safe view for the UI and the API: no lease, token or idempotency data."""
        hidden = {"lease_owner", "lease_expires", "video_token", "idempotency_key", "owner", "visitor"}
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in hidden:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Decimal | Path):
                value = str(value)
            out[f.name] = value
        return out


LINK_REFERENCE = "reference"  # a file the provider fetches from the app (served reference)
LINK_WAKE = "wake"  # a task's wake-up callback (the provider says "look now")


@dataclass(frozen=True)
class Link:
    """An unguessable path segment (`ids.new_link_token`) that lets a provider reach one thing
    of one task until `expires_at` (see `wanvideo/links.py`)."""

    token: str
    kind: str
    record_id: str
    expires_at: float
    path: Path | None = None  # the file a reference link serves (absolute)


class TaskStoreBase(ABC):
    """What the watcher and the UI need from persistence. Every method is thread-safe."""

    @abstractmethod
    def insert(self, record: TaskRecord) -> TaskRecord: ...

    @abstractmethod
    def get(self, record_id: str, owner: str | None = None) -> TaskRecord | None:
        """The record, or None when missing or (with `owner`) owned by somebody else."""

    @abstractmethod
    def update(self, record_id: str, **changes: Any) -> TaskRecord | None: ...

    @abstractmethod
    def list_for_owner(self, owner: str, limit: int = 100) -> list[TaskRecord]:
        """That owner's records, newest first."""

    @abstractmethod
    def unfinished(self) -> list[TaskRecord]:
        """Records in a running (or needs-key) state, oldest first, any owner."""

    def recent_run_seconds(self, provider: str, models: Sequence[str | None], limit: int = 20) -> list[float]:
        """Seconds from submit to saved of the `limit` latest completed tasks of one provider
        profile whose request named one of `models` (a variant id; None: the default), any
        owner; newest first. A store that keeps no history has none."""
        return []

    def saved_before(self, cutoff: float, limit: int = 200) -> list[TaskRecord]:
        """Records (any owner) with a saved video finished before `cutoff`, oldest first: what
        the retention sweep deletes (`WAN_KEEP_DAYS`). A store that keeps no files has none."""
        return []

    @abstractmethod
    def delete(self, record_id: str, owner: str) -> bool: ...

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

    @abstractmethod
    def insert_within_budget(self, record: TaskRecord, limits: Limits, now: datetime) -> TaskRecord:
        """Insert `record` (its `spend_credits` reserved) only if it fits `limits`, atomically
        with every other reservation (across threads and processes); else raise SpendRefused
        and insert nothing."""

    @abstractmethod
    def usage(self, visitor: str | None, since: float) -> Usage:
        """Server-key credits counted since `since` (all, and `visitor`'s), and the visitor's
        generations in flight (on any key)."""

    @abstractmethod
    def set_spend(self, record_id: str, credits: Decimal) -> None:
        """Replace what a task counts against the limits (no effect on own-key tasks)."""

    @abstractmethod
    def add_link(self, link: Link) -> Link:
        """Remember a link a provider may call (a served reference, a task's wake-up)."""

    @abstractmethod
    def find_link(self, token: str, kind: str, now: float) -> Link | None:
        """The link of `kind` with that token while it has not expired; None otherwise."""

    @abstractmethod
    def links_for(self, record_id: str, kind: str) -> list[Link]:
        """A record's links of `kind` (expired ones too), oldest first."""

    @abstractmethod
    def set_link_expiry(self, record_id: str, kind: str, expires_at: float) -> None:
        """Move the expiry of every link of `kind` of a record."""

    @abstractmethod
    def delete_expired_links(self, now: float) -> int:
        """Forget every link that expired before `now`; how many."""

    def close(self) -> None:  # noqa: B027 - optional for implementations
        """Release connections (optional)."""


# --- SQLite ---------------------------------------------------------------------------

_COLUMNS = [f.name for f in fields(TaskRecord)]
_JSON_COLUMNS = {"request", "estimate", "error"}
_DECIMAL_COLUMNS = {"credits_reserved", "credits_charged", "spend_credits"}

MIGRATIONS: list[str] = [
    # v1
    """
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        provider TEXT NOT NULL,
        request TEXT NOT NULL,
        status TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        task_id TEXT,
        estimate TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        submitted_at REAL,
        finished_at REAL,
        result_url TEXT,
        video_path TEXT,
        video_token TEXT NOT NULL,
        credits_reserved TEXT,
        credits_charged TEXT,
        error TEXT,
        key_source TEXT NOT NULL DEFAULT 'server',
        idempotency_key TEXT NOT NULL DEFAULT '',
        download_attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires REAL
    );
    CREATE INDEX tasks_owner_created ON tasks (owner, created_at DESC);
    CREATE INDEX tasks_status ON tasks (status);
    CREATE UNIQUE INDEX tasks_video_token ON tasks (video_token);
    """,
    # v2: the spend guard
    """
    ALTER TABLE tasks ADD COLUMN visitor TEXT;
    ALTER TABLE tasks ADD COLUMN spend_credits TEXT;
    CREATE INDEX tasks_created ON tasks (created_at);
    """,
    # v3: links providers call (served references, wake-up callbacks)
    """
    CREATE TABLE links (
        token TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        record_id TEXT NOT NULL,
        expires_at REAL NOT NULL,
        path TEXT
    );
    CREATE INDEX links_record ON links (record_id, kind);
    """,
    # v4: the model variant a task runs on (with `provider`, what rebuilds its profile after a
    # restart); older records take the model their request named, when it named one.
    """
    ALTER TABLE tasks ADD COLUMN model TEXT;
    UPDATE tasks SET model = json_extract(request, '$.model') WHERE json_valid(request)
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    pass


class SQLiteTaskStore(TaskStoreBase):
    """SQLite implementation. One connection per thread; WAL; `busy_timeout` waits for other
    writers (other app workers) instead of failing; every write is one short transaction."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.base_dir = self.path.parent.resolve()
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        _create_private(self.path)
        self._migrate()

    # connections -------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                str(self.path), timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    def _migrate(self) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")  # one worker migrates; the others wait
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this app ({SCHEMA_VERSION}); "
                    "upgrade the app or use another WAN_DATA_DIR"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # conversion --------------------------------------------------------------------
    def _to_row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name, value in values.items():
            if name not in _COLUMNS:
                raise StoreError(f"unknown task field {name!r}")
            if name in _JSON_COLUMNS:  # messages keep their id and parameters (wanvideo.messages)
                value = None if value is None else json.dumps(encode(value), default=str)
            elif name == "message" and isinstance(value, Message):
                value = json.dumps(encode(value))
            elif name in _DECIMAL_COLUMNS:
                value = None if value is None else str(value)
            elif name == "video_path" and value is not None:
                path = Path(value)
                try:
                    value = str(path.resolve().relative_to(self.base_dir))
                except ValueError:
                    value = str(path.resolve())
            row[name] = value
        return row

    def _from_row(self, row: sqlite3.Row) -> TaskRecord:
        values: dict[str, Any] = {}
        for name in _COLUMNS:
            value = row[name]
            if name in _JSON_COLUMNS:
                value = None if value is None else decode(json.loads(value))
            elif name == "message" and isinstance(value, str) and value.startswith('{"__msg__"'):
                value = _message(value)
            elif name in _DECIMAL_COLUMNS:
                try:
                    value = None if value is None else Decimal(value)
                except InvalidOperation:
                    value = None
            elif name == "video_path" and value is not None:
                value = self.base_dir / value
            values[name] = value
        if values["request"] is None:
            values["request"] = {}
        return TaskRecord(**values)

    # contract ----------------------------------------------------------------------
    def insert(self, record: TaskRecord) -> TaskRecord:
        self._insert(self._conn(), record)
        return record

    def _insert(self, conn: sqlite3.Connection, record: TaskRecord) -> None:
        if "api_key" in record.request:
            raise StoreError("a task record never holds an API key")
        row = self._to_row(asdict(record) | {"video_path": record.video_path})
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO tasks ({names}) VALUES ({marks})", list(row.values()))

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

    # spend guard -------------------------------------------------------------------
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

    # links -------------------------------------------------------------------------
    def add_link(self, link: Link) -> Link:
        self._conn().execute(
            "INSERT INTO links (token, kind, record_id, expires_at, path) VALUES (?, ?, ?, ?, ?)",
            (
                link.token,
                link.kind,
                link.record_id,
                link.expires_at,
                None if link.path is None else str(link.path),
            ),
        )
        return link

    def find_link(self, token: str, kind: str, now: float) -> Link | None:
        row = (
            self._conn()
            .execute(
                "SELECT * FROM links WHERE token = ? AND kind = ? AND expires_at > ?", (token, kind, now)
            )
            .fetchone()
        )
        return None if row is None else _link(row)

    def links_for(self, record_id: str, kind: str) -> list[Link]:
        rows = (
            self._conn()
            .execute("SELECT * FROM links WHERE record_id = ? AND kind = ? ORDER BY rowid", (record_id, kind))
            .fetchall()
        )
        return [_link(row) for row in rows]

    def set_link_expiry(self, record_id: str, kind: str, expires_at: float) -> None:
        self._conn().execute(
            "UPDATE links SET expires_at = ? WHERE record_id = ? AND kind = ?", (expires_at, record_id, kind)
        )

    def delete_expired_links(self, now: float) -> int:
        return self._conn().execute("DELETE FROM links WHERE expires_at < ?", (now,)).rowcount


TaskStore = SQLiteTaskStore


def _link(row: sqlite3.Row) -> Link:
    return Link(
        token=row["token"],
        kind=row["kind"],
        record_id=row["record_id"],
        expires_at=float(row["expires_at"]),
        path=None if row["path"] is None else Path(row["path"]),
    )


def _create_private(path: Path) -> None:
    """Create the database 0600 before SQLite opens it (its -wal/-shm files take the
    database's mode), and tighten one an older version left readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if name.exists():
            os.chmod(name, 0o600)


__all__ = [
    "COMPLETED",
    "DOWNLOADING",
    "EXPIRED",
    "FAILED",
    "FINAL_STATUSES",
    "INTERRUPTED",
    "KEY_SERVER",
    "KEY_VISITOR",
    "NEEDS_KEY",
    "PENDING",
    "PROCESSING",
    "QUEUED",
    "RUNNING_STATUSES",
    "SUBMITTED",
    "SQLiteTaskStore",
    "StoreError",
    "TaskRecord",
    "TaskStore",
    "TaskStoreBase",
]


def _message(text: str) -> str:
    """A stored message column: a Message again (its JSON), or the text as it was."""
    try:
        return decode(json.loads(text))
    except ValueError:
        return text
