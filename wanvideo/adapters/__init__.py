"""One adapter per provider dialect, chosen by the profile (`ProviderProfile.adapter`).

    adapter = adapter_class(profile.adapter)(profile, transport)   # what WanClient does

| module       | speaks                                                                  |
|--------------|-------------------------------------------------------------------------|
| `evolink`    | EvoLink's contract (EvoLink, its look-alikes, the demo simulator)       |
| `dashscope`  | Alibaba Cloud DashScope's native wan2.6-r2v API (PROVIDERS.md A)        |
| `fal`        | fal.ai's queue API for wan/v2.6/reference-to-video (PROVIDERS.md B)     |

An adapter translates; it holds no rule (the rules are data in the profile, checked before
anything is sent) and never the key (the transport adds it, for the provider's own hosts only).
Each one implements `base.Adapter`: `upload`, `create`, `get_task`, `cancel`, plus its
`auth_scheme` and `create_retry_statuses`. Adapters speak through `wanvideo.transport`
and never import the client (the client imports them: `ADAPTERS` is a plain registry).
"""

from __future__ import annotations

from .base import Adapter, CancelOutcome, CancelResult
from .dashscope import DashScopeAdapter
from .evolink import CREATE_PATH, EvoLinkAdapter
from .fal import FalAdapter

__all__ = ["ADAPTERS", "CREATE_PATH", "Adapter", "CancelOutcome", "CancelResult", "adapter_class"]

# profile.adapter -> the class that speaks it
ADAPTERS: dict[str, type[Adapter]] = {
    "evolink": EvoLinkAdapter,
    "dashscope": DashScopeAdapter,
    "fal": FalAdapter,
}


def adapter_class(name: str) -> type[Adapter]:
    """The adapter that speaks the dialect `name` (a profile's `adapter`)."""
    if name not in ADAPTERS:
        raise ValueError(f"no adapter {name!r}; choose one of {', '.join(ADAPTERS)}")
    return ADAPTERS[name]
