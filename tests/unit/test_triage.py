"""triage(): what happens to an unfinished task found in the store, as a table."""

from __future__ import annotations

import dataclasses

import pytest

from wanvideo.events import FailureReason
from wanvideo.providers import get_profile
from wanvideo.store import KEY_SERVER, KEY_VISITOR, TaskRecord
from wanvideo.task_status import EXPIRED, INTERRUPTED, NEEDS_KEY, PROCESSING, QUEUED, SUBMITTED
from wanvideo.watcher.triage import MAX_TASK_AGE, NEEDS_KEY_MESSAGE, Action, triage

NOW = 1_800_000_000.0
EVOLINK = get_profile("evolink")


def _record(**changes) -> TaskRecord:
    base = TaskRecord.new(owner="anon:a", provider="evolink", request={"prompt": "p"}, now=NOW - 60)
    values = {"status": PROCESSING, "task_id": "task-1", "submitted_at": NOW - 50, **changes}
    return dataclasses.replace(base, **values)


# (record changes, keys holds it, busy, expected action, expected status, expected reason)
CASES = [
    ({}, False, False, Action.WATCH, None, None),
    ({}, False, True, Action.SKIP, None, None),  # this process accepted it already
    ({"status": QUEUED, "task_id": None, "submitted_at": None}, False, True, Action.SKIP, None, None),
    ({"status": NEEDS_KEY}, False, False, Action.SKIP, None, None),  # waits for resume
    ({"status": NEEDS_KEY, "key_source": KEY_VISITOR}, True, False, Action.WATCH, None, None),
    ({"submitted_at": NOW - MAX_TASK_AGE - 1}, False, False, Action.SETTLE, EXPIRED, FailureReason.EXPIRED),
    (
        {"status": QUEUED, "task_id": None, "submitted_at": None},
        False,
        False,
        Action.SETTLE,
        INTERRUPTED,
        FailureReason.INTERRUPTED,
    ),
    (
        {"status": SUBMITTED, "provider": "odkkk"},
        False,
        False,
        Action.NEEDS_KEY,
        NEEDS_KEY,
        FailureReason.NEEDS_KEY,
    ),
    ({"key_source": KEY_VISITOR}, False, False, Action.NEEDS_KEY, NEEDS_KEY, FailureReason.NEEDS_KEY),
    ({"key_source": KEY_VISITOR}, True, False, Action.WATCH, None, None),
    ({"key_source": KEY_SERVER, "status": "downloading"}, False, False, Action.WATCH, None, None),
]


@pytest.mark.parametrize(("changes", "has_key", "busy", "action", "status", "reason"), CASES)
def test_triage_table(changes, has_key, busy, action, status, reason):
    record = _record(**changes)
    decision = triage(
        record, NOW, EVOLINK, {record.id} if has_key else set(), busy={record.id} if busy else set()
    )
    assert (decision.action, decision.status, decision.reason) == (action, status, reason)


def test_messages_say_what_to_do():
    visitor = _record(key_source=KEY_VISITOR)
    assert triage(visitor, NOW, EVOLINK, set()).message == NEEDS_KEY_MESSAGE
    unconfirmed = _record(status=QUEUED, task_id=None, submitted_at=None)
    decision = triage(unconfirmed, NOW, EVOLINK, set())
    assert unconfirmed.idempotency_key in decision.suggestion
    other = _record(provider="odkkk")
    assert "odkkk" in triage(other, NOW, EVOLINK, set()).message


def test_age_counts_from_submit_and_the_limit_is_a_parameter():
    record = _record(submitted_at=NOW - 100)
    assert triage(record, NOW, EVOLINK, set(), max_age=99).action is Action.SETTLE
    assert triage(record, NOW, EVOLINK, set(), max_age=101).action is Action.WATCH
