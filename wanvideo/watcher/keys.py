"""Key custody: which key a job runs with. A visitor's own key is bound to its record id in
memory only (never stored, never logged) and a task started with it never falls back to the
server's key; a task on the server's key always takes `settings.api_key` (the demo
placeholder in demo mode: None)."""

from __future__ import annotations

from pydantic import SecretStr

from ..settings import Settings
from ..store import KEY_VISITOR, TaskRecord

Key = str | None  # the key a job uses: a visitor's, or the server's (None: demo placeholder)


def plain_key(api_key: str | SecretStr | None) -> str | None:
    if isinstance(api_key, SecretStr):
        api_key = api_key.get_secret_value()
    return (api_key or "").strip() or None


class KeyCustody:
    """Record id -> the visitor's key it was started (or resumed) with, for this process only."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bound: dict[str, str] = {}  # memory only; `triage` reads it (who can run here)

    def server_key(self) -> Key:
        return plain_key(self.settings.api_key)

    def bind(self, record_id: str, visitor_key: str) -> None:
        self.bound[record_id] = visitor_key

    def forget(self, record_id: str) -> None:
        self.bound.pop(record_id, None)

    def for_record(self, record: TaskRecord, given: str | SecretStr | None = None) -> tuple[bool, Key]:
        """(known, key) for a job of `record`: on a visitor's key the one `given` now, else
        the one bound here (known False when neither: it is gone after a restart); on the
        server's key always the server's."""
        if record.key_source != KEY_VISITOR:
            return True, self.server_key()
        key = plain_key(given) or self.bound.get(record.id)
        return key is not None, key
