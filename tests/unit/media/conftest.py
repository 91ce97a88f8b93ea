"""The real test videos shared by the media tests (made once per session with tests/videos.py).

The fixture `files` is shared by the tests in this folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.videos import faststart, make_audio_only, make_image, make_video, pad_mp4


def truncated_faststart(d: Path, files: dict[str, Path]) -> Path:
    """The fast-start file cut in half: its `moov` survives, half its `mdat` does not."""
    data = files["fast.mp4"].read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # the header survives the cut
    (d / "cutfast.mp4").write_bytes(data[: len(data) // 2])
    return d / "cutfast.mp4"


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    good = make_video(d / "good.mp4", 3)
    out = {
        "good.mp4": good,
        "good.mov": make_video(d / "good.mov", 3, container="mov"),
        "silent.mp4": make_video(d / "silent.mp4", 3, audio=False),
        "short.mp4": make_video(d / "short.mp4", 1),
        "long.mp4": make_video(d / "long.mp4", 31, fps=2, audio=False),  # 31 s of sound is slow to make
        "voice.mp4": make_audio_only(d / "voice.mp4", 3),
        "photo.mp4": make_image(d / "photo.png"),
        "clip.webm": make_video(d / "clip.webm", 3, container="webm"),
    }
    out["fast.mp4"] = faststart(good, d / "fast.mp4")
    shutil.copy(out["clip.webm"], d / "renamed.mp4")
    out["renamed.mp4"] = d / "renamed.mp4"
    shutil.copy(out["good.mov"], d / "movie.mp4")  # a MOV named .mp4
    out["movie.mp4"] = d / "movie.mp4"
    out["big.mp4"] = pad_mp4(good, d / "big.mp4", 40_000_000)
    (d / "page.html").write_text("<!DOCTYPE html><html><body>Sign in to see this video</body></html>")
    out["page.html"] = d / "page.html"
    return out
