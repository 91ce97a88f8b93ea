"""Local disk storage: keys are paths under the data folder, exactly today's layout
(`videos/<token>.mp4` is `<data_dir>/videos/<token>.mp4`); moves are atomic renames."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..fsutil import fsync_dir
from .base import CHUNK, StoredObject, check_key


class LocalStorage:
    remote = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path) -> None:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
        fsync_dir(dest.parent)

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        written = 0
        try:
            with open(part, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, dest)
        finally:
            part.unlink(missing_ok=True)
        fsync_dir(dest.parent)
        return written

    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with open(self.path(key), "rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                block = fh.read(min(CHUNK, left))
                if not block:
                    return
                left -= len(block)
                yield block

    def size(self, key: str) -> int | None:
        path = self.path(key)
        return path.stat().st_size if path.is_file() else None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        for path in sorted(self.root.rglob("*")):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix):
                stat = path.stat()
                yield StoredObject(key, stat.st_size, stat.st_mtime)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)
