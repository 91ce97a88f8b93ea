"""A batch's records reserved together (issue 20), on SQLite and on PostgreSQL: refused whole
when the sum does not fit, the group kept as typed fields, and concurrent batches from two
stores on one database never exceeding the daily limit."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from wanvideo.budget import Limit, Limits, SpendRefused
from wanvideo.ids import new_group_id
from wanvideo.store import TaskRecord, TaskStoreBase

NOW = datetime.now(timezone.utc)
DAILY_100 = Limits(Decimal(100), None, None, "configured")


def _batch(size: int, credits: str, visitor: str = "v1", owner: str = "anon:a") -> list[TaskRecord]:
    group = new_group_id()
    return [
        TaskRecord.new(
            owner=owner,
            provider="evolink",
            request={"prompt": "p"},
            visitor=visitor,
            spend_credits=Decimal(credits),
            seed=100 + position,
            group_id=group,
            group_kind="variation",
            group_position=position,
            group_size=size,
        )
        for position in range(1, size + 1)
    ]


def test_a_batch_over_the_daily_limit_is_refused_whole(store: TaskStoreBase) -> None:
    three = _batch(3, "47.60")  # 142.80 of 100: room for 2, not 3
    with pytest.raises(SpendRefused) as refused:
        store.insert_batch_within_budget(three, DAILY_100, NOW)
    assert refused.value.limit is Limit.DAILY and "these 3 generations" in str(refused.value)
    assert store.list_for_owner("anon:a") == []  # none of them stored
    two = _batch(2, "47.60")
    usage = store.insert_batch_within_budget(two, DAILY_100, NOW)
    assert usage.spent == 0 and usage.visitor_active == 0  # counted before the batch
    assert store.usage("v1", 0).spent == Decimal("95.20")


def test_a_batchs_records_share_their_group_as_typed_fields(store: TaskStoreBase) -> None:
    records = _batch(3, "1")
    store.insert_batch_within_budget(records, DAILY_100, NOW)
    group = store.group_records(records[0].group_id, "anon:a")
    assert [r.id for r in group] == [r.id for r in records]  # in submission order
    assert [(r.group_kind, r.group_position, r.group_size) for r in group] == [
        ("variation", 1, 3),
        ("variation", 2, 3),
        ("variation", 3, 3),
    ]
    assert [r.seed for r in group] == [101, 102, 103] and not any(r.kept for r in group)
    assert store.group_records(records[0].group_id, "anon:other") == []  # owner-scoped
    kept = store.update(records[1].id, kept=True)
    assert kept is not None and kept.kept is True and store.get(records[1].id).kept is True
    assert store.get(records[0].id).public_dict()["group_id"] == records[0].group_id


def test_a_batch_needs_one_free_slot_of_the_visitors_generations_in_flight(store: TaskStoreBase) -> None:
    limits = Limits(None, None, 2, "configured")
    store.insert_batch_within_budget(_batch(1, "0"), limits, NOW)
    usage = store.insert_batch_within_budget(_batch(3, "0"), limits, NOW)  # one slot was free
    assert usage.visitor_active == 1
    with pytest.raises(SpendRefused) as refused:
        store.insert_batch_within_budget(_batch(2, "0"), limits, NOW)
    assert refused.value.limit is Limit.VISITOR_ACTIVE and "these 2 generations" in str(refused.value)


def test_concurrent_batches_from_two_stores_never_exceed_the_daily_limit(open_store) -> None:
    """Two stores on one database (two app processes, or two replicas on PostgreSQL), eight
    batches of 2 x 20 credits at the same moment, a limit of 100: exactly two batches fit."""
    stores = [open_store(), open_store()]
    batches = [_batch(2, "20", visitor=f"v{i}", owner=f"anon:{i}") for i in range(8)]
    barrier = threading.Barrier(len(batches))
    accepted: list[int] = []
    refused: list[SpendRefused] = []

    def click(i: int) -> None:
        barrier.wait()
        try:
            stores[i % 2].insert_batch_within_budget(batches[i], DAILY_100, NOW)
            accepted.append(i)
        except SpendRefused as exc:
            refused.append(exc)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(accepted) == 2 and len(refused) == 6
    assert stores[0].usage(None, 0).spent == Decimal(80)
    stored = [r for i in range(len(batches)) for r in stores[1].list_for_owner(f"anon:{i}")]
    assert sorted(r.group_id for r in stored) == sorted(r.group_id for i in accepted for r in batches[i])
