"""The storage contract (`wanvideo.storage`), run against both backends: the data folder
(`LocalStorage`) and a real S3 server on 127.0.0.1 (`S3Storage` on moto's server mode)."""

from __future__ import annotations

import os
import sqlite3
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engines.s3 import MIN_PART, S3Server
from wanvideo.settings import SettingsError, load_settings
from wanvideo.storage import LocalStorage, Storage, StorageError, open_storage, parse_storage_url
from wanvideo.storage.s3 import PART_SIZE, S3Storage


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "data")
    server: S3Server = request.getfixturevalue("s3_server")
    return S3Storage(server.new_bucket(), "team/wan", client=server.client(), part_size=MIN_PART)


def _file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def _read(storage: Storage, key: str, start: int, end: int) -> bytes:
    return b"".join(storage.open_range(key, start, end))


def test_a_file_put_is_read_whole_and_by_range_and_the_local_copy_is_gone(
    storage: Storage, tmp_path: Path
) -> None:
    data = _file(tmp_path / "in.mp4", 3 * MIN_PART + 123)  # several parts on S3
    storage.put_file("videos/a.mp4", tmp_path / "in.mp4")
    assert not (tmp_path / "in.mp4").exists()
    assert storage.size("videos/a.mp4") == len(data) and storage.exists("videos/a.mp4")
    assert _read(storage, "videos/a.mp4", 0, len(data) - 1) == data
    assert _read(storage, "videos/a.mp4", 1000, 1099) == data[1000:1100]
    assert _read(storage, "videos/a.mp4", len(data) - 5, len(data) - 1) == data[-5:]
    assert storage.size("videos/missing.mp4") is None and not storage.exists("videos/missing.mp4")


def test_a_stream_is_stored_as_it_comes(storage: Storage) -> None:
    blocks = [os.urandom(40_000) for _ in range(7)]  # 280 kB in uneven pieces
    assert storage.put_stream("videos/s.mp4", iter(blocks)) == 280_000
    assert _read(storage, "videos/s.mp4", 0, 279_999) == b"".join(blocks)
    assert storage.put_stream("videos/empty.jpg", iter([])) == 0
    assert storage.size("videos/empty.jpg") == 0


def test_delete_and_the_retention_listing(storage: Storage, tmp_path: Path) -> None:
    for name in ("videos/a.mp4", "videos/a.jpg", "videos/b.mp4", "other/c.txt"):
        storage.put_stream(name, iter([name.encode()]))
    listed = {o.key: o.size for o in storage.list("videos/")}
    assert listed == {"videos/a.mp4": 12, "videos/a.jpg": 12, "videos/b.mp4": 12}
    assert {o.key for o in storage.list()} == {*listed, "other/c.txt"}
    assert all(o.modified > 0 for o in storage.list())
    storage.delete("videos/a.mp4")
    storage.delete("videos/a.mp4")  # a missing object is not an error
    assert not storage.exists("videos/a.mp4") and storage.exists("videos/a.jpg")
    assert {o.key for o in storage.list("videos/")} == {"videos/a.jpg", "videos/b.mp4"}


@pytest.mark.parametrize("key", ["../escape.mp4", "/abs.mp4", "videos//x.mp4", "videos/./x", ""])
def test_a_key_stays_inside_its_root(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError):
        storage.put_stream(key, iter([b"x"]))


def test_a_failed_upload_leaves_no_object_and_no_open_upload(s3_server: S3Server) -> None:  # noqa: F811
    client = s3_server.client()
    bucket = s3_server.new_bucket()
    storage = S3Storage(bucket, client=client, part_size=MIN_PART)

    def broken() -> Iterator[bytes]:
        yield os.urandom(MIN_PART * 2)  # two parts sent
        raise OSError("the download broke")

    with pytest.raises(OSError, match="download broke"):
        storage.put_stream("videos/x.mp4", broken())
    assert s3_server.keys(bucket) == {}
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_an_unreachable_bucket_is_a_storage_error(s3_server: S3Server, tmp_path: Path) -> None:  # noqa: F811
    storage = S3Storage("no-such-bucket", client=s3_server.client())
    _file(tmp_path / "v.mp4", 10)
    with pytest.raises(StorageError) as caught:
        storage.put_file("videos/v.mp4", tmp_path / "v.mp4")
    assert isinstance(caught.value, OSError) and "NoSuchBucket" in str(caught.value)
    assert (tmp_path / "v.mp4").exists()  # kept for the retry


def test_a_large_video_is_uploaded_one_part_at_a_time(s3_server: S3Server, tmp_path: Path) -> None:  # noqa: F811
    """32 MiB with the app's 8 MiB parts: 4 parts, and Python's peak allocation during the
    upload stays under three parts (a part and botocore's copy of it), below the file's size."""
    client = s3_server.client()
    bucket = s3_server.new_bucket()
    sizes: list[int] = []
    client.meta.events.register(
        "before-call.s3.UploadPart", lambda params, **kw: sizes.append(len(params["body"].getbuffer()))
    )
    size = 32 * 1024 * 1024
    with open(tmp_path / "big.mp4", "wb") as fh:
        for _ in range(size // (1024 * 1024)):
            fh.write(os.urandom(1024 * 1024))
    storage = S3Storage(bucket, "p", client=client)
    tracemalloc.start()
    try:
        storage.put_file("videos/big.mp4", tmp_path / "big.mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"32 MiB upload: parts {sizes}, Python peak {peak / 2**20:.1f} MiB")
    assert sizes == [PART_SIZE] * 4
    assert peak < 3 * PART_SIZE, f"peak {peak / 2**20:.1f} MiB"
    assert s3_server.keys(bucket) == {"p/videos/big.mp4": size}
    assert client.head_object(Bucket=bucket, Key="p/videos/big.mp4")["ETag"].endswith('-4"')


def test_the_storage_url_setting() -> None:
    assert parse_storage_url("s3://bucket") == ("bucket", "")
    assert parse_storage_url("s3://bucket/team/wan/") == ("bucket", "team/wan")
    for bad in ("http://bucket/x", "s3:///x", "s3://b/../x", "s3://b/x?y=1"):
        with pytest.raises(ValueError):
            parse_storage_url(bad)
    with pytest.raises(SettingsError, match="WAN_STORAGE_URL"):
        load_settings({"WAN_STORAGE_URL": "/srv/videos"})
    assert isinstance(open_storage("", Path("data")), LocalStorage)
    assert load_settings({}).storage_url == ""


def test_a_record_keeps_the_key_of_a_stored_video_in_its_old_column(tmp_path: Path) -> None:
    """No schema change: `video_key` lives in the `video_path` column as "stored:<key>"; a
    local path reads as before; one clears the other; a record never holds both."""
    from wanvideo.store import TaskRecord, TaskStore
    from wanvideo.store.schema import StoreError

    store = TaskStore(tmp_path / "data" / "tasks.sqlite3")
    local = store.insert(TaskRecord.new(owner="anon:a", provider="demo", request={}))
    on_disk = tmp_path / "data" / "videos" / "x.mp4"
    store.update(local.id, video_path=on_disk)
    again = store.get(local.id)
    assert again is not None and again.video_path == on_disk and again.video_key is None
    raw = (
        sqlite3.connect(tmp_path / "data" / "tasks.sqlite3")
        .execute("SELECT video_path FROM tasks")
        .fetchone()
    )
    assert raw == ("videos/x.mp4",)  # relative to the data folder, as before

    stored = store.update(local.id, video_key="videos/tok.mp4", video_path=None)
    assert stored is not None and stored.video_key == "videos/tok.mp4" and stored.video_path is None
    assert stored.has_video and "video_key" not in stored.public_dict()
    raw = (
        sqlite3.connect(tmp_path / "data" / "tasks.sqlite3")
        .execute("SELECT video_path FROM tasks")
        .fetchone()
    )
    assert raw == ("stored:videos/tok.mp4",)
    assert [r.id for r in store.saved_before(time.time() + 10)] == [local.id]  # retention sees it
    with pytest.raises(StoreError):
        store.update(local.id, video_key="videos/a.mp4", video_path=on_disk)
    cleared = store.update(local.id, video_key=None)
    assert cleared is not None and cleared.video_key is None and cleared.video_path is None
    assert not cleared.has_video
