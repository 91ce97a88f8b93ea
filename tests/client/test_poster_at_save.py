"""The watcher saves a poster frame beside each video before it says Done; deleting the
local copy removes both."""

from __future__ import annotations

from pathlib import Path

from wanvideo.events import Completed
from wanvideo.media.poster import poster_path

from .test_watcher import OWNER, _collect, _manager, _request, _settings, clip, sim  # noqa: F401


async def test_the_poster_is_saved_before_done_and_deleted_with_the_video(sim, clip, tmp_path: Path) -> None:  # noqa: F811
    manager = _manager(_settings(sim, tmp_path / "data")).start()
    try:
        record = manager.submit(_request(clip), owner=OWNER)
        events = await _collect(manager, record.id)
        done = events[-1]
        assert isinstance(done, Completed)
        poster = poster_path(done.video_path)
        assert poster.parent == done.video_path.parent and poster.suffix == ".jpg"
        assert poster.read_bytes()[:2] == b"\xff\xd8"  # there when Done was told
        assert manager.delete_video(record.id, OWNER)
        assert not done.video_path.exists() and not poster.exists()
    finally:
        manager.stop()
