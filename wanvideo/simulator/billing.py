"""What the simulated provider charges for a task: its own price list and arithmetic.

Written from the provider's facts (API_NOTES section 6), not from the client's pricing module,
so a mistake in the client's estimate shows up as a disagreement with the simulator's charge.
The input caps per reference count are the spec's own (see `contract.Contract.input_caps`).

    billed seconds = sum(min(d, cap)) + output seconds      (cap: 5, 2.5, 1.65 for 1, 2, 3 refs)
    credits        = max(billed seconds x rate(quality), minimum), to the cent

    >>> from wanvideo.simulator.contract import contract
    >>> charge([10.0], "720p", 5, contract("string").input_caps)
    Decimal('47.60')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceList:
    """Credits per billed second by quality; a task never costs less than `minimum_credits`."""

    credits_per_second: Mapping[str, Decimal]
    minimum_credits: Decimal
    as_of: str
    source: str


_RATE_720P = Decimal("4.76")
PRICES = PriceList(
    credits_per_second={"720p": _RATE_720P, "1080p": _RATE_720P * Decimal("1.67")},
    minimum_credits=Decimal("9"),
    as_of="2026-10-10",
    source="EvoLink public catalogue snapshot (API_NOTES section 6)",
)


def charge(
    durations: Sequence[float],
    quality: str,
    output_seconds: int,
    input_caps: Mapping[int, Decimal],
    prices: PriceList = PRICES,
) -> Decimal:
    """Credits for a task with references of `durations` seconds (charged only on success)."""
    cap = input_caps[len(durations)]
    billed = sum((min(Decimal(str(d)), cap) for d in durations), Decimal(0)) + Decimal(output_seconds)
    credits = max(billed * prices.credits_per_second[quality], prices.minimum_credits)
    return credits.quantize(_CENT, ROUND_HALF_UP)
