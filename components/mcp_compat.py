"""A fix for Gradio 6.31's MCP server, installed only when WAN_MCP_SERVER is on.

    mcp_compat.install()     # before launch(mcp_server=True)

The bug: a queued tool called without a progress token is run through gradio_client, whose
`job.result()` is a tuple when the endpoint has several outputs; Gradio wraps that tuple in
a one-item list and then removes the State outputs by index from it, which fails with
"pop index out of range" after the work was done (for `generate`: after the video was made
and paid for). The fix returns the outputs as a list, as the progress-token path already
does. Pinned to the Gradio version it was written for: another version is left alone, and
the MCP tests say whether it still needs it.
"""

from __future__ import annotations

from typing import Any

import gradio

FIXED_VERSION = "6.31.0"


def outputs_list(result: Any) -> list[Any]:
    """gradio_client's result as the list of outputs Gradio's MCP server expects."""
    return list(result) if isinstance(result, tuple) else [result]


def install() -> bool:
    """Patch Gradio's MCP server; True when patched (idempotent)."""
    if gradio.__version__ != FIXED_VERSION:
        return False
    from anyio.to_thread import run_sync
    from gradio.mcp import GradioMCPServer

    if getattr(GradioMCPServer, "_wan_outputs_fixed", False):
        return True

    async def execute_tool_without_progress(self: GradioMCPServer, job: Any) -> list[Any]:
        return outputs_list(await run_sync(job.result))

    GradioMCPServer._execute_tool_without_progress = execute_tool_without_progress  # type: ignore[method-assign]
    GradioMCPServer._wan_outputs_fixed = True  # type: ignore[attr-defined]
    return True
