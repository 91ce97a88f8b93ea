"""Cost estimate: pure functions of the reference durations, quality, output duration and
the provider's price table. Exact decimal arithmetic: 10 billed s at 720p is 47.6 credits.

Input truncation (the reference seller's rule, `PriceTable.input_caps`): each reference is cut, total
capped at 5 s::

    1 reference : min(d, 5)
    2 references: min(d, 2.5) each
    3 references: min(d, 1.65) each

A price table without `input_caps` bills the output seconds only. A reference whose
duration is unknown (a link that cannot be read) is billed anywhere from 0 to its cap, so the
estimate becomes a low-high range. Amounts are in the table's `unit` (credits, USD or CNY).

    >>> e = estimate([10.0], "720p", 5, EVOLINK_PRICES)
    >>> e.credits, e.usd
    (Decimal('47.60'), Decimal('0.70'))

`compare_providers` prices the same job on every provider and model variant ("Compare
providers", `/estimate`'s `providers`), each row marked `confirmed` or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, InstanceOf

from .messages import Message
from .providers import (  # noqa: F401  (EVOLINK_PRICES: doctest)
    EVOLINK_INPUT_CAPS,
    EVOLINK_PRICES,
    MAX_REFERENCES,
    PriceTable,
    ProviderProfile,
    compared_profiles,
)

CAP_BY_COUNT = EVOLINK_INPUT_CAPS
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
    prices_source: InstanceOf[Message] | str
    # What `credits*` are in ("credits", "USD", "CNY"), and whether the price and the rule for
    # reference seconds are the provider's word (defaults: estimates stored before these were).
    unit: str = "credits"
    confirmed: bool = True
    input_rule_confirmed: bool = True

    @property
    def is_range(self) -> bool:
        return self.credits_low != self.credits


def billing_cap(reference_count: int, caps: dict[int, Decimal] | None = CAP_BY_COUNT) -> Decimal:
    """The billed-seconds cap per reference; 0 when reference seconds are not billed."""
    if not 1 <= reference_count <= MAX_REFERENCES:
        raise ValueError(f"the model takes 1 to 3 references, not {reference_count}")
    if caps is None:
        return Decimal(0)
    return caps[reference_count]


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
    # Images alone (Wan 2.7): no reference video, so no input seconds.
    alone = not durations and prices.images_alone
    cap = Decimal(0) if alone else billing_cap(len(durations), prices.input_caps)
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
        unit=prices.unit,
        confirmed=prices.confirmed,
        input_rule_confirmed=prices.rule_confirmed(len(durations)),
    )


def charge_for(billed_seconds: Decimal, priced: Estimate) -> Decimal:
    """What `billed_seconds` (the provider's own figure: its usage or billable-units
    figure) cost at the estimate's rate, in its unit (minimum applied)."""
    charge, _ = _charge(Decimal(billed_seconds), priced.credits_per_second, priced.minimum_credits)
    return charge


def billed_difference(priced: Estimate | None, billed_seconds: Decimal | None) -> Message | None:
    """A sentence when the provider billed other seconds than the estimate said (the first
    real runs settle the unconfirmed rules); None when they agree or one is unknown."""
    if priced is None or billed_seconds is None:
        return None
    billed = Decimal(billed_seconds)
    if priced.total_seconds_low <= billed <= priced.total_seconds:
        return None
    return Message(
        "cost.billed_differs",
        billed=seconds_text(billed),
        expected=estimated_seconds(priced),
        source=priced.prices_source,
    )


def seconds_text(value: Decimal) -> str:
    """A number of seconds without trailing zeros: "10", "2.5", "1.65"."""
    return f"{Decimal(value).normalize():f}"


def estimated_seconds(priced: Estimate) -> str:
    """The estimate's total billed seconds: "10", or "5 to 10" (a Message) when a duration is
    unknown."""
    if not priced.is_range:
        return seconds_text(priced.total_seconds)
    return Message(
        "cost.range", low=seconds_text(priced.total_seconds_low), high=seconds_text(priced.total_seconds)
    )


def other_quality(quality: str) -> str:
    return "720p" if quality == "1080p" else "1080p"


def format_credits(credits: Decimal, usd: Decimal | None = None) -> str:
    """The one money format: "47.60 credits (about $0.70)", or "47.60 credits" without USD."""
    shown = str(credits.quantize(_CENT, ROUND_HALF_UP))
    if usd is None:
        return Message("money.credits", credits=shown)
    return Message("money.credits_usd", credits=shown, usd=str(usd.quantize(_CENT, ROUND_HALF_UP)))


def format_amount(amount: Decimal, unit: str, usd: Decimal | None = None) -> str:
    """An amount in a price table's unit: "47.60 credits (about $0.70)", "$0.50",
    "CNY 4.80 (about $0.65)"."""
    if unit == "credits":
        return format_credits(amount, usd)
    shown = amount.quantize(_CENT, ROUND_HALF_UP)
    if unit == "USD":
        return f"${shown}"
    text = f"{unit} {shown}"
    if usd is None:
        return text
    return Message("money.amount_usd", amount=text, usd=str(usd.quantize(_CENT, ROUND_HALF_UP)))


def format_rate(amount: Decimal, unit: str) -> str:
    """A price per billed second, exact to the price table (at least cents): "4.76 credits/s",
    "$0.075/s", "CNY 0.60/s"."""
    value = Decimal(amount)
    cents = value.quantize(_CENT, ROUND_HALF_UP)
    exact = f"{cents}" if cents == value else f"{value.normalize():f}"
    if unit == "credits":
        return Message("money.rate_credits", value=exact)
    if unit == "USD":
        return Message("money.rate", amount=f"${exact}")
    return Message("money.rate", amount=f"{unit} {exact}")


# --------------------------------------------------------------------------- compare providers


class ProviderQuote(BaseModel):
    """One row of "Compare providers": the same job on one provider and model variant.

    `offered` is False when the provider does not sell this output duration (e.g. 5 or 10 s only);
    the amounts are None then. `confirmed` is False when the price or the rule for reference
    seconds is not the provider's word (`notes` say which)."""

    model_config = ConfigDict(frozen=True)

    provider: str  # the profile name (`ProviderProfile.name`)
    label: InstanceOf[Message] | str  # Messages render in the visitor's language; JSON: English
    short_label: InstanceOf[Message] | str = ""  # for narrow tables
    model: str  # the variant id ("standard", "flash")
    model_name: str  # the provider's own name for it
    quality: str
    offered: bool
    billed_seconds_low: Decimal | None
    billed_seconds: Decimal | None
    amount_low: Decimal | None
    amount: Decimal | None  # in `unit`
    unit: str
    usd_low: Decimal | None
    usd: Decimal | None
    confirmed: bool
    notes: tuple[InstanceOf[Message] | str, ...] = ()
    source: InstanceOf[Message] | str = ""
    as_of: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (numbers as floats) for `/estimate`'s `providers`."""

        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "provider": self.provider,
            "label": str(self.label),  # the API's language: English
            "model": self.model,
            "model_name": self.model_name,
            "quality": self.quality,
            "offered": self.offered,
            "billed_seconds": number(self.billed_seconds),
            "billed_seconds_low": number(self.billed_seconds_low),
            "usd": number(self.usd),
            "usd_low": number(self.usd_low),
            "amount": number(self.amount),
            "unit": self.unit,
            "confirmed": self.confirmed,
            "notes": [str(note) for note in self.notes],
            "source": str(self.source),
            "as_of": self.as_of,
        }


@dataclass(frozen=True)
class ReferenceShape:
    """What a job gives besides its videos' durations: its photos and voices (counts)."""

    images: int = 0
    voices: int = 0


def _shape_problem(
    profile: ProviderProfile, durations: Sequence[float | Decimal | None], shape: ReferenceShape | None
) -> Message | None:
    """Why `profile` cannot take the job's references (None: it can)."""
    if shape is not None:
        rules, videos, label = profile.reference, len(durations), profile.label
        count = rules.count_problem(videos, shape.images, label)
        return count or rules.voice_problem(shape.voices, videos + shape.images, label)
    if 1 <= len(durations) <= MAX_REFERENCES or (not durations and profile.prices.images_alone):
        return None
    if not durations:
        return Message("refs.none")
    count = len(durations)
    return Message("refs.too_many", count=count, max=MAX_REFERENCES, remove=count - MAX_REFERENCES)


def quote(
    profile: ProviderProfile,
    durations: Sequence[float | Decimal | None],
    quality: str,
    output_seconds: int,
    shape: ReferenceShape | None = None,
) -> ProviderQuote:
    """The job priced on one profile (its selected model variant). Pure. `shape`: the photos and
    voices given besides the videos (`durations`); a pick that cannot take them is not offered."""
    prices = profile.prices
    notes: list[Message] = []
    if not prices.confirmed:
        notes.append(Message("source.price_unconfirmed", source=prices.source))
    if not prices.rule_confirmed(len(durations)):
        notes.append(Message("source.rule_unconfirmed", source=prices.input_rule_source))
    common = {
        "provider": profile.name,
        "label": profile.label,
        "short_label": profile.short,
        "model": profile.model,
        "model_name": profile.variant.wire,
        "quality": quality,
        "unit": prices.unit,
        "confirmed": prices.fully_confirmed(len(durations)),
        "source": prices.source,
        "as_of": prices.as_of,
    }
    problem = profile.duration_problem(output_seconds) or _shape_problem(profile, durations, shape)
    if problem is not None:
        notes.insert(0, problem)
        return ProviderQuote(
            **common,
            offered=False,
            billed_seconds_low=None,
            billed_seconds=None,
            amount_low=None,
            amount=None,
            usd_low=None,
            usd=None,
            notes=tuple(notes),
        )
    e = estimate(list(durations), quality, output_seconds, prices)
    return ProviderQuote(
        **common,
        offered=True,
        billed_seconds_low=e.total_seconds_low,
        billed_seconds=e.total_seconds,
        amount_low=e.credits_low,
        amount=e.credits,
        usd_low=e.usd_low,
        usd=e.usd,
        notes=tuple(notes),
    )


def compare_providers(
    durations: Sequence[float | Decimal | None],
    quality: str,
    output_seconds: int,
    profiles: Sequence[ProviderProfile] | None = None,
    shape: ReferenceShape | None = None,
) -> list[ProviderQuote]:
    """The same job (reference durations, quality, output seconds; `shape`: its photos and
    voices) priced on every provider and model variant (default: `providers.compared_profiles()`),
    in that order. Pure."""
    chosen = compared_profiles() if profiles is None else profiles
    return [quote(p, durations, quality, output_seconds, shape) for p in chosen]
