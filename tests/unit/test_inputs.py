"""Form values -> plain values, or a refusal naming the field (no gradio)."""

from __future__ import annotations

import pytest

from wanvideo.providers import get_profile
from wanvideo.service.inputs import DURATION, VIDEO_URLS, file_paths, parse_duration, parse_urls, url_lines

EVOLINK, ODKKK = get_profile("evolink"), get_profile("odkkk")


@pytest.mark.parametrize("value", [5, "5", "5 s", 5.0, " 5s "])
def test_durations_that_mean_five_seconds(value) -> None:
    assert parse_duration(EVOLINK, value) == (5, None)


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_empty_duration_is_the_default(value) -> None:
    assert parse_duration(ODKKK, value) == (ODKKK.default_duration, None)


@pytest.mark.parametrize(
    "value",
    [
        "inf",
        float("inf"),
        "-inf",
        "nan",
        float("nan"),
        "1e999",
        1e308,
        10**400,
        -5,
        0,
        2.5,
        "five",
        True,
        [5],
    ],
)
def test_bad_durations_are_refused_naming_the_field(value) -> None:
    seconds, problem = parse_duration(EVOLINK, value)
    assert seconds is None
    assert problem is not None and problem.startswith(f"{DURATION}: ")
    assert "from 2 to 10" in problem  # the profile's rule, not a literal
    assert "convert" not in problem and len(problem) < 200  # never a Python error, never a huge echo


def test_the_rule_is_the_providers() -> None:
    seconds, problem = parse_duration(ODKKK, 7)
    assert seconds is None and "7 s is not offered by odkkk; choose 5 or 10 seconds" in problem  # type: ignore[operator]


def test_links_are_checked_line_by_line() -> None:
    urls, problems = parse_urls(
        "https://a.example/x.mp4\n\n  ftp://b.example/y.mp4 \nhttps://\nhttp://c.example:99999/z\nhttps://ok.example/a b"
    )
    assert urls == ["https://a.example/x.mp4"]
    assert [p.split(")")[0] for p in problems] == [
        f"{VIDEO_URLS}: line 2 ('ftp://b.example/y.mp4'",
        f"{VIDEO_URLS}: line 3 ('https://'",
        f"{VIDEO_URLS}: line 4 ('http://c.example:99999/z'",
        f"{VIDEO_URLS}: line 5 ('https://ok.example/a b'",
    ]
    assert "not an http(s) link" in problems[0] and "no host" in problems[1] and "spaces" in problems[3]
    _, long = parse_urls("https://a.example/" + "x" * 5000)
    assert "longer than" in long[0] and len(long[0]) < 300


def test_file_values() -> None:
    assert file_paths(None) == [] and file_paths("/a.mp4") == ["/a.mp4"]
    assert file_paths([{"path": "/a.mp4"}, "/b.mp4", None]) == ["/a.mp4", "/b.mp4"]
    assert url_lines(["https://a", " ", "https://b "]) == ["https://a", "https://b"]


def test_an_oversized_links_box_is_one_refusal_naming_the_field_and_the_limits() -> None:
    from wanvideo.limits import MAX_LINKS_BOX_CHARS, MAX_LINKS_BOX_LINES

    many_lines = "\n".join(f"https://e.com/{i}.mp4" for i in range(20_000))
    long_text = "https://e.com/" + "a" * MAX_LINKS_BOX_CHARS
    blank_lines = "https://e.com/a.mp4" + "\n" * (MAX_LINKS_BOX_LINES + 1)
    for text in (many_lines, long_text, blank_lines, many_lines.splitlines()):
        urls, problems = parse_urls(text)
        assert urls == [] and len(problems) == 1
        assert problems[0].startswith(f"{VIDEO_URLS}: ")
        assert f"at most {MAX_LINKS_BOX_LINES} lines and {MAX_LINKS_BOX_CHARS:,} characters" in problems[0]
        assert len(problems[0]) < 300
    assert "20,000 lines" in parse_urls(many_lines)[1][0]
    assert "最多 20 行" in parse_urls(many_lines)[1][0].render("zh-CN")
    fits = "\n".join(f"https://e.com/{i}.mp4" for i in range(MAX_LINKS_BOX_LINES))
    assert parse_urls(fits) == ([f"https://e.com/{i}.mp4" for i in range(MAX_LINKS_BOX_LINES)], [])
