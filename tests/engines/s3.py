"""A real S3 server on 127.0.0.1 for the tests: moto's server mode (`python -m moto.server`,
from requirements-dev.txt) in a subprocess on a free port, started once per test session.

    # the fixtures are a pytest plugin (tests/conftest.py `pytest_plugins`)
    def test_x(s3_server):
        bucket = s3_server.new_bucket()        # a fresh bucket per test
        s3_server.env                          # AWS_* for a subprocess (python app.py)
        s3_server.client()                     # a boto3 client on it
    def test_y(s3_demo_app):                   # python app.py (demo) saving into a bucket
        app, bucket = s3_demo_app
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.apprunner import RunningApp, free_port, start_app, stop, stop_app

START_TIMEOUT = 30.0
# The smallest part the server accepts (real S3: 5 MiB, which the app's 8 MiB parts respect):
# lowered so a test can upload the simulator's small videos in several parts.
MIN_PART = 16 * 1024
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing-key-id",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
    "AWS_REGION": "us-east-1",
}


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen[bytes]
    _names: Iterator[int] = field(default_factory=itertools.count)

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables pointing at this server (what boto3 reads itself)."""
        return {"AWS_ENDPOINT_URL": self.endpoint, **_CREDENTIALS}

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=_CREDENTIALS["AWS_REGION"],
            aws_access_key_id=_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def new_bucket(self) -> str:
        name = f"wan-test-{os.getpid()}-{next(self._names)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> dict[str, int]:
        """Every object in the bucket: key -> size."""
        answer = self.client().list_objects_v2(Bucket=bucket)
        return {item["Key"]: item["Size"] for item in answer.get("Contents", [])}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = free_port()
    log = open(tmp_path_factory.mktemp("s3") / "moto.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "S3_UPLOAD_PART_MIN_SIZE": str(MIN_PART)},
    )
    endpoint = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {proc.returncode}")
            try:
                if httpx.get(f"{endpoint}/moto-api/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > START_TIMEOUT:
                raise RuntimeError("moto server did not answer")
            time.sleep(0.05)
        yield S3Server(endpoint, proc)  # in-process code is given `client()`; no global env
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="session")
def s3_demo_app(
    s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningApp, str]]:
    """`python app.py` in demo mode with WAN_STORAGE_URL=s3://<fresh bucket>/wan and the AWS
    variables pointing at the server (shared by the app and browser tests: one start)."""
    bucket = s3_server.new_bucket()
    env = {
        "WAN_DEMO_TASK_SECONDS": "1",
        "WAN_POLL_MIN_INTERVAL": "0.2",
        "WAN_POLL_MAX_INTERVAL": "0.5",
        **s3_server.env,
        "WAN_STORAGE_URL": f"s3://{bucket}/wan",
    }
    app = start_app(tmp_path_factory.mktemp("s3-app"), env)
    yield app, bucket
    stop_app(app)
