"""Where saved videos and posters live: the local data folder (default) or an S3-compatible
bucket (`WAN_STORAGE_URL=s3://bucket/prefix`).

    storage = open_storage(settings.storage_url, settings.data_dir)

`base.py` the contract (`Storage`, keys, `StoredObject`), `local.py` the data folder as today,
`s3.py` boto3 with multipart uploads and ranged reads.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .base import Storage, StorageError, StoredObject, check_key, copy_out
from .local import LocalStorage

__all__ = [
    "LocalStorage",
    "Storage",
    "StorageError",
    "StoredObject",
    "check_key",
    "copy_out",
    "open_storage",
    "parse_storage_url",
]


def parse_storage_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix); ValueError saying what to write."""
    parts = urlsplit(url.strip())
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("must look like s3://bucket or s3://bucket/prefix (empty: the local data folder)")
    prefix = parts.path.strip("/")
    if prefix:
        check_key(prefix)
    return parts.netloc, prefix


def open_storage(url: str | None, data_dir: Path) -> Storage:
    """The store the URL names; empty or None: the local data folder, as before."""
    if not url:
        return LocalStorage(data_dir)
    from .s3 import S3Storage

    bucket, prefix = parse_storage_url(url)
    return S3Storage(bucket, prefix)
