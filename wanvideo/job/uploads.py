"""The provider upload cache: a file whose content a provider already took under the same key
is not uploaded again while that upload stays valid (`ProviderProfile.upload_lifetime`, each
provider's documented fact), across generations, restarts and replicas (the store keeps it).

    cache = UploadCache(store)                       # anything with uploaded_url/remember_upload
    url = await cache.find(profile, api_key, path)   # None: upload it, then
    await cache.remember(profile, api_key, path, url)

Entries are keyed by the profile (and the model, where an upload is bound to it), a
fingerprint of the key (a hash: never the key itself; an upload belongs to the key's account)
and the file's SHA-256, so a changed file is uploaded again. A cached URL is reused only while
it stays valid for `REUSE_MARGIN` more, long enough for the provider to fetch it after a
create that waits in its queue. A store that fails costs an upload, never the generation.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from ..providers import ProviderProfile

log = logging.getLogger("wanvideo.job")

REUSE_MARGIN = 6 * 3600.0  # seconds an upload must stay valid after the create to be reused
_FINGERPRINT_SALT = b"wanvideo upload cache key fingerprint\0"


class UploadRecords(Protocol):
    """The store's part of it (`wanvideo.store.cast.CastStore`)."""

    def uploaded_url(
        self, profile: str, key_fingerprint: str, sha256: str, valid_until: float
    ) -> str | None: ...

    def remember_upload(
        self, profile: str, key_fingerprint: str, sha256: str, url: str, expires_at: float
    ) -> None: ...

    def forget_expired_uploads(self, now: float) -> int: ...


def key_fingerprint(api_key: str | SecretStr | None) -> str:
    """A one-way fingerprint of the key the uploads were made with (never the key)."""
    raw = api_key.get_secret_value() if isinstance(api_key, SecretStr) else (api_key or "")
    return hashlib.sha256(_FINGERPRINT_SALT + raw.encode()).hexdigest()[:32]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def upload_scope(profile: ProviderProfile) -> str | None:
    """What an upload is valid for: the profile (+ its model where uploads are bound to one);
    None where the provider's uploads are not reused."""
    if profile.upload_lifetime <= 0:
        return None
    return f"{profile.name}/{profile.variant.wire}" if profile.upload_model_bound else profile.name


@dataclass
class UploadCache:
    records: UploadRecords
    clock: Callable[[], float] = time.time
    _hashes: dict[tuple[str, int, float], str] = field(default_factory=dict, repr=False)

    async def find(
        self, profile: ProviderProfile, api_key: str | SecretStr | None, path: str | Path
    ) -> str | None:
        """The URL of a still-valid upload of this file's content, None to upload it."""
        scope = upload_scope(profile)
        if scope is None:
            return None
        try:
            sha = await self._sha(path)
            valid_until = self.clock() + REUSE_MARGIN
            return await asyncio.to_thread(
                self.records.uploaded_url, scope, key_fingerprint(api_key), sha, valid_until
            )
        except Exception as exc:  # the cache must never take the generation down
            log.warning("upload cache not read: %s", type(exc).__name__)
            return None

    async def remember(
        self, profile: ProviderProfile, api_key: str | SecretStr | None, path: str | Path, url: str
    ) -> None:
        """Keep the URL an upload of this file just gave, until the provider lets it expire."""
        scope = upload_scope(profile)
        if scope is None:
            return
        try:
            sha = await self._sha(path)
            expires_at = self.clock() + profile.upload_lifetime
            await asyncio.to_thread(
                self.records.remember_upload, scope, key_fingerprint(api_key), sha, url, expires_at
            )
            await asyncio.to_thread(self.records.forget_expired_uploads, self.clock())  # indexed
        except Exception as exc:
            log.warning("upload cache not written: %s", type(exc).__name__)

    async def _sha(self, path: str | Path) -> str:
        stat = Path(path).stat()
        mark = (str(path), stat.st_size, stat.st_mtime)
        if mark not in self._hashes:
            self._hashes[mark] = await asyncio.to_thread(file_sha256, path)
        return self._hashes[mark]
