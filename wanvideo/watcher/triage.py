"""What happens to an unfinished task found in the store (at start, and on every sweep).

A pure function of the record, the time and what this process knows::

    decision = triage(record, now, profile, keys, busy=manager_ids)
    decision.action   # Action.WATCH, SETTLE, NEEDS_KEY or SKIP
    decision.status, decision.message, decision.suggestion, decision.reason   # for SETTLE / NEEDS_KEY

| record                                     | action                                |
|--------------------------------------------|---------------------------------------|
| this process runs it already (`busy`)      | SKIP                                  |
| needs_key and no key given since           | SKIP (waits for `resume`)             |
| older than `max_age` (24 h)                | SETTLE expired                        |
| the provider never confirmed it            | SETTLE interrupted                    |
| on a provider it cannot run on here (not   | NEEDS_KEY (cannot be watched here)    |
| offered now; another provider on the       |                                       |
| server's key): `profile` is not its own    |                                       |
| started with a visitor's key, not in `keys`| NEEDS_KEY                             |
| otherwise                                  | WATCH                                 |
"""

from __future__ import annotations

import enum
from collections.abc import Container
from dataclasses import dataclass

from ..events import FailureReason
from ..messages import Message
from ..providers import ProviderProfile
from ..store import KEY_VISITOR, TaskRecord
from ..task_status import DOWNLOADING, EXPIRED, FAILED, INTERRUPTED, NEEDS_KEY
from ..timings import PROVIDER_TASK_LIFETIME

__all__ = [
    "MAX_TASK_AGE",
    "NEEDS_KEY_MESSAGE",
    "Action",
    "Decision",
    "download_resumable",
    "task_age",
    "triage",
]

MAX_TASK_AGE = PROVIDER_TASK_LIFETIME

NEEDS_KEY_MESSAGE = Message("triage.needs_key")
EXPIRED_MESSAGE = Message("triage.expired")
EXPIRED_SUGGESTION = Message("triage.expired_hint")
INTERRUPTED_MESSAGE = Message("triage.interrupted")


class Action(enum.Enum):
    SKIP = "skip"  # leave it as it is
    SETTLE = "settle"  # store a final status; nothing to watch
    NEEDS_KEY = "needs_key"  # store needs_key; `resume` with a key watches it again
    WATCH = "watch"  # watch it here until its video is saved


@dataclass(frozen=True)
class Decision:
    action: Action
    status: str | None = None
    message: str = ""
    suggestion: str = ""
    reason: FailureReason | None = None


def task_age(record: TaskRecord, now: float) -> float:
    """Seconds since the provider accepted the task (or since the record, before that)."""
    return now - (record.submitted_at or record.created_at)


def triage(
    record: TaskRecord,
    now: float,
    profile: ProviderProfile,
    keys: Container[str],
    *,
    busy: Container[str] = (),
    max_age: float = MAX_TASK_AGE,
) -> Decision:
    """Decide what to do with an unfinished `record`. `profile`: the one it runs on, rebuilt
    from its provider and model (the configured one where it cannot run here); `keys`: record
    ids with a visitor's key in memory; `busy`: record ids this process has accepted or
    watches already."""
    if record.id in busy:
        return Decision(Action.SKIP)
    if record.status == NEEDS_KEY and record.id not in keys:
        return Decision(Action.SKIP)
    if task_age(record, now) > max_age:
        return Decision(Action.SETTLE, EXPIRED, EXPIRED_MESSAGE, EXPIRED_SUGGESTION, FailureReason.EXPIRED)
    if record.task_id is None:
        return Decision(
            Action.SETTLE,
            INTERRUPTED,
            INTERRUPTED_MESSAGE,
            Message("triage.interrupted_hint", key=record.idempotency_key),
            FailureReason.INTERRUPTED,
        )
    if record.provider != profile.name:
        return Decision(
            Action.NEEDS_KEY,
            NEEDS_KEY,
            Message("triage.other_provider", provider=record.provider, now=profile.name),
            reason=FailureReason.NEEDS_KEY,
        )
    if record.key_source == KEY_VISITOR and record.id not in keys:
        return Decision(Action.NEEDS_KEY, NEEDS_KEY, NEEDS_KEY_MESSAGE, reason=FailureReason.NEEDS_KEY)
    return Decision(Action.WATCH)


def download_resumable(record: TaskRecord, now: float, max_age: float = MAX_TASK_AGE) -> bool:
    """Can "Retry download" fetch this record's video? Yes when the provider made (and billed)
    it, it is not saved, and its link may still work (younger than `max_age`)."""
    if record.task_id is None or record.has_video or task_age(record, now) >= max_age:
        return False
    if record.status == DOWNLOADING:
        return True
    return record.status in (FAILED, EXPIRED) and bool((record.error or {}).get("charged"))
