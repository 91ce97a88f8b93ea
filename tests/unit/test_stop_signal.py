"""Stop wins: a tab's Stop ends its Generate with Stop's own panel as the last update, so
Gradio's re-sent last value (or a late update) can never put an older panel back."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from types import SimpleNamespace

from components.stop_signal import StopSignals


def _tab(session: str) -> SimpleNamespace:
    return SimpleNamespace(session_hash=session)


def test_stop_while_waiting_ends_with_the_final_panel_and_cleans_up() -> None:
    stops = StopSignals()
    closed = []

    @stops.stoppable
    async def generate(prompt: str, request: object = None) -> AsyncIterator[str]:
        try:
            yield f"{prompt}: queued"
            await asyncio.sleep(3600)  # a long wait for the provider: Stop must not wait for it
            yield f"{prompt}: done"
        finally:
            closed.append(True)

    async def run() -> list[str]:
        seen = []
        async for update in generate("p", request=_tab("tab-1")):
            seen.append(update)
            if update.endswith("queued"):
                asyncio.get_running_loop().call_later(0.05, stops.stop, "tab-1", "Stopped watching")
        return seen

    seen = asyncio.run(asyncio.wait_for(run(), timeout=5))
    assert seen == ["p: queued", "Stopped watching"]  # the last update is Stop's panel
    assert closed == [True]


def test_stop_in_another_tab_or_before_generate_changes_nothing() -> None:
    stops = StopSignals()

    @stops.stoppable
    async def generate(request: object = None) -> AsyncIterator[int]:
        for step in range(3):
            yield step

    async def collect(tab: object, on_each: object = None) -> list[int]:
        seen = []
        async for update in generate(request=tab):
            seen.append(update)
            if on_each:
                on_each()  # type: ignore[operator]
        return seen

    stops.stop("tab-1", "stopped")  # pressed while nothing ran: not remembered for the next Generate
    assert asyncio.run(collect(_tab("tab-1"))) == [0, 1, 2]
    assert asyncio.run(collect(_tab("tab-1"), lambda: stops.stop("tab-2", "stopped"))) == [0, 1, 2]
    assert asyncio.run(collect(None)) == [0, 1, 2]  # a direct call: nothing to gate


def test_a_new_generate_in_the_same_tab_is_not_stopped_by_the_old_ones_stop() -> None:
    stops = StopSignals()

    @stops.stoppable
    async def generate(request: object = None) -> AsyncIterator[int]:
        for step in range(3):
            yield step
            await asyncio.sleep(0)

    async def run() -> tuple[list[object], list[object]]:
        old = generate(request=_tab("tab-1"))
        first: list[object] = [await old.__anext__()]
        stops.stop("tab-1", "stopped")
        new = generate(request=_tab("tab-1"))
        second = [update async for update in new]
        first += [update async for update in old]  # the old one ends on its Stop's panel
        return first, second

    first, second = asyncio.run(run())
    assert first == [0, "stopped"]
    assert second == [0, 1, 2]


def test_errors_still_reach_gradio_and_the_signature_is_the_handlers() -> None:
    stops = StopSignals()

    async def generate(prompt: str, owner_id: object = None, request: object = None) -> AsyncIterator[str]:
        """Generate a video."""
        yield prompt
        raise ValueError("refused")

    gated = stops.stoppable(generate)
    assert list(inspect.signature(gated).parameters) == ["prompt", "owner_id", "request"]
    assert gated.__doc__ == "Generate a video."
    assert inspect.isasyncgenfunction(gated)

    async def run() -> tuple[list[str], str]:
        seen = []
        try:
            async for update in gated("p", None, _tab("tab-1")):  # positional, as Gradio passes them
                seen.append(update)
        except ValueError as exc:
            return seen, str(exc)
        return seen, ""

    assert asyncio.run(run()) == (["p"], "refused")


def test_cancelling_the_run_itself_cleans_up_the_handler() -> None:
    """An API caller's cancel cancels Gradio's task while the handler waits: the handler's own
    clean-up runs (it stops the media worker), and nothing fails on the way out."""
    stops = StopSignals()
    closed = []

    @stops.stoppable
    async def generate(request: object = None) -> AsyncIterator[str]:
        try:
            yield "preparing"
            await asyncio.sleep(3600)
            yield "never"
        finally:
            closed.append(True)

    async def run() -> None:
        async def consume() -> None:
            async for _ in generate(request=_tab("tab-1")):
                pass

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.05)
        task.cancel()
        done, _ = await asyncio.wait({task})
        assert task.cancelled()

    asyncio.run(asyncio.wait_for(run(), timeout=5))
    assert closed == [True]
