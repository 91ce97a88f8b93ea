"""Who owns a task and who spends: the UI side of `wanvideo.identity`.

    owner_state = identity.render(ctx)                         # gr.BrowserState (event input)
    identity.listen(ctx=ctx, owner=owner_state, demo=demo)     # mints an id on first visit
    ...
    def handler(..., owner_value, request: gr.Request):
        owner = identity.owner_of(ctx, owner_value, request)   # "hf:<user>" | "anon:<hex>" | "api:<hex>"
        visitor = identity.visitor_of(ctx, request)            # "hf:<user>" | "ip:<address>"

The browser keeps `{"id": "anon:<32 hex>", "sig": <HMAC>}` in gr.BrowserState. An API or MCP
client has no BrowserState: its owner is the `api:<32 hex>` id the server minted into its signed
`wan_api` cookie (`wanvideo.web.api_owner`), never the session hash (the client picks that).
The signing is in the domain (`wanvideo.identity.Identity`); this module only reads gradio's
request: the signed-in Hugging Face user (`request.username`), cookies, the socket peer and
X-Forwarded-For.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import gradio as gr

from wanvideo.identity import API_PREFIX, user_owner, visitor_id
from wanvideo.web.api_owner import owner_in

from .context import AppContext

STORAGE_KEY = "wan-studio-identity"


def signed_in_user(request: gr.Request | None, profile: Any = None) -> str | None:
    """The Hugging Face user signed in on a Space (gr.OAuthProfile or request.username)."""
    name = None
    if profile is not None:
        name = getattr(profile, "username", None) or getattr(profile, "preferred_username", None)
    if not name and request is not None:
        name = getattr(request, "username", None)
    return name if user_owner(name) else None


def resolve_owner(ctx: AppContext, value: Any, request: gr.Request | None, profile: Any = None) -> str | None:
    """`hf:<user>` when signed in, else the browser's verified anon id, else None."""
    return user_owner(signed_in_user(request, profile)) or ctx.identity.anonymous_owner(value)


def owner_of(ctx: AppContext, value: Any, request: gr.Request | None) -> str:
    """The owner of a task: `resolve_owner`, else (an API or MCP client) the owner its signed
    cookie proves, else a new owner nobody can claim (a client that keeps no cookies)."""
    who = resolve_owner(ctx, value, request)
    if who:
        return who
    cookies = getattr(request, "cookies", None) if request is not None else None
    return owner_in(cookies, ctx.identity) or API_PREFIX + secrets.token_hex(16)


def on_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def visitor_of(ctx: AppContext, request: gr.Request | None) -> str:
    """Who spends on the server's key: the signed-in user, else the client address (the
    Space proxy's X-Forwarded-For entry on a Space, the socket peer elsewhere)."""
    headers = getattr(request, "headers", None) or {}
    client = getattr(request, "client", None)
    return visitor_id(
        user=signed_in_user(request),
        peer=getattr(client, "host", None),
        forwarded_for=headers.get("x-forwarded-for") if hasattr(headers, "get") else None,
        on_space=on_space(),
        trusted=ctx.settings.trusted_networks,
    )


def render(ctx: AppContext) -> gr.BrowserState:
    """The per-browser identity holder; pass it as an input to any handler that needs the owner."""
    return gr.BrowserState(None, storage_key=STORAGE_KEY, secret=ctx.identity.browser_secret)


def listen(ctx: AppContext, owner: gr.BrowserState, demo: gr.Blocks) -> None:
    """On every page load: keep a valid identity, mint one for a new browser."""

    def ensure(value: Any) -> Any:
        if ctx.identity.anonymous_owner(value) is not None:
            return gr.skip()
        return ctx.identity.new_value()

    demo.load(ensure, inputs=[owner], outputs=[owner], api_visibility="private", show_progress="hidden")
