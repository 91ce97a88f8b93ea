"""Shared by the client tests: settings with tiny poll intervals, so waits take milliseconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from wanvideo.settings import Settings, load_settings


def fast_settings(tmp_path: Path, **extra: str) -> Settings:
    env = {
        "WAN_PROVIDER": "demo",
        "WAN_DATA_DIR": str(tmp_path / "data"),
        "WAN_POLL_MIN_INTERVAL": "0.01",
        "WAN_POLL_MAX_INTERVAL": "0.05",
        "WAN_POLL_DEADLINE": "30",
        "WAN_READ_TIMEOUT": "5",
        **extra,
    }
    return load_settings(env)


class SpyTransport(httpx.AsyncBaseTransport):
    """A real HTTP transport that first calls `on_request(request)` for every request.

    The callback runs inside the client's request, before anything is sent, so it can look
    at the world (e.g. the task store) exactly as it was when the provider was asked."""

    def __init__(self, on_request: Callable[[httpx.Request], None]) -> None:
        self.on_request = on_request
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.on_request(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Each WanClient closes its transport; this one is shared by several, so it stays open."""
