"""A film's shots as the page and `/film` give them (wanvideo/service/film.read_shots): JSON or
"seconds | prompt" lines, each refusal naming what to change before anything is parsed further."""

from __future__ import annotations

import json

import pytest

from wanvideo.batch import Shot
from wanvideo.limits import MAX_FILM_SHOTS
from wanvideo.providers import get_profile
from wanvideo.service import GenerationRefused
from wanvideo.service.film import MAX_SHOTS_CHARS, read_shots

EVOLINK = get_profile("evolink")  # 2-10 s


def test_lines_and_json_give_the_same_shots() -> None:
    lines = "2 | character1 walks in\n\n10｜character1 waves"
    given = json.dumps(
        [{"prompt": "character1 walks in", "duration": 2}, {"prompt": "character1 waves", "duration": 10}]
    )
    expected = [Shot("character1 walks in", 2), Shot("character1 waves", 10)]
    assert read_shots(lines, EVOLINK) == expected == read_shots(given, EVOLINK)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("[oops", "JSON list"),
        ('{"prompt": "x", "duration": 2}', "JSON list"),  # one object, not a list
        (
            json.dumps([{"prompt": "x", "duration": 2}] * (MAX_FILM_SHOTS + 1)),
            f"{MAX_FILM_SHOTS + 1} shots given",
        ),
        ("character1 waves", "Shot 1: give its seconds first"),
        ("2 | a\n11 | b", "Shot 2"),
        ("2 | ", "Shot 1: write its prompt"),
        ("x" * (MAX_SHOTS_CHARS + 1), f"{MAX_SHOTS_CHARS + 1} characters given"),  # refused unparsed
    ],
)
def test_bad_shots_are_refused_by_name(given: str, said: str) -> None:
    with pytest.raises(GenerationRefused) as refused:
        read_shots(given, EVOLINK)
    assert said in " ".join(str(p) for p in refused.value.problems)
