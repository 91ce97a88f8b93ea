"""Probing local files: real files made with tests/videos.py, read in this process."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from tests.unit.media.conftest import truncated_faststart
from tests.videos import pad_mp4
from wanvideo.media import iso_missing_bytes, local, probe_file, video_duration
from wanvideo.providers import MAX_REFERENCE_BYTES


def test_good_mp4(files: dict[str, Path]) -> None:
    path = files["good.mp4"]
    r = probe_file(str(path))
    assert r.problems == ()
    assert r.warnings == ()
    assert r.ok
    assert r.name == "good.mp4"
    assert r.source == str(path)
    assert r.size_bytes == path.stat().st_size
    assert r.container == "mp4"
    assert r.duration == pytest.approx(3.0, abs=0.05)
    assert (r.video_codec, r.width, r.height, r.fps) == ("h264", 160, 120, 10.0)
    assert r.has_audio is True
    assert r.audio_codec == "aac"
    assert r.headers_read is True


def test_good_mov_by_ftyp_brand(files: dict[str, Path]) -> None:
    assert files["good.mov"].read_bytes()[4:12] == b"ftypqt  "
    r = probe_file(files["good.mov"])
    assert r.problems == ()
    assert r.container == "mov"
    assert r.duration == pytest.approx(3.0, abs=0.05)
    assert (r.video_codec, r.width, r.height, r.fps, r.has_audio) == ("h264", 160, 120, 10.0, True)


def test_container_comes_from_content_not_name(files: dict[str, Path]) -> None:
    r = probe_file(files["movie.mp4"])
    assert r.container == "mov"
    assert r.ok


def test_display_name_is_used_in_messages(files: dict[str, Path]) -> None:
    r = probe_file(files["short.mp4"], name="My clip.mp4")
    assert r.name == "My clip.mp4"
    assert r.problems[0].startswith("My clip.mp4 lasts 1.0 s")


@dataclass
class Broken:
    id: str
    make: object  # callable(dir, files) -> Path
    problem: str


def _truncated(d: Path, files: dict[str, Path]) -> Path:
    data = files["good.mp4"].read_bytes()
    (d / "cut.mp4").write_bytes(data[: len(data) // 2])
    return d / "cut.mp4"


def _write(name: str, content: bytes):
    def make(d: Path, files: dict[str, Path]) -> Path:
        (d / name).write_bytes(content)
        return d / name

    return make


def _copy(key: str):
    return lambda d, files: files[key]


BROKEN = [
    Broken("empty", _write("empty.mp4", b""), "empty.mp4 is empty (0 bytes); choose the video file again"),
    Broken(
        "truncated",
        _truncated,
        "cut.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    ),
    Broken(
        "truncated-faststart",
        truncated_faststart,
        "cutfast.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    ),
    Broken(
        "random",
        _write("noise.mp4", random.Random(7).randbytes(20_000)),
        "noise.mp4 is not a video file that can be read; upload an MP4 or MOV file",
    ),
    Broken(
        "text",
        _write("notes.mp4", b"just some notes\n" * 50),
        "notes.mp4 is a text file, not a video; upload an MP4 or MOV file",
    ),
    Broken(
        "audio-only",
        _copy("voice.mp4"),
        "voice.mp4 has no video track (audio only); upload a video with a picture",
    ),
    Broken("image", _copy("photo.mp4"), "photo.png is a PNG image, not a video; upload an MP4 or MOV file"),
    Broken("webm-renamed", _copy("renamed.mp4"), "renamed.mp4 is a WebM video; upload an MP4 or MOV file"),
    Broken(
        "html",
        _copy("page.html"),
        "page.html is a web page, not a video; upload the video itself (MP4 or MOV)",
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c.id for c in BROKEN])
def test_broken_files_give_one_clear_problem(case: Broken, files: dict[str, Path], tmp_path: Path) -> None:
    path = case.make(tmp_path, files)
    r = probe_file(path)
    assert r.problems == (case.problem,)
    assert not r.ok


def test_truncated_faststart_still_parses_without_the_box_check(
    files: dict[str, Path], tmp_path: Path
) -> None:
    """Guards the test above: PyAV alone accepts a cut fast-start file."""
    path = truncated_faststart(tmp_path, files)
    with av.open(str(path)) as c:
        assert c.duration / av.time_base == pytest.approx(3.0, abs=0.05)
    with open(path, "rb") as fh:
        assert iso_missing_bytes(fh, path.stat().st_size) > 0
    with open(files["fast.mp4"], "rb") as fh:
        assert iso_missing_bytes(fh, files["fast.mp4"].stat().st_size) == 0


def test_too_short(files: dict[str, Path]) -> None:
    r = probe_file(files["short.mp4"])
    assert r.duration == pytest.approx(1.0, abs=0.05)
    assert r.problems == ("short.mp4 lasts 1.0 s; references must be 2 to 30 s long: use a longer clip",)


def test_too_long(files: dict[str, Path]) -> None:
    r = probe_file(files["long.mp4"])
    assert r.duration == pytest.approx(31.0, abs=0.05)
    assert r.problems == (
        "long.mp4 lasts 31.0 s; references must be 2 to 30 s long: trim it to 30 s or less",
    )


def test_over_100_mb_is_refused_unopened(tmp_path: Path, files: dict[str, Path], monkeypatch) -> None:
    path = tmp_path / "huge.mp4"
    shutil.copy(files["good.mp4"], path)
    with open(path, "r+b") as fh:
        fh.truncate(MAX_REFERENCE_BYTES + 1)  # sparse: instant
    opened: list[object] = []
    monkeypatch.setattr(local.av, "open", lambda *a, **k: opened.append(a))
    r = probe_file(path)
    assert r.problems == ("huge.mp4 is 100.1 MB; references must be at most 100 MB: trim or compress it",)
    assert r.size_bytes == MAX_REFERENCE_BYTES + 1
    assert opened == []


def test_exactly_100_mb_is_not_refused_for_size(tmp_path: Path, files: dict[str, Path]) -> None:
    path = pad_mp4(files["good.mp4"], tmp_path / "full.mp4", MAX_REFERENCE_BYTES)
    r = probe_file(path)
    assert r.problems == ()
    assert r.size_bytes == MAX_REFERENCE_BYTES


def test_no_audio_is_a_warning(files: dict[str, Path]) -> None:
    r = probe_file(files["silent.mp4"])
    assert r.ok
    assert r.has_audio is False
    assert r.warnings == ("silent.mp4 has no audio track: the voice cannot be copied",)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert probe_file(tmp_path / "gone.mp4").problems == ("gone.mp4 was not found; upload it again",)
    assert probe_file(tmp_path).problems == (f"{tmp_path.name} is not a file; choose a video file",)


def test_unexpected_errors_become_problems(files: dict[str, Path], monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(local.av, "open", boom)
    r = probe_file(files["good.mp4"])
    assert r.problems == (
        "good.mp4 is damaged or incomplete (its MP4 structure cannot be read); export or download it again",
    )


# --------------------------------------------------------------------------- video_duration


def test_video_duration_reads_the_container(files: dict[str, Path]) -> None:
    assert video_duration(files["good.mp4"]) == pytest.approx(3.0, abs=0.05)
    assert video_duration(str(files["long.mp4"])) == pytest.approx(31.0, abs=0.05)
    assert video_duration(files["clip.webm"]) == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize("name", ["voice.mp4", "page.html", "missing.mp4"])
def test_video_duration_is_none_without_a_readable_video(files: dict[str, Path], name: str, tmp_path) -> None:
    assert video_duration(files.get(name, tmp_path / name)) is None
