"""The spend guard from the UI side (issue 8, item 1): the visitor is the client address, so
new gradio_client sessions from one address share one daily limit; a refusal is a readable
error and nothing is uploaded or created; a visitor's own key is not limited; /estimate says
what is left. Needs the domain's budget (wanvideo.budget, TaskManager.budget_status)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from tests.apprunner import RunningApp, start_app, stop_app
from wanvideo.simulator import Simulator

from .conftest import FAST
from .test_api import generate

pytestmark = pytest.mark.slow

LIMIT = 60  # credits per visitor per day: one 1-reference 5 s generation (38.08) fits, two do not


@pytest.fixture(scope="module")
def guarded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with Simulator(task_seconds=1.0) as sim:
        env = {
            "WAN_PROVIDER": "evolink",
            "WAN_API_KEY": "server-key",
            "WAN_API_BASE_URL": sim.base_url,
            "WAN_FILES_BASE_URL": sim.base_url,
            "WAN_VISITOR_DAILY_CREDIT_LIMIT": str(LIMIT),
            # This test client plays the load balancer: its X-Forwarded-For names the visitor
            # (a request without one is the connection's address, as before).
            "WAN_TRUSTED_PROXIES": "127.0.0.1",
            **FAST,
        }
        app = start_app(tmp_path_factory.mktemp("guarded"), env, simulator=sim)
        yield app
        stop_app(app)


def test_one_address_is_one_visitor_and_a_refusal_sends_nothing(
    guarded_app: RunningApp, videos: dict[str, Path]
) -> None:
    sim = guarded_app.simulator
    _, (_, _, record) = generate(guarded_app, videos["a3"])
    assert record["status"] == "completed"
    est = guarded_app.client().predict(None, "", "720p", 5, api_name="/estimate")
    assert est["budget"]["visitor_left_today"] == pytest.approx(LIMIT - 38.08)

    creates, uploads = sim.stats.creates, sim.stats.uploads
    with pytest.raises(AppError, match=r"(?i)resets") as info:
        generate(guarded_app, videos["a3"])  # a new gradio_client: same address, same visitor
    assert str(LIMIT) in str(info.value) or "limit" in str(info.value).lower()
    assert (sim.stats.creates, sim.stats.uploads) == (creates, uploads)

    _, (_, _, own) = generate(guarded_app, videos["a3"], api_key="visitor-own-key")
    assert own["status"] == "completed"  # a visitor's own key counts against nothing


def test_behind_a_trusted_balancer_two_forwarded_addresses_are_two_visitors(
    guarded_app: RunningApp, videos: dict[str, Path]
) -> None:
    """WAN_TRUSTED_PROXIES: one visitor's spending leaves another's daily limit whole; a spoofed
    entry to the left of the balancer's is ignored."""

    def left(forwarded: str) -> float:
        client = guarded_app.client(headers={"X-Forwarded-For": forwarded})
        return client.predict(None, "", "720p", 5, api_name="/estimate")["budget"]["visitor_left_today"]

    alice, bob = "203.0.113.9", "198.51.100.1"
    assert left(alice) == pytest.approx(LIMIT) and left(bob) == pytest.approx(LIMIT)
    client = guarded_app.client(headers={"X-Forwarded-For": alice})
    job = client.submit(
        prompt="character1 waves", videos=[handle_file(str(videos["a3"]))], duration=5, api_name="/generate"
    )
    *_, record = job.result(timeout=120)
    assert record["status"] == "completed"
    assert left(alice) == pytest.approx(LIMIT - 38.08)
    assert left(bob) == pytest.approx(LIMIT)  # another visitor behind the same balancer
    assert left(f"{bob}, {alice}") == pytest.approx(LIMIT - 38.08)  # bob's word on the left: alice
