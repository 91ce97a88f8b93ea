"""Every rule of the create request, accepted and refused; the tolerant task and error models."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from wanvideo.errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientQuotaError,
    NotFoundError,
    RateLimitError,
    ServerError,
    error_for_status,
)
from wanvideo.providers import get_profile
from wanvideo.schemas import CreateTaskBody, ErrorEnvelope, GenerationRequest, Task, plain_problems

EVOLINK = {"profile": get_profile("evolink")}
ODKKK = {"profile": get_profile("odkkk")}
URL = "https://example.com/a.mp4"


def make(context=EVOLINK, **fields):
    data = {"prompt": "character1 dances", "video_urls": [URL], **fields}
    return GenerationRequest.model_validate(data, context=context)


def problems(context=EVOLINK, **fields) -> list[str]:
    with pytest.raises(ValidationError) as info:
        make(context, **fields)
    return plain_problems(info.value)


def test_defaults_match_the_api():
    r = make()
    assert (r.quality, r.aspect_ratio, r.duration, r.shot_type) == ("720p", "16:9", 5, "single")
    assert r.callback_url is None


@pytest.mark.parametrize("prompt", ["x", "a" * 1500, "  padded  "])
def test_prompt_accepted(prompt):
    assert make(prompt=prompt).prompt == prompt


@pytest.mark.parametrize(
    ("prompt", "needle"), [("", "empty"), ("   \n", "empty"), ("a" * 1501, "1501 characters")]
)
def test_prompt_refused(prompt, needle):
    [message] = problems(prompt=prompt)
    assert message.startswith("Prompt:")
    assert needle in message


@pytest.mark.parametrize("count", [1, 2, 3])
def test_one_to_three_references(count):
    r = make(video_urls=[URL] * count)
    assert r.reference_count == count


def test_local_files_and_urls_count_together():
    r = make(videos=("/tmp/a.mp4", "/tmp/b.mov"), video_urls=[URL])
    assert r.reference_count == 3
    with pytest.raises(ValidationError, match="at most 3: remove 1"):
        make(videos=("/tmp/a.mp4", "/tmp/b.mov"), video_urls=[URL, URL])


def test_no_reference_refused():
    [message] = problems(video_urls=[])
    assert message.startswith("Add at least one reference video")


def test_urls_may_come_as_lines():
    r = make(video_urls="https://a.example/1.mp4\n\n  http://b.example/2.mov  \n")
    assert r.video_urls == ("https://a.example/1.mp4", "http://b.example/2.mov")


@pytest.mark.parametrize(
    "bad", ["ftp://example.com/a.mp4", "example.com/a.mp4", "file:///etc/passwd", "https://"]
)
def test_reference_urls_must_be_http(bad):
    [message] = problems(video_urls=[bad])
    assert message.startswith("Reference video URLs:")
    assert "http" in message


@pytest.mark.parametrize("quality", ["720p", "1080p"])
@pytest.mark.parametrize("ratio", ["16:9", "9:16", "1:1", "4:3", "3:4"])
def test_every_quality_and_aspect_ratio(quality, ratio):
    r = make(quality=quality, aspect_ratio=ratio)
    assert (r.quality, r.aspect_ratio) == (quality, ratio)


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("quality", "4k", "Quality"),
        ("aspect_ratio", "21:9", "Aspect ratio"),
        ("shot_type", "many", "Shot type"),
    ],
)
def test_enums_refused(field, value, label):
    [message] = problems(**{field: value})
    assert message.startswith(label + ": choose one of")


@pytest.mark.parametrize("shot", ["single", "multi"])
def test_shot_types(shot):
    assert make(shot_type=shot).shot_type == shot


@pytest.mark.parametrize("duration", range(2, 11))
def test_evolink_any_integer_2_to_10(duration):
    assert make(duration=duration).duration == duration


@pytest.mark.parametrize("duration", [1, 11, 0])
def test_evolink_duration_out_of_range(duration):
    [message] = problems(duration=duration)
    assert "from 2 to 10" in message


@pytest.mark.parametrize("duration", [5, 10])
def test_odkkk_only_5_or_10(duration):
    assert make(ODKKK, duration=duration).duration == duration


@pytest.mark.parametrize("duration", [2, 6, 7, 9])
def test_odkkk_refuses_other_durations(duration):
    [message] = problems(ODKKK, duration=duration)
    assert message == f"Duration (s): {duration} s is not offered by odkkk; choose 5 or 10 seconds"


def test_callback_url_accepted():
    assert (
        make(callback_url="https://hooks.example.com/done").callback_url == "https://hooks.example.com/done"
    )
    assert make(callback_url="  ").callback_url is None


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://hooks.example.com/x", "https://"),
        ("https://127.0.0.1/x", "loopback"),
        ("https://localhost:8443/x", "loopback"),
        ("https://10.1.2.3/x", "private"),
        ("https://172.16.0.9/x", "private"),
        ("https://192.168.1.1/x", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::1]/x", "loopback"),
        ("https://example.com/" + "a" * 2048, "2048"),
    ],
)
def test_callback_url_refused(url, needle):
    [message] = problems(callback_url=url)
    assert message.startswith("Callback URL:")
    assert needle in message


def test_create_body_json_shape():
    body = CreateTaskBody.model_validate(
        {
            "prompt": "p",
            "video_urls": [URL],
            "quality": "1080p",
            "duration": 10,
            "model_params": {"shot_type": "multi"},
        },
        context=EVOLINK,
    )
    assert body.to_json() == {
        "model": "wan2.6-reference-video",
        "prompt": "p",
        "video_urls": [URL],
        "aspect_ratio": "16:9",
        "quality": "1080p",
        "duration": 10,
        "model_params": {"shot_type": "multi"},
    }


def test_create_body_refuses_four_urls_and_unknown_fields():
    with pytest.raises(ValidationError):
        CreateTaskBody(prompt="p", video_urls=[URL] * 4)
    with pytest.raises(ValidationError):
        CreateTaskBody(prompt="p", video_urls=[])
    with pytest.raises(ValidationError):
        CreateTaskBody.model_validate({"prompt": "p", "video_urls": [URL], "seed": 1})


# --- Task: tolerant reading -------------------------------------------------------------


def test_task_from_the_documented_create_response():
    task = Task.model_validate(
        {
            "created": 1757169743,
            "id": "task-unified-1757169743-7cvnl5zw",
            "model": "wan2.6-reference-video",
            "object": "video.generation.task",
            "progress": 0,
            "status": "pending",
            "task_info": {"can_cancel": True, "estimated_time": 120},
            "type": "video",
            "usage": {"billing_rule": "per_call", "credits_reserved": 5, "user_group": "default"},
        }
    )
    assert not task.is_final
    assert task.task_info.estimated_time == 120
    assert task.credits_reserved == Decimal(5)
    assert task.model_extra["object"] == "video.generation.task"  # unknown fields kept


@pytest.mark.parametrize("status", ["COMPLETED", "Completed", " completed "])
def test_status_case_insensitive(status):
    task = Task(id="t", status=status, results=["https://x/v.mp4"])
    assert task.is_final and task.succeeded
    assert task.video_url == "https://x/v.mp4"


def test_result_data_shape_tolerated():
    task = Task(id="t", status="completed", result_data=[{"video_url": "https://x/r.mp4"}])
    assert task.video_url == "https://x/r.mp4"


@pytest.mark.parametrize("status", ["failed", "cancelled", "CANCELED", "expired", "weird-final-thing"])
def test_final_looking_statuses_end_polling(status):
    task = Task(id="t", status=status)
    assert task.is_final
    assert not task.succeeded


@pytest.mark.parametrize("status", ["pending", "PROCESSING", "queued", "running"])
def test_running_statuses(status):
    assert not Task(id="t", status=status).is_final


def test_failed_task_error_and_charges():
    task = Task.model_validate(
        {
            "id": "t",
            "status": "failed",
            "progress": "nonsense",
            "error": {"code": "content_policy_violation", "message": "refused"},
        }
    )
    assert task.progress == 0
    assert task.error.code == "content_policy_violation"
    assert task.credits_charged is None


@pytest.mark.parametrize(
    ("extra", "charged"),
    [
        ({"usage": {"credits_used": 47.6}}, "47.6"),
        ({"usage": {"cost": {"credits": "12.5", "usd": 0.18}}}, "12.5"),
        ({"billing": {"reserved_credits": 50, "charged_credits": 47.6, "refunded_credits": 2.4}}, "47.6"),
    ],
)
def test_charge_fields(extra, charged):
    assert Task(id="t", status="completed", **extra).credits_charged == Decimal(charged)


# --- Error envelope: both dialects --------------------------------------------------------


def test_error_envelope_string_and_integer_codes():
    evolink = ErrorEnvelope.model_validate(
        {"error": {"code": "invalid_request", "message": "bad", "type": "invalid_request_error"}}
    )
    odkkk = ErrorEnvelope.model_validate(
        {
            "error": {
                "code": 400,
                "message": "Invalid request format",
                "type": "invalid_request_error",
                "param": "model",
            }
        }
    )
    assert evolink.error.code == "invalid_request"
    assert odkkk.error.code == 400 and odkkk.error.param == "model"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientQuotaError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_error_for_status(status, cls):
    body = {"error": {"code": status, "message": "m", "type": "t", "fallback_suggestion": "do this"}}
    exc = error_for_status(status, body, retry_after="30")
    assert type(exc) is cls
    assert exc.status_code == status
    assert exc.suggestion == "do this"
    assert exc.retry_after == 30.0


def test_error_for_status_names_the_param_and_survives_text_bodies():
    exc = error_for_status(
        400, {"error": {"code": "invalid_request", "message": "Bad value", "param": "duration"}}
    )
    assert "duration" in str(exc)
    exc = error_for_status(502, "<html>Bad gateway</html>")
    assert isinstance(exc, ServerError)
    assert "502" in exc.message and exc.suggestion


# ------------------------------------------------------------------ durations: one rule, any input


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (float("inf"), "not a finite number"),
        ("inf", "not a finite number"),
        (float("nan"), "not a finite number"),
        ("1e999", "not a finite number"),
        (10**400, "not a number of seconds"),
        (-5, "-5 s is not offered"),
        (1e300, "that many s is not offered"),
        ("5.5", "not a whole number"),
        ("five", "not a number of seconds"),
        (True, "not a number of seconds"),
        (None, "not a number of seconds"),
    ],
)
def test_bad_duration_numbers_are_refused_naming_the_field(value, words):
    [message] = problems(duration=value)
    assert message.startswith("Duration (s): ") and words in message, message
    assert "convert" not in message  # never Python's own "cannot convert float infinity"


@pytest.mark.parametrize("value", ["5", "5 s", "5s", 5.0, Decimal("5")])
def test_duration_forms_read_as_whole_seconds(value):
    assert make(duration=value).duration == 5


def test_duration_input_problem_for_forms():
    from wanvideo.schemas import duration_input_problem

    odkkk = get_profile("odkkk")
    assert duration_input_problem("10", odkkk) == (10, None)
    seconds, problem = duration_input_problem(float("inf"), odkkk)
    assert seconds is None and problem.startswith("Duration (s): ") and "5 or 10 seconds" in problem
    assert duration_input_problem(7, None) == (7, None)  # no profile: the default 2..10 rule


def test_reference_count_rule_has_one_home():
    from wanvideo.providers import reference_count_problem

    assert reference_count_problem(1) is None and reference_count_problem(3) is None
    assert "at least one" in reference_count_problem(0)
    assert "remove 2" in reference_count_problem(5)
