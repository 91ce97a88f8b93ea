"""Who is asking: signed owner ids, short-lived signed links, and the visitor behind a request.

    ident = Identity.for_settings(settings)
    value = ident.new_value()                 # {"id": "anon:<32 hex>", "sig": ...} for the browser
    ident.anonymous_owner(value)              # "anon:<hex>" when the signature is right, else None
    cookie = ident.new_api_token()            # "api:<32 hex>.<sig>": an API/MCP client's owner cookie
    ident.api_owner(cookie)                   # "api:<hex>" when the signature is right, else None
    token = ident.token(owner)                # the owner cookie of the video route
    ident.owner_from_token(token)             # owner, or None
    sig = ident.sign_link("video\n<id>", expires)         # a link that works for minutes (no owner in it)
    ident.verify_link("video:<id>", expires, sig, now)
    visitor_id(user=None, peer="1.2.3.4", forwarded_for=None, on_space=False)  # "ip:1.2.3.4"

The server secret is `WAN_SESSION_SECRET` (at least `MIN_SECRET_BYTES`; the settings refuse a
shorter one) or a random secret created once in the data folder (mode 0600), or in the
database when replicas share PostgreSQL (`for_settings(settings, shared=store.shared_secret)`,
the first replica's wins, so replicas with their own folders agree). Several workers
starting at once agree on one file: each stages a complete private file and publishes it with a
hard link, which fails when the name exists; losers read the winner's complete file.

Nothing the page receives is computed from the secret in a way that helps guessing it offline:
every signing key is derived through scrypt (each guess costs tens of milliseconds and 16 MB),
and `browser_secret` (sent to the page by gr.BrowserState, which encrypts in the browser) is
an independent random value kept beside the secret. No gradio import here: the UI passes plain
values (the signed-in user name, the socket peer, the X-Forwarded-For header).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .fsutil import fsync_dir, write_private

MIN_SECRET_BYTES = 32
SECRET_FILE = "session_secret"
BROWSER_SECRET_FILE = "browser_state_secret"
ANON_PREFIX = "anon:"
USER_PREFIX = "hf:"
API_PREFIX = "api:"  # an API or MCP client's owner, minted by the server (`new_api_token`)
ADDRESS_PREFIX = "ip:"
_ANON = re.compile(r"^anon:[0-9a-f]{32}$")
_API = re.compile(r"^api:[0-9a-f]{32}$")
_HF_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # about 16 MB and tens of ms per guess
# A store's `shared_secret(name, make)`: the secret every replica shares, or None.
SharedSecrets = Callable[[str, Callable[[], bytes]], "bytes | None"]
_PUBLISH_WAIT = 5.0  # seconds a loser waits for the winner's file (no-hard-link fallback only)


def read_or_create_secret(
    path: Path, make: Callable[[], bytes] = lambda: secrets.token_hex(32).encode()
) -> bytes:
    """The secret in `path`, created once (0600) when missing; safe when workers race."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    write_private(staged, make())
    try:
        os.link(staged, path)  # atomic create-if-absent of a file that is already complete
        fsync_dir(path.parent)
    except FileExistsError:
        pass  # another worker won: use its secret
    except OSError:  # no hard links on this file system: exclusive create, then write
        _create_exclusive(path, staged.read_bytes())
    finally:
        staged.unlink(missing_ok=True)
    return _read_secret(path)


def _create_exclusive(path: Path, value: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.write(fd, value)
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_secret(path: Path) -> bytes:
    """Read a secret file; a file still being written (fallback path only) is waited for."""
    deadline = time.monotonic() + _PUBLISH_WAIT
    while True:
        value = path.read_bytes().strip()
        if len(value) >= MIN_SECRET_BYTES:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} is empty or too short; delete it and restart to create a new one")
        time.sleep(0.05)


class Identity:
    """Signs and checks owner ids and links with one server secret (one instance per app)."""

    def __init__(self, secret: bytes, browser_secret: str) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the identity secret needs at least {MIN_SECRET_BYTES} bytes")
        root = hashlib.scrypt(secret, salt=b"wan-studio-identity-v2", **_SCRYPT)  # type: ignore[arg-type]
        self._owner_key = hmac.new(root, b"owner-signature-v2", hashlib.sha256).digest()
        self._link_key = hmac.new(root, b"signed-link-v1", hashlib.sha256).digest()
        # Keys the owner's console's visitor pseudonyms (`wanvideo/console/pseudonym.py`).
        self.pseudonym_key = hmac.new(root, b"visitor-pseudonym-v1", hashlib.sha256).digest()
        # Sent to the page by gr.BrowserState: random, independent of the secret.
        self.browser_secret = browser_secret

    # ---------------------------------------------------------------- owners

    def sign(self, owner: str) -> str:
        return hmac.new(self._owner_key, owner.encode(), hashlib.sha256).hexdigest()

    def verify(self, owner: str, signature: str) -> bool:
        return bool(owner) and isinstance(signature, str) and hmac.compare_digest(self.sign(owner), signature)

    def new_value(self) -> dict[str, str]:
        owner = ANON_PREFIX + secrets.token_hex(16)
        return {"id": owner, "sig": self.sign(owner)}

    def anonymous_owner(self, value: Any) -> str | None:
        """The anon id in a browser-held value, when its signature is right."""
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

    def new_api_token(self) -> str:
        """A new API/MCP owner as a signed token (the server chooses it, the cookie proves it)."""
        return self.token(API_PREFIX + secrets.token_hex(16))

    def api_owner(self, token: Any) -> str | None:
        """The `api:` owner a client's token proves, else None (any other kind is refused)."""
        owner = self.owner_from_token(token) if isinstance(token, str) else None
        return owner if owner is not None and _API.match(owner) else None

    # ---------------------------------------------------------------- links

    def sign_link(self, resource: str, expires: int) -> str:
        """A signature for `resource` valid until `expires` (Unix seconds)."""
        message = f"{resource}\n{int(expires)}".encode()
        return hmac.new(self._link_key, message, hashlib.sha256).hexdigest()

    def verify_link(self, resource: str, expires: Any, signature: Any, now: float | None = None) -> bool:
        try:
            when = int(str(expires))
        except ValueError:
            return False
        if not isinstance(signature, str) or when < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self.sign_link(resource, when), signature)

    # ---------------------------------------------------------------- per app

    @classmethod
    def for_settings(cls, settings: Any, shared: SharedSecrets | None = None) -> Identity:
        """The app's identity: WAN_SESSION_SECRET, else the data folder's secret (cached).
        With `shared` (the store's `shared_secret`, PostgreSQL) the secrets it keeps win over
        the data folder's, so replicas with their own folders agree on them."""
        data_dir = Path(settings.data_dir)
        configured = getattr(settings, "session_secret", None)
        secret = (
            configured.get_secret_value().encode() if configured and configured.get_secret_value() else None
        )
        keeper = "" if shared is None else f"{id(getattr(shared, '__self__', shared))}"
        cache_key = (str(data_dir.resolve()) + keeper, hashlib.sha256(secret or b"").hexdigest())
        with _lock:
            if cache_key not in _identities:
                data_dir.mkdir(parents=True, exist_ok=True)

                def kept(name: str, make: Callable[[], bytes]) -> bytes:
                    found = shared(name, make) if shared is not None else None
                    return found if found is not None else read_or_create_secret(data_dir / name, make)

                if secret is None:
                    secret = kept(SECRET_FILE, lambda: secrets.token_hex(32).encode())
                browser = kept(BROWSER_SECRET_FILE, lambda: secrets.token_hex(16).encode())
                _identities[cache_key] = cls(secret, browser.decode())
            return _identities[cache_key]


_lock = threading.Lock()
_identities: dict[tuple[str, str], Identity] = {}


# -------------------------------------------------------------------- visitors


def user_owner(name: Any) -> str | None:
    """`hf:<name>` for a well-formed Hugging Face user name, else None."""
    if isinstance(name, str) and _HF_NAME.match(name):
        return USER_PREFIX + name
    return None


def _global(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip()).is_global
    except ValueError:
        return False


Networks = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


def _address(entry: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(entry.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, trusted: Networks) -> bool:
    return address is not None and any(address in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: str | None, *, on_space: bool, trusted: Networks = ()
) -> str | None:
    """The client's address. On a Space the app sits behind the Space's proxy: the address is
    the proxy's entry in X-Forwarded-For, the rightmost public one (entries to its left are
    whatever the client sent, so they cannot be trusted). Behind the owner's own balancers
    (`trusted`, WAN_TRUSTED_PROXIES), when the socket peer is one of them: the rightmost entry
    that is not one of them (the address the first of them saw). Else the socket peer."""
    if on_space and forwarded_for:
        for entry in reversed(forwarded_for.split(",")):
            if _global(entry):
                return str(ipaddress.ip_address(entry.strip()))
    if forwarded_for and trusted and peer and _trusted(_address(peer), trusted):
        for entry in reversed(forwarded_for.split(",")):
            address = _address(entry)
            if address is None:  # not an address: nothing to its left can be believed
                break
            if not _trusted(address, trusted):
                return str(address)
    if peer:
        return peer.strip() or None
    return None


def visitor_id(
    *, user: str | None, peer: str | None, forwarded_for: str | None, on_space: bool, trusted: Networks = ()
) -> str:
    """Who spends on the server's key: the signed-in user, else the client address. New
    sessions, cookies and API clients from one address are one visitor."""
    owner = user_owner(user)
    if owner:
        return owner
    address = client_address(peer, forwarded_for, on_space=on_space, trusted=trusted)
    return ADDRESS_PREFIX + (address or "unknown")
