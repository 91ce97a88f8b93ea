"""The one service the page, the gradio_client API and the MCP tools call: `estimate(values)`
and `generate(values)` over one `FormValues` (see `service.py`)."""

from .assessment import Assessment
from .film import FilmDone, FilmStarted, Joining, ShotEvent
from .generation import BatchStarted, Checking, GenerationRefused, RefusalStage, Started, VariationEvent
from .service import Service
from .values import ESTIMATE_FIELDS, FILM_FIELDS, GENERATE_FIELDS, FormValues

__all__ = [
    "ESTIMATE_FIELDS",
    "FILM_FIELDS",
    "GENERATE_FIELDS",
    "Assessment",
    "BatchStarted",
    "Checking",
    "FilmDone",
    "FilmStarted",
    "FormValues",
    "GenerationRefused",
    "Joining",
    "RefusalStage",
    "Service",
    "ShotEvent",
    "Started",
    "VariationEvent",
]
