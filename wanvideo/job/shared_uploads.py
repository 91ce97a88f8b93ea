"""Uploads shared by the generations of one batch (issue 20: variations, a film's shots): the
same reference file, on the same provider, key and model, is uploaded once and its URL sent in
every create of the batch. Only the batch's own jobs share it (one loop, one key), and only for
as long as the batch is being submitted, so the provider's upload is still valid.

    uploads = SharedUploads()                    # one per batch, on the manager's loop
    url = await uploads.take(key)                # a sibling's URL, or None: upload it yourself
    uploads.done(key, url_or_None)               # then say how it went (None: it failed)
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

__all__ = ["SharedUploads"]


class SharedUploads:
    """File -> its upload's URL, for the jobs of one batch on one event loop."""

    def __init__(self) -> None:
        self._pending: dict[Hashable, asyncio.Future[str | None]] = {}

    async def take(self, key: Hashable) -> str | None:
        """The URL a sibling got for `key` (waiting while its upload runs); None: nobody has it,
        the caller uploads it now and must call `done(key, ...)` whatever happens."""
        while (future := self._pending.get(key)) is not None:
            url = await asyncio.shield(future)
            if url is not None:
                return url
            # that upload failed (its entry is gone): the first to wake tries itself
        self._pending[key] = asyncio.get_running_loop().create_future()
        return None

    def done(self, key: Hashable, url: str | None) -> None:
        """The caller's upload of `key` ended: its URL, or None when it failed (a waiting
        sibling then tries itself)."""
        future = self._pending.get(key)
        if url is None:
            self._pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(url)
