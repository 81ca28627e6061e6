"""The home page's "Start here": a student sees which lab and lesson to open, and every button it tells them to press
is on that lab's page, under that name."""

from __future__ import annotations

import re

from core.toolkit import lessons as catalogue
from tests.pages.test_links import open_with
from tests.support.apptest import app, ok
from ui.toolkit.lessons import FIRST


def _home():
    at = app()
    at.run()
    ok(at)
    return at


def _start_here_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_home_page_has_a_start_here_that_opens_the_first_lesson():
    at = _home()
    assert [h.value for h in at.subheader][:1] == ["Start here"]  # before the labs and the teachers' lessons
    links = [e.proto for e in at.get("page_link") if "Open the lesson" in e.proto.label]
    assert len(links) == 1
    lesson, _ = catalogue.find(FIRST)
    assert links[0].page == "dinosaurs" and f"lesson={FIRST}" in links[0].query_string
    assert lesson.title in links[0].label
    text = _start_here_text(at)
    assert "Press **Sample names** first" in text and "Press **▶ Start**" in text


def test_every_button_start_here_names_is_on_the_lessons_page():
    said = set(re.findall(r"\*\*(.+?)\*\*", _start_here_text(_home())))
    at = open_with("dino", {"lesson": FIRST})
    labels = {b.label for b in at.button}
    for name in ("Sample names", "▶ Start"):
        assert name in said and name in labels, (name, sorted(labels))
    lesson, _ = catalogue.find(FIRST)
    assert "**Sample names**" in lesson.body and "**▶ Start**" in lesson.body  # the guide says the same
