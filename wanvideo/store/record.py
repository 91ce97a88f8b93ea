"""A task record as the app remembers it, and a link a provider may call (plain data)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..ids import new_idempotency_key, new_record_id, new_video_token
from ..task_status import FINAL_STATUSES, QUEUED, RUNNING_STATUSES, status_label

KEY_SERVER = "server"
KEY_VISITOR = "visitor"


@dataclass(frozen=True)
class TaskRecord:
    """One generation as the app remembers it."""

    id: str
    owner: str
    provider: str
    request: dict[str, Any]  # prompt, settings, reference names; never a key
    status: str = QUEUED
    progress: float = 0.0
    message: str = ""
    task_id: str | None = None
    estimate: dict[str, Any] | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    submitted_at: float | None = None
    finished_at: float | None = None
    result_url: str | None = None
    video_path: Path | None = None  # absolute; stored relative to the data folder
    video_token: str = ""
    credits_reserved: Decimal | None = None
    credits_charged: Decimal | None = None
    error: dict[str, Any] | None = None  # {"code", "message", "suggestion"}
    key_source: str = KEY_SERVER
    idempotency_key: str = ""
    download_attempts: int = 0
    lease_owner: str | None = None
    lease_expires: float | None = None
    # Spend guard: who started it (every task counts against its visitor's generations in
    # flight), and what it counts against the credit limits (server key only: the reserved
    # estimate, then the provider's charge; 0 once it failed uncharged). None: a visitor's own
    # key or demo mode, counted against no credits.
    visitor: str | None = None
    spend_credits: Decimal | None = None
    # The model variant id the task runs on (`ProviderProfile.model`). With `provider` (the
    # profile name, which holds its region) it rebuilds the task's profile after a
    # restart. None: a record from before schema v4 without a model (the provider's default).
    model: str | None = None

    @classmethod
    def new(
        cls,
        *,
        owner: str,
        provider: str,
        request: Mapping[str, Any],
        key_source: str = KEY_SERVER,
        estimate: Mapping[str, Any] | None = None,
        now: float | None = None,
        message: str = "",
        lease_owner: str | None = None,
        lease_ttl: float = 0.0,
        visitor: str | None = None,
        spend_credits: Decimal | None = None,
        model: str | None = None,
    ) -> TaskRecord:
        """A fresh record. With `lease_owner` it is inserted already claimed by that worker,
        so no start-up sweep (of this or another process) can take it between insert and claim."""
        now = time.time() if now is None else now
        if "api_key" in request:
            raise ValueError("a task record never holds an API key")
        return cls(
            id=new_record_id(),
            owner=owner,
            provider=provider,
            request=dict(request),
            estimate=dict(estimate) if estimate else None,
            created_at=now,
            updated_at=now,
            video_token=new_video_token(),
            key_source=key_source,
            idempotency_key=new_idempotency_key(),
            message=message,
            lease_owner=lease_owner,
            lease_expires=now + lease_ttl if lease_owner else None,
            visitor=visitor,
            spend_credits=spend_credits,
            model=model,
        )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def has_video(self) -> bool:
        return self.video_path is not None and self.video_path.is_file()

    def public_dict(self) -> dict[str, Any]:
        """JSON-safe view for the UI and the API: no lease, token or idempotency data."""
        hidden = {"lease_owner", "lease_expires", "video_token", "idempotency_key", "owner", "visitor"}
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in hidden:
                continue
            value = getattr(self, f.name)
            if isinstance(value, Decimal | Path):
                value = str(value)
            out[f.name] = value
        return out


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
