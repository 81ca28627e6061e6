"""Bad input (links that set up a lab: hide=, unknown parameters, addresses too long to read): every case gets a
short message on the page that repeats only the first few names, with a count of the rest, shown as typed; the page
keeps working. The other cases are in tests/test_bad_input_{dino,text,music,models,limits}.py.

Cases already covered elsewhere are not repeated here; the mapping is:
  - a bad value for a known parameter ... test_links_pages.test_invalid_values_fall_back_with_a_message_naming_each
  - an unknown lesson ..................... test_links_pages.test_an_unknown_lesson_gets_a_message_and_a_lesson_for_
                                            another_lab_moves_there
  - a long hide= and thousands of parameters in a real browser .. tests/e2e/test_bad_input_e2e.py
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.echo import FEW
from core.toolkit import links as cl
from tests.support.apptest import app, ok
from tests.support.inputs import markup_in
from ui.server import runner


def _open(page: str, query: dict[str, str]) -> AppTest:
    at = app(240)
    at.query_params.update(query)
    at.run()
    at.switch_page(page)
    at.run()
    ok(at)
    return at


def _link_warning(at: AppTest) -> str:
    found = [w.value for w in at.warning if "this link's settings could not be used" in w.value]
    assert len(found) == 1, [w.value for w in at.warning]
    return found[0]


# ---------------------------------------------------------------------------------------------- core
def test_thousands_of_unknown_hide_groups_give_one_short_message():
    """hide= with 8,000 unknown group names (core): one message naming the first few and counting the rest."""
    groups, problems = cl.parse_hide("upload," + ",".join(f"group{i}" for i in range(8000)))
    assert groups == {"upload"} and len(problems) == 1, problems
    assert "`group0`" in problems[0] and f"`group{FEW}`" not in problems[0] and "and 7,995 more" in problems[0]
    assert "8,000 names" in problems[0] and len(problems[0]) < 400, problems[0]


def test_hundreds_of_unknown_parameters_give_one_short_message():
    """300 unknown parameters (core): one message, the first few names and a count, not 300 messages."""
    parsed = cl.parse_query(cl.spec("dino"), {f"p{i}": "1" for i in range(300)} | {"hidden": "40"})
    assert parsed.values["dino_n_a"] == 40 and len(parsed.problems) == 1, parsed.problems
    assert "`p0`" in parsed.problems[0] and "and 295 more" in parsed.problems[0] and len(parsed.problems[0]) < 400


def test_an_address_over_streamlit_s_limits_keeps_its_first_parameters_and_counts_the_rest():
    """3,000 parameters, or one over 512 Ki characters (core): the first whole parameters within the limits are
    read, and the count of the others is passed on (a page says so instead of reading nothing)."""
    many = "&".join(f"p{i}=1" for i in range(3000))
    kept = cl.bounded_query(many, 512 * 1024, 1000)
    q = cl.parse_query_string(kept)
    assert len(q) == 1000 and "p998" in q and "p999" not in q and q[cl.LEFT_OUT] == "2001"
    assert cl.bounded_query("a=1&b=2", 512 * 1024, 1000) == "a=1&b=2"
    huge = "hidden=40&hide=" + ",".join("x" * 60 for _ in range(10_000)) + "&seed=3"
    q = cl.parse_query_string(cl.bounded_query(huge, 512 * 1024, 1000))
    assert q == {"hidden": "40", cl.LEFT_OUT: "2"}
    parsed = cl.parse_query(cl.spec("dino"), q)
    assert parsed.values == {"dino_n_a": 40}
    assert parsed.problems == ("2 more parameters were ignored: the address was too long to read them all.",)
    for typed in ("9" * 5000, "many", ""):  # the count as someone typed it: never read as a huge number
        said = cl.parse_query(cl.spec("dino"), {cl.LEFT_OUT: typed}).problems
        assert said == ("Some parameters were ignored: the address was too long to read them all.",), said


def test_the_server_reads_the_first_parameters_of_an_address_over_its_limits():
    """app.py installs the bounded reading in place of Streamlit's (which reads none of them)."""
    from streamlit.runtime import app_session

    assert runner.read_long_queries()
    q = cl.parse_query_string(app_session.sanitize_query_string("&".join(f"p{i}=1" for i in range(3000))))
    assert len(q) == 1000 and q[cl.LEFT_OUT] == "2001"


# ---------------------------------------------------------------------------------------------- pages
@pytest.mark.parametrize("page", ["pages/dinosaurs.py", "pages/text.py", "pages/music.py"])
def test_a_link_with_thousands_of_unknown_names_gets_a_short_warning(page):
    """hide= with 8,000 unknown names, 300 unknown parameters and the count of 2,000 the server left out (every
    lab): one short warning, names shown as code (no link or image made of them), and the page draws its Start."""
    query = {f"[x](http://e.com/{i})": "1" for i in range(300)}
    query["hide"] = ",".join(f"![i](http://127.0.0.1:9/{i}.png)" for i in range(8000))
    query[cl.LEFT_OUT] = "2000"
    at = _open(page, query)
    warning = _link_warning(at)
    assert len(warning) < 2000 and warning.count("\n- ") <= FEW + 1, warning
    assert "and 7,995 more" in warning and "and 295 more" in warning and "2,000 more parameters" in warning
    assert [t for t in markup_in(warning) if t != "code"] == [], warning
    assert any(b.label.endswith("Start") for b in at.button), [b.label for b in at.button]


def test_a_lesson_file_the_server_cannot_read_is_named_without_the_exception(monkeypatch, caplog):
    """A lesson file that can't be read (permissions, not UTF-8): the home page names the lesson in plain words;
    the exception, with its file path, goes to the server's log."""
    from core.toolkit import lessons

    real = cl.load_lesson
    broken = cl.lesson_names()[0]

    def load(name, *args, **kwargs):
        if name == broken:
            raise PermissionError(13, "Permission denied", str(cl.LESSONS_DIR / f"{name}.md"))
        return real(name, *args, **kwargs)

    monkeypatch.setattr(cl, "load_lesson", load)
    lessons.forget()
    try:
        with caplog.at_level("ERROR", logger="core.toolkit.lessons"):
            at = app(240)
            at.run()
        ok(at)
        said = [w.value for w in at.warning]
        assert any(f"The lesson {broken} could not be read" in w for w in said), said
        assert not any("Permission denied" in w or str(cl.LESSONS_DIR) in w for w in said), said
        assert "Permission denied" in caplog.text
    finally:
        lessons.forget()
