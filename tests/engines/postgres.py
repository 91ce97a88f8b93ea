"""A real PostgreSQL for the tests, started by the test run itself (pytest plugin, loaded by
tests/conftest.py): Debian's `postgresql` package (scripts/test.sh installs it), `initdb` and
`pg_ctl` into a temporary folder, listening on 127.0.0.1 on a free port, one server per
pytest process (each xdist worker has its own), started on first use and stopped at the end.
initdb refuses root, so as root the server runs as the `postgres` user (the package makes it)
or `nobody`, in a folder that user owns.

    def test_x(pg_url):            # a fresh, empty database for this test
        store = PostgresTaskStore(pg_url, base_dir=tmp_path)
    def test_y(postgres):          # the server: postgres.new_database(), postgres.admin_url

Without PostgreSQL the tests that need it are skipped, and fail under CI=true.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Fast and throwaway: no fsync, nothing kept across a crash of the test server.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl: the newest /usr/lib/postgresql/<version>/bin (where
    Debian's package puts them), else the PATH's."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]), reverse=True
    )
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_as_user() -> str | None:
    """The user to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither the postgres nor the nobody user exists")


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int
    user: str | None

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        head = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*head, *args]

    def start(self) -> None:
        data, log = self.folder / "data", self.folder / "server.log"
        if self.user:
            shutil.chown(self.folder, self.user)
        subprocess.run(
            self._cmd(
                str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"
            ),
            check=True,
            capture_output=True,
            cwd=self.folder,
        )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} {SERVER_OPTIONS}"
        done = subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"
            ),
            capture_output=True,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed: {done.stderr.decode()}\n{log.read_text(errors='replace')}"
            )

    def restart(self) -> None:
        """Stop (every connection dropped, as a failover does; `fast` keeps the data, which the
        test server does not fsync) and start again."""
        data = str(self.folder / "data")
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", data, "-m", "fast", "stop"),
            check=True,
            capture_output=True,
            cwd=self.folder,
        )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} {SERVER_OPTIONS}"
        log = str(self.folder / "server.log")
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "start"),
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

    def stop(self) -> None:
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"
            ),
            capture_output=True,
            cwd=self.folder,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bindir = binaries()
    if bindir is None:
        _missing("PostgreSQL is not installed (scripts/test.sh installs Debian's postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install -r requirements.txt)")
    assert bindir is not None
    folder = Path(tempfile.mkdtemp(prefix="wan-pg-"))
    server = PostgresServer(bindir=bindir, folder=folder, port=_free_port(), user=run_as_user())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    return postgres.new_database()
