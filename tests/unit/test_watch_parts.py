"""The watcher's parts on their own: event recorder, retry schedule, fan-out, leases."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from wanvideo.events import Completed, Downloading, Failed, FailureReason, Progress, Submitted
from wanvideo.store import TaskRecord, TaskStore
from wanvideo.task_status import COMPLETED, EXPIRED, FAILED, PENDING, SUBMITTED
from wanvideo.watcher.fanout import FanOut
from wanvideo.watcher.leases import LeaseKeeper
from wanvideo.watcher.recorder import EventRecorder, Outcome, snapshot_event
from wanvideo.watcher.retry import RetrySchedule

LINK = "https://cdn.test/r/task-1.mp4"


@pytest.fixture
def store(tmp_path: Path):
    s = TaskStore(tmp_path / "tasks.sqlite3")
    yield s
    s.close()


@pytest.fixture
def recorder(store, tmp_path):
    changes: list[TaskRecord] = []
    r = EventRecorder(store, tmp_path / "videos", on_change=changes.append)
    r.changes = changes  # type: ignore[attr-defined]
    return r


def _submitted(store: TaskStore, recorder: EventRecorder) -> TaskRecord:
    record = store.insert(TaskRecord.new(owner="anon:a", provider="evolink", request={"prompt": "p"}))
    recorder.record(record.id, Submitted(task_id="task-1", credits_reserved=Decimal(5), idempotency_key="k"))
    return store.get(record.id)


def test_submitted_stores_the_task_id_and_notifies(store, recorder):
    record = _submitted(store, recorder)
    assert record.task_id == "task-1" and record.status == SUBMITTED and record.credits_reserved == 5
    assert recorder.changes[-1].task_id == "task-1"
    step = recorder.record(record.id, Progress("task-1", "pending", 10.0, 1.0, None))
    assert step.outcome is None and isinstance(step.publish, Progress)
    assert store.get(record.id).status == PENDING


def test_failed_is_routed_by_reason_never_by_its_words(store, recorder):
    record = _submitted(store, recorder)
    # "not found" in the text of a provider failure does not make it "expired"
    words = Failed(
        message="Reference not found at the link", task_id="task-1", reason=FailureReason.PROVIDER_FAILED
    )
    step = recorder.record(record.id, words)
    assert step.outcome is Outcome.DONE and step.publish is words
    saved = store.get(record.id)
    assert saved.status == FAILED and saved.error["reason"] == "provider_failed"
    assert snapshot_event(saved).reason is FailureReason.PROVIDER_FAILED


def test_expired_reason_settles_expired(store, recorder):
    record = _submitted(store, recorder)
    step = recorder.record(record.id, Failed(message="gone", task_id="task-1", reason=FailureReason.EXPIRED))
    assert step.outcome is Outcome.DONE and store.get(record.id).status == EXPIRED


def test_download_failure_keeps_the_link_as_a_field_and_retries(store, recorder):
    record = _submitted(store, recorder)
    event = Failed(
        message="could not be saved",
        suggestion="no link in here",
        task_id="task-1",
        charged=True,
        reason=FailureReason.DOWNLOAD_FAILED,
        result_url=LINK,
    )
    step = recorder.record(record.id, event)
    assert step.outcome is Outcome.RETRY_DOWNLOAD and step.publish is None
    saved = store.get(record.id)
    assert saved.result_url == LINK and saved.download_attempts == 1 and not saved.is_final
    given_up = recorder.give_up_download(saved)
    assert (
        given_up.result_url == LINK and given_up.charged and given_up.reason is FailureReason.DOWNLOAD_FAILED
    )
    final = store.get(record.id)
    assert final.status == FAILED and snapshot_event(final).result_url == LINK


def test_task_that_may_go_on_is_watched_again(store, recorder):
    record = _submitted(store, recorder)
    lost = Failed(message="x", task_id="task-1", task_continues=True, reason=FailureReason.CONNECTION)
    assert recorder.record(record.id, lost).outcome is Outcome.REWATCH
    assert not store.get(record.id).is_final


def test_completed_is_published_only_after_the_file_is_in_place(store, recorder, tmp_path):
    record = _submitted(store, recorder)
    recorder.record(record.id, Downloading("task-1", 0, None, result_url=LINK))
    part = tmp_path / "incoming.mp4"
    part.write_bytes(b"video")
    step = recorder.record(record.id, Completed("task-1", part, Decimal("47.6")))
    saved = store.get(record.id)
    assert step.outcome is Outcome.DONE and saved.status == COMPLETED and saved.result_url == LINK
    assert isinstance(step.publish, Completed) and step.publish.video_path == saved.video_path
    assert saved.video_path.read_bytes() == b"video" and not part.exists()


def test_completed_whose_file_cannot_be_moved_is_retried(store, recorder, tmp_path):
    record = _submitted(store, recorder)
    step = recorder.record(record.id, Completed("task-1", tmp_path / "missing.mp4", None))
    assert step.outcome is Outcome.RETRY_DOWNLOAD and step.publish is None
    assert store.get(record.id).status != COMPLETED


def test_snapshot_of_an_unconfirmed_record_has_no_task_id(store):
    record = store.insert(TaskRecord.new(owner="anon:a", provider="evolink", request={"prompt": "p"}))
    event = snapshot_event(record)
    assert isinstance(event, Progress) and event.task_id is None


def test_retry_schedule_downloads_while_the_link_lives_backing_off_to_hourly():
    schedule = RetrySchedule((5.0, 600.0), rewatch_delay=10.0, rewatch_max_delay=35.0)
    assert [schedule.download_delay(n, age=0) for n in range(6)] == [
        5.0,
        600.0,
        1200.0,
        2400.0,
        3600.0,
        3600.0,
    ]
    assert schedule.download_delay(9, age=20 * 3600) == 3600.0
    assert schedule.download_delay(9, age=23.5 * 3600) is None  # the link expires before the next try
    assert RetrySchedule(()).download_delay(0, age=0) is None  # no retries configured
    assert [schedule.rewatch_delay_for(n) for n in range(4)] == [10.0, 20.0, 35.0, 35.0]


def test_download_resumable():
    import dataclasses
    import time

    from wanvideo.task_status import DOWNLOADING
    from wanvideo.watcher.triage import download_resumable

    now = time.time()
    base = TaskRecord.new(owner="a", provider="evolink", request={}, now=now - 60)
    made = dataclasses.replace(base, task_id="t", submitted_at=now - 60)
    assert download_resumable(dataclasses.replace(made, status=DOWNLOADING), now)
    assert download_resumable(dataclasses.replace(made, status=FAILED, error={"charged": True}), now)
    assert download_resumable(dataclasses.replace(made, status=EXPIRED, error={"charged": True}), now)
    assert not download_resumable(dataclasses.replace(made, status=FAILED, error={"charged": False}), now)
    assert not download_resumable(dataclasses.replace(made, status=DOWNLOADING), now + 24 * 3600)
    assert not download_resumable(dataclasses.replace(base, status=DOWNLOADING), now)  # no task id


def test_fanout_reaches_followers_on_other_loops():
    fanout = FanOut()
    got: list[object] = []
    ready = threading.Event()

    def follower() -> None:
        async def run() -> None:
            with fanout.following("r1") as queue:
                ready.set()
                got.append(await asyncio.wait_for(queue.get(), 5))

        asyncio.run(run())

    thread = threading.Thread(target=follower)
    thread.start()
    assert ready.wait(5)
    fanout.publish("r2", "not for r1")
    fanout.publish("r1", "hello")
    thread.join(5)
    assert got == ["hello"]
    fanout.publish("r1", "nobody listens")  # no follower left: nothing to deliver, no error


def test_a_lost_lease_is_reported_on_renewal(store):
    record = store.insert(TaskRecord.new(owner="anon:a", provider="evolink", request={"prompt": "p"}))
    mine = LeaseKeeper(store, "host:1:a", ttl=-1.0)  # every lease it takes has lapsed already
    other = LeaseKeeper(store, "host:2:b", ttl=60)
    assert mine.claim(record.id)
    assert mine.renew([record.id]) == []  # still ours
    assert other.claim(record.id)  # a stalled worker's lease lapsed: another one takes the task
    assert mine.renew([record.id]) == [record.id]
    assert store.get(record.id).lease_owner == "host:2:b"


# --- key custody and the store's concerns (the parts TaskManager and TaskStore compose) ---


def test_key_custody_binds_a_visitors_key_and_never_falls_back_to_the_servers() -> None:
    from types import SimpleNamespace

    from pydantic import SecretStr

    from wanvideo.store import KEY_VISITOR
    from wanvideo.watcher.keys import KeyCustody

    keys = KeyCustody(SimpleNamespace(api_key=SecretStr(" server-key ")))  # type: ignore[arg-type]
    own = TaskRecord.new(owner="anon:a", provider="evolink", request={}, key_source=KEY_VISITOR)
    server = TaskRecord.new(owner="anon:a", provider="evolink", request={})
    assert keys.for_record(server) == (True, "server-key")
    assert keys.for_record(own) == (False, None)  # gone (a restart): never the server's key
    assert keys.for_record(own, SecretStr("given-now")) == (True, "given-now")
    keys.bind(own.id, "visitor-key")
    assert keys.for_record(own) == (True, "visitor-key")
    assert own.id in keys.bound
    keys.forget(own.id)
    assert keys.for_record(own) == (False, None)


def test_the_stores_concerns_share_one_connection_and_a_refused_reservation_stores_nothing(
    tmp_path: Path,
) -> None:
    from datetime import datetime, timezone

    from wanvideo.budget import Limits, SpendRefused
    from wanvideo.store import SQLiteDatabase, SQLiteLeases, SQLiteRecords, SQLiteSpend

    db = SQLiteDatabase(tmp_path / "tasks.sqlite3")
    records = SQLiteRecords(db)
    spend = SQLiteSpend(db, records)
    leases = SQLiteLeases(db)
    limits = Limits(Decimal(50), None, None, "configured")
    now = datetime.now(timezone.utc)

    def reserved(credits: str) -> TaskRecord:
        return TaskRecord.new(
            owner="v", provider="evolink", request={}, visitor="v", spend_credits=Decimal(credits)
        )

    first = spend.insert_within_budget(reserved("40"), limits, now)
    with pytest.raises(SpendRefused):
        spend.insert_within_budget(reserved("40"), limits, now)
    assert [r.id for r in records.list_for_owner("v")] == [first.id]  # the refused one is not there
    assert not db.conn().in_transaction  # rolled back, the connection free for the next write
    assert leases.claim(first.id, "w1", ttl=60) and leases.lease_holders() == {"w1"}
    db.close()
