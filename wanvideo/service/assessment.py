"""One look at a form's references before paying: probed, planned and priced on the picked
provider and model, compared on every provider, with what the server's key may still spend.

The page's cost panel and `/estimate` render an `Assessment` (`components/cost_view.py`);
nothing here is worded for a page.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from ..events import Probed
from ..job import check_references
from ..pricing import Estimate, ProviderQuote, compare_providers, estimate, other_quality
from ..providers import MAX_REFERENCES, QUALITIES, ProviderProfile
from ..schemas import GenerationRequest, provider_problems
from . import inputs
from .values import FormValues


@dataclass
class Assessment:
    """One look at the inputs: the probe, the estimates and every problem in plain words."""

    probed: Probed | None
    duration: int | None
    quality: str
    given: int = 0  # references given (files and well-formed links), probed or not
    other: Estimate | None = None
    problems: list[str] = field(default_factory=list)

    budget: Any = None  # wanvideo.budget.BudgetStatus: what the server's key may still spend today
    fix: bool = True  # clips the provider would refuse are prepared (fix_references)
    profile: ProviderProfile | None = None  # the provider and model priced (None: the configured one)
    quotes: list[ProviderQuote] = field(default_factory=list)  # the same job on every provider
    notes: list[str] = field(default_factory=list)  # what the visitor should know, not a refusal

    @property
    def estimate(self) -> Estimate | None:
        return self.probed.estimate if self.probed else None

    @property
    def seconds(self) -> int:
        """The output seconds priced (the profile's default when the duration was refused)."""
        profile = self.profile
        assert profile is not None
        return self.duration if self.duration is not None else profile.default_duration


@dataclass(frozen=True)
class ReferenceInputs:
    """The form's references read once: files, well-formed links, the problems of the rest."""

    paths: list[str]
    urls: list[str]
    url_problems: list[str]
    oversized: bool  # the links box is larger than any real form: refused whole, nothing probed
    given: int

    @classmethod
    def read(cls, values: FormValues) -> ReferenceInputs:
        paths = inputs.file_paths(values.videos)
        urls, url_problems = inputs.parse_urls(values.video_urls)
        oversized = inputs.links_box_problem(values.video_urls) is not None
        lines = len(inputs.url_lines(values.video_urls)) if oversized else len(urls)
        return cls(paths, urls, url_problems, oversized, len(paths) + lines)

    @property
    def sources(self) -> list[str]:
        """In character order: files, then links."""
        return [*self.paths, *self.urls]

    @property
    def probes(self) -> bool:
        """Whether a look probes anything (and so counts against the visitor's estimate limit)."""
        return not self.oversized and 0 < self.given <= MAX_REFERENCES


def probe(
    values: FormValues, refs: ReferenceInputs, profile: ProviderProfile, settings: Any
) -> Awaitable[Probed]:
    """The one probe per look (see `check_references`), at the form's quality and duration."""
    seconds, _ = inputs.parse_duration(profile, values.duration)
    starts, _ = inputs.parse_starts(values.reference_starts)
    return check_references(
        refs.paths,
        refs.urls,
        values.quality or QUALITIES[0],
        seconds if seconds is not None else profile.default_duration,
        profile,
        settings,
        fix=inputs.parse_fix(values.fix_references),
        starts=starts,
    )


def assessment_of(
    values: FormValues,
    refs: ReferenceInputs,
    profile: ProviderProfile,
    probed: Probed,
    pick_problems: list[str],
) -> Assessment:
    """The probe with every problem of the form's priced fields, in the form's order."""
    seconds, duration_problem = inputs.parse_duration(profile, values.duration)
    _, starts_problem = inputs.parse_starts(values.reference_starts)
    result = Assessment(
        probed=probed,
        given=refs.given,
        duration=seconds,
        quality=values.quality or QUALITIES[0],
        problems=[*pick_problems, *probed.problems, *refs.url_problems],
        fix=inputs.parse_fix(values.fix_references),
        profile=profile,
    )
    result.problems += [p for p in (duration_problem, starts_problem) if p]
    # The provider's rules on the references themselves (a region may take links only).
    shape = GenerationRequest.model_construct(
        prompt="", videos=tuple(refs.paths), video_urls=tuple(refs.urls), model=profile.model
    )
    result.problems += [p for p in provider_problems(shape, profile) if p not in result.problems]
    return result


def reprice(a: Assessment, compared: list[ProviderProfile]) -> None:
    """The other quality's price and every provider's, for the references as they will be sent."""
    profile = a.profile
    assert profile is not None
    if a.probed is not None and a.probed.estimate is not None:
        durations = a.probed.sent_durations
        a.other = estimate(durations, other_quality(a.quality), a.seconds, profile.prices)
        a.quotes = compare_providers(durations, a.quality, a.seconds, compared)
    else:
        a.quotes = []
