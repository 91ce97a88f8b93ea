"""Task records: `TaskRecord` (never a key), the record contract `RecordStore` (CRUD and
owner-scoped reads) and its SQLite implementation on the shared connection."""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..ids import new_idempotency_key, new_record_id, new_video_token
from ..messages import Message, decode, encode
from ..task_status import (
    COMPLETED,
    FINAL_STATUSES,
    NEEDS_KEY,
    QUEUED,
    RUNNING_STATUSES,
    status_label,
)
from .schema import StoreError
from .sqlite import SQLiteDatabase

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
    # The saved video's key in an object store (`wanvideo.storage`, WAN_STORAGE_URL), e.g.
    # "videos/<token>.mp4"; None when it is on local disk (`video_path`) or not saved. Kept in
    # the `video_path` column as "stored:<key>" (no schema change; older rows read as before).
    video_key: str | None = None
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
    # The seed the provider reports it used (schema v6), else the one asked for; None: unknown.
    seed: int | None = None
    # A batch (schema v7, issue 20): records submitted together share `group_id`; `group_kind`
    # says what they are (`wanvideo.batch`: "variation" or "shot"), `group_position` which one
    # (1-based) of `group_size`. A retried shot is a new record at the same position. `kept`:
    # the variation the person kept. None / False: not part of a batch.
    group_id: str | None = None
    group_kind: str | None = None
    group_position: int | None = None
    group_size: int | None = None
    kept: bool = False

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
        seed: int | None = None,
        group_id: str | None = None,
        group_kind: str | None = None,
        group_position: int | None = None,
        group_size: int | None = None,
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
            seed=seed,
            group_id=group_id,
            group_kind=group_kind,
            group_position=group_position,
            group_size=group_size,
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
        if self.video_key is not None:
            return True  # recorded only once uploaded; the route answers 404 if it went missing
        return self.video_path is not None and self.video_path.is_file()

    def public_dict(self) -> dict[str, Any]:
        """JSON-safe view for the UI and the API: no lease, token or idempotency data."""
        hidden = {
            "lease_owner",
            "lease_expires",
            "video_token",
            "video_key",
            "idempotency_key",
            "owner",
            "visitor",
        }
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in hidden:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Decimal | Path):
                value = str(value)
            out[f.name] = value
        return out


class RecordStore(ABC):
    """Records by id and by owner. Every method is thread-safe."""

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

    def group_records(self, group_id: str, owner: str) -> list[TaskRecord]:
        """The owner's records of one batch (`group_id`), in submission order; a retried
        position has several (the latest is current). A store without batches has none."""
        return []


_COLUMNS = [f.name for f in fields(TaskRecord) if f.name != "video_key"]
_STORED = "stored:"  # a `video_path` column value naming an object-store key (`video_key`)
_JSON_COLUMNS = {"request", "estimate", "error"}
_DECIMAL_COLUMNS = {"credits_reserved", "credits_charged", "spend_credits"}
_BOOL_COLUMNS = {"kept"}  # INTEGER 0/1 on both engines (one row mapping)


class SQLiteRecords(RecordStore):
    """The `tasks` table. `video_path` is stored relative to the data folder. The SQL is
    written with `?` marks and is PostgreSQL's too (`pg_store` overrides what differs)."""

    INSERT_ORDER = "rowid"  # the column that orders rows by insertion (ties of created_at)

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db
        self.base_dir = db.base_dir

    # conversion --------------------------------------------------------------------
    def _to_row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        values = _video_column(values)
        for name, value in values.items():
            if name not in _COLUMNS:
                raise StoreError(f"unknown task field {name!r}")
            if name in _JSON_COLUMNS:  # messages keep their id and parameters (wanvideo.messages)
                value = None if value is None else json.dumps(encode(value), default=str)
            elif name == "message" and isinstance(value, Message):
                value = json.dumps(encode(value))
            elif name in _DECIMAL_COLUMNS:
                value = None if value is None else str(value)
            elif name in _BOOL_COLUMNS:
                value = int(bool(value))
            elif name == "video_path" and value is not None and not str(value).startswith(_STORED):
                path = Path(value)
                try:
                    value = str(path.resolve().relative_to(self.base_dir))
                except ValueError:
                    value = str(path.resolve())
            row[name] = value
        return row

    def from_row(self, row: Mapping[str, Any]) -> TaskRecord:
        """A `tasks` row as a record (also for other concerns' queries, e.g. the owner's report)."""
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
            elif name in _BOOL_COLUMNS:
                value = bool(value)
            elif name == "video_path" and value is not None and value.startswith(_STORED):
                values["video_key"] = value[len(_STORED) :]
                value = None
            elif name == "video_path" and value is not None:
                value = self.base_dir / value
            values[name] = value
        if values["request"] is None:
            values["request"] = {}
        return TaskRecord(**values)

    def _select(self, sql: str, params: Sequence[Any]) -> list[TaskRecord]:
        return [self.from_row(r) for r in self.db.conn().execute(sql, params).fetchall()]

    # contract ----------------------------------------------------------------------
    def insert(self, record: TaskRecord) -> TaskRecord:
        self.insert_in(self.db.conn(), record)
        return record

    def insert_in(self, conn: Any, record: TaskRecord) -> None:
        """Insert within the caller's transaction on `conn` (the spend reservation's)."""
        if "api_key" in record.request:
            raise StoreError("a task record never holds an API key")
        row = self._to_row(asdict(record) | {"video_path": record.video_path})
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO tasks ({names}) VALUES ({marks})", list(row.values()))

    def get(self, record_id: str, owner: str | None = None) -> TaskRecord | None:
        if owner is None:
            found = self._select("SELECT * FROM tasks WHERE id = ?", (record_id,))
        else:
            found = self._select("SELECT * FROM tasks WHERE id = ? AND owner = ?", (record_id, owner))
        return found[0] if found else None

    def update(self, record_id: str, **changes: Any) -> TaskRecord | None:
        changes.setdefault("updated_at", time.time())
        for forbidden in ("id", "owner"):
            if forbidden in changes:
                raise StoreError(f"{forbidden} cannot change")
        row = self._to_row(changes)
        assignments = ", ".join(f"{name} = ?" for name in row)
        with self.db.transaction() as conn:
            conn.execute(f"UPDATE tasks SET {assignments} WHERE id = ?", [*row.values(), record_id])
            found = conn.execute("SELECT * FROM tasks WHERE id = ?", (record_id,)).fetchone()
        return None if found is None else self.from_row(found)

    def list_for_owner(self, owner: str, limit: int = 100) -> list[TaskRecord]:
        return self._select(
            f"SELECT * FROM tasks WHERE owner = ? ORDER BY created_at DESC, {self.INSERT_ORDER} DESC LIMIT ?",
            (owner, limit),
        )

    def unfinished(self) -> list[TaskRecord]:
        statuses = sorted(RUNNING_STATUSES | {NEEDS_KEY})
        marks = ", ".join("?" for _ in statuses)
        return self._select(f"SELECT * FROM tasks WHERE status IN ({marks}) ORDER BY created_at", statuses)

    def recent_run_seconds(self, provider: str, models: Sequence[str | None], limit: int = 20) -> list[float]:
        if not models:
            return []
        named = " OR ".join("json_extract(request, '$.model') IS ?" for _ in models)
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

    def saved_before(self, cutoff: float, limit: int = 200) -> list[TaskRecord]:
        return self._select(
            "SELECT * FROM tasks WHERE video_path IS NOT NULL AND COALESCE(finished_at, created_at) < ?"
            " ORDER BY COALESCE(finished_at, created_at) LIMIT ?",
            (cutoff, limit),
        )

    def group_records(self, group_id: str, owner: str) -> list[TaskRecord]:
        return self._select(
            f"SELECT * FROM tasks WHERE group_id = ? AND owner = ? ORDER BY created_at, {self.INSERT_ORDER}",
            (group_id, owner),
        )

    def delete(self, record_id: str, owner: str) -> bool:
        cur = self.db.conn().execute("DELETE FROM tasks WHERE id = ? AND owner = ?", (record_id, owner))
        return cur.rowcount > 0


def _video_column(values: Mapping[str, Any]) -> dict[str, Any]:
    """`video_key` shares the `video_path` column (a record has one saved copy): a key is
    kept as "stored:<key>", a local path as before; setting either to None clears it."""
    out = dict(values)
    if "video_key" not in out:
        return out
    key = out.pop("video_key")
    if key is None:
        out.setdefault("video_path", None)
    elif out.get("video_path") is not None:
        raise StoreError("a video is either on local disk or in the object store")
    else:
        out["video_path"] = _STORED + key
    return out


def _message(text: str) -> str:
    """A stored message column: a Message again (its JSON), or the text as it was."""
    try:
        return decode(json.loads(text))
    except ValueError:
        return text
