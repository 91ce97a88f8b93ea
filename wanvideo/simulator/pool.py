"""Demo mode's simulators: one per dialect (and DashScope region), started on first use.

    pool = SimulatorPool(task_seconds=15, data_dir=data / "simulator")
    pool.adopt(Simulator(...).start())        # the one app.py starts for the configured provider
    pool.base_url("fal")                      # starts a fal simulator the first time
    pool.base_url("dashscope", "virginia")
    pool.stop()                               # every simulator it started or adopted

Thread-safe: two first generations on the same dialect share one simulator.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .server import Simulator


class SimulatorPool:
    def __init__(self, task_seconds: float, data_dir: Path) -> None:
        self.task_seconds = task_seconds
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str | None], Simulator] = {}

    def adopt(self, simulator: Simulator) -> Simulator:
        """Keep an already started simulator (stopped with the pool)."""
        with self._lock:
            self._running[(simulator.dialect, simulator.region)] = simulator
        return simulator

    def get(self, dialect: str, region: str | None = None) -> Simulator:
        """The running simulator of this dialect (and region), started now if needed."""
        key = (dialect, region)
        with self._lock:
            found = self._running.get(key)
            if found is None:
                folder = self.data_dir / "-".join(p for p in (dialect, region) if p)
                found = Simulator(
                    task_seconds=self.task_seconds, dialect=dialect, region=region, data_dir=folder
                ).start()
                self._running[key] = found
            return found

    def base_url(self, dialect: str, region: str | None = None) -> str:
        return self.get(dialect, region).base_url

    @property
    def running(self) -> list[Simulator]:
        with self._lock:
            return list(self._running.values())

    def stop(self) -> None:
        with self._lock:
            running, self._running = list(self._running.values()), {}
        for simulator in running:
            simulator.stop()
