"""The owner's console's domain (issue 19): the report's figures as pure functions over
records, the visitor pseudonyms, who may open it, the CSV, the controls kept in the store
(shared by every process on the database), and the pause and the overrides applied where a
generation is accepted."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from components.owner_view import parse_overrides
from wanvideo.batch import KIND_FILM
from wanvideo.budget import Limit, Limits, SpendRefused, with_overrides
from wanvideo.console import OwnerAccess, OwnerConsole, SpendAlert, build_report, pseudonym, tasks_csv
from wanvideo.console.report import (
    differences,
    limit_uses,
    spend_by_day,
    spend_by_provider,
    spend_by_visitor,
    spent,
    task_row,
)
from wanvideo.controls import OwnerControls
from wanvideo.settings import load_settings
from wanvideo.store import COMPLETED, FAILED, KEY_VISITOR, PROCESSING, TaskRecord, TaskStore
from wanvideo.watcher.spend_guard import SpendGuard

NOW = datetime(2026, 11, 21, 15, 30, tzinfo=timezone.utc).timestamp()
DAY = 86400.0
KEY = b"k" * 32


def rec(
    *,
    age: float = 0.0,
    visitor: str = "ip:198.51.100.7",
    estimate: str | None = "38.08",
    charged: str | None = "38.08",
    status: str = COMPLETED,
    provider: str = "evolink",
    model: str = "standard",
    own_key: bool = False,
    spend: str | None = None,
) -> TaskRecord:
    record = TaskRecord.new(
        owner="anon:" + "a" * 32,
        provider=provider,
        model=model,
        request={"prompt": "p"},
        estimate={"credits": estimate, "unit": "credits"} if estimate is not None else None,
        now=NOW - age,
        visitor=visitor,
        key_source=KEY_VISITOR if own_key else "server",
        spend_credits=None if spend is None else Decimal(spend),
    )
    fields: dict[str, Any] = {
        "status": status,
        "credits_charged": None if charged is None else Decimal(charged),
    }
    if status in (COMPLETED, FAILED):
        fields |= {"submitted_at": record.created_at + 2, "finished_at": record.created_at + 42}
    return TaskRecord(**{**record.__dict__, **fields})


# ---------------------------------------------------------------- pseudonyms


def test_pseudonym_is_short_stable_keyed_and_never_the_address():
    a = pseudonym("ip:198.51.100.7", KEY)
    assert a == pseudonym("ip:198.51.100.7", KEY) and a.startswith("v-") and len(a) == 10
    assert a != pseudonym("ip:198.51.100.8", KEY)  # another visitor
    assert a != pseudonym("ip:198.51.100.7", b"x" * 32)  # another app's secret: no guessing
    assert "198" not in a and "ip" not in a
    assert pseudonym(None, KEY) == "-"


# ---------------------------------------------------------------- the figures


def test_days_are_thirty_utc_days_with_estimate_and_charge_of_the_server_key_only():
    records = [
        rec(age=0, estimate="10", charged="9"),
        rec(age=0, estimate="5", charged=None, status=PROCESSING),
        rec(age=0, estimate="100", charged="100", own_key=True),  # the visitor's money
        rec(age=3 * DAY, estimate="20", charged="20"),
        rec(age=40 * DAY, estimate="99", charged="99"),  # outside the 30 days
    ]
    days = spend_by_day(records, NOW)
    assert (
        len(days) == 30
        and days[-1].day.isoformat() == "2026-11-21"
        and days[0].day.isoformat() == "2026-10-23"
    )
    assert (days[-1].tasks, days[-1].estimate, days[-1].charged) == (2, Decimal(15), Decimal(9))
    assert (days[-4].tasks, days[-4].estimate) == (1, Decimal(20))
    assert sum(d.tasks for d in days) == 3


def test_per_provider_and_model_largest_first():
    records = [
        rec(provider="evolink", model="standard", estimate="10"),
        rec(provider="fal", model="flash", estimate="30", charged="31"),
        rec(provider="evolink", model="standard", estimate="15"),
        rec(provider="fal", model="flash", estimate="1", own_key=True),
    ]
    rows = spend_by_provider(records)
    assert [(r.provider, r.model, r.tasks, r.estimate) for r in rows] == [
        ("fal", "flash", 1, Decimal(30)),
        ("evolink", "standard", 2, Decimal(25)),
    ]


def test_per_visitor_top_twenty_by_pseudonym():
    records = [rec(visitor=f"ip:10.0.0.{i}", estimate=str(i), charged=str(i)) for i in range(1, 26)]
    rows = spend_by_visitor(records, KEY, NOW)
    assert len(rows) == 20
    assert rows[0].visitor == pseudonym("ip:10.0.0.25", KEY) and rows[0].charged == Decimal(25)
    assert rows[-1].charged == Decimal(6)
    assert not any("10.0.0" in r.visitor for r in rows)


def test_differences_are_tasks_charged_other_than_estimated():
    rows = [
        task_row(r, KEY)
        for r in (rec(estimate="10", charged="10"), rec(estimate="10", charged="12"), rec(charged=None))
    ]
    found = differences(rows)
    assert [(r.estimate, r.charged) for r in found] == [(Decimal(10), Decimal(12))]


def test_what_a_task_counts_against_the_limits():
    assert spent(rec(spend="20", charged="38.08")) == Decimal(20)  # the store's reservation wins
    assert spent(rec(estimate="10", charged="12")) == Decimal(12)  # demo: the charge
    assert spent(rec(estimate="10", charged=None, status=PROCESSING)) == Decimal(10)  # reserved
    assert spent(rec(estimate="10", charged=None, status=FAILED)) == 0  # failed uncharged: released
    assert spent(rec(estimate="10", charged="10", own_key=True)) == 0  # the visitor's own key


def test_todays_use_against_each_limit():
    records = [
        rec(visitor="ip:a", charged="30"),
        rec(visitor="ip:a", charged="10"),
        rec(visitor="ip:b", charged="25"),
        rec(visitor="ip:b", charged=None, estimate="5", status=PROCESSING),
        rec(visitor="ip:c", charged="50", age=DAY),  # yesterday
    ]
    uses = {u.limit: u for u in limit_uses(Limits(Decimal(100), Decimal(40), 2, "configured"), records, NOW)}
    assert uses[Limit.DAILY].used == Decimal(70) and not uses[Limit.DAILY].reached
    assert uses[Limit.VISITOR_DAILY].used == Decimal(40) and uses[Limit.VISITOR_DAILY].reached
    assert uses[Limit.VISITOR_ACTIVE].used == 1


def test_report_json_has_the_contract_and_no_visitor_id():
    records = [rec(age=0), rec(age=DAY, visitor="hf:alice", charged="40")]
    report = build_report(
        records,
        now=NOW,
        limits=Limits(None, None, 2, "none"),
        paused=True,
        alert_threshold=Decimal(30),
        key=KEY,
    )
    data = report.to_json()
    assert {"days", "providers", "visitors", "tasks", "limits", "paused"} <= set(data)
    assert data["paused"] is True and len(data["tasks"]) == 2
    assert data["tasks"][0] == {
        "when": "2026-11-21T15:30:00Z",
        "visitor": pseudonym("ip:198.51.100.7", KEY),
        "provider": "evolink",
        "model": "standard",
        "status": "completed",
        "estimate": 38.08,
        "charged": 38.08,
        "unit": "credits",
        "seconds": 40.0,
        "key": "server",
    }
    assert data["differences"][0]["difference"] == pytest.approx(1.92)
    assert (
        data["alert"] == {"threshold": 30, "spent_today": 38.08, "crossed": True} or data["alert"]["crossed"]
    )
    text = str(data)
    assert "198.51.100.7" not in text and "alice" not in text and "ip:" not in text


def test_a_films_joined_video_counts_in_no_sum():
    """Issue 20: a film's shots are the paid tasks; its own record (the joined video, with the
    shots' total as its estimate) is in no figure of the report."""
    shots = [rec(charged="20"), rec(charged="20")]
    film = TaskRecord(**{**rec(estimate="40", charged=None).__dict__, "group_kind": KIND_FILM})
    limits = Limits(None, None, 2, "none")
    report = build_report([*shots, film], now=NOW, limits=limits, paused=False, alert_threshold=None, key=KEY)
    alone = build_report(shots, now=NOW, limits=limits, paused=False, alert_threshold=None, key=KEY)
    assert report.to_json() == alone.to_json()
    assert len(report.to_json()["tasks"]) == 2


# ---------------------------------------------------------------- access, CSV


def test_token_and_users():
    settings = load_settings({"WAN_OWNER_TOKEN": "t" * 20, "SPACE_ID": "Alice/studio"})
    access = OwnerAccess.for_settings(settings)
    assert access.token_ok("t" * 20)
    for wrong in ("", None, "t" * 19, "t" * 21, "T" * 20, 123):
        assert not access.token_ok(wrong)
    assert access.user_ok("alice") and access.user_ok("Alice") and not access.user_ok("bob")
    assert load_settings({"SPACE_AUTHOR_NAME": "carol", "SPACE_ID": "org/x"}).owner_user_names == {"carol"}
    nobody = OwnerAccess.for_settings(load_settings({}))
    assert not nobody.enabled and not nobody.token_ok("") and not nobody.user_ok("")


def test_a_short_owner_token_refuses_to_start():
    with pytest.raises(ValueError, match="WAN_OWNER_TOKEN: must be at least 16"):
        load_settings({"WAN_OWNER_TOKEN": "short"})


def test_csv_has_a_header_a_row_per_task_and_no_formulas():
    rows = [task_row(rec(provider="=HYPERLINK(1)"), KEY), task_row(rec(age=DAY), KEY)]
    lines = tasks_csv(rows).splitlines()
    assert lines[0] == "when,visitor,provider,model,status,estimate,charged,unit,seconds,key"
    assert len(lines) == 3 and "'=HYPERLINK(1)" in lines[1]


# ---------------------------------------------------------------- controls in the store


def test_controls_are_kept_and_shared_by_every_process_on_the_database(tmp_path: Path):
    one, two = TaskStore(tmp_path / "t.sqlite3"), TaskStore(tmp_path / "t.sqlite3")
    assert one.owner_controls() == OwnerControls()
    one.set_owner_controls(paused=True, daily=Decimal("12.5"), visitor_max_active=3)
    assert two.owner_controls() == OwnerControls(paused=True, daily=Decimal("12.5"), visitor_max_active=3)
    two.set_owner_controls(daily=None, paused=False)
    assert one.owner_controls() == OwnerControls(visitor_max_active=3)


def test_overrides_change_the_credit_limits_only_where_server_credits_are_guarded():
    controls = OwnerControls(daily=Decimal(5), visitor_daily=Decimal(2), visitor_max_active=1)
    server = with_overrides(Limits(Decimal(300), Decimal(50), 2, "configured"), controls)
    assert (server.daily, server.visitor_daily, server.visitor_max_active, server.source) == (
        Decimal(5),
        Decimal(2),
        1,
        "owner",
    )
    own = with_overrides(Limits(None, None, 2, "in flight only", server_key=False), controls)
    assert (own.daily, own.visitor_daily, own.visitor_max_active) == (None, None, 1)
    same = Limits(Decimal(1), None, 2, "configured")
    assert with_overrides(same, OwnerControls()) == same


def _guard(tmp_path: Path, **env: str) -> tuple[SpendGuard, TaskStore]:
    settings = load_settings({"WAN_API_KEY": "k", "WAN_DATA_DIR": str(tmp_path), **env})
    store = TaskStore(tmp_path / "t.sqlite3")
    return SpendGuard(settings, store), store


def _new(spend: str = "10", visitor: str = "ip:x") -> TaskRecord:
    return TaskRecord.new(
        owner="anon:" + "b" * 32,
        provider="evolink",
        request={},
        visitor=visitor,
        spend_credits=Decimal(spend),
    )


def test_paused_refuses_every_generation_and_stores_nothing(tmp_path: Path):
    guard, store = _guard(tmp_path)
    store.set_owner_controls(paused=True)
    for guarded in (True, False):  # the server's key, and a visitor's own key
        record = _new()
        with pytest.raises(SpendRefused) as info:
            guard.insert(record, guarded=guarded)
        assert info.value.limit is Limit.PAUSED and "paused generation" in str(info.value)
        assert store.get(record.id) is None
    store.set_owner_controls(paused=False)
    record = _new()
    guard.insert(record, guarded=True)
    assert store.get(record.id) is not None


def test_a_limit_changed_by_the_owner_holds_at_the_next_generation(tmp_path: Path):
    guard, store = _guard(tmp_path, WAN_DAILY_CREDIT_LIMIT="100")
    guard.insert(_new("30"), guarded=True)
    store.set_owner_controls(daily=Decimal(35))  # e.g. from another replica
    with pytest.raises(SpendRefused) as info:
        guard.insert(_new("10"), guarded=True)
    assert info.value.limit is Limit.DAILY and info.value.amount == Decimal(35)
    assert guard.status("ip:x").left_today == Decimal(5)
    store.set_owner_controls(daily=None)
    guard.insert(_new("10"), guarded=True)


def test_the_alert_warns_once_a_day_when_crossed(tmp_path: Path):
    guard, store = _guard(tmp_path, WAN_ALERT_CREDITS="15")
    warnings: list[str] = []

    class Keep(logging.Handler):  # on the logger itself, whatever the root's handlers
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(record.getMessage())

    logger = logging.getLogger("wanvideo.owner")
    handler, was_disabled = Keep(logging.WARNING), logger.disabled
    logger.addHandler(handler)
    logger.disabled = False  # a logging.config elsewhere in the run may have disabled it
    try:
        guard.insert(_new("10", "ip:a"), guarded=True)
        assert warnings == []
        guard.insert(_new("10", "ip:b"), guarded=True)
        guard.insert(_new("1", "ip:c"), guarded=True)
    finally:
        logger.removeHandler(handler)
        logger.disabled = was_disabled
    assert len(warnings) == 1 and "spend alert" in warnings[0] and "20.00 credits" in warnings[0]
    store.set_owner_controls(alert_credits=Decimal(100))  # the console raises the threshold
    assert SpendAlert(guard.settings, store).check(store.owner_controls()) is False


def test_console_report_and_controls_over_the_store(tmp_path: Path):
    settings = load_settings({"WAN_DATA_DIR": str(tmp_path), "WAN_OWNER_TOKEN": "t" * 20})
    store = TaskStore(tmp_path / "t.sqlite3")
    store.insert(rec(age=0))
    console = OwnerConsole(settings, store, key=KEY)
    assert console.report(NOW).to_json()["tasks"][0]["estimate"] == 38.08
    console.set_paused(True)
    console.set_limits(daily=Decimal(9), visitor_max_active=4)
    assert console.report(NOW).paused is True and console.limits().daily == Decimal(9)
    assert console.tasks_csv(NOW).count("\n") == 2
    with pytest.raises(ValueError):
        console.set_limits(daily=Decimal(-1))


def test_limit_inputs_blank_is_as_configured_and_nonsense_is_refused():
    assert parse_overrides([None, "", 3, 7.5]) == {
        "daily": None,
        "visitor_daily": None,
        "visitor_max_active": 3,
        "alert_credits": Decimal("7.5"),
    }
    assert parse_overrides([-1, None, None, None]) is None
    assert parse_overrides([None, None, 0, None]) is None
    assert parse_overrides([None, None, 1.5, None]) is None
    assert parse_overrides(["abc", None, None, None]) is None


def test_the_tabs_tables_and_chart_in_both_languages():
    from components.owner_view import chart_rows, tables
    from wanvideo.messages import EN, ZH

    report = build_report(
        [rec(estimate="47.60", charged="45")],
        now=NOW,
        limits=Limits(None, None, 2, "none"),
        paused=False,
        alert_threshold=None,
        key=KEY,
    )
    zh, en = tables(report, ZH), tables(report, EN)
    assert zh["providers"]["headers"][0] == "服务商" and zh["providers"]["data"][0][-1] == "积分"
    assert en["tasks"]["data"][0][4:7] == ["Done", "47.60", "45.00"]
    assert en["differences"]["data"][0][-1] == "-2.60"
    assert en["limits"]["data"][0][1] == "no limit" and zh["limits"]["data"][0][1] == "不限"
    today = [r for r in chart_rows(report, EN) if r["day"] == "11-21"]
    assert {r["kind"]: r["credits"] for r in today} == {
        "Charged by the provider": 45.0,
        "Estimate reserved, not charged": pytest.approx(2.6),
    }
    assert "198.51.100.7" not in str(en) + str(zh)
