"""Who owns a task: a stable anonymous identity per browser, or the signed-in HF user.

    owner_state = identity.render(ctx)          # gr.BrowserState; pass it as an event input
    identity.listen(ctx=ctx, owner=owner_state, demo=demo)   # mints an id on first visit
    ...
    def handler(..., owner_value, request: gr.Request):
        owner = identity.resolve_owner(owner_value, request)   # "hf:<user>" | "anon:<hex>" | None

The browser keeps `{"id": "anon:<32 hex>", "sig": <HMAC>}` in encrypted localStorage
(gr.BrowserState). Gradio's BrowserState encrypts in the browser with a secret sent to the
page, so it cannot be trusted by itself: every value is signed here with a server-only key
derived from `settings.session_secret` (or a random secret created once and kept in the data
folder, mode 0600), and `resolve_owner` ignores anything whose signature does not match. A
visitor therefore cannot claim another visitor's id or an `hf:` name. On a Space with
Hugging Face sign-in, the signed-in user (`request.username`) is the owner instead, so the
same history follows them across browsers.

`owner_token(owner)` / `owner_from_token(token)` sign an owner for the video route's cookie
(see `components.history.routes`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any

import gradio as gr

STORAGE_KEY = "wan-studio-identity"
SECRET_FILE = "session_secret"
_ANON = re.compile(r"^anon:[0-9a-f]{32}$")
_HF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")

_lock = threading.Lock()
_secrets: dict[str, bytes] = {}  # data folder -> secret (app-level, not per user)


def load_secret(settings: Any) -> bytes:
    """The server's identity secret: WAN_SESSION_SECRET, else one random secret created
    once in the data folder (outside the served videos folder) so restarts keep it."""
    configured = getattr(settings, "session_secret", None)
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode()
    data_dir = Path(settings.data_dir)
    cache_key = str(data_dir.resolve())
    with _lock:
        if cache_key in _secrets:
            return _secrets[cache_key]
        path = data_dir / SECRET_FILE
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            value = path.read_bytes().strip()
        else:  # first start: we created it (O_EXCL: two workers cannot both win)
            value = secrets.token_hex(32).encode()
            try:
                os.write(fd, value)
                os.fsync(fd)
            finally:
                os.close(fd)
        if len(value) < 32:
            raise RuntimeError(f"{path} is empty or too short; delete it and restart to create a new one")
        _secrets[cache_key] = value
        return value


def _key(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


class Identity:
    """Signs and checks owner ids with one server secret (one instance per app)."""

    def __init__(self, secret: bytes) -> None:
        self._sign_key = _key(secret, "wan-owner-signature-v1")
        # Sent to the page by gr.BrowserState: never the signing key itself.
        self.browser_secret = _key(secret, "wan-browser-state-v1").hex()[:32]

    def sign(self, owner: str) -> str:
        return hmac.new(self._sign_key, owner.encode(), hashlib.sha256).hexdigest()

    def verify(self, owner: str, signature: str) -> bool:
        return bool(owner) and isinstance(signature, str) and hmac.compare_digest(self.sign(owner), signature)

    def new_value(self) -> dict[str, str]:
        owner = "anon:" + secrets.token_hex(16)
        return {"id": owner, "sig": self.sign(owner)}

    def anonymous_owner(self, value: Any) -> str | None:
        """The anon id in a BrowserState value, when its signature is right."""
        if not isinstance(value, dict):
            return None
        owner, signature = value.get("id"), value.get("sig")
        if not isinstance(owner, str) or not _ANON.match(owner):
            return None
        return owner if self.verify(owner, str(signature or "")) else None

    def token(self, owner: str) -> str:
        """A cookie value proving `owner` (for the video route)."""
        return f"{owner}.{self.sign(owner)}"

    def owner_from_token(self, token: str | None) -> str | None:
        if not token or "." not in token:
            return None
        owner, _, signature = token.rpartition(".")
        return owner if self.verify(owner, signature) else None


_identities: dict[bytes, Identity] = {}


def for_settings(settings: Any) -> Identity:
    secret = load_secret(settings)
    with _lock:
        if secret not in _identities:
            _identities[secret] = Identity(secret)
        return _identities[secret]


def signed_in_user(request: gr.Request | None, profile: Any = None) -> str | None:
    """The Hugging Face user signed in on a Space (gr.OAuthProfile or request.username)."""
    name = None
    if profile is not None:
        name = getattr(profile, "username", None) or getattr(profile, "preferred_username", None)
    if not name and request is not None:
        name = getattr(request, "username", None)
    if isinstance(name, str) and _HF_NAME.match(name):
        return name
    return None


def resolve_owner(ident: Identity, value: Any, request: gr.Request | None, profile: Any = None) -> str | None:
    """The owner of this call: `hf:<user>` when signed in, else the browser's verified anon
    id, else None (no history; the caller decides, e.g. a per-session id for API clients)."""
    user = signed_in_user(request, profile)
    if user:
        return f"hf:{user}"
    return ident.anonymous_owner(value)


def owner_for(ctx: Any, value: Any, request: gr.Request | None, profile: Any = None) -> str | None:
    """`resolve_owner` with the app's identity: what a handler calls with the BrowserState value."""
    return resolve_owner(for_settings(ctx.settings), value, request, profile)


# ------------------------------------------------------------------------------ UI


def render(ctx: Any) -> gr.BrowserState:
    """The per-browser identity holder; pass it as an input to any handler that needs the owner."""
    ident = for_settings(ctx.settings)
    return gr.BrowserState(None, storage_key=STORAGE_KEY, secret=ident.browser_secret)


def listen(ctx: Any, owner: gr.BrowserState, demo: gr.Blocks) -> None:
    """On every page load: keep a valid identity, mint one for a new browser."""
    ident = for_settings(ctx.settings)

    def ensure(value: Any) -> Any:
        if ident.anonymous_owner(value) is not None:
            return gr.skip()
        return ident.new_value()

    demo.load(ensure, inputs=[owner], outputs=[owner], api_visibility="private", show_progress="hidden")
