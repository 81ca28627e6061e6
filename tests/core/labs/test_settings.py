"""core.labs.settings: each lab's settings spec is consistent (defaults inside their ranges, each widget key and
link name once, the known hide= groups), every setting is drawn on its page with the spec's key and label, and a
changed range in the spec changes the page's widget."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from core.labs import settings as ls
from core.music import music_data as md
from tests.support.apptest import app

HIDE_GROUPS = ("upload", "architecture", "training", "sampling", "inspector", "inside", "toolkit")  # as links say
KINDS = ("slider", "select_slider", "number_input", "radio", "selectbox", "toggle", "checkbox", "text_input")
PAGES = {"dino": "pages/dinosaurs.py", "text": "pages/text.py", "music": "pages/music.py"}
TINY_TEXT = "corpus=dinos&hidden=16&embedding=8&window=16&batch=4"
TINY_MUSIC = "hidden=8&window=10&batch=4"
# links that between them show every widget of a page (some wait for another choice: the course's model, a start)
SETUPS = {
    "dino": [""],
    "text": [TINY_TEXT],
    "music": [
        TINY_MUSIC,
        f"{TINY_MUSIC}&model=course&start=piece",
        f"{TINY_MUSIC}&model=course&start=motif&motif=C4q E4q&bars=2",
    ],
}


@pytest.mark.parametrize("lab", ls.LABS)
def test_each_lab_spec_is_consistent(lab):
    cls = ls.lab_class(lab)
    spec = cls.settings()
    assert spec is cls.settings() and spec.lab == cls.key and spec.page == ls.PAGES[lab]
    assert len({p.key for p in spec.params}) == len(spec.params), "each widget key once"
    assert len({p.name for p in spec.params}) == len(spec.params), "each link name once"
    assert len(set(spec.keep())) == len(spec.keep()) and not set(spec.kept) & {p.key for p in spec.params}
    assert ls.GROUPS == HIDE_GROUPS  # a teacher's hide= links name these
    for p in spec.params:
        assert p.key.startswith(f"{cls.key}_"), p.key
        assert p.group in HIDE_GROUPS, (p.name, p.group)
        assert p.label and p.widget in ls.WIDGETS, p.name
        if p.kind in ("int", "float"):
            assert p.lo < p.hi, p.name
            if p.default is not None:
                assert p.lo <= p.default <= p.hi, (p.name, p.default)
            if p.step:  # the slider's grid reaches its top
                n = (p.hi - p.lo) / p.step
                assert abs(n - round(n)) < 1e-9, p.name
        if p.kind == "choice":
            assert len(set(p.values())) == len(p.options) and len({s for s, _ in p.options}) == len(p.options)
            assert p.default in p.values(), (p.name, p.default)
            assert all(v in p.values() for v, _ in p.names), p.name
        if p.default is not None:
            assert p.decode(p.encode(p.default)) == p.default, p.name
        if p.name in ("seed", "sample_seed", "gen_seed"):
            assert (p.lo, p.hi) == (0, ls.MAX_SEED), p.name


def test_an_unknown_lab_is_named():
    with pytest.raises(KeyError, match="chess"):
        ls.lab_settings("chess")


def test_widget_values_move_to_what_the_widget_can_hold():
    text = ls.lab_settings("text")
    got = text.widget_values(lr=0.0021, window=30, batch=5, hidden=96.0)
    assert got == {"text_lr": 0.002, "text_seq": 32, "text_batch": 4, "text_hidden": 96}
    assert type(got["text_hidden"]) is int


def drawn(at: AppTest) -> dict[str, str]:
    """key -> label of every settings-like widget on the page."""
    return {w.key: w.label for kind in KINDS for w in getattr(at, kind) if w.key}


def opened(lab: str, query: str) -> AppTest:
    at = app(240)
    at.query_params.update(dict(part.split("=", 1) for part in query.split("&") if part))
    at.run()
    at.switch_page(PAGES[lab])
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lab", ls.LABS)
def test_every_setting_is_drawn_on_its_page_with_the_spec_key_and_label(lab):
    if lab == "music" and not md.bundled_styles():
        pytest.skip("no bundled corpus in data/midi")
    spec = ls.lab_settings(lab)
    seen: dict[str, str] = {}
    for query in SETUPS[lab]:
        seen |= drawn(opened(lab, query))
    for p in spec.params:
        assert p.key in seen, f"{p.key} is not on {PAGES[lab]}"
        assert seen[p.key].startswith(p.label), (p.key, seen[p.key], p.label)  # "From bar (of 12)": the page adds


def test_a_changed_range_in_the_spec_changes_the_page_widget(monkeypatch):
    cls = ls.lab_class("dino")
    spec = cls.settings()
    hidden = dataclasses.replace(spec["hidden"], hi=64, label="Hidden units (n_a)")
    narrowed = dataclasses.replace(spec, params=tuple(hidden if p.name == "hidden" else p for p in spec.params))
    monkeypatch.setattr(cls, "settings", staticmethod(lambda: narrowed))
    at = opened("dino", "hidden=100")
    slider = at.slider(key="dino_n_a")
    assert slider.proto.max == 64 and slider.label == "Hidden units (n_a)"
    said = " ".join(w.value for w in at.warning)
    assert "hidden=100" in said and "from 1 to 64" in said  # the link is checked against the same range
    assert slider.value == 50  # the default


def test_the_dinosaur_zip_checks_read_the_spec():
    """A Dinosaur model file's settings are checked against the ranges the page's widgets hold."""
    from core.files import model_zip as mz
    from core.labs.dino_lab import ZIP_RANGES, DinoLab

    spec = DinoLab.settings()
    ranges = {field: spec[name].span() for field, name in ZIP_RANGES.items()}
    meta = {"config": {"clip_value": 500.0, "learning_rate": 20.0, "n_a": spec["hidden"].hi + 1}}
    out, notes = mz.validate_numpy_meta(meta, ranges)
    assert out["config"]["clip_value"] == 500.0  # the clip box takes it, so the file may hold it
    assert "learning_rate" not in out["config"] and any("learning_rate" in n for n in notes)  # above the slider
    assert "n_a" not in out["config"]  # larger than the hidden-size slider
