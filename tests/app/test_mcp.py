"""MCP tools (WAN_MCP_SERVER=true): an `mcp` client against the running app lists `estimate`
and `generate` (and the cast and film tools), calls `estimate`, and meets the same rules as everyone:
the spend guard per visitor, and the bring-your-own-key rule.

How an MCP call is identified (Gradio 6.31): the MCP endpoint replays each call to the app
through a gradio_client on 127.0.0.1 with the caller's own HTTP headers. So the visitor
(who spends) is the socket peer 127.0.0.1 off a Space (every MCP caller shares one visitor
budget, and the overall limit applies), and on a Space the Space proxy's X-Forwarded-For
entry, as for a browser. The owner of an MCP task is the signed `wan_api` cookie the app gives
each MCP session (the replay carries the caller's Cookie header), not the replay client's
session, which every MCP caller shares.

References go in as links (`video_urls`), as the tool descriptions ask: Gradio 6.31's MCP
schema for a list of files has a `$ref` the MCP server cannot resolve, so `videos` only works
empty over MCP. The links here point at a file server on 127.0.0.1 (WAN_ALLOW_PRIVATE_URLS).
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.apprunner import RunningApp, start_app, stop_app
from tests.unit.fileserver import ServerState, serve
from wanvideo.examples import CHARACTERS, clip_path
from wanvideo.simulator import Simulator

from .conftest import FAST

pytestmark = pytest.mark.slow

CLIP = clip_path(CHARACTERS["ruby"])  # 3 s: one reference billed 3 s + 5 s output = 8 s
ONE_CLIP_CREDITS = "38.08"  # 8 s x 4.76


@pytest.fixture(scope="module")
def clip_url() -> Iterator[str]:
    with serve(ServerState(files={"/ruby.mp4": CLIP})) as base:
        yield f"{base}/ruby.mp4"


async def _session(url: str, headers: dict[str, str] | None, work: Any) -> Any:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async with (
        streamablehttp_client(f"{url}gradio_api/mcp/", headers=headers, timeout=60) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        return await work(session)


def mcp(url: str, work: Any, headers: dict[str, str] | None = None) -> Any:
    return asyncio.run(asyncio.wait_for(_session(url, headers, work), 120))


def tool_json(result: Any) -> dict[str, Any]:
    """The tool's JSON output (Gradio 6.31 sends a gr.JSON value as its Python repr)."""
    assert not result.isError, result.content
    return ast.literal_eval(result.content[0].text)


def estimate_args(url: str) -> dict[str, Any]:
    return {"video_urls": url, "quality": "720p", "duration": "5"}


def generate_args(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "prompt": "character1 waves at the camera",
        "video_urls": url,
        "quality": "720p",
        "aspect_ratio": "16:9",
        "duration": "5",
        "shot_type": "single",
        "callback_url": "",
        "api_key": "",
        **extra,
    }


def error_text(result: Any) -> str:
    assert result.isError, result.content
    return " ".join(getattr(c, "text", "") for c in result.content)


@pytest.fixture(scope="module")
def mcp_demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    app = start_app(
        tmp_path_factory.mktemp("mcp-demo"),
        {**FAST, "WAN_MCP_SERVER": "true", "WAN_ALLOW_PRIVATE_URLS": "true"},
    )
    yield app
    stop_app(app)


def test_the_tools_are_listed_with_descriptions_an_agent_can_act_on(mcp_demo_app: RunningApp) -> None:
    tools = {t.name: t for t in mcp(mcp_demo_app.url, lambda s: s.list_tools()).tools}
    # no UI-only endpoint (examples, history); the cast (issue 20) is an API of its own
    assert sorted(tools) == ["cancel", "cast_add", "cast_list", "estimate", "film", "film_retry", "generate"]
    film = tools["film"]
    assert "SPENDS MONEY" in film.description and "refused whole" in film.description
    assert "JSON list" in film.inputSchema["properties"]["shots"]["description"]
    assert "prompt" not in film.inputSchema["properties"]
    assert "record_id of your film" in tools["film_retry"].inputSchema["properties"]["film_id"]["description"]
    assert "Save a character" in tools["cast_add"].description
    estimate, generate = tools["estimate"], tools["generate"]
    assert "Spends nothing" in estimate.description
    assert "billed seconds" in estimate.description and "4.76 credits per second" in estimate.description
    assert "SPENDS MONEY" in generate.description and "call estimate first" in generate.description
    props = generate.inputSchema["properties"]
    assert "at most 1500 characters" in props["prompt"]["description"]
    assert "16:9" in props["aspect_ratio"]["description"]
    assert "never stored" in props["api_key"]["description"]
    assert "owner_id" not in props and "request" not in props  # internal inputs stay hidden
    assert "2 to 30 s" in estimate.inputSchema["properties"]["videos"]["description"]


def test_estimate_through_mcp(mcp_demo_app: RunningApp, clip_url: str) -> None:
    result = mcp(mcp_demo_app.url, lambda s: s.call_tool("estimate", estimate_args(clip_url)))
    data = tool_json(result)
    assert data["problems"] == []
    assert str(data["credits"]) == ONE_CLIP_CREDITS
    assert data["budget"] is None  # demo mode: no spending limits


def _record(result: Any) -> dict[str, Any]:
    """The task record among `generate`'s outputs (its JSON, sent as a Python repr)."""
    assert not result.isError, result.content
    for item in result.content:
        try:
            value = ast.literal_eval(getattr(item, "text", ""))
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict) and "task_id" in value:
            return value
    raise AssertionError(f"no task record in {result.content}")


@pytest.fixture(scope="module")
def sim_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """A provider (the simulator) that fetches links on 127.0.0.1, no spending limits."""
    with Simulator(task_seconds=1.0, allow_private_urls=True) as sim:
        env = {
            **FAST,
            "WAN_MCP_SERVER": "true",
            "WAN_ALLOW_PRIVATE_URLS": "true",
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "server-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
        }
        app = start_app(tmp_path_factory.mktemp("mcp-owner"), env, simulator=sim)
        yield app
        stop_app(app)


def test_each_mcp_session_is_its_own_owner(sim_app: RunningApp, clip_url: str) -> None:
    """Gradio replays every MCP call through one cached gradio_client (one session hash): the
    owner is the signed cookie the app gives each MCP session (the `mcp` client keeps it), so
    another session cannot cancel the task while the session that started it can."""

    async def generate_then_cancel(session: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        record = _record(await session.call_tool("generate", generate_args(clip_url)))
        own = tool_json(await session.call_tool("cancel", {"task_id": record["task_id"], "api_key": ""}))
        return record, own

    record, own = mcp(sim_app.url, generate_then_cancel)
    assert record["task_id"] and record["status"] == "completed"
    assert own["outcome"] == "too_late" and own["record_id"] == record["record_id"], own  # found: it ended

    async def cancel(session: Any) -> dict[str, Any]:
        return tool_json(await session.call_tool("cancel", {"task_id": record["task_id"], "api_key": ""}))

    other = mcp(sim_app.url, cancel)
    assert other["outcome"] == "not_found" and other["record_id"] is None, other


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """A real provider (the simulator) on the server's key, as on a Space, with a visitor
    limit that fits one one-clip generation (38.08) but not two."""
    with Simulator(task_seconds=1.0, allow_private_urls=True) as sim:
        env = {
            **FAST,
            "WAN_MCP_SERVER": "true",
            "WAN_ALLOW_PRIVATE_URLS": "true",
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "server-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_VISITOR_DAILY_CREDIT_LIMIT": "50",
            "WAN_DAILY_CREDIT_LIMIT": "300",
            "SPACE_ID": "someone/wan-studio",
        }
        app = start_app(tmp_path_factory.mktemp("mcp-guarded"), env, simulator=sim)
        yield app
        stop_app(app)


def test_the_spend_guard_counts_each_mcp_caller_as_a_visitor(guarded_app: RunningApp, clip_url: str) -> None:
    sim = guarded_app.simulator
    alice = {"X-Forwarded-For": "203.0.113.5"}  # what the Space proxy adds for each caller
    bob = {"X-Forwarded-For": "198.51.100.7"}
    before = tool_json(
        mcp(guarded_app.url, lambda s: s.call_tool("estimate", estimate_args(clip_url)), alice)
    )
    assert before["budget"]["visitor_left_today"] == 50

    done = mcp(guarded_app.url, lambda s: s.call_tool("generate", generate_args(clip_url)), alice)
    assert not done.isError, done.content
    assert sim.stats.creates == 1

    after = tool_json(mcp(guarded_app.url, lambda s: s.call_tool("estimate", estimate_args(clip_url)), alice))
    assert after["budget"]["visitor_left_today"] == pytest.approx(50 - 38.08)
    other = tool_json(mcp(guarded_app.url, lambda s: s.call_tool("estimate", estimate_args(clip_url)), bob))
    assert other["budget"]["visitor_left_today"] == 50  # another caller, another visitor

    # Alice's second generation does not fit her limit: refused before anything is sent.
    uploads = sim.stats.uploads
    refused = mcp(guarded_app.url, lambda s: s.call_tool("generate", generate_args(clip_url)), alice)
    assert "daily budget" in error_text(refused) and "11.92 credits left" in error_text(refused)
    assert (sim.stats.creates, sim.stats.uploads) == (1, uploads)


@pytest.fixture(scope="module")
def own_key_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with Simulator(task_seconds=1.0, allow_private_urls=True) as sim:
        env = {
            **FAST,
            "WAN_MCP_SERVER": "true",
            "WAN_ALLOW_PRIVATE_URLS": "true",
            "WAN_PROVIDER": "evolink",
            "WAN_REQUIRE_USER_KEY": "true",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
        }
        app = start_app(tmp_path_factory.mktemp("mcp-own-key"), env, simulator=sim)
        yield app
        stop_app(app)


def test_an_mcp_caller_must_bring_a_key_where_visitors_must(own_key_app: RunningApp, clip_url: str) -> None:
    sim = own_key_app.simulator
    tools = {t.name: t for t in mcp(own_key_app.url, lambda s: s.list_tools()).tools}
    assert "required" in tools["generate"].inputSchema["properties"]["api_key"]["description"]
    refused = mcp(own_key_app.url, lambda s: s.call_tool("generate", generate_args(clip_url)))
    assert "own key" in error_text(refused)
    assert sim.stats.creates == 0
    done = mcp(
        own_key_app.url, lambda s: s.call_tool("generate", generate_args(clip_url, api_key="visitor-key"))
    )
    assert not done.isError, done.content
    assert sim.stats.creates == 1
    assert "visitor-key" not in own_key_app.log()  # the key is never logged
