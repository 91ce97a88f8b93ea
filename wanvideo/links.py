"""Links a provider calls on the app: served references and wake-up callbacks.

Both exist only when the app knows its public address (`Settings.public_base_url`:
WAN_PUBLIC_URL, else https://<SPACE_HOST> on a Space). Every link is an unguessable token
(`ids.new_link_token`) stored in the task store, so it survives a restart::

    book = LinkBook(store, settings.public_base_url)
    links = book.for_record(record.id)          # TaskLinks, or None without a public address
    url = links.reference_url(Path(clip))       # https://app/wan/ref/<token>  (one file only)
    links.created(submitted_at)                 # it now works until created + REFERENCE_MARGIN
    links.wake_url()                            # https://app/wan/wake/<token>  (one per task)
    book.reference_path(token)                  # the file, or None: unknown, expired or gone
    book.wake_record(token)                     # the record to poll now, or None (rate-limited)

- A served reference: where the provider has no upload API for the region (one provider in
  Virginia), the (prepared) reference is served by the app itself from `GET /wan/ref/<token>`
  (`web/routes.py`), with Range. The token opens exactly that file, from before the create
  until the task was created plus `REFERENCE_MARGIN`; a create refused for sure revokes it.
- A wake-up: the provider's callback (`callback_url`, or a webhook query parameter) points to `POST /wan/wake/<token>`.
  A call only makes the watcher poll that task now: its body is never read (nobody signs it
  that we could check, and the poll reads the truth with the key), polling stays the
  fallback, and a flood of calls wakes a task at most once per `WAKE_EVERY` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from .ids import new_link_token
from .messages import CATALOGUE, EN
from .store import LINK_REFERENCE, LINK_WAKE, Link, TaskStoreBase
from .timings import REFERENCE_MARGIN, WAKE_EVERY, WAKE_LIFETIME

__all__ = [
    "REFERENCE_MARGIN",
    "REFERENCE_ROUTE",
    "WAKE_EVERY",
    "WAKE_ROUTE",
    "LinkBook",
    "TaskLinks",
]

REFERENCE_ROUTE = "wan/ref"  # GET  /wan/ref/<token>: a served reference
WAKE_ROUTE = "wan/wake"  # POST /wan/wake/<token>: "look at this task now"

# Sentences for people live in the message catalogue (wanvideo.messages, both languages); the
# code sends Message("links.no_public_address", ...) / Message("links.prepared_not_servable", ...).
# The English templates, for callers that compare text:
NO_PUBLIC_ADDRESS = CATALOGUE["links.no_public_address"][EN]
PREPARED_NOT_SERVABLE = CATALOGUE["links.prepared_not_servable"][EN]


class TaskLinks:
    """The links of one task record (made by `LinkBook.for_record`)."""

    def __init__(self, book: LinkBook, record_id: str) -> None:
        self.book = book
        self.record_id = record_id

    def reference_url(self, path: Path) -> str:
        """A link that serves `path` (and nothing else) to the provider; it works for
        `REFERENCE_MARGIN` from now, moved by `created` to the task's creation + the margin."""
        book = self.book
        link = Link(
            token=new_link_token(),
            kind=LINK_REFERENCE,
            record_id=self.record_id,
            expires_at=book.clock() + book.margin,
            path=Path(path).resolve(),
        )
        book.store.add_link(link)
        return f"{book.public_base_url}/{REFERENCE_ROUTE}/{link.token}"

    def created(self, at: float) -> None:
        """The task was created at `at`: its references stay served until `at` + the margin."""
        self.book.store.set_link_expiry(self.record_id, LINK_REFERENCE, at + self.book.margin)

    def revoke(self) -> None:
        """The create was refused for sure: its references are never fetched."""
        self.book.store.set_link_expiry(self.record_id, LINK_REFERENCE, 0.0)

    def wake_url(self) -> str:
        """The task's wake-up address (one token per task, made on first use)."""
        book = self.book
        found = book.store.links_for(self.record_id, LINK_WAKE)
        if found:
            token = found[0].token
        else:
            token = new_link_token()
            book.store.add_link(
                Link(token, LINK_WAKE, self.record_id, expires_at=book.clock() + WAKE_LIFETIME)
            )
        return f"{book.public_base_url}/{WAKE_ROUTE}/{token}"


class LinkBook:
    """The app's links for providers (see the module docstring). Thread-safe."""

    def __init__(
        self,
        store: TaskStoreBase,
        public_base_url: str | None,
        *,
        margin: float = REFERENCE_MARGIN,
        wake_every: float = WAKE_EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.margin = margin
        self.wake_every = wake_every
        self.clock = clock
        self._lock = threading.Lock()
        self._wake_tokens: dict[str, str] = {}  # token -> record id (valid ones, cached)
        self._last_wake: dict[str, float] = {}  # record id -> monotonic time of its last wake

    @property
    def enabled(self) -> bool:
        return self.public_base_url is not None

    def for_record(self, record_id: str) -> TaskLinks | None:
        """The record's links; None when the app has no public address."""
        return TaskLinks(self, record_id) if self.enabled else None

    def has_wake(self, record_id: str) -> bool:
        """Was the record's wake-up address made (and so sent to its provider)?"""
        return bool(self.store.links_for(record_id, LINK_WAKE))

    def reference_path(self, token: str) -> Path | None:
        """The file a reference token serves while it works; None for an unknown or expired
        token, or a file that is gone."""
        if not token:
            return None
        link = self.store.find_link(token, LINK_REFERENCE, self.clock())
        if link is None or link.path is None or not link.path.is_file():
            return None
        return link.path

    def is_wake_token(self, token: str) -> str | None:
        """The record id of a valid wake token, else None (a cached dictionary look-up after
        the first call, so a flood costs no database work)."""
        if not token:
            return None
        with self._lock:
            record_id = self._wake_tokens.get(token)
        if record_id is None:
            link = self.store.find_link(token, LINK_WAKE, self.clock())
            if link is None:
                return None
            record_id = link.record_id
            with self._lock:
                self._wake_tokens[token] = record_id
        return record_id

    def wake_record(self, token: str) -> tuple[bool, str | None]:
        """(known, record id to poll now). Known tokens within `wake_every` of the last
        wake of their task give (True, None): answered, nothing done."""
        record_id = self.is_wake_token(token)
        if record_id is None:
            return False, None
        now = time.monotonic()
        with self._lock:
            last = self._last_wake.get(record_id)
            if last is not None and now - last < self.wake_every:
                return True, None
            self._last_wake[record_id] = now
        return True, record_id
