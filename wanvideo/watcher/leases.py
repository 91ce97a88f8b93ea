"""Worker leases: which app process watches which task, when several share one data folder.

A worker holds a task's lease while it watches it and renews it every `RENEW_EVERY` seconds;
a lease not renewed within `TTL` seconds is free again. A renewal that finds the lease taken
(this worker stalled past the TTL and another one claimed the task) reports the task as lost,
and its watch stops: two workers never keep watching one task.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable

from ..store import TaskStoreBase
from ..timings import LEASE_RENEW_EVERY, LEASE_TTL

__all__ = ["RENEW_EVERY", "TTL", "LeaseKeeper", "new_worker_id", "renew_every", "worker_is_dead"]

TTL = LEASE_TTL
RENEW_EVERY = LEASE_RENEW_EVERY


def renew_every(ttl: float) -> float:
    """How often a lease of `ttl` seconds is renewed: the same share as the defaults (a third)."""
    return ttl * RENEW_EVERY / TTL


# Workers of this very process that are running (several managers may share a process, e.g.
# in tests); any other id with our pid is an earlier incarnation, e.g. pid 1 before a restart.
_RUNNING_HERE: set[str] = set()


def new_worker_id() -> str:
    """host:pid:random, so a restarted process with a reused pid is still a new worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_is_dead(worker: str, me: str) -> bool:
    """True when `worker` is a process on this host that no longer runs (or an earlier
    incarnation of this process id, e.g. pid 1 in a restarted container)."""
    try:
        host, pid_text, _ = worker.split(":")
        pid = int(pid_text)
    except ValueError:
        return False
    if worker == me or host != socket.gethostname():
        return False
    if pid == os.getpid():
        return worker not in _RUNNING_HERE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LeaseKeeper:
    """This worker's side of the leases in the store."""

    def __init__(self, store: TaskStoreBase, worker: str | None = None, ttl: float = TTL) -> None:
        self.store = store
        self.worker = worker or new_worker_id()
        self.ttl = ttl

    def open(self) -> None:
        """This worker runs: other workers of this process must not take its leases."""
        _RUNNING_HERE.add(self.worker)

    def close(self) -> None:
        _RUNNING_HERE.discard(self.worker)

    def claim(self, record_id: str, *, take_from_dead: bool = False) -> bool:
        """Take the lease when it is free, expired or ours (or a dead worker's, when asked)."""
        dead = self.dead_workers() if take_from_dead else ()
        return self.store.claim(record_id, self.worker, self.ttl, steal_from=dead)

    def renew(self, record_ids: Iterable[str]) -> list[str]:
        """Renew our leases; returns the ids whose lease another worker holds now."""
        return [rid for rid in record_ids if not self.store.renew(rid, self.worker, self.ttl)]

    def release(self, record_id: str) -> None:
        self.store.release(record_id, self.worker)

    def dead_workers(self) -> list[str]:
        return [w for w in self.store.lease_holders() if worker_is_dead(w, self.worker)]
