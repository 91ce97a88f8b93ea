"""Guarded outbound HTTP for user-given links: connect only where the check passed.

    result = await fetch_to_file(url, dest, max_bytes=100_000_000, timeout=60)
    # FetchResult(path=dest, size=..., final_url=...); raises FetchError (a typed `reason`)

    async with GuardedClient() as client:                 # lower level (range reads)
        final_url, response = await client.get(url, headers={"Range": "bytes=0-65535"})
        data = await read_body(response, limit=65536)

Every hop of every request (redirects are followed one by one, never by httpx):

1. the host is resolved once, by a resolver that never uses asyncio's default thread pool
   (a small private executor; tests pass their own `resolver` callable);
2. every answer must be globally routable (`wanvideo.urls.address_internal_reason`), unless
   `allow_private`;
3. the request goes to that checked address itself (the URL's host is replaced by the IP;
   the `Host` header and the TLS SNI name and certificate check keep the real name, through
   httpcore's `sni_hostname` request extension), so a second DNS answer can never be used.

A client keeps the address it checked for a host for its own lifetime (one probe, one
download): later range reads go to that same address, never to a fresh DNS answer. There
is no shared cache of "checked" hosts. One httpx client per host keeps a TLS connection
verified for one name from carrying another name's requests.

Failures reveal nothing about the inside: a refused target is never contacted, and its
error has no status, size or type. Bodies are read raw (`Accept-Encoding: identity`, no
transparent decompression).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import logging
import os
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from .error_base import WanError
from .fsutil import fsync_dir
from .messages import Message
from .urls import IPAddress, address_internal_reason, literal_internal_reason, parse_ip_host

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
USER_AGENT = "wan-reference-video-studio/0.1"
DNS_THREADS = 4  # concurrent system lookups; a hung lookup holds one, never the app's pool

# (host, port) -> addresses; sync or async. The seam tests use to answer what they like.
Resolver = Callable[[str, int], Sequence[str | IPAddress] | Awaitable[Sequence[str | IPAddress]]]


class FetchFailure(str, Enum):
    NOT_HTTP = "not_http"  # not an http(s) link, or a redirect to another scheme
    REFUSED = "refused"  # does not lead to a public address (or does not resolve)
    UNREACHABLE = "unreachable"  # a public address that did not accept the connection
    TIMEOUT = "timeout"  # the deadline passed
    HTTP_STATUS = "http_status"  # a public server answered with an error status
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"  # more than `max_bytes`
    BROKEN = "broken"  # the connection broke off mid-answer


class FetchError(WanError):
    """A guarded fetch failed; `reason` says why (typed), `message` in words safe to show
    anyone: a catalogue Message, so it renders in the visitor's language (`str()` of the
    error is its English, for logs and the simulator).

    `status` is set only for `HTTP_STATUS` (from a checked public server); `literal` only
    when the link itself names an internal address (e.g. "a loopback address", a Message).
    """

    def __init__(
        self,
        reason: FetchFailure,
        message: Message,
        *,
        status: int | None = None,
        literal: Message | None = None,
        host: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.literal = literal
        self.host = host


@dataclass(frozen=True)
class FetchResult:
    path: Path
    size: int
    final_url: str
    content_type: str | None = None


# --------------------------------------------------------------------------- resolving

_dns_pool: ThreadPoolExecutor | None = None


def dns_executor() -> ThreadPoolExecutor:
    """The small private pool every DNS lookup of a user-given name runs in."""
    global _dns_pool
    if _dns_pool is None:
        _dns_pool = ThreadPoolExecutor(max_workers=DNS_THREADS, thread_name_prefix="wan-dns")
    return _dns_pool


def _system_lookup(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def system_resolver(host: str, port: int) -> list[str]:
    """The system resolver in a private executor (asyncio's `getaddrinfo` uses the default one)."""
    return await asyncio.wrap_future(dns_executor().submit(_system_lookup, host, port))


async def resolve_checked(
    host: str, port: int, *, allow_private: bool = False, resolver: Resolver | None = None
) -> list[IPAddress]:
    """The addresses to connect to for `host`, all checked; raises FetchError(REFUSED).

    A literal address (any numeric form) is used as written. A name must resolve, and
    every answer must be public: one internal answer refuses the name.
    """
    literal_ip = parse_ip_host(host)
    if literal_ip is not None:
        addresses: list[IPAddress] = [literal_ip]
    else:
        reason = None if allow_private else literal_internal_reason(host)  # "localhost" and friends
        if reason:
            raise FetchError(FetchFailure.REFUSED, _REFUSED, literal=reason, host=host)
        answer = (resolver or system_resolver)(host, port)
        try:
            answers = await answer if inspect.isawaitable(answer) else answer
            addresses = [ipaddress.ip_address(str(a).split("%")[0]) for a in answers]
        except (OSError, UnicodeError, ValueError):
            addresses = []
        if not addresses:
            raise FetchError(FetchFailure.REFUSED, _REFUSED, host=host)
    if not allow_private:
        for ip in addresses:
            reason = address_internal_reason(ip)
            if reason:
                literal = reason if literal_ip is not None else None
                raise FetchError(FetchFailure.REFUSED, _REFUSED, literal=literal, host=host)
    return addresses


_REFUSED = Message("fetch.not_public")  # "the link does not lead to a public server"


# --------------------------------------------------------------------------- requests


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


class GuardedClient:
    """GETs for user-given links: every hop checked, every connection to the checked address.

    `timeout` bounds each network step (connect, each read); callers wrap whole operations
    in `asyncio.wait_for` for a hard total deadline (cancellation closes the connection).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        timeout: float = 20.0,
        max_redirects: int = MAX_REDIRECTS,
        user_agent: str = USER_AGENT,
        verify: ssl.SSLContext | bool = True,  # tests pass a context trusting their own CA
    ) -> None:
        self.allow_private = allow_private
        self.verify = verify
        self.resolver = resolver
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._pins: dict[tuple[str, str, int], list[IPAddress]] = {}
        self._clients: dict[tuple[str, str, int], httpx.AsyncClient] = {}

    async def __aenter__(self) -> GuardedClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()

    def _client(self, key: tuple[str, str, int]) -> httpx.AsyncClient:
        client = self._clients.get(key)
        if client is None:
            client = httpx.AsyncClient(
                follow_redirects=False,
                verify=self.verify,
                trust_env=False,  # a proxy would resolve the name itself
                timeout=httpx.Timeout(self.timeout),
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "identity"},
            )
            self._clients[key] = client
        return client

    async def _addresses(self, url: httpx.URL) -> list[IPAddress]:
        key = (url.scheme, url.host, _default_port(url))
        if key not in self._pins:
            self._pins[key] = await resolve_checked(
                url.host, key[2], allow_private=self.allow_private, resolver=self.resolver
            )
        return self._pins[key]

    async def _send_once(
        self, url: httpx.URL, headers: dict[str, str], method: str = "GET", content: bytes | None = None
    ) -> httpx.Response:
        """One request to one hop, at the checked address."""
        addresses = await self._addresses(url)
        key = (url.scheme, url.host, _default_port(url))
        client = self._client(key)
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        failure: Exception | None = None
        for ip in addresses[:2]:  # a second checked address when the first does not answer
            request = client.build_request(
                method,
                url.copy_with(host=str(ip)),
                headers={**headers, "Host": url.netloc.decode("ascii")},
                content=content,
                extensions=extensions,
            )
            try:
                return await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                failure = exc
            except httpx.TimeoutException:
                raise FetchError(FetchFailure.TIMEOUT, Message("fetch.no_answer")) from None
            except httpx.HTTPError as exc:
                logger.info("guarded fetch failed: %s", type(exc).__name__)
                raise FetchError(FetchFailure.UNREACHABLE, Message("fetch.unreachable")) from None
        logger.info("guarded fetch could not connect: %s", type(failure).__name__)
        raise FetchError(FetchFailure.UNREACHABLE, Message("fetch.unreachable"))

    async def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[str, httpx.Response]:
        """A streamed GET following redirects hop by hop: (final URL, open response).

        The caller closes the response. Raises FetchError; a redirect's target is checked
        before it is contacted, and only http(s) targets are followed.
        """
        host = urlsplit(url).hostname or ""
        literal = None if self.allow_private else literal_internal_reason(host)
        if literal:  # before parsing: httpx refuses some numeric forms (0177.0.0.1) as invalid
            raise FetchError(FetchFailure.REFUSED, _REFUSED, literal=literal, host=host)
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchError(FetchFailure.NOT_HTTP, Message("fetch.not_http")) from None
        for _ in range(self.max_redirects + 1):
            if current.scheme not in ("http", "https") or not current.host:
                raise FetchError(FetchFailure.NOT_HTTP, Message("fetch.not_http"))
            response = await self._send_once(current, dict(headers or {}))
            location = response.headers.get("location")
            if response.is_redirect and location:
                await response.aclose()
                try:
                    current = current.join(location)
                except httpx.InvalidURL:
                    raise FetchError(FetchFailure.NOT_HTTP, Message("fetch.bad_redirect")) from None
                continue
            return str(current), response
        raise FetchError(
            FetchFailure.TOO_MANY_REDIRECTS, Message("fetch.too_many_redirects", max=self.max_redirects)
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
        """POST `body` to a user-given address (a callback): checked and pinned like a GET, no
        redirect followed (a redirect is an answer), the answer's body never read. Its status."""
        host = urlsplit(url).hostname or ""
        literal = None if self.allow_private else literal_internal_reason(host)
        if literal:
            raise FetchError(FetchFailure.REFUSED, _REFUSED, literal=literal, host=host)
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchError(FetchFailure.NOT_HTTP, Message("fetch.not_http")) from None
        if target.scheme not in ("http", "https") or not target.host:
            raise FetchError(FetchFailure.NOT_HTTP, Message("fetch.not_http"))
        response = await self._send_once(target, dict(headers or {}), method="POST", content=body)
        await response.aclose()
        return response.status_code


@contextlib.contextmanager
def reading_body() -> Iterator[None]:
    """httpx errors while a body streams in, as FetchError (what broke is logged, not shown)."""
    try:
        yield
    except httpx.TimeoutException:
        raise FetchError(FetchFailure.TIMEOUT, Message("fetch.no_answer")) from None
    except httpx.HTTPError as exc:
        logger.info("download broke off: %s", type(exc).__name__)
        raise FetchError(FetchFailure.BROKEN, Message("fetch.broke_off")) from None


async def read_body(response: httpx.Response, limit: int) -> bytes:
    """Up to `limit` raw bytes of a streamed body; closes the response."""
    chunks = bytearray()
    try:
        with reading_body():
            async for chunk in response.aiter_raw():
                chunks += chunk
                if len(chunks) >= limit:
                    break
    finally:
        await response.aclose()
    return bytes(chunks[:limit])


# --------------------------------------------------------------------------- downloads


async def _download(client: GuardedClient, url: str, dest: Path, part: Path, max_bytes: int) -> FetchResult:
    final_url, response = await client.get(url)
    try:
        if response.status_code != 200:
            raise FetchError(
                FetchFailure.HTTP_STATUS,
                Message("fetch.server_status", status=response.status_code),
                status=response.status_code,
            )
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(FetchFailure.TOO_LARGE, Message("fetch.too_large", max=max_bytes))
        size = 0
        with open(part, "wb") as out:
            with reading_body():
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(FetchFailure.TOO_LARGE, Message("fetch.too_large", max=max_bytes))
                    out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    finally:
        await response.aclose()
    os.replace(part, dest)
    fsync_dir(dest.parent)
    return FetchResult(
        path=dest, size=size, final_url=final_url, content_type=response.headers.get("content-type")
    )


async def fetch_to_file(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool = False,
    resolver: Resolver | None = None,
) -> FetchResult:
    """Download a user-given link to `dest`: every hop checked and pinned, at most
    `max_bytes` raw bytes, all within `timeout` seconds from first byte sent to last byte
    read. Written to `dest.part`, then renamed; nothing is left behind on failure.
    Raises FetchError.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    async with GuardedClient(allow_private=allow_private, resolver=resolver, timeout=timeout) as client:
        try:
            return await asyncio.wait_for(_download(client, url, dest, part, max_bytes), timeout)
        except asyncio.TimeoutError:
            raise FetchError(FetchFailure.TIMEOUT, Message("fetch.timeout", seconds=f"{timeout:g}")) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()


async def post_json(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    timeout: float,
    allow_private: bool = False,
    resolver: Resolver | None = None,
) -> int:
    """POST a JSON `body` to a user-given `url` within `timeout` s in all (a callback); the
    answer's HTTP status. Raises FetchError when it cannot be sent."""
    sent = {**(headers or {}), "Content-Type": "application/json"}
    async with GuardedClient(allow_private=allow_private, resolver=resolver, timeout=timeout) as client:
        try:
            return await asyncio.wait_for(client.post(url, body, sent), timeout)
        except asyncio.TimeoutError:
            raise FetchError(FetchFailure.TIMEOUT, Message("fetch.timeout", seconds=f"{timeout:g}")) from None
