"""Only a tab's newest cost refresh may write the panel (components/newest.py): an older one
still probing the previous provider finishes silently."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from components.newest import Newest


def test_an_older_refresh_of_a_tab_loses_to_a_newer_one_and_other_tabs_are_separate() -> None:
    newest = Newest()
    old = newest.begin("tab-a")
    other = newest.begin("tab-b")
    new = newest.begin("tab-a")
    assert not newest.is_current("tab-a", old) and newest.is_current("tab-a", new)
    assert newest.is_current("tab-b", other)  # another tab is not affected
    newest.end("tab-a", old)  # the old one ending forgets nothing of the new one
    assert newest.is_current("tab-a", new)
    newest.end("tab-a", new)
    newest.end("tab-b", other)
    assert newest._current == {}  # noqa: SLF001  (no tab is remembered once its refreshes end)


def test_a_superseded_refresh_ends_with_an_update_that_changes_nothing() -> None:
    """Gradio re-sends a generator's last update when it ends (and empties every output of one
    that yielded nothing): an older refresh overtaken before its first update must end on the
    unchanged update, not on nothing, or the newer panel is blanked after it was written."""

    async def scenario() -> tuple[list[str], list[str]]:
        newest = Newest()
        release = asyncio.Event()

        async def slow() -> AsyncIterator[str]:  # the older refresh: probing takes a while
            await release.wait()
            yield "old panel"

        async def fast() -> AsyncIterator[str]:
            yield "new panel"

        older = newest.only_newest("tab", slow(), "unchanged")
        first = asyncio.ensure_future(older.__anext__())  # it starts (takes its ticket) and waits
        await asyncio.sleep(0)
        newer = [u async for u in newest.only_newest("tab", fast(), "unchanged")]
        release.set()
        old = [await first] + [u async for u in older]
        return old, newer

    old, newer = asyncio.run(scenario())
    assert newer == ["new panel"]
    assert old == ["unchanged"]  # the stale panel is never sent, and the last update is a no-op
