"""Spend guard rules (pure) and the store's atomic reservation."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from wanvideo.budget import (
    SPACE_DAILY_CREDITS,
    SPACE_VISITOR_DAILY_CREDITS,
    Limit,
    Limits,
    SpendRefused,
    Usage,
    budget_status,
    check,
    describe_limits,
    effective_limits,
    reservation_for,
)
from wanvideo.providers import EVOLINK_PRICES
from wanvideo.settings import load_settings
from wanvideo.store import TaskRecord

NOW = datetime(2026, 11, 21, 15, 30, tzinfo=timezone.utc)
LIMITS = Limits(Decimal(100), Decimal(60), 2, "configured")


def usage(spent="0", visitor="0", active=0) -> Usage:
    return Usage(Decimal(spent), Decimal(visitor), active)


def test_fits_until_the_limit_exactly():
    assert check(LIMITS, usage(), Decimal(60), NOW) is None
    assert check(LIMITS, usage("40", "0"), Decimal(60), NOW) is None  # 100 of 100


def test_daily_limit_names_itself_and_when_it_resets():
    refusal = check(LIMITS, usage("90"), Decimal("47.6"), NOW)
    assert isinstance(refusal, SpendRefused) and refusal.limit is Limit.DAILY
    assert refusal.amount == 100 and refusal.resets_at == datetime(2026, 11, 22, tzinfo=timezone.utc)
    assert refusal.message.startswith("This Space's daily budget of 100.00 credits is spent")
    assert "resets at 00:00 UTC" in refusal.message and "your own key" in refusal.message


def test_visitor_limit():
    refusal = check(LIMITS, usage("10", "30"), Decimal(40), NOW)
    assert refusal.limit is Limit.VISITOR_DAILY and refusal.amount == 60
    assert "Your daily budget on this Space of 60.00 credits" in refusal.message


def test_visitor_in_flight_limit():
    refusal = check(LIMITS, usage(active=2), Decimal(1), NOW)
    assert refusal.limit is Limit.VISITOR_ACTIVE and refusal.amount == 2 and refusal.resets_at is None
    assert "2 generations in flight" in refusal.message


def test_no_limits_never_refuse_credits():
    limits = Limits(None, None, None, "none")
    assert check(limits, usage("1e9", "1e9", 50), Decimal(10**6), NOW) is None


def test_status_says_what_is_left():
    status = budget_status(LIMITS, usage("30", "20", 1), NOW)
    assert status.left_today == 70 and status.visitor_left_today == 40 and status.visitor_active == 1
    assert status.resets_at == datetime(2026, 11, 22, tzinfo=timezone.utc)
    assert budget_status(LIMITS, usage("130", "70"), NOW).left_today == 0


def test_space_defaults_apply_only_on_a_space_with_a_key_and_no_limits():
    on_space = load_settings({"SPACE_ID": "me/app", "WAN_API_KEY": "k" * 20})
    limits = effective_limits(on_space)
    assert (limits.daily, limits.visitor_daily, limits.source) == (
        SPACE_DAILY_CREDITS,
        SPACE_VISITOR_DAILY_CREDITS,
        "space defaults",
    )
    assert "space defaults" in describe_limits(limits) and "300.00 credits" in describe_limits(limits)
    configured = load_settings(
        {"SPACE_ID": "me/app", "WAN_API_KEY": "k" * 20, "WAN_DAILY_CREDIT_LIMIT": "1000"}
    )
    assert effective_limits(configured).daily == 1000 and effective_limits(configured).visitor_daily is None
    assert effective_limits(load_settings({"WAN_API_KEY": "k" * 20})).daily is None  # not a Space
    assert effective_limits(load_settings({"SPACE_ID": "me/app"})).daily is None  # demo: nothing to spend


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "lots", "1e999"])
def test_limit_settings_refuse_bad_numbers(value):
    from wanvideo.settings import SettingsError

    with pytest.raises(SettingsError, match="WAN_DAILY_CREDIT_LIMIT"):
        load_settings({"WAN_DAILY_CREDIT_LIMIT": value})


def test_reservation_is_the_estimate_or_the_most_it_could_cost():
    probed = reservation_for([1.0], 1, "720p", 5, EVOLINK_PRICES)
    worst = reservation_for(None, 1, "720p", 5, EVOLINK_PRICES)
    assert probed == Decimal("28.56")  # (1 + 5) s x 4.76
    assert worst == Decimal("47.60")  # the input billed at its 5 s cap
    assert reservation_for(None, 3, "720p", 5, EVOLINK_PRICES) >= reservation_for(
        [1.0, 1.0, 1.0], 3, "720p", 5, EVOLINK_PRICES
    )


# ------------------------------------------------------------------ the store's reservation


def _reserved(visitor: str, credits: str) -> TaskRecord:
    return TaskRecord.new(
        owner=visitor,
        provider="evolink",
        request={"prompt": "p"},
        visitor=visitor,
        spend_credits=Decimal(credits),
    )


def test_simultaneous_reservations_only_create_what_fits(open_store):
    stores = [open_store() for _ in range(6)]  # separate connections, as separate workers have
    limits = Limits(Decimal(100), None, None, "configured")
    barrier = threading.Barrier(6)
    accepted: list[str] = []
    refused: list[SpendRefused] = []

    def click(n: int) -> None:
        record = _reserved(f"visitor-{n}", "40")
        barrier.wait()
        try:
            stores[n].insert_within_budget(record, limits, datetime.now(timezone.utc))
            accepted.append(record.id)
        except SpendRefused as exc:
            refused.append(exc)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(accepted) == 2 and len(refused) == 4  # 2 x 40 fit in 100; a third would overshoot
    assert all(r.limit is Limit.DAILY for r in refused)
    since = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    assert stores[0].usage(None, since).spent == 80


def test_released_and_charged_spend(store):
    limits = Limits(Decimal(100), None, None, "configured")
    now = datetime.now(timezone.utc)  # the records are created now: count them in today
    a = store.insert_within_budget(_reserved("v", "60"), limits, now)
    with pytest.raises(SpendRefused):
        store.insert_within_budget(_reserved("v", "60"), limits, now)
    store.set_spend(a.id, Decimal(0))  # it failed uncharged: released
    b = store.insert_within_budget(_reserved("v", "60"), limits, now)
    store.set_spend(b.id, Decimal("28.56"))  # the provider's charge replaces the estimate
    own = store.insert(TaskRecord.new(owner="v", provider="evolink", request={"prompt": "p"}))
    store.set_spend(own.id, Decimal(500))  # own-key task: counts against nothing
    assert store.get(own.id).spend_credits is None
    assert store.usage("v", since=0).spent == Decimal("28.56")


def test_in_flight_limit_holds_in_every_mode_atomically(open_store):
    """Demo mode and a visitor's own key reserve no credits, but WAN_VISITOR_MAX_ACTIVE still
    counts the visitor's generations in flight (any key), in the reservation's transaction."""
    from wanvideo.budget import active_only
    from wanvideo.store import KEY_VISITOR

    stores = [open_store() for _ in range(5)]
    limits = active_only(load_settings({"WAN_VISITOR_MAX_ACTIVE": "2"}))
    barrier = threading.Barrier(5)
    accepted: list[str] = []
    refused: list[SpendRefused] = []

    def click(n: int) -> None:
        record = TaskRecord.new(
            owner=f"anon:{n}",
            provider="evolink",
            request={"prompt": "p"},
            visitor="ip:1.2.3.4",
            key_source=KEY_VISITOR if n % 2 else "server",
        )
        barrier.wait()
        try:
            stores[n].insert_within_budget(record, limits, datetime.now(timezone.utc))
            accepted.append(record.id)
        except SpendRefused as exc:
            refused.append(exc)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(accepted) == 2 and len(refused) == 3
    assert all(r.limit is Limit.VISITOR_ACTIVE for r in refused)
    message = refused[0].message
    assert "2 generations in flight" in message and "WAN_VISITOR_MAX_ACTIVE" in message
    assert "own key" not in message  # no key would lift it here
    assert stores[0].usage("ip:1.2.3.4", since=0).visitor_active == 2
