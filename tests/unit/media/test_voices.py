"""Voices: audio files of every common format, or a clip's sound, checked (1-10 s, has sound)
and converted to what the providers take (WAV or MP3) in the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from tests.images import make_sound
from tests.videos import make_video
from wanvideo.limits import MAX_VOICE_SECONDS
from wanvideo.media import Sandbox
from wanvideo.media.voice import (
    PreparedVoice,
    VoiceProbe,
    plan_voice,
    prepare_voice,
    probe_voice_local,
    voice_from_clip,
)


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("voices")
    out = {f"voice.{ext}": make_sound(d / f"voice.{ext}", 3) for ext in ("wav", "mp3", "m4a", "ogg", "flac")}
    out["long.wav"] = make_sound(d / "long.wav", 20, rate=16_000)
    out["short.wav"] = make_sound(d / "short.wav", 0.5)
    out["clip.mp4"] = make_video(d / "clip.mp4", 3, width=64, height=48)
    out["silent.mp4"] = make_video(d / "silent.mp4", 3, width=64, height=48, audio=False)
    return out


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox(workers=1)
    yield sandbox
    sandbox.close()


def probe(path: Path, box: Sandbox) -> VoiceProbe:
    return asyncio.run(probe_voice_local(path, path.name, sandbox=box))


def prepared(path: Path, box: Sandbox, root: Path, *, fix: bool) -> tuple[VoiceProbe, PreparedVoice]:
    found = probe(path, box)
    plan = plan_voice(found, fix=fix)
    assert not plan.problems, plan.problems
    return found, asyncio.run(prepare_voice(path, found, plan, root=root, sandbox=box))


def read_back(path: Path) -> tuple[str, str, float]:
    """(container, codec, seconds) of a made file, read with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        seconds = (
            float(stream.duration * stream.time_base)
            if stream.duration
            else container.duration / av.time_base
        )
        return container.format.name, stream.codec_context.name, seconds


def ids(messages: tuple[str, ...]) -> list[str]:
    return [getattr(m, "id", m) for m in messages]


@pytest.mark.parametrize("name", ["voice.wav", "voice.mp3"])
def test_wav_and_mp3_within_the_limits_are_sent_as_they_are(
    name: str, sounds: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    found, voice = prepared(sounds[name], box, tmp_path, fix=False)
    assert found.has_audio and not found.from_clip and abs(found.seconds - 3) < 0.1
    assert voice.path == sounds[name] and voice.notes == ()


@pytest.mark.parametrize("name", ["voice.m4a", "voice.ogg", "voice.flac"])
def test_other_audio_formats_are_converted_to_wav(
    name: str, sounds: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    found, voice = prepared(sounds[name], box, tmp_path, fix=False)  # converting needs no fix
    assert ids(voice.notes) == ["voice.note_converted"] and voice.path.suffix == ".wav"
    container, codec, seconds = read_back(voice.path)
    assert (container, codec) == ("wav", "pcm_s16le") and abs(seconds - 3) < 0.1
    assert abs(voice.seconds - seconds) < 0.05 and voice.bytes == voice.path.stat().st_size


def test_a_20_second_voice_is_refused_without_fix(sounds: dict[str, Path], box: Sandbox) -> None:
    found = probe(sounds["long.wav"], box)
    assert abs(found.seconds - 20) < 0.1 and found.problems == ()
    plan = plan_voice(found, fix=False)
    assert ids(plan.problems) == ["voice.too_long"] and plan.job is None
    assert "long.wav lasts 20.0 s; a voice must last 1 to 10 s: trim it to 10 s" in plan.problems[0]


def test_a_20_second_voice_is_cut_to_10_with_fix(
    sounds: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    _, voice = prepared(sounds["long.wav"], box, tmp_path, fix=True)
    assert ids(voice.notes) == ["voice.note_converted", "voice.note_trimmed"]
    _, _, seconds = read_back(voice.path)
    assert abs(seconds - MAX_VOICE_SECONDS) < 0.05 and abs(voice.seconds - MAX_VOICE_SECONDS) < 0.05


def test_a_half_second_voice_is_refused(sounds: dict[str, Path], box: Sandbox) -> None:
    found = probe(sounds["short.wav"], box)
    assert ids(found.problems) == ["voice.too_short"] and "short.wav lasts 0.5 s" in found.problems[0]
    assert plan_voice(found, fix=True).problems == found.problems


def test_a_voice_from_a_clip_with_sound(sounds: dict[str, Path], box: Sandbox, tmp_path: Path) -> None:
    found, voice = asyncio.run(
        voice_from_clip(sounds["clip.mp4"], "clip.mp4", fix=False, root=tmp_path, sandbox=box)
    )
    assert found.from_clip and found.problems == () and voice is not None
    assert ids(voice.notes) == ["voice.note_from_clip"]
    container, codec, seconds = read_back(voice.path)
    assert (container, codec) == ("wav", "pcm_s16le") and abs(seconds - 3) < 0.1


def test_a_clip_without_sound_is_refused_as_a_voice(
    sounds: dict[str, Path], box: Sandbox, tmp_path: Path
) -> None:
    found, voice = asyncio.run(
        voice_from_clip(sounds["silent.mp4"], "silent.mp4", fix=True, root=tmp_path, sandbox=box)
    )
    assert voice is None and ids(found.problems) == ["voice.clip_silent"]
    assert "silent.mp4 is a clip without sound" in found.problems[0]


def test_a_file_that_is_not_sound_is_refused(tmp_path: Path, box: Sandbox) -> None:
    path = tmp_path / "voice.mp3"
    path.write_text("not a sound at all\n" * 50)
    found = probe(path, box)
    assert ids(found.problems) == ["voice.unreadable"]
