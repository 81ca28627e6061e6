"""AppTest: every parameter of every lab round-trips through the address (set the query, run, read the widgets
back, and "Link to this setup" regenerates the query); hide= hides exactly the listed groups; each lesson opens
with its guide and applies its preset; bad links get a message, never a traceback."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.toolkit import links as cl
from tests.support.apptest import app, button

PAGES = {"dino": "pages/dinosaurs.py", "text": "pages/text.py", "music": "pages/music.py"}
KINDS = ("slider", "select_slider", "number_input", "radio", "selectbox", "toggle", "checkbox", "text_input")

# Non-default values for every parameter (tiny models so that the Keras pages build fast).
DINO = (
    "corpus=dinos&hidden=16&seed=4&lr=0.03&clip=0&clip_value=2.5&iterations=1000&unit=bits&sample_every=250"
    "&temperature=0.65&n=5&sample_seed=3"
)
TEXT = (
    "corpus=dinos&cell=gru&hidden=32&layers=2&embedding=16&dropout=0.1&seed=7&window=16&batch=4&lr=0.003&unit=bits"
    "&schedule=plateau&stop_best=1"
    "&prime=saur&length=100&temperature=0.55&top_k=5&sample_seed=9"
)
MUSIC_LSTM = (
    "corpus=irish_folk&max_chord=2&transpose=0&model=lstm&hidden=8&seed=5&window=10&batch=4&lr=0.01&max_steps=500"
    "&unit=bits&schedule=constant&stop_best=0&start=silence&n=50&temperature=0.7&gen_seed=6&tempo=100&instrument=violin"
)
MUSIC_COURSE = (
    "model=course&hidden=8&window=10&batch=4&graph=inference&start=piece&piece=1&from_bar=2&prime_bars=3&bars=5"
    "&generation=sample&temperature=1.25&gen_seed=2&instrument=flute"
)
MUSIC_MOTIF = "model=course&hidden=8&window=10&batch=4&start=motif&motif=C4q E4q G4h&generation=argmax&bars=2"
SETUPS = [("dino", DINO), ("text", TEXT), ("music", MUSIC_LSTM), ("music", MUSIC_COURSE), ("music", MUSIC_MOTIF)]


def open_with(lab: str, query: dict[str, str]) -> AppTest:
    """The app opened at ``lab``'s page with ``query`` in the address (as a shared link does)."""
    at = app(240)
    at.query_params.update(query)
    at.run()
    at.switch_page(PAGES[lab])
    at.run()
    assert not at.exception, at.exception
    return at


def drawn(at: AppTest) -> dict[str, object]:
    """key -> value of every settings-like widget on the page."""
    out = {}
    for kind in KINDS:
        for w in getattr(at, kind):
            if w.key:
                out[w.key] = w.value
    return out


def setup_link(at: AppTest, lab: str) -> dict[str, str]:
    """The query of the sidebar's "Link to this setup" (its path is the lab's page)."""
    codes = [c.value for c in at.sidebar.code]
    assert len(codes) == 1, codes
    path, _, query = codes[0].partition("?")
    assert path.endswith("/" + cl.spec(lab).page), path
    return cl.parse_query_string(query)


@pytest.mark.parametrize(
    "lab,query", SETUPS, ids=["dino", "text", "music-lstm", "music-course-piece", "music-course-motif"]
)
def test_every_parameter_round_trips_through_the_address(lab, query):
    spec = cl.spec(lab)
    q = cl.parse_query_string(query)
    at = open_with(lab, q)
    assert not at.warning or all("could not be used" not in w.value for w in at.warning), [w.value for w in at.warning]
    expected = cl.parse_query(spec, q).values
    widgets = drawn(at)
    for name, text in q.items():
        key = spec.by_name()[name].key
        got = widgets[key] if key in widgets else at.session_state[key]
        assert got == expected[key], (name, got, expected[key])
    shown = [spec.by_name()[n].key for n in q if spec.by_name()[n].key in widgets]
    assert len(shown) >= len(q) - 4, "most of the link's widgets are on the page"  # the rest wait for another choice
    link = setup_link(at, lab)
    for name, text in q.items():
        assert spec.by_name()[name].decode(link[name]) == expected[spec.by_name()[name].key], name
    assert set(link) <= {p.name for p in spec.params}
    again = open_with(lab, link)  # the regenerated link gives the same setup
    assert {k: v for k, v in drawn(again).items() if k in spec.by_key()} == {
        k: v for k, v in widgets.items() if k in spec.by_key()
    }


def test_a_link_applies_once_then_the_user_changes_the_widgets():
    at = open_with("dino", {"hidden": "16", "seed": "4"})
    at.slider(key="dino_n_a").set_value(20)
    at.run()
    assert at.slider(key="dino_n_a").value == 20  # not put back by the link still in the address
    at.switch_page("pages/home.py")
    at.run()
    at.switch_page("pages/dinosaurs.py")
    at.run()
    assert at.slider(key="dino_n_a").value == 20 and at.number_input(key="dino_seed").value == 4  # kept across pages
    assert cl.parse_query_string(at.sidebar.code[0].value.partition("?")[2])["hidden"] == "20"


def test_invalid_values_fall_back_with_a_message_naming_each():
    at = open_with(
        "text",
        {
            "hidden": "5000",
            "cell": "transformer",
            "temperature": "hot",
            "window": "16",
            "colour": "red",
            "hide": "models",
        },
    )
    assert not at.exception
    message = " ".join(w.value for w in at.warning)
    for name in ("hidden=5000", "cell=transformer", "temperature=hot", "colour", "models"):
        assert name in message, (name, message)
    assert at.slider(key="text_hidden").value == cl.spec("text").by_name()["hidden"].default
    assert at.selectbox(key="text_cell").value == "lstm" and at.slider(key="text_temp").value == 0.8
    assert at.select_slider(key="text_seq").value == 16  # the good one is used


def groups_drawn(at: AppTest, lab: str) -> dict[str, set[str]]:
    """group -> the hideable keys of that group drawn on the page (plus the inspector and the toolkit's link)."""
    widgets = drawn(at)
    out = {
        g: {p.key for p in cl.spec(lab).params if p.group == g and p.hideable and p.key in widgets} for g in cl.GROUPS
    }
    if any(s.value == "Inspector" for s in at.subheader):
        out["inspector"].add("Inspector")
    if any(e.label.startswith("🔗 Link to this setup") for e in at.sidebar.expander):
        out["toolkit"].add("link")
    return out


@pytest.mark.parametrize(
    "lab,hide",
    [
        ("dino", "upload,sampling,toolkit"),
        ("dino", "architecture,training,inspector"),
        ("text", "upload,sampling,inspector"),
        ("text", "architecture,training,toolkit"),
        ("music", "upload,architecture"),
        ("music", "training,toolkit"),
    ],
)
def test_hide_hides_exactly_the_listed_groups(lab, hide):
    base = {
        "dino": "hidden=8",
        "text": "corpus=dinos&hidden=16&embedding=8&window=16&batch=4",
        "music": "hidden=8&window=10&batch=4",
    }[lab]

    def page(extra: str) -> AppTest:
        at = open_with(lab, cl.parse_query_string(base + extra))
        if lab != "music":  # something sampled, so that the inspector has something to show
            button(at, "Sample names" if lab == "dino" else "Generate").click()
            at.run()
            assert not at.exception, at.exception
        return at

    full = groups_drawn(page(""), lab)
    hidden = set(hide.split(","))
    assert all(full[g] for g in hidden if not (lab == "music" and g in ("sampling", "inspector"))), full
    at = page("&hide=" + hide)
    after = groups_drawn(at, lab)
    for g in cl.GROUPS:
        assert after[g] == (set() if g in hidden else full[g]), (g, after[g], full[g])
    link = cl.parse_query_string(at.sidebar.code[0].value.partition("?")[2]) if "toolkit" not in hidden else None
    if link is not None:
        assert set(link["hide"].split(",")) == hidden


def test_a_hidden_setting_keeps_the_links_value():
    at = open_with("dino", {"hidden": "12", "lr": "0.3", "hide": "architecture,training"})
    assert "dino_n_a" not in drawn(at)
    assert (
        at.session_state["dino"].trainer.config.n_a == 12
        and at.session_state["dino"].trainer.config.learning_rate == 0.3
    )


@pytest.mark.parametrize("lesson", [les.name for les in cl.load_lessons()])
def test_each_lesson_opens_with_its_guide_and_applies_its_preset(lesson):
    les = cl.load_lesson(lesson)
    at = open_with(les.lab, {"lesson": lesson})
    side = " ".join(m.value for m in at.sidebar.markdown)
    assert les.title in side and "Steps" in side and "Questions to ask" in side
    parsed = cl.parse_query(cl.spec(les.lab), les.params)
    for key, value in parsed.values.items():
        assert at.session_state[key] == value, (key, at.session_state[key], value)
    widgets = drawn(at)
    for g in parsed.hide or ():
        assert not {p.key for p in cl.spec(les.lab).params if p.group == g and p.hideable} & set(widgets), g
    assert len(at.sidebar.get("download_button")) == len(les.downloads)
    link = (
        cl.parse_query_string(at.sidebar.code[0].value.partition("?")[2])
        if "toolkit" not in (parsed.hide or ())
        else {}
    )
    assert not link or link["lesson"] == lesson
    button(at, "Close the lesson").click()
    at.run()
    assert les.title not in " ".join(m.value for m in at.sidebar.markdown)


def test_an_unknown_lesson_gets_a_message_and_a_lesson_for_another_lab_moves_there():
    at = open_with("dino", {"lesson": "no-such-lesson"})
    assert any("no lesson called `no-such-lesson`" in w.value for w in at.warning)
    at = open_with("dino", {"lesson": "text-temperature"})
    assert at.session_state.get("_links_lesson") == ("text", "text-temperature")
    assert "Temperature and top-k" in " ".join(m.value for m in at.sidebar.markdown)


def test_the_home_page_lists_every_lesson_with_its_link():
    at = app(60)
    at.run()
    assert not at.exception
    labels = [p.label for p in at.get("page_link")]
    codes = " ".join(c.value for c in at.code)
    for les in cl.load_lessons():
        assert any(les.title in label for label in labels), les.title
        assert f"{cl.PAGES[les.lab]}?lesson={les.name}" in codes


def _hidden_widgets_script():
    import streamlit as st

    from ui.toolkit import links

    st.session_state["_links_hide"] = ["sampling"]
    st.session_state.setdefault("dino_temp", 0.4)  # a value the session holds wins
    g = links.group("sampling")
    c1, c2 = g.columns(2)
    with g.expander("x"):
        values = {
            "held": c1.slider("t", 0.0, 3.0, 1.0, 0.05, key="dino_temp"),
            "spec": c2.number_input("n", 1, 100, 7, key="dino_how_many"),  # the spec's default (10), not the call's
            "slider": g.slider("a", 1, 9, 4, key="other_a"),
            "select_slider": g.select_slider("b", [1, 2, 3], 2, key="other_b"),
            "selectbox": g.selectbox("c", ["p", "q"], index=1, key="other_c"),
            "radio": g.radio("d", ["r", "s"], key="other_d"),
            "toggle": g.toggle("e", True, key="other_e"),
            "text": g.text_input("f", "hi", key="other_f"),
            "shown": links.group("training").slider("g", 0, 5, 2, key="other_g"),
        }
    g.subheader("nothing")
    st.json(values)


def test_a_hidden_group_draws_nothing_and_gives_each_widget_its_value():
    at = AppTest.from_function(_hidden_widgets_script)
    at.run()
    assert not at.exception, at.exception
    assert len(at.slider) == 1 and at.slider[0].key == "other_g"  # only the shown group's widget
    values = json.loads(at.json[0].value)
    assert values == {
        "held": 0.4,
        "spec": 10,
        "slider": 4,
        "select_slider": 2,
        "selectbox": "q",
        "radio": "r",
        "toggle": True,
        "text": "hi",
        "shown": 2,
    }
    assert not at.subheader and not at.expander


def test_a_lesson_link_to_the_home_page_goes_to_its_lab():
    at = app(120)
    at.query_params["lesson"] = "dino-from-scratch"
    at.run()
    assert not at.exception, at.exception
    assert "Dinosaur names from scratch" in " ".join(m.value for m in at.sidebar.markdown)
    assert at.number_input(key="dino_seed").value == 1  # the preset
    at = app(60)
    at.query_params["lesson"] = "nope"
    at.run()
    assert any("no lesson called `nope`" in w.value for w in at.warning)


def test_put_the_preset_back_restores_the_lessons_settings():
    at = open_with("dino", {"lesson": "dino-from-scratch"})
    at.slider(key="dino_n_a").set_value(7)
    at.run()
    assert at.slider(key="dino_n_a").value == 7
    button(at, "Put the preset back").click()
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key="dino_n_a").value == 50 and at.number_input(key="dino_seed").value == 1
