"""The owner of an API or MCP client: a signed cookie the server mints and the client presents.

    app_kwargs = {"middleware": [api_owner_middleware(ident)]}   # gr.Blocks.launch(app_kwargs=...)
    ident.api_owner(request.cookies.get(API_COOKIE))            # "api:<32 hex>" or None

A browser's owner is its signed BrowserState id; a client without one (gradio_client, an MCP
client, plain HTTP) needs an owner the server chooses and the client cannot copy from another.
The session hash is the client's own choice, so it cannot be that owner. This middleware gives
each such client a random `api:<32 hex>` owner in an HttpOnly cookie, signed with the server
secret, on the responses where a client starts (`MINTING_PATHS`) when the request has no valid
one, and adds the same cookie to that request so its handler already sees it:

- gradio_client keeps the cookies of its first request (`GET /config`) and sends them with every
  later request (upload, queue/join, the status stream), so one `Client` is one owner;
- an MCP client that keeps cookies (the `mcp` package's httpx client does) is one owner for its
  session; Gradio's MCP server replays each tool call through one cached gradio_client but with
  the caller's own headers, Cookie included, which httpx sends instead of the cached client's
  cookies. A caller that keeps no cookies gets a new owner for every call (nobody else's).

Only these paths mint: a Set-Cookie on a cacheable static response could be shared by a cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wanvideo.identity import Identity

API_COOKIE = "wan_api"
COOKIE_MAX_AGE = 30 * 24 * 3600  # seconds: a client's tasks stay its own for a month
# Where a client starts or acts: gradio_client's config fetch, the queue, the REST call routes
# and the MCP endpoint (both transports). Matched at the end of the path or as a segment, so a
# root_path prefix does not matter.
_ENDINGS = ("/config", "/gradio_api/queue/join", "/gradio_api/upload")
_SEGMENTS = ("/gradio_api/call/", "/gradio_api/run/", "/gradio_api/mcp")


def mints(path: str) -> bool:
    """True for the paths where a client without an owner cookie is given one."""
    trimmed = path.rstrip("/")
    return trimmed.endswith(_ENDINGS) or any(segment in path for segment in _SEGMENTS)


def cookie_value(headers: Iterable[tuple[bytes, bytes]], name: str = API_COOKIE) -> str | None:
    """The named cookie's value in raw ASGI headers (the last one wins, as in Starlette)."""
    found = None
    for key, value in headers:
        if key.lower() != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            k, sep, v = part.strip().partition("=")
            if sep and k == name:
                found = v
    return found


def _with_cookie(headers: list[tuple[bytes, bytes]], token: str) -> list[tuple[bytes, bytes]]:
    """The request's headers with our cookie replaced by `token` (other cookies kept)."""
    kept: list[str] = []
    rest: list[tuple[bytes, bytes]] = []
    for key, value in headers:
        if key.lower() != b"cookie":
            rest.append((key, value))
            continue
        for part in value.decode("latin-1").split(";"):
            if part.strip() and part.strip().partition("=")[0] != API_COOKIE:
                kept.append(part.strip())
    kept.append(f"{API_COOKIE}={token}")
    return [*rest, (b"cookie", "; ".join(kept).encode("latin-1"))]


def _secure(scope: Scope) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    return any(
        k.lower() == b"x-forwarded-proto" and v.strip() == b"https" for k, v in scope.get("headers", [])
    )


def set_cookie_header(token: str, *, secure: bool) -> bytes:
    cookie: SimpleCookie = SimpleCookie()
    cookie[API_COOKIE] = token
    morsel = cookie[API_COOKIE]
    morsel["path"] = "/"
    morsel["max-age"] = COOKIE_MAX_AGE
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")


class ApiOwnerMiddleware:
    """Pure ASGI (streams pass through untouched): see the module docstring."""

    def __init__(self, app: ASGIApp, ident: Identity) -> None:
        self.app = app
        self.ident = ident

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not mints(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        if self.ident.api_owner(cookie_value(headers)) is not None:
            await self.app(scope, receive, send)
            return
        token = self.ident.new_api_token()
        header = (b"set-cookie", set_cookie_header(token, secure=_secure(scope)))

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app({**scope, "headers": _with_cookie(headers, token)}, receive, send_with_cookie)


def api_owner_middleware(ident: Identity) -> Middleware:
    """The middleware entry for `FastAPI(middleware=[...])` (Gradio's `app_kwargs`)."""
    return Middleware(ApiOwnerMiddleware, ident=ident)


def owner_in(cookies: Any, ident: Identity) -> str | None:
    """The `api:` owner proven by a request's cookies (a dict-like), else None."""
    getter = getattr(cookies, "get", None)
    return ident.api_owner(getter(API_COOKIE)) if callable(getter) else None
