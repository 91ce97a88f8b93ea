"""A failed link, a refused address and a failed preparation read in Chinese, with their values,
while their English stays the sentence it always was."""

from __future__ import annotations

import ipaddress
import re

from wanvideo.media.clips import _failure_sentence
from wanvideo.media.prepare import PrepPlan
from wanvideo.media.remote import _fetch_problem
from wanvideo.media.result import ProbeResult, SandboxFailure
from wanvideo.messages import ZH, Message, render
from wanvideo.netguard import FetchError, FetchFailure
from wanvideo.urls import address_internal_reason, literal_internal_reason

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_an_http_404_reads_in_both_languages() -> None:
    exc = FetchError(FetchFailure.HTTP_STATUS, Message("fetch.http", status=404), status=404)
    problem = _fetch_problem("clip.mp4", exc, 20)
    assert problem == "could not fetch clip.mp4 (HTTP 404); check the link is public"
    zh = render(problem, ZH)
    assert CJK.search(zh) and "clip.mp4" in zh and "404" in zh


def test_a_loopback_literal_reads_in_both_languages() -> None:
    reason = literal_internal_reason("127.0.0.1")
    exc = FetchError(FetchFailure.REFUSED, Message("fetch.not_public"), literal=reason, host="127.0.0.1")
    problem = _fetch_problem("good.mp4", exc, 20)
    assert problem == "good.mp4 points to a loopback address (127.0.0.1); only public links can be used"
    zh = render(problem, ZH)
    assert "good.mp4" in zh and "127.0.0.1" in zh and "环回地址" in zh


def test_netguards_own_reason_is_quoted_in_the_visitors_language() -> None:
    exc = FetchError(FetchFailure.TOO_MANY_REDIRECTS, Message("fetch.too_many_redirects", max=5))
    assert str(exc) == "more than 5 redirects"  # logs and the simulator keep English
    problem = _fetch_problem("loop", exc, 20)
    assert problem == "could not fetch loop (more than 5 redirects); check the link and try again"
    zh = render(problem, ZH)
    assert CJK.search(zh) and "loop" in zh and "5" in zh and "more than" not in zh


def test_an_internal_address_reason_is_a_message() -> None:
    reason = address_internal_reason(ipaddress.ip_address("127.0.0.1"))
    assert reason == "a loopback address"
    assert render(reason, ZH) == "环回地址"
    refusal = Message("job.callback_points_to", reason=reason)
    assert refusal == "it points to a loopback address; use a public https host"
    assert "环回地址" in render(refusal, ZH)


def test_a_failed_preparation_reads_in_both_languages() -> None:
    probe = ProbeResult(name="broken.webm", source="/x/broken.webm")
    plan = PrepPlan(source=probe, sent=probe)
    sentence = _failure_sentence(plan, SandboxFailure.TIMED_OUT)
    assert sentence == (
        "broken.webm could not be prepared (it took longer than allowed); export it again as MP4 (H.264)"
    )
    zh = render(sentence, ZH)
    assert CJK.search(zh) and "broken.webm" in zh and "MP4" in zh
