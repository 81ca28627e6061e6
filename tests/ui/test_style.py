"""ui.style: the CSS every page gets, the Reduce motion toggle, and fewer redraws of a training lab with it on."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from core import palette
from tests.support.apptest import open_page
from ui import style


def test_every_page_gets_the_css_and_the_toggle():
    at = open_page("pages/home.py")
    assert not at.exception
    assert at.toggle(key=style.KEY).value is False  # no cookie: the browser's preference is not known yet
    html = "".join(str(e.proto) for e in at.get("html"))
    assert "stCaptionContainer" in html and palette.MUTED in html and ":focus-visible" in html
    assert "prefers-reduced-motion: reduce" in html


def test_css_colours_come_from_the_palette():
    assert f"outline: 3px solid {palette.FOCUS}" in style.CSS
    assert palette.contrast(palette.FOCUS, palette.WHITE) >= 3 and palette.contrast(palette.FOCUS, palette.SIDEBAR) >= 3


def test_the_script_survives_the_sanitiser():
    """Streamlit cleans st.html with DOMPurify, which drops a script whose text has "<" before a letter or a slash
    (it looks like markup): the whole script would silently not run."""
    body = re.search(r"<script>(.*)</script>", style.SCRIPT, re.S).group(1)
    assert "st-key-" in body and "focusin" in body  # the focus keeper is in it
    assert not re.search(r"<[/\w!?]", body), re.search(r".{40}<[/\w!?].{40}", body).group(0)


def test_the_collapsed_sidebar_is_hidden_from_the_keyboard():
    assert re.search(r'\[data-collapsed="true"\] \*[^{]*\{\s*visibility: hidden', style.CSS)


def _live_script(reduce: bool) -> None:
    import streamlit as st

    from core.labs.dino_lab import DinoLab
    from core.labs.lab import Schedule
    from core.models.dino import DinoConfig
    from tests.support.inputs import NAMES
    from ui import live, style

    kept, style.REDUCED_REDRAW_S = style.REDUCED_REDRAW_S, 0.3  # short, for the test; each slice below is 0.02 s
    st.session_state[style.KEY] = reduce
    lab = DinoLab()
    lab.schedule = Schedule(slice_s=0.02, tick_s=60.0, chunk_s=0.01, max_chunk=5, first_chunk=2, eval_every_s=None)
    lab.configure("test", NAMES, DinoConfig(n_a=8, seed=1, iterations=10**7))
    lab.start()
    slices = []
    run_slice = lab.run_slice
    lab.run_slice = lambda: slices.append(1) or run_slice()
    renders = []
    try:
        live.live_area(lab, lambda: renders.append(1))
    finally:
        style.REDUCED_REDRAW_S = kept
    st.session_state["counts"] = (len(slices), len(renders))


def test_reduced_motion_trains_several_slices_per_redraw():
    counts = {}
    for reduce in (False, True):
        at = AppTest.from_function(_live_script, args=(reduce,), default_timeout=120)
        at.run()
        assert not at.exception
        counts[reduce] = at.session_state["counts"]
    assert counts[False] == (1, 1)  # one slice, one redraw
    slices, renders = counts[True]
    assert renders == 1 and slices > 1  # slices back to back until REDUCED_REDRAW_S had passed, then one redraw
