"""Security audit, issue 15 items 3, 4 and 6, against the running app: the per-visitor upload
quota and the free-disk floor in front of Gradio's `/gradio_api/upload` (nothing kept when
refused), WAN_VISITOR_MAX_ACTIVE in demo mode (5 parallel generations from one visitor), and
private modes of what a generation saves."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp, start_app, stop_app

from .conftest import FAST
from .test_api import files, generate

pytestmark = pytest.mark.slow

MB = 1000 * 1000
QUOTA_MB = 25


def _big_files(app: RunningApp) -> set[Path]:
    """Every file of 1 MB or more the app keeps (Gradio's cache and the data folder)."""
    roots = [app.data_dir, app.data_dir.parent / "gradio"]
    return {
        p
        for root in roots
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and p.stat().st_size >= MB
    }


def _upload(app: RunningApp, size: int, name: str, **headers: str) -> httpx.Response:
    return httpx.post(
        f"{app.url}gradio_api/upload",
        files={"files": (name, b"\0" * size, "video/mp4")},
        headers=headers,
        timeout=60,
    )


@pytest.fixture(scope="module")
def quota_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(
        tmp_path_factory.mktemp("quota"), {"WAN_VISITOR_UPLOAD_MB_PER_HOUR": str(QUOTA_MB), **FAST}
    )
    yield app
    stop_app(app)


def test_uploads_over_the_hourly_quota_are_refused_and_nothing_is_kept(quota_app: RunningApp) -> None:
    for n in range(2):
        ok = _upload(quota_app, 10 * MB, f"zeros{n}.mp4")
        assert ok.status_code == 200, ok.text
    kept = _big_files(quota_app)
    assert len(kept) == 2

    refused = _upload(quota_app, 10 * MB, "zeros2.mp4")  # 30 MB > 25 MB
    assert refused.status_code == 429
    assert "WAN_VISITOR_UPLOAD_MB_PER_HOUR" in refused.text and "25 MB per hour" in refused.text
    assert "Try again in about" in refused.text and int(refused.headers["retry-after"]) > 0
    assert _big_files(quota_app) == kept

    # No length declared (chunked) and no file part boundaries to trust: counted as it streams
    # and cut off at the quota; Gradio's part file is removed. In the visitor's language.
    def body() -> Iterator[bytes]:
        yield b'--XX\r\nContent-Disposition: form-data; name="files"; filename="c.mp4"\r\n\r\n'
        for _ in range(20):
            yield b"\1" * MB
        yield b"\r\n--XX--\r\n"

    chunked = httpx.post(
        f"{quota_app.url}gradio_api/upload",
        content=body(),
        headers={"content-type": "multipart/form-data; boundary=XX", "accept-language": "zh-CN"},
        timeout=60,
    )
    assert chunked.status_code == 429
    assert "上传被拒绝" in chunked.text and "WAN_VISITOR_UPLOAD_MB_PER_HOUR" in chunked.text
    assert _big_files(quota_app) == kept

    small = _upload(quota_app, MB // 2, "small.mp4")  # what is left of the hour still works
    assert small.status_code == 200, small.text


def test_uploads_are_refused_under_the_free_disk_floor(tmp_path: Path) -> None:
    app = start_app(tmp_path, {"WAN_MIN_FREE_DISK_MB": str(10**12), **FAST})  # more than any disk
    try:
        refused = _upload(app, 2 * MB, "clip.mp4")
        assert refused.status_code == 507
        assert "WAN_MIN_FREE_DISK_MB" in refused.text and "Nothing was kept" in refused.text
        assert _big_files(app) == set()
    finally:
        stop_app(app)


@pytest.fixture(scope="module")
def busy_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    env = {**FAST, "WAN_DEMO_TASK_SECONDS": "30", "WAN_VISITOR_MAX_ACTIVE": "2"}
    app = start_app(tmp_path_factory.mktemp("busy"), env)
    yield app
    stop_app(app)


def test_five_parallel_demo_generations_of_one_visitor_admit_exactly_max_active(
    busy_app: RunningApp, videos: dict[str, Path]
) -> None:
    clients = [busy_app.client() for _ in range(5)]  # five sessions, one address: one visitor
    barrier = threading.Barrier(5)
    outcomes: list[object] = []

    def click(client: object) -> None:
        barrier.wait()
        job = client.submit(  # type: ignore[attr-defined]
            prompt="character1 waves",
            videos=files(videos["a3"]),
            video_urls="",
            quality="1080p",
            aspect_ratio="16:9",
            duration=5,
            shot_type="single",
            api_name="/generate",
        )
        try:
            outcomes.append(job.result(timeout=180))
        except AppError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    refused = [o for o in outcomes if isinstance(o, AppError)]
    done = [o for o in outcomes if not isinstance(o, AppError)]
    assert len(outcomes) == 5
    assert len(refused) == 3, [str(r) for r in refused]
    assert all("2 generations in flight" in str(r) and "WAN_VISITOR_MAX_ACTIVE" in str(r) for r in refused)
    assert [final[2]["status"] for final in done] == ["completed", "completed"]  # type: ignore[index]


def test_saved_video_poster_and_folders_are_private(demo_app: RunningApp, videos: dict[str, Path]) -> None:
    _, (_, _, record) = generate(demo_app, videos["a3"], duration=2)
    assert record["status"] == "completed"
    data = demo_app.data_dir.resolve()
    video = data / "videos" / record["video_path"]
    posters = [p for p in video.parent.iterdir() if p.stem.startswith(video.stem) and p != video]
    assert posters, "the poster beside the video"

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert {p.name: mode(p) for p in (video, *posters)} == {p.name: 0o600 for p in (video, *posters)}
    assert mode(video.parent) == 0o700 and mode(data) == 0o700
    loose = [
        (str(p.relative_to(data)), oct(mode(p)))
        for p in [data, *data.rglob("*")]
        if not p.is_symlink() and mode(p) & 0o077
    ]
    assert loose == []  # nothing under the data folder is readable by another user
