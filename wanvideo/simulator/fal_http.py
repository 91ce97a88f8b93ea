"""The fal dialect's HTTP shapes: its error body (with ``X-Fal-Error-Type``), its key check
(``Authorization: Key <key>`` [F3]) and a JSON-object body. Every fal module answers with these."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .envelopes import fal_body


def error(
    status: int,
    message: str | None,
    error_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """fal's error body; its ``error_type`` also as the ``X-Fal-Error-Type`` header."""
    body = fal_body(status, message, error_type)
    if "error_type" in body:
        headers = {**(headers or {}), "X-Fal-Error-Type": body["error_type"]}
    return JSONResponse(body, status_code=status, headers=headers)


def fal_key(request: Request, api_keys: frozenset[str] | None) -> str | Response:
    """The request's fal key, or 401 (`api_keys` None: any key is taken)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "key" or not token:
        return error(401, None)
    if api_keys is not None and token not in api_keys:
        return error(401, "Invalid key")
    return token


async def json_object(request: Request, empty: bytes = b"null") -> dict[str, Any] | Response:
    """The body as a JSON object (`empty` stands for no body), or fal's 400."""
    try:
        payload = json.loads(await request.body() or empty)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "The request body is not valid JSON")
    if not isinstance(payload, dict):
        return error(400, "The request body must be a JSON object")
    return payload
