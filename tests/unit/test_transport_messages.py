"""The client's and adapters' errors are catalogue messages: Chinese for a Chinese visitor, with
the host and file name in it, and the same English as before."""

from __future__ import annotations

import re

import httpx
import pytest

from wanvideo.client import WanClient
from wanvideo.errors import APIConnectionError, UploadError
from wanvideo.messages import ZH, Message, render
from wanvideo.providers import get_profile
from wanvideo.settings import load_settings

CJK = re.compile(r"[\u4e00-\u9fff]")
SECRET = "sk-live-SECRET-0123456789abcdef"


def _settings(tmp_path):
    return load_settings({"WAN_PROVIDER": "demo", "WAN_DATA_DIR": str(tmp_path / "data")})


async def test_a_failed_connection_reads_in_chinese_with_its_host(tmp_path):
    profile = get_profile("evolink").with_overrides(api_base_url="http://api.test")
    async with WanClient(profile, SECRET, _settings(tmp_path)) as client:
        request = client.transport.http.build_request("GET", "http://api.test/v1/tasks/t-1")
        what = Message("transport.reading", task_id="t-1")
        error = client.transport.transport_error(httpx.ConnectError("refused"), what, request)
    assert type(error) is APIConnectionError
    assert str(error.message) == "Reading task t-1: the connection to api.test failed (ConnectError)."
    chinese = render(error.message, ZH)
    assert CJK.search(chinese) and "api.test" in chinese and "t-1" in chinese
    assert render(error.suggestion, ZH) == "请检查网络连接后重试。"


async def test_dashscope_without_uploads_refuses_a_file_in_chinese(tmp_path):
    profile = get_profile("dashscope", "virginia")  # no temporary upload there: nothing is sent
    async with WanClient(profile, SECRET, _settings(tmp_path)) as client:
        with pytest.raises(UploadError) as info:
            await client.upload_file(tmp_path / "clip one.mp4")
    error = info.value
    assert (
        str(error.message) == f"Uploading clip one.mp4 failed: {profile.label} has no upload for local files."
    )
    chinese = render(error.message, ZH)
    assert CJK.search(chinese) and "clip one.mp4" in chinese and "弗吉尼亚" in chinese
    assert "参考视频链接" in render(error.suggestion, ZH)


async def test_scrubbing_the_key_keeps_a_message_translatable(tmp_path):
    profile = get_profile("evolink")
    async with WanClient(profile, SECRET, _settings(tmp_path)) as client:
        what = Message("transport.uploading", name="a.mp4")
        scrubbed = client.transport.scrub(
            Message("upload.files_host_said", what=what, reason=f"bad key {SECRET}")
        )
    assert isinstance(scrubbed, Message)
    assert str(scrubbed) == "Uploading a.mp4 failed: bad key ***."
    assert SECRET not in scrubbed.render(ZH) and CJK.search(scrubbed.render(ZH))
