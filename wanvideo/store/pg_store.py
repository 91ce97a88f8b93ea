"""`PostgresTaskStore`: the store's concerns on PostgreSQL, for several replicas on one
database (`WAN_DATABASE_URL`). Each concern is its SQLite part with the same SQL (`?` marks,
`postgres.pg_sql`) and the same row mapping; only what the engines do differently is here:

- rows in insertion order: the `seq` column (SQLite's rowid);
- a lease is claimed on the row locked `FOR UPDATE SKIP LOCKED`: of replicas claiming one task
  at once exactly one updates it, the others skip it without waiting;
- a spend reservation takes a transaction-level advisory lock (`SPEND_LOCK`) before it counts
  the day's usage and inserts, so reservations from every replica run one at a time and the
  daily and per-visitor limits hold across replicas (SQLite's `BEGIN IMMEDIATE` does this for
  the processes on one file);
- a character is added under a per-owner advisory lock (`CAST_LOCK`), so an owner's count
  limit holds across replicas;
- the model a request named is read with `->>` (SQLite's `json_extract`);
- a provider's wake-up that reached a replica not watching its task is relayed to the others
  (`LISTEN`/`NOTIFY`, `pg_wakes.py`); SQLite's processes on one machine relay none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..task_status import COMPLETED
from .cast import SQLiteCast
from .leases import SQLiteLeases
from .links import SQLiteLinks
from .owner import SQLiteOwnerControls
from .pg_schema import CAST_LOCK, SPEND_LOCK
from .pg_wakes import WakeListener, publish
from .postgres import PostgresDatabase
from .records import SQLiteRecords
from .report import SQLiteReport
from .spend import SQLiteSpend
from .task_store import ComposedTaskStore


class PostgresRecords(SQLiteRecords):
    INSERT_ORDER = "seq"

    def recent_run_seconds(self, provider: str, models: Sequence[str | None], limit: int = 20) -> list[float]:
        if not models:
            return []
        named = " OR ".join("(request::jsonb ->> 'model') IS NOT DISTINCT FROM ?" for _ in models)
        rows = (
            self.db.conn()
            .execute(
                "SELECT finished_at - submitted_at FROM tasks WHERE provider = ? AND status = ?"
                f" AND ({named}) AND submitted_at IS NOT NULL AND finished_at IS NOT NULL"
                " ORDER BY finished_at DESC LIMIT ?",
                (provider, COMPLETED, *models, limit),
            )
            .fetchall()
        )
        return [float(r[0]) for r in rows]


class PostgresLeases(SQLiteLeases):
    def claim(self, record_id: str, worker: str, ttl: float, *, steal_from: Iterable[str] = ()) -> bool:
        now = time.time()
        cur = self.db.conn().execute(
            "UPDATE tasks SET lease_owner = ?, lease_expires = ? WHERE id = ("
            " SELECT id FROM tasks WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ?"
            " OR lease_expires IS NULL OR lease_expires < ? OR lease_owner = ANY(?))"
            " FOR UPDATE SKIP LOCKED)",
            (worker, now + ttl, record_id, worker, now, list(steal_from)),
        )
        return cur.rowcount > 0


class PostgresSpend(SQLiteSpend):
    def reservation_lock(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (SPEND_LOCK,))


class PostgresLinks(SQLiteLinks):
    INSERT_ORDER = "seq"


class PostgresCast(SQLiteCast):
    def owner_lock(self, conn: Any, owner: str) -> None:
        """Adds of one owner one at a time across replicas, so the count limit holds."""
        conn.execute("SELECT pg_advisory_xact_lock(CAST(? AS INTEGER), hashtext(?))", (CAST_LOCK, owner))


class PostgresTaskStore(ComposedTaskStore):
    """Every record on one PostgreSQL database; `base_dir` is the data folder that saved
    videos' paths are kept relative to (each replica's own). The identity's secrets are kept
    here too (`shared_secret`), so every replica signs and reads the same owner ids."""

    def __init__(self, url: str, *, base_dir: Path | str, **pool: Any) -> None:
        """`pool`: `pool_size`, `connect_timeout` (`PostgresDatabase`)."""
        self.url = url  # the wake listener's own connection
        self.db = PostgresDatabase(url, base_dir=base_dir, **pool)
        self.base_dir = self.db.base_dir
        self.task_records = PostgresRecords(self.db)  # type: ignore[arg-type]
        self.leases = PostgresLeases(self.db)  # type: ignore[arg-type]
        self.spend = PostgresSpend(self.db, self.task_records)  # type: ignore[arg-type]
        self.links = PostgresLinks(self.db)  # type: ignore[arg-type]
        self.controls = SQLiteOwnerControls(self.db)  # type: ignore[arg-type]  # portable SQL
        self.report = SQLiteReport(self.db, self.task_records)  # type: ignore[arg-type]
        self.cast = PostgresCast(self.db)  # type: ignore[arg-type]

    def publish_wake(self, record_id: str) -> None:
        publish(self.db.conn(), record_id)

    def listen_wakes(self, heard: Callable[[str], None]) -> Callable[[], None] | None:
        return WakeListener(self.url, heard).start().stop

    def shared_secret(self, name: str, make: Callable[[], bytes]) -> bytes | None:
        conn = self.db.conn()
        conn.execute(
            "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, make().decode()),
        )
        row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0]).encode()
