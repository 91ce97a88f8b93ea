"""The panels in Chinese: the same views render the visitor's language from the one catalogue,
the task record (API) stays language-free, and Gradio's static translations come from it too."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from components import lang
from components.cost_view import as_markdown
from components.history_cards import ALL_TEXT, card
from components.status_view import View, stop_message
from wanvideo.events import Completed, Failed, FailureReason, Probed, Progress, Submitted
from wanvideo.media import ProbeResult
from wanvideo.messages import EN, ZH, Message
from wanvideo.pricing import estimate
from wanvideo.providers import EVOLINK_PRICES
from wanvideo.schemas import GenerationRequest, plain_problems
from wanvideo.service import Assessment, Started
from wanvideo.store import TaskRecord
from wanvideo.task_status import COMPLETED, FAILED

EST = estimate([3.0, 4.0], "720p", 5, EVOLINK_PRICES)


def _probed() -> Probed:
    probes = (
        ProbeResult(name="a.mp4", source="/x/a.mp4", duration=3.0),
        ProbeResult(name="b.mp4", source="/x/b.mp4", duration=4.0),
    )
    return Probed(probes=probes, estimate=EST)


def test_status_steps_in_chinese_and_a_language_free_record() -> None:
    view = View(provider="evolink", lang=ZH)
    assert view.markdown() == "### 正在检查参考视频…"
    view.apply(_probed())
    assert view.done == ["✓ 参考视频已检查：2 个（估算 47.60 积分（约 $0.70））"]
    view.apply(Started(record_id="rec1"))
    view.apply(Submitted(task_id="task-1", credits_reserved=Decimal("47.6"), idempotency_key="k"))
    view.apply(Progress(task_id="task-1", status="processing", percent=40, elapsed=65, eta=30))
    text = view.markdown()
    assert text.startswith("### 生成中：40%") and "已用时 1:05 · 约剩 0:30" in text
    view.apply(Completed(task_id="task-1", video_path=Path("/d/tok.mp4"), credits_charged=Decimal("47.6")))
    assert "最终费用：**47.60 积分**。" in view.markdown()
    assert view.record()["status"] == "completed"  # the API's words, whatever the page's language


def test_a_failure_reads_in_chinese_with_the_domains_suggestion() -> None:
    view = View(provider="evolink", lang=ZH)
    view.apply(
        Failed(
            message=Message("job.task_ended", task_id="t-9", status="failed"),
            suggestion=Message("code.content_policy_violation"),
            task_id="t-9",
            reason=FailureReason.PROVIDER_FAILED,
        )
    )
    text = view.markdown()
    assert "**发生了什么：** 任务 t-9 状态：failed。" in text
    assert "**怎么办：** 请修改提示词或参考视频；它们被内容政策拒绝。" in text
    assert "**费用：** 未收费" in text
    english = View(provider="evolink")
    english.apply(
        Failed(
            message=Message("job.task_ended", task_id="t-9", status="failed"),
            reason=FailureReason.PROVIDER_FAILED,
        )
    )
    assert "**What happened:** Task t-9 failed." in english.markdown()


def test_stop_says_what_it_means_in_chinese() -> None:
    assert stop_message(None, ZH).startswith("### 状态")
    assert "未创建任务" in stop_message({"phase": "checking"}, ZH)
    assert "任务 `t-1` 在服务商处**继续运行**" in stop_message({"phase": "running", "task_id": "t-1"}, ZH)


def test_cost_panel_in_chinese() -> None:
    a = Assessment(probed=_probed(), duration=5, quality="720p", problems=[])
    text = as_markdown(a, ZH)
    assert text.startswith("### 费用估算：47.60 积分（约 $0.70）")
    assert "| 参考视频 | 时长 | 计费 |" in text and "| character1 · a.mp4 | 3 秒 | 2.5 秒 |" in text
    assert as_markdown(a).startswith("### Cost estimate: 47.60 credits (about $0.70)")


def test_refusals_render_in_chinese_with_the_field_name() -> None:
    try:
        GenerationRequest.model_validate({"prompt": " ", "video_urls": ["https://a.example/x.mp4"]})
    except ValueError as exc:
        problems = plain_problems(exc)  # type: ignore[arg-type]
    assert problems[0] == "Prompt: write a prompt describing the video (it is empty)"
    assert problems[0].render(ZH) == "提示词：请写一段描述视频的提示词（目前为空）"


def test_history_card_in_chinese(tmp_path: Path) -> None:
    video = tmp_path / "tok.mp4"
    video.write_bytes(b"....")
    base = TaskRecord.new(owner="anon:x", provider="demo", request={"prompt": "p", "quality": "720p"}, now=1)
    done = replace(base, status=COMPLETED, video_path=video, estimate={"credits": 47.6, "usd": 0.7})
    html = card(done, EVOLINK_PRICES, lang=ZH)
    assert ">完成<" in html and ">重新创作<" in html and "估算 47.60 积分（约 $0.70）" in html
    failed = replace(
        base,
        status=FAILED,
        message=Message("job.task_ended", task_id="t", status="failed"),
        error={"suggestion": Message("code.no_content")},
    )
    assert "模型没有生成内容；请换一个提示词。" in card(failed, EVOLINK_PRICES, lang=ZH)
    assert set(ALL_TEXT) == {EN, ZH} and ALL_TEXT[ZH]["confirm_delete"].startswith("要从本应用删除")


def test_static_text_is_registered_for_gradio_in_both_languages() -> None:
    key = lang.static(
        "provider.reference_hint", count=3, provider="fal", rules="mp4", source_mb=500, window="30"
    )
    prompt = lang.static("field.prompt")
    tables = lang.i18n().translations
    assert "1 到 3 段片段" in tables[ZH][key.key] and "1 to 3 clips" in tables[EN][key.key]
    assert tables[ZH][prompt.key] == "提示词" and tables[EN][prompt.key] == "Prompt"


def test_gradio_keys_without_gradio_text_are_in_both_tables() -> None:
    """Gradio 6.31 has no text for `common.complete` / `common.upload` (the page showed the keys)
    and none in Chinese for its status tracker's queue position and progress (English on a
    Chinese page); the tables give them ours, as templates Gradio fills itself."""
    tables = lang.i18n().translations
    assert (tables[EN]["common.complete"], tables[ZH]["common.complete"]) == ("Complete", "完成")
    assert (tables[EN]["common.upload"], tables[ZH]["common.upload"]) == ("Upload", "上传")
    assert tables[ZH]["common.progress"] == "进度"
    queue = tables[ZH]["status.queue_position"]  # Gradio replaces {position} and {size}
    assert "{position}" in queue and "{size}" in queue and "排队" in queue
    assert tables[EN]["status.queue_position"] == "In queue: {position} of {size}"  # Gradio's own


def test_language_of_a_request() -> None:
    assert lang.lang_of(SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9"})) == ZH
    assert lang.lang_of(SimpleNamespace(headers={"accept-language": "en-US"})) == EN
    assert lang.lang_of(SimpleNamespace(headers={})) == EN  # API clients send none
    assert lang.lang_of(None) == EN


def test_api_labels_stay_english() -> None:
    info = {"named_endpoints": {"/x": {"parameters": [{"label": lang.static("field.duration").to_dict()}]}}}
    info["named_endpoints"]["/x"]["parameters"][0]["label"]["_type"] = "translation_metadata"
    demo = SimpleNamespace(get_api_info=lambda *a, **k: json.loads(json.dumps(info)))
    lang.english_api_info(demo)  # type: ignore[arg-type]
    assert demo.get_api_info()["named_endpoints"]["/x"]["parameters"][0]["label"] == "Duration (s)"


def test_reference_refusals_in_chinese_have_no_english_words_inside() -> None:
    """A too-short clip among four references: the limits, the clip's length, the accepted
    formats and the count rule are all in the visitor's language (they were English values
    inside Chinese sentences)."""
    from wanvideo.job import price_probes
    from wanvideo.media.rules import validate
    from wanvideo.providers import PROFILES

    probes = [
        ProbeResult(
            name="short.mp4", source="/x/short.mp4", duration=1.0, video_codec="h264", headers_read=True
        )
    ]
    probes += [
        ProbeResult(name=f"{n}.mp4", source=f"/x/{n}.mp4", duration=3.0, video_codec="h264") for n in "bcd"
    ]
    probed = price_probes([validate(p) for p in probes], "720p", 5, PROFILES["demo"])
    assert probed.problems[0] == "4 references given; the model takes at most 3: remove 1."
    zh = [p.render(ZH) for p in probed.problems]
    assert zh[0] == "给出了 4 个参考视频；模型最多接受 3 个：请删去 1 个。"
    assert zh[1] == "short.mp4 时长 1.0 秒；参考视频必须为 2 到 30 秒：请使用更长的片段"
    # "standard or flash" in the refusal of a model fal does not sell
    assert "standard 或 flash" in PROFILES["fal"].model_problem("turbo").render(ZH)  # type: ignore[union-attr]


def test_money_in_other_units_reads_in_chinese() -> None:
    from wanvideo.pricing import format_amount, format_rate

    cny = format_amount(Decimal("5.4"), "CNY", Decimal("0.7357"))
    assert cny == "CNY 5.40 (about $0.74)" and cny.render(ZH) == "CNY 5.40（约 $0.74）"
    assert format_rate(Decimal("0.6"), "CNY").render(ZH) == "每秒 CNY 0.60"
    assert format_rate(Decimal("0.075"), "USD") == "$0.075/s"
    assert format_rate(Decimal("0.075"), "USD").render(ZH) == "每秒 $0.075"
