"""Two replicas of the app (real `python app.py` processes) on one PostgreSQL, as several
machines behind a load balancer run them (issue 18): a task started on a replica that is
killed is finished by the other, with one create at the provider; a signed video link made by
one replica is served by the other; the daily limit holds across replicas. See conftest.py."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp
from tests.videos import make_video
from wanvideo.budget import day_start
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED, RUNNING_STATUSES

from .conftest import DAILY_LIMIT, LEASE_SECONDS, Cluster

pytestmark = pytest.mark.slow

COST = Decimal("38.08")  # what one 1-reference 5 s 720p generation reserves (3 s clip)


def _wait(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _submit(app: RunningApp, clip: Path):
    return app.client().submit(
        "character1 dances on the roadside",
        [handle_file(str(clip))],
        "",
        "720p",
        "16:9",
        "5",
        "single",
        None,
        None,
        api_name="/generate",
    )


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("clips") / "ref.mp4", seconds=3)


def test_a_task_started_on_a_killed_replica_is_finished_by_the_other_with_one_create(
    cluster: Cluster, clip: Path
) -> None:
    a, b = cluster.start_many("a", "b")
    cluster.sim.task_seconds = 6.0  # still running when A dies
    creates = cluster.sim.stats.creates
    job = _submit(a, clip)
    started = _wait(
        lambda: next((r for r in cluster.store.unfinished() if r.task_id), None), 60, "the task on A"
    )
    assert started.lease_owner and started.lease_owner.split(":")[1] == str(a.process.pid)
    cluster.kill("a")
    killed_at = time.monotonic()
    del job
    done = _wait(
        lambda: (r := cluster.store.get(started.id)) and r.status not in RUNNING_STATUSES and r,
        30,
        "B to finish A's task",
    )
    taken_over = time.monotonic() - killed_at
    assert done.status == COMPLETED, (done, b.log()[-3000:])
    assert done.task_id == started.task_id
    assert cluster.sim.stats.creates == creates + 1  # no second create
    saved = {key: size for key, size in cluster.s3.keys(cluster.bucket).items() if key.endswith(".mp4")}
    assert done.video_key and [k.rsplit("/", 1)[-1] for k in saved] == [done.video_key.rsplit("/", 1)[-1]]
    assert all(size > 0 for size in saved.values())  # saved once, by B, into the shared bucket
    for replica in (a, b):
        assert not list((replica.data_dir / "videos").glob("*.mp4"))  # nothing on a replica's disk
    assert taken_over < LEASE_SECONDS + 20, taken_over
    if "replica-" in started.lease_owner:  # separate host names: the lease ran out, no pid check
        assert started.lease_owner.startswith("replica-a:")


def test_a_signed_link_made_by_one_replica_is_served_by_the_other(cluster: Cluster, clip: Path) -> None:
    """Each replica its own data folder: the video is in the shared bucket, and the signed link
    (the record id and its expiry, signed with the shared secret) works on either."""
    b = cluster.apps.get("b") or cluster.start("b")
    a = cluster.start("a2")
    cluster.sim.task_seconds = 1.0
    job = b.client().submit(
        "character1 dances on the roadside",
        [handle_file(str(clip))],
        "",
        "720p",
        "16:9",
        "5",
        "single",
        None,
        None,
        api_name="/generate",
    )
    record = job.result(timeout=120)[2]
    assert record["status"] == "completed" and record["video_url"].startswith(b.url)
    from_b = httpx.get(record["video_url"], timeout=30)
    from_a = httpx.get(a.url + record["video_url"][len(b.url) :], timeout=30)
    assert from_a.status_code == 200 and from_b.status_code == 200
    assert from_a.content == from_b.content and len(from_a.content) > 0
    forged = a.url + record["video_url"][len(b.url) :].replace("sig=", "sig=0")
    assert httpx.get(forged, timeout=30).status_code == 404


def test_two_simultaneous_generations_on_two_replicas_with_room_for_one_create_one(
    cluster: Cluster, clip: Path
) -> None:
    apps = [cluster.apps.get("a2") or cluster.start("a2"), cluster.apps.get("b") or cluster.start("b")]
    cluster.sim.task_seconds = 1.0
    now = datetime.now(timezone.utc)
    spent = cluster.store.usage(None, day_start(now).timestamp()).spent
    room = COST * Decimal("1.5")  # one generation fits, two do not
    earlier = TaskRecord.new(
        owner="anon:earlier",
        provider="evolink",
        request={},
        visitor="ip:10.9.9.9",
        spend_credits=Decimal(DAILY_LIMIT) - spent - room,
    )
    cluster.store.insert(earlier)
    cluster.store.update(earlier.id, status=COMPLETED)
    creates = cluster.sim.stats.creates

    def generate(app: RunningApp) -> object:
        try:
            return _submit(app, clip).result(timeout=120)[2]["status"]
        except AppError as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(generate, apps))
    assert sorted(map(str, outcomes))[0] == "completed" or "completed" in outcomes, outcomes
    refused = [o for o in outcomes if isinstance(o, AppError)]
    assert outcomes.count("completed") == 1 and len(refused) == 1, outcomes
    assert "resets" in str(refused[0]).lower()
    assert cluster.sim.stats.creates == creates + 1
    assert cluster.store.usage(None, day_start(now).timestamp()).spent <= DAILY_LIMIT
