"""S3-compatible storage (AWS S3, R2, MinIO) through boto3.

    S3Storage("bucket", "prefix")    # credentials, endpoint and region from the AWS variables

boto3 reads AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself; AWS_REGION is
passed on when AWS_DEFAULT_REGION (botocore's own name) is unset. Uploads are multipart in
`part_size` parts read one at a time, so at most one part of a video is in memory; reads are
ranged GETs streamed in chunks.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .base import CHUNK, StorageError, StoredObject, check_key

PART_SIZE = 8 * 1024 * 1024  # bytes per uploaded part (S3's floor is 5 MiB except the last)


def make_client() -> Any:
    """A boto3 S3 client from the standard AWS variables (path-style on a custom endpoint,
    which MinIO and most S3-compatible servers expect)."""
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or None
    style = "path" if os.environ.get("AWS_ENDPOINT_URL") else "auto"
    config = Config(s3={"addressing_style": style}, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("s3", region_name=region, config=config)


class S3Storage:
    remote = True

    def __init__(
        self, bucket: str, prefix: str = "", *, client: Any = None, part_size: int = PART_SIZE
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client if client is not None else make_client()
        self.part_size = part_size

    def __repr__(self) -> str:
        return f"S3Storage(s3://{self.bucket}/{self.prefix})"

    def name(self, key: str) -> str:
        """The object's name in the bucket."""
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    # writes ------------------------------------------------------------------------
    def put_file(self, key: str, path: Path) -> None:
        with open(path, "rb") as fh:
            size = min(CHUNK, self.part_size)
            self.put_stream(key, iter(lambda: fh.read(size), b""))
        Path(path).unlink(missing_ok=True)

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        """One PUT for a small object; else a multipart upload of parts of at least
        `part_size` (the chunks joined once), one part in memory at a time; aborted on any
        error, so no half object and no stray parts stay behind."""
        name = self.name(key)
        pending: list[bytes] = []  # at most one part (and a chunk) waiting
        waiting = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        total = 0
        try:
            for chunk in chunks:
                pending.append(chunk)
                waiting += len(chunk)
                total += len(chunk)
                if waiting >= self.part_size:
                    if upload_id is None:
                        started = self._call("create_multipart_upload", Bucket=self.bucket, Key=name)
                        upload_id = started["UploadId"]
                    body = b"".join(pending)
                    pending.clear()
                    waiting = 0
                    parts.append(self._part(name, upload_id, len(parts) + 1, body))
                    del body
            if upload_id is None:
                self._call("put_object", Bucket=self.bucket, Key=name, Body=b"".join(pending))
                return total
            if pending:
                parts.append(self._part(name, upload_id, len(parts) + 1, b"".join(pending)))
            self._call(
                "complete_multipart_upload",
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
            return total
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            raise

    def _part(self, name: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        answer = self._call(
            "upload_part", Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def delete(self, key: str) -> None:
        self._call("delete_object", Bucket=self.bucket, Key=self.name(key))

    # reads -------------------------------------------------------------------------
    def open_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        answer = self._call(
            "get_object", Bucket=self.bucket, Key=self.name(key), Range=f"bytes={start}-{end}"
        )
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self.name(key))["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError(f"storage: {exc}") from None

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        if prefix.startswith("/") or ".." in prefix.split("/"):
            raise ValueError(f"invalid storage prefix {prefix!r}")
        root = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=root + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield StoredObject(
                    item["Key"][len(root) :], int(item["Size"]), item["LastModified"].timestamp()
                )

    def local_path(self, key: str) -> Path | None:
        return None

    def _call(self, method: str, **kwargs: Any) -> Any:
        """A client call whose failure is a StorageError (an OSError: callers retry it as a
        failed disk write), never a secret: botocore's messages name no credentials."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"storage {method}: {exc}") from None
