"""The per-visitor estimate limiter (`wanvideo.ratelimit`): at most `at_once` running, a short
waiting line, at most `per_minute` started in any minute; visitors never share their limits."""

from __future__ import annotations

import asyncio
import threading

import pytest

from wanvideo.limits import ESTIMATES_AT_ONCE, ESTIMATES_PER_MINUTE
from wanvideo.ratelimit import BUSY, PER_MINUTE, LimitRefused, VisitorLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_minute_refuses_then_admits_when_the_minute_has_passed() -> None:
    clock = Clock()
    limiter = VisitorLimiter(at_once=10, waiting=0, per_minute=3, clock=clock)
    for _ in range(3):
        limiter.try_admit("ip:1")
        limiter.release("ip:1")
        clock.now += 10
    with pytest.raises(LimitRefused) as refused:
        limiter.try_admit("ip:1")
    assert refused.value.reason == PER_MINUTE
    assert refused.value.retry_after == 30  # the first start (t=1000) leaves the window at 1060
    assert "at most 3 a minute" in str(refused.value.message) and "wait 30 s" in str(refused.value.message)
    assert "每分钟最多 3 次" in refused.value.message.render("zh-CN")
    limiter.try_admit("ip:2")  # another visitor has a minute of its own
    limiter.release("ip:2")
    clock.now += 30
    limiter.try_admit("ip:1")  # refusals did not count: one start left the window, one is free


def test_at_once_without_waiting_is_refused_as_busy() -> None:
    limiter = VisitorLimiter(at_once=2, waiting=0, per_minute=100)
    limiter.try_admit("ip:1")
    limiter.try_admit("ip:1")
    with pytest.raises(LimitRefused) as refused:
        limiter.try_admit("ip:1")
    assert refused.value.reason == BUSY and "wait" in str(refused.value.message)
    assert limiter.running("ip:1") == 2
    limiter.release("ip:1")
    limiter.try_admit("ip:1")
    assert limiter.running("ip:1") == 2


async def test_a_short_line_waits_its_turn_and_the_rest_are_refused() -> None:
    limiter = VisitorLimiter(at_once=2, waiting=2, per_minute=100)
    gate = asyncio.Event()
    running = 0
    most = 0

    async def estimate() -> str:
        nonlocal running, most
        try:
            async with limiter.admit("ip:1"):
                running += 1
                most = max(most, running)
                await gate.wait()
                running -= 1
                return "served"
        except LimitRefused as refused:
            return refused.reason

    calls = [asyncio.create_task(estimate()) for _ in range(7)]
    await asyncio.sleep(0.05)
    assert running == 2
    refused_now = [c.result() for c in calls if c.done()]
    assert refused_now == [BUSY, BUSY, BUSY]  # 2 run, 2 wait, 3 refused at once
    gate.set()
    results = await asyncio.gather(*calls)
    assert results.count("served") == 4 and results.count(BUSY) == 3
    assert most == 2 and limiter.running("ip:1") == 0


async def test_a_waiter_that_gives_up_leaves_the_line_and_its_slot_is_not_lost() -> None:
    limiter = VisitorLimiter(at_once=1, waiting=1, per_minute=100, wait_seconds=0.1)
    gate = asyncio.Event()

    async def hold() -> None:
        async with limiter.admit("ip:1"):
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    with pytest.raises(LimitRefused) as refused:  # waited longer than wait_seconds
        async with limiter.admit("ip:1"):
            pass
    assert refused.value.reason == BUSY
    waiter = asyncio.create_task(hold())  # the line has room again
    await asyncio.sleep(0.01)
    waiter.cancel()  # cancelled while waiting: it leaves the line
    with pytest.raises(asyncio.CancelledError):
        await waiter
    gate.set()
    await holder
    assert limiter.running("ip:1") == 0
    async with limiter.admit("ip:1"):
        assert limiter.running("ip:1") == 1


def test_many_threads_with_their_own_loops_never_run_more_than_at_once() -> None:
    limiter = VisitorLimiter(at_once=2, waiting=50, per_minute=1000)
    lock = threading.Lock()
    running = most = served = 0

    async def one() -> None:
        nonlocal running, most, served
        async with limiter.admit("ip:1"):
            with lock:
                running += 1
                most = max(most, running)
            await asyncio.sleep(0.005)
            with lock:
                running -= 1
                served += 1

    def worker() -> None:
        async def many() -> None:
            await asyncio.gather(*(one() for _ in range(5)))

        asyncio.run(many())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert served == 40 and most == 2 and limiter.running("ip:1") == 0


def test_the_defaults_leave_room_for_the_pages_own_bursts() -> None:
    # A Remix re-prices up to 5 times at once and typing a link about 30: both are served.
    limiter = VisitorLimiter()
    assert ESTIMATES_AT_ONCE + limiter.waiting >= 5
    assert ESTIMATES_PER_MINUTE >= 60


def test_a_refusal_reads_in_the_panel_and_keeps_the_estimate_shape() -> None:
    from components.cost_view import as_json, refused_json, refused_markdown

    refused = LimitRefused(PER_MINUTE, 12.2, 60)
    data = refused_json("demo", refused.message, refused.retry_after, "720p")
    assert set(as_json("demo", _empty())) <= set(data)  # every key an API caller reads is there
    assert data["ok"] is False and data["credits"] is None and data["retry_after"] == 13
    assert data["problems"] == [refused.message]
    assert refused_markdown(refused.message) == (
        "### Cost estimate\nToo many estimates: one visitor may ask for at most 60 a minute; "
        "wait 13 s and try again."
    )
    assert "请等待 13 秒后重试" in refused_markdown(refused.message, "zh-CN")


def _empty():  # noqa: ANN202
    from wanvideo.service import Assessment

    return Assessment(probed=None, duration=5, quality="720p")
