"""Poster frames: extracted in the media sandbox, saved beside the video, served to its owner only."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests.videos import make_video
from wanvideo.identity import Identity
from wanvideo.media.poster import POSTER_WIDTH, extract_poster, make_poster, poster_path
from wanvideo.web.routes import COOKIE, poster_url, video_routes

from .test_web_routes import _Saved


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's SOF0 marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + length
    raise AssertionError("no SOF marker")


def test_a_poster_is_a_scaled_jpeg_of_a_frame(tmp_path: Path) -> None:
    video = make_video(tmp_path / "wide.mp4", 3, width=640, height=360)
    dest = poster_path(video)
    assert dest == tmp_path / "wide.jpg"
    assert extract_poster(str(video), str(dest)) is True
    data = dest.read_bytes()
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"  # a whole JPEG
    assert _jpeg_size(data) == (POSTER_WIDTH, 270)
    small = make_video(tmp_path / "small.mp4", 2, width=160, height=120)
    assert extract_poster(str(small), str(tmp_path / "small.jpg")) is True
    assert _jpeg_size((tmp_path / "small.jpg").read_bytes()) == (160, 120)  # never enlarged


def test_an_audio_only_file_has_no_poster(tmp_path: Path) -> None:
    audio = make_video(tmp_path / "voice.mp4", 2, video=False)
    assert extract_poster(str(audio), str(tmp_path / "voice.jpg")) is False
    assert not (tmp_path / "voice.jpg").exists()


async def test_make_poster_runs_in_the_sandbox_and_never_raises(tmp_path: Path) -> None:
    video = make_video(tmp_path / "clip.mp4", 2)
    assert await make_poster(video, poster_path(video)) is True
    assert poster_path(video).read_bytes()[:2] == b"\xff\xd8"
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    assert await make_poster(junk, poster_path(junk)) is False
    assert not poster_path(junk).exists()


def test_the_poster_route_serves_the_owner_only(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", 2)
    saved = _Saved(id="rec1", owner="anon:alice", video_path=video)
    ident = Identity(b"k" * 32, "browser")

    def lookup(record_id: str, owner: str) -> _Saved | None:
        return saved if (record_id, owner) == (saved.id, saved.owner) else None

    client = TestClient(Starlette(routes=video_routes(lookup, ident)))
    url = "/" + poster_url(saved.id)
    client.cookies.set(COOKIE, quote(ident.token("anon:alice")))
    assert client.get(url).status_code == 404  # no poster made yet
    assert extract_poster(str(video), str(poster_path(video)))
    ok = client.get(url)
    assert (
        ok.status_code == 200 and ok.headers["content-type"] == "image/jpeg" and ok.content[:2] == b"\xff\xd8"
    )
    client.cookies.set(COOKIE, quote(ident.token("anon:mallory")))
    assert client.get(url).status_code == 404
    client.cookies.clear()
    assert client.get(url).status_code == 404
