"""Durable file writing: the one place that knows about fsync and private file modes.

write_private(path, data)   # 0600, atomic (temp file + rename), fsynced
fsync_dir(folder)           # make a rename inside `folder` durable
make_private(data_dir)      # at start: umask 077 (every later file 0600, folder 0700, in this
                            # process and the media workers it starts) + tighten what exists
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "fsync_dir", "make_private", "write_private"]

PRIVATE_UMASK = 0o077  # files 0600, folders 0700: only the app's user reads what the app writes


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (best effort; not every platform can open a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Write a small private file (mode 0600) atomically: readers see the old or the new bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def make_private(data_dir: Path) -> None:
    """Make what the app writes private to its user: the process umask (inherited by the
    media workers and every thread: videos, posters, prepared clips, downloads, SQLite files,
    folders), and the data folder's existing tree tightened (files 0600, folders 0700; a data
    folder from an older version had 0644 videos in 0755 folders)."""
    os.umask(PRIVATE_UMASK)
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(data_dir):
        for name, mode in [(root, 0o700)] + [(os.path.join(root, f), 0o600) for f in files]:
            with contextlib.suppress(OSError):
                st = os.lstat(name)
                if not os.path.islink(name) and st.st_mode & 0o077:
                    os.chmod(name, mode)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]
