"""Owner and visitor read from a real gr.Request (no server): the signed-in user wins, then the
Space proxy's X-Forwarded-For entry on a Space, else the socket peer."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest
from starlette.requests import Request

from components.context import AppContext
from components.identity import owner_of, resolve_owner, visitor_of
from wanvideo.identity import Identity
from wanvideo.settings import load_settings
from wanvideo.web.api_owner import API_COOKIE


def _request(
    peer: str, forwarded: str | None = None, username: str | None = None, cookie: str | None = None
) -> gr.Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 5555)}
    return gr.Request(request=Request(scope), username=username, session_hash="sess1")


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    settings = load_settings({"WAN_DATA_DIR": str(tmp_path)})
    return AppContext(
        settings=settings,
        profile=None,
        manager=None,
        identity=Identity.for_settings(settings),
        clips=None,
        choice=None,
        service=None,
    )  # type: ignore[arg-type]


def test_visitor_off_a_space_is_the_socket_peer(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert visitor_of(ctx, _request("203.0.113.7", "8.8.8.8")) == "ip:203.0.113.7"  # the header is ignored
    assert visitor_of(ctx, _request("203.0.113.7", username="alice")) == "hf:alice"


def test_visitor_on_a_space_is_the_proxys_entry(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPACE_ID", "someone/studio")
    assert visitor_of(ctx, _request("10.16.3.80", "1.2.3.4, 8.8.8.8")) == "ip:8.8.8.8"
    assert visitor_of(ctx, _request("10.16.3.80", "9.9.9.9, 8.8.8.8")) == visitor_of(
        ctx, _request("10.16.3.81", "7.7.7.7, 8.8.8.8")
    )  # a spoofed left entry or another proxy node: the same visitor


def test_owner_is_the_user_else_the_verified_browser_id_else_the_api_cookie(ctx: AppContext) -> None:
    value = ctx.identity.new_value()
    assert owner_of(ctx, value, _request("1.1.1.1", username="alice")) == "hf:alice"
    assert owner_of(ctx, value, _request("1.1.1.1")) == value["id"]
    assert resolve_owner(ctx, {**value, "id": "anon:" + "0" * 32}, _request("1.1.1.1")) is None
    token = ctx.identity.new_api_token()
    api = owner_of(ctx, None, _request("1.1.1.1", cookie=f"{API_COOKIE}={token}"))
    assert api == token.rpartition(".")[0] and api.startswith("api:")
    assert owner_of(ctx, value, _request("1.1.1.1", cookie=f"{API_COOKIE}={token}")) == value["id"]  # browser


def test_the_session_hash_never_names_an_owner(ctx: AppContext) -> None:
    """The client picks its session hash: without a valid cookie each call is a new owner
    (it used to be `session:<hash>`, which another client could copy)."""
    first, second = owner_of(ctx, None, _request("1.1.1.1")), owner_of(ctx, None, _request("1.1.1.1"))
    assert first != second and first.startswith("api:") and "sess1" not in first
    forged = f"{API_COOKIE}=api:{'0' * 32}.{'0' * 64}"
    assert owner_of(ctx, None, _request("1.1.1.1", cookie=forged)) != f"api:{'0' * 32}"
