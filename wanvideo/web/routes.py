"""The owner-only routes: `GET /wan/video/<record id>` serves a saved video to its owner, and
`GET /wan/poster/<record id>` its poster frame (the JPEG saved beside it, `media.poster`).

    app_kwargs = {"routes": video_routes(manager.get, ident)}   # gr.Blocks.launch(app_kwargs=...)
    video_path(record.id)                                        # "wan/video/<id>" (relative: root_path safe)
    poster_url(record.id)                                        # "wan/poster/<id>" (cookie only)
    signed_video_path(ident, record.id)                          # ("wan/video/<id>?exp=..&sig=..", expires)

Two ways in:
- the page's cookie `wan_owner` (the owner id signed with the server secret; set by the history
  panel), which the browser sends with the player's and the history cards' requests; checked
  against the task store's owner;
- a signed link (record id, expiry, HMAC) that works for `LINK_TTL` seconds without a cookie:
  what `/generate` hands to API clients, so their download never needs a public copy. It names
  no owner and opens that one record's video (and poster) only, found with `by_link`.
Anybody else gets 404, the same answer as for a record that does not exist. Videos are never in
Gradio's cache or `allowed_paths`, so "Delete local copy" removes the only copy. A video saved
in an object store (`record.video_key`, WAN_STORAGE_URL) is streamed from it with the same
checks, headers and Range answers (`web/ranged.py`); its poster likewise.

The provider's routes (`provider_routes`, only useful when the app has a public address; see
`wanvideo/links.py`):
- `GET /wan/ref/<token>`: a reference the app serves to a provider without an upload API (one
  file per token, Range supported, until the task's creation + `links.REFERENCE_MARGIN`);
- `POST /wan/wake/<token>`: a provider's completion callback; it only wakes the task's watch
  (the body is never read) and answers 204, or 404 for an unknown token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from wanvideo.identity import Identity
from wanvideo.links import REFERENCE_ROUTE, WAKE_ROUTE
from wanvideo.media.poster import poster_path
from wanvideo.storage import Storage
from wanvideo.web.api_owner import api_owner_middleware
from wanvideo.web.ranged import stored_response

log = logging.getLogger("wanvideo.web")

VIDEO_ROUTE = "wan/video"
POSTER_ROUTE = "wan/poster"
COOKIE = "wan_owner"
LINK_TTL = 10 * 60  # seconds a signed link works (the API client downloads at once)


class SavedVideo(Protocol):
    id: str
    created_at: float
    video_path: Path | None

    @property
    def has_video(self) -> bool: ...


Lookup = Callable[[str, str], "SavedVideo | None"]  # (record_id, owner) -> record or None
ByLink = Callable[[str], "SavedVideo | None"]  # record_id -> record (a signed link proved access)


class ProviderLinks(Protocol):
    """What the provider's routes ask the task manager (`TaskManager` implements it)."""

    def served_reference(self, token: str) -> Path | None: ...

    def wake_by_token(self, token: str) -> bool: ...


def video_path(record_id: str) -> str:
    """The route's path for a record, relative to the app's root (what the page uses)."""
    return f"{VIDEO_ROUTE}/{record_id}"


def poster_url(record_id: str) -> str:
    """The poster route's path for a record, relative to the app's root."""
    return f"{POSTER_ROUTE}/{record_id}"


def _resource(record_id: str) -> str:
    return f"video\n{record_id}"


def signed_video_path(
    ident: Identity, record_id: str, *, now: float | None = None, ttl: int = LINK_TTL
) -> tuple[str, int]:
    """A link to the record's video that works without the cookie until the returned expiry
    (record id and expiry signed; no owner in it)."""
    expires = int((time.time() if now is None else now) + ttl)
    query = urlencode({"exp": expires, "sig": ident.sign_link(_resource(record_id), expires)})
    return f"{video_path(record_id)}?{query}", expires


def download_name(record: SavedVideo) -> str:
    stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(record.created_at))
    return f"wan-{stamp}-{record.id[:8]}.mp4"


def linked(request: Request, ident: Identity, now: float | None = None) -> bool:
    """True when the request carries a valid, unexpired signed link for its record."""
    q = request.query_params
    return "sig" in q and ident.verify_link(
        _resource(request.path_params["record_id"]), q.get("exp"), q.get("sig"), now
    )


def requester(request: Request, ident: Identity) -> str | None:
    """The owner the request's signed cookie proves, else None."""
    return ident.owner_from_token(unquote(request.cookies.get(COOKIE) or ""))


def video_routes(
    lookup: Lookup, ident: Identity, by_link: ByLink | None = None, storage: Storage | None = None
) -> list[Route]:
    """Starlette routes to add to Gradio's app (see the module docstring); without `by_link`
    signed links open nothing; without a remote `storage` only local files are served."""

    def saved(request: Request) -> SavedVideo | None:
        record_id = request.path_params["record_id"]
        if by_link is not None and linked(request, ident):
            record = by_link(record_id)
        else:
            owner = requester(request, ident)
            record = lookup(record_id, owner) if owner else None
        if record is None or not record.has_video:
            return None
        if record.video_path is None and (_key(record) is None or storage is None):
            return None
        return record

    async def video(request: Request) -> Response:
        record = saved(request)
        if record is not None and _key(record) is not None and storage is not None:
            filename = download_name(record) if request.query_params.get("download") else None
            return await stored_response(
                request,
                storage,
                _key(record),
                "video/mp4",
                _HEADERS,
                filename=filename,
                missing=_not_found(),
            )
        if record is None or record.video_path is None:
            return _not_found()
        if request.query_params.get("download"):
            return FileResponse(
                record.video_path, media_type="video/mp4", filename=download_name(record), headers=_HEADERS
            )
        return FileResponse(
            record.video_path, media_type="video/mp4", headers=_HEADERS, content_disposition_type="inline"
        )

    async def poster(request: Request) -> Response:
        record = saved(request)
        if record is not None and _key(record) is not None and storage is not None:
            key = str(poster_path(Path(_key(record))))
            return await stored_response(request, storage, key, "image/jpeg", _HEADERS, missing=_not_found())
        image = poster_path(record.video_path) if record is not None and record.video_path else None
        if image is None or not image.is_file():
            return _not_found()
        return FileResponse(image, media_type="image/jpeg", headers=_HEADERS)

    return [
        Route(f"/{VIDEO_ROUTE}/{{record_id}}", video, methods=["GET", "HEAD"]),
        Route(f"/{POSTER_ROUTE}/{{record_id}}", poster, methods=["GET", "HEAD"]),
    ]


_HEADERS = {
    "Cache-Control": "private, max-age=600",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _key(record: SavedVideo) -> str | None:
    """The record's object-store key (`TaskRecord.video_key`); None: a local file, or a
    record type without one."""
    return getattr(record, "video_key", None)


def _not_found() -> Response:
    """The one answer for a stranger, a missing record and a missing file alike."""
    return PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})


_MEDIA_TYPES = {".mov": "video/quicktime", ".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm"}


def provider_routes(links: ProviderLinks) -> list[Route]:
    """The routes a provider calls (see the module docstring)."""

    async def reference(request: Request) -> Response:
        path = links.served_reference(request.path_params["token"])
        if path is None:
            return _not_found()
        media_type = _MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
        # FileResponse answers Range requests (206 / 416): the provider may seek.
        return FileResponse(
            path,
            media_type=media_type,
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    async def wake(request: Request) -> Response:
        # The body is never read nor trusted: the watch polls the provider with the key.
        known = links.wake_by_token(request.path_params["token"])
        if not known:
            return _not_found()
        log.debug("wake-up call (%s bytes, not read)", request.headers.get("content-length", "?"))
        return Response(status_code=204, headers={"Cache-Control": "no-store"})

    return [
        Route(f"/{REFERENCE_ROUTE}/{{token}}", reference, methods=["GET", "HEAD"]),
        Route(f"/{WAKE_ROUTE}/{{token}}", wake, methods=["POST"]),
    ]


def route_kwargs(
    lookup: Lookup,
    ident: Identity,
    links: ProviderLinks | None = None,
    by_link: ByLink | None = None,
    storage: Storage | None = None,
) -> dict[str, Any]:
    """What `launch()` needs: `{"app_kwargs": {"routes": [...], "middleware": [...]}}` (with
    `links`, the provider's routes too; the middleware gives API/MCP clients their owner;
    `storage`: where videos saved in an object store are read)."""
    routes = video_routes(lookup, ident, by_link, storage) + (
        provider_routes(links) if links is not None else []
    )
    return {"app_kwargs": {"routes": routes, "middleware": [api_owner_middleware(ident)]}}
