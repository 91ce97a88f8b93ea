"""URL checks shared by the request schema and remote probing.

A public Space must not fetch internal addresses for a visitor, and the provider refuses
callbacks to them, so both ask `internal_address_reason()`.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

_INTERNAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _ip_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "a private or reserved address"
    return None


def literal_internal_reason(host: str) -> str | None:
    """Why `host` (a name or an IP literal) is internal, without DNS; None when it is not."""
    host = host.strip("[]").lower().rstrip(".")
    if host in _INTERNAL_NAMES or host.endswith(".localhost"):
        return "a loopback address"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return _ip_reason(ip)


def resolved_internal_reason(host: str, port: int = 443) -> str | None:
    """Like `literal_internal_reason`, also resolving the name (catches DNS tricks)."""
    reason = literal_internal_reason(host)
    if reason:
        return reason
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None  # unreachable names fail later with their own message
    for info in infos:
        reason = _ip_reason(ipaddress.ip_address(info[4][0]))
        if reason:
            return reason
    return None


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def display_name(url: str) -> str:
    """A short name for a URL in messages: its last path segment, else its host."""
    parts = urlsplit(url)
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return tail or parts.hostname or url
