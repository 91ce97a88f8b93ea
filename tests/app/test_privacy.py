"""Safe to share (issue 8): results stay with their owner, the secret and the database are
private, a weak secret stops the app, bad numbers and links are refused by name. Through the
running app (gradio_client and plain HTTP without the owner's cookie)."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from gradio_client.exceptions import AppError

from tests.apprunner import start_app
from wanvideo.identity import BROWSER_SECRET_FILE, SECRET_FILE

from .conftest import RunningApp
from .test_api import PROMPT, files, generate


def test_a_result_reaches_only_its_owner(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    _, final = generate(demo_app, videos["a3"], duration=2)
    status, player, record = final
    assert record["status"] == "completed"
    data = demo_app.data_dir.resolve()
    assert str(data) not in repr(final) and str(demo_app.data_dir) not in repr(final)  # no server path
    saved = data / "videos" / record["video_path"]
    assert saved.is_file()

    link = record["video_url"]
    assert httpx.get(link, timeout=30).status_code == 200  # the signed link: no cookie needed
    parts = urlsplit(link)
    bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
    assert f'src="{parts.path.lstrip("/")}"' in player  # the page's player: the owner-only route
    assert httpx.get(bare, timeout=30).status_code == 404  # without the owner's cookie
    forged = link.replace("sig=", "sig=0")
    assert httpx.get(forged, timeout=30).status_code == 404
    # The link names no owner (it used to carry `o=<owner>`): it signs the record and expiry only.
    assert set(parse_qs(parts.query)) == {"exp", "sig"}, link
    assert "anon" not in link and "api" not in parts.query and "session" not in link
    elsewhere = link.replace(record["record_id"], "0" * len(record["record_id"]))
    assert httpx.get(elsewhere, timeout=30).status_code == 404  # its signature opens that record only

    # Nothing under the data folder through Gradio's file route, and no copy in its cache.
    for path in (saved, data / "tasks.sqlite3", data / SECRET_FILE, data / "videos"):
        assert httpx.get(f"{demo_app.url}gradio_api/file={path}", timeout=30).status_code in (403, 404)
    digest = hashlib.sha256(saved.read_bytes()).digest()
    cache = demo_app.data_dir.parent / "gradio"
    copies = [
        p for p in cache.rglob("*") if p.is_file() and hashlib.sha256(p.read_bytes()).digest() == digest
    ]
    assert copies == [], "the result must not be copied into Gradio's public cache"


def test_a_copied_session_hash_does_not_make_a_client_the_owner(
    demo_app: RunningApp, videos: dict[str, Path]
) -> None:
    """An API client's owner is the signed cookie the app gave it, not the session hash it
    chose: another client that copies the hash cannot cancel (or see) the first one's task,
    while the first cancels it with the README's call."""
    alice = demo_app.client()
    job = alice.submit(PROMPT, files(videos["a3"]), "", "720p", "16:9", 5, "single", api_name="/generate")
    _status, _player, record = job.result(timeout=120)
    task_id = record["task_id"]
    assert task_id and record["status"] == "completed"

    mallory = demo_app.client()
    mallory.session_hash = alice.session_hash  # all a client sends of its session: copied
    stolen = mallory.predict(task_id, api_name="/cancel")
    assert stolen["outcome"] == "not_found" and stolen["record_id"] is None, stolen
    by_record = mallory.predict(record["record_id"], api_name="/cancel")
    assert by_record["outcome"] == "not_found", by_record

    # The owner: the same client, the task_id, nothing more (it has ended, so too late).
    own = alice.predict(task_id, api_name="/cancel")
    assert own["outcome"] == "too_late" and own["record_id"] == record["record_id"], own


def test_secret_and_database_are_private(demo_app: RunningApp) -> None:
    data = demo_app.data_dir
    for name in (SECRET_FILE, BROWSER_SECRET_FILE, "tasks.sqlite3"):
        mode = stat.S_IMODE((data / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_the_page_carries_nothing_derived_from_the_secret(demo_app: RunningApp) -> None:
    config = httpx.get(f"{demo_app.url}config", timeout=30).text
    secret = (demo_app.data_dir / SECRET_FILE).read_bytes().strip()
    browser_secret = (demo_app.data_dir / BROWSER_SECRET_FILE).read_text().strip()
    assert browser_secret in config  # gr.BrowserState's key: random, kept beside the secret
    legacy = hmac.new(secret, b"wan-browser-state-v1", hashlib.sha256).hexdigest()[:32]  # what it was
    assert legacy not in config
    assert secret.decode() not in config


def test_a_short_session_secret_stops_the_app(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as info:
        start_app(tmp_path, {"WAN_SESSION_SECRET": "hunter2-is-weak"})
    text = str(info.value)
    assert "WAN_SESSION_SECRET" in text and "32 bytes" in text
    assert "hunter2-is-weak" not in text


@pytest.mark.parametrize("duration", ["inf", "-inf", "nan", "1e999", -5, 10**9, "2.5"])
def test_bad_durations_are_refused_by_name(demo_app: RunningApp, videos: dict[str, Path], duration) -> None:
    with pytest.raises(AppError) as info:
        generate(demo_app, videos["a3"], duration=duration)
    assert "Duration (s)" in str(info.value) and "convert" not in str(info.value)
    est = demo_app.client().predict(None, "", "720p", duration, api_name="/estimate")
    assert any(p.startswith("Duration (s)") for p in est["problems"])


def test_malformed_links_are_refused_by_name(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    with pytest.raises(AppError, match=r"Reference video URLs: line 1"):
        generate(demo_app, videos["a3"], video_urls="htps:/broken link")
    est = demo_app.client().predict(None, "ftp://example.com/a.mp4", "720p", 5, api_name="/estimate")
    assert any(p.startswith("Reference video URLs: line 1") for p in est["problems"])
