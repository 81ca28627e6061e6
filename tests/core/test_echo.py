"""core.echo: user strings shown literally in Markdown, and lists echoed back bounded."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from core.echo import FEW, JOINER, cut, first_few, joined, literal

NASTY = [
    "[click me](https://example.com) ![img](http://127.0.0.1:9/p.png).txt",
    "**bold** _em_ `code` ~~gone~~ $x^2$ :red[red] <b>tag</b> &amp; # head",
    "a\\b\\\\c `` ` ` ``",
    "1. not a list",
    "- not a bullet",
    "> not a quote",
    "| a | b |",
    "bare https://example.com and www.example.org and me@example.com :smile: :material/home:",
]

# what Streamlit's Markdown finds in the text after parsing, where escapes don't reach: GFM's bare addresses
# (mdast-util-gfm-autolink-literal's patterns) and emoji or icon codes
FOUND_AFTER_PARSING = re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+\.|:[\w/+-]+:", re.IGNORECASE)


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


@pytest.mark.parametrize("text", NASTY)
def test_literal_renders_as_the_same_characters_and_no_markup(text):
    """CommonMark renders literal(text) as one paragraph holding exactly text: no link, image, emphasis or tag."""
    out = _render(literal(text))
    assert out.startswith("<p>") and out.rstrip().endswith("</p>"), out
    inner = out.strip()[3:-4]
    assert "<" not in inner.replace("&lt;", ""), out  # no element at all
    shown = html.unescape(inner)
    assert shown.replace(JOINER, "") == text, out
    assert not FOUND_AFTER_PARSING.search(shown), shown


def test_literal_and_cut_keep_one_line_and_bound_the_length():
    long = "x" * 500 + "\n" + "y"
    assert cut(long, 40) == "x" * 39 + "…"
    assert len(literal("[" * 500, 40)) <= 2 * 40
    assert cut("a\nb\r\nc\td") == "a b c d"
    assert "\n" not in literal("line 1\n\n# line 2")


def test_first_few_and_joined_bound_a_list_and_count_the_rest():
    assert first_few(["a", "b"]) == ["a", "b"]
    items = [f"n{i}" for i in range(8000)]
    few = first_few(items)
    assert few[:FEW] == items[:FEW] and few[FEW] == "and 7,995 more" and len(few) == FEW + 1
    assert joined(items, 3) == "n0, n1, n2 and 7,997 more"
    assert joined(["a", "b", "c"], 3) == "a, b, c"
    assert re.fullmatch(r"a", joined(["a"]))


def test_word_joiners_only_where_a_link_or_a_code_would_start():
    """Ordinary colons and at signs stay as they are, so the page's text can still be searched for."""
    assert JOINER not in literal("not_midi.mid: This is not a MIDI file, at 10:30 @ home")
    assert literal("https://e.com").count(JOINER) == 1 and literal(":smile:").count(JOINER) == 1
