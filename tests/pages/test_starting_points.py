"""AppTest: "Start from the trained model" on each lab page loads the bundled model, the loss chart shows its history
and the page says what was loaded; Start then continues from its step (trained starting points)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from core.echo import literal
from core.files import model_zip as mz
from core.files import starting_points as sp
from tests.support.apptest import app, button, open_page

pytestmark = pytest.mark.skipif(not (sp.MODELS_DIR / sp.MANIFEST).exists(), reason="assets/models/ not built")
LABEL = "⭐ Start from the trained model"


def chart_steps(at) -> list[float]:
    """The x values of every line of the page's loss chart (the figure named "Loss chart")."""
    best: list[float] = []
    for chart in at.get("plotly_chart"):
        if chart.proto.alt != "Loss chart":
            continue
        xs = []
        for trace in json.loads(chart.proto.spec).get("data", []):
            x = trace.get("x")
            if isinstance(x, dict) and "bdata" in x:  # plotly's binary encoding of a numpy array
                x = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"])).tolist()
            if isinstance(x, list):
                xs.extend(v for v in x if isinstance(v, (int, float)))
        best = max(best, xs, key=len)
    return best


def load_and_continue(at, lab_key: str, min_chart_points: int) -> None:
    lab = at.session_state[lab_key]
    before_runs = lab.run_number
    button(at, LABEL).click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    t = lab.trainer
    assert lab.run_number == before_runs + 1 and t.step > 0
    assert any(sp.MARK in i.value for i in at.info), [i.value for i in at.info]  # the page says what was loaded
    xs = chart_steps(at)
    assert (
        len(xs) >= min_chart_points and min(xs) < t.step / 2 and max(xs) >= 0.99 * t.step
    )  # the history, from its start
    loaded = t.step
    at.run()
    assert lab.trainer is t  # the settings now follow the model: no new run on the next rerun
    button(at, "▶ Start").click()
    at.run()
    at.run()
    assert lab.trainer is t and t.step > loaded  # Start continues from the loaded step
    button(at, "■ Stop").click()
    at.run()


def test_dinosaur_page():
    at = open_page("pages/dinosaurs.py")
    load_and_continue(at, "dino", 100)
    assert any("Samples at iteration" in m.value for m in at.markdown)
    assert at.slider(key="dino_n_a").value == 50


def test_text_page():
    at = open_page("pages/text.py", timeout=300)
    at.slider(key="text_hidden").set_value(16)  # a small model first: the starting point replaces it
    at.run()
    load_and_continue(at, "text", 100)
    assert at.slider(key="text_hidden").value == 256
    assert any("Sample at step" in m.value for m in at.markdown)


def test_music_page():
    at = open_page("pages/music.py", timeout=300)
    load_and_continue(at, "music", 10)
    assert at.slider(key="music_hidden").value == 64


def test_no_button_for_an_upload_or_other_codec_settings():
    at = open_page("pages/music.py", timeout=300)
    assert any(b.label == LABEL for b in at.button)
    at.slider(key="music_max_chord").set_value(3)
    at.run()
    assert not any(b.label == LABEL for b in at.button)


def test_hide_toolkit_hides_the_button():

    at = app(120)
    at.query_params["hide"] = "toolkit"
    at.run()
    at.switch_page("pages/dinosaurs.py")
    at.run()
    assert not at.exception
    assert any(b.label.startswith("▶ Start") for b in at.button)
    assert not any(b.label == LABEL for b in at.button)


def test_the_loaded_note_says_its_validation_loss_in_the_unit_of_the_chart():
    at = open_page("pages/music.py", timeout=300)
    at.radio(key="music_y").set_value("bits per value").run()
    button(at, LABEL).click()
    at.run()
    assert not at.exception, at.exception
    lab = at.session_state["music"]
    data = sp.read(lab.starting_point().name)
    val = sp.origin(mz.read_meta(data, model_member="model.keras", tokens=True))["val_loss"]
    note = next(i.value for i in at.info if sp.MARK in i.value)
    assert literal(f"validation {val / np.log(2):.3f} bits per value.", 600) in note and "nats" not in note, note
