"""Fresh identifiers: the one place ids, file tokens and idempotency keys are minted."""

from __future__ import annotations

import secrets
import uuid

__all__ = ["new_group_id", "new_idempotency_key", "new_link_token", "new_record_id", "new_video_token"]

IDEMPOTENCY_PREFIX = "wan-"


def new_record_id() -> str:
    """A task record's id (32 hex characters)."""
    return uuid.uuid4().hex


def new_group_id() -> str:
    """A batch's id (variations, a film's shots): 32 hex characters, shared by its records."""
    return uuid.uuid4().hex


def new_video_token() -> str:
    """An unguessable file name stem for a saved video (192 random bits)."""
    return secrets.token_urlsafe(24)


def new_idempotency_key() -> str:
    """A key for one generation: 36 chars of [a-z0-9-] (the API allows 16-96 of [A-Za-z0-9._-]).

    Minted once per click and stored with the record before anything is paid, so every
    retry of the create (and a check after a crash) uses the same key."""
    return IDEMPOTENCY_PREFIX + secrets.token_hex(16)


def new_link_token() -> str:
    """An unguessable path segment for a link the provider calls (a served reference, a
    task's wake-up callback): 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)
