"""The owner-only video and poster routes for a video saved in an S3 bucket (a real S3 server
on 127.0.0.1): the same owner checks and headers as a local file, bytes streamed from the bucket
with Range (206 + Content-Range, 416 for a range past the end), the same answers as the local
file's FileResponse."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.engines.s3 import S3Server
from wanvideo.identity import Identity
from wanvideo.storage.s3 import S3Storage
from wanvideo.web.ranged import byte_range
from wanvideo.web.routes import COOKIE, poster_url, signed_video_path, video_path, video_routes

SIZE = 300_000


@dataclass
class _Saved:
    id: str
    owner: str
    video_path: Path | None = None
    video_key: str | None = None
    created_at: float = 0.0

    @property
    def has_video(self) -> bool:
        return self.video_key is not None or (self.video_path is not None and self.video_path.is_file())


@pytest.fixture
def setup(s3_server: S3Server, tmp_path: Path):  # noqa: F811
    data = os.urandom(SIZE)
    storage = S3Storage(s3_server.new_bucket(), "wan", client=s3_server.client())
    storage.put_stream("videos/tok.mp4", iter([data]))
    storage.put_stream("videos/tok.jpg", iter([b"\xff\xd8poster"]))
    local = tmp_path / "tok.mp4"
    local.write_bytes(data)
    records = {
        "s3rec": _Saved("s3rec", "anon:alice", video_key="videos/tok.mp4"),
        "localrec": _Saved("localrec", "anon:alice", video_path=local),
        "gone": _Saved("gone", "anon:alice", video_key="videos/deleted.mp4"),
    }
    ident = Identity(b"k" * 32, "browser")

    def lookup(record_id: str, owner: str) -> _Saved | None:
        found = records.get(record_id)
        return found if found is not None and found.owner == owner else None

    app = Starlette(routes=video_routes(lookup, ident, records.get, storage))
    return TestClient(app), ident, data, storage


def test_only_the_owner_or_a_signed_link_opens_a_video_in_the_bucket(setup) -> None:
    client, ident, data, _ = setup
    url = "/" + video_path("s3rec")
    assert client.get(url).status_code == 404
    client.cookies.set(COOKIE, quote(ident.token("anon:mallory")))
    assert client.get(url).status_code == 404
    assert client.get("/" + poster_url("s3rec")).status_code == 404
    client.cookies.set(COOKIE, quote(ident.token("anon:alice")))
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4" and whole.headers["accept-ranges"] == "bytes"
    assert (
        "private" in whole.headers["cache-control"] and whole.headers["x-content-type-options"] == "nosniff"
    )
    assert whole.headers["content-disposition"] == "inline"
    download = client.get(url + "?download=1")
    assert download.headers["content-disposition"].startswith("attachment") and download.content == data
    poster = client.get("/" + poster_url("s3rec"))
    assert poster.status_code == 200 and poster.content == b"\xff\xd8poster"
    assert poster.headers["content-type"] == "image/jpeg"
    assert client.get("/" + video_path("gone")).status_code == 404  # recorded, not in the bucket

    client.cookies.clear()
    link, _ = signed_video_path(ident, "s3rec")
    ranged = client.get("/" + link, headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and ranged.content == data[100:200]
    assert client.get("/" + link.replace("sig=", "sig=0")).status_code == 404


@pytest.mark.parametrize(
    "header",
    ["bytes=0-99", "bytes=1000-", "bytes=-500", f"bytes={SIZE - 10}-{SIZE + 999}", "bytes=0-0", None],
)
def test_ranges_are_answered_from_the_bucket_as_from_a_local_file(setup, header: str | None) -> None:
    client, ident, data, _ = setup
    client.cookies.set(COOKIE, quote(ident.token("anon:alice")))
    headers = {"Range": header} if header else {}
    stored = client.get("/" + video_path("s3rec"), headers=headers)
    local = client.get("/" + video_path("localrec"), headers=headers)
    assert stored.status_code == local.status_code == (206 if header else 200)
    assert stored.content == local.content
    for name in ("content-range", "content-length", "content-type", "cache-control", "accept-ranges"):
        assert stored.headers.get(name) == local.headers.get(name), name
    if header:
        start, end = byte_range(header, SIZE)  # type: ignore[misc]
        assert stored.content == data[start : end + 1]
        assert stored.headers["content-range"] == f"bytes {start}-{end}/{SIZE}"


@pytest.mark.parametrize(
    "header", [f"bytes={SIZE}-", f"bytes={SIZE + 5}-{SIZE + 9}", "bytes=9-3", "bytes=-0"]
)
def test_a_range_it_cannot_serve_is_416(setup, header: str) -> None:
    client, ident, _, _ = setup
    client.cookies.set(COOKIE, quote(ident.token("anon:alice")))
    answer = client.get("/" + video_path("s3rec"), headers={"Range": header})
    assert answer.status_code == 416 and answer.headers["content-range"] == f"bytes */{SIZE}"
    assert answer.content == b""


def test_head_answers_the_size_without_the_body(setup) -> None:
    client, ident, _, _ = setup
    client.cookies.set(COOKIE, quote(ident.token("anon:alice")))
    head = client.head("/" + video_path("s3rec"), headers={"Range": "bytes=10-19"})
    assert head.status_code == 206 and head.headers["content-length"] == "10" and head.content == b""
