"""The provider's input-truncation billing rule, case by case (API_NOTES.md section 6)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from wanvideo.pricing import billing_cap, estimate, other_quality
from wanvideo.providers import EVOLINK_PRICES, PriceTable, get_profile

RATE_720 = D("4.76")
RATE_1080 = D("4.76") * D("1.67")


@pytest.mark.parametrize(
    ("durations", "billed_each", "input_total"),
    [
        # one reference: min(d, 5)
        ([2.0], ["2.0"], "2.0"),
        ([4.99], ["4.99"], "4.99"),
        ([5.0], ["5"], "5"),
        ([5.01], ["5"], "5"),
        ([30.0], ["5"], "5"),
        # two references: min(d, 2.5) each
        ([2.0, 2.0], ["2.0", "2.0"], "4.0"),
        ([2.49, 2.5], ["2.49", "2.5"], "4.99"),
        ([2.51, 10.0], ["2.5", "2.5"], "5.0"),
        ([2.0, 30.0], ["2.0", "2.5"], "4.5"),
        # three references: min(d, 1.65) each (never below 2 s in practice, so always the cap)
        ([1.64, 1.65, 1.66], ["1.64", "1.65", "1.65"], "4.94"),
        ([2.0, 2.0, 2.0], ["1.65", "1.65", "1.65"], "4.95"),
        ([30.0, 3.0, 2.0], ["1.65", "1.65", "1.65"], "4.95"),
    ],
)
def test_truncation_rule(durations, billed_each, input_total):
    e = estimate(durations, "720p", 5, EVOLINK_PRICES)
    assert [r.billed for r in e.references] == [D(b) for b in billed_each]
    assert e.input_seconds == D(input_total)
    assert e.output_seconds == 5
    assert e.total_seconds == D(input_total) + 5
    assert e.credits == (D(input_total) + 5) * RATE_720
    assert not e.is_range


@pytest.mark.parametrize(
    ("durations", "quality", "output", "credits", "usd"),
    [
        # the worked example: one 10 s reference (billed 5 s) + 5 s output at 720p
        ([10.0], "720p", 5, "47.6", "0.70"),
        ([10.0], "1080p", 5, str(D(10) * RATE_1080), "1.17"),
        ([3.0, 4.0], "720p", 5, "47.6", "0.70"),
        ([3.0, 4.0], "1080p", 5, str(D(10) * RATE_1080), "1.17"),
        ([3.0, 3.0, 3.0], "720p", 10, str(D("14.95") * RATE_720), "1.05"),
        ([2.0], "720p", 2, str(D(4) * RATE_720), "0.28"),
    ],
)
def test_credits_and_usd(durations, quality, output, credits, usd):
    e = estimate(durations, quality, output, EVOLINK_PRICES)
    assert e.credits == D(credits)
    assert e.usd == D(usd)
    assert e.quality == quality


def test_ten_seconds_at_720p_is_exactly_47_6_credits():
    e = estimate([5.0], "720p", 5, EVOLINK_PRICES)
    assert e.total_seconds == 10
    assert e.credits == D("47.6")
    assert str(e.credits.normalize()) == "47.6"


def test_1080p_is_720p_times_1_67():
    low = estimate([3.0, 4.0], "720p", 5, EVOLINK_PRICES)
    high = estimate([3.0, 4.0], "1080p", 5, EVOLINK_PRICES)
    assert high.credits == low.credits * D("1.67")
    assert high.credits_per_second == RATE_1080


def test_minimum_charge_applies_below_nine_credits():
    cheap = EVOLINK_PRICES.model_copy(update={"credits_per_second_720p": D("0.5")})
    e = estimate([2.0], "720p", 2, cheap)  # 4 s x 0.5 = 2 credits -> minimum 9
    assert e.minimum_applied
    assert e.credits == D("9")
    assert e.usd == (D(9) / D(68)).quantize(D("0.01"))


def test_minimum_charge_not_applied_at_or_above_minimum():
    table = EVOLINK_PRICES.model_copy(update={"credits_per_second_720p": D("2.25")})
    e = estimate([2.0], "720p", 2, table)  # exactly 9 credits
    assert e.credits == D("9")
    assert not e.minimum_applied


@pytest.mark.parametrize(
    ("durations", "low_input", "high_input"),
    [
        ([None], "0", "5"),
        ([3.0, None], "2.5", "5.0"),
        ([None, None, 2.0], "1.65", "4.95"),
    ],
)
def test_unknown_durations_give_a_range(durations, low_input, high_input):
    e = estimate(durations, "720p", 5, EVOLINK_PRICES)
    assert e.is_range
    assert e.input_seconds_low == D(low_input)
    assert e.input_seconds == D(high_input)
    assert e.credits_low == (D(low_input) + 5) * RATE_720
    assert e.credits == (D(high_input) + 5) * RATE_720
    assert [r.duration for r in e.references].count(None) == durations.count(None)


@pytest.mark.parametrize("count", [0, 4])
def test_reference_count_outside_one_to_three_is_refused(count):
    with pytest.raises(ValueError, match="1 to 3"):
        estimate([3.0] * count, "720p", 5, EVOLINK_PRICES)


def test_caps_by_count():
    assert [billing_cap(n) for n in (1, 2, 3)] == [D("5"), D("2.5"), D("1.65")]


def test_estimate_carries_price_date_and_source():
    e = estimate([3.0], "720p", 5, EVOLINK_PRICES)
    assert e.prices_as_of == "2026-10-10"
    assert "EvoLink" in e.prices_source
    assert e.minimum_credits == D("9")


def test_price_override_from_configuration():
    profile = get_profile("odkkk").with_overrides(
        prices_json='{"credits_per_second_720p": "5", "as_of": "2026-11-01", "source": "contract"}'
    )
    assert isinstance(profile.prices, PriceTable)
    e = estimate([5.0], "720p", 5, profile.prices)
    assert e.credits == D("50")
    assert e.prices_source == "contract"


def test_other_quality():
    assert other_quality("720p") == "1080p"
    assert other_quality("1080p") == "720p"
