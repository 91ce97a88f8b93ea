"""The disk guards in front of Gradio's own upload routes (`/gradio_api/upload` and every other
multipart POST): a per-visitor hourly quota and a free-disk floor (`wanvideo.disk`).

    launch(app_kwargs={"middleware": [upload_middleware(ctx)]})

An ASGI middleware, so it acts before Gradio writes a byte: the declared Content-Length is
checked (and reserved) up front; the bytes are counted as they stream (a client may lie or send
chunks), and past the reservation the quota is extended chunk by chunk. When a chunk does not
fit, the body is cut off with Gradio's own `MultiPartException` (Gradio then deletes the part
files it wrote) and the answer is replaced by ours: 429 (quota) or 507 (disk), the message in
the visitor's language naming the setting, and nothing kept. A refused or failed upload counts
nothing against the hour; a kept one counts its real size.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from gradio.route_utils import MultiPartException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from wanvideo.disk import MB, UploadQuota, UploadRefused, low_disk
from wanvideo.identity import Networks, visitor_id
from wanvideo.messages import negotiate, render

from . import identity
from .context import AppContext

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DISK_CHECK_EVERY = 32 * MB  # bytes between two looks at the free space while a body streams


class _Refused(MultiPartException):
    """Cuts an upload off inside Gradio's parser (which then removes its part files)."""

    def __init__(self, refusal: UploadRefused) -> None:
        super().__init__(str(refusal.message))
        self.refusal = refusal


async def _user(scope: Scope) -> str | None:
    """The signed-in user the way Gradio's `get_current_user` finds it (its auth dependency,
    else its login cookie); None when nobody is signed in."""
    app = scope.get("app")
    request = Request(scope)
    try:
        dependency = getattr(app, "auth_dependency", None)
        if dependency is not None:
            user = dependency(request)
            return await user if inspect.isawaitable(user) else user
        cookie_id = getattr(app, "cookie_id", "")
        token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
            f"access-token-unsecure-{cookie_id}"
        )
        return getattr(app, "tokens", {}).get(token) if token else None
    except Exception:
        return None


async def visitor_of_scope(scope: Scope, trusted: Networks = ()) -> str:
    """`identity.visitor_of` for a raw request: the signed-in user, else the client address
    (`trusted`: the owner's load balancers, WAN_TRUSTED_PROXIES)."""
    client = scope.get("client")
    headers = Request(scope).headers
    return visitor_id(
        user=await _user(scope),
        peer=client[0] if client else None,
        forwarded_for=headers.get("x-forwarded-for"),
        on_space=identity.on_space(),
        trusted=trusted,
    )


class UploadGuard:
    """ASGI middleware: the quota and the disk floor for every multipart POST."""

    def __init__(
        self,
        app: Callable[[Scope, Receive, Send], Awaitable[None]],
        *,
        quota: UploadQuota,
        floor_bytes: int,
        folders: Callable[[Scope], list[Path]],
        trusted: Networks = (),
    ) -> None:
        self.app = app
        self.trusted = trusted
        self.quota = quota
        self.floor = floor_bytes
        self.folders = folders

    def _low_disk(self, scope: Scope, incoming: int) -> UploadRefused | None:
        for folder in self.folders(scope):
            refusal = low_disk(folder, self.floor, incoming)
            if refusal is not None:
                return refusal
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        headers = Request(scope).headers
        if not headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        lang = negotiate(headers.get("accept-language"))
        try:
            declared = max(0, int(headers.get("content-length", "0")))
        except ValueError:
            declared = 0
        visitor = await visitor_of_scope(scope, self.trusted)
        try:
            refusal = self._low_disk(scope, declared)
            if refusal is not None:
                raise refusal
            grant = self.quota.reserve(visitor, declared)
        except UploadRefused as refused:
            await self._answer(send, refused, lang)
            return

        counted = 0
        next_disk_check = DISK_CHECK_EVERY
        refusal_box: list[UploadRefused] = []
        status_box: list[int] = []

        async def counted_receive() -> Message:
            nonlocal counted, next_disk_check
            message = await receive()
            if message["type"] != "http.request":
                return message
            size = len(message.get("body", b""))
            counted += size
            if counted > grant.entry.size and not grant.extend(counted - int(grant.entry.size)):
                refusal_box.append(self.quota.refusal_for(grant, counted - int(grant.entry.size)))
                raise _Refused(refusal_box[-1])
            if counted >= next_disk_check:
                next_disk_check = counted + DISK_CHECK_EVERY
                low = self._low_disk(scope, max(0, declared - counted))
                if low is not None:
                    refusal_box.append(low)
                    raise _Refused(low)
            return message

        async def guarded_send(message: Message) -> None:
            if refusal_box:
                return  # Gradio's answer to the cut-off body: ours replaces it
            if message["type"] == "http.response.start":
                status_box.append(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _Refused:
            pass
        finally:
            kept = counted if status_box and status_box[0] < 400 and not refusal_box else 0
            grant.settle(kept)
        if refusal_box and not status_box:
            await self._answer(send, refusal_box[0], lang)

    async def _answer(self, send: Send, refusal: UploadRefused, lang: str) -> None:
        headers = {"Connection": "close"}
        if refusal.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(refusal.retry_after))
        response = PlainTextResponse(
            render(refusal.message, lang), status_code=refusal.status, headers=headers
        )
        await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def upload_middleware(ctx: AppContext) -> Middleware:
    """The guard for `launch(app_kwargs={"middleware": [...]})`: the quota and floor from the
    settings; the free space looked at on Gradio's cache folder (where uploads land) and the
    data folder."""
    settings = ctx.settings

    def folders(scope: Scope) -> list[Path]:
        cache = getattr(scope.get("app"), "uploaded_file_dir", None)
        return [Path(cache)] * (cache is not None) + [Path(settings.data_dir)]

    return Middleware(
        UploadGuard,
        quota=UploadQuota(settings.visitor_upload_mb_per_hour * MB),
        floor_bytes=settings.min_free_disk_mb * MB,
        folders=folders,
        trusted=settings.trusted_networks,
    )


__all__ = ["UploadGuard", "upload_middleware", "visitor_of_scope"]
