"""The simulator's one way to fetch a link it was given (a create's `video_urls`, `file_url`).

In demo mode the simulator runs inside the app and fetches whatever links a visitor typed, so
this is the only function in the simulator that opens a connection to a user-supplied address:

- only ``http`` and ``https``;
- redirects are followed here, hop by hop, never by the HTTP library: every hop is checked;
- every hop connects to the address that passed the check (no second DNS lookup to rebind);
- unless ``allow_private=True`` (tests on 127.0.0.1), only globally routable addresses pass;
- a size cap, a hard total deadline, no transparent decompression, ``.part`` then rename.

A refusal raises `LinkRefused`, whose `reason` is safe to show a visitor: for an address
refused as internal it says only that, never what the target answered.

    fetched = await fetch_link(url, dest, max_bytes=100_000_000, timeout=15, allow_private=False)

The completion callbacks the simulator sends (EvoLink's `callback_url`, fal's `fal_webhook`) go
out through `post_json`, under the same address check; it never follows a redirect and never
reads the answer's body::

    status = await post_json(url, body, headers={...}, timeout=10, allow_private=False)

At merge this body is the one place that changes: it becomes a call to the domain's guarded
fetcher (``wanvideo.netguard.fetch_to_file``) with its errors mapped to `LinkRefused`.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

MAX_REDIRECTS = 5
CHUNK = 1 << 16
# host, port -> the addresses it resolves to (a seam for tests; default: the system resolver).
Resolver = Callable[[str, int], list[str]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Why(enum.Enum):
    """What stopped a fetch (a typed field; `LinkRefused.reason` is the words for people)."""

    NOT_HTTP = "not_http"
    UNRESOLVABLE = "unresolvable"
    INTERNAL = "internal"
    STATUS = "status"
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"
    TRANSPORT = "transport"
    REDIRECTS = "redirects"


class LinkRefused(Exception):
    """A link the simulator would not or could not fetch; `reason` is fit to show anyone."""

    def __init__(self, why: Why, reason: str) -> None:
        super().__init__(reason)
        self.why = why
        self.reason = reason


@dataclass(frozen=True)
class Fetched:
    size: int
    content_type: str | None


def is_public_address(address: str) -> bool:
    """True when `address` is globally routable, also as the IPv4 inside a v6 wrapper."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return inner.is_global
    return ip.is_global


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def _checked_address(host: str, port: int, allow_private: bool, resolver: Resolver | None) -> str:
    """The one address this hop connects to, after the check."""
    try:
        addresses = await asyncio.to_thread(resolver or _system_resolver, host, port)
    except (OSError, UnicodeError) as exc:
        raise LinkRefused(Why.UNRESOLVABLE, "its host name does not resolve") from exc
    if not addresses:
        raise LinkRefused(Why.UNRESOLVABLE, "its host name does not resolve")
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise LinkRefused(Why.INTERNAL, "it points to an internal address")
    return addresses[0]


async def _fetch(
    url: str, part: Path, *, max_bytes: int, timeout: float, allow_private: bool, resolver: Resolver | None
) -> Fetched:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout) as client:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise LinkRefused(Why.NOT_HTTP, "it is not an http(s) link")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = await _checked_address(parts.hostname, port, allow_private, resolver)
            shown = f"[{address}]" if ":" in address else address
            direct = urlunsplit((parts.scheme, f"{shown}:{port}", parts.path or "/", parts.query, ""))
            extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
            headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "Accept-Encoding": "identity"}
            async with client.stream("GET", direct, headers=headers, extensions=extensions) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise LinkRefused(Why.STATUS, f"it answered HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise LinkRefused(Why.TOO_LARGE, f"it is larger than {max_bytes} bytes")
                size = 0
                with part.open("wb") as out:
                    async for chunk in response.aiter_raw(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise LinkRefused(Why.TOO_LARGE, f"it is larger than {max_bytes} bytes")
                        out.write(chunk)
                return Fetched(size=size, content_type=response.headers.get("content-type"))
    raise LinkRefused(Why.REDIRECTS, f"it redirects more than {MAX_REDIRECTS} times")


async def fetch_link(
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool = False,
    resolver: Resolver | None = None,
) -> Fetched:
    """Download `url` to `dest` within `timeout` seconds in all; raises `LinkRefused`."""
    part = dest.with_name(dest.name + ".part")
    try:
        fetched = await asyncio.wait_for(
            _fetch(
                url,
                part,
                max_bytes=max_bytes,
                timeout=timeout,
                allow_private=allow_private,
                resolver=resolver,
            ),
            timeout,
        )
    except asyncio.TimeoutError as exc:
        part.unlink(missing_ok=True)
        raise LinkRefused(Why.TOO_SLOW, f"it did not arrive within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        part.unlink(missing_ok=True)
        raise LinkRefused(Why.TRANSPORT, f"it could not be downloaded ({exc.__class__.__name__})") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    part.replace(dest)
    return fetched


async def _post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    resolver: Resolver | None,
) -> int:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LinkRefused(Why.NOT_HTTP, "it is not an http(s) link")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await _checked_address(parts.hostname, port, allow_private, resolver)
    shown = f"[{address}]" if ":" in address else address
    direct = urlunsplit((parts.scheme, f"{shown}:{port}", parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    sent = {
        **headers,
        "Host": parts.netloc.rsplit("@", 1)[-1],
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }
    async with (
        httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=timeout) as client,
        client.stream("POST", direct, content=body, headers=sent, extensions=extensions) as response,
    ):
        return response.status_code  # the body is never read


async def post_json(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    timeout: float,
    allow_private: bool = False,
    resolver: Resolver | None = None,
) -> int:
    """POST a JSON `body` to `url` within `timeout` s; the answer's HTTP status (a redirect is
    an answer, not followed). Raises `LinkRefused` when it cannot be sent."""
    try:
        return await asyncio.wait_for(
            _post(url, body, headers or {}, timeout=timeout, allow_private=allow_private, resolver=resolver),
            timeout,
        )
    except asyncio.TimeoutError as exc:
        raise LinkRefused(Why.TOO_SLOW, f"it did not answer within {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise LinkRefused(Why.TRANSPORT, f"it could not be reached ({exc.__class__.__name__})") from exc
