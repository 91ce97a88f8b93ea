"""One look at a form's references before paying: probed, planned and priced on the picked
provider and model, compared on every provider, with what the server's key may still spend.

The page's cost panel and `/estimate` render an `Assessment` (`components/cost_view.py`);
nothing here is worded for a page.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field, replace
from typing import Any

from ..batch import batch_estimate
from ..events import Probed
from ..job import check_references
from ..pricing import Estimate, ProviderQuote, ReferenceShape, compare_providers, estimate, other_quality
from ..providers import MAX_CHARACTERS, QUALITIES, ProviderProfile
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
    variations: int = 1  # generations of this request priced together (the estimate is their sum)
    shape: ReferenceShape | None = None  # the photos and voices given (Compare providers checks them)

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
    """The form's references read once, in character order: video files, video links, photo
    files, photo links (well-formed ones; `url_problems` for the rest), and a voice per character."""

    paths: list[str]
    urls: list[str]
    url_problems: list[str]
    oversized: bool  # a links box is larger than any real form: refused whole, nothing probed
    given: int
    image_paths: list[str] = field(default_factory=list)
    image_urls: list[str] = field(default_factory=list)
    voices: list[str | None] = field(default_factory=list)

    @classmethod
    def read(cls, values: FormValues) -> ReferenceInputs:
        paths = inputs.file_paths(values.videos)
        urls, url_problems = inputs.parse_urls(values.video_urls)
        image_paths = inputs.file_paths(values.images)
        image_urls, image_url_problems = inputs.parse_urls(values.image_urls, inputs.IMAGE_URLS)
        boxes = (
            (values.video_urls, inputs.VIDEO_URLS, urls),
            (values.image_urls, inputs.IMAGE_URLS, image_urls),
        )
        oversized = any(inputs.links_box_problem(text, label) for text, label, _ in boxes)
        lines = sum(len(inputs.url_lines(text)) if oversized else len(links) for text, _, links in boxes)
        return cls(
            paths,
            urls,
            url_problems + image_url_problems,
            oversized,
            len(paths) + len(image_paths) + lines,
            image_paths,
            image_urls,
            inputs.voice_paths(values.voices),
        )

    @property
    def sources(self) -> list[str]:
        """The videos in character order: files, then links."""
        return [*self.paths, *self.urls]

    @property
    def probes(self) -> bool:
        """Whether a look probes anything (and so counts against the visitor's estimate limit)."""
        return not self.oversized and 0 < self.given <= MAX_CHARACTERS


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
        images=refs.image_paths,
        image_urls=refs.image_urls,
        voices=refs.voices,
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
        shape=ReferenceShape(
            images=len(refs.image_paths) + len(refs.image_urls), voices=sum(1 for v in refs.voices if v)
        ),
    )
    controls, control_problems = inputs.parse_controls(**values.controls)
    result.variations, variations_problem = inputs.parse_variations(values.variations)
    result.problems += [
        p for p in (duration_problem, starts_problem, *control_problems, variations_problem) if p
    ]
    if result.variations > 1 and probed.estimate is not None:  # every variation is charged
        result.probed = replace(probed, estimate=batch_estimate(probed.estimate, result.variations))
    # The provider's rules on the references and controls (a region may take links only, a
    # model no photos, no voice, no seed...).
    shape = GenerationRequest.model_construct(
        prompt="",
        videos=tuple(refs.paths),
        video_urls=tuple(refs.urls),
        images=tuple(refs.image_paths),
        image_urls=tuple(refs.image_urls),
        voices=tuple(refs.voices),
        duration=seconds if seconds is not None else profile.default_duration,
        model=profile.model,
        **controls,
    )
    if refs.given and not refs.oversized:  # else the probe's refusal ("add a reference") is alone
        said = {_inner(p) for p in result.problems}  # the probe's count refusal is said once
        result.problems += [p for p in provider_problems(shape, profile) if _inner(p) not in said]
    return result


def _inner(problem: str) -> str:
    """A problem without its wrapping ("<field>: <problem>", a sentence of it), to compare."""
    params = getattr(problem, "params", {})
    return str(params.get("problem") or params.get("text") or problem)


def reprice(a: Assessment, compared: list[ProviderProfile]) -> None:
    """The other quality's price and every provider's, for the references as they will be sent."""
    profile = a.profile
    assert profile is not None
    if a.probed is not None and a.probed.estimate is not None:
        durations = a.probed.sent_durations
        a.other = estimate(durations, other_quality(a.quality), a.seconds, profile.prices)
        a.quotes = compare_providers(durations, a.quality, a.seconds, compared, a.shape)
    else:
        a.quotes = []
