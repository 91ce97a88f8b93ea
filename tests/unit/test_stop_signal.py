"""Stop wins: once a tab pressed Stop, its Generate sends no more updates over Stop's panel."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from types import SimpleNamespace

from components.stop_signal import StopSignals


def _tab(session: str) -> SimpleNamespace:
    return SimpleNamespace(session_hash=session)


def _collect(gen: AsyncIterator[str], on_each: object = None) -> list[str]:
    async def run() -> list[str]:
        seen = []
        async for update in gen:
            seen.append(update)
            if on_each:
                on_each(update)  # type: ignore[operator]
        return seen

    return asyncio.run(run())


def test_no_update_goes_out_after_the_tab_stopped_and_the_handler_is_closed() -> None:
    stops = StopSignals()
    closed = []

    @stops.stoppable
    async def generate(prompt: str, request: object = None) -> AsyncIterator[str]:
        try:
            for step in ("checking", "queued", "running", "done"):
                yield f"{prompt}: {step}"
        finally:
            closed.append(True)

    def press_stop_after_queued(update: str) -> None:
        if update.endswith("queued"):
            stops.stop("tab-1")

    seen = _collect(generate("p", request=_tab("tab-1")), press_stop_after_queued)
    assert seen == ["p: checking", "p: queued"]
    assert closed == [True]


def test_stop_in_another_tab_or_before_generate_changes_nothing() -> None:
    stops = StopSignals()

    @stops.stoppable
    async def generate(request: object = None) -> AsyncIterator[int]:
        for step in range(3):
            yield step

    stops.stop("tab-1")  # pressed while nothing ran: not remembered for the next Generate
    assert _collect(generate(request=_tab("tab-1"))) == [0, 1, 2]
    seen = _collect(generate(request=_tab("tab-1")), lambda _: stops.stop("tab-2"))
    assert seen == [0, 1, 2]
    assert _collect(generate(request=None)) == [0, 1, 2]  # a direct call: nothing to gate


def test_a_new_generate_in_the_same_tab_is_not_stopped_by_the_old_ones_stop() -> None:
    stops = StopSignals()

    @stops.stoppable
    async def generate(request: object = None) -> AsyncIterator[int]:
        for step in range(3):
            yield step
            await asyncio.sleep(0)

    async def run() -> tuple[list[int], list[int]]:
        old = generate(request=_tab("tab-1"))
        first = [await old.__anext__()]
        stops.stop("tab-1")
        new = generate(request=_tab("tab-1"))
        second = [update async for update in new]
        first += [update async for update in old]  # the old one ends without another update
        return first, second

    first, second = asyncio.run(run())
    assert first == [0]
    assert second == [0, 1, 2]


def test_the_wrapped_handler_keeps_the_signature_gradio_reads() -> None:
    stops = StopSignals()

    async def generate(prompt: str, owner_id: object = None, request: object = None) -> AsyncIterator[str]:
        """Generate a video."""
        yield prompt

    gated = stops.stoppable(generate)
    assert list(inspect.signature(gated).parameters) == ["prompt", "owner_id", "request"]
    assert gated.__doc__ == "Generate a video."
    assert inspect.isasyncgenfunction(gated)
    # positional, as Gradio passes inputs and the request
    assert _collect(gated("p", None, _tab("tab-1"))) == ["p"]
