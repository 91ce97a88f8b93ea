"""Links a provider may call (a served reference, a task's wake-up): the `links` table.
What a link means and how long it lives is `wanvideo/links.py`; this keeps them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sqlite import SQLiteDatabase

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


class LinkStore(ABC):
    """Every method is thread-safe."""

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


class SQLiteLinks(LinkStore):
    """The `links` table (SQL shared with PostgreSQL, `pg_store`)."""

    INSERT_ORDER = "rowid"  # the column that orders rows by insertion

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def add_link(self, link: Link) -> Link:
        self.db.conn().execute(
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
            self.db.conn()
            .execute(
                "SELECT * FROM links WHERE token = ? AND kind = ? AND expires_at > ?", (token, kind, now)
            )
            .fetchone()
        )
        return None if row is None else _link(row)

    def links_for(self, record_id: str, kind: str) -> list[Link]:
        rows = (
            self.db.conn()
            .execute(
                f"SELECT * FROM links WHERE record_id = ? AND kind = ? ORDER BY {self.INSERT_ORDER}",
                (record_id, kind),
            )
            .fetchall()
        )
        return [_link(row) for row in rows]

    def set_link_expiry(self, record_id: str, kind: str, expires_at: float) -> None:
        self.db.conn().execute(
            "UPDATE links SET expires_at = ? WHERE record_id = ? AND kind = ?", (expires_at, record_id, kind)
        )

    def delete_expired_links(self, now: float) -> int:
        return self.db.conn().execute("DELETE FROM links WHERE expires_at < ?", (now,)).rowcount


def _link(row: Mapping[str, Any]) -> Link:
    return Link(
        token=row["token"],
        kind=row["kind"],
        record_id=row["record_id"],
        expires_at=float(row["expires_at"]),
        path=None if row["path"] is None else Path(row["path"]),
    )
