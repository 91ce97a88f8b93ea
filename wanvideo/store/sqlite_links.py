"""Links a provider may call, in SQLite's `links` table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .record import Link
from .sqlite_base import SQLiteConnection


class SQLiteLinks(SQLiteConnection):
    """The links table."""

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


def _link(row: sqlite3.Row) -> Link:
    return Link(
        token=row["token"],
        kind=row["kind"],
        record_id=row["record_id"],
        expires_at=float(row["expires_at"]),
        path=None if row["path"] is None else Path(row["path"]),
    )
