"""Only a tab's newest cost refresh may write the panel (components/newest.py): an older one
still probing the previous provider finishes silently."""

from __future__ import annotations

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
