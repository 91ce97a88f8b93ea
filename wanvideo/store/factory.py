"""`open_store(settings)`: the one place that picks the store's backend. `WAN_DATABASE_URL`
empty: the SQLite file in the data folder (the default, one machine); a postgresql:// URL:
PostgreSQL, shared by several replicas (imported only then: psycopg loads nothing otherwise)."""

from __future__ import annotations

from ..settings import Settings
from .base import TaskStoreBase
from .task_store import SQLiteTaskStore

DB_FILE = "tasks.sqlite3"


def open_store(settings: Settings) -> TaskStoreBase:
    if settings.database_url is None:
        return SQLiteTaskStore(settings.data_dir / DB_FILE)
    from .pg_store import PostgresTaskStore

    return PostgresTaskStore(settings.database_url.get_secret_value(), base_dir=settings.data_dir)
