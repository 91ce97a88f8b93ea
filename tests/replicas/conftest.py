"""Several replicas of the app as real processes: `python app.py` twice, one PostgreSQL
(tests/engines/postgres.py), one S3 bucket for the saved videos (tests/engines/s3.py, as
`WAN_STORAGE_URL`), one provider (a Simulator in this test process, so it outlives any
replica), one WAN_SESSION_SECRET; each replica its own data folder. As root each replica runs in its own UTS namespace with its own host name
(`unshare --uts`), so the replicas are different machines to the lease code: a dead replica's
tasks are taken over when its lease runs out, never because its pid is seen gone.

    cluster.start("a", data=...)      # RunningApp; cluster.kill("a") sends SIGKILL
    cluster.sim.stats.creates         # what the provider saw, all replicas together
    cluster.store                     # a PostgresTaskStore on the replicas' database
    cluster.s3.keys(cluster.bucket)   # the saved videos and posters, all replicas together
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.apprunner import RunningApp, clean_env, free_port, launch, stop
from tests.engines.postgres import PostgresServer
from tests.engines.s3 import S3Server
from wanvideo.simulator import Simulator
from wanvideo.store.pg_store import PostgresTaskStore

LEASE_SECONDS = 3  # short, so a killed replica's task is taken over within seconds
DAILY_LIMIT = 1000  # credits; each test that needs a tight limit fills the day up to it first
FAST = {"WAN_POLL_MIN_INTERVAL": "0.2", "WAN_POLL_MAX_INTERVAL": "0.5"}


def _own_host_names() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None and shutil.which("hostname") is not None


@dataclass
class Cluster:
    tmp: Path
    url: str
    sim: Simulator
    store: PostgresTaskStore
    s3: S3Server
    bucket: str
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    apps: dict[str, RunningApp] = field(default_factory=dict)

    def env(self, name: str, data: Path) -> dict[str, str]:
        return {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "server-key",
            "WAN_API_BASE_URL": self.sim.base_url,
            "WAN_FILES_BASE_URL": self.sim.base_url,
            "WAN_DATABASE_URL": self.url,
            "WAN_SESSION_SECRET": self.secret,
            "WAN_LEASE_SECONDS": str(LEASE_SECONDS),
            "WAN_DAILY_CREDIT_LIMIT": str(DAILY_LIMIT),
            "WAN_DATA_DIR": str(data),
            "WAN_STORAGE_URL": f"s3://{self.bucket}/wan",
            **self.s3.env,
            **FAST,
        }

    def start(self, name: str, data: Path | None = None) -> RunningApp:
        """Start replica `name` (host name `replica-<name>` where we may set one)."""
        folder = self.tmp / f"{name}-{secrets.token_hex(2)}"
        folder.mkdir(parents=True)
        data = data or folder / "data"
        env = clean_env(free_port(), folder, self.env(name, data))
        args = [sys.executable, "app.py"]
        if _own_host_names():
            args = [
                "unshare",
                "--uts",
                "sh",
                "-c",
                f'hostname replica-{name} && exec "$0" app.py',
                sys.executable,
            ]
        log_path, downloads = folder / "app.log", folder / "downloads"
        downloads.mkdir()
        with open(log_path, "ab") as log:
            try:
                proc, url, _ = launch(args, env, output=log, poll=0.2)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}:\n{log_path.read_text(errors='replace')[-3000:]}") from None
        self.apps[name] = RunningApp(
            url=url, process=proc, log_path=log_path, downloads=downloads, data_dir=data, simulator=self.sim
        )
        return self.apps[name]

    def start_many(self, *names: str) -> list[RunningApp]:
        with ThreadPoolExecutor(len(names)) as pool:
            return list(pool.map(self.start, names))

    def kill(self, name: str) -> None:
        stop(self.apps.pop(name).process, signal.SIGKILL)

    def stop_all(self) -> None:
        apps, self.apps = list(self.apps.values()), {}
        with ThreadPoolExecutor(max(1, len(apps))) as pool:  # they shut down side by side
            list(pool.map(lambda app: stop(app.process), apps))


@pytest.fixture(scope="module")
def cluster(
    postgres: PostgresServer, s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    url = postgres.new_database()
    tmp = tmp_path_factory.mktemp("replicas")
    with Simulator(task_seconds=1.0, port=free_port()) as sim:
        store = PostgresTaskStore(url, base_dir=tmp, pool_size=2)
        group = Cluster(tmp=tmp, url=url, sim=sim, store=store, s3=s3_server, bucket=s3_server.new_bucket())
        try:
            yield group
        finally:
            group.stop_all()
            store.close()
