"""A visitor as the owner's console shows them: a short stable pseudonym from a keyed hash of
the visitor id (`hf:<user>` or `ip:<address>`), never the address or the id itself. The key
is derived from the app's secret (`Identity.pseudonym_key`), so the same visitor has the same
pseudonym across restarts and replicas, and nobody without the secret can test a guess."""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "v-"
LENGTH = 8  # base32 characters: 40 bits, enough to tell a Space's visitors apart


def pseudonym(visitor: str | None, key: bytes) -> str:
    """`v-` and 8 base32 characters; `-` for a record without a visitor."""
    if not visitor:
        return "-"
    digest = hmac.new(key, visitor.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:LENGTH].lower()
