"""`FormValues`: the form's fields as one value, as the page, the gradio_client API and the MCP
tools give them (raw: the service parses and checks them).

A new field is added here once: the page binds a component to it by name
(`components.form.Form.component_for`), and `/estimate` and `/generate` take it as a parameter
(their signatures are built from these fields, in this order, after the existing ones, so
today's callers keep working). `priced` marks what the estimate depends on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

PRICED = {"priced": True}


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

    @property
    def own_key(self) -> str | None:
        return (self.api_key or "").strip() or None

    @classmethod
    def of(cls, names: tuple[str, ...], values: tuple[Any, ...]) -> FormValues:
        """The values given in the order of `names` (the rest keep their defaults)."""
        return cls(**dict(zip(names, values, strict=True)))


ALL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(FormValues))
GENERATE_FIELDS = ALL_FIELDS  # /generate takes every field
ESTIMATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(FormValues) if f.metadata.get("priced"))


def default_of(name: str) -> Any:
    return next(f.default for f in fields(FormValues) if f.name == name)


def annotation_of(name: str) -> Any:
    return next(f.type for f in fields(FormValues) if f.name == name)
