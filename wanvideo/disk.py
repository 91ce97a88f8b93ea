"""What the app keeps on disk, and for how long: the rules behind the disk guards.

    quota = UploadQuota(settings.visitor_upload_mb_per_hour * MB)
    grant = quota.reserve(visitor, declared_bytes, now)   # an UploadRefused, or a Grant
    grant.extend(more_bytes, now)                         # False: over the quota (nothing added)
    grant.settle(kept_bytes)                              # what the hour counts (0: nothing kept)
    low_disk(folder, floor_bytes, incoming)               # an UploadRefused when space is short
    short_of_space(folder, floor_bytes, incoming)         # free bytes when short (prepare, download)
    cache_life(settings)                                  # Gradio's delete_cache=(every, age)
    keep_seconds(settings)                                # saved videos' life, None: forever

The quota is a sliding hour per visitor (`identity.visitor_id`: the signed-in user, else the
client address), in memory (one app process serves a Space). `reserve` and `extend` check and
add under one lock, so concurrent uploads of one visitor together never pass the quota.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .error_base import WanError
from .messages import Message
from .settings import Settings

__all__ = [
    "CACHE_LIFE",
    "BODY_ALLOWANCE",
    "HF_PERSISTENT_DIR",
    "HOUR",
    "MB",
    "SPACE_CACHE_LIFE",
    "SPACE_KEEP_DAYS",
    "Grant",
    "UploadQuota",
    "UploadRefused",
    "cache_life",
    "disk_low_message",
    "free_bytes",
    "keep_seconds",
    "low_disk",
    "short_of_space",
]

MB = 1000 * 1000
HOUR = 3600.0
DAY = 86400.0
# Gradio's cache (uploads, fixed clips): checked every first seconds, files older than the
# second removed. On a Space (shared, public, small disk) sooner; the age still covers a served
# reference's link (`links.REFERENCE_MARGIN`, an hour after its task's creation).
CACHE_LIFE = (3600, 24 * 3600)
SPACE_CACHE_LIFE = (900, 2 * 3600)
# Saved videos on a Space whose data folder is not on its persistent storage (lost at a restart
# anyway; a busy Space would fill its disk first).
SPACE_KEEP_DAYS = 7.0
HF_PERSISTENT_DIR = Path("/data")  # where a Space's persistent storage is mounted
# Bytes of a multipart body that are not the file (part headers, boundaries): allowed over the
# quota, so that N clips of exactly quota/N MB fit as the setting promises.
BODY_ALLOWANCE = MB


class UploadRefused(WanError):
    """An upload (or a write) the disk guards refused; `status` is the HTTP answer."""

    def __init__(self, status: int, message: Message, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def _mb(n: float) -> str:
    return f"{n / MB:.0f}"


@dataclass(eq=False)
class _Entry:
    at: float
    size: float


@dataclass
class Grant:
    """One upload's share of its visitor's hour: `reserve`d up front, `extend`ed as bytes
    arrive beyond it, `settle`d at the end."""

    quota: UploadQuota
    visitor: str
    entry: _Entry = field(default_factory=lambda: _Entry(time.time(), 0.0))  # shared with the quota

    def extend(self, extra: int, now: float | None = None) -> bool:
        return self.quota._extend(self, extra, time.time() if now is None else now)

    def settle(self, kept: int) -> None:
        self.quota._settle(self, kept)


class UploadQuota:
    """Bytes per visitor per sliding hour; `limit` 0 or None: no quota."""

    def __init__(self, limit: int | None, window: float = HOUR) -> None:
        self.limit = limit or None
        self.window = window
        self._lock = threading.Lock()
        self._entries: dict[str, list[_Entry]] = defaultdict(list)

    def _used(self, visitor: str, now: float) -> tuple[float, float]:
        """Bytes counted in the window, and when the oldest of them leaves it (lock held)."""
        entries = [e for e in self._entries.get(visitor, []) if now - e.at < self.window]
        if not entries:
            self._entries.pop(visitor, None)
            return 0.0, now
        self._entries[visitor] = entries
        return sum(e.size for e in entries), min(e.at for e in entries) + self.window

    def used(self, visitor: str, now: float | None = None) -> int:
        with self._lock:
            return int(self._used(visitor, time.time() if now is None else now)[0])

    def _refusal(self, used: float, size: float, frees_at: float, now: float) -> UploadRefused:
        assert self.limit is not None
        if size > self.limit + BODY_ALLOWANCE:  # it would never fit: waiting does not help
            return UploadRefused(
                429,
                Message(
                    "upload.quota_too_big",
                    size=_mb(size),
                    limit=_mb(self.limit),
                    setting="WAN_VISITOR_UPLOAD_MB_PER_HOUR",
                ),
            )
        wait = max(60.0, frees_at - now)
        return UploadRefused(
            429,
            Message(
                "upload.quota",
                used=_mb(used),
                limit=_mb(self.limit),
                size=_mb(size),
                minutes=f"{wait / 60:.0f}",
                setting="WAN_VISITOR_UPLOAD_MB_PER_HOUR",
            ),
            retry_after=wait,
        )

    def reserve(self, visitor: str, size: int, now: float | None = None) -> Grant:
        """Count `size` bytes (the declared length; 0 when unknown) for `visitor` now, or raise
        UploadRefused (429) when they would pass the quota; nothing is counted then."""
        now = time.time() if now is None else now
        with self._lock:
            entry = _Entry(now, float(size))
            if self.limit is not None:
                used, frees_at = self._used(visitor, now)
                if used + size > self.limit + BODY_ALLOWANCE:
                    raise self._refusal(used, size, frees_at, now)
                self._entries[visitor].append(entry)
            return Grant(self, visitor, entry)

    def _extend(self, grant: Grant, extra: int, now: float) -> bool:
        with self._lock:
            if self.limit is None:
                grant.entry.size += extra
                return True
            used, _ = self._used(grant.visitor, now)
            if not any(e is grant.entry for e in self._entries.get(grant.visitor, [])):
                used += grant.entry.size  # its entry left the window: count it anyway
            if used + extra > self.limit + BODY_ALLOWANCE:
                return False
            grant.entry.size += extra
            return True

    def refusal_for(self, grant: Grant, extra: int, now: float | None = None) -> UploadRefused:
        """The 429 for a grant that could not `extend` by `extra` bytes."""
        now = time.time() if now is None else now
        with self._lock:
            used, frees_at = self._used(grant.visitor, now)
            if any(e is grant.entry for e in self._entries.get(grant.visitor, [])):
                used -= grant.entry.size  # what came before this upload
        return self._refusal(used, grant.entry.size + extra, frees_at, now)

    def _settle(self, grant: Grant, kept: int) -> None:
        with self._lock:
            grant.entry.size = float(kept)
            if kept <= 0:
                entries = self._entries.get(grant.visitor, [])
                self._entries[grant.visitor] = [e for e in entries if e is not grant.entry]


def free_bytes(folder: Path) -> int:
    """Free space on `folder`'s disk (its nearest existing parent's)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def short_of_space(folder: Path, floor: int, incoming: int = 0) -> int | None:
    """The free bytes on `folder`'s disk when writing `incoming` more would leave less than
    `floor` free; None when it fits (or `floor` is 0)."""
    if floor <= 0:
        return None
    free = free_bytes(folder)
    return None if free - incoming >= floor else free


def disk_low_message(free: int, floor: int, message_id: str = "upload.disk_low", **params: str) -> Message:
    """The sentence for a write refused under the floor (it names WAN_MIN_FREE_DISK_MB)."""
    return Message(message_id, free=_mb(free), floor=_mb(floor), setting="WAN_MIN_FREE_DISK_MB", **params)


def low_disk(folder: Path, floor: int, incoming: int = 0) -> UploadRefused | None:
    """The refusal (507) when writing `incoming` more bytes in `folder` would leave less than
    `floor` bytes free; None when it fits (or `floor` is 0)."""
    free = short_of_space(folder, floor, incoming)
    return None if free is None else UploadRefused(507, disk_low_message(free, floor))


def cache_life(settings: Settings) -> tuple[int, int]:
    """Gradio's `delete_cache` (seconds between checks, age of the files removed)."""
    return SPACE_CACHE_LIFE if settings.on_space else CACHE_LIFE


def keep_seconds(settings: Settings, persistent_dir: Path = HF_PERSISTENT_DIR) -> float | None:
    """How long a saved video and its poster are kept; None: forever. WAN_KEEP_DAYS when set
    (0: forever); else `SPACE_KEEP_DAYS` on a Space whose data folder is not on its persistent
    storage, forever elsewhere."""
    days = settings.keep_days
    if days is None:
        if not settings.on_space:
            return None
        data = Path(settings.data_dir).resolve()
        persistent = persistent_dir.is_dir() and (data == persistent_dir or persistent_dir in data.parents)
        if persistent:
            return None
        days = SPACE_KEEP_DAYS
    return None if days == 0 else days * DAY
