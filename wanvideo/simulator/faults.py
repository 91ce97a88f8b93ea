"""Fault injection for the simulator: make the next request(s) misbehave on purpose.

A fault matches requests by route (and optionally method / path substring), lets `skip`
matching requests pass, then fires on the next `times` ones (``times=None``: forever)::

    sim.faults.add("rate_limit", route="create", retry_after=2)        # one 429 + Retry-After: 2
    sim.faults.add("server_error", route="task", status=502, times=2)  # two 502s on polls
    sim.faults.add("error", route="create", status=402)                # any status, right envelope
    sim.faults.add("drop", route="create")        # connection closed before the handler runs
    sim.faults.add("drop_after", route="create")  # handler runs (task created), response lost
    sim.faults.add("slow", route="task", delay=3) # answer only after 3 s (client timeouts)
    sim.faults.add("stall", route="download", delay=3)  # headers + half the body, then a pause
    sim.faults.add("truncate", route="download")  # headers + half the body, then connection closed
    sim.faults.add("expired", route="download", match="/results/")  # 404, as an expired link
    sim.faults.clear()

Routes: ``create`` (POST /v1/videos/generations), ``task`` (GET /v1/tasks/{id}),
``upload`` (the three /api/v1/files/upload/* endpoints), ``download`` (GET/HEAD of uploaded
files and results) and ``*`` (any request, including unknown paths). The queue dialects map
their own paths onto the same names (dashscope: the create, GET /api/v1/tasks/{id}, getPolicy
and the OSS form as ``upload``; fal: the submit, ``status_url``, the storage calls as
``upload``) and add ``cancel`` (DashScope's POST .../cancel, fal's PUT cancel_url) and
``result`` (fal's ``response_url``).

Kinds:

=============  ====================================================================
rate_limit     429 ``rate_limit_error`` with ``Retry-After`` (`retry_after`, default 1)
server_error   `status` 500 (default), 502 or 503, with the documented type per status
error          any `status` (401, 402, 403, 404, 413, ...) with the documented envelope
drop           the TCP connection is closed with no response; the handler never runs
drop_after     the handler runs (a create makes and charges the task), then the
               connection is closed instead of sending its response
slow           sleep `delay` seconds, then handle the request normally
stall          send the status, headers and half of the body, sleep `delay`, then the rest
truncate       send the status, headers and half of the body, then close the connection
expired        404 ``not_found_error`` (a result or file link past its lifetime)
=============  ====================================================================

Error bodies follow the route: the API envelope ``{"error": {...}}`` (code string or integer
by dialect) on API routes and the files-host envelope ``{"success": false, ...}`` on uploads.
The queue dialects answer in their own shapes: DashScope ``{"request_id", "code", "message"}``
(an OSS XML error on its upload host and result links; ``expired`` on ``task`` is the
``UNKNOWN`` status), fal ``{"detail", "error_type"}`` with ``X-Fal-Error-Type``.
Every fired fault is appended to `Faults.fired` and counted in `Stats.faults`.
Thread-safe: tests add faults from their own thread while the server runs in another.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

ROUTES = ("create", "task", "result", "cancel", "upload", "download", "*")
KINDS = (
    "rate_limit",
    "server_error",
    "error",
    "drop",
    "drop_after",
    "slow",
    "stall",
    "truncate",
    "expired",
)
# Kinds that answer in place of the handler with an error response.
ERROR_KINDS = ("rate_limit", "server_error", "error", "expired")


@dataclass
class Fault:
    """One armed fault. `hits` counts how often it fired, `seen` how many requests matched."""

    kind: str
    route: str = "*"
    times: int | None = 1
    skip: int = 0
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    message: str | None = None
    method: str | None = None
    match: str | None = None
    hits: int = 0
    seen: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, route: str, method: str, path: str) -> bool:
        if self.route != "*" and self.route != route:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self.match and self.match not in path)

    def response_status(self) -> int:
        """The HTTP status an error-kind fault answers with."""
        if self.kind == "rate_limit":
            return 429
        if self.kind == "expired":
            return 404
        return self.status or 500


@dataclass
class FiredFault:
    route: str
    kind: str
    method: str
    path: str


@dataclass
class Faults:
    """The armed faults of one simulator. See the module docstring for the kinds."""

    _faults: list[Fault] = field(default_factory=list)
    fired: list[FiredFault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(
        self,
        kind: str,
        route: str = "*",
        *,
        times: int | None = 1,
        skip: int = 0,
        status: int | None = None,
        retry_after: float | None = None,
        delay: float | None = None,
        message: str | None = None,
        method: str | None = None,
        match: str | None = None,
    ) -> Fault:
        """Arm a fault; returns it so a test can read `hits` later."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(KINDS)}")
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; choose one of {', '.join(ROUTES)}")
        if kind == "server_error" and status is not None and not 500 <= status <= 599:
            raise ValueError("server_error takes a 5xx status")
        if kind == "error" and (status is None or not 400 <= status <= 599):
            raise ValueError("error takes a 4xx or 5xx status, e.g. status=402")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        if kind == "slow" and delay is None:
            delay = 5.0
        if kind == "stall" and delay is None:
            delay = 5.0
        if kind == "rate_limit" and retry_after is None:
            retry_after = 1
        fault = Fault(
            kind=kind,
            route=route,
            times=times,
            skip=skip,
            status=status,
            retry_after=retry_after,
            delay=delay or 0.0,
            message=message,
            method=method,
            match=match,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault (the `fired` history is kept)."""
        with self._lock:
            self._faults.clear()

    def take(self, route: str, method: str, path: str) -> Fault | None:
        """The first armed fault for this request, consumed by one; None to handle normally."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(route, method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.hits += 1
                self.fired.append(FiredFault(route, fault.kind, method, path))
                self._faults = [f for f in self._faults if not f.exhausted]
                return fault
        return None

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.exhausted]

    def __len__(self) -> int:
        return len(self.armed)
