"""`PostgresDatabase`: a psycopg 3 connection pool behind the same small interface as
`SQLiteDatabase` (`conn().execute(sql, params)`, `transaction()`, `schema_version()`,
`close()`), so the concerns' SQL, written with `?` marks, runs on both engines.

`conn()` gives a `Session`: every statement borrows a pooled connection in autocommit mode,
runs, and fetches its rows before the connection goes back. `transaction()` holds one
connection for a block (BEGIN ... COMMIT, rolled back when the block raises). Rows read like
`sqlite3.Row`: by column name or by position.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from psycopg import Connection, Cursor
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from .pg_schema import current_version, migrate
from .schema import StoreError

log = logging.getLogger("wanvideo.store")

POOL_SIZE = 10  # connections per replica: Gradio's worker threads + the watcher's loop
CONNECT_TIMEOUT = 30.0  # seconds to wait for the database at start (it may start with the app)


class Row(tuple):  # noqa: SLOT001 - the names ride along as an attribute
    """A result row that reads like `sqlite3.Row`: `row["status"]` or `row[0]`."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor: Cursor[Any]) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row.names = names
        return row

    return make


def pg_sql(sql: str) -> str:
    """The concerns' `?` marks as psycopg's `%s` (their SQL holds no literal `?` or `%`)."""
    if "%" in sql:
        raise StoreError("a statement with a literal % needs its own PostgreSQL text")
    return sql.replace("?", "%s")


class Result:
    """A statement's rows, fetched before its connection went back to the pool."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Row]:
        return self.rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


class Bound:
    """Statements on one connection (inside `PostgresDatabase.transaction()`)."""

    def __init__(self, conn: Connection[Any]) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        cur = self.raw.execute(pg_sql(sql), list(params))
        rows = cur.fetchall() if cur.description else []
        return Result(rows, cur.rowcount)


class Session:
    """Each statement on a pooled connection of its own, committed at once (autocommit)."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        with self.pool.connection() as conn:
            return Bound(conn).execute(sql, params)


def where(url: str) -> str:
    """host:port/database of a URL, for messages (never its user or password)."""
    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "an unreadable URL"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


class PostgresDatabase:
    """One PostgreSQL database shared by every replica; migrated on open."""

    def __init__(
        self,
        url: str,
        *,
        base_dir: Path | str,
        pool_size: int = POOL_SIZE,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.base_dir = Path(base_dir).resolve()  # saved videos' paths are kept relative to it
        self.pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "row_factory": _row_factory},
            # A connection is checked as it is handed out, so a database restart (or failover)
            # costs new connections, never a failed request.
            check=ConnectionPool.check_connection,
            open=False,
            name="wan-store",
        )
        try:
            self.pool.open(wait=True, timeout=connect_timeout)
        except PoolTimeout:
            self.pool.close()
            raise StoreError(
                f"the database of WAN_DATABASE_URL ({where(url)}) did not answer within "
                f"{connect_timeout:g} s; check that it runs and the URL's host, port, user and password"
            ) from None
        self._session = Session(self.pool)
        try:
            with self.pool.connection() as conn:
                applied = migrate(conn)
        except BaseException:
            self.pool.close()
            raise
        if applied:
            log.info("database migrated to schema version %d", applied[-1])

    def conn(self) -> Session:
        return self._session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Bound]:
        """One connection, BEGIN ... COMMIT; rolled back when the block raises."""
        with self.pool.connection() as conn, conn.transaction():
            yield Bound(conn)

    def schema_version(self) -> int:
        with self.pool.connection() as conn:
            return current_version(conn)

    def close(self) -> None:
        self.pool.close()
