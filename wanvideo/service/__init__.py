"""The one service the page, the gradio_client API and the MCP tools call: `estimate(values)`
and `generate(values)` over one `FormValues` (see `service.py`)."""

from .assessment import Assessment
from .generation import BatchStarted, Checking, GenerationRefused, RefusalStage, Started, VariationEvent
from .service import Service
from .values import ESTIMATE_FIELDS, GENERATE_FIELDS, FormValues

__all__ = [
    "ESTIMATE_FIELDS",
    "GENERATE_FIELDS",
    "Assessment",
    "BatchStarted",
    "Checking",
    "FormValues",
    "GenerationRefused",
    "RefusalStage",
    "Service",
    "Started",
    "VariationEvent",
]
