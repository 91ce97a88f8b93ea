"""Schema changes of the task database: `MIGRATIONS`, applied in order, tracked in
`PRAGMA user_version`. Another backend keeps its own migrations for the same fields."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..error_base import WanError


class StoreError(WanError, RuntimeError):
    """The store cannot be used (a newer schema, a broken file)."""


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
    # v5: the owner's controls (pause switch, limit overrides, alert threshold): one row each
    """
    CREATE TABLE owner_controls (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
    # v6: the seed the provider reports it used (issue 17: "same seed"); NULL where none was reported.
    """
    ALTER TABLE tasks ADD COLUMN seed INTEGER
    """,
    # v7: batches (issue 20: variations, a film's shots): the group, what and which one, kept
    """
    ALTER TABLE tasks ADD COLUMN group_id TEXT;
    ALTER TABLE tasks ADD COLUMN group_kind TEXT;
    ALTER TABLE tasks ADD COLUMN group_position INTEGER;
    ALTER TABLE tasks ADD COLUMN group_size INTEGER;
    ALTER TABLE tasks ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tasks_group ON tasks (group_id)
    """,
    # v8: the cast (issue 20: a visitor's saved characters) and the provider upload cache
    """
    CREATE TABLE characters (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        storage_key TEXT NOT NULL,
        voice_key TEXT,
        created_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX characters_owner_name ON characters (owner, name_key);
    CREATE INDEX characters_owner_created ON characters (owner, created_at);
    CREATE TABLE uploads (
        profile TEXT NOT NULL,
        key_fingerprint TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        url TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (profile, key_fingerprint, sha256)
    );
    CREATE INDEX uploads_expires ON uploads (expires_at)
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database to `SCHEMA_VERSION` in one transaction (one worker migrates; the
    others wait); refuse a database of a newer app."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {version}, newer than this app ({SCHEMA_VERSION}); "
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


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])
