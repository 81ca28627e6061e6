"""core.toolkit.links: every parameter of every lab round-trips through the address; bad values fall back with a message
naming the parameter; hide= and lesson files are read and checked."""

from __future__ import annotations

import math

import pytest

from core.toolkit import links as cl

ALL_PARAMS = [(lab, p) for lab in cl.LABS for p in cl.spec(lab).params]
IDS = [f"{lab}:{p.name}" for lab, p in ALL_PARAMS]


def valid_values(p: cl.Param) -> list:
    """Values the widget can hold, edges included."""
    if p.kind == "choice":
        return [v for _, v in p.options]
    if p.kind == "bool":
        return [True, False]
    if p.kind == "text":
        return ["", "ROMEO:", "naïve & co=1?\n#x", "x" * p.max_len]
    step = p.step or 1
    n = int(round((p.hi - p.lo) / step))
    grid = [p.lo, p.lo + step, p.lo + (n // 2) * step, p.hi]
    if p.kind == "int":
        return [int(v) for v in grid]
    return [round(v, 10) for v in grid] + ([] if p.step else [p.lo + 0.123456789])  # any value when there is no grid


def invalid_texts(p: cl.Param) -> list[str]:
    if p.kind == "choice":
        return ["nope", "", "upload"]
    if p.kind == "bool":
        return ["maybe", "2", ""]
    if p.kind == "text":
        return ["x" * (p.max_len + 1)]
    bad = ["abc", "", "nan", "inf", f"{p.hi + (p.step or 1)}", f"{p.lo - (p.step or 1)}"]
    if p.kind == "int":
        bad.append(f"{p.lo + 0.5}")
    if p.step:
        bad.append(f"{p.lo + p.step / 2}")
    return bad


@pytest.mark.parametrize("lab,p", ALL_PARAMS, ids=IDS)
def test_every_parameter_round_trips(lab, p):
    for value in valid_values(p):
        text = p.encode(value)
        assert text is not None
        back = p.decode(text)
        assert back == value and type(back) is type(value), (p.name, value, text, back)
        parsed = cl.parse_query(cl.spec(lab), cl.parse_query_string(cl.setup_query(cl.spec(lab), {p.key: value})))
        assert parsed.problems == ()
        assert parsed.values[p.key] == value


@pytest.mark.parametrize("lab,p", ALL_PARAMS, ids=IDS)
def test_an_invalid_value_falls_back_to_the_default_with_a_message_naming_the_parameter(lab, p):
    for text in invalid_texts(p):
        parsed = cl.parse_query(cl.spec(lab), {p.name: text})
        assert len(parsed.problems) == 1, (p.name, text, parsed.problems)
        assert parsed.problems[0].startswith(f"`{p.name}="), parsed.problems
        if p.default is None:
            assert p.key not in parsed.values  # the page keeps its own value
        else:
            assert parsed.values[p.key] == p.default
            assert "default" in parsed.problems[0]


@pytest.mark.parametrize("lab", cl.LABS)
def test_a_whole_setup_round_trips_and_defaults_are_valid(lab):
    spec = cl.spec(lab)
    assert len({p.name for p in spec.params}) == len(spec.params) and len({p.key for p in spec.params}) == len(
        spec.params
    )
    assert all(p.key.startswith(lab + "_") and p.group in cl.GROUPS for p in spec.params)
    assert not {p.name for p in spec.params} & set(cl.RESERVED + cl.STREAMLIT_OWN)
    for p in spec.params:  # a default is a value the parameter accepts
        if p.default is not None:
            assert p.decode(p.encode(p.default)) == p.default, p.name
    values = {p.key: valid_values(p)[-1] for p in spec.params}  # not the defaults: every value is an edge
    query = cl.setup_query(spec, values, hide=["training", "upload"], lesson="x")
    parsed = cl.parse_query(spec, cl.parse_query_string(query))
    assert parsed.values == values and parsed.problems == ()
    assert parsed.hide == {"training", "upload"} and parsed.lesson == "x"
    assert cl.parse_query_string(query)["hide"] == "upload,training"  # in GROUPS' order


def test_numbers_are_read_as_people_write_them():
    text = cl.spec("text").by_name()
    assert text["lr"].decode("1e-2") == 0.01 and text["lr"].decode("0.010") == 0.01
    assert text["temperature"].decode(" 0.8 ") == 0.8 and text["temperature"].decode("0.80000000001") == 0.8
    assert text["hidden"].decode("128.0") == 128
    assert cl.spec("music").by_name()["transpose"].decode("Off") is False
    assert text["cell"].decode("GRU") == "gru"
    with pytest.raises(ValueError, match="steps of 16"):
        text["hidden"].decode("100")


def test_values_a_link_cannot_hold_are_left_out():
    spec = cl.spec("dino")
    q = cl.encode_values(spec, {"dino_source": "Upload a name list"})
    assert "corpus" not in q and q["hidden"] == "50"  # an upload can't be linked; the rest are the defaults
    assert "tempo" not in cl.encode_values(cl.spec("music"), {})  # the page's own default (the corpus's tempo)


def test_unknown_parameters_and_groups_are_named():
    parsed = cl.parse_query(cl.spec("dino"), {"hiden": "5", "hide": "upload, Sampling,bogus", "sid": "abc"})
    assert parsed.values == {}
    assert parsed.hide == {"upload", "sampling"}
    assert len(parsed.problems) == 2
    assert any(m.startswith("`hiden`:") and "no setting" in m for m in parsed.problems)
    assert any("bogus" in m and "no control group" in m for m in parsed.problems)
    assert cl.parse_query(cl.spec("dino"), {"x": "1"}, ignore=["x"]).problems == ()
    assert cl.parse_hide("")[0] == frozenset()


def test_every_bundled_lesson_reads_and_its_preset_is_valid_for_its_lab():
    lessons = cl.load_lessons()
    assert len(lessons) >= 5
    assert {les.lab for les in lessons} == set(cl.LABS)
    assert [les.order for les in lessons] == sorted(les.order for les in lessons)
    for les in lessons:
        parsed = cl.parse_query(cl.spec(les.lab), les.params)
        assert parsed.problems == (), (les.name, parsed.problems)
        assert parsed.values, les.name
        assert "#### Steps" in les.body and "#### Questions to ask" in les.body, les.name
        assert "1. " in les.body
        for d in les.downloads:
            assert (cl.MIDI_DIR / d).is_file()
        assert cl.parse_query_string(les.query()) == {"lesson": les.name}


def test_lesson_files_are_checked(tmp_path):
    good = "---\ntitle: T\nlab: dino\nsummary: S\nparams: hidden=8\nhide: upload\n---\n#### Steps\n1. a\n"
    (tmp_path / "ok.md").write_text(good)
    les = cl.load_lesson("ok", tmp_path)
    assert les.params == {"hidden": "8", "hide": "upload"} and les.body.startswith("#### Steps") and les.minutes == 20
    for name, text, reason in [
        ("nofront", "title: x\n", "front matter"),
        ("open", "---\ntitle: x\n", "closing"),
        ("lacks", "---\ntitle: x\nlab: dino\n---\n", "lacks summary, params"),
        ("badlab", good.replace("lab: dino", "lab: chess"), "lab must be"),
        ("colon", good.replace("hide: upload", "hide upload"), "without a colon"),
        ("dl", good.replace("hide: upload", "downloads: ../../etc/passwd"), "not a bundled MIDI"),
        ("mins", good.replace("hide: upload", "minutes: ten"), "whole numbers"),
    ]:
        (tmp_path / f"{name}.md").write_text(text)
        with pytest.raises(cl.LessonError, match=reason):
            cl.load_lesson(name, tmp_path)
    for name in ["missing", "../ok", "OK", ""]:
        with pytest.raises(cl.LessonError, match="no lesson called"):
            cl.load_lesson(name, tmp_path)


def test_values_in_messages_are_shown_as_typed_not_as_markup():
    parsed = cl.parse_query(cl.spec("dino"), {"hidden": "[click](http://x) `x`", "**b**": "1"})
    assert parsed.problems[0].startswith("`hidden=[click](http://x) 'x'`")
    assert parsed.problems[1].startswith("`**b**`:")
    assert cl.quote("x" * 50).endswith("…") and len(cl.quote("x" * 50)) == 41


def test_float_grids_give_the_grid_value():
    p = cl.spec("text").by_name()["dropout"]
    for k in range(11):
        v = p.decode(f"{k * 0.05:.17g}")  # 0.15000000000000002 and the like
        assert v == round(k * 0.05, 10) and math.isclose(v, k * 0.05)


def test_the_lessons_readme_lists_every_parameter():
    readme = (cl.LESSONS_DIR / "README.md").read_text(encoding="utf-8")
    assert "README" not in cl.lesson_names()  # not a lesson
    for lab in cl.LABS:
        part = readme.split(f"### {cl.spec(lab).title} (`/{cl.spec(lab).page}`)")[1].split("### ")[0]
        for p in cl.spec(lab).params:
            assert f"| `{p.name}` | `{p.key}` | {p.group}{'' if p.hideable else ' ¹'} |" in part, (lab, p.name)


def test_a_link_naming_a_cell_and_no_dropout_gets_that_cells_dropout():
    from core.models.keras_model import CELL_DROPOUT, RNNConfig, cell_defaults

    text = cl.spec("text")
    assert cl.parse_query(text, {"cell": "gru"}).values["text_dropout"] == CELL_DROPOUT["gru"]
    assert cl.parse_query(text, {"cell": "gru", "dropout": "0.05"}).values["text_dropout"] == 0.05  # a given one wins
    assert "text_dropout" not in cl.parse_query(text, {"hidden": "64"}).values  # no cell named: nothing changes
    assert RNNConfig().dropout == CELL_DROPOUT[RNNConfig().cell]  # the page's default is the default cell's
    for cell, rate in CELL_DROPOUT.items():
        assert cell_defaults(cell).dropout == rate and cell_defaults(cell).cell == cell
