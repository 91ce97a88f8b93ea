"""Progress from a running sandbox job to the parent: `report(payload)`.

A job module (`transcode`) imports this, never the worker, so the worker can import its jobs
explicitly (`worker.JOBS`) without an import cycle. The worker sets the pipe and the running
job's id; outside a worker `report` does nothing.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any

_conn: Connection | None = None
_job_id: int | None = None


def attach(conn: Connection) -> None:
    """The pipe to the parent (called once, by the worker)."""
    global _conn
    _conn = conn


def running(job_id: int | None) -> None:
    """The job now running (None between jobs)."""
    global _job_id
    _job_id = job_id


def report(payload: Any) -> None:
    """Send progress for the running job to the parent (no-op outside a worker)."""
    if _conn is not None and _job_id is not None:
        _conn.send(("report", _job_id, payload))
