"""The PostgreSQL schema: `PG_MIGRATIONS`, numbered and applied in order on start, each
recorded in `schema_migrations`. They run in one transaction under a transaction-level
advisory lock (`pg_advisory_xact_lock`), so several replicas starting at once migrate once:
the first takes the lock and migrates, the others wait for it, then find nothing to do.

The fields are `TaskRecord`'s, as in SQLite's `schema.py` (which has its own history: a
PostgreSQL database starts at the current shape). Times are float seconds (DOUBLE
PRECISION, never 4-byte REAL); JSON and Decimal columns are text, as in SQLite, so both
engines share the row mapping (`records.py`). `seq` orders rows by insertion (SQLite's rowid).
"""

from __future__ import annotations

import os
import time
from typing import Any

from .schema import StoreError

# Any constant both sides agree on: the key of the advisory lock that admits one migrator.
MIGRATION_LOCK = 0x57414E_01  # "WAN" 01
# The key of the advisory lock that admits one spend reservation at a time (`pg_store`).
SPEND_LOCK = 0x57414E_02
# The first key of the two-key advisory lock that admits one add per owner (`pg_store`).
CAST_LOCK = 0x57414E_03

PG_MIGRATIONS: list[str] = [
    # v1: tasks (with the spend guard's and the model's columns), links, and the secrets every
    # replica shares (the identity's, which one replica would otherwise keep in its data folder)
    """
    CREATE TABLE tasks (
        seq BIGSERIAL UNIQUE,
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        provider TEXT NOT NULL,
        request TEXT NOT NULL,
        status TEXT NOT NULL,
        progress DOUBLE PRECISION NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        task_id TEXT,
        estimate TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        submitted_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        result_url TEXT,
        video_path TEXT,
        video_token TEXT NOT NULL UNIQUE,
        credits_reserved TEXT,
        credits_charged TEXT,
        error TEXT,
        key_source TEXT NOT NULL DEFAULT 'server',
        idempotency_key TEXT NOT NULL DEFAULT '',
        download_attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires DOUBLE PRECISION,
        visitor TEXT,
        spend_credits TEXT,
        model TEXT
    );
    CREATE INDEX tasks_owner_created ON tasks (owner, created_at DESC);
    CREATE INDEX tasks_status ON tasks (status);
    CREATE INDEX tasks_created ON tasks (created_at);
    CREATE INDEX tasks_visitor_status ON tasks (visitor, status);
    CREATE TABLE links (
        seq BIGSERIAL UNIQUE,
        token TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        record_id TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        path TEXT
    );
    CREATE INDEX links_record ON links (record_id, kind);
    CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # v2: the owner's controls (SQLite v5) and the seed the provider used (SQLite v6)
    """
    CREATE TABLE owner_controls (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    );
    ALTER TABLE tasks ADD COLUMN seed BIGINT;
    """,
    # v3: batches (SQLite v7; issue 20): the group, what and which one, the kept variation
    """
    ALTER TABLE tasks ADD COLUMN group_id TEXT;
    ALTER TABLE tasks ADD COLUMN group_kind TEXT;
    ALTER TABLE tasks ADD COLUMN group_position INTEGER;
    ALTER TABLE tasks ADD COLUMN group_size INTEGER;
    ALTER TABLE tasks ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tasks_group ON tasks (group_id);
    """,
    # v4: the cast and the provider upload cache (SQLite v8)
    """
    CREATE TABLE characters (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        name_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        storage_key TEXT NOT NULL,
        voice_key TEXT,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE UNIQUE INDEX characters_owner_name ON characters (owner, name_key);
    CREATE INDEX characters_owner_created ON characters (owner, created_at);
    CREATE TABLE uploads (
        profile TEXT NOT NULL,
        key_fingerprint TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        url TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (profile, key_fingerprint, sha256)
    );
    CREATE INDEX uploads_expires ON uploads (expires_at);
    """,
]
PG_SCHEMA_VERSION = len(PG_MIGRATIONS)


def migrate(conn: Any) -> list[int]:
    """Bring the database to `PG_SCHEMA_VERSION` on `conn` (a psycopg connection in
    autocommit mode) in one transaction under `MIGRATION_LOCK`; the versions applied here
    (empty when another replica already did). Refuses a database of a newer app."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " applied_at DOUBLE PRECISION NOT NULL, applied_by TEXT NOT NULL)"
        )
        version = current_version(conn)
        if version > PG_SCHEMA_VERSION:
            raise StoreError(
                f"the database has schema version {version}, newer than this app ({PG_SCHEMA_VERSION});"
                " upgrade the app or use another WAN_DATABASE_URL"
            )
        for number in range(version, PG_SCHEMA_VERSION):
            for statement in PG_MIGRATIONS[number].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at, applied_by) VALUES (%s, %s, %s)",
                (number + 1, time.time(), f"pid {os.getpid()}"),
            )
            applied.append(number + 1)
    return applied


def current_version(conn: Any) -> int:
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])
