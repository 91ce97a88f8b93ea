"""Cost estimate: pure functions of the reference durations, quality, output duration and
the provider's price table. Exact decimal arithmetic: 10 billed s at 720p is 47.6 credits.

Input truncation (the provider's rule): each reference is cut, total capped at 5 s::

    1 reference : min(d, 5)
    2 references: min(d, 2.5) each
    3 references: min(d, 1.65) each

A reference whose duration is unknown (a link that cannot be read) is billed anywhere from
0 to its cap, so the estimate becomes a low-high range.

    >>> e = estimate([10.0], "720p", 5, EVOLINK_PRICES)
    >>> e.credits, e.usd
    (Decimal('47.60'), Decimal('0.70'))
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from .providers import EVOLINK_PRICES, PriceTable  # noqa: F401  (EVOLINK_PRICES: doctest)

CAP_BY_COUNT = {1: Decimal("5"), 2: Decimal("2.5"), 3: Decimal("1.65")}
_CENT = Decimal("0.01")


class ReferenceBill(BaseModel):
    model_config = ConfigDict(frozen=True)

    duration: Decimal | None  # seconds; None when unknown
    cap: Decimal
    billed_low: Decimal
    billed_high: Decimal

    @property
    def billed(self) -> Decimal:
        return self.billed_high


class Estimate(BaseModel):
    """A breakdown of the charge. `*_low` equal the plain fields unless a duration is unknown."""

    model_config = ConfigDict(frozen=True)

    quality: str
    references: tuple[ReferenceBill, ...]
    input_seconds_low: Decimal
    input_seconds: Decimal
    output_seconds: Decimal
    total_seconds_low: Decimal
    total_seconds: Decimal
    credits_per_second: Decimal
    credits_low: Decimal
    credits: Decimal
    usd_low: Decimal
    usd: Decimal
    minimum_applied: bool
    minimum_credits: Decimal
    prices_as_of: str
    prices_source: str

    @property
    def is_range(self) -> bool:
        return self.credits_low != self.credits


def billing_cap(reference_count: int) -> Decimal:
    if reference_count not in CAP_BY_COUNT:
        raise ValueError(f"the model takes 1 to 3 references, not {reference_count}")
    return CAP_BY_COUNT[reference_count]


def bill_reference(duration: float | Decimal | None, cap: Decimal) -> ReferenceBill:
    if duration is None:
        return ReferenceBill(duration=None, cap=cap, billed_low=Decimal(0), billed_high=cap)
    exact = Decimal(str(duration))
    billed = min(exact, cap)
    return ReferenceBill(duration=exact, cap=cap, billed_low=billed, billed_high=billed)


def _charge(seconds: Decimal, rate: Decimal, minimum: Decimal) -> tuple[Decimal, bool]:
    credits = seconds * rate
    if credits < minimum:
        return minimum, True
    return credits, False


def estimate(
    durations: list[float | Decimal | None],
    quality: str,
    output_seconds: int,
    prices: PriceTable,
) -> Estimate:
    """The charge for one generation (billed only when the task succeeds)."""
    cap = billing_cap(len(durations))
    refs = tuple(bill_reference(d, cap) for d in durations)
    input_low = sum((r.billed_low for r in refs), Decimal(0))
    input_high = sum((r.billed_high for r in refs), Decimal(0))
    output = Decimal(output_seconds)
    rate = prices.credits_per_second(quality)
    credits_low, _ = _charge(input_low + output, rate, prices.minimum_credits)
    credits_high, minimum_applied = _charge(input_high + output, rate, prices.minimum_credits)
    return Estimate(
        quality=quality,
        references=refs,
        input_seconds_low=input_low,
        input_seconds=input_high,
        output_seconds=output,
        total_seconds_low=input_low + output,
        total_seconds=input_high + output,
        credits_per_second=rate,
        credits_low=credits_low,
        credits=credits_high,
        usd_low=(credits_low / prices.credits_per_usd).quantize(_CENT, ROUND_HALF_UP),
        usd=(credits_high / prices.credits_per_usd).quantize(_CENT, ROUND_HALF_UP),
        minimum_applied=minimum_applied,
        minimum_credits=prices.minimum_credits,
        prices_as_of=prices.as_of,
        prices_source=prices.source,
    )


def other_quality(quality: str) -> str:
    return "720p" if quality == "1080p" else "1080p"


def format_credits(credits: Decimal, usd: Decimal | None = None) -> str:
    """The one money format: "47.60 credits (about $0.70)", or "47.60 credits" without USD."""
    text = f"{credits.quantize(_CENT, ROUND_HALF_UP)} credits"
    return f"{text} (about ${usd.quantize(_CENT, ROUND_HALF_UP)})" if usd is not None else text
