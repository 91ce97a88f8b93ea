"""The store's concerns on both engines, as several replicas use them: two stores on one
database (each its own connections, as two app processes or two machines have) claim, reserve
and migrate at once. Run on SQLite and on a real PostgreSQL (tests/engines)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from wanvideo.budget import Limit, Limits, SpendRefused
from wanvideo.store import COMPLETED, LINK_REFERENCE, LINK_WAKE, Link, TaskRecord

ROOT = Path(__file__).resolve().parents[2]


def _record(**fields: object) -> TaskRecord:
    return TaskRecord.new(owner="anon:a", provider="evolink", request={"prompt": "p"}, **fields)


def _at_once(count: int, work) -> None:
    """Run work(n) for n in range(count) on threads released together; raise what failed."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as exc:  # pragma: no cover - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]


def test_two_replicas_claiming_the_same_tasks_at_once_get_each_exactly_once(open_store) -> None:
    one, two = open_store(), open_store()
    records = [one.insert(_record()) for _ in range(10)]
    won: dict[str, list[str]] = {r.id: [] for r in records}
    lock = threading.Lock()

    def claim(n: int) -> None:
        store, worker = (one, "host-a:1:x") if n % 2 == 0 else (two, "host-b:1:y")
        for record in records:
            if store.claim(record.id, f"{worker}{n}", ttl=60):
                with lock:
                    won[record.id].append(f"{worker}{n}")

    _at_once(8, claim)
    assert all(len(winners) == 1 for winners in won.values()), won
    assert {one.get(rid).lease_owner for rid in won} == {w[0] for w in won.values()}
    assert len(two.lease_holders()) >= 1


def test_many_reservations_from_two_replicas_never_exceed_the_daily_limits(open_store) -> None:
    """80 clicks at once from two stores, room for 10 overall (40 x 10 of 400 credits) and for
    2 per visitor: exactly what fits is created, whoever wins."""
    one, two = open_store(), open_store()
    limits = Limits(Decimal(400), Decimal(80), None, "configured")
    accepted: list[TaskRecord] = []
    refused: list[SpendRefused] = []
    lock = threading.Lock()

    def click(n: int) -> None:
        store = one if n % 2 == 0 else two
        for i in range(5):
            visitor = f"ip:10.0.0.{(n * 5 + i) % 8}"  # 8 visitors, 10 clicks each
            record = _record(visitor=visitor, spend_credits=Decimal(40))
            try:
                store.insert_within_budget(record, limits, datetime.now(timezone.utc))
                with lock:
                    accepted.append(record)
            except SpendRefused as exc:
                with lock:
                    refused.append(exc)

    _at_once(16, click)
    assert len(accepted) == 10 and len(refused) == 70
    per_visitor: dict[str | None, int] = {}
    for record in accepted:
        per_visitor[record.visitor] = per_visitor.get(record.visitor, 0) + 1
    assert max(per_visitor.values()) <= 2
    assert one.usage(None, since=0).spent == Decimal(400)
    assert {r.limit for r in refused} <= {Limit.DAILY, Limit.VISITOR_DAILY}


def test_links_are_kept_found_moved_and_forgotten(store, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    first = store.add_link(Link("tok-1", LINK_REFERENCE, "r1", 100.0, clip))
    store.add_link(Link("tok-2", LINK_REFERENCE, "r1", 200.0, None))
    store.add_link(Link("wake-1", LINK_WAKE, "r1", 300.0))
    assert store.find_link("tok-1", LINK_REFERENCE, now=50.0) == first
    assert store.find_link("tok-1", LINK_WAKE, now=50.0) is None  # another kind
    assert store.find_link("tok-1", LINK_REFERENCE, now=150.0) is None  # expired
    assert [link.token for link in store.links_for("r1", LINK_REFERENCE)] == ["tok-1", "tok-2"]
    store.set_link_expiry("r1", LINK_REFERENCE, 500.0)
    assert store.find_link("tok-1", LINK_REFERENCE, now=400.0) is not None
    assert store.delete_expired_links(now=400.0) == 1  # the wake link
    assert store.links_for("r1", LINK_WAKE) == []


def test_learned_run_times_and_retention(store, tmp_path: Path) -> None:
    for n, (model, seconds) in enumerate([("flash", 40.0), (None, 90.0), ("flash", 30.0), ("pro", 70.0)]):
        request = {"prompt": "p", **({"model": model} if model else {})}
        rec = store.insert(TaskRecord.new(owner="anon:a", provider="fal", request=request, model=model))
        video = tmp_path / "videos" / f"{n}.mp4"
        store.update(
            rec.id,
            status=COMPLETED,
            submitted_at=1000.0 + n,
            finished_at=1000.0 + n + seconds,
            video_path=video,
        )
    assert store.recent_run_seconds("fal", ["flash"]) == [40.0, 30.0]  # the latest finished first
    assert store.recent_run_seconds("fal", ["flash", None]) == [90.0, 40.0, 30.0]
    assert store.recent_run_seconds("fal", []) == [] and store.recent_run_seconds("evolink", ["flash"]) == []
    old = store.saved_before(1080.0)  # finished at 1040, 1091, 1032, 1073
    assert [r.video_path.name for r in old] == ["2.mp4", "0.mp4", "3.mp4"]  # oldest first


MIGRATE = """
import sys, time
from wanvideo.store.pg_store import PostgresTaskStore
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
PostgresTaskStore(sys.argv[1], base_dir=sys.argv[3]).close()
"""


def test_four_replicas_starting_at_once_migrate_once(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    start = time.time() + 2.0  # every process imported and waiting, then all open at once
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, pg_url, str(start), str(tmp_path)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    from wanvideo.store.pg_schema import PG_SCHEMA_VERSION

    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT version, applied_by FROM schema_migrations ORDER BY version").fetchall()
    assert [v for v, _ in rows] == list(range(1, PG_SCHEMA_VERSION + 1))
    assert len({by for _, by in rows}) == 1  # one process applied them all


def test_a_database_of_a_newer_app_is_refused(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    from wanvideo.store import StoreError
    from wanvideo.store.pg_store import PostgresTaskStore

    PostgresTaskStore(pg_url, base_dir=tmp_path).close()
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 0, 'a newer app')")
    with pytest.raises(StoreError, match="newer than this app"):
        PostgresTaskStore(pg_url, base_dir=tmp_path)


def test_replicas_with_their_own_folders_share_the_identity_through_postgresql(
    pg_url: str, tmp_path: Path
) -> None:
    """Without WAN_SESSION_SECRET each data folder would make its own secrets, so a visitor
    signed by one replica (and its browser state) would be a stranger to the other."""
    from wanvideo.identity import Identity
    from wanvideo.settings import load_settings
    from wanvideo.store import TaskStore
    from wanvideo.store.pg_store import PostgresTaskStore

    idents = []
    for name in ("a", "b"):
        store = PostgresTaskStore(pg_url, base_dir=tmp_path / name, pool_size=2)
        settings = load_settings({"WAN_DATA_DIR": str(tmp_path / name)})
        idents.append(Identity.for_settings(settings, shared=store.shared_secret))
        store.close()
    a, b = idents
    value = a.new_value()
    assert b.anonymous_owner(value) == a.anonymous_owner(value) is not None
    assert a.browser_secret == b.browser_secret
    assert not (tmp_path / "a" / "session_secret").exists()  # kept in the database, not a folder

    sqlite = TaskStore(tmp_path / "c" / "tasks.sqlite3")
    assert sqlite.shared_secret("session_secret", lambda: b"x" * 64) is None  # the folder's file
    sqlite.close()


def test_a_wake_published_by_one_replica_is_heard_by_the_other(pg_url: str, tmp_path: Path) -> None:
    """A provider's callback reaches the replica the balancer picks; the one watching the task
    hears it through NOTIFY (wanvideo/watcher/wakes.py relays it)."""
    from wanvideo.store.pg_store import PostgresTaskStore

    one = PostgresTaskStore(pg_url, base_dir=tmp_path, pool_size=2)
    two = PostgresTaskStore(pg_url, base_dir=tmp_path, pool_size=2)
    heard: list[str] = []
    got = threading.Event()
    stop = two.listen_wakes(lambda rid: (heard.append(rid), got.set()))
    assert stop is not None
    try:
        one.publish_wake("rec-1")
        assert got.wait(5) and heard == ["rec-1"]
    finally:
        stop()
        one.close()
        two.close()


def test_the_wake_relay_wakes_here_or_asks_the_other_replicas() -> None:
    from wanvideo.watcher.wakes import WakeRelay

    published: list[str] = []

    class Store:
        def publish_wake(self, record_id: str) -> None:
            published.append(record_id)

        def listen_wakes(self, heard):
            return None  # SQLite: no relay

    class Runner:
        def wake(self, record_id: str) -> bool:
            return record_id == "watched-here"

    relay = WakeRelay(Store(), Runner(), lambda fn: fn())  # type: ignore[arg-type]
    relay.start()
    relay.wake("watched-here")
    relay.wake("watched-elsewhere")
    relay.stop()
    assert published == ["watched-elsewhere"]


def test_a_database_restart_costs_new_connections_not_a_failed_request(postgres, tmp_path: Path) -> None:
    from wanvideo.store.pg_store import PostgresTaskStore

    store = PostgresTaskStore(postgres.new_database(), base_dir=tmp_path, pool_size=2)
    try:
        record = store.insert(_record())
        postgres.restart()  # every pooled connection is now dead
        assert store.get(record.id) == record
        assert store.claim(record.id, "w1", ttl=60)
    finally:
        store.close()


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    import socket

    from wanvideo.store import StoreError
    from wanvideo.store.pg_store import PostgresTaskStore

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://wan:hunter2-secret@127.0.0.1:{port}/wan"
    with pytest.raises(StoreError) as info:
        PostgresTaskStore(url, base_dir=tmp_path, connect_timeout=1.0)
    assert f"127.0.0.1:{port}/wan" in str(info.value) and "hunter2" not in str(info.value)
