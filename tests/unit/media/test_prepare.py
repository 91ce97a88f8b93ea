"""The preparation plan: what a clip needs, from its probed facts (pure, no files)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from wanvideo.media.prepare import (
    MAX_SOURCE_BYTES,
    Encoding,
    Limits,
    Step,
    output_size,
    plan_preparation,
    video_bitrate_cap,
)
from wanvideo.media.result import ProbeResult
from wanvideo.media.rules import validate
from wanvideo.preparation import plan_references

MB = 1_000_000


def probe(**facts: object) -> ProbeResult:
    """A probed H.264 + AAC MP4 of 10 s, 1280x720, 5 MB, with `facts` changed."""
    base = ProbeResult(
        name="clip.mp4",
        source="/tmp/clip.mp4",
        size_bytes=5 * MB,
        container="mp4",
        duration=10.0,
        video_codec="h264",
        width=1280,
        height=720,
        fps=30.0,
        has_audio=True,
        audio_codec="aac",
        pixel_format="yuv420p",
        headers_read=True,
    )
    return validate(replace(base, **facts))  # type: ignore[arg-type]


def test_a_clip_the_provider_takes_is_sent_as_it_is() -> None:
    plan = plan_preparation(probe())
    assert plan.steps == () and not plan.needed and plan.job is None
    assert plan.sent.duration == 10.0 and plan.sent.problems == ()
    assert plan.notes() == ()


def test_webm_is_converted_and_described() -> None:
    webm = probe(container="webm", video_codec="vp9", audio_codec="opus", name="screen.webm")
    assert webm.problems  # refused as it is
    plan = plan_preparation(webm)
    assert plan.needed and Step.CONVERT in plan.steps
    assert plan.notes() == ("converted from WebM",)
    assert plan.job is not None and not plan.job.copy_video and not plan.job.copy_audio
    assert (plan.sent.container, plan.sent.video_codec, plan.sent.audio_codec) == ("mp4", "h264", "aac")
    assert plan.sent.problems == ()


def test_mkv_with_h264_and_aac_is_only_remuxed() -> None:
    plan = plan_preparation(probe(container="mkv"))
    assert plan.steps == (Step.REMUX,)
    assert plan.notes() == ("remuxed from MKV",)
    assert plan.job is not None and plan.job.copy_video and plan.job.copy_audio


def test_mkv_with_opus_keeps_its_video_and_converts_its_audio() -> None:
    plan = plan_preparation(probe(container="mkv", audio_codec="opus"))
    assert plan.job is not None and plan.job.copy_video and not plan.job.copy_audio
    assert plan.notes() == ("remuxed from MKV", "audio converted from Opus to AAC")


def test_hevc_mov_is_converted() -> None:
    plan = plan_preparation(probe(container="mov", video_codec="hevc"))
    assert Step.CONVERT in plan.steps and plan.notes() == ("converted from HEVC (H.265)",)
    assert "HEVC" not in " ".join(plan.sent.warnings)  # the preview warning is gone once converted


def test_ten_bit_h264_is_converted_to_yuv420p() -> None:
    plan = plan_preparation(probe(pixel_format="yuv420p10le"))
    assert plan.needed and plan.sent.pixel_format == "yuv420p"


def test_rotated_phone_clip_becomes_portrait() -> None:
    # The probe reports the size as displayed: 720x1280, turned 90 degrees.
    plan = plan_preparation(probe(width=720, height=1280, rotation=90))
    assert plan.steps == (Step.ROTATE,)
    assert plan.notes() == ("rotated to portrait",)
    assert plan.job is not None and plan.job.rotation == 90
    assert (plan.job.width, plan.job.height) == (720, 1280)
    assert plan.sent.orientation == "portrait" and plan.sent.rotation == 0


def test_long_clip_is_trimmed_to_its_window_and_billed_as_sent() -> None:
    plan = plan_preparation(probe(duration=45.0))
    assert Step.TRIM in plan.steps and plan.notes() == ("trimmed to 0-30 s",)
    assert plan.sent.duration == 30.0 and plan.sent.problems == ()
    later = plan_preparation(probe(duration=45.0), 12.5)
    assert later.notes() == ("trimmed to 12.5-42.5 s",)
    assert (later.start, later.end) == (12.5, 42.5)
    near_end = plan_preparation(probe(duration=45.0), 40.0)
    assert near_end.sent.duration == 5.0 and near_end.notes() == ("trimmed to 40-45 s",)


def test_a_start_on_a_short_clip_trims_it_too() -> None:
    plan = plan_preparation(probe(duration=10.0), 3.0)
    assert plan.steps == (Step.TRIM,) and plan.sent.duration == 7.0


def test_a_start_that_leaves_too_little_is_refused_with_the_length() -> None:
    plan = plan_preparation(probe(duration=45.0), 44.0)
    assert not plan.needed
    assert plan.sent.problems == (
        "clip.mp4 lasts 45 s: a start at 44 s leaves 1 s, and references need at least 2 s; "
        "start at 43 s or earlier",
    )
    negative = plan_preparation(probe(), -1.0)
    assert negative.sent.problems and "0 or more" in negative.sent.problems[0]


def test_large_clip_is_shrunk_under_the_limit() -> None:
    plan = plan_preparation(probe(size_bytes=150 * MB, duration=30.0, width=1920, height=1080))
    assert plan.steps == (Step.SHRINK,)
    assert plan.expected_bytes is not None and plan.expected_bytes < 100 * MB
    (note,) = plan.notes()
    assert note.startswith("shrunk from 150 MB to about ") and note.endswith(" MB")
    assert plan.sent.size_bytes is not None and plan.sent.size_bytes <= 100 * MB
    assert plan.sent.problems == ()
    # After the work, the note gives the real size.
    assert plan.notes(87 * MB) == ("shrunk from 150 MB to 87 MB",)


def test_the_byte_limit_is_a_parameter() -> None:
    small = Limits(max_bytes=1 * MB)
    plan = plan_preparation(probe(size_bytes=3 * MB), limits=small)
    assert Step.SHRINK in plan.steps and plan.job is not None and plan.job.max_bytes == 1 * MB
    assert plan_preparation(probe(size_bytes=3 * MB)).steps == ()


def test_trimming_a_large_clip_may_make_it_fit_without_shrinking() -> None:
    # 150 MB over 60 s: its 30 s window holds about 75 MB.
    plan = plan_preparation(probe(size_bytes=150 * MB, duration=60.0))
    assert Step.TRIM in plan.steps and Step.SHRINK not in plan.steps


def test_4k_is_scaled_to_1920_on_its_long_side_when_re_encoded() -> None:
    plan = plan_preparation(probe(video_codec="hevc", width=3840, height=2160))
    assert plan.job is not None and (plan.job.width, plan.job.height) == (1920, 1080)
    assert Step.SCALE in plan.steps and "scaled to 1920x1080" in plan.notes()
    portrait = plan_preparation(probe(video_codec="hevc", width=2160, height=3840, rotation=90))
    assert portrait.job is not None and (portrait.job.width, portrait.job.height) == (1080, 1920)
    # Not re-encoded: kept as it is.
    assert plan_preparation(probe(width=3840, height=2160)).steps == ()


def test_stray_bytes_are_remuxed_not_called_damaged() -> None:
    stray = probe(stray_bytes=1234)
    assert stray.problems and "stray bytes" in stray.problems[0]  # fixing off: refused, truthfully
    plan = plan_preparation(stray)
    assert plan.steps == (Step.REMUX,) and plan.job is not None and plan.job.copy_video
    assert plan.notes() == ("remuxed without the 1,234 stray bytes after its end",)
    assert plan.sent.problems == ()


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        ({"duration": 1.2}, "lasts 1.2 s"),
        ({"video_codec": None, "width": None, "height": None}, "no video track"),
        ({"read_error": "truncated: 100 bytes missing"}, "damaged or incomplete"),
    ],
)
def test_what_cannot_be_fixed_is_refused_with_the_reason(facts: dict[str, object], words: str) -> None:
    plan = plan_preparation(probe(**facts))
    assert not plan.needed and plan.job is None
    assert plan.sent.problems and words in plan.sent.problems[0]


def test_a_clip_over_the_fixable_size_names_that_limit() -> None:
    big = ProbeResult(name="huge.mov", source="/tmp/huge.mov", size_bytes=MAX_SOURCE_BYTES + 1)
    plan = plan_preparation(validate(big))
    assert plan.sent.problems == (
        "huge.mov is 500.1 MB; clips up to 500 MB can be fixed here (the provider takes 100 MB): "
        "trim or compress it first",
    )


def test_preparing_time_grows_with_pixels_and_length() -> None:
    small = plan_preparation(probe(duration=45.0, width=320, height=240))
    large = plan_preparation(probe(duration=45.0, width=1920, height=1080))
    remux = plan_preparation(probe(container="mkv"))
    assert 0 < remux.seconds_to_prepare < small.seconds_to_prepare < large.seconds_to_prepare


def test_plans_follow_the_starts_and_fixing_off_refuses_a_start() -> None:
    probes = [probe(duration=45.0), probe(duration=8.0, name="b.mp4")]
    plans, problems, warnings = plan_references(probes, [12.5], fix=True)
    assert [p.start for p in plans] == [12.5, 0.0] and problems == [] and warnings == []
    _, _, warnings = plan_references(probes, [0, 0, 3], fix=True)
    assert warnings == ["Start at (s): 3 values for 2 references; the last 1 is ignored"]
    plans, problems, _ = plan_references(probes, [0, 2], fix=False)
    assert plans == ()
    assert problems == [
        "Start at (s): character2 starts at 2 s, but clips are only trimmed when "
        "'Fix clips automatically' is on"
    ]


def test_output_size_and_bitrate_cap() -> None:
    assert output_size(1919, 1081, 1920) == (1918, 1080)  # even sides for yuv420p
    assert output_size(3840, 2160, 1920) == (1920, 1080)
    cap = video_bitrate_cap(30.0, 100 * MB, Encoding(), True)
    assert (cap * 31 + 128_000 * 30) / 8 <= 100 * MB  # the worst case still fits
