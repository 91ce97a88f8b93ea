"""Stop ends Generate with Stop's own panel as Generate's last update.

Gradio re-sends a generator's last update when the generator ends (its final message carries
the last value of every output), and its built-in `cancels=` ends the generator at a moment of
its own: either way "Queued at provider" could come back over "Stopped watching". So Stop does
not use `cancels=`: its handler calls `StopSignals.stop(session, final)`, and Generate, wrapped by
`StopSignals.stoppable`, stops waiting for its next update (cancelling the step it was in, as
Gradio's cancel did), yields `final` (the same panel Stop shows) and ends. Whatever order the
two answers arrive in, the panel ends on Stop's words.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any


class _Run:
    def __init__(self) -> None:
        self.stopped = asyncio.Event()
        self.final: Any = None


class StopSignals:
    """Which browser tabs (Gradio sessions) pressed Stop while their Generate ran."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}  # session -> its Generate run now

    def stop(self, session: str | None, final: Any) -> None:
        """End the tab's running Generate with `final` as its last update (nothing running: no-op)."""
        run = self._runs.get(session or "")
        if run is not None and not run.stopped.is_set():
            run.final = final
            run.stopped.set()

    def stoppable(self, handler: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
        """`handler` (an async generator taking `request: gr.Request`) that its tab can stop.
        The signature and docstring stay the handler's, which Gradio reads for the inputs, the
        request and the API page."""
        signature = inspect.signature(handler)

        @functools.wraps(handler)
        async def gated(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            request = signature.bind_partial(*args, **kwargs).arguments.get("request")
            session = getattr(request, "session_hash", None)
            if session is None:  # no tab to stop (a direct call): nothing to gate
                async for update in handler(*args, **kwargs):
                    yield update
                return
            run = self._runs[session] = _Run()
            updates = handler(*args, **kwargs)
            stopped = asyncio.ensure_future(run.stopped.wait())
            step: asyncio.Future[Any] | None = None
            try:
                while True:
                    step = asyncio.ensure_future(updates.__anext__())
                    await asyncio.wait({step, stopped}, return_when=asyncio.FIRST_COMPLETED)
                    if run.stopped.is_set():
                        step.cancel()
                        await asyncio.wait({step})  # the handler's own clean-up runs now
                        yield run.final
                        return
                    try:
                        update = step.result()
                    except StopAsyncIteration:
                        return
                    yield update
            finally:
                stopped.cancel()
                if step is not None and not step.done():  # this run itself was cancelled (API cancel)
                    step.cancel()
                    await asyncio.wait({step})  # the handler's own clean-up (the worker stops) first
                await updates.aclose()
                if self._runs.get(session) is run:
                    del self._runs[session]

        return gated
