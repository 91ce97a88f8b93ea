"""Image links: probed from their first bytes through the guarded fetcher, downloaded (within
the size cap) only when they need fixing.

    probe = await probe_image_url(url, allow_private=False, timeout=20)
    path = await download_image(url, folder, allow_private=False, timeout=60)  # to fix it

Like video links (`remote.py`): every hop checked by `wanvideo.netguard`, a hard deadline, the
bytes parsed only in the sandbox (`pictures.read_image_head`). The first `IMAGE_HEAD_BYTES`
hold every format's header (and a JPEG's EXIF orientation); the size comes from the server's
Content-Range or Content-Length.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from pathlib import Path

from ..limits import MAX_IMAGE_SOURCE_BYTES
from ..messages import Message
from ..netguard import FetchError, FetchFailure, GuardedClient, fetch_to_file, read_body
from ..urls import display_name, is_http_url
from .image import HEAD_JOB, IMAGE_PROBE_SECONDS, ImageProbe, check_image
from .remote import REMOTE_SLOTS, USER_AGENT, fetch_problem
from .sandbox import Sandbox, SandboxError, default_sandbox

logger = logging.getLogger(__name__)

IMAGE_HEAD_BYTES = 64 * 1024
_TOTAL = re.compile(r"bytes\s+\d+-\d+/(\d+)", re.IGNORECASE)


async def _head(client: GuardedClient, url: str) -> tuple[bytes, int | None]:
    """The first bytes of `url` and its full size (when the server says)."""
    _, response = await client.get(url, {"Range": f"bytes=0-{IMAGE_HEAD_BYTES - 1}"})
    status = response.status_code
    if status == 206:
        match = _TOTAL.match(response.headers.get("content-range", ""))
        total = int(match.group(1)) if match else None
    elif status == 200:
        length = response.headers.get("content-length", "")
        plain = response.headers.get("content-encoding", "identity") == "identity"
        total = int(length) if length.isdigit() and plain else None
    else:
        await response.aclose()
        raise FetchError(FetchFailure.HTTP_STATUS, Message("fetch.http", status=status), status=status)
    return await read_body(response, IMAGE_HEAD_BYTES), total


async def probe_image_url(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 20.0,
    sandbox: Sandbox | None = None,
) -> ImageProbe:
    """A linked image's header (format, size, alpha, orientation) and its byte size, checked.
    Never raises: a failed fetch is a problem that says nothing about an internal target."""
    name = display_name(url)
    probe = ImageProbe(name=name, source=url, is_remote=True)
    if not is_http_url(url):
        return replace(probe, problems=(Message("links.not_http_url", url=repr(url)),))
    client = GuardedClient(allow_private=allow_private, timeout=timeout, user_agent=USER_AGENT)

    async def run() -> ImageProbe:
        async with REMOTE_SLOTS:
            data, total = await _head(client, url)
        if total is not None and total > MAX_IMAGE_SOURCE_BYTES:
            return check_image(replace(probe, bytes=total))
        try:
            return await (sandbox or default_sandbox()).run(
                HEAD_JOB, data, name, url, total, timeout=IMAGE_PROBE_SECONDS
            )
        except SandboxError as exc:
            return check_image(replace(probe, bytes=total, reader_failure=exc.reason))

    try:
        return await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        late = FetchError(FetchFailure.TIMEOUT, Message("fetch.timeout", seconds=f"{timeout:g}"))
        return replace(probe, problems=(fetch_problem(name, late, timeout),))
    except FetchError as exc:
        return replace(probe, problems=(fetch_problem(name, exc, timeout),))
    except Exception as exc:  # an odd server must not break the page
        logger.exception("unexpected error probing the image %s", name)
        return replace(probe, problems=(Message("links.read_failed", name=name, kind=type(exc).__name__),))
    finally:
        await client.aclose()


async def download_image(
    url: str, folder: Path, *, allow_private: bool = False, timeout: float = 60.0
) -> Path:
    """Download a linked image (at most MAX_IMAGE_SOURCE_BYTES) into `folder`, to fix it.
    Raises FetchError."""
    dest = Path(folder) / "source"
    await fetch_to_file(
        url, dest, max_bytes=MAX_IMAGE_SOURCE_BYTES, timeout=timeout, allow_private=allow_private
    )
    return dest
