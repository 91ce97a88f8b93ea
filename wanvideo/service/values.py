"""`FormValues`: the form's fields as one value, as the page, the gradio_client API and the MCP
tools give them (raw: the service parses and checks them).

A new field is added here once: the page binds a component to it by name
(`components.form.Form.component_for`), and `/estimate` and `/generate` take it as a parameter
(their signatures are built from these fields, in this order, after the existing ones, so
today's callers keep working). `ESTIMATE` marks what `/estimate` takes (what the price and
the cards depend on); `PER_CARD` a field the page shows on each reference card (`voices`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..providers import CONTROLS, ProviderProfile

PRICED = {"priced": True}
PER_CARD = {"priced": True, "per_card": True}


@dataclass(frozen=True)
class FormValues:
    """One request as a person filled it in. Defaults are the API's defaults."""

    prompt: str = ""
    videos: Any = field(default=None, metadata=PRICED)  # files: paths or Gradio file values
    video_urls: str = field(default="", metadata=PRICED)  # one link per line
    quality: str = field(default="720p", metadata=PRICED)
    aspect_ratio: str = "16:9"
    duration: Any = field(default=None, metadata=PRICED)  # empty: the provider's default
    shot_type: str = "single"
    callback_url: str | None = None
    api_key: str | None = None  # the visitor's own key (never stored)
    fix_references: bool = field(default=True, metadata=PRICED)
    reference_starts: str = field(default="", metadata=PRICED)  # "0, 12.5"
    provider: str = field(default="", metadata=PRICED)  # empty: this app's provider
    model: str = field(default="", metadata=PRICED)  # empty: the provider's default model
    # Characters from photos and a voice per character (issue 17), after the videos.
    images: Any = field(default=None, metadata=PRICED)  # photo files, after the videos
    image_urls: str = field(default="", metadata=PRICED)  # one link per line, after the photo files
    voices: Any = field(default=None, metadata=PER_CARD)  # the i-th voice: the i-th character's
    # The generation controls: None (empty) is the model's default.
    seed: float | str | None = field(default=None, metadata=PRICED)  # the page: text; empty: none
    negative_prompt: str | None = field(default=None, metadata=PRICED)
    # On/off: True, False, "true", "false"; None or empty: the model's default.
    prompt_extend: bool | str | None = field(default=None, metadata=PRICED)
    audio: bool | str | None = field(default=None, metadata=PRICED)  # off: the silent (cheaper) price
    watermark: bool | str | None = field(default=None, metadata=PRICED)
    # Variations (issue 20): 1 to 4 generations of this request with different seeds, priced
    # and reserved together.
    variations: float | str | None = field(default=1, metadata=PRICED)
    # Saved characters (the cast), ids or names in order (commas or lines), before the uploaded
    # references of their kind; each brings its voice.
    characters: str | list[str] | None = field(default=None, metadata=PRICED)

    @property
    def own_key(self) -> str | None:
        return (self.api_key or "").strip() or None

    @property
    def controls(self) -> dict[str, Any]:
        """The generation controls as given (`inputs.parse_controls` reads them)."""
        return {name: getattr(self, name) for name in CONTROLS}

    def for_pick(self, profile: ProviderProfile) -> FormValues:
        """The page's values on `profile`: a control the pick does not take is left at the
        model's default (the page shows it disabled with the reason; an API caller who sets it
        is refused with that reason instead)."""
        untaken = {name: default_of(name) for name in CONTROLS if not profile.reference.takes(name)}
        return replace(self, **untaken)

    @classmethod
    def of(cls, names: tuple[str, ...], values: tuple[Any, ...]) -> FormValues:
        """The values given in the order of `names` (the rest keep their defaults)."""
        return cls(**dict(zip(names, values, strict=True)))


ALL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(FormValues))
GENERATE_FIELDS = ALL_FIELDS  # /generate takes every field
# /film takes every field but what each shot says (its prompt, its duration) and variations.
FILM_FIELDS: tuple[str, ...] = tuple(n for n in ALL_FIELDS if n not in ("prompt", "duration", "variations"))
ESTIMATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(FormValues) if f.metadata.get("priced"))


PER_CARD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(FormValues) if f.metadata.get("per_card"))


def default_of(name: str) -> Any:
    return next(f.default for f in fields(FormValues) if f.name == name)


def annotation_of(name: str) -> Any:
    return next(f.type for f in fields(FormValues) if f.name == name)
