"""The app's provider routes (`web.routes.provider_routes`) on a real HTTP server on 127.0.0.1,
in a thread, so a simulator can fetch served references and send callbacks to them.

    with AppServer() as app:                  # port bound: app.base_url is known at once
        settings = ...(WAN_PUBLIC_URL=app.base_url, WAN_ALLOW_PRIVATE_URLS="true")
        manager = TaskManager(settings, store).start()
        app.links = manager                   # the routes now answer from the manager
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from wanvideo.web.routes import ProviderLinks, provider_routes


class AppServer:
    def __init__(self) -> None:
        self.links: ProviderLinks | None = None
        self.hits: list[tuple[str, str, str | None]] = []  # (method, path, Range)
        outer = self

        class _Forward:
            def served_reference(self, token: str) -> Path | None:
                return outer.links.served_reference(token) if outer.links else None

            def wake_by_token(self, token: str) -> bool:
                return outer.links.wake_by_token(token) if outer.links else False

        app = Starlette(routes=provider_routes(_Forward()))

        async def logged(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                headers = dict(scope.get("headers") or [])
                rng = headers.get(b"range")
                self.hits.append((scope["method"], scope["path"], rng.decode() if rng else None))
            await app(scope, receive, send)

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        config = uvicorn.Config(logged, log_level="warning", access_log=False, lifespan="off", http="h11")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def __enter__(self) -> AppServer:
        server, sock = self._server, self._sock
        self._thread = threading.Thread(target=lambda: server.run(sockets=[sock]), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the app server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()
