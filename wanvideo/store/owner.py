"""The owner's controls (pause switch, limit overrides, alert threshold) as the store keeps
them: the `owner_controls` table, one row per control that is set. Portable SQL (an upsert
with `ON CONFLICT ... DO UPDATE`, which PostgreSQL has too), so every replica on one database
sees the same switch without a restart."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from ..controls import OwnerControls
from .sqlite import SQLiteDatabase


class OwnerStore(ABC):
    """Every method is thread-safe."""

    @abstractmethod
    def owner_controls(self) -> OwnerControls:
        """The controls in force now (defaults for those never set)."""

    @abstractmethod
    def set_owner_controls(self, **changes: object) -> OwnerControls:
        """Set some controls (`paused=True`, `daily=Decimal(100)`; None removes an override)
        in one transaction; returns the controls in force after it."""


class SQLiteOwnerControls(OwnerStore):
    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def owner_controls(self) -> OwnerControls:
        rows = self.db.conn().execute("SELECT name, value FROM owner_controls").fetchall()
        return OwnerControls.from_values({row["name"]: row["value"] for row in rows})

    def set_owner_controls(self, **changes: object) -> OwnerControls:
        values = {name: OwnerControls.as_text(name, value) for name, value in changes.items()}
        now = time.time()
        with self.db.transaction() as conn:
            for name, text in values.items():
                if text is None:
                    conn.execute("DELETE FROM owner_controls WHERE name = ?", (name,))
                else:
                    conn.execute(
                        "INSERT INTO owner_controls (name, value, updated_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                        (name, text, now),
                    )
        return self.owner_controls()
