"""EvoLink's catalogue entry, with its look-alike odkkk and the built-in demo (API_NOTES.md).

EvoLink sells credits; odkkk serves a copy of the same contract (its error `code` is an
integer) at its own hosts and price; the demo is the same contract on a local port (the
simulator). All three are spoken by the `evolink` adapter.
"""

from __future__ import annotations

from decimal import Decimal

from ..messages import Message
from .profile import DEFAULT_DURATIONS, SPLIT_INPUT_CAPS, PriceTable, ProviderProfile

# 5 s of references billed in all, split evenly by count (the documented rule, API_NOTES.md).
EVOLINK_INPUT_CAPS = SPLIT_INPUT_CAPS

EVOLINK_PRICES = PriceTable(
    credits_per_second_720p=Decimal("4.76"),
    factor_1080p=Decimal("1.67"),
    minimum_credits=Decimal("9"),
    credits_per_usd=Decimal("68"),
    as_of="2026-10-10",
    source=Message("source.evolink_prices"),
    input_rule_source=Message("source.evolink_rule"),
)

EVOLINK = ProviderProfile(
    provider="evolink",
    label="EvoLink",
    brand="EvoLink",
    api_base_url="https://api.evolink.ai",
    files_base_url="https://files-api.evolink.ai",
    durations=DEFAULT_DURATIONS,
    default_duration=5,
    dialect="string",  # the error envelope's `code` is a string
    in_demo=False,  # the demo plays it
    prices=EVOLINK_PRICES,
    rules_source="API_NOTES.md 1-6 (EvoLink OpenAPI page)",
)

ODKKK = ProviderProfile(
    provider="odkkk",
    label="odkkk",
    adapter="evolink",
    api_base_url="https://ai.odkkk.com/apiv1",
    files_base_url="https://files-api.t0ai.cn",
    durations=(5, 10),
    default_duration=5,
    dialect="integer",  # the error envelope's `code` is an integer
    prices=EVOLINK_PRICES.model_copy(
        update={
            "source": Message("source.odkkk_prices"),
            "confirmed": False,
        }
    ),
    rules_source="API_NOTES.md 1-6 (odkkk's copy of the EvoLink page)",
)

# The built-in simulator: the EvoLink contract on a local port.
DEMO = ProviderProfile(
    provider="demo",
    label=Message("provider.demo"),
    adapter="evolink",
    api_base_url="http://127.0.0.1:8900",
    files_base_url="http://127.0.0.1:8900",
    durations=DEFAULT_DURATIONS,
    default_duration=5,
    dialect="string",
    prices=EVOLINK_PRICES,
)

# In the order they are listed; a key's first entry is its default.
ENTRIES = (EVOLINK, ODKKK, DEMO)
ERRORS = None  # its error envelope is the API's common one (`schemas.ErrorEnvelope`)
