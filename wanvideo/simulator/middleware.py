"""The fault layer: the outermost ASGI callable of a simulator.

It names each request's route (create, task, upload, download, other), counts it in `Stats`,
records its final status, and applies the first armed fault (see `faults.py`) before, instead
of or around the router: a 429, a dropped connection, a slow answer, half a body, ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .envelopes import error_response, files_error_response
from .faults import ERROR_KINDS, Fault, Faults
from .state import SimState, owner_id


def route_of(method: str, path: str) -> str:
    """The fault/stat route name of a request: create, task, upload, download or other."""
    api_path = path.removeprefix("/apiv1")
    if method == "POST" and api_path == "/v1/videos/generations":
        return "create"
    if method == "GET" and api_path.startswith("/v1/tasks/"):
        return "task"
    if method == "POST" and path.startswith("/api/v1/files/upload/"):
        return "upload"
    if method in ("GET", "HEAD") and path.startswith(("/files/", "/results/")):
        return "download"
    return "other"


def _transport_of(send: Send) -> asyncio.BaseTransport | None:
    """The connection's transport behind uvicorn's `send` (its RequestResponseCycle)."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


async def drop_connection(send: Send) -> None:
    """Close the TCP connection without a response (the client sees a protocol error)."""
    transport = _transport_of(send)
    if transport is None:
        raise RuntimeError("simulator: cannot reach the transport to drop the connection")
    transport.abort()
    # Let uvicorn see connection_lost, so it does not try to answer with a 500.
    for _ in range(3):
        await asyncio.sleep(0)


def _key_owner(scope: Scope) -> str | None:
    """The owner id of the request's key (never the key itself), None without one.
    Bearer keys, and fal's ``Authorization: Key <key>``."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return owner_id(token.strip()) if scheme.lower() in ("bearer", "key") and token.strip() else None
    return None


class DialectFaults(Protocol):
    """What a queue dialect tells the fault layer: its route names and its error shapes."""

    def route_of(self, method: str, path: str) -> str: ...

    def fault_response(self, route: str, fault: Fault, path: str, headers: dict[str, str]) -> Response: ...


async def _swallow(message: Message) -> None:
    """A `send` that discards the response (for the drop_after fault)."""


class FaultLayer:
    """Counts requests and applies armed faults around `app` (the router)."""

    def __init__(
        self,
        app: ASGIApp,
        state: SimState,
        faults: Faults,
        dialect: str,
        own: DialectFaults | None = None,
    ) -> None:
        self.app = app
        self.state = state
        self.faults = faults
        self.dialect = dialect
        self.own = own  # a queue dialect's routes and error shapes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        route = self.own.route_of(method, path) if self.own is not None else route_of(method, path)
        stats = self.state.stats
        stats.routes[route] += 1
        stats.keys.append((method, path, _key_owner(scope)))
        status = [0]
        recorded = [False]

        def record(code: int) -> None:
            # Recorded before the client can see the end of the response (or the drop),
            # so a test reading `stats.requests` right after a call always finds it.
            if not recorded[0]:
                recorded[0] = True
                stats.requests.append((method, path, code))

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record(status[0])
            await send(message)

        fault = self.faults.take(route, method, path)
        try:
            if fault is None:
                await self.app(scope, receive, recording_send)
                return
            stats.faults[fault.kind] += 1
            if fault.kind == "drop":
                record(0)
                await drop_connection(send)
            elif fault.kind == "slow":
                await asyncio.sleep(fault.delay)
                await self.app(scope, receive, recording_send)
            elif fault.kind in ERROR_KINDS:
                await self._fault_response(route, fault, path)(scope, receive, recording_send)
            elif fault.kind == "drop_after":
                await self.app(scope, receive, _swallow)
                record(0)
                await drop_connection(send)
            elif fault.kind in ("truncate", "stall"):
                cutting = self._cutting_send(fault, send, recording_send, lambda: record(status[0]))
                await self.app(scope, receive, cutting)
        finally:
            record(status[0])

    def _fault_response(self, route: str, fault: Fault, path: str) -> Response:
        status = fault.response_status()
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(
                int(fault.retry_after) if float(fault.retry_after).is_integer() else fault.retry_after
            )
        if self.own is not None:
            return self.own.fault_response(route, fault, path, headers)
        if route == "upload":
            return files_error_response(status, fault.message or "Simulated files host error", headers)
        message = fault.message
        if fault.kind == "expired":
            message = message or (
                "Task not found or expired" if route == "task" else "File not found or expired"
            )
        suggestion = f"retry after {headers['Retry-After']} seconds" if "Retry-After" in headers else None
        return error_response(status, self.dialect, message, fallback_suggestion=suggestion, headers=headers)

    def _cutting_send(
        self, fault: Fault, raw_send: Send, send: Send, before_drop: Callable[[], None]
    ) -> Send:
        """A `send` that delivers half the body, then closes (truncate) or pauses (stall)."""
        state: dict[str, Any] = {"limit": None, "sent": 0, "done": False, "through": False}

        async def cutting_send(message: Message) -> None:
            if state["done"]:
                return
            if state["through"] or message["type"] != "http.response.body":
                if message["type"] == "http.response.start":
                    for name, value in message.get("headers", []):
                        if name.lower() == b"content-length":
                            state["limit"] = int(value) // 2
                await send(message)
                return
            body: bytes = message.get("body", b"")
            limit = state["limit"] if state["limit"] is not None else len(body) // 2
            room = max(0, limit - state["sent"])
            if room >= len(body) and message.get("more_body", False):
                state["sent"] += len(body)
                await send(message)
                return
            await send({"type": "http.response.body", "body": body[:room], "more_body": True})
            state["sent"] += room
            if fault.kind == "truncate":
                state["done"] = True
                before_drop()
                await drop_connection(raw_send)
                return
            await asyncio.sleep(fault.delay)
            state["through"] = True
            await send({**message, "body": body[room:]})

        return cutting_send
