"""The disk guards' rules (wanvideo/disk.py) and the retention sweep (WAN_KEEP_DAYS) on a real
store with a fake clock."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from wanvideo.disk import (
    MB,
    SPACE_CACHE_LIFE,
    SPACE_KEEP_DAYS,
    UploadQuota,
    UploadRefused,
    cache_life,
    keep_seconds,
    low_disk,
)
from wanvideo.fsutil import make_private
from wanvideo.media.poster import poster_path
from wanvideo.settings import load_settings
from wanvideo.store import COMPLETED, TaskRecord, TaskStore
from wanvideo.watcher import TaskManager

DAY = 86400.0


def test_concurrent_uploads_of_one_visitor_never_pass_the_quota():
    quota = UploadQuota(1000 * MB)
    barrier = threading.Barrier(10)
    granted: list[object] = []
    refused: list[UploadRefused] = []

    def upload() -> None:
        barrier.wait()
        try:
            granted.append(quota.reserve("ip:1.2.3.4", 300 * MB))
        except UploadRefused as exc:
            refused.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(granted) == 3 and len(refused) == 7
    assert quota.used("ip:1.2.3.4") == 900 * MB
    assert quota.used("ip:5.6.7.8") == 0  # another visitor's hour is their own
    assert all(r.status == 429 and "WAN_VISITOR_UPLOAD_MB_PER_HOUR" in str(r.message) for r in refused)


def test_streamed_bytes_extend_the_grant_and_a_refused_upload_counts_nothing():
    quota = UploadQuota(25 * MB)
    quota.reserve("v", 10 * MB, now=999.0).settle(10 * MB)
    grant = quota.reserve("v", 0, now=1000.0)  # chunked: no length declared
    assert grant.extend(10 * MB, now=1001.0)
    assert not grant.extend(7 * MB, now=1002.0)  # 27 MB would pass 25 (+ 1 MB of multipart)
    refusal = quota.refusal_for(grant, 7 * MB, now=1002.0)
    assert "you uploaded 10 MB" in str(refusal.message) and "this one is 17 MB" in str(refusal.message)
    assert refusal.retry_after == pytest.approx(3600 - 3)  # when the first upload leaves the hour
    grant.settle(0)  # cut off: nothing kept
    assert quota.used("v", now=1003.0) == 10 * MB
    kept = quota.reserve("v", 10 * MB, now=1003.0)
    kept.settle(10 * MB)
    with pytest.raises(UploadRefused) as info:
        quota.reserve("v", 10 * MB, now=1004.0)
    assert info.value.retry_after == pytest.approx(3600 - 5)
    assert quota.used("v", now=1003.0 + 3600) == 0  # the hour slides
    quota.reserve("v", 10 * MB, now=1003.0 + 3600)


def test_the_hour_holds_what_the_setting_promises():
    """2000 MB per hour: twenty 100 MB clips (each body a few hundred bytes more), not 21."""
    quota = UploadQuota(2000 * MB)
    for n in range(20):
        quota.reserve("v", 100 * MB + 300, now=float(n)).settle(100 * MB + 300)
    with pytest.raises(UploadRefused):
        quota.reserve("v", 100 * MB + 300, now=21.0)


def test_a_file_larger_than_the_hour_is_not_told_to_wait():
    with pytest.raises(UploadRefused) as info:
        UploadQuota(1 * MB).reserve("v", 3 * MB, now=0.0)
    message = str(info.value.message)
    assert "this file is 3 MB" in message and "WAN_VISITOR_UPLOAD_MB_PER_HOUR" in message
    assert "Try again" not in message and info.value.retry_after is None


def test_disk_floor(tmp_path: Path):
    assert low_disk(tmp_path, 0, 10**15) is None
    assert low_disk(tmp_path, 1, 0) is None
    refusal = low_disk(tmp_path / "not-yet", 10**15)  # more than any disk has free
    assert refusal is not None and refusal.status == 507 and "WAN_MIN_FREE_DISK_MB" in str(refusal.message)


def test_cache_and_keep_defaults(tmp_path: Path):
    here = load_settings({"WAN_DATA_DIR": str(tmp_path)})
    space = load_settings({"WAN_DATA_DIR": str(tmp_path), "SPACE_ID": "me/app"})
    assert cache_life(space) == SPACE_CACHE_LIFE and cache_life(here)[1] > SPACE_CACHE_LIFE[1]
    assert keep_seconds(here) is None  # a normal machine keeps videos forever
    assert keep_seconds(space, persistent_dir=tmp_path / "none") == SPACE_KEEP_DAYS * DAY
    assert keep_seconds(space, persistent_dir=tmp_path) is None  # data on persistent storage
    assert keep_seconds(load_settings({"WAN_KEEP_DAYS": "0.5"})) == DAY / 2
    assert keep_seconds(load_settings({"WAN_KEEP_DAYS": "0", "SPACE_ID": "me/app"})) is None


def _saved(store: TaskStore, videos: Path, finished_at: float) -> TaskRecord:
    record = store.insert(TaskRecord.new(owner="anon:x", provider="evolink", request={"prompt": "p"}))
    video = videos / f"{record.video_token}.mp4"
    video.write_bytes(b"video")
    poster_path(video).write_bytes(b"poster")
    return store.update(record.id, status=COMPLETED, video_path=video, finished_at=finished_at)


def test_retention_sweep_deletes_old_videos_and_posters_and_says_so(tmp_path: Path):
    settings = load_settings({"WAN_DATA_DIR": str(tmp_path), "WAN_KEEP_DAYS": "7"})
    store = TaskStore(tmp_path / "tasks.sqlite3")
    manager = TaskManager(settings, store)  # not started: the sweep is called with a fake clock
    settings.videos_dir.mkdir(parents=True)
    now = 1_800_000_000.0
    old = _saved(store, settings.videos_dir, now - 8 * DAY)
    fresh = _saved(store, settings.videos_dir, now - 6 * DAY)

    assert manager.sweep_saved(now) == 1
    gone = store.get(old.id)
    assert gone.video_path is None and not gone.has_video and gone.status == COMPLETED  # "deleted"
    assert "7 days" in gone.message and "WAN_KEEP_DAYS" in gone.message
    assert not old.video_path.exists() and not poster_path(old.video_path).exists()
    assert store.get(fresh.id).has_video and poster_path(fresh.video_path).exists()
    assert manager.sweep_saved(now) == 0  # nothing left to delete
    assert manager.sweep_saved(now + 2 * DAY) == 1  # the other one's turn
    store.close()


def test_keep_forever_deletes_nothing(tmp_path: Path):
    settings = load_settings({"WAN_DATA_DIR": str(tmp_path)})
    store = TaskStore(tmp_path / "tasks.sqlite3")
    settings.videos_dir.mkdir(parents=True)
    record = _saved(store, settings.videos_dir, 0.0)
    assert TaskManager(settings, store).sweep_saved(1e12) == 0
    assert store.get(record.id).has_video
    store.close()


def test_make_private_tightens_an_old_tree_and_sets_the_umask(tmp_path: Path):
    data = tmp_path / "data"
    (data / "videos").mkdir(parents=True)
    old = data / "videos" / "v.mp4"
    old.write_bytes(b"x")
    os.chmod(old, 0o644)
    os.chmod(data / "videos", 0o755)
    before = os.umask(0o022)
    try:
        make_private(data)
        new = data / "videos" / "new.jpg"
        new.write_bytes(b"y")
        (data / "posters").mkdir()
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in (data, data / "videos", old, new, data / "posters")
        }
    finally:
        os.umask(before)
    assert modes == {"data": 0o700, "videos": 0o700, "v.mp4": 0o600, "new.jpg": 0o600, "posters": 0o700}
