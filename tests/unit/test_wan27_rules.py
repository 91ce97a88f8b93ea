"""Issue 17's rules: image references, voices, Wan 2.7, the generation controls, character
naming per provider and model, and the silent and Wan 2.7 prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from wanvideo.pricing import estimate
from wanvideo.providers import CONTROLS, get_profile
from wanvideo.schemas import GenerationRequest, plain_problems

V = "https://example.com/a.mp4"
IMG = "https://example.com/a.png"
SG = get_profile("dashscope", "singapore")
EVOLINK = get_profile("evolink")
FAL = get_profile("fal")


def make(profile, **fields) -> GenerationRequest:
    data = {"prompt": "character1 dances", **fields}
    return GenerationRequest.model_validate(data, context={"profile": profile})


def refusal(profile, **fields) -> str:
    with pytest.raises(ValidationError) as info:
        make(profile, **fields)
    return " ".join(str(p) for p in plain_problems(info.value))


# ------------------------------------------------------------------ counts


def test_dashscope_26_takes_a_video_and_images_up_to_five_in_all() -> None:
    r = make(SG, video_urls=[V], image_urls=[IMG, IMG], images=["/tmp/a.png"])
    assert (r.reference_count, r.image_count, r.character_count) == (1, 3, 4)
    assert r.character_sources == [V, "/tmp/a.png", IMG, IMG]  # videos, then image files, then links
    assert make(SG, image_urls=[IMG]).character_count == 1  # an image alone is a reference there
    virginia = get_profile("dashscope", "virginia")  # open point: video references only there
    assert "takes no reference images" in refusal(virginia, video_urls=[V], image_urls=[IMG], duration=5)


def test_a_sixth_reference_is_refused_naming_how_many_to_remove() -> None:
    text = refusal(SG, video_urls=[V, V, V], image_urls=[IMG, IMG, IMG])
    assert "6 references given" in text and "at most 5 in all" in text and "remove 1" in text
    assert "remove 1" in refusal(SG.with_model("wan2.7"), video_urls=[V, V], image_urls=[IMG] * 4)
    assert "at most 5" in refusal(SG, image_urls=[IMG] * 6)  # without a video too


def test_images_where_the_pick_takes_none_and_flash_needs_a_video() -> None:
    assert "takes no reference images" in refusal(EVOLINK, video_urls=[V], image_urls=[IMG])
    assert "takes no reference images" in refusal(FAL, video_urls=[V], image_urls=[IMG])
    assert "at least one reference video" in refusal(FAL, model="flash", image_urls=[IMG])
    assert make(FAL, model="flash", video_urls=[V], image_urls=[IMG]).image_count == 1
    assert make(EVOLINK, model="wan2.7", image_urls=[IMG]).image_count == 1


# ------------------------------------------------------------------ voices


def test_voices_bind_per_character_where_documented() -> None:
    wan27 = SG.with_model("wan2.7")
    assert wan27.reference.voices == "each"
    r = make(SG, model="wan2.7", images=["/tmp/a.png", "/tmp/b.png"], voices=["/tmp/a.wav", ""])
    assert r.voices == ("/tmp/a.wav", None) and r.voice_count == 1
    assert "takes no voices" in refusal(SG, video_urls=[V], voices=["/tmp/a.wav"])
    # EvoLink's per-character binding shape is not published: one reference only (audio_urls)
    assert make(EVOLINK, model="wan2.7", images=["/tmp/a.png"], voices=["/tmp/a.wav"]).voice_count == 1
    text = refusal(EVOLINK, model="wan2.7", images=["/tmp/a.png"], image_urls=[IMG], voices=["/tmp/a.wav"])
    assert "only when there is one reference" in text
    assert "remove 1" in refusal(SG, model="wan2.7", image_urls=[IMG], voices=["/a.wav", "/b.wav"])


# ------------------------------------------------------------------ controls


@pytest.mark.parametrize(
    ("profile", "model", "taken"),
    [
        (EVOLINK, "standard", set()),
        (EVOLINK, "wan2.7", {"negative_prompt"}),
        (SG, "standard", {"seed", "negative_prompt", "watermark"}),
        (SG, "flash", {"seed", "negative_prompt", "watermark", "audio"}),
        (SG, "wan2.7", {"seed", "negative_prompt", "watermark", "prompt_extend"}),
        (FAL, "standard", {"seed", "negative_prompt", "prompt_extend"}),
        (FAL, "flash", {"seed", "negative_prompt", "prompt_extend", "audio"}),
    ],
)
def test_each_pick_says_which_controls_it_takes(profile, model, taken) -> None:
    rules = profile.with_model(model).reference
    assert {c for c in CONTROLS if rules.takes(c)} == taken
    for control in set(CONTROLS) - taken:
        reason = rules.control_reason(control, profile.label)
        assert reason is not None and "does not take" in str(reason)
        assert reason.render("zh-CN") != str(reason)  # both languages


def test_a_control_the_pick_does_not_take_is_refused_never_dropped() -> None:
    assert "does not take Seed" in refusal(EVOLINK, video_urls=[V], seed=7)
    assert "does not take Watermark" in refusal(FAL, video_urls=[V], watermark=True)
    assert "does not take Audio" in refusal(SG, video_urls=[V], audio=False)
    assert "does not take Shot type" in refusal(SG, model="wan2.7", video_urls=[V], shot_type="multi")
    r = make(SG, model="flash", video_urls=[V], audio=False, seed=0, negative_prompt="blur", watermark=True)
    assert (r.audio, r.seed, r.negative_prompt, r.watermark) == (False, 0, "blur", True)
    assert make(SG, video_urls=[V], audio=True).audio is True  # audio on is what it does anyway


@pytest.mark.parametrize("seed", [-1, 2_147_483_648, 1.5, "x", True])
def test_seed_range(seed) -> None:
    assert "seed must be a whole number from 0 to 2147483647" in refusal(SG, video_urls=[V], seed=seed)


def test_negative_prompt_length_and_blank() -> None:
    assert "at most 500" in refusal(SG, video_urls=[V], negative_prompt="x" * 501)
    assert make(SG, video_urls=[V], negative_prompt="  ").negative_prompt is None


# ------------------------------------------------------------------ Wan 2.7 durations, prompt


def test_wan27_is_longer_without_a_reference_video() -> None:
    assert make(SG, model="wan2.7", image_urls=[IMG], duration=15).duration == 15
    assert "at most 10 s" in refusal(SG, model="wan2.7", video_urls=[V], duration=12)
    assert "15" in refusal(SG, video_urls=[V], duration=15)  # wan2.6: 2-10 s
    assert SG.with_model("wan2.7").with_model("standard").durations == tuple(range(2, 11))


def test_wan27_prompt_limit_is_5000() -> None:
    assert len(make(SG, model="wan2.7", image_urls=[IMG], prompt="x" * 5000).prompt) == 5000
    assert "1500" in refusal(SG, video_urls=[V], prompt="x" * 1501)
    assert "5000" in refusal(EVOLINK, model="wan2.7", video_urls=[V], prompt="x" * 5001)


# ------------------------------------------------------------------ naming


@pytest.mark.parametrize(
    ("profile", "model", "prompt", "sent"),
    [
        (SG, "standard", "character1 meets character3", "character1 meets character3"),
        (FAL, "flash", "character1 meets character3", "@Video1 meets @Image2"),
        (FAL, "standard", "character1 and character2", "@Video1 and @Video2"),
        (SG, "wan2.7", "character1 meets character3", "Video 1 meets Image 2"),
        (EVOLINK, "wan2.7", "character2 waves at character1", "Image 1 waves at Video 1"),
        (SG, "wan2.7", "character1和character2跳舞", "视频1和图1跳舞"),
        (SG, "wan2.7", "character9 stays", "character9 stays"),  # beyond the references: as written
    ],
)
def test_characters_are_named_as_each_provider_and_model_documents(profile, model, prompt, sent) -> None:
    videos = 2 if "and character2" in prompt else 1
    assert profile.with_model(model).prompt_as_sent(prompt, videos, 3 - videos) == sent


# ------------------------------------------------------------------ prices


def test_flash_without_audio_is_priced_silent() -> None:
    flash = SG.with_model("flash")
    loud = estimate([3.0], "720p", 5, flash.prices)
    silent = estimate([3.0], "720p", 5, flash.with_audio(False).prices)
    assert silent.credits * 2 == loud.credits
    fal = FAL.with_model("flash").with_audio(False)
    assert fal.prices.credits_per_second_720p == Decimal("0.025")  # a quarter of standard [F26]
    assert SG.with_model("standard").with_audio(False).prices == SG.prices  # no switch: unchanged
    assert flash.with_audio(None).prices == flash.prices


def test_wan27_bills_input_video_and_output_seconds_and_images_alone_output_only() -> None:
    beijing = get_profile("dashscope", "beijing").with_model("wan2.7")
    e = estimate([8.0], "1080p", 10, beijing.prices)
    assert (e.input_seconds, e.total_seconds, e.credits, e.unit) == (5, 15, Decimal("15.0"), "CNY")
    alone = estimate([], "720p", 15, beijing.prices)
    assert (alone.input_seconds, alone.credits) == (0, Decimal("9.0"))
    evolink = EVOLINK.with_model("wan2.7").prices
    e = estimate([], "720p", 10, evolink)  # $0.086/s at 68 credits per $ [EB]
    assert (e.credits, e.usd, evolink.confirmed) == (Decimal("58.480"), Decimal("0.86"), False)
    assert estimate([], "720p", 5, SG.prices).input_seconds == 0  # DashScope 2.6: images alone
    with pytest.raises(ValueError):
        estimate([], "720p", 5, EVOLINK.prices)  # EvoLink 2.6 needs a reference video


# ------------------------------------------------------------------ the wire bodies (no HTTP)


def _body(profile, **extras):
    from wanvideo.schemas import CreateTaskBody

    duration = 5 if profile.provider == "fal" else 2
    data = {
        "prompt": "character1 hugs character2",
        "video_urls": extras.pop("video_urls", []),
        "duration": duration,
    }
    return CreateTaskBody.model_validate({**data, "extras": extras}, context={"profile": profile})


def test_dashscope_27_binds_the_ith_voice_to_the_ith_character_videos_first() -> None:
    from wanvideo.adapters.dashscope import DashScopeAdapter

    profile = SG.with_model("wan2.7")
    body = _body(
        profile, video_urls=[V], image_urls=[IMG], voice_urls=[None, "https://example.com/b.wav"], seed=3
    )
    sent = DashScopeAdapter(profile, None).wire_body(body)  # type: ignore[arg-type]
    assert sent["input"]["media"] == [
        {"type": "reference_video", "url": V},
        {"type": "reference_image", "url": IMG, "reference_voice": "https://example.com/b.wav"},
    ]
    assert sent["input"]["prompt"] == "Video 1 hugs Image 1"
    assert sent["parameters"] == {
        "resolution": "720P",
        "ratio": "16:9",
        "duration": 2,
        "watermark": False,
        "prompt_extend": True,
        "seed": 3,
    }


def test_dashscope_26_sends_one_reference_list_and_fal_its_own_control_names() -> None:
    from wanvideo.adapters.dashscope import DashScopeAdapter
    from wanvideo.adapters.fal import FalAdapter

    flash = SG.with_model("flash")
    sent = DashScopeAdapter(flash, None).wire_body(  # type: ignore[arg-type]
        _body(flash, video_urls=[V], image_urls=[IMG], audio=False, negative_prompt="blur", seed=0)
    )
    assert sent["input"]["reference_urls"] == [V, IMG] and sent["input"]["negative_prompt"] == "blur"
    assert (sent["parameters"]["audio"], sent["parameters"]["seed"]) == (False, 0)
    fal = FAL.with_model("flash")
    sent = FalAdapter(fal, None).wire_body(  # type: ignore[arg-type]
        _body(fal, video_urls=[V], image_urls=[IMG], audio=False, prompt_extend=False, seed=5)
    )
    assert (sent["generate_audio"], sent["enable_prompt_expansion"], sent["seed"]) == (False, False, 5)
    assert sent["image_urls"] == [IMG] and sent["prompt"] == "@Video1 hugs @Image1"


def test_evolink_26_body_is_unchanged_and_27_drops_shot_type() -> None:
    from wanvideo.adapters.evolink import EvoLinkAdapter

    sent = EvoLinkAdapter(EVOLINK, None).wire_body(_body(EVOLINK, video_urls=[V]))  # type: ignore[arg-type]
    assert set(sent) == {
        "model",
        "prompt",
        "video_urls",
        "aspect_ratio",
        "quality",
        "duration",
        "model_params",
    }
    wan27 = EVOLINK.with_model("wan2.7")
    sent = EvoLinkAdapter(wan27, None).wire_body(  # type: ignore[arg-type]
        _body(wan27, image_urls=[IMG], voice_urls=["https://example.com/a.wav"], negative_prompt="x")
    )
    assert sent["image_urls"] == [IMG] and sent["audio_urls"] == ["https://example.com/a.wav"]
    assert "model_params" not in sent and "video_urls" not in sent and sent["negative_prompt"] == "x"


def test_the_record_keeps_images_voices_and_controls_by_name_never_server_paths() -> None:
    from wanvideo.watcher.recorder import request_summary

    request = make(
        SG,
        model="wan2.7",
        images=["/srv/uploads/x/bob.png"],
        image_urls=[IMG],
        voices=["/srv/uploads/y/bob.wav", None],
        seed=11,
        negative_prompt="blur",
    )
    kept = request_summary(request)
    assert kept["images"] == ["bob.png", IMG] and kept["voices"] == ["bob.wav", None]
    assert (kept["seed"], kept["negative_prompt"], kept["model"]) == (11, "blur", "wan2.7")
    assert "/srv/" not in str(kept)
