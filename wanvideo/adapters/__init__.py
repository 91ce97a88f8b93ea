"""One adapter per provider dialect, chosen by the profile (`ProviderProfile.adapter`).

    client = WanClient(profile, key, settings)   # client.adapter = adapter_for(client)

| module       | speaks                                                                  |
|--------------|-------------------------------------------------------------------------|
| `evolink`    | EvoLink's contract (EvoLink, its look-alikes, the demo simulator)       |
| `dashscope`  | Alibaba Cloud DashScope's native wan2.6-r2v API (PROVIDERS.md A)        |
| `fal`        | fal.ai's queue API for wan/v2.6/reference-to-video (PROVIDERS.md B)     |

An adapter translates; it holds no rule (the rules are data in the profile, checked before
anything is sent) and never the key (the client adds it, for the provider's own hosts only).
Each one implements `base.Adapter`: `upload`, `create`, `get_task`, `cancel`, plus its
`auth_scheme` and `create_retry_statuses`. Submodules are imported on first use, so this
package loads nothing of the client until a client exists.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .base import Adapter, CancelOutcome, CancelResult

if TYPE_CHECKING:
    from ..client import WanClient

__all__ = ["ADAPTERS", "Adapter", "CancelOutcome", "CancelResult", "adapter_for"]

# profile.adapter -> "module:class"
ADAPTERS = {
    "evolink": "evolink:EvoLinkAdapter",
    "dashscope": "dashscope:DashScopeAdapter",
    "fal": "fal:FalAdapter",
}


def adapter_for(client: WanClient) -> Adapter:
    """The adapter that speaks `client.profile`'s dialect."""
    name = client.profile.adapter
    if name not in ADAPTERS:
        raise ValueError(f"no adapter {name!r}; choose one of {', '.join(ADAPTERS)}")
    module, cls = ADAPTERS[name].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)(client)
