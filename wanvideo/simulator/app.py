"""The simulator's HTTP surface as one ASGI app: the fault layer around a Starlette router.

Routes (the task API is also mounted under ``/apiv1``, like odkkk's base URL)::

    POST /v1/videos/generations          create a task              tasks_api.TaskAPI
    GET  /v1/tasks/{task_id}             query a task               tasks_api.TaskAPI
    POST /api/v1/files/upload/stream     multipart upload           files_api.FilesAPI
    POST /api/v1/files/upload/base64     JSON base64 upload         files_api.FilesAPI
    POST /api/v1/files/upload/url        JSON link upload           files_api.FilesAPI
    GET  /files/{file_id}/{name}         an uploaded file           files_api.FilesAPI
    GET  /results/{task_id}.mp4          a task's result video      files_api.FilesAPI
    GET  /health                         liveness

The queue dialects serve their own routes instead (``dialect="dashscope"``: `dashscope_api`,
``dialect="fal"``: `fal_api`), plus ``/health``.

`SimulatorApp` is the outermost ASGI callable: `middleware.FaultLayer` counts requests and
applies armed faults, then hands the rest to the router.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .config import SimConfig
from .dashscope_api import DashScopeAPI
from .envelopes import error_response
from .fal_api import FalAPI
from .fal_rules import WEBHOOK_RETRY_DELAYS, WEBHOOK_TIMEOUT
from .faults import Faults
from .files_api import FilesAPI
from .middleware import FaultLayer
from .notify import EVOLINK_RETRY_DELAYS, EVOLINK_TIMEOUT, Delivery
from .queue_base import QueueDialect
from .state import SimState, SimTask
from .tasks_api import TaskAPI

QUEUE_APIS: dict[str, type[QueueDialect]] = {"dashscope": DashScopeAPI, "fal": FalAPI}

log = logging.getLogger(__name__)


class SimulatorApp:
    """The ASGI application of one simulator (routes + fault layer + stats)."""

    def __init__(
        self, state: SimState, faults: Faults, config: SimConfig, renderer: ThreadPoolExecutor
    ) -> None:
        self.state = state
        self.config = config
        self.tasks = TaskAPI(state, config, renderer)
        self.files = FilesAPI(state, config)
        self.queue: QueueDialect | None = None  # the dashscope or fal handlers
        # How completion callbacks are sent (`notify.py`); DashScope has none [A8].
        self.delivery: Delivery | None = Delivery(
            payload=self._evolink_callback,
            retry_delays=EVOLINK_RETRY_DELAYS,
            timeout=EVOLINK_TIMEOUT,
            statuses=("completed", "failed"),
        )
        handlers = {HTTPException: self._http_exception, Exception: self._server_error}
        if config.dialect in QUEUE_APIS:
            self.queue = queue = QUEUE_APIS[config.dialect](state, config, renderer)
            routes = [*queue.routes(), Route("/health", self.tasks.health, methods=["GET"])]
            router = Starlette(routes=routes, exception_handlers=handlers)
            self.layer = FaultLayer(router, state, faults, config.dialect, own=queue)
            self.delivery = (
                Delivery(payload=queue.webhook, retry_delays=WEBHOOK_RETRY_DELAYS, timeout=WEBHOOK_TIMEOUT)
                if isinstance(queue, FalAPI)
                else None
            )
            return
        routes = []
        for prefix in ("", "/apiv1"):
            routes += [
                Route(prefix + "/v1/videos/generations", self.tasks.create_task, methods=["POST"]),
                Route(prefix + "/v1/tasks/{task_id}", self.tasks.get_task, methods=["GET"]),
            ]
        routes += [
            Route("/api/v1/files/upload/stream", self.files.upload_stream, methods=["POST"]),
            Route("/api/v1/files/upload/base64", self.files.upload_base64, methods=["POST"]),
            Route("/api/v1/files/upload/url", self.files.upload_url, methods=["POST"]),
            Route("/files/{file_id}/{name}", self.files.get_file, methods=["GET", "HEAD"]),
            Route("/results/{task_id}.mp4", self.files.get_result, methods=["GET", "HEAD"]),
            Route("/health", self.tasks.health, methods=["GET"]),
        ]
        router = Starlette(
            routes=routes,
            exception_handlers={HTTPException: self._http_exception, Exception: self._server_error},
        )
        self.layer = FaultLayer(router, state, faults, config.dialect)

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.config.base_url = value

    def _evolink_callback(self, record: SimTask) -> tuple[bytes, dict[str, str]]:
        """EvoLink's callback body: "consistent with the task query API response" [spec]."""
        return json.dumps(record.snapshot(self.config.base_url)).encode(), {}

    def resume_renders(self) -> None:
        if self.queue is not None:
            self.queue.resume_renders()
        else:
            self.tasks.resume_renders()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.layer(scope, receive, send)

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        dialect = self.config.dialect
        if exc.status_code == 405:
            return error_response(405, dialect, f"Method {request.method} is not allowed here")
        return error_response(exc.status_code, dialect, exc.detail if exc.status_code != 404 else "Not found")

    async def _server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("simulator: unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, self.config.dialect, "Simulator error")
