"""The storage contract: where saved videos and their posters live, by key.

A key is a relative, slash-separated name ("videos/<token>.mp4"): the same name on local disk
(under the data folder, today's layout) and in a bucket (under the URL's prefix). Records keep
the key of an object-store video (`TaskRecord.video_key`), never a bucket URL, so the prefix
can move.

    storage.put_file("videos/a.mp4", Path("incoming/a.mp4"))   # the local file is consumed
    storage.put_stream("videos/a.mp4", chunks)                  # bytes as they arrive
    storage.size("videos/a.mp4")                                # None when missing
    for block in storage.open_range("videos/a.mp4", 0, 99): ... # bytes 0..99, inclusive
    storage.delete("videos/a.mp4"); storage.list("videos/")
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..error_base import WanError

CHUNK = 256 * 1024  # bytes read or sent at a time


class StorageError(WanError, OSError):
    """The store refused or could not be reached (an OSError, like a failed disk write)."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: float  # seconds since the epoch


def check_key(key: str) -> str:
    """A key is relative and stays inside its root: no leading slash, no `..`, no empty part."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(Protocol):
    """What the watcher and the video routes need from a store."""

    remote: bool  # True: records keep the key (`video_key`); False: the local path, as before

    def put_file(self, key: str, path: Path) -> None:
        """Store the local file under `key`; the local file is gone afterwards."""
        ...

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the chunks under `key` as they come (never all in memory); bytes written."""
        ...

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes `start`..`end` (inclusive) of the object, in chunks."""
        ...

    def size(self, key: str) -> int | None:
        """The object's size in bytes, None when it does not exist."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """The objects whose key starts with `prefix` (for retention and orphan sweeps)."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The file on this machine, when the store is the local disk (the route serves it
        as before); None for a remote store."""
        ...


COPY_CHUNK = 8 * 1024 * 1024  # bytes read at a time when an object is copied to a local file


def copy_out(storage: Storage, key: str, dest: Path) -> Path:
    """The object `key` copied to the local file `dest` (a part in memory at a time)."""
    size = storage.size(key)
    if size is None:
        raise FileNotFoundError(key)
    with dest.open("wb") as out:
        for start in range(0, size, COPY_CHUNK):
            for chunk in storage.open_range(key, start, min(size, start + COPY_CHUNK) - 1):
                out.write(chunk)
    return dest
