"""The owner-only video route: the owner's cookie or a fresh signed link (naming no owner) for
that record, else 404."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from starlette.applications import Starlette
from starlette.testclient import TestClient

from wanvideo.identity import Identity
from wanvideo.web.routes import COOKIE, signed_video_path, video_path, video_routes


@dataclass
class _Saved:
    id: str
    owner: str
    video_path: Path | None
    created_at: float = 0.0

    @property
    def has_video(self) -> bool:
        return self.video_path is not None and self.video_path.is_file()


def _client(tmp_path: Path) -> tuple[TestClient, Identity, _Saved]:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42rest")
    saved = _Saved(id="rec1", owner="anon:alice", video_path=video)
    other = tmp_path / "w.mp4"
    other.write_bytes(b"\x00\x00\x00\x18ftypmp42else")
    records = {saved.id: saved, "rec2": _Saved(id="rec2", owner="anon:mallory", video_path=other)}
    ident = Identity(b"k" * 32, "browser")

    def lookup(record_id: str, owner: str) -> _Saved | None:
        found = records.get(record_id)
        return found if found is not None and found.owner == owner else None

    return TestClient(Starlette(routes=video_routes(lookup, ident, records.get))), ident, saved


def test_the_owner_cookie_opens_it_and_nothing_else_does(tmp_path: Path) -> None:
    client, ident, saved = _client(tmp_path)
    url = "/" + video_path(saved.id)
    assert client.get(url).status_code == 404
    client.cookies.set(COOKIE, quote(ident.token("anon:mallory")))
    assert client.get(url).status_code == 404
    client.cookies.set(COOKIE, quote(ident.token("anon:alice")))
    ok = client.get(url)
    assert ok.status_code == 200 and ok.content[4:8] == b"ftyp" and ok.headers["content-type"] == "video/mp4"
    assert "private" in ok.headers["cache-control"]
    download = client.get(url + "?download=1")
    assert download.headers["content-disposition"].startswith("attachment")
    client.cookies.set(COOKIE, quote(Identity(b"z" * 32, "b").token("anon:alice")))  # forged elsewhere
    assert client.get(url).status_code == 404


def test_a_signed_link_works_without_a_cookie_until_it_expires(tmp_path: Path) -> None:
    client, ident, saved = _client(tmp_path)
    path, expires = signed_video_path(ident, saved.id)
    assert time.time() + 60 < expires <= time.time() + 3600
    ok = client.get("/" + path)
    assert ok.status_code == 200 and ok.content.endswith(b"rest")
    stale, _ = signed_video_path(ident, saved.id, now=time.time() - 3600)
    assert client.get("/" + stale).status_code == 404
    assert client.get("/" + path.replace("exp=", "exp=9")).status_code == 404  # tampered expiry
    # The link opens its own record only: its signature on another record's path is refused.
    assert client.get("/" + path.replace("rec1", "rec2")).status_code == 404
    theirs, _ = signed_video_path(ident, "rec2")
    assert client.get("/" + theirs).content.endswith(b"else")


def test_a_signed_link_names_no_owner(tmp_path: Path) -> None:
    _client_, ident, saved = _client(tmp_path)
    path, _ = signed_video_path(ident, saved.id)
    query = parse_qs(urlsplit(path).query)
    assert set(query) == {"exp", "sig"}
    assert "alice" not in path and "anon" not in path


def test_without_by_link_a_signed_link_opens_nothing(tmp_path: Path) -> None:
    _client_, ident, saved = _client(tmp_path)
    client = TestClient(
        Starlette(routes=video_routes(lambda r, o: saved if o == saved.owner else None, ident))
    )
    path, _ = signed_video_path(ident, saved.id)
    assert client.get("/" + path).status_code == 404


def test_a_deleted_copy_is_gone(tmp_path: Path) -> None:
    client, ident, saved = _client(tmp_path)
    path, _ = signed_video_path(ident, saved.id)
    saved.video_path.unlink()  # type: ignore[union-attr]
    assert client.get("/" + path).status_code == 404
