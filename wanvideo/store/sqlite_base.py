"""The SQLite connection every concern of the store shares, and the row conversion."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import asdict, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..messages import Message, decode, encode
from .record import TaskRecord
from .schema import StoreError, create_private, migrate

_COLUMNS = [f.name for f in fields(TaskRecord)]
_JSON_COLUMNS = {"request", "estimate", "error"}
_DECIMAL_COLUMNS = {"credits_reserved", "credits_charged", "spend_credits"}


class SQLiteConnection:
    """One SQLite file shared by every concern: one connection per thread; WAL; `busy_timeout`
    waits for other writers (other app workers) instead of failing; rows <-> `TaskRecord`."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.base_dir = self.path.parent.resolve()
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        create_private(self.path)
        migrate(self._conn(), self.path)

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

    def _insert(self, conn: sqlite3.Connection, record: TaskRecord) -> None:
        if "api_key" in record.request:
            raise StoreError("a task record never holds an API key")
        row = self._to_row(asdict(record) | {"video_path": record.video_path})
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        conn.execute(f"INSERT INTO tasks ({names}) VALUES ({marks})", list(row.values()))


def _message(text: str) -> str:
    """A stored message column: a Message again (its JSON), or the text as it was."""
    try:
        return decode(json.loads(text))
    except ValueError:
        return text
