"""Check a create body against the provider's own request schema (see `contract.py`).

One JSON Schema validator (draft 2020-12, the dialect of OpenAPI 3.1) runs the document's
`Wan26ReferenceVideoRequest` with its prose rules made explicit; the first problem, in the
document's field order, becomes a `Refusal` with the parameter it names::

    refusal = check_create(payload, contract("string"))
    refusal.status, refusal.param, refusal.message    # 400, "duration", "duration must be ..."

What a schema cannot say (a callback to an internal address, written in any numeric form a
C resolver accepts: 127.1, 0x7f.1, 2130706433) is checked after it. A simulator built with
``allow_private_urls=True`` (tests) also takes a callback to a loopback address over http, so
its callbacks can be received on 127.0.0.1; any other internal address is still refused.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, ValidationError

from .contract import Contract

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "array": "an array",
    "object": "an object",
    "number": "a number",
    "boolean": "true or false",
}


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as typed fields the envelope is built from."""

    status: int
    message: str
    param: str | None = None
    code: str | None = None  # overrides the string dialect's default code for `status`
    fallback_suggestion: str | None = None


def _validator(rules: Contract) -> Draft202012Validator:
    cached = _VALIDATORS.get(rules.dialect)
    if cached is None:
        cached = _VALIDATORS[rules.dialect] = Draft202012Validator(rules.request_schema)
    return cached


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _choices(values: list[Any]) -> str:
    shown = [str(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _param(error: ValidationError) -> str:
    names = [str(p) for p in error.absolute_path if not isinstance(p, int)]
    if error.validator == "required":
        names.append(str(error.message).split("'")[1])
    elif error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        names.append(extra[0] if extra else "body")
    return ".".join(names) or "body"


def _message(error: ValidationError, param: str, rules: Contract) -> str:
    kind, value, schema = error.validator, error.validator_value, error.schema
    if kind == "required":
        return f"{param} is required" + (f": use '{rules.model}'" if param == "model" else "")
    if kind == "additionalProperties":
        return f"Unknown parameter: {param}"
    if kind == "type":
        return f"{param} must be {_TYPE_WORDS.get(str(value), str(value))}"
    if kind == "enum":
        return f"{param} must be {_choices(list(value))}"
    if param == "video_urls" and kind in ("minItems", "maxItems"):
        return f"video_urls must contain 1 to {rules.max_references} video URLs"
    if kind == "maxLength":
        return f"{param} must be at most {value} characters (it has {len(error.instance)})"
    if kind in ("minimum", "maximum"):
        return f"{param} must be a whole number from {schema.get('minimum')} to {schema.get('maximum')}"
    if kind == "pattern" and param == "prompt":
        return "prompt must not be empty"
    if kind == "pattern" and param == "video_urls":
        return f"video_urls must be http(s) URLs; {error.instance!r} is not"
    if kind == "pattern" and param == "callback_url":
        return "callback_url must be an https:// URL"
    return f"Invalid {param}: {error.message}"


def _first(errors: list[ValidationError], rules: Contract) -> ValidationError:
    order = {name: i for i, name in enumerate(rules.property_order)}

    def rank(error: ValidationError) -> tuple[int, int]:
        top = next(iter(error.absolute_path), None)
        if top is None and error.validator == "required":
            top = str(error.message).split("'")[1]
        return (order.get(str(top), len(order)), len(error.absolute_path))

    return min(errors, key=rank)


def internal_host(host: str) -> bool:
    """True for a literal address (in any form a C resolver reads) that is not public, or localhost."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False  # a name: the provider would resolve it when calling back
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return not (mapped or ip).is_global


def _loopback_url(url: Any) -> bool:
    """True for an http(s) URL whose host is a loopback address or ``localhost``."""
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_create(payload: Any, rules: Contract, *, allow_loopback_callbacks: bool = False) -> Refusal | None:
    """The first thing wrong with a create body, or None when the provider accepts it.
    `allow_loopback_callbacks` (tests on 127.0.0.1) lets `callback_url` be http://127.0.0.1/..."""
    if not isinstance(payload, dict):
        return Refusal(400, "The request body must be a JSON object")
    model = payload.get("model")
    if model is not None and model != rules.model:
        documented = rules.error_example(404)
        if documented is not None and documented["error"].get("param") == "model":
            # odkkk documents an unknown model as 404 with the right name as the suggestion.
            error = documented["error"]
            return Refusal(404, error["message"], "model", None, error.get("fallback_suggestion"))
        return Refusal(400, f"Unsupported model {model!r}; use '{rules.model}'", "model")
    loopback = allow_loopback_callbacks and _loopback_url(payload.get("callback_url"))
    errors = [
        e
        for e in _validator(rules).iter_errors(payload)
        if not (loopback and e.validator == "pattern" and _param(e) == "callback_url")
    ]
    if errors:
        error = _first(errors, rules)
        param = _param(error)
        return Refusal(400, _message(error, param, rules), param)
    callback = payload.get("callback_url")
    if callback is not None and not loopback and internal_host(urlsplit(callback).hostname or ""):
        return Refusal(400, "callback_url must not point to an internal address", "callback_url")
    return None
