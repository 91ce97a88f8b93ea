"""Batches (issue 20): several generations of one click, reserved together and each run as its
own task. Pure functions: the variations' seeds and requests, a batch's price and a film's.

    seeds = variation_seeds(42, 3)                    # [42, 43, 44] (wrapping past SEED_MAX)
    requests = variation_requests(request, 3, profile)  # the same request, one seed each
    shots = shot_requests(request, [Shot("character1 walks in", 2), Shot("character1 waves", 3)])
    total = batch_estimate(one, 3)                    # 3 times one generation's estimate
    film = film_estimate(probed, [2, 2, 2], "720p", profile)  # each shot, and the sum

A batch's records share a `group_id` (`TaskRecord`); `group_kind` says what they are
(`KIND_VARIATION`, `KIND_SHOT`), `group_position` which one (1-based) of `group_size`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .events import Probed
from .limits import MAX_VARIATIONS
from .pricing import Estimate, estimate
from .providers import SEED_MAX, ProviderProfile
from .schemas import GenerationRequest

__all__ = [
    "KIND_FILM",
    "KIND_SHOT",
    "KIND_VARIATION",
    "MAX_VARIATIONS",
    "FilmEstimate",
    "Shot",
    "batch_estimate",
    "film_estimate",
    "shot_requests",
    "sum_estimates",
    "variation_requests",
    "variation_seeds",
]

KIND_VARIATION = "variation"  # the same request with different seeds ("variation 2 of 3")
KIND_SHOT = "shot"  # a film's shot: its own prompt and duration ("shot 1 of 3")
KIND_FILM = "film"  # a film's joined video: a record in its shots' group (position 0), not paid

_SEEDS = SEED_MAX + 1  # seeds run 0..SEED_MAX
_CENT = Decimal("0.01")


def variation_seeds(seed: int | None, count: int, rng: random.Random | None = None) -> list[int]:
    """`count` distinct seeds: `seed` and the next ones (wrapping within 0..SEED_MAX), or
    without one, random distinct ones (`rng`, else the system's randomness)."""
    if not 1 <= count <= _SEEDS:
        raise ValueError(f"a batch has 1 to {_SEEDS} seeds, not {count}")
    if seed is not None:
        if not 0 <= seed <= SEED_MAX:
            raise ValueError(f"a seed is 0..{SEED_MAX}, not {seed}")
        return [(seed + i) % _SEEDS for i in range(count)]
    return (rng or random.SystemRandom()).sample(range(_SEEDS), count)


def variation_requests(
    request: GenerationRequest,
    count: int,
    profile: ProviderProfile,
    rng: random.Random | None = None,
) -> list[GenerationRequest]:
    """`count` copies of `request`, each with its own seed (`variation_seeds` from the request's
    seed) where the pick takes a seed; where it takes none, the copies are the same request (the
    provider varies each run by itself) and their seeds are whatever the provider reports."""
    if not 1 <= count <= MAX_VARIATIONS:
        raise ValueError(f"1 to {MAX_VARIATIONS} variations, not {count}")
    if not profile.with_model(request.model).reference.takes("seed"):
        return [request] * count
    return [request.model_copy(update={"seed": s}) for s in variation_seeds(request.seed, count, rng)]


@dataclass(frozen=True)
class Shot:
    """One shot of a film: its own prompt and output duration (seconds)."""

    prompt: str
    duration: int


def shot_requests(request: GenerationRequest, shots: Sequence[Shot]) -> list[GenerationRequest]:
    """A film's requests: `request` (its references, cast and settings) with each shot's prompt
    and duration, each checked as a request is (a bad prompt or duration raises
    `pydantic.ValidationError`, naming the field)."""
    if not shots:
        raise ValueError("a film has at least one shot")
    base = request.model_dump()
    return [
        GenerationRequest.model_validate(base | {"prompt": shot.prompt, "duration": shot.duration})
        for shot in shots
    ]


def sum_estimates(estimates: Sequence[Estimate]) -> Estimate:
    """The estimate of several generations together: seconds, credits and USD summed (each
    generation keeps its own minimum charge); the per-second price, prices' date and source
    are the first's, the references the first's (each shot or variation sends the same)."""
    if not estimates:
        raise ValueError("nothing to sum")
    first = estimates[0]

    def total(name: str) -> Decimal:
        return sum((getattr(e, name) for e in estimates), Decimal(0))

    summed = {
        name: total(name)
        for name in (
            "input_seconds_low",
            "input_seconds",
            "output_seconds",
            "total_seconds_low",
            "total_seconds",
            "credits_low",
            "credits",
        )
    }
    usd = {name: total(name).quantize(_CENT, ROUND_HALF_UP) for name in ("usd_low", "usd")}
    return first.model_copy(
        update={
            **summed,
            **usd,
            "minimum_applied": any(e.minimum_applied for e in estimates),
            "confirmed": all(e.confirmed for e in estimates),
            "input_rule_confirmed": all(e.input_rule_confirmed for e in estimates),
        }
    )


def batch_estimate(one: Estimate, count: int) -> Estimate:
    """The price of `count` variations of one generation: `count` times its estimate (the
    seed does not change the price)."""
    if count < 1:
        raise ValueError(f"a batch has at least one generation, not {count}")
    return sum_estimates([one] * count)


@dataclass(frozen=True)
class FilmEstimate:
    """A film's price before anything is spent: each shot's estimate (in order) and their sum."""

    shots: tuple[Estimate, ...]
    total: Estimate


def film_estimate(
    probed: Probed | None,
    durations: Sequence[int],
    quality: str,
    profile: ProviderProfile,
    reference_count: int | None = None,
) -> FilmEstimate:
    """Each shot priced with `pricing.estimate` (the same references as they will be sent, the
    shot's own output duration) at `profile`'s prices (the pick: `with_model`, `with_audio`),
    and the total. Unprobed (`probed` None), each of `reference_count` references is priced at
    its cap (the most it could cost, as a reservation is)."""
    if not durations:
        raise ValueError("a film has at least one shot")
    if probed is not None:
        sent: list[float | Decimal | None] = list(probed.sent_durations)
    elif reference_count is not None:
        sent = [None] * reference_count
    else:
        raise ValueError("unprobed references need their count")
    shots = tuple(estimate(sent, quality, duration, profile.prices) for duration in durations)
    return FilmEstimate(shots=shots, total=sum_estimates(shots))
