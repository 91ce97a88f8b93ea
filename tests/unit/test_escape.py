"""Visitor-given values put into Markdown or HTML are shown as given, never as markup (issue 15,
item 5): a link named `[a](https://elsewhere.example/)` stays text in the cost and status panels
and in toasts. Rendered with markdown-it (CommonMark + tables) to see what a page would get."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from markdown_it import MarkdownIt

from components.cost_view import as_markdown
from components.status_view import View
from wanvideo.escape import for_html, for_markdown, markdown_code, markdown_text
from wanvideo.events import Failed, FailureReason, Preparing, Probed, Submitted, Uploading
from wanvideo.media import ProbeResult
from wanvideo.messages import ZH, Message
from wanvideo.pricing import estimate
from wanvideo.providers import get_profile
from wanvideo.service import Assessment

CRAFTED = "https://example.com/[a](https://elsewhere.example/).mp4"
HOSTILE = [
    CRAFTED,
    "[a](http:elsewhere.example).mp4",
    "![x](https://elsewhere.example/p.png).mp4",
    "<a href='https://elsewhere.example'>b</a>.mp4",
    "<img src=x onerror=alert(1)>.mp4",
    "**bold** _it_ `code` ~~gone~~.mp4",
    "cell | other.mp4",
    "$$x^2$$.mp4",
    "<https://elsewhere.example>.mp4",
    "line one\n# heading\n- item.mp4",
    "back\\slash\\[x](y).mp4",
    "mail me@elsewhere.example www.elsewhere.example https://elsewhere.example",
]
ORDINARY = [
    "my_clip.mp4",
    "take 1 (final).mp4",
    "a-b.mov",
    "ruby.mp4",
    "周杰伦_舞蹈.mp4",
    "v2.0_final-cut.MP4",
]

MD = MarkdownIt("commonmark").enable("table")


def _text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_renders_as_itself_and_as_no_markup(value: str) -> None:
    rendered = MD.renderInline("name: " + markdown_text(value))
    assert not re.search(r"<(a|img|em|strong|code|s|del|h\d|li|table)\b", rendered), rendered
    assert _text_of(rendered) == "name: " + value.replace("\n", " ")


@pytest.mark.parametrize("value", ORDINARY)
def test_an_ordinary_name_is_left_as_it_is(value: str) -> None:
    assert markdown_text(value) == value


def test_a_code_span_value_cannot_close_the_span() -> None:
    rendered = MD.renderInline(f"Task `{markdown_code('t`[a](https://elsewhere.example/)`')}`")
    assert "<a" not in rendered and rendered.count("<code>") == 1


def test_a_message_escapes_the_values_it_quotes_and_keeps_its_own_words() -> None:
    line = Message("input.link_line", number=2, value=repr(CRAFTED), why=Message("input.link_spaces"))
    problem = Message("field.problem", field=Message("field.video_urls"), problem=line)
    for lang in ("en", ZH):
        shown = for_markdown(problem, lang)
        assert "<a" not in MD.renderInline(shown)
        assert _text_of(MD.renderInline(shown)) == problem.render(lang)
    assert str(problem).startswith(
        "Reference video URLs: line 2 ('https://example.com/[a]"
    )  # JSON/API: as is
    assert for_markdown(CRAFTED) == markdown_text(CRAFTED)  # plain text: escaped whole
    assert for_markdown(Message("refs.none")) == Message("refs.none").render()  # no values: untouched


def test_html_toasts_escape_values_but_not_quotes() -> None:
    message = Message("job.not_checked", name="<a href='https://elsewhere.example'>x</a>.mp4", kind="Boom")
    shown = for_html(message)
    assert "<a" not in shown and "&lt;a href='https://elsewhere.example'&gt;x&lt;/a&gt;.mp4" in shown


def _probed(name: str, problem: str | None = None) -> Probed:
    probe = ProbeResult(name=name, source=CRAFTED, duration=3.0, container="mp4")
    prices = get_profile("demo").prices
    problems = (Message("job.not_checked", name=name, kind="Boom"),) if problem else ()
    return Probed(probes=(probe,), estimate=estimate([3.0], "720p", 5, prices), problems=problems)


@pytest.mark.parametrize("lang", ["en", ZH])
def test_the_cost_panel_shows_a_crafted_name_as_text(lang: str) -> None:
    name = "[a](https://elsewhere.example/).mp4"
    probed = _probed(name, problem="yes")
    a = Assessment(probed=probed, duration=5, quality="720p", problems=list(probed.problems), given=1)
    rendered = MD.render(as_markdown(a, lang))
    assert "elsewhere.example" in rendered and "<a " not in rendered
    assert f"character1 · {html.escape(name, quote=False)}" in rendered.replace("&quot;", '"')


def test_the_status_panel_shows_crafted_names_and_errors_as_text() -> None:
    name = "[a](https://elsewhere.example/).mp4"
    view = View(provider="demo")
    view.apply(Preparing(index=1, count=1, name=name, percent=40.0, notes=()))
    assert "<a " not in MD.render(view.markdown())
    view.apply(Uploading(1, 1, name, 10, 100))
    assert "<a " not in MD.render(view.markdown()) and name in _text_of(MD.render(view.markdown()))
    view.apply(
        Submitted(
            task_id="t`[x](https://elsewhere.example/)", credits_reserved=Decimal("5"), idempotency_key="k"
        )
    )
    problem = Message("job.not_checked", name=name, kind="Boom")
    view.apply(
        Failed(message=problem, suggestion=problem, problems=(problem, problem), reason=FailureReason.REFUSED)
    )
    rendered = MD.render(view.markdown())
    assert "<a " not in rendered and rendered.count(html.escape(name, quote=False)) >= 3
