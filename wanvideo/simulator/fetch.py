"""The simulator's one way to fetch a link it was given (a create's `video_urls`, `file_url`).

In demo mode the simulator runs inside the app and fetches whatever links a visitor typed, so
it uses the app's guarded fetcher (`wanvideo.netguard.fetch_to_file`): http(s) only, every
redirect hop checked and pinned to the checked address, globally routable addresses only
unless ``allow_private=True`` (tests on 127.0.0.1), a size cap, a hard total deadline, no
transparent decompression, ``.part`` then rename.

A refusal raises `LinkRefused`, whose `reason` is safe to show a visitor: for an address
refused as internal it says only that, never what the target answered.

    fetched = await fetch_link(url, dest, max_bytes=100_000_000, timeout=15, allow_private=False)

The completion callbacks the simulator sends (EvoLink's `callback_url`, fal's `fal_webhook`) go
out through `post_json`, under the same address check; it never follows a redirect and never
reads the answer's body::

    status = await post_json(url, body, headers={...}, timeout=10, allow_private=False)

"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from wanvideo.netguard import FetchError, FetchFailure, Resolver, fetch_to_file
from wanvideo.netguard import post_json as guarded_post_json


class Why(enum.Enum):
    """What stopped a fetch (a typed field; `LinkRefused.reason` is the words for people)."""

    NOT_HTTP = "not_http"
    INTERNAL = "internal"
    STATUS = "status"
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"
    TRANSPORT = "transport"
    REDIRECTS = "redirects"


_WHY = {
    FetchFailure.NOT_HTTP: Why.NOT_HTTP,
    FetchFailure.REFUSED: Why.INTERNAL,
    FetchFailure.UNREACHABLE: Why.TRANSPORT,
    FetchFailure.TIMEOUT: Why.TOO_SLOW,
    FetchFailure.HTTP_STATUS: Why.STATUS,
    FetchFailure.TOO_MANY_REDIRECTS: Why.REDIRECTS,
    FetchFailure.TOO_LARGE: Why.TOO_LARGE,
    FetchFailure.BROKEN: Why.TRANSPORT,
}


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
    try:
        result = await fetch_to_file(
            url, dest, max_bytes=max_bytes, timeout=timeout, allow_private=allow_private, resolver=resolver
        )
    except FetchError as exc:
        raise LinkRefused(_WHY[exc.reason], str(exc)) from None
    return Fetched(size=result.size, content_type=result.content_type)


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
        return await guarded_post_json(
            url, body, headers=headers, timeout=timeout, allow_private=allow_private, resolver=resolver
        )
    except FetchError as exc:
        raise LinkRefused(_WHY[exc.reason], str(exc)) from None
