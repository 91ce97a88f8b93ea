"""The batch's pure rules (issue 20): the variations' seeds and requests, a batch's price and
a film's total over shots of different durations."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from wanvideo.batch import (
    batch_estimate,
    film_estimate,
    variation_requests,
    variation_seeds,
)
from wanvideo.budget import Limit, Limits, Usage, batch_parallel, check
from wanvideo.pricing import estimate
from wanvideo.providers import EVOLINK_PRICES, SEED_MAX, effective_profile
from wanvideo.schemas import GenerationRequest
from wanvideo.settings import load_settings


def test_a_given_seed_and_the_next_ones_wrap_within_the_range():
    assert variation_seeds(42, 3) == [42, 43, 44]
    assert variation_seeds(SEED_MAX - 1, 3) == [SEED_MAX - 1, SEED_MAX, 0]
    assert variation_seeds(7, 1) == [7]
    with pytest.raises(ValueError):
        variation_seeds(SEED_MAX + 1, 2)


def test_without_a_seed_they_are_random_distinct_and_in_range():
    seeds = variation_seeds(None, 4, random.Random(5))
    assert len(set(seeds)) == 4 and all(0 <= s <= SEED_MAX for s in seeds)
    assert variation_seeds(None, 4, random.Random(5)) == seeds  # pure given its randomness
    assert variation_seeds(None, 4) != variation_seeds(None, 4)  # 1 in 2**124 to fail


def test_variation_requests_carry_a_seed_each_only_where_the_pick_takes_one():
    request = GenerationRequest(prompt="a dance", video_urls=("https://example.com/a.mp4",), seed=10)
    fal = effective_profile(load_settings({"WAN_PROVIDER": "fal", "WAN_API_KEY": "k"}))
    assert [r.seed for r in variation_requests(request, 3, fal)] == [10, 11, 12]
    assert {r.prompt for r in variation_requests(request, 3, fal)} == {"a dance"}
    evolink = effective_profile(load_settings({"WAN_PROVIDER": "evolink", "WAN_API_KEY": "k"}))
    plain = request.model_copy(update={"seed": None})
    assert variation_requests(plain, 2, evolink) == [plain, plain]  # Wan 2.6 on EvoLink: no seed
    with pytest.raises(ValueError):
        variation_requests(request, 5, fal)


def test_a_batch_costs_count_times_one():
    one = estimate([10.0], "720p", 5, EVOLINK_PRICES)
    three = batch_estimate(one, 3)
    assert one.credits == Decimal("47.60")
    assert three.credits == Decimal("142.80") and three.total_seconds == 30
    assert three.usd == one.usd * 3 and three.credits_per_second == one.credits_per_second


def test_a_films_total_is_the_sum_of_its_shots_of_different_durations():
    profile = effective_profile(load_settings({"WAN_PROVIDER": "evolink", "WAN_API_KEY": "k"}))
    film = film_estimate(None, [2, 5, 10], "720p", profile, reference_count=1)
    # each shot: its input capped at 5 s (unprobed: the most) plus its own output seconds
    assert [s.total_seconds for s in film.shots] == [7, 10, 15]
    assert film.total.total_seconds == 32
    assert film.total.credits == sum(s.credits for s in film.shots) == Decimal("152.32")


def test_a_batch_needs_its_whole_sum_within_the_credits_and_one_free_slot():
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    limits = Limits(Decimal(100), None, 2, "configured")
    used = Usage(spent=Decimal(0), visitor_spent=Decimal(0), visitor_active=0)
    refused = check(limits, used, Decimal("142.80"), now, count=3)
    assert refused is not None and refused.limit is Limit.DAILY
    assert "these 3 generations" in str(refused) and "142.80" in str(refused)
    assert check(limits, used, Decimal("95.20"), now, count=2) is None
    busy = Usage(spent=Decimal(0), visitor_spent=Decimal(0), visitor_active=2)
    refused = check(limits, busy, Decimal(1), now, count=3)
    assert refused is not None and refused.limit is Limit.VISITOR_ACTIVE and "at least one" in str(refused)
    one_free = Usage(spent=Decimal(0), visitor_spent=Decimal(0), visitor_active=1)
    assert check(limits, one_free, Decimal(1), now, count=3) is None
    assert batch_parallel(limits, one_free, 3) == 1 and batch_parallel(limits, used, 3) == 2
    assert batch_parallel(Limits(None, None, None, "none"), used, 3) == 3


async def test_a_batchs_shared_upload_is_reused_and_a_failed_one_lets_the_next_try():
    import asyncio

    from wanvideo.job import SharedUploads

    uploads = SharedUploads()
    assert await uploads.take("clip") is None  # nobody has it: this job uploads it
    waiting = asyncio.ensure_future(uploads.take("clip"))
    await asyncio.sleep(0)
    assert not waiting.done()  # a sibling waits for that upload instead of sending it again
    uploads.done("clip", None)  # it failed
    assert await waiting is None  # so the sibling uploads it itself
    after = asyncio.ensure_future(uploads.take("clip"))
    await asyncio.sleep(0)
    uploads.done("clip", "https://files.example/clip.mp4")
    assert await after == "https://files.example/clip.mp4"
    assert await uploads.take("clip") == "https://files.example/clip.mp4"


def test_a_films_shots_share_the_request_but_their_prompt_and_duration():
    from pydantic import ValidationError

    from wanvideo.batch import Shot, shot_requests

    request = GenerationRequest(
        prompt="x", video_urls=("https://example.com/a.mp4",), quality="1080p", seed=3
    )
    shots = shot_requests(request, [Shot("character1 walks in", 2), Shot("character1 waves", 3)])
    assert [(s.prompt, s.duration) for s in shots] == [("character1 walks in", 2), ("character1 waves", 3)]
    assert {(s.video_urls, s.quality, s.seed) for s in shots} == {(request.video_urls, "1080p", 3)}
    with pytest.raises(ValidationError):  # each shot is checked as a request is
        shot_requests(request, [Shot("", 2)])
