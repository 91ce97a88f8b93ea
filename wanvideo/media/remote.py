"""Remote probing: a reference link's headers read with HTTP Range requests.

    result = await probe_url("https://example.com/clip.mp4")   # reads only the headers

A remote file is a seekable `_RemoteFile` backed by HTTP Range requests, so PyAV fetches
only what it parses. Never raises for a bad link: every failure becomes a problem sentence.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from dataclasses import replace
from typing import Any

import httpx

from ..providers import MAX_REFERENCE_BYTES
from ..urls import display_name, is_http_url, resolved_internal_reason
from .local import with_iso_check, with_streams
from .result import ProbeResult
from .rules import validate
from .sniff import CONTAINER_LABELS, HEAD_BYTES, sniff_container

logger = logging.getLogger(__name__)

RANGE_BLOCK = 64 * 1024  # bytes per Range request (PyAV reads 32 KiB at a time)
REMOTE_READ_BUDGET = 16 * 1024 * 1024  # most bytes fetched for one probe (also without Range)
MAX_REDIRECTS = 5
USER_AGENT = "wan-reference-video-studio/0.1 (reference probe)"


class _FetchError(Exception):
    """A request for the remote file failed; `str()` is the reason shown to people."""


class _BudgetExceeded(Exception):
    """The probe would need more than `REMOTE_READ_BUDGET` bytes."""


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIABLE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


class _Fetcher:
    """GETs for one probe: checks every redirect hop's address and an overall deadline."""

    def __init__(self, client: httpx.Client, *, allow_private: bool, timeout: float) -> None:
        self.client = client
        self.allow_private = allow_private
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.bytes_received = 0
        self._checked_hosts: set[tuple[str, int]] = set()

    def _check_host(self, url: httpx.URL, hop: int) -> None:
        key = (url.host, url.port or (443 if url.scheme == "https" else 80))
        if self.allow_private or key in self._checked_hosts:
            return
        reason = resolved_internal_reason(*key)
        if reason:
            verb = "points to" if hop == 0 else "redirects to"
            raise _FetchError(f"{verb} {reason} ({url.host}); only public links can be used")
        self._checked_hosts.add(key)

    def get(self, url: str, range_header: str | None) -> tuple[str, httpx.Response]:
        """Send a streamed GET, following redirects; returns (final URL, open response)."""
        current = httpx.URL(url)
        for hop in range(MAX_REDIRECTS + 1):
            if current.scheme not in ("http", "https"):
                raise _FetchError("redirects to a link that is not http(s)")
            self._check_host(current, hop)
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise _FetchError(f"no answer within {self.timeout:g} s")
            headers = {"Range": range_header} if range_header else {}
            request = self.client.build_request(
                "GET", current, headers=headers, timeout=httpx.Timeout(min(left, self.timeout))
            )
            try:
                response = self.client.send(request, stream=True)
            except httpx.TimeoutException:
                raise _FetchError(f"no answer within {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                logger.info("fetch failed: %s", type(exc).__name__)
                raise _FetchError("the server could not be reached") from None
            if response.is_redirect and response.next_request is not None:
                current = response.next_request.url
                response.close()
                continue
            return str(current), response
        raise _FetchError(f"more than {MAX_REDIRECTS} redirects")

    def body(self, response: httpx.Response, limit: int) -> bytes:
        """Up to `limit` bytes of a streamed body; closes the response."""
        chunks = bytearray()
        try:
            for chunk in response.iter_raw():
                chunks += chunk
                if len(chunks) >= limit or time.monotonic() > self.deadline:
                    break
        except httpx.TimeoutException:
            raise _FetchError(f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            logger.info("download broke off: %s", type(exc).__name__)
            raise _FetchError("the download broke off") from None
        finally:
            response.close()
        if time.monotonic() > self.deadline and len(chunks) < limit:
            raise _FetchError(f"no answer within {self.timeout:g} s")
        self.bytes_received += len(chunks)
        return bytes(chunks[:limit])


class _RemoteFile(io.RawIOBase):
    """A read-only, seekable view of a URL for `av.open(fileobj)`.

    With Range support, bytes are fetched in `RANGE_BLOCK` blocks where PyAV reads, so a
    probe of a 90 MB file moves only its headers. A server that ignores Range is read
    front to back into memory instead. Either way at most `REMOTE_READ_BUDGET` bytes.
    """

    def __init__(self, fetcher: _Fetcher, url: str, size: int | None) -> None:
        super().__init__()
        self.fetcher = fetcher
        self.url = url
        self.size = size
        self.pos = 0
        self.blocks: dict[int, bytes] = {}
        self.failure: _FetchError | _BudgetExceeded | None = None
        # Sequential mode (the server ignored Range): the body read so far and the rest.
        self.buffer: bytearray | None = None
        self._rest: Any = None
        self._response: httpx.Response | None = None

    @classmethod
    def open(cls, fetcher: _Fetcher, url: str) -> tuple[_RemoteFile, httpx.Response]:
        """First request (`bytes=0-`); returns the file and the response, for its headers."""
        final_url, response = fetcher.get(url, f"bytes=0-{RANGE_BLOCK - 1}")
        if response.status_code == 206:
            match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if not match or match.group(1) != "0":
                response.close()
                raise _FetchError("the server answered a partial read with the wrong bytes")
            remote = cls(fetcher, final_url, None if match.group(3) == "*" else int(match.group(3)))
            remote.blocks[0] = fetcher.body(response, RANGE_BLOCK)
        elif response.status_code == 416:
            match = _UNSATISFIABLE.match(response.headers.get("content-range", ""))
            response.close()
            remote = cls(fetcher, final_url, int(match.group(1)) if match else 0)
        elif response.status_code == 200:
            length = response.headers.get("content-length")
            plain = response.headers.get("content-encoding", "identity") == "identity"
            size = int(length) if length and length.isdigit() and plain else None
            remote = cls(fetcher, final_url, size)
            remote.buffer = bytearray()
            remote._response = response
            remote._rest = response.iter_raw()
        else:
            response.close()
            raise _FetchError(f"HTTP {response.status_code}")
        return remote, response

    # io.RawIOBase protocol (PyAV calls read/seek/tell).
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self.pos + offset
        elif whence == io.SEEK_END:
            if self.size is None:
                raise OSError("size unknown")
            pos = self.size + offset
        else:
            raise OSError(f"unsupported whence {whence}")
        if pos < 0:
            raise OSError("negative seek position")
        self.pos = pos
        return pos

    def read(self, size: int = -1) -> bytes:
        """Bytes at the position. After a failed fetch it reads as the end of the file and
        keeps the error in `failure` (FFmpeg retries failed reads and drops exceptions)."""
        if size is None or size < 0:
            size = RANGE_BLOCK
        if self.size is not None:
            size = max(0, min(size, self.size - self.pos))
        if size == 0 or self.failure is not None:
            return b""
        try:
            data = self._read_sequential(size) if self.buffer is not None else self._read_blocks(size)
        except (_FetchError, _BudgetExceeded) as exc:
            self.failure = exc
            return b""
        self.pos += len(data)
        return data

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def head(self, size: int) -> bytes:
        data = self.read(size)
        self.seek(0)
        return data

    def _read_blocks(self, size: int) -> bytes:
        first, last = self.pos // RANGE_BLOCK, (self.pos + size - 1) // RANGE_BLOCK
        missing = [b for b in range(first, last + 1) if b not in self.blocks]
        if missing:
            self._fetch_blocks(missing[0], missing[-1])
        out = bytearray()
        for index in range(first, last + 1):
            block = self.blocks.get(index, b"")
            out += block
            if len(block) < RANGE_BLOCK:
                break  # end of file
        skip = self.pos - first * RANGE_BLOCK
        return bytes(out[skip : skip + size])

    def _fetch_blocks(self, first: int, last: int) -> None:
        start, end = first * RANGE_BLOCK, (last + 1) * RANGE_BLOCK - 1
        if self.fetcher.bytes_received + (end - start + 1) > REMOTE_READ_BUDGET:
            raise _BudgetExceeded()
        _, response = self.fetcher.get(self.url, f"bytes={start}-{end}")
        if response.status_code == 416:
            response.close()
            for index in range(first, last + 1):
                self.blocks[index] = b""
            return
        if response.status_code != 206:
            response.close()
            raise _FetchError(f"HTTP {response.status_code} on a partial read")
        match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if not match or int(match.group(1)) != start:
            response.close()
            raise _FetchError("the server answered a partial read with the wrong bytes")
        data = self.fetcher.body(response, end - start + 1)
        for index in range(first, last + 1):
            offset = (index - first) * RANGE_BLOCK
            self.blocks[index] = data[offset : offset + RANGE_BLOCK]

    def _read_sequential(self, size: int) -> bytes:
        assert self.buffer is not None
        want = self.pos + size
        if want > REMOTE_READ_BUDGET and len(self.buffer) < want and self._rest is not None:
            raise _BudgetExceeded()
        while len(self.buffer) < want and self._rest is not None:
            if time.monotonic() > self.fetcher.deadline:
                raise _FetchError(f"no answer within {self.fetcher.timeout:g} s")
            try:
                chunk = next(self._rest)
            except StopIteration:
                self._rest = None
                break
            except httpx.TimeoutException:
                raise _FetchError(f"no answer within {self.fetcher.timeout:g} s") from None
            except httpx.HTTPError as exc:
                logger.info("download broke off: %s", type(exc).__name__)
                raise _FetchError("the download broke off") from None
            self.buffer += chunk
            self.fetcher.bytes_received += len(chunk)
        return bytes(self.buffer[self.pos : want])

    def close(self) -> None:
        """Ignored: PyAV closes its file with the container, and the probe reads on."""

    def release(self) -> None:
        """Close the open response of the sequential mode, if any."""
        if self._response is not None:
            self._response.close()
            self._response = None
            self._rest = None


def _probe_url_blocking(url: str, allow_private: bool, timeout: float) -> ProbeResult:
    name = display_name(url)
    result = ProbeResult(name=name, source=url, is_remote=True)
    if not is_http_url(url):
        return replace(result, problems=(f"{url!r} is not an http(s) link; paste a public http(s) URL",))
    with httpx.Client(
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        timeout=timeout,
    ) as client:
        fetcher = _Fetcher(client, allow_private=allow_private, timeout=timeout)
        remote: _RemoteFile | None = None
        try:
            remote, response = _RemoteFile.open(fetcher, url)
            result = replace(result, size_bytes=remote.size)
            if remote.size == 0 or (remote.size or 0) > MAX_REFERENCE_BYTES:
                return validate(result)
            result = replace(result, container=sniff_container(remote.head(HEAD_BYTES)))
            remote.raise_failure()
            if result.container is None and response.headers.get("content-type", "").startswith("text/html"):
                result = replace(result, container="html")
            if result.container is not None and CONTAINER_LABELS[result.container][1] != "video":
                return validate(result)
            sniffed = result
            try:
                result = with_streams(sniffed, remote)
                remote.raise_failure()
                result = with_iso_check(result, remote)
                remote.raise_failure()
            except _BudgetExceeded:
                # Too far to read (no Range support): a known video type passes with its
                # duration unknown; anything else is refused as unreadable.
                logger.info("probe of %s stopped after %d bytes", name, fetcher.bytes_received)
                result = sniffed
                if result.container is None:
                    result = replace(result, read_error="headers not found within the read budget")
            return validate(result)
        except _FetchError as exc:
            reason = str(exc)
            if reason.startswith(("points to", "redirects to")):
                return replace(result, problems=(f"{name} {reason}",))
            hint = (
                "check the link is public" if reason.startswith("HTTP 4") else "check the link and try again"
            )
            return replace(result, problems=(f"could not fetch {name} ({reason}); {hint}",))
        except _BudgetExceeded:
            return validate(result)
        except Exception as exc:  # a bug or an odd server must not break the page
            logger.exception("unexpected error probing %s", name)
            return replace(result, problems=(f"could not read {name} ({type(exc).__name__}); try again",))
        finally:
            if remote is not None:
                remote.release()


async def probe_url(url: str, *, allow_private: bool = False, timeout: float = 20.0) -> ProbeResult:
    """Probe a remote reference; refuses internal addresses unless `allow_private`.

    Only the headers are fetched (HTTP Range). The blocking work runs in a thread; the
    whole probe ends within about `timeout` seconds. Never raises for a bad link.
    """
    return await asyncio.to_thread(_probe_url_blocking, url, allow_private, timeout)
