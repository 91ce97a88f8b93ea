"""The cast as the store keeps it: a visitor's saved characters (`characters`, every read
scoped to its owner, like the history) and the provider upload cache (`uploads`: which URL a
provider gave for a file's content under one key, until when), so a file is uploaded once
while the provider's upload stays valid, across restarts and replicas. Portable SQL (`?`
marks, `ON CONFLICT`), reused by the PostgreSQL backend (`pg_store.py`)."""

from __future__ import annotations

import enum
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from .sqlite import SQLiteDatabase

VIDEO = "video"
IMAGE = "image"
KINDS = (VIDEO, IMAGE)


def name_key(name: str) -> str:
    """What makes two names the same character name: case-insensitive, trimmed."""
    return name.strip().casefold()


@dataclass(frozen=True)
class Character:
    id: str
    owner: str
    name: str
    kind: str  # VIDEO or IMAGE
    key: str  # the storage key of the reference as it will be sent
    voice_key: str | None
    created_at: float

    @classmethod
    def new(
        cls, owner: str, name: str, kind: str, key: str, voice_key: str | None, *, character_id: str = ""
    ) -> Character:
        return cls(
            id=character_id or new_character_id(),
            owner=owner,
            name=name.strip(),
            kind=kind,
            key=key,
            voice_key=voice_key,
            created_at=time.time(),
        )


def new_character_id() -> str:
    return "ch_" + secrets.token_hex(8)


class Added(enum.Enum):
    """What `add_character` did."""

    ADDED = "added"
    FULL = "full"  # the owner has `limit` characters already
    NAME_TAKEN = "name_taken"  # the owner has a character of that name (any case)


class CastStore(ABC):
    """Every method is thread-safe; every read and delete of characters is owner-scoped."""

    @abstractmethod
    def add_character(self, character: Character, limit: int) -> Added:
        """Insert it unless its owner has `limit` characters or one of that name, atomically."""

    @abstractmethod
    def characters(self, owner: str) -> list[Character]:
        """The owner's characters, oldest first."""

    @abstractmethod
    def character(self, owner: str, id_or_name: str) -> Character | None:
        """The owner's character of that id, or else of that name (any case)."""

    @abstractmethod
    def delete_character(self, owner: str, character_id: str) -> Character | None:
        """Remove the owner's character; the removed one (its files to delete), None if none."""

    @abstractmethod
    def uploaded_url(self, profile: str, key_fingerprint: str, sha256: str, valid_until: float) -> str | None:
        """The URL an upload of this content gave, if it stays valid at least until `valid_until`."""

    @abstractmethod
    def remember_upload(
        self, profile: str, key_fingerprint: str, sha256: str, url: str, expires_at: float
    ) -> None:
        """Keep (or replace) the URL an upload gave and when the provider lets it expire."""

    @abstractmethod
    def forget_expired_uploads(self, now: float) -> int:
        """Remove the uploads expired by `now`; how many."""


class SQLiteCast(CastStore):
    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    @staticmethod
    def from_row(row: Any) -> Character:
        return Character(
            id=row["id"],
            owner=row["owner"],
            name=row["name"],
            kind=row["kind"],
            key=row["storage_key"],
            voice_key=row["voice_key"],
            created_at=float(row["created_at"]),
        )

    def owner_lock(self, conn: Any, owner: str) -> None:
        """Serialise adds of one owner (SQLite's `BEGIN IMMEDIATE` already does)."""

    def add_character(self, character: Character, limit: int) -> Added:
        c = character
        with self.db.transaction() as conn:
            self.owner_lock(conn, c.owner)
            row = conn.execute("SELECT COUNT(*) FROM characters WHERE owner = ?", (c.owner,)).fetchone()
            if int(row[0]) >= limit:
                return Added.FULL
            cur = conn.execute(
                "INSERT INTO characters (id, owner, name, name_key, kind, storage_key, voice_key, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, name_key) DO NOTHING",
                (c.id, c.owner, c.name, name_key(c.name), c.kind, c.key, c.voice_key, c.created_at),
            )
            return Added.ADDED if cur.rowcount > 0 else Added.NAME_TAKEN

    def characters(self, owner: str) -> list[Character]:
        rows = (
            self.db.conn()
            .execute("SELECT * FROM characters WHERE owner = ? ORDER BY created_at, id", (owner,))
            .fetchall()
        )
        return [self.from_row(row) for row in rows]

    def character(self, owner: str, id_or_name: str) -> Character | None:
        row = (
            self.db.conn()
            .execute(
                "SELECT * FROM characters WHERE owner = ? AND (id = ? OR name_key = ?)"
                " ORDER BY CASE WHEN id = ? THEN 0 ELSE 1 END LIMIT 1",
                (owner, id_or_name, name_key(id_or_name), id_or_name),
            )
            .fetchone()
        )
        return None if row is None else self.from_row(row)

    def delete_character(self, owner: str, character_id: str) -> Character | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM characters WHERE owner = ? AND id = ?", (owner, character_id)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM characters WHERE owner = ? AND id = ?", (owner, character_id))
        return self.from_row(row)

    def uploaded_url(self, profile: str, key_fingerprint: str, sha256: str, valid_until: float) -> str | None:
        row = (
            self.db.conn()
            .execute(
                "SELECT url FROM uploads WHERE profile = ? AND key_fingerprint = ? AND sha256 = ?"
                " AND expires_at > ?",
                (profile, key_fingerprint, sha256, valid_until),
            )
            .fetchone()
        )
        return None if row is None else str(row["url"])

    def remember_upload(
        self, profile: str, key_fingerprint: str, sha256: str, url: str, expires_at: float
    ) -> None:
        self.db.conn().execute(
            "INSERT INTO uploads (profile, key_fingerprint, sha256, url, expires_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (profile, key_fingerprint, sha256)"
            " DO UPDATE SET url = excluded.url, expires_at = excluded.expires_at",
            (profile, key_fingerprint, sha256, url, expires_at),
        )

    def forget_expired_uploads(self, now: float) -> int:
        cur = self.db.conn().execute("DELETE FROM uploads WHERE expires_at <= ?", (now,))
        return int(cur.rowcount)
