"""`Simulator`: the simulated provider on 127.0.0.1, served by uvicorn in a daemon thread.

    with Simulator(task_seconds=2.0, dialect="string") as sim:
        sim.base_url                      # http://127.0.0.1:<port>: task API + files host
        sim.faults.add("rate_limit", route="create", retry_after=2)
        sim.fail_next_task("content_policy_violation")
        sim.stats.creates, sim.stats.requests
        sim.stats.keys[-1] == ("GET", "/v1/tasks/<id>", sim.key_owner("sk-..."))  # which key
        sim.tasks[task_id].status

Test controls (besides `faults`, see `faults.py`)::

    sim.fail_next_task(code="content_policy_violation", message=None, after=None)
    sim.fail_task(task_id, code="service_error")     # fail a running task now
    sim.expire_results(task_id=None)   # result links answer 404
    sim.expire_task(task_id=None)      # GET /v1/tasks/{id} answers 404 not_found_error
    sim.expire_files()                 # uploaded file links answer 404
    sim.wait_rendered(task_id)         # block until the video is on disk
    sim.charged_credits()              # credits of completed tasks (failed ones refunded)
    sim.reset()                        # faults, scheduled failures and stats back to zero

With a `data_dir`, tasks, files and idempotency records are kept in ``data_dir/state.json``
and survive a restart (``persist=False`` turns that off). One socket serves both hosts, so
a client points `api_base_url` and `files_base_url` at `base_url`. With
``dialect="integer"`` the simulator plays odkkk: integer error codes, durations 5 or 10 only.

The queue dialects (PROVIDERS.md) are other providers' APIs on the same port::

    Simulator(dialect="dashscope", region="singapore")   # or "beijing", "virginia"
    Simulator(dialect="fal")

They queue an account's tasks (`sim.concurrency`: 5 per model on DashScope, 2 on fal), so a
test can hold the queue to cancel a waiting task without racing the clock::

    sim.hold_queue()        # new and waiting tasks stay PENDING / IN_QUEUE
    sim.release_queue()     # back to the dialect's limit
    sim.expire_policies()   # dashscope: upload policies handed out so far have expired
    sim.charged_credits()   # in the provider's unit: sim.currency (credits, USD or CNY)

Links in a create (`video_urls`) or `upload/url` are fetched by `fetch.fetch_link`: only
public addresses unless ``allow_private_urls=True`` (tests whose links live on 127.0.0.1).
The simulator's own upload links are read in place and need no fetch. A create whose reference
cannot be used (unfetchable, not mp4/mov, too large, outside 2 to 30 s) is refused with 400
``param: video_urls`` before any task exists: it costs nothing. Up to `render_workers` (2)
results render at once.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import uvicorn

from . import dashscope_rules
from .app import SimulatorApp
from .config import FETCH_TIMEOUT, MAX_UPLOAD_BYTES, SimConfig
from .envelopes import ALL_DIALECTS
from .faults import Faults
from .notify import Notifier
from .state import FileRecord, ScheduledFailure, SimState, SimTask, Stats, owner_id

log = logging.getLogger(__name__)

# Results rendered at once: libx264 and the frame conversions release the GIL, so two renders
# use the two cores of a small machine (a Space's CPU tier has two).
RENDER_WORKERS = 2
# An account's tasks running at once, by dialect (None: no queue) [D3, F7].
CONCURRENCY: dict[str, int | None] = {"string": None, "integer": None, "dashscope": 5, "fal": 2}


class Simulator:
    """The provider API and files host on one local port, with fault injection."""

    def __init__(
        self,
        task_seconds: float = 2.0,
        dialect: str = "string",
        data_dir: Path | str | None = None,
        api_keys: set[str] | list[str] | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        public_url: str | None = None,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        persist: bool | None = None,
        allow_private_urls: bool = False,
        fetch_timeout: float = FETCH_TIMEOUT,
        render_workers: int = RENDER_WORKERS,
        region: str | None = None,
    ) -> None:
        if dialect not in ALL_DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(ALL_DIALECTS)}, not {dialect!r}")
        if task_seconds < 0:
            raise ValueError("task_seconds must be >= 0")
        if region is not None and dialect != "dashscope":
            raise ValueError("region applies to the dashscope dialect only")
        if dialect == "dashscope":
            region = region or dashscope_rules.DEFAULT_REGION
            if region not in dashscope_rules.REGIONS:
                raise ValueError(
                    f"region must be one of {', '.join(dashscope_rules.REGIONS)}, not {region!r}"
                )
        self.region = region
        self.dialect = dialect
        self.host = host
        self.port = port
        self._public_url = public_url.rstrip("/") if public_url else None
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="wan-sim-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.state = SimState(
            data_dir=self.data_dir,
            task_seconds=task_seconds,
            persist=(not self._own_dir) if persist is None else persist,
        )
        self.faults = Faults()
        self._renderer = ThreadPoolExecutor(max_workers=render_workers, thread_name_prefix="sim-render")
        self.config = SimConfig(
            dialect=dialect,
            api_keys=frozenset(api_keys) if api_keys is not None else None,
            max_upload_bytes=max_upload_bytes,
            allow_private_urls=allow_private_urls,
            fetch_timeout=fetch_timeout,
            region=region,
            concurrency=CONCURRENCY[dialect],
        )
        self.app = SimulatorApp(self.state, self.faults, self.config, self._renderer)
        delivery = self.app.delivery
        self.notifier = Notifier(self.state, self.config, delivery) if delivery is not None else None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # ---------------------------------------------------------------- reading state

    @property
    def base_url(self) -> str:
        return self.app.base_url

    @property
    def stats(self) -> Stats:
        return self.state.stats

    @property
    def tasks(self) -> dict[str, SimTask]:
        return self.state.tasks

    @property
    def files(self) -> dict[str, FileRecord]:
        return self.state.files

    @property
    def task_seconds(self) -> float:
        return self.state.task_seconds

    @task_seconds.setter
    def task_seconds(self, value: float) -> None:
        """Applies to tasks created from now on."""
        self.state.task_seconds = value

    def charged_credits(self) -> float:
        """Credits charged so far (completed tasks; failed ones are refunded)."""
        return self.state.charged_credits()

    @property
    def currency(self) -> str:
        """The unit of `charged_credits` and `SimTask.credits_reserved`."""
        if self.dialect == "dashscope":
            return dashscope_rules.REGIONS[self.region or dashscope_rules.DEFAULT_REGION].currency
        return "USD" if self.dialect == "fal" else "credits"

    @property
    def concurrency(self) -> int | None:
        """An account's tasks running at once (queue dialects; None: no limit, 0: held)."""
        return self.config.concurrency

    @concurrency.setter
    def concurrency(self, value: int | None) -> None:
        if self.app.queue is None:
            raise ValueError("only the queue dialects (dashscope, fal) have a concurrency limit")
        if value is not None and value < 0:
            raise ValueError("concurrency must be >= 0 or None")
        self.config.concurrency = value
        self.app.queue.reschedule()
        self.state.save()

    def hold_queue(self) -> None:
        """No queued task starts (new ones included) until `release_queue`."""
        self.concurrency = 0

    def release_queue(self) -> None:
        """Back to the dialect's own limit; held tasks start in order."""
        self.concurrency = CONCURRENCY[self.dialect]

    def expire_policies(self) -> None:
        """dashscope: the upload policies handed out so far are past their expiration."""
        queue = self.app.queue
        if queue is None or not hasattr(queue, "expire_policies"):
            raise ValueError("only the dashscope dialect hands out upload policies")
        queue.expire_policies()

    @staticmethod
    def key_owner(api_key: str) -> str:
        """The id under which the simulator knows `api_key` (in `stats.keys`, `SimTask.owner`)."""
        return owner_id(api_key)

    # ---------------------------------------------------------------- test controls

    def fail_next_task(
        self,
        code: str = "content_policy_violation",
        message: str | None = None,
        *,
        after: float | None = None,
    ) -> None:
        """The next created task fails with `code` after `after` s (default: when it would complete)."""
        with self.state.lock:
            self.state.pending_failures.append(ScheduledFailure(code=code, message=message, after=after))

    def fail_task(self, task_id: str, code: str = "service_error", message: str | None = None) -> None:
        """Fail an existing task now."""
        record = self.state.tasks[task_id]
        record.failure = ScheduledFailure(code=code, message=message, after=0)
        if self.app.queue is not None:
            self.app.queue.reschedule(record)  # its slot is free
        self.state.save()

    def expire_results(self, task_id: str | None = None) -> None:
        """Result links (of one task, or all) answer 404 from now on, like links past 24 h."""
        with self.state.lock:
            for record in self.state.tasks.values():
                if task_id is None or record.id == task_id:
                    record.results_expired = True
        self.state.save()

    def expire_task(self, task_id: str | None = None) -> None:
        """The task (or all tasks) answers 404 ``not_found_error``, like an id older than 24 h
        (dashscope: status ``UNKNOWN``; fal: 404)."""
        with self.state.lock:
            for record in self.state.tasks.values():
                if task_id is None or record.id == task_id:
                    record.expired = True
        self.state.save()

    def expire_files(self) -> None:
        """Uploaded file links answer 404 (past their 72 h lifetime)."""
        with self.state.lock:
            for record in self.state.files.values():
                record.expired = True
        self.state.save()

    def reset(self) -> None:
        """Disarm faults, drop scheduled failures and zero the stats (tasks and files stay)."""
        self.faults.clear()
        with self.state.lock:
            self.state.pending_failures.clear()
            self.state.stats = Stats()

    def wait_rendered(self, task_id: str, timeout: float = 30.0) -> SimTask:
        """Block until the task's video is rendered (or its render failed)."""
        deadline = time.monotonic() + timeout
        record = self.state.tasks[task_id]
        while not record.render_done:
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} not rendered after {timeout} s")
            time.sleep(0.02)
        return record

    # ---------------------------------------------------------------- lifecycle

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            loop="asyncio",
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,
        )

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        self.app.base_url = self._public_url or f"http://{shown}:{self.port}"
        self.app.resume_renders()
        if self.notifier is not None:
            self.notifier.start()
        return sock

    def start(self, timeout: float = 10.0) -> Simulator:
        """Serve in a daemon thread; returns once the port accepts connections."""
        if self._thread is not None:
            return self
        self._socket = self._bind()
        self._server = uvicorn.Server(self._config())
        sock = self._socket
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name=f"wan-simulator-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulator did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until Ctrl+C (for `python -m wanvideo.simulator`);
        `on_ready(base_url)` is called once the port is bound."""
        self._socket = self._bind()
        if on_ready is not None:
            on_ready(self.base_url)
        self._server = uvicorn.Server(self._config())
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._cleanup()

    def stop(self) -> None:
        """Stop serving, wait for the render worker, delete the data folder if it was temporary."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self.notifier is not None:
            self.notifier.stop()
        self._renderer.shutdown(wait=True, cancel_futures=True)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Simulator(base_url={self.base_url!r}, dialect={self.dialect!r}, task_seconds={self.task_seconds})"
