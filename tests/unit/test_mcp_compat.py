"""The Gradio 6.31 MCP fix: several outputs come back as a list, one output as a one-item list."""

from __future__ import annotations

from components.mcp_compat import outputs_list


def test_outputs_list() -> None:
    assert outputs_list(("status", "<video>", {"task_id": "t"}, None)) == [
        "status",
        "<video>",
        {"task_id": "t"},
        None,
    ]
    assert outputs_list({"credits": 1}) == [{"credits": 1}]
    assert outputs_list(["a", "b"]) == [["a", "b"]]  # one output whose value is a list
