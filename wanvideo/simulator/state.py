"""The simulator's memory: tasks, uploaded files, idempotency keys and request statistics.

A task's status is a pure function of the clock (``pending`` -> ``processing`` -> ``completed``
over `task_seconds`), of its render (a task completes only once its video is on disk) and of
the failures a test scheduled. Everything here is read by tests from their own thread, so
mutations take `SimState.lock`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import secrets
import string
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wanvideo.fsutil import write_private

from .contract import contract

log = logging.getLogger(__name__)

_ID_ALPHABET = string.ascii_lowercase + string.digits
STATE_FILE = "state.json"
# The model and the reference limits are the same in both dialects' documents.
_RULES = contract("string")
PENDING_FRACTION = 0.15  # share of task_seconds spent in "pending"


def new_task_id(now: float) -> str:
    return f"task-unified-{int(now)}-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def new_file_id() -> str:
    return "file_" + secrets.token_hex(10)


def owner_id(api_key: str) -> str:
    """Who owns a task or file: a hash of the key, so no key is kept in memory or on disk."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:24]


@dataclass
class ScheduledFailure:
    """Make a task fail with `code` once `after` seconds have passed (default: task_seconds)."""

    code: str = "content_policy_violation"
    message: str | None = None
    after: float | None = None
    at_start: bool = False  # fail as the task leaves the queue (a request refused by the runner)


@dataclass
class SimTask:
    """One task of the simulated provider (not the app's `wanvideo.store.TaskRecord`).
    `status`/`progress` are computed from the clock on every read."""

    id: str
    owner: str
    created: float
    task_seconds: float
    prompt: str
    video_urls: list[str]
    quality: str
    aspect_ratio: str
    duration: int
    shot_type: str
    callback_url: str | None
    credits_reserved: float
    reference_durations: list[float | None] = field(default_factory=list)
    reference_paths: list[str] = field(default_factory=list)  # local copies, for the render
    idempotency_key: str | None = None
    failure: ScheduledFailure | None = None
    render_path: Path | None = None
    render_done: bool = False
    render_error: str | None = None
    render_seconds: float | None = None
    results_expired: bool = False
    expired: bool = False  # the task itself is gone (GET answers 404)
    completed_at: float | None = None
    polls: int = 0
    # The queue dialects (dashscope, fal) set these; the EvoLink dialects keep the defaults.
    dialect: str = "string"
    starts_at: float | None = None  # leaves the queue then (None: created + the pending share)
    held: bool = False  # queued with no start time yet (the queue is held)
    cancelled_at: float | None = None
    notified: bool = False  # the completion callback was delivered, or given up
    notify_attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # the dialect's own fields

    @property
    def elapsed(self) -> float:
        return time.time() - self.created

    @property
    def start_time(self) -> float:
        """When the task leaves the queue (inf while held)."""
        if self.held:
            return math.inf
        if self.starts_at is not None:
            return self.starts_at
        return self.created + self.task_seconds * PENDING_FRACTION

    @property
    def end_time(self) -> float:
        """When its time is up (it completes then, once its video is on disk)."""
        return self.start_time + self.task_seconds * (1 - PENDING_FRACTION)

    def failure_due(self) -> float:
        """When the scheduled failure fires (inf without one)."""
        if self.render_error is not None and self.render_done:
            return self.created
        if self.failure is None:
            return math.inf
        if self.failure.at_start:
            return self.start_time
        if self.failure.after is None:
            return self.end_time
        return self.created + self.failure.after

    def _failure_now(self) -> ScheduledFailure | None:
        if self.render_error is not None and self.render_done:
            return ScheduledFailure(code="generation_failed_no_content", message=self.render_error, after=0)
        if self.failure is None:
            return None
        return self.failure if time.time() >= self.failure_due() else None

    def failure_now(self) -> ScheduledFailure | None:
        """The failure that has fired, if any."""
        return self._failure_now()

    @property
    def status(self) -> str:
        """pending, processing, completed, failed or (queue dialects) cancelled."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self._failure_now() is not None:
            return "failed"
        now = time.time()
        if now < self.start_time:
            return "pending"
        if now >= self.end_time and self.render_done:
            return "completed"
        return "processing"

    @property
    def progress(self) -> int:
        status = self.status
        if status == "completed":
            return 100
        if status in ("pending", "failed") or self.task_seconds <= 0:
            return 0
        return max(1, min(99, int(100 * self.elapsed / self.task_seconds)))

    def snapshot(self, base_url: str, *, create_response: bool = False) -> dict[str, Any]:
        """The task object as the API returns it (create response or task query)."""
        status = "pending" if create_response else self.status
        progress = 0 if create_response else self.progress
        left = max(0.0, self.task_seconds - self.elapsed)
        body: dict[str, Any] = {
            "created": int(self.created),
            "id": self.id,
            "model": self.extra.get("model") or _RULES.model,
            "object": "video.generation.task",
            "progress": progress,
            "status": status,
            "task_info": {"can_cancel": status == "pending"},
            "type": "video",
            "usage": {
                "billing_rule": "per_call",
                "credits_reserved": self.credits_reserved,
                "user_group": "default",
            },
        }
        if status in ("pending", "processing"):
            body["task_info"]["estimated_time"] = (
                max(1, math.ceil(left)) if status == "processing" else math.ceil(left)
            )
        if status == "completed":
            body["results"] = [f"{base_url}/results/{self.id}.mp4"]
            body["task_info"]["video_duration"] = self.duration
            body["usage"]["credits_used"] = self.credits_reserved
            body["billing"] = {
                "reserved_credits": self.credits_reserved,
                "charged_credits": self.credits_reserved,
                "refunded_credits": 0,
            }
        elif status == "failed":
            failure = self._failure_now()
            assert failure is not None
            body["error"] = {
                "code": failure.code,
                "message": failure.message or _FAILURE_MESSAGES.get(failure.code, "The generation failed."),
            }
            body["usage"]["credits_used"] = 0
            body["billing"] = {
                "reserved_credits": self.credits_reserved,
                "charged_credits": 0,
                "refunded_credits": self.credits_reserved,
            }
        return body


_FAILURE_MESSAGES = {
    "content_policy_violation": "The request was rejected by the content safety policy.",
    "invalid_parameters": (
        f"A reference video does not meet the requirements ({'/'.join(_RULES.reference_formats)}, "
        f"{_RULES.min_reference_seconds:g}-{_RULES.max_reference_seconds:g} s, "
        f"at most {_RULES.max_reference_mb} MB)."
    ),
    "generation_failed_no_content": "The model produced no content.",
    "generation_timeout": "The generation timed out.",
    "service_error": "The upstream service had an error.",
    "resource_not_found": "A reference video could not be fetched.",
    "request_cancelled": "The task was cancelled.",
}


@dataclass
class FileRecord:
    """A file on the simulated files host, stored at `path`."""

    file_id: str
    file_name: str
    original_name: str
    path: Path
    size: int
    mime_type: str
    upload_path: str
    uploaded: float
    owner: str
    expired: bool = False
    bound_model: str | None = None  # DashScope temporary uploads: usable with this model only

    def data(self, base_url: str) -> dict[str, Any]:
        url = f"{base_url}/files/{self.file_id}/{self.file_name}"
        return {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "original_name": self.original_name,
            "file_size": self.size,
            "mime_type": self.mime_type,
            "upload_path": self.upload_path,
            "file_url": url,
            "download_url": url,
            "upload_time": _iso(self.uploaded),
            "expires_at": _iso(self.uploaded + 72 * 3600),
        }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass
class Stats:
    """Request counters. `creates` counts POSTs that reached the create handler (replays and
    refusals included); `tasks_created` counts new (chargeable) tasks."""

    requests: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status); 0 = dropped
    # (method, path, owner_id of the Bearer key or None): which key each request carried,
    # hashed like every owner here, so a test can tell a visitor's key from the server's.
    keys: list[tuple[str, str, str | None]] = field(default_factory=list)
    routes: Counter[str] = field(default_factory=Counter)  # requests per route name
    creates: int = 0
    tasks_created: int = 0
    replays: int = 0
    task_gets: int = 0
    uploads: int = 0
    downloads: int = 0
    cancels: int = 0
    faults: Counter[str] = field(default_factory=Counter)  # fired faults per kind
    # (task id, url, HTTP status or 0 when it could not be delivered): each callback attempt.
    callbacks: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class SimState:
    """Tasks, files and idempotency records of one simulator."""

    data_dir: Path
    task_seconds: float
    tasks: dict[str, SimTask] = field(default_factory=dict)
    files: dict[str, FileRecord] = field(default_factory=dict)
    # (api key, Idempotency-Key) -> (task id, request fingerprint, original response body)
    idempotency: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    pending_failures: list[ScheduledFailure] = field(default_factory=list)
    stats: Stats = field(default_factory=Stats)
    lock: threading.RLock = field(default_factory=threading.RLock)
    persist: bool = False  # keep tasks, files and idempotency records in data_dir/state.json

    def __post_init__(self) -> None:
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        if self.persist:
            self.load()

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    def charged_credits(self) -> float:
        """Credits charged so far: completed tasks only (failures are refunded)."""
        with self.lock:
            return round(sum(t.credits_reserved for t in self.tasks.values() if t.status == "completed"), 2)

    def file_for_url(self, url: str) -> FileRecord | None:
        """The stored upload a URL points at (``.../files/<file_id>/<name>``), if it is one of ours.
        Matched by its random id, so links from before a restart on another port still resolve."""
        path = urlsplit(url).path
        if not path.startswith("/files/"):
            return None
        return self.files.get(path[len("/files/") :].split("/", 1)[0])

    # ------------------------------------------------------------ persistence (opt-in)

    def save(self) -> None:
        """Write tasks, files and idempotency records to `data_dir/state.json` (atomic, 0600)."""
        if not self.persist:
            return
        with self.lock:
            payload = {
                "version": 1,
                "tasks": [_to_json(t) for t in self.tasks.values()],
                "files": [_to_json(f) for f in self.files.values()],
                "idempotency": [
                    [o, k, tid, fp, body] for (o, k), (tid, fp, body) in self.idempotency.items()
                ],
            }
            write_private(self.data_dir / STATE_FILE, json.dumps(payload).encode())

    def load(self) -> None:
        """Read `state.json` if present; tasks whose render never finished are marked for rendering."""
        path = self.data_dir / STATE_FILE
        if not path.exists():
            return
        try:
            payload = json.loads(path.read_text())
            for item in payload.get("tasks", []):
                failure = item.pop("failure", None)
                record = SimTask(
                    **{**item, "render_path": Path(item["render_path"]) if item.get("render_path") else None}
                )
                record.failure = ScheduledFailure(**failure) if failure else None
                if record.render_path is not None and not record.render_path.exists():
                    record.render_done = False
                self.tasks[record.id] = record
            for item in payload.get("files", []):
                self.files[item["file_id"]] = FileRecord(**{**item, "path": Path(item["path"])})
            for owner, key, task_id, fingerprint, body in payload.get("idempotency", []):
                self.idempotency[(owner, key)] = (task_id, fingerprint, body)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("simulator: ignoring unreadable %s: %s", path, exc)


def _to_json(record: Any) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}
