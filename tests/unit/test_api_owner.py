"""The API/MCP owner cookie (`wanvideo.web.api_owner`): minted by the server where a client
starts, signed, seen by the same request's handler, kept when valid, replaced when forged."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from wanvideo.identity import Identity
from wanvideo.web.api_owner import API_COOKIE, ApiOwnerMiddleware, mints, owner_in

IDENT = Identity(b"k" * 32, "browser")


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"owner": owner_in(request.cookies, IDENT), "other": request.cookies.get("other")})


def _client() -> TestClient:
    routes = [
        Route(path, _echo, methods=["GET", "POST"]) for path in ("/config", "/gradio_api/queue/join", "/x.js")
    ]
    app = Starlette(routes=routes, middleware=[Middleware(ApiOwnerMiddleware, ident=IDENT)])
    return TestClient(app)


def test_a_new_client_gets_a_signed_owner_its_first_request_already_uses() -> None:
    client = _client()
    first = client.get("/config")
    owner = first.json()["owner"]
    assert owner and owner.startswith("api:") and len(owner) == 36
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{API_COOKIE}={owner}.") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    again = client.post("/gradio_api/queue/join")  # the client sends it back: the same owner
    assert again.json()["owner"] == owner and "set-cookie" not in again.headers


def test_two_clients_are_two_owners_and_a_forged_cookie_is_replaced() -> None:
    a, b = _client(), _client()
    assert a.get("/config").json()["owner"] != b.get("/config").json()["owner"]
    forged = _client()
    forged.cookies.set(API_COOKIE, "api:" + "0" * 32 + ".deadbeef")
    forged.cookies.set("other", "kept")
    answer = forged.get("/config").json()
    assert answer["owner"] and answer["owner"] != "api:" + "0" * 32 and answer["other"] == "kept"
    browser_id = _client()  # a valid token of another kind (a browser's anon id) is no API owner
    browser_id.cookies.set(API_COOKIE, IDENT.token("anon:" + "1" * 32))
    assert browser_id.get("/config").json()["owner"].startswith("api:")


def test_only_where_a_client_starts() -> None:
    plain = _client().get("/x.js")
    assert "set-cookie" not in plain.headers and plain.json()["owner"] is None  # cacheable files: never
    for path in (
        "/config",
        "/gradio_api/queue/join",
        "/gradio_api/call/generate",
        "/gradio_api/mcp/",
        "/gradio_api/mcp/sse",
        "/gradio_api/mcp/messages/",
        "/prefix/config",
    ):
        assert mints(path), path
    for path in ("/", "/gradio_api/file=/tmp/x", "/assets/index.js", "/wan/video/1"):
        assert not mints(path), path
