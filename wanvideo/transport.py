"""The HTTP transport every adapter speaks through: one provider's hosts, one key.

    transport = Transport(settings, api_key, key_urls=(profile.api_base_url, profile.files_base_url),
                          auth_scheme="Bearer", create_retry_statuses=(429,))
    request = transport.http.build_request("GET", url, headers=transport.auth_headers(url))
    data = await transport.with_retries(lambda: transport.send_json(request, what), what=what, paid=False)
    body = MultipartFile(path, on_progress=print)   # a streamed upload body with its length

It owns the send (`send`, `send_raw`, `send_json`, `read_json`), retries (`with_retries`,
the one policy below), auth (the key only in the Authorization header of requests to the
provider's own hosts: never to a result CDN, an upload host named by the provider, or a URL
on another host), key scrubbing (`scrub`: the key is removed from any message the server
echoes back) and the streamed request bodies (`MultipartFile`, `RawFile`).

Retry policy (one method, `retry_delay`, decides):

- reads (task polls, uploads, downloads): timeouts, connection errors, 429 and 5xx are
  retried up to `settings.max_retries` times with exponential backoff + jitter
  (`backoff_delay`), or after `Retry-After` when the server sends one (capped at
  `settings.max_retry_after`).
- create (paid): never a blind retry. Retried only on the adapter's `create_retry_statuses`
  (with an idempotency key: 429/503, always with the same `Idempotency-Key`; without one
  (`profile.idempotent_create`): 429 only, a refusal that created nothing) or when the request provably
  never left this machine (connect error/timeout, pool timeout). A read timeout or a dropped
  connection after sending is NOT retried: the task may exist;
  `request_may_have_reached_server(exc)` tells the caller so.

Every error response becomes an exception in `status_error` (via `errors.error_for_status`);
every httpx transport error in `transport_error`. Waiting between retries goes through
`retry_sleep`, the one function tests patch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ServerError,
    UploadError,
    WanError,
    error_for_status,
    retry_hint,
)
from .messages import Message
from .settings import Settings

__all__ = [
    "CHUNK_SIZE",
    "DEMO_KEY",
    "MultipartFile",
    "ProgressCallback",
    "RawFile",
    "Transport",
    "backoff_delay",
    "request_may_have_reached_server",
    "retry_sleep",
]

log = logging.getLogger("wanvideo.client")

CHUNK_SIZE = 1024 * 1024  # upload chunk: 1 MiB
DEMO_KEY = "demo"  # sent when no key is configured (demo mode); the simulator accepts any key

# Transport errors raised before a single byte of the request was sent.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)
T = TypeVar("T")


async def retry_sleep(seconds: float) -> None:
    """The only place the transport waits before a retry (tests patch it to record and skip)."""
    await asyncio.sleep(seconds)


def backoff_delay(attempt: int, settings: Settings) -> float:
    """Exponential backoff with jitter for retry number `attempt` (0-based)."""
    delay = min(settings.retry_max_delay, settings.retry_base_delay * (2**attempt))
    return delay * (1 - 0.25 * random.random())


def request_may_have_reached_server(exc: BaseException) -> bool:
    """For a failed create: could the provider have created (and later bill) the task?

    False only when the request provably never left (connect errors) or was clearly
    refused (4xx, 503). A read timeout, a dropped connection, a 500/502/504 or an
    unreadable success answer is unknown.
    """
    if isinstance(exc, APIConnectionError):
        return not isinstance(exc.__cause__, NOT_SENT)
    if isinstance(exc, APIStatusError):
        if exc.status_code < 400:  # accepted, but the answer was unreadable: it likely exists
            return True
        return exc.status_code >= 500 and exc.status_code != 503
    return False


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of `url`: what "the same host" means for the key."""
    parts = urlsplit(url)
    return (parts.scheme, (parts.hostname or "").lower(), parts.port)


def _quote_filename(name: str) -> str:
    """A multipart filename: no quotes or line breaks (UTF-8 as browsers send it)."""
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")


class MultipartFile:
    """A `multipart/form-data` body with text `fields` first and one file field last,
    streamed in 1 MiB chunks (the storage behind a provider's temporary upload reads only the fields
    before the file).

    Its length is known up front (so the request carries a Content-Length), and at most one
    chunk of the file is in memory at a time.
    """

    def __init__(
        self,
        path: Path,
        field: str = "file",
        on_progress: ProgressCallback | None = None,
        *,
        fields: Sequence[tuple[str, str]] = (),
        filename: str | None = None,
    ):
        self.path = path
        self.size = path.stat().st_size
        self.boundary = uuid.uuid4().hex
        name = filename or path.name
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        text = "".join(
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote_filename(key)}"\r\n\r\n{value}\r\n'
            for key, value in fields
        )
        self.head = (
            text + f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{_quote_filename(name)}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.on_progress = on_progress

    @property
    def content_length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        async for chunk in _file_chunks(self.path, self.size, self.on_progress):
            yield chunk
        yield self.tail


class RawFile:
    """A file as a raw request body (a PUT to a presigned upload URL), streamed in
    1 MiB chunks with a known length."""

    def __init__(self, path: Path, on_progress: ProgressCallback | None = None) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.on_progress = on_progress

    @property
    def content_length(self) -> int:
        return self.size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in _file_chunks(self.path, self.size, self.on_progress):
            yield chunk


async def _file_chunks(path: Path, size: int, on_progress: ProgressCallback | None) -> AsyncIterator[bytes]:
    """The file's bytes in CHUNK_SIZE pieces, read ahead in a thread; refuses a file that
    changes size while it is sent."""
    sent = 0
    if on_progress:
        on_progress(0, size)
    with path.open("rb") as file:
        # Read ahead: the next chunk is read in a thread while this one is sent.
        ahead = asyncio.ensure_future(asyncio.to_thread(file.read, CHUNK_SIZE))
        try:
            while True:
                chunk = await ahead
                if not chunk:
                    break
                ahead = asyncio.ensure_future(asyncio.to_thread(file.read, CHUNK_SIZE))
                sent += len(chunk)
                if sent > size:
                    raise UploadError(Message("upload.grew", name=path.name))
                yield chunk
                if on_progress:
                    on_progress(sent, size)
        finally:
            if not ahead.done():
                # Let the thread finish its read before the file is closed.
                with contextlib.suppress(Exception):
                    await asyncio.shield(ahead)
    if sent != size:
        raise UploadError(Message("upload.shrank", name=path.name))


class Transport:
    """The httpx client, the key and the retry policy for one provider. Adapters use `http`,
    `auth_headers`, `send`, `send_raw`, `send_json`, `read_json`, `status_error`,
    `with_retries`, `scrub` and `is_key_host`; none of them ever holds the key."""

    def __init__(
        self,
        settings: Settings,
        api_key: str | SecretStr | None,
        *,
        key_urls: Iterable[str],
        auth_scheme: str = "Bearer",
        create_retry_statuses: tuple[int, ...] = (429,),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        self._key = SecretStr(api_key or DEMO_KEY)
        self.settings = settings
        self.auth_scheme = auth_scheme
        self.create_retry_statuses = create_retry_statuses
        timeout = httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        )
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": "wan-reference-video-studio/0.1"},
        )
        self._key_hosts = {origin(url) for url in key_urls}

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    def is_key_host(self, url: str) -> bool:
        """Is `url` on one of the provider's own hosts (the only ones that see the key)?"""
        return origin(url) in self._key_hosts

    def auth_headers(self, url: str) -> dict[str, str]:
        """The key, for the provider's own hosts only (a result CDN never sees it), in the
        adapter's scheme (`Bearer`, or e.g. `Key`)."""
        if self.is_key_host(url):
            return {"Authorization": f"{self.auth_scheme} {self._key.get_secret_value()}"}
        return {}

    def scrub(self, text: str) -> str:
        """`text` without the key. A Message stays a Message (its parameters are scrubbed: the
        catalogue's own words never hold a key), so it still shows in the visitor's language."""
        key = self._key.get_secret_value()
        if not key or key == DEMO_KEY or len(key) < 4:
            return text
        if isinstance(text, Message):
            params = {k: self.scrub(v) if isinstance(v, str) else v for k, v in text.params.items()}
            return Message(text.id, **params)
        return text.replace(key, "***")

    async def with_retries(self, attempt: Callable[[], Awaitable[T]], *, what: str, paid: bool) -> T:
        tries = 0
        while True:
            try:
                return await attempt()
            except WanError as exc:
                delay = self.retry_delay(exc, tries, paid)
                if delay is None or tries >= self.settings.max_retries:
                    raise
                tries += 1
                log.info(
                    "%s failed (%s); retry %d of %d in %.1f s",
                    what,
                    type(exc).__name__,
                    tries,
                    self.settings.max_retries,
                    delay,
                )
                await retry_sleep(delay)

    def retry_delay(self, exc: WanError, tries: int, paid: bool) -> float | None:
        """Seconds to wait before retrying after `exc`, or None when it must not be retried."""
        if isinstance(exc, APIStatusError):
            if paid and exc.status_code not in self.create_retry_statuses:
                return None
            if not paid and not (exc.retryable or exc.status_code == 429 or exc.status_code >= 500):
                return None
            if exc.retry_after is not None:
                return min(exc.retry_after, self.settings.max_retry_after)
            return backoff_delay(tries, self.settings)
        if isinstance(exc, APIConnectionError):
            if paid and not isinstance(exc.__cause__, NOT_SENT):
                return None
            return backoff_delay(tries, self.settings)
        return None

    async def send_raw(self, request: httpx.Request, what: str) -> httpx.Response:
        """Send a non-streamed request; map transport errors (any status is returned)."""
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, what, request) from exc
        log.debug("%s %s -> %d", request.method, request.url, response.status_code)
        return response

    async def send(self, request: httpx.Request, what: str) -> httpx.Response:
        """Send a non-streamed request; map transport errors and error statuses."""
        response = await self.send_raw(request, what)
        if response.status_code >= 400:
            raise self.status_error(response)
        return response

    async def send_json(self, request: httpx.Request, what: str) -> Any:
        return self.read_json(await self.send(request, what), what)

    def read_json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServerError(
                Message("transport.not_json", what=what), status_code=response.status_code
            ) from None

    def status_error(self, response: httpx.Response) -> APIStatusError:
        """The one place an error response becomes an exception."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text[:500]
        error = error_for_status(response.status_code, body, response.headers.get("Retry-After"))
        if isinstance(body, dict) and "error" not in body and body.get("msg"):
            error.message = str(body["msg"])  # the files host: {"success": false, "msg": ...}
        hint = retry_hint(response.headers)  # the provider says whether a retry can help
        if hint is not None:
            error.retryable = hint
        error.message = self.scrub(error.message)
        if error.suggestion:
            error.suggestion = self.scrub(error.suggestion)
        error.args = (error.message,)
        log.debug("HTTP %d from %s: %s", response.status_code, response.request.url, error.message)
        return error

    def transport_error(self, exc: httpx.HTTPError, what: str, request: httpx.Request) -> APIConnectionError:
        """The one place an httpx transport error becomes an exception."""
        host, kind = request.url.host, type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(Message("transport.timeout", what=what, host=host, kind=kind))
        return APIConnectionError(Message("transport.connection_failed", what=what, host=host, kind=kind))
