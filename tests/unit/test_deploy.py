"""The several-replicas deployment files (docker-compose.yml, deploy/haproxy.cfg) agree with
the app: no container engine exists on the build machine, so this reads them instead (their
topology runs with real processes in tests/replicas/)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from wanvideo.settings import ENV_NAME_FOR_FIELD

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_compose_file_runs_two_replicas_on_one_database_bucket_and_secret() -> None:
    services = _compose()["services"]
    assert {"postgres", "minio", "app1", "app2", "lb"} <= set(services)
    one, two = services["app1"]["environment"], services["app2"]["environment"]
    assert one == two  # the same database, bucket and secret
    assert (
        one["WAN_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in one["WAN_DATABASE_URL"]
    )
    assert "WAN_SESSION_SECRET" in one and one["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert services["app1"]["volumes"] != services["app2"]["volumes"]  # each its own folder
    known = set(ENV_NAME_FOR_FIELD.values())
    assert {name for name in one if name.startswith("WAN_")} <= known


def test_the_load_balancer_is_sticky_and_sends_to_both_replicas() -> None:
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    lb = _compose()["services"]["lb"]
    assert any("deploy/haproxy.cfg" in volume for volume in lb["volumes"])
    assert re.search(r"^\s*cookie \S+ insert", config, re.M)  # sticky sessions
    servers = re.findall(r"^\s*server (\S+) (\S+):7860 .*cookie (\S+)$", config, re.M)
    assert {(name, host) for name, host, _ in servers} == {("app1", "app1"), ("app2", "app2")}
