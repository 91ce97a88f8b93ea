"""The simulator's own reading of the provider's OpenAPI document: the one home of its rules.

The simulator is an independent implementation of the contract: it never imports the client's
schemas, limits or prices, so a mistake there cannot pass here too. Each dialect reads its
provider's document, packaged beside this module (a Space has no ``../shared``)::

    spec/evolink-wan2.6-reference-video.openapi.yaml   "string" dialect (EvoLink)
    spec/odkkk-wan2.6-reference-video.openapi.yaml     "integer" dialect (odkkk)

Some rules exist only as prose in the descriptions ("Duration: 2~30 seconds", "no more than
100MB", the billing caps, the aspect-ratio options). They are read out of that prose here, by
pattern, once: a document whose wording changes makes `contract()` fail loudly instead of
silently falling back to a remembered number.

    rules = contract("string")
    rules.min_reference_seconds, rules.max_reference_seconds   # 2.0, 30.0
    rules.request_schema                                       # JSON Schema for the create body
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).with_name("spec")
SPEC_FILES = {
    "string": SPEC_DIR / "evolink-wan2.6-reference-video.openapi.yaml",
    "integer": SPEC_DIR / "odkkk-wan2.6-reference-video.openapi.yaml",
}
CREATE_PATH = "/v1/videos/generations"
REQUEST_SCHEMA = "Wan26ReferenceVideoRequest"
_MB = 1000 * 1000  # "100MB" read as decimal megabytes: the stricter reading


class SpecError(RuntimeError):
    """The packaged OpenAPI document no longer says what this module reads from it."""


@dataclass(frozen=True)
class Contract:
    """Everything the simulator enforces about a create, as one provider documents it."""

    dialect: str
    document: dict[str, Any]
    request_schema: dict[str, Any]  # the spec's schema plus the prose rules made explicit
    model: str
    qualities: tuple[str, ...]
    aspect_ratios: tuple[str, ...]
    max_references: int
    reference_formats: tuple[str, ...]  # "mp4", "mov"
    min_reference_seconds: float
    max_reference_seconds: float
    max_reference_bytes: int
    input_caps: dict[int, Decimal]  # reference count -> billed seconds per reference
    max_callback_chars: int
    property_order: tuple[str, ...]  # the request's fields in the document's order
    defaults: dict[str, Any]  # what an omitted optional field means

    def with_defaults(self, body: dict[str, Any]) -> dict[str, Any]:
        """A valid create body with every omitted optional field filled in."""
        top = {k: v for k, v in self.defaults.items() if k != "shot_type"}
        params = {"shot_type": self.defaults["shot_type"], **(body.get("model_params") or {})}
        return {**top, **body, "model_params": params}

    @property
    def max_reference_mb(self) -> int:
        """The size limit as the document writes it ("100MB")."""
        return self.max_reference_bytes // _MB

    def error_example(self, status: int) -> dict[str, Any] | None:
        """The documented error body of the create endpoint for `status`, if there is one."""
        responses = self.document["paths"][CREATE_PATH]["post"]["responses"]
        try:
            return responses[str(status)]["content"]["application/json"]["example"]
        except KeyError:
            return None


def _find(text: str, pattern: str, what: str) -> re.Match[str]:
    match = re.search(pattern, " ".join(text.split()))
    if match is None:
        raise SpecError(f"the spec no longer states {what} (looked for /{pattern}/)")
    return match


def _options(description: str, what: str) -> tuple[str, ...]:
    """The back-quoted values listed on an "Options" line ("- `720p`: Supports `16:9` ...")."""
    line = _find(description, r"`720p`: Supports (.*?)- `1080p`", what).group(1)
    values = tuple(re.findall(r"`([^`]+)`", line))
    if not values:
        raise SpecError(f"the spec lists no {what}")
    return values


@functools.cache
def contract(dialect: str) -> Contract:
    """The rules of `dialect` ("string" = EvoLink, "integer" = odkkk), read once."""
    if dialect not in SPEC_FILES:
        raise ValueError(f"unknown dialect {dialect!r}; choose one of {', '.join(SPEC_FILES)}")
    document = yaml.safe_load(SPEC_FILES[dialect].read_text(encoding="utf-8"))
    schema = copy.deepcopy(document["components"]["schemas"][REQUEST_SCHEMA])
    props = schema["properties"]
    urls_text = props["video_urls"]["description"]
    callback_text = props["callback_url"]["description"]

    low, high = _find(urls_text, r"Duration: (\d+)~(\d+) seconds", "the duration limits").groups()
    megabytes = _find(urls_text, r"no more than (\d+) ?MB", "the size limit").group(1)
    formats = _find(urls_text, r"Format: ([a-z0-9]+(?:, ?[a-z0-9]+)*)", "the formats").group(1)
    caps = {
        int(n): Decimal(cap)
        for n, cap in re.findall(
            r"- (\d) videos?: `min\(video1? duration, (\d+(?:\.\d+)?)s\)", " ".join(urls_text.split())
        )
    }
    if sorted(caps) != list(range(1, props["video_urls"]["maxItems"] + 1)):
        raise SpecError("the spec no longer gives an input billing cap per reference count")
    _find(urls_text, r"Supports HTTP or HTTPS protocol", "the link schemes")
    _find(callback_text, r"Only HTTPS protocol is supported", "the callback scheme")
    callback_chars = int(
        _find(callback_text, r"must not exceed `(\d+)` characters", "the callback length").group(1)
    )
    qualities = tuple(re.findall(r"^- `(\d+p)`:", props["quality"]["description"], re.MULTILINE))
    if not qualities:
        raise SpecError("the spec lists no qualities")
    aspect_ratios = _options(props["aspect_ratio"]["description"], "aspect ratios")
    shot = props["model_params"]["properties"]["shot_type"]["description"]
    defaults = {
        "aspect_ratio": _find(
            props["aspect_ratio"]["description"], r"defaults to `([^`]+)`", "a default"
        ).group(1),
        "quality": _find(props["quality"]["description"], r"defaults to `([^`]+)`", "a default").group(1),
        # No default duration is documented: the documented example stands in for it.
        "duration": props["duration"]["example"],
        "shot_type": _find(shot, r"`([a-z]+)`: Default", "the default shot type").group(1),
    }

    # The prose rules made explicit, so one JSON Schema validator checks the whole body. The
    # simulator is stricter than the document in two ways, on purpose: an unknown field is
    # refused (a misspelt field in a client is caught) and a blank prompt is refused.
    props["prompt"]["pattern"] = r"\S"
    props["video_urls"]["minItems"] = 1
    props["video_urls"]["items"]["pattern"] = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]+"
    props["aspect_ratio"]["enum"] = list(aspect_ratios)
    props["quality"]["enum"] = list(qualities)
    props["callback_url"]["pattern"] = r"^https://[^/?#\s]+"
    props["callback_url"]["maxLength"] = callback_chars
    props["model_params"]["additionalProperties"] = False
    schema["additionalProperties"] = False

    return Contract(
        dialect=dialect,
        document=document,
        request_schema=schema,
        model=props["model"]["enum"][0],
        qualities=qualities,
        aspect_ratios=aspect_ratios,
        max_references=props["video_urls"]["maxItems"],
        reference_formats=tuple(f.strip() for f in formats.split(",")),
        min_reference_seconds=float(low),
        max_reference_seconds=float(high),
        max_reference_bytes=int(megabytes) * _MB,
        input_caps=caps,
        max_callback_chars=callback_chars,
        property_order=tuple(props),
        defaults=defaults,
    )
