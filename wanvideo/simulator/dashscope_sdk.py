"""What the official DashScope Python SDK adds to a create body [D8], taken out before the
body's rules (`dashscope_rules.check_body`) read it.

`VideoSynthesis.async_call` (dashscope 2.x, `aigc/video_synthesis.py` `_get_input`) always
sends ``input.extend_prompt`` (its deprecated prompt-expansion flag, true unless the caller
says otherwise; ``parameters.prompt_extend`` replaced it) and ``input.function`` (the
endpoint's last path segment, ``video-synthesis``). Open point: the R2V reference [D1] lists
neither field, yet the service takes the SDK's bodies; so both are accepted here, checked for
their type, and ignored, like ``parameters.prompt_extend`` (see `dashscope_rules`).
"""

from __future__ import annotations

from typing import Any

from .dashscope_rules import CREATE_PATH, Refused

FUNCTION = CREATE_PATH.rsplit("/", 1)[1]  # "video-synthesis", as the SDK names it
SDK_INPUT = ("extend_prompt", "function")


def without_sdk_fields(payload: Any) -> Any:
    """The create body without the SDK's own `input` fields, or the `Refused` they earn."""
    if not isinstance(payload, dict) or not isinstance(payload.get("input"), dict):
        return payload
    inp: dict[str, Any] = payload["input"]
    if "extend_prompt" in inp and not isinstance(inp["extend_prompt"], bool):
        return Refused(400, "InvalidParameter", "input.extend_prompt must be true or false")
    if "function" in inp and inp["function"] != FUNCTION:
        return Refused(400, "InvalidParameter", f"input.function must be {FUNCTION} on this endpoint")
    if not any(name in inp for name in SDK_INPUT):
        return payload
    return {**payload, "input": {k: v for k, v in inp.items() if k not in SDK_INPUT}}
