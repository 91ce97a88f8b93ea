"""Who may open the owner's console: the holder of `WAN_OWNER_TOKEN` (anywhere), or a signed-in
Hugging Face user named in `WAN_OWNER_USERS` (default on a Space: its author).

    access = OwnerAccess.for_settings(settings)
    access.token_ok(given)       # constant-time compare; False when no token is configured
    access.user_ok("alice")      # a signed-in user's name (case-insensitive)
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from ..settings import Settings


@dataclass(frozen=True)
class OwnerAccess:
    token_digest: bytes | None  # sha256 of WAN_OWNER_TOKEN (the token itself is not kept here)
    users: frozenset[str]

    @classmethod
    def for_settings(cls, settings: Settings) -> OwnerAccess:
        token = settings.owner_token.get_secret_value() if settings.owner_token is not None else None
        return cls(_digest(token) if token else None, settings.owner_user_names)

    @property
    def enabled(self) -> bool:
        return self.token_digest is not None or bool(self.users)

    def token_ok(self, given: object) -> bool:
        """True only for the configured token. Both sides are hashed first, so the compare
        takes the same time whatever the given text's length or content."""
        if self.token_digest is None or not isinstance(given, str) or not given:
            return False
        return hmac.compare_digest(self.token_digest, _digest(given))

    def user_ok(self, name: object) -> bool:
        return isinstance(name, str) and bool(name) and name.lower() in self.users


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
