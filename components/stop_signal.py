"""Stop wins over Generate's updates still on their way.

Gradio cancels the Generate handler when Stop is pressed, but the cancel travels apart from
Stop's own update: an update Generate yields in between lands after Stop's panel and puts
"Queued at provider" back over "Stopped watching". `StopSignals.stoppable` wraps Generate so
that no update goes out once its browser tab has pressed Stop; `stop` is called by Stop's
handler before it answers, so every update sent before it is already ahead of Stop's panel.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any


class StopSignals:
    """Which browser tabs (Gradio sessions) pressed Stop while their Generate ran."""

    def __init__(self) -> None:
        self._runs: dict[str, object] = {}  # session -> its Generate run now
        self._stopped: set[object] = set()  # runs whose tab pressed Stop

    def stop(self, session: str | None) -> None:
        run = self._runs.get(session or "")
        if run is not None:
            self._stopped.add(run)

    def stoppable(self, handler: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        """`handler` (an async generator taking `request: gr.Request`) with its updates dropped
        once its session has stopped. The signature and docstring stay the handler's, which
        Gradio reads for the inputs, the request and the API page."""
        signature = inspect.signature(handler)

        @functools.wraps(handler)
        async def gated(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            request = signature.bind_partial(*args, **kwargs).arguments.get("request")
            session = getattr(request, "session_hash", None)
            if session is None:  # no tab to stop (a direct call): nothing to gate
                async for update in handler(*args, **kwargs):
                    yield update
                return
            run = self._runs[session] = object()
            updates = handler(*args, **kwargs)
            try:
                async for update in updates:
                    if run in self._stopped:
                        return
                    yield update
            finally:
                await updates.aclose()
                self._stopped.discard(run)
                if self._runs.get(session) is run:
                    del self._runs[session]

        return gated
