"""TaskStore: schema versioning, owner isolation, leases, never a key, several workers.

The contract tests take `store` / `open_store` (tests/engines/stores.py) and run on SQLite
and on a real PostgreSQL; the SQLite file's own tests (WAL, PRAGMA versions, its mode) open
`TaskStore` on a path."""

from __future__ import annotations

import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from wanvideo.store import (
    COMPLETED,
    NEEDS_KEY,
    PROCESSING,
    SCHEMA_VERSION,
    SUBMITTED,
    StoreError,
    TaskRecord,
    TaskStore,
)


def _record(owner: str = "anon:a", **request: object) -> TaskRecord:
    return TaskRecord.new(owner=owner, provider="evolink", request={"prompt": "character1 waves", **request})


@pytest.fixture
def sqlite_store(tmp_path: Path) -> TaskStore:
    s = TaskStore(tmp_path / "tasks.sqlite3")
    yield s
    s.close()


def test_schema_is_versioned_and_uses_wal(sqlite_store: TaskStore) -> None:
    store = sqlite_store
    assert store.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_reopening_keeps_records_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    first = TaskStore(tmp_path / "t.sqlite3")
    rec = first.insert(_record())
    first.close()
    again = TaskStore(tmp_path / "t.sqlite3")
    assert again.get(rec.id) == rec
    again.close()
    conn = sqlite3.connect(tmp_path / "t.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this app"):
        TaskStore(tmp_path / "t.sqlite3")


def test_round_trip_of_every_field(store: TaskStore, tmp_path: Path) -> None:
    assert store.base_dir == tmp_path.resolve()
    rec = store.insert(_record(quality="1080p", references=["a.mp4"]))
    video = tmp_path / "videos" / f"{rec.video_token}.mp4"
    updated = store.update(
        rec.id,
        status=COMPLETED,
        task_id="task-1",
        progress=100.0,
        estimate={"credits": "47.6", "usd": "0.70"},
        credits_charged=Decimal("47.60"),
        video_path=video,
        error=None,
    )
    assert updated is not None
    assert updated.credits_charged == Decimal("47.60")
    assert updated.video_path == video.resolve()
    # stored relative to the data folder, so the folder can move
    raw = store.db.conn().execute("SELECT video_path FROM tasks").fetchone()[0]
    assert raw == f"videos/{rec.video_token}.mp4"
    assert store.get(rec.id).estimate == {"credits": "47.6", "usd": "0.70"}


def test_owner_isolation(store: TaskStore) -> None:
    a = store.insert(_record("anon:a"))
    b = store.insert(_record("anon:b"))
    assert store.get(a.id, owner="anon:b") is None
    assert store.get(a.id, owner="anon:a") == a
    assert [r.id for r in store.list_for_owner("anon:b")] == [b.id]
    assert not store.delete(a.id, owner="anon:b")
    assert store.get(a.id) is not None


def test_newest_first(store: TaskStore) -> None:
    ids = []
    for i in range(3):
        rec = TaskRecord.new(owner="anon:a", provider="evolink", request={"prompt": str(i)}, now=1000.0 + i)
        ids.append(store.insert(rec).id)
    assert [r.id for r in store.list_for_owner("anon:a")] == ids[::-1]


def test_a_record_never_holds_a_key(store: TaskStore) -> None:
    with pytest.raises(ValueError):
        _record(api_key="sk-secret")
    rec = store.insert(_record())
    with pytest.raises(StoreError, match="never holds an API key"):
        store.insert(
            TaskRecord(**{**rec.__dict__, "id": "r2", "video_token": "t2", "request": {"api_key": "sk-x"}})
        )
    rows = store.db.conn().execute("SELECT * FROM tasks").fetchall()
    assert len(rows) == 1 and not any("sk-" in str(value) for value in rows[0])
    if isinstance(store, TaskStore):
        assert "sk-" not in Path(store.path).read_bytes().decode("latin-1")
    assert "idempotency_key" not in rec.public_dict() and "owner" not in rec.public_dict()


def test_unfinished_and_unknown_fields(store: TaskStore) -> None:
    running = store.insert(_record())
    store.update(running.id, status=PROCESSING, task_id="t")
    waiting = store.insert(_record())
    store.update(waiting.id, status=NEEDS_KEY)
    done = store.insert(_record())
    store.update(done.id, status=COMPLETED)
    assert {r.id for r in store.unfinished()} == {running.id, waiting.id}
    with pytest.raises(StoreError):
        store.update(running.id, owner="anon:thief")
    with pytest.raises(StoreError):
        store.update(running.id, nonsense=1)


def test_leases(store: TaskStore) -> None:
    rec = store.insert(_record())
    assert store.claim(rec.id, "w1", ttl=60)
    assert store.claim(rec.id, "w1", ttl=60)  # renew
    assert not store.claim(rec.id, "w2", ttl=60)
    assert store.claim(rec.id, "w2", ttl=60, steal_from=["w1"])  # w1 is known dead
    store.release(rec.id, "w2")
    assert store.claim(rec.id, "w3", ttl=0.01)
    time.sleep(0.05)
    assert store.claim(rec.id, "w4", ttl=60)  # expired


def test_concurrent_writers(open_store) -> None:
    """Two stores (as two app workers would) and several threads write at once."""
    one, two = open_store(), open_store()
    records = [one.insert(_record(f"anon:{i % 3}")) for i in range(10)]
    errors: list[BaseException] = []

    def work(s: TaskStore, n: int) -> None:
        try:
            for i in range(30):
                rec = records[(i + n) % len(records)]
                s.update(rec.id, progress=float(i), status=SUBMITTED)
                s.list_for_owner(rec.owner)
        except BaseException as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s, n)) for n, s in enumerate([one, two, one, two])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(one.unfinished()) == 10


def test_a_record_can_be_inserted_already_leased(store: TaskStore) -> None:
    """submit inserts its record leased to its own worker: no sweep can claim it in between."""
    rec = store.insert(
        TaskRecord.new(
            owner="anon:a", provider="evolink", request={"prompt": "p"}, lease_owner="w1", lease_ttl=60
        )
    )
    assert store.get(rec.id).lease_owner == "w1"
    assert not store.claim(rec.id, "w2", ttl=60)
    assert store.lease_holders() == {"w1"}


def test_renew_only_extends_a_lease_still_held(store: TaskStore) -> None:
    rec = store.insert(_record())
    assert store.claim(rec.id, "w1", ttl=-1)  # lapsed at once
    assert store.renew(rec.id, "w1", ttl=60)
    assert store.claim(rec.id, "w2", ttl=-1) is False  # renewed: still w1's
    assert store.claim(rec.id, "w1", ttl=-1)
    assert store.claim(rec.id, "w2", ttl=60)  # lapsed: w2 takes it
    assert not store.renew(rec.id, "w1", ttl=60)  # w1 learns it lost the task


def test_a_version_1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    from wanvideo.store import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO tasks (id, owner, provider, request, status, created_at, updated_at, video_token) "
        "VALUES ('r1', 'anon:a', 'evolink', '{}', 'completed', 1, 1, 'tok')"
    )
    conn.commit()
    conn.close()
    store = TaskStore(path)
    assert (
        store.schema_version() == SCHEMA_VERSION == 8
    )  # v5 the owner's controls, v6 the seed, v7 batches, v8 the cast
    old = store.get("r1")
    assert old.status == COMPLETED and old.spend_credits is None and old.visitor is None
    store.close()


def test_a_version_3_database_gains_each_tasks_model_from_its_request(tmp_path: Path) -> None:
    """v4 keeps the model a task runs on as a field; older records take their request's."""
    from wanvideo.store import MIGRATIONS

    path = tmp_path / "v3.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("; ".join(MIGRATIONS[:3]) + "; PRAGMA user_version = 3;")
    for record_id, request in (("r1", '{"model": "flash"}'), ("r2", "{}"), ("r3", "not json")):
        conn.execute(
            "INSERT INTO tasks (id, owner, provider, request, status, created_at, updated_at, video_token) "
            "VALUES (?, 'anon:a', 'fal', ?, 'submitted', 1, 1, ?)",
            (record_id, request, "tok-" + record_id),
        )
    conn.commit()
    conn.close()
    store = TaskStore(path)
    assert store.schema_version() == 8  # then v5 to v8 too
    assert store.get("r1").model == "flash"
    assert store.get("r2").model is None
    raw = sqlite3.connect(path).execute("SELECT request, model FROM tasks WHERE id = 'r3'").fetchone()
    assert raw == ("not json", None)  # an unreadable request does not stop the upgrade
    fresh = store.insert(
        TaskRecord.new(owner="anon:a", provider="dashscope-beijing", request={}, model="flash")
    )
    assert store.get(fresh.id).model == "flash"
    store.close()


def test_a_version_4_database_gains_the_seed_column(tmp_path: Path) -> None:
    """v6 keeps the seed the provider reports (issue 17); older records have none."""
    from wanvideo.store import MIGRATIONS

    path = tmp_path / "v4.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("; ".join(MIGRATIONS[:4]) + "; PRAGMA user_version = 4;")
    conn.execute(
        "INSERT INTO tasks (id, owner, provider, request, status, created_at, updated_at, video_token) "
        "VALUES ('r1', 'anon:a', 'fal', '{}', 'completed', 1, 1, 'tok')"
    )
    conn.commit()
    conn.close()
    store = TaskStore(path)
    assert store.get("r1").seed is None
    fresh = store.insert(TaskRecord.new(owner="anon:a", provider="fal", request={}))
    store.update(fresh.id, seed=2_147_483_647)
    assert store.get(fresh.id).seed == 2_147_483_647
    assert store.get(fresh.id).public_dict()["seed"] == 2_147_483_647
    store.close()


def test_the_database_is_created_private(tmp_path):
    import stat

    path = tmp_path / "data" / "tasks.sqlite3"
    TaskStore(path).list_for_owner("anon:a")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
