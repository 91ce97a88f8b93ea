"""Remote probing: a reference link's headers, fetched with HTTP Range requests and parsed
in the sandbox.

    result = await probe_url("https://example.com/clip.mp4", timeout=20)

- The network side runs here, on the caller's event loop, through `wanvideo.netguard`
  (every hop checked, connections only to the checked address, no decompression).
- `timeout` is a hard total deadline: from the first byte sent to the last byte read,
  whatever the server does (a server dripping one header line per second is cut off).
- At most `REMOTE_PROBE_SLOTS` remote probes run at once in this process (any event loop);
  none occupies asyncio's default thread pool (DNS uses netguard's own executor).
- PyAV parses in a sandboxed worker from the blocks fetched so far (`blocks.probe_blocks`);
  when it needs more it says which block, and the next round fetches it.

Never raises for a bad link: every failure becomes a problem sentence, and a refused or
failed fetch says nothing about what lies inside (no status, size or type of an internal
target: such a target is never contacted).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx

from ..limits import MAX_REFERENCE_BYTES
from ..messages import Message
from ..netguard import FetchError, FetchFailure, GuardedClient, Resolver, read_body, reading_body
from ..urls import display_name, is_http_url
from .blocks import Blocks, NeedBytes
from .result import ProbeResult
from .rules import validate
from .sandbox import Sandbox, SandboxError, default_sandbox

logger = logging.getLogger(__name__)

RANGE_BLOCK = 64 * 1024  # bytes per Range request (PyAV reads 32 KiB at a time)
REMOTE_READ_BUDGET = 16 * 1024 * 1024  # most bytes fetched for one probe (also without Range)
MAX_READ_AHEAD = 16  # blocks fetched at once when a parse needs more (doubles each round)
REMOTE_PROBE_SLOTS = 8  # remote probes in flight in this process
PARSE_SECONDS = 10.0  # one parse round in the sandbox
USER_AGENT = "wan-reference-video-studio/0.1 (reference probe)"

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIABLE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


class _BudgetExceeded(Exception):
    """The probe would need more than `REMOTE_READ_BUDGET` bytes."""


class _Slots:
    """A counting semaphore usable from every event loop (asyncio's binds to one loop)."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.lock = threading.Lock()
        self.waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        with self.lock:
            if self.free > 0 and not self.waiters:
                self.free -= 1
                return
            future: asyncio.Future[None] = loop.create_future()
            self.waiters.append((loop, future))
        try:
            await future
        except asyncio.CancelledError:
            with self.lock:
                if (loop, future) in self.waiters:
                    self.waiters.remove((loop, future))
                    raise
            self._release()  # granted as we were cancelled: pass it on
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        with self.lock:
            while self.waiters:
                loop, future = self.waiters.popleft()
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_grant, future)
                    return
            self.free += 1


def _grant(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


REMOTE_SLOTS = _Slots(REMOTE_PROBE_SLOTS)


class _RemoteBytes:
    """The bytes of one link fetched so far: by Range blocks, or front to back when the
    server ignores Range. At most `REMOTE_READ_BUDGET` bytes either way."""

    def __init__(self, client: GuardedClient, url: str) -> None:
        self.client = client
        self.url = url
        self.total: int | None = None
        self.blocks: dict[int, bytes] = {}
        self.received = 0
        self.html = False
        self.rounds = 0
        # Sequential mode (the server ignored Range): the body so far and the rest of it.
        self.buffer: bytearray | None = None
        self._response: httpx.Response | None = None
        self._rest: AsyncIterator[bytes] | None = None

    def snapshot(self) -> Blocks:
        if self.buffer is not None:
            data = {
                i // RANGE_BLOCK: bytes(self.buffer[i : i + RANGE_BLOCK])
                for i in range(0, len(self.buffer), RANGE_BLOCK)
            }
            if self._rest is not None and data and len(self.buffer) % RANGE_BLOCK:
                data.pop(len(self.buffer) // RANGE_BLOCK)  # a partial block is not the end yet
            return Blocks(data, RANGE_BLOCK, self.total)
        return Blocks(dict(self.blocks), RANGE_BLOCK, self.total)

    async def open(self) -> None:
        """The first request (`bytes=0-`): learns the size, the first block, the mode."""
        self.url, response = await self.client.get(self.url, {"Range": f"bytes=0-{RANGE_BLOCK - 1}"})
        self.html = response.headers.get("content-type", "").startswith("text/html")
        if response.status_code == 206:
            match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if not match or match.group(1) != "0":
                await response.aclose()
                raise FetchError(FetchFailure.BROKEN, Message("fetch.wrong_bytes"))
            self.total = None if match.group(3) == "*" else int(match.group(3))
            self.blocks[0] = await read_body(response, RANGE_BLOCK)
            self.received += len(self.blocks[0])
        elif response.status_code == 416:
            match = _UNSATISFIABLE.match(response.headers.get("content-range", ""))
            await response.aclose()
            self.total = int(match.group(1)) if match else 0
        elif response.status_code == 200:
            length = response.headers.get("content-length")
            plain = response.headers.get("content-encoding", "identity") == "identity"
            self.total = int(length) if length and length.isdigit() and plain else None
            self.buffer = bytearray()
            self._response = response
            self._rest = response.aiter_raw()
        else:
            await response.aclose()
            status = response.status_code
            raise FetchError(FetchFailure.HTTP_STATUS, Message("fetch.http", status=status), status=status)

    async def fetch(self, offset: int) -> None:
        """Make the block at `offset` available (with some read-ahead)."""
        self.rounds += 1
        if self.buffer is not None:
            await self._read_sequential(offset + RANGE_BLOCK * min(2**self.rounds, MAX_READ_AHEAD))
            return
        first = offset // RANGE_BLOCK
        last = first + min(2 ** (self.rounds - 1), MAX_READ_AHEAD) - 1
        if self.total is not None:
            last = min(last, max(first, (self.total - 1) // RANGE_BLOCK))
        while last > first and last in self.blocks:
            last -= 1
        start, end = first * RANGE_BLOCK, (last + 1) * RANGE_BLOCK - 1
        if self.received + (end - start + 1) > REMOTE_READ_BUDGET:
            raise _BudgetExceeded()
        _, response = await self.client.get(self.url, {"Range": f"bytes={start}-{end}"})
        if response.status_code == 416:
            await response.aclose()
            for index in range(first, last + 1):
                self.blocks[index] = b""
            return
        if response.status_code != 206:
            await response.aclose()
            status = response.status_code
            raise FetchError(
                FetchFailure.HTTP_STATUS, Message("fetch.partial_status", status=status), status=status
            )
        match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if not match or int(match.group(1)) != start:
            await response.aclose()
            raise FetchError(FetchFailure.BROKEN, Message("fetch.wrong_bytes"))
        data = await read_body(response, end - start + 1)
        self.received += len(data)
        for index in range(first, last + 1):
            at = (index - first) * RANGE_BLOCK
            self.blocks[index] = data[at : at + RANGE_BLOCK]

    async def _read_sequential(self, want: int) -> None:
        assert self.buffer is not None
        if want > REMOTE_READ_BUDGET and self._rest is not None:
            want = REMOTE_READ_BUDGET
            if len(self.buffer) >= want:
                raise _BudgetExceeded()
        while len(self.buffer) < want and self._rest is not None:
            try:
                with reading_body():
                    chunk = await self._rest.__anext__()
            except StopAsyncIteration:
                self._rest = None
                self.total = len(self.buffer)
                break
            self.buffer += chunk
            self.received += len(chunk)

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()
            self._response = None
            self._rest = None


def fetch_problem(name: str, exc: FetchError, timeout: float) -> Message:
    """The sentence for a failed fetch: what to do, and nothing about an internal target."""
    if exc.reason is FetchFailure.REFUSED:
        if exc.literal:
            return Message("links.points_to", name=name, literal=exc.literal, host=exc.host)
        return Message("links.not_public", name=name)
    if exc.reason is FetchFailure.NOT_HTTP:
        return Message("links.leads_to_not_http", name=name)
    if exc.reason is FetchFailure.TIMEOUT:
        why = Message("fetch.timeout", seconds=f"{timeout:g}")
        return Message("links.fetch_failed", name=name, reason=why)
    if exc.reason is FetchFailure.HTTP_STATUS:
        why = Message("fetch.http", status=exc.status)
        if exc.status is not None and 400 <= exc.status < 500:
            return Message("links.fetch_check_public", name=name, reason=why)
        return Message("links.fetch_failed", name=name, reason=why)
    # UNREACHABLE, TOO_MANY_REDIRECTS, BROKEN: netguard's sentence names what happened.
    return Message("links.fetch_failed", name=name, reason=exc.message)


_fetch_problem = fetch_problem  # the name older tests import


async def _probe(result: ProbeResult, remote: _RemoteBytes, sandbox: Sandbox, max_bytes: int) -> ProbeResult:
    await remote.open()
    result = replace(result, size_bytes=remote.total)
    if remote.total == 0 or (remote.total or 0) > max_bytes:
        return validate(result)
    while True:
        try:
            outcome = await sandbox.run(
                "wanvideo.media.blocks:probe_blocks",
                result,
                remote.snapshot(),
                remote.html,
                timeout=PARSE_SECONDS,
            )
        except SandboxError as exc:
            logger.warning("sandboxed probe of %s failed: %s", result.name, exc)
            return validate(replace(result, reader_failure=exc.reason))
        if not isinstance(outcome, NeedBytes):
            return outcome
        try:
            await remote.fetch(outcome.offset)
        except _BudgetExceeded:
            # Too far to read: a known video type passes with its duration unknown;
            # anything else is refused as unreadable.
            logger.info("probe of %s stopped after %d bytes", result.name, remote.received)
            sniffed = outcome.sniffed
            if sniffed.container is None:
                sniffed = replace(sniffed, read_error="headers not found within the read budget")
            return validate(sniffed)


async def probe_url(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 20.0,
    resolver: Resolver | None = None,
    sandbox: Sandbox | None = None,
    max_bytes: int = MAX_REFERENCE_BYTES,
) -> ProbeResult:
    """Probe a remote reference within `timeout` seconds; refuses internal addresses unless
    `allow_private`. `resolver` and `sandbox` are seams for tests. A file larger than
    `max_bytes` is refused by its size alone. Never raises for a bad link.
    """
    name = display_name(url)
    result = ProbeResult(name=name, source=url, is_remote=True)
    if not is_http_url(url):
        return replace(result, problems=(Message("links.not_http_url", url=repr(url)),))
    client = GuardedClient(
        allow_private=allow_private, resolver=resolver, timeout=timeout, user_agent=USER_AGENT
    )
    remote = _RemoteBytes(client, url)

    async def run() -> ProbeResult:
        async with REMOTE_SLOTS:
            return await _probe(result, remote, sandbox or default_sandbox(), max_bytes)

    try:
        return await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        late = FetchError(FetchFailure.TIMEOUT, Message("fetch.timeout", seconds=f"{timeout:g}"))
        return replace(result, problems=(fetch_problem(name, late, timeout),))
    except FetchError as exc:
        return replace(result, problems=(fetch_problem(name, exc, timeout),))
    except Exception as exc:  # a bug or an odd server must not break the page
        logger.exception("unexpected error probing %s", name)
        return replace(result, problems=(Message("links.read_failed", name=name, kind=type(exc).__name__),))
    finally:
        await remote.aclose()
        await client.aclose()
