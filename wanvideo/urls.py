"""URL and address checks shared by the request schema, remote probing and guarded fetches.

A public Space must not fetch internal addresses for a visitor, and the provider refuses
callbacks to them. The rule is "globally routable only":

    literal_internal_reason("0x7f.1")      # "a loopback address" (numeric forms normalised)
    literal_internal_reason("example.com") # None: a name, judged once it is resolved
    address_internal_reason(ip)            # the rule applied to one resolved address
    resolved_internal_reason("example.com")  # resolves with the system resolver, then checks

`wanvideo.netguard` applies `address_internal_reason` to the address it then connects to;
`resolved_internal_reason` only answers "is this name internal now" (e.g. for a callback
URL): it does not stop the name from resolving elsewhere later.

A reason is a catalogue `Message` (its `str` is the English shown above), so a refusal that
quotes it ("points to a loopback address") reads in the visitor's language.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .messages import Message

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_INTERNAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

# Ranges the standard library's `is_global` lets through (or that must be named explicitly).
_SHARED_V4 = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; cloud metadata lives here
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # embeds an IPv4 address in its last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): never public

LOOPBACK = Message("address.loopback")  # "a loopback address"
LINK_LOCAL = Message("address.link_local")  # "a link-local address"
SHARED = Message("address.shared")  # "a shared (carrier-grade NAT) address"
PRIVATE = Message("address.private")  # "a private or reserved address"


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries: mapped, compatible, 6to4, Teredo or NAT64."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address (the server's is public by construction)
    if ip in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(packed[12:])
    return None


def address_internal_reason(ip: IPAddress) -> Message | None:
    """Why `ip` is not a globally routable address; None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return PRIVATE
        inner = _embedded_v4(ip)
        if inner is not None:
            return address_internal_reason(inner)
    if ip.is_loopback:
        return LOOPBACK
    if ip.is_link_local:
        return LINK_LOCAL
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_V4:
        return SHARED
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return PRIVATE
    return None


def _ipv4_number(part: str) -> int | None:
    """One part of a numeric IPv4 host as resolvers read it: decimal, 0x hex or 0 octal."""
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part[0] == "0":
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def parse_ip_host(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one in any form a resolver accepts; else None.

    Besides dotted quads and IPv6 literals this reads the shorthand forms `inet_aton` and
    browsers accept: 2130706433, 127.1, 0x7f.1, 0177.0.0.1 are all 127.0.0.1.
    """
    host = host.strip().strip("[]").lower().rstrip(".")
    if not host:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):  # type: ignore[operator]
        return None
    value = 0
    for n in head:
        value = value * 256 + n  # type: ignore[operator]
    value = value * 256 ** (5 - len(parts)) + last  # type: ignore[operator]
    return ipaddress.IPv4Address(value)


def literal_internal_reason(host: str) -> Message | None:
    """Why `host` (a name or an IP in any numeric form) is internal, without DNS; None when
    it is not (or when only resolving it can tell)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in _INTERNAL_NAMES or name.endswith(".localhost"):
        return LOOPBACK
    ip = parse_ip_host(name)
    return address_internal_reason(ip) if ip is not None else None


def resolved_internal_reason(host: str, port: int = 443) -> Message | None:
    """Like `literal_internal_reason`, also resolving the name: internal when any address is.

    Blocking (system resolver); an unresolvable name gives None (it fails later on its own).
    """
    reason = literal_internal_reason(host)
    if reason:
        return reason
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return None
    for info in infos:
        reason = address_internal_reason(ipaddress.ip_address(info[4][0]))
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
