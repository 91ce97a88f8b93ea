"""The pure layers: sniffing a container from bytes, and the API rules on probed facts."""

from __future__ import annotations

import random

import pytest

from wanvideo.media import ProbeResult, check_reference, sniff_container
from wanvideo.providers import MAX_REFERENCE_BYTES


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", "mov"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x20ftypmp42\x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x20ftyp3gp4\x00\x00\x00\x00", "3gp"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x00\x00\x00\x20ftypheic\x00\x00\x00\x00", "heif"),
        (b"\x00\x00\x00\x08wide\x00\x01\x00\x00mdat", "mov"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"GIF89a\x01\x00", "gif"),
        (b"ID3\x04\x00\x00", "mp3"),
        (b"  <!DOCTYPE html><html>", "html"),
        (b'{"error": "not found"}', "text"),
        (b"", None),
        (random.Random(3).randbytes(512), None),
    ],
)
def test_sniff_container(head: bytes, expected: str | None) -> None:
    assert sniff_container(head) == expected


def _facts(**kw) -> ProbeResult:
    base = dict(
        name="c.mp4",
        source="c.mp4",
        size_bytes=1000,
        container="mp4",
        duration=5.0,
        video_codec="h264",
        width=640,
        height=360,
        fps=30.0,
        has_audio=True,
        headers_read=True,
    )
    return ProbeResult(**{**base, **kw})


@pytest.mark.parametrize("duration", [2.0, 30.0, 10.5])
def test_limits_are_inclusive(duration: float) -> None:
    assert check_reference(_facts(duration=duration)) == ((), ())


def test_other_container_names_its_format() -> None:
    problems, _ = check_reference(_facts(container="dv"))
    assert problems == ("c.mp4 is in the DV format; upload an MP4 or MOV file",)


def test_limit_edges_show_enough_digits() -> None:
    problems, _ = check_reference(_facts(duration=30.04))
    assert problems[0].startswith("c.mp4 lasts 30.04 s;")
    problems, _ = check_reference(_facts(duration=1.97))
    assert problems[0].startswith("c.mp4 lasts 1.97 s;")


def test_codec_warnings() -> None:
    _, warnings = check_reference(_facts(video_codec="hevc"))
    assert warnings == (
        "c.mp4 uses HEVC (H.265) video: only some browsers (Safari, recent Chrome and Edge) can "
        "preview it; convert to H.264 for a preview",
    )
    _, warnings = check_reference(_facts(video_codec="prores"))
    assert warnings == (
        "c.mp4 uses ProRes video: browsers may not preview it; convert to H.264 for a preview",
    )
    assert check_reference(_facts(video_codec="vp9")) == ((), ())


def test_unknown_duration_is_a_warning_not_a_problem() -> None:
    problems, warnings = check_reference(_facts(duration=None))
    assert problems == ()
    assert warnings == ("could not read how long c.mp4 lasts; the cost is shown as a range",)


def test_size_just_over_the_limit_never_reads_as_the_limit() -> None:
    problems, _ = check_reference(_facts(size_bytes=MAX_REFERENCE_BYTES + 1))
    assert "100.1 MB" in problems[0]
    assert check_reference(_facts(size_bytes=MAX_REFERENCE_BYTES)) == ((), ())
