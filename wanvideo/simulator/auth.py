"""Bearer keys: which key a request carries, and the provider's answer when it carries none."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .envelopes import error_response


def api_key(request: Request, accepted: frozenset[str] | None) -> str | None:
    """The request's Bearer key when it is acceptable, else None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    if accepted is not None and token not in accepted:
        return None
    return token


def auth_error(request: Request, dialect: str) -> Response:
    """401 in the API envelope; the message never repeats the key."""
    if not request.headers.get("authorization"):
        message = "Missing Authorization header; send 'Authorization: Bearer <key>'"
    else:
        message = "Invalid or expired token"
    return error_response(401, dialect, message)
