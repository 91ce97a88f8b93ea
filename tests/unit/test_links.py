"""Served references and wake-up tokens (`wanvideo/links.py`), and their routes."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.testclient import TestClient

from wanvideo.links import REFERENCE_ROUTE, WAKE_ROUTE, LinkBook
from wanvideo.store import LINK_REFERENCE, TaskStore
from wanvideo.timings import REFERENCE_MARGIN
from wanvideo.web.routes import provider_routes

BASE = "https://studio.example.com"


def _file(tmp_path: Path, name: str = "ref.mp4", size: int = 5000) -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * (size // 256) + b"\x00" * (size % 256))
    return path


def test_no_public_address_no_links(tmp_path):
    book = LinkBook(TaskStore(tmp_path / "t.sqlite3"), None)
    assert not book.enabled and book.for_record("r1") is None


def test_a_reference_link_opens_one_file_until_the_creation_plus_the_margin(tmp_path):
    now = [1000.0]
    book = LinkBook(TaskStore(tmp_path / "t.sqlite3"), BASE + "/", clock=lambda: now[0])
    links = book.for_record("r1")
    ref, other = _file(tmp_path), _file(tmp_path, "other.mp4")
    url = links.reference_url(ref)
    links.reference_url(other)
    assert url.startswith(f"{BASE}/{REFERENCE_ROUTE}/")
    token = url.rsplit("/", 1)[1]
    assert book.reference_path(token) == ref.resolve()
    assert book.reference_path(token + "x") is None and book.reference_path("") is None
    links.created(2000.0)  # the upload took a while: it works from the creation on
    now[0] = 2000.0 + REFERENCE_MARGIN - 1
    assert book.reference_path(token) == ref.resolve()
    now[0] = 2000.0 + REFERENCE_MARGIN + 1
    assert book.reference_path(token) is None
    # A file gone from the disk is not found either.
    now[0] = 2000.0
    ref.unlink()
    assert book.reference_path(token) is None
    # A refused create revokes every reference of its record at once.
    assert len(book.store.links_for("r1", LINK_REFERENCE)) == 2
    links.revoke()
    assert book.reference_path(book.store.links_for("r1", LINK_REFERENCE)[1].token) is None


def test_one_wake_token_per_task_kept_across_a_restart_and_rate_limited(tmp_path):
    store = TaskStore(tmp_path / "t.sqlite3")
    book = LinkBook(store, BASE, wake_every=60)
    url = book.for_record("r1").wake_url()
    assert url == book.for_record("r1").wake_url() != book.for_record("r2").wake_url()
    token = url.rsplit("/", 1)[1]
    assert url == f"{BASE}/{WAKE_ROUTE}/{token}" and len(token) >= 40
    assert book.wake_record(token) == (True, "r1")
    assert book.wake_record(token) == (True, None)  # within the window: answered, nothing done
    assert book.wake_record("unknown") == (False, None)
    store.close()
    again = LinkBook(TaskStore(tmp_path / "t.sqlite3"), BASE, wake_every=0.0)
    assert again.for_record("r1").wake_url() == url  # the provider still has this one
    assert again.wake_record(token) == (True, "r1")
    assert again.wake_record(token) == (True, "r1")  # no window: every call wakes


class _Links:
    def __init__(self, files: dict[str, Path], wake: set[str]) -> None:
        self.files, self.wake, self.woken = files, wake, []

    def served_reference(self, token: str) -> Path | None:
        return self.files.get(token)

    def wake_by_token(self, token: str) -> bool:
        self.woken.append(token)
        return token in self.wake


def test_the_routes_serve_with_range_and_answer_404_otherwise(tmp_path):
    ref = _file(tmp_path)
    links = _Links({"good": ref}, {"w1"})
    client = TestClient(Starlette(routes=provider_routes(links)))
    data = ref.read_bytes()
    whole = client.get(f"/{REFERENCE_ROUTE}/good")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4" and whole.headers["cache-control"] == "no-store"
    part = client.get(f"/{REFERENCE_ROUTE}/good", headers={"Range": "bytes=4000-"})
    assert part.status_code == 206 and part.content == data[4000:]
    assert client.head(f"/{REFERENCE_ROUTE}/good").headers["content-length"] == str(len(data))
    assert client.get(f"/{REFERENCE_ROUTE}/bad").status_code == 404
    assert client.post(f"/{REFERENCE_ROUTE}/good").status_code == 405
    # The wake route: 204 for a known token (its body is never read), 404 otherwise.
    assert client.post(f"/{WAKE_ROUTE}/w1", json={"status": "completed"}).status_code == 204
    assert client.post(f"/{WAKE_ROUTE}/nope", content=b"{}").status_code == 404
    assert client.get(f"/{WAKE_ROUTE}/w1").status_code == 405
    assert links.woken == ["w1", "nope"]


def test_time_is_real_by_default(tmp_path):
    book = LinkBook(TaskStore(tmp_path / "t.sqlite3"), BASE)
    url = book.for_record("r1").reference_url(_file(tmp_path))
    [link] = book.store.links_for("r1", LINK_REFERENCE)
    assert abs(link.expires_at - (time.time() + REFERENCE_MARGIN)) < 5
    assert book.reference_path(url.rsplit("/", 1)[1]) is not None


def test_a_provider_without_upload_takes_local_files_only_when_the_app_can_serve_them():
    from wanvideo.providers import DASHSCOPE_REGIONS, PROVIDERS
    from wanvideo.schemas import GenerationRequest, provider_problems

    request = GenerationRequest(prompt="character1 waves", videos=("/tmp/a.mp4",), duration=5)
    virginia = DASHSCOPE_REGIONS["virginia"]
    [problem] = provider_problems(request, virginia)
    assert "Reference video URLs" in problem and "WAN_PUBLIC_URL" in problem
    served = virginia.with_overrides(public_url=BASE)
    assert served.served_files and provider_problems(request, served) == []
    # A provider with its own upload never needs the app to serve anything.
    assert not PROVIDERS["fal"].with_overrides(public_url=BASE).served_files


def test_expired_links_are_forgotten(tmp_path):
    now = [1000.0]
    store = TaskStore(tmp_path / "t.sqlite3")
    book = LinkBook(store, BASE, clock=lambda: now[0])
    links = book.for_record("r1")
    links.reference_url(_file(tmp_path))
    links.wake_url()
    links.created(1000.0)
    assert store.delete_expired_links(1000.0 + REFERENCE_MARGIN - 1) == 0
    assert store.delete_expired_links(1000.0 + REFERENCE_MARGIN + 1) == 1  # the reference
    assert store.links_for("r1", LINK_REFERENCE) == [] and book.has_wake("r1")
