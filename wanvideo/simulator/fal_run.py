"""The fal dialect's synchronous endpoint: ``POST https://fal.run/<model id>`` holds the
request open until the model has run and answers the model's output itself (or the model's
error, with its own status), where the queue (`fal_api`, ``queue.fal.run``) answers IN_QUEUE
at once [F4]. The Python client's `run` posts there and reads the answer as the result [F10].

    POST /fal-run/wan/v2.6/reference-to-video[/flash]   the simulator's stand-in for fal.run

One port serves every host, so fal.run gets a path prefix, like the CDN (`fal_rules.CDN_BASE`):
a client points its run URL at ``<base_url>/fal-run/`` and its queue URL at ``<base_url>/``.

A run is a queue request underneath: the same input rules (a refused input is the runner's 422
answered directly), the same account queue (2 running at once [F7]), billing
(``x-fal-billable-units``) and ``x-fal-request-id``; its status and result stay readable
through the queue's URLs. Open point: how long fal.run keeps a request open before it gives
up is not documented; the simulator waits for as long as the request takes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import fal_rules as rules
from .state import SimState

RUN_BASE = "/fal-run"
POLL_S = 0.05  # how often a held run looks at its request

Handler = Callable[[Request], Awaitable[Response]]


class FalRun:
    """The synchronous endpoint, built on the queue's own submit and result handlers."""

    def __init__(self, state: SimState, submit: Handler, result: Handler) -> None:
        self.state = state
        self.submit = submit
        self.result = result

    def routes(self) -> list[Route]:
        return [Route(RUN_BASE + path, self.run, methods=["POST"]) for path in rules.MODELS]

    async def run(self, request: Request) -> Response:
        inner = Request({**request.scope, "path": request.url.path.removeprefix(RUN_BASE)}, request.receive)
        queued = await self.submit(inner)
        if queued.status_code != 200:
            return queued  # the key check or a body that is not a JSON object
        request_id = json.loads(bytes(queued.body))["request_id"]
        record = self.state.tasks[request_id]
        while record.status in ("pending", "processing"):
            await anyio.sleep(POLL_S)
        return await self.result(
            Request({**inner.scope, "path_params": {"request_id": request_id}}, inner.receive)
        )
