"""A stored object as an HTTP answer with Range, the way Starlette's FileResponse answers for
a local file: `200` whole, `206` + `Content-Range` for one range, `416` + `bytes */size` for
a range that cannot be served. Bytes are streamed from the store in chunks.

    return await stored_response(request, storage, "videos/a.mp4", "video/mp4", headers)
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from wanvideo.storage import Storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """The one range `header` asks for, as inclusive (start, end) clipped to `size`; None
    for no (or an unsupported multi-) range: the whole body; False: not satisfiable (416)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None if "," in header else False
    first, last = match.groups()
    if not first and not last:
        return False
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return False
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return False
    return start, end


def disposition(filename: str | None) -> str:
    if filename is None:
        return "inline"
    return f"attachment; filename*=utf-8''{quote(filename)}"


async def stored_response(
    request: Request,
    storage: Storage,
    key: str,
    media_type: str,
    headers: Mapping[str, str],
    *,
    filename: str | None = None,
    missing: Response,
) -> Response:
    """The object under `key` (ranged, streamed), or `missing` when it is not there."""
    size = await run_in_threadpool(storage.size, key)
    if size is None:
        return missing
    common = {**headers, "Accept-Ranges": "bytes", "Content-Disposition": disposition(filename)}
    wanted = byte_range(request.headers.get("range"), size)
    if wanted is False:
        return Response(status_code=416, headers={**common, "Content-Range": f"bytes */{size}"})
    start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
    status = 206 if isinstance(wanted, tuple) else 200
    common["Content-Length"] = str(end - start + 1)
    if status == 206:
        common["Content-Range"] = f"bytes {start}-{end}/{size}"
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=common, media_type=media_type)
    body = _chunks(storage.open_range(key, start, end))
    return StreamingResponse(body, status_code=status, headers=common, media_type=media_type)


async def _chunks(blocks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The store's blocks read in the thread pool; closed (the bucket's connection given back)
    when the client goes away mid-body too."""
    try:
        async for block in iterate_in_threadpool(blocks):
            yield block
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            with contextlib.suppress(ValueError):  # still running in its thread: it ends there
                await run_in_threadpool(close)
