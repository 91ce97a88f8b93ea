"""Visitor-given text made inert where the page renders markup: the one helper for every value
a visitor (or a provider's answer) put into a Markdown panel or an HTML toast.

    markdown_text("my_clip.mp4")            # 'my_clip.mp4': nothing in it can start markup
    markdown_text("[a](https://x.example)") # '\\[a\\](https\\://x.example)': shown as typed, never a link
    for_markdown(problem, lang)             # a Message in `lang` with every value it quotes
                                            # escaped (its catalogue words keep their markdown);
                                            # a plain text escaped whole
    for_html(problem, lang)                 # the same for HTML (Gradio's toasts render HTML)
    markdown_code(task_id)                  # inside a code span: no backtick, no line break

Markdown: each character that could start markup inside a line gets a backslash (CommonMark
renders an escaped punctuation character as itself, so the value reads exactly as given, and no
link, image, emphasis, code, table cell, autolink, HTML tag or `$$` maths can start inside
it); line breaks become spaces, so a value never starts a heading, a list or a quote. Escape a
value once, where it is put into the markup.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .messages import EN, render

__all__ = ["for_html", "for_markdown", "html_text", "markdown_code", "markdown_text"]

# What can start markup in the middle of a line (a value never starts one: line breaks become
# spaces): emphasis, code, strike-through, links and images (`[`), HTML and autolinks (`<`),
# table cells, maths, and GFM's bare autolinks (`scheme://`, `www.`, `name@host`). An `_` inside
# a word (my_clip.mp4) opens nothing in GFM and is left as it is, as are `.`, `-`, `(` and the
# rest: ordinary names read the same in the markdown source and on the page.
_MARKUP = re.compile(
    r"""[\\`*~\[\]<>|$@]"""  # always
    r"""|(?<![^\W_])_|_(?![^\W_])"""  # an `_` at a word's edge (letters and digits of any script)
    r"""|:(?=//)"""  # scheme://
    r"""|(?<=\bwww)\.""",  # www.
    re.IGNORECASE,
)
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def markdown_text(value: Any) -> str:
    """`value` as literal text inside Markdown (see the module docstring)."""
    return _MARKUP.sub(lambda m: "\\" + m.group(0), _LINE_BREAKS.sub(" ", str(value)))


def markdown_code(value: Any) -> str:
    """`value` inside a code span (`...`), where backslashes show: no backtick to close it early,
    no line break."""
    return _LINE_BREAKS.sub(" ", str(value)).replace("`", "'")


def html_text(value: Any) -> str:
    """`value` as literal text inside an HTML element (not an attribute: quotes stay as they
    are, so an API caller reading the same message sees 'name' rather than &#x27;name&#x27;)."""
    return html.escape(str(value), quote=False)


def for_markdown(value: Any, lang: str = EN) -> str:
    """A domain text (a Message or plain text) for a Markdown panel, in `lang`."""
    return render(value, lang, markdown_text)


def for_html(value: Any, lang: str = EN) -> str:
    """A domain text (a Message or plain text) for HTML (a toast), in `lang`."""
    return render(value, lang, html_text)
