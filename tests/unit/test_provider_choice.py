"""The provider a visitor may pick, the form's words about it, and the views that follow the
pick: Compare providers, Cancel task, the provider's billed seconds (no gradio)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from components.cost_view import as_json, as_markdown
from components.history_cards import card, cost_line
from components.provider_view import duration_value, facts, model_choices, reference_hint
from components.status_view import (
    CANCEL_LABEL,
    STOP_LABEL,
    Started,
    View,
    cancel_json,
    cancel_message,
    stop_label,
)
from wanvideo.adapters.base import CancelOutcome, CancelResult
from wanvideo.events import Completed, Failed, FailureReason, Probed, Progress, Submitted
from wanvideo.media import ProbeResult
from wanvideo.pricing import compare_providers, estimate
from wanvideo.provider_choice import ProviderChoice
from wanvideo.providers import EVOLINK_PRICES, PROFILES, get_profile
from wanvideo.service import Assessment
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED

EVOLINK, FAL = get_profile("evolink"), get_profile("fal")
DASHSCOPE = get_profile("dashscope", "singapore")


# ----------------------------------------------------------------------------- the pick


def test_the_configured_provider_comes_first_and_others_need_their_own_key() -> None:
    choice = ProviderChoice(configured=EVOLINK)
    names = [name for name, _ in choice.options()]
    assert names[0] == "evolink" and "fal" in names and "demo" not in names
    assert dict(choice.options())["evolink"] == "EvoLink (this app's key)"
    assert dict(choice.options())["fal"] == "fal (your own key)"
    fal = choice.pick("fal").profile
    assert choice.key_problem(fal, has_own_key=False) == (
        "fal.ai needs your own fal.ai key: paste it under API key (Advanced)"
    )
    assert choice.key_problem(fal, has_own_key=True) is None
    assert choice.key_note(fal) == "Generating on fal.ai needs your own fal.ai key under API key (Advanced)."
    assert choice.key_note(choice.pick("").profile) is None
    assert choice.key_problem(choice.pick("").profile, has_own_key=False) is None  # the server's key


def test_a_pick_selects_the_model_and_refusals_name_what_to_change() -> None:
    choice = ProviderChoice(configured=EVOLINK)
    flash = choice.pick("fal", "flash")
    assert (
        flash.ok
        and flash.profile.model == "flash"
        and flash.profile.prices.credits_per_second_720p == Decimal("0.05")
    )
    assert choice.pick("evolink", "flash").problems == [
        "Model: EvoLink has no model 'flash'; choose standard or wan2.7"
    ]
    unknown = choice.pick("replicate").problems[0]
    assert unknown.startswith("Provider: 'replicate' is not offered here; choose one of evolink, odkkk")


def test_demo_offers_every_dialect_simulated_and_needs_no_key() -> None:
    choice = ProviderChoice(configured=PROFILES["demo"], demo=True)
    assert [n for n, _ in choice.options()] == [
        "demo",
        "odkkk",
        "dashscope-singapore",
        "dashscope-virginia",
        "dashscope-beijing",
        "fal",
    ]
    assert dict(choice.options())["fal"] == "fal (simulated)"
    fal = choice.pick("fal").profile
    assert choice.key_problem(fal, has_own_key=False) is None
    started: list[tuple[str, str | None]] = []

    def base_url(dialect: str, region: str | None) -> str:
        started.append((dialect, region))
        return "http://127.0.0.1:9999"

    run = choice.for_run(choice.pick("dashscope-virginia").profile, base_url)
    assert (
        started == [("dashscope", "virginia")]
        and run.api_base_url == run.files_base_url == "http://127.0.0.1:9999"
    )
    assert choice.for_run(choice.pick("demo").profile, base_url) is choice.configured  # its own simulator


def test_a_stored_task_gets_back_the_profile_it_ran_on_never_the_server_key_elsewhere() -> None:
    """After a restart: provider name (with its region) and model rebuild the profile."""
    demo = ProviderChoice(configured=PROFILES["demo"], demo=True)
    flash = demo.stored("dashscope-beijing", "flash", own_key=False)
    assert flash is not None and (flash.name, flash.region, flash.model) == (
        "dashscope-beijing",
        "beijing",
        "flash",
    )
    assert demo.stored("fal", None, own_key=False).model == "standard"  # before v4: the default
    assert demo.stored("dashscope-virginia", "flash", own_key=False).model == "standard"  # not sold there
    assert demo.stored("demo", None, own_key=False) is demo.configured
    assert demo.stored("evolink", None, own_key=False) is None  # a real provider: not simulated here

    real = ProviderChoice(configured=DASHSCOPE)
    assert real.stored("fal", "flash", own_key=True).model == "flash"  # on the visitor's key
    assert real.stored("fal", "flash", own_key=False) is None  # the server's key is DashScope's
    assert real.stored("dashscope-singapore", "flash", own_key=False).model == "flash"
    assert real.stored("demo", None, own_key=False) is None  # a simulated task: not offered now


def test_compared_rows_use_the_configured_price_overrides() -> None:
    configured = EVOLINK.with_overrides(prices_json='{"credits_per_second_720p": "5"}')
    rows = ProviderChoice(configured=configured).compared()
    evolink = next(p for p in rows if p.name == "evolink")
    assert evolink.prices.credits_per_second_720p == Decimal("5")
    assert {(p.name, p.model) for p in rows} >= {("fal", "flash"), ("dashscope-singapore", "flash")}


# ----------------------------------------------------------------------------- the form's words


def test_model_choices_carry_their_price_and_facts_follow_the_provider() -> None:
    assert model_choices(FAL) == [
        ("Standard: $0.10/s at 720p", "standard"),
        ("Flash: $0.05/s at 720p", "flash"),
    ]
    assert model_choices(EVOLINK) == [
        ("Standard: 4.76 credits/s at 720p", "standard"),
        ("Wan 2.7: 5.848 credits/s at 720p", "wan2.7"),  # issue 17: Wan 2.7 on EvoLink
    ]
    assert model_choices(get_profile("dashscope", "beijing"))[1] == ("Flash: CNY 0.30/s at 720p", "flash")
    assert "5 or 10 seconds" in facts(FAL) and "at least 16 fps" in facts(FAL)
    assert "public links only" in facts(get_profile("dashscope", "virginia"))
    assert duration_value(FAL, "7") == "5" and duration_value(FAL, "10") == "10"
    assert duration_value(EVOLINK, "7") == "7"


def test_the_references_hint_follows_the_picked_provider_and_model() -> None:
    assert "fal.ai takes mp4 or mov, 2 to 30 s, at most 30 MB, at least 16 fps;" in reference_hint(FAL)
    assert "at most 100 MB, at least 16 fps;" in reference_hint(FAL.with_model("flash"))
    evolink = reference_hint(EVOLINK)
    assert "EvoLink takes mp4 or mov, 2 to 30 s, at most 100 MB;" in evolink and "fps" not in evolink
    assert "1 to 3 clips" in evolink and "up to 500 MB is converted" in evolink


# ----------------------------------------------------------------------------- compare providers


def _assessment(profile=DASHSCOPE) -> Assessment:  # noqa: ANN001
    probes = tuple(
        ProbeResult(name=f"c{i}.mp4", source=f"/tmp/c{i}.mp4", duration=d) for i, d in enumerate([3.0, 4.0])
    )
    durations = [3.0, 4.0]
    return Assessment(
        probed=Probed(probes=probes, estimate=estimate(durations, "720p", 5, profile.prices)),
        duration=5,
        quality="720p",
        profile=profile,
        quotes=compare_providers(durations, "720p", 5, ProviderChoice(configured=EVOLINK).compared()),
    )


def test_the_panel_prices_the_pick_in_its_unit_and_compares_every_provider() -> None:
    text = as_markdown(_assessment())
    assert text.startswith("### Cost estimate: $1.00")
    assert "On **Alibaba Cloud DashScope (Singapore)**, model `wan2.6-r2v`." in text
    assert "× $0.10/s at 720p" in text
    assert "#### Compare providers" in text
    assert (
        "| ▸ DashScope Singapore | Standard | 10 s | $1.00 * |" in text
    )  # the pick; the split is not confirmed
    assert "| EvoLink | Standard | 10 s | $0.70 |" in text  # EvoLink's rule is documented
    assert "| fal | Flash | 5 s | $0.25 * |" in text  # output seconds only: not confirmed
    assert "<summary>Sources and open points</summary>" in text
    assert "not confirmed by an Alibaba page" in text


def test_estimate_json_lists_providers_as_numbers() -> None:
    data = as_json("dashscope-singapore", _assessment())
    assert data["provider"] == "dashscope-singapore" and data["model"] == "standard" and data["unit"] == "USD"
    rows = {(r["provider"], r["model"]): r for r in data["providers"]}
    assert len(rows) == 12  # issue 17 added wan2.7 on EvoLink and DashScope Singapore/Beijing
    evolink = rows[("evolink", "standard")]
    assert (evolink["quality"], evolink["billed_seconds"], evolink["usd"], evolink["confirmed"]) == (
        "720p",
        10.0,
        0.7,
        True,
    )
    assert rows[("fal", "flash")]["billed_seconds"] == 5.0 and rows[("fal", "flash")]["confirmed"] is False


def test_a_duration_a_provider_does_not_sell_is_marked_not_offered() -> None:
    a = _assessment()
    a.quotes = compare_providers([3.0, 4.0], "720p", 7, ProviderChoice(configured=EVOLINK).compared())
    text = as_markdown(a)
    assert "| fal | Standard | not offered |  |" in text
    assert "| EvoLink | Standard | 12 s | $0.84 |" in text


# ----------------------------------------------------------------------------- cancel


def _queued_view(cancel: str) -> View:
    view = View(provider="dashscope-singapore", cancel=cancel)
    view.apply(Started(record_id="r1"))
    view.apply(Submitted(task_id="t-1", credits_reserved=None, idempotency_key="k"))
    view.apply(Progress(task_id="t-1", status="pending", percent=0, elapsed=1, eta=None))
    return view


def test_stop_becomes_cancel_task_only_while_the_provider_can_cancel() -> None:
    queued = _queued_view("pending")
    assert queued.tracking()["cancel"] is True and stop_label(queued.tracking()) == CANCEL_LABEL
    queued.apply(Progress(task_id="t-1", status="running", percent=20, elapsed=5, eta=None))
    assert stop_label(queued.tracking()) == STOP_LABEL  # running: too late to cancel
    queued.apply(Progress(task_id="t-1", status="pending", percent=20, elapsed=6, eta=None))
    assert stop_label(queued.tracking()) == STOP_LABEL  # once seen running, never back
    assert stop_label(_queued_view("none").tracking()) == STOP_LABEL  # EvoLink has no cancel
    assert stop_label(None) == STOP_LABEL


def test_the_queue_position_is_shown_while_queued() -> None:
    view = _queued_view("queued")
    view.apply(Progress(task_id="t-1", status="queued", percent=0, elapsed=2, eta=None, queue_position=2))
    assert "2 ahead in the provider's queue" in view.markdown()
    view.apply(Progress(task_id="t-1", status="queued", percent=0, elapsed=3, eta=None, queue_position=0))
    assert "next in the provider's queue" in view.markdown() and view.tracking()["cancel"] is True


def test_cancel_messages_say_not_charged_or_that_it_continues() -> None:
    tracking = _queued_view("pending").tracking()
    done = cancel_message("cancelled", "The task was cancelled", tracking)
    assert done.startswith("### Cancelled") and "**not charged**" in done and "`t-1`" in done
    late = cancel_message("too_late", "It is already running.", tracking)
    assert "**continues**" in late and "will still be charged" in late and "It is already running." in late
    view = _queued_view("pending")
    view.apply(Failed(message="Cancelled", task_id="t-1", charged=False, reason=FailureReason.CANCELLED))
    assert view.markdown().startswith("### ✗ Cancelled at the provider: not charged")


def test_cancel_json_from_a_cancel_result() -> None:
    result = CancelResult(CancelOutcome.CANCELLED, "Cancelled; nothing was charged.", "t-1")
    assert cancel_json(result, "t-1", "r1") == {
        "task_id": "t-1",
        "record_id": "r1",
        "outcome": "cancelled",
        "cancelled": True,
        "charged": False,
        "message": "Cancelled; nothing was charged.",
    }
    late = cancel_json(CancelResult(CancelOutcome.TOO_LATE, "Too late.", "t-1"), "t-1", "r1")
    assert late["cancelled"] is False and late["charged"] is None
    nobody = cancel_json(None, "t-9")
    assert nobody["outcome"] == "not_found" and nobody["record_id"] is None


# ----------------------------------------------------------------------------- billed figures


def test_the_providers_billed_seconds_are_shown_and_a_difference_flagged(tmp_path: Path) -> None:
    est = estimate([3.0, 4.0], "720p", 5, DASHSCOPE.prices)  # 10 s
    view = View(provider="dashscope-singapore")
    view.apply(
        Completed(
            task_id="t",
            video_path=tmp_path / "v.mp4",
            credits_charged=Decimal("1.2"),
            estimate=est,
            billed_seconds=Decimal("12"),
        )
    )
    text = view.markdown()
    assert "Final charge: **$1.20**." in text
    assert "The provider billed **12 s**; the estimate said 10 s." in text and "⚠ Not as estimated" in text
    assert view.record()["provider_billed_seconds"] == 12.0
    same = View(provider="dashscope-singapore")
    same.apply(
        Completed(
            task_id="t",
            video_path=tmp_path / "v.mp4",
            credits_charged=None,
            estimate=est,
            billed_seconds=Decimal("10"),
        )
    )
    assert "The provider billed **10 s**" in same.markdown() and "⚠" not in same.markdown()


def test_history_cards_show_the_billed_seconds_in_the_providers_unit(tmp_path: Path) -> None:
    est = estimate([3.0, 4.0], "720p", 5, DASHSCOPE.prices).model_dump(mode="json")
    base = TaskRecord.new(
        owner="anon:x", provider="dashscope-singapore", request={"prompt": "p", "model": "flash"}, now=1
    )
    differs = replace(
        base,
        status=COMPLETED,
        estimate={**est, "provider_billed_seconds": "12"},
        credits_charged=Decimal("1.2"),
    )
    assert cost_line(differs, EVOLINK_PRICES) == (
        "Estimate $1.00 · Charged $1.20 · Provider billed 12 s ⚠ estimate said 10 s"
    )
    agrees = replace(differs, estimate={**est, "provider_billed_seconds": "10"}, credits_charged=Decimal("1"))
    assert cost_line(agrees, EVOLINK_PRICES).endswith("Provider billed 10 s")
    assert "Alibaba Cloud DashScope (Singapore) · wan2.6-r2v-flash" in card(differs, EVOLINK_PRICES)


# ----------------------------------------------------------------------------- preparation limits


def test_clips_are_prepared_to_the_chosen_providers_limits() -> None:
    from tests.unit.media.test_prepare import probe
    from wanvideo.media.prepare import Step
    from wanvideo.preparation import limits_for, plan_references

    clip = probe(size_bytes=45 * 1_000_000)  # under the API's 100 MB, over fal's 30 MB
    assert limits_for(FAL).max_bytes == 30 * 1_000_000
    assert limits_for(FAL.with_model("flash")).max_bytes == 100 * 1_000_000
    (on_fal,), _, _ = plan_references([clip], [], fix=True, limits=limits_for(FAL))
    (on_evolink,), _, _ = plan_references([clip], [], fix=True, limits=limits_for(EVOLINK))
    assert Step.SHRINK in on_fal.steps and on_fal.sent.size_bytes <= 30 * 1_000_000
    assert on_evolink.job is None  # sent as it is
