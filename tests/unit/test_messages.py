"""The message catalogue: both languages everywhere, the same placeholders, every id used exists."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from wanvideo.messages import (
    AREAS,
    CATALOGUE,
    EN,
    LANGUAGES,
    LOCALES,
    ZH,
    Message,
    decode,
    encode,
    load_catalogue,
    negotiate,
    placeholders,
    render,
)

ROOT = Path(__file__).resolve().parents[2]
# Message("id" ...), and the UI's helpers t("id" ...) / static("id" ...)
_USE = re.compile(r"""\b(?:Message|_t|t|static|tr)\(\s*["']([A-Za-z0-9_.]+)["']""")


def test_every_id_has_both_languages_with_the_same_placeholders():
    for mid, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), mid
        assert all(entry[lang].strip() for lang in LANGUAGES), mid
        assert placeholders(entry[EN]) == placeholders(entry[ZH]), mid


def test_chinese_is_chinese():
    """A copied English sentence is not a translation: each Chinese text has CJK characters
    (except ones that are only placeholders and symbols)."""
    for mid, entry in CATALOGUE.items():
        bare = re.sub(r"\{[a-z_]+(:[^}]*)?\}", "", entry[ZH])
        if re.search(r"[A-Za-z]{3,}", bare) or bare.strip(" ·:：，,()（）%-/。"):
            assert re.search(r"[\u4e00-\u9fff]", entry[ZH]), (mid, entry[ZH])


def test_every_id_used_in_the_code_exists():
    used: dict[str, Path] = {}
    for folder in ("wanvideo", "components"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "messages.py":
                continue
            for mid in _USE.findall(path.read_text(encoding="utf-8")):
                used[mid] = path
    for extra in (ROOT / "app.py",):
        for mid in _USE.findall(extra.read_text(encoding="utf-8")):
            used[mid] = extra
    assert len(used) > 50  # the scan finds the code's messages
    missing = {mid: str(path.relative_to(ROOT)) for mid, path in used.items() if mid not in CATALOGUE}
    assert not missing


def test_a_message_is_its_english_text_and_renders_chinese_with_params():
    msg = Message("input.prompt_too_long", count=2001, max=2000)
    assert msg == "the prompt has 2001 characters; shorten it to at most 2000"
    assert "2001" in msg.render(ZH) and "2000" in msg.render(ZH) and "提示词" in msg.render(ZH)
    assert render(msg, ZH) == msg.render(ZH)
    assert render("plain text", ZH) == "plain text"
    assert render(None, ZH) == ""


def test_nested_params_render_in_the_same_language():
    inner = Message("input.prompt_empty")
    msg = Message("field.problem", field=Message("field.prompt"), problem=inner)
    assert str(msg) == "Prompt: write a prompt describing the video (it is empty)"
    assert msg.render(ZH) == "提示词：请写一段描述视频的提示词（目前为空）"


def test_unknown_id_is_refused():
    with pytest.raises(KeyError):
        Message("no.such.id")


def test_encode_decode_and_pickle_keep_id_and_params():
    msg = Message("field.problem", field=Message("field.duration"), problem="7 s is out of range")
    data = json.loads(json.dumps(encode({"error": {"message": msg, "n": 1}, "list": [msg]})))
    back = decode(data)
    assert isinstance(back["error"]["message"], Message)
    assert back["error"]["message"].render(ZH) == msg.render(ZH) == "时长（秒）：7 s is out of range"
    assert back["list"][0] == msg and back["error"]["n"] == 1
    again = pickle.loads(pickle.dumps(msg))
    assert again.id == msg.id and again.render(ZH) == msg.render(ZH)
    assert decode({"__msg__": "gone.id", "params": {}}) == "gone.id"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9", ZH),
        ("zh-cn", ZH),
        ("en-US,en;q=0.9", EN),
        ("en-US,zh-CN;q=0.8", EN),
        ("zh-CN;q=0.5,en;q=0.9", EN),
        ("fr-FR,zh-CN;q=0.9", EN),  # the browser shows French built-ins and our English fallback
        ("zh-TW,zh;q=0.9", EN),  # Gradio's frontend picks zh-TW, for which there is no text: English
        ("zh", EN),
        ("", EN),
        (None, EN),
        ("*", EN),
        ("en;q=0.5,zh-CN;q=abc", EN),  # a malformed weight counts as 0
    ],
)
def test_negotiate_follows_the_browsers_first_language(header, lang):
    assert negotiate(header) == lang


def test_the_store_keeps_a_message_id_and_params(tmp_path):
    """A refusal saved with a history entry reads in Chinese later (the store keeps id + params)."""
    from wanvideo.store import SQLiteTaskStore, TaskRecord

    store = SQLiteTaskStore(tmp_path / "tasks.sqlite3")
    record = TaskRecord.new(owner="anon:1", provider="demo", request={"prompt": "p"})
    store.insert(record)
    msg = Message("job.task_ended_detail", task_id="t-1", status="failed", detail="boom")
    store.update(record.id, message=msg, error={"message": msg, "suggestion": Message("code.no_content")})
    back = store.get(record.id)
    assert isinstance(back.message, Message) and back.message.render(ZH) == msg.render(ZH)
    assert back.error["suggestion"].render(ZH) == "模型没有生成内容；请换一个提示词。"
    assert back.error["message"] == "Task t-1 failed: boom"


def test_a_visitors_value_is_quoted_short() -> None:
    """A crafted megabyte in a form field never comes back whole in a refusal."""
    from wanvideo.messages import ECHO_CHARS, echoed

    assert echoed(" fal ") == "'fal'"
    assert echoed("x" * 10_000) == repr("x" * ECHO_CHARS + "…")
    assert echoed("y" * 100, 20) == repr("y" * 20 + "…")


def test_an_unknown_provider_or_model_is_echoed_short() -> None:
    from wanvideo.provider_choice import ProviderChoice
    from wanvideo.providers import get_profile

    pick = ProviderChoice(configured=get_profile("evolink")).pick("p" * 5000)
    assert len(pick.problems) == 1 and "p" * 41 not in str(pick.problems[0])
    problem = get_profile("fal").model_problem("m" * 5000)
    assert problem is not None and "m" * 41 not in str(problem)


def _area_ids(lang: str, area: str) -> set[str]:
    return set(json.loads((LOCALES / lang / f"{area}.json").read_text(encoding="utf-8")))


def test_each_language_file_has_the_same_ids_and_no_id_is_in_two_areas():
    for area in AREAS:
        assert _area_ids(EN, area) == _area_ids(ZH, area), area
    assert not _area_ids(EN, "domain") & _area_ids(EN, "page")
    assert load_catalogue() == CATALOGUE


def test_the_domain_uses_only_domain_messages():
    """The page's labels and panels are the UI's words: wanvideo/ never names one."""
    page = _area_ids(EN, "page")
    used = {
        (mid, str(path.relative_to(ROOT)))
        for path in (ROOT / "wanvideo").rglob("*.py")
        for mid in _USE.findall(path.read_text(encoding="utf-8"))
    }
    assert {pair for pair in used if pair[0] in page} == set()
    assert len(used) > 50
