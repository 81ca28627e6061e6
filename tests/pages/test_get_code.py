"""AppTest: the Dinosaur page's "Get the code" section (ui/toolkit/get_code_view.py): the three downloads from scratch
and from the trained model; hidden by hide=toolkit; absent for a lab that does not write its code."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from core.labs.dino_lab import DinoLab
from tests.support.apptest import app, button, open_page

PAGE = "pages/dinosaurs.py"
LABELS = ("⬇ Script (.py)", "⬇ Notebook (.ipynb)", "⬇ Everything (.zip)")


def downloads(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button") if b.proto.label in LABELS]


def test_the_dinosaur_page_offers_the_code():
    at = open_page(PAGE)
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    assert downloads(at) == list(LABELS)  # a run exists: the code from scratch
    assert not any(r.key == "dino_code_from" for r in at.radio)  # nothing trained yet: no choice
    assert any(s.value == "Get the code" for s in at.subheader)
    button(at, "Step").click()
    at.run()
    lab = at.session_state["dino"]
    assert lab.trainer.step > 0
    at.radio(key="dino_code_from").set_value("trained")
    at.run()
    assert not at.exception, at.exception
    assert downloads(at) == list(LABELS)
    assert any("dinosaur_rnn_weights.npz" in c.value for c in at.caption)  # the zip holds them, the caption says
    # what the zip button gives is the lab's trained program with its weights
    program = lab.get_code(trained=True)
    with zipfile.ZipFile(io.BytesIO(program.zip(lab.code_weights()))) as z:
        w = np.load(io.BytesIO(z.read("dinosaur_rnn_weights.npz")), allow_pickle=False)
        assert int(w["iteration"]) == lab.trainer.step
        assert "n_a = 8" not in z.read("dinosaur_rnn_trained.py").decode()  # the weights give n_a
    np.testing.assert_array_equal(w["Waa"], lab.trainer.parameters["Waa"])


def test_hide_toolkit_hides_the_code():
    at = app(120)
    at.query_params["hide"] = "toolkit"
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert any(b.label.startswith("▶ Start") for b in at.button)
    assert downloads(at) == []
    assert not any(s.value == "Get the code" for s in at.subheader)


def test_a_lab_without_code_shows_no_section(monkeypatch):
    monkeypatch.setattr(DinoLab, "has_code", False)
    at = open_page(PAGE)
    assert any(b.label.startswith("▶ Start") for b in at.button)
    assert downloads(at) == []
    assert not any(s.value == "Get the code" for s in at.subheader)


def test_the_text_and_music_pages_offer_their_code():
    """The Keras labs' sections: from scratch at once, and from the trained model after a step, with its weights in
    the zip and the data the program reads beside it."""
    from tests.support.apptest import tiny_music, tiny_text

    for page, setup, key, weights in (
        ("pages/text.py", tiny_text, "text", "text_model.zip"),
        ("pages/music.py", tiny_music, "music", None),
    ):
        at = open_page(page)
        setup(at)
        at.run()
        assert not at.exception, at.exception
        assert downloads(at) == list(LABELS), page
        button(at, "Step").click()
        at.run()
        lab = at.session_state[key]
        assert lab.trainer.step > 0, page
        at.radio(key=f"{key}_code_from").set_value("trained")
        at.run()
        assert not at.exception, at.exception
        assert downloads(at) == list(LABELS), page
        name, _ = lab.code_weights()
        assert weights is None or name == weights
        with zipfile.ZipFile(io.BytesIO(lab.get_code(trained=True).zip(lab.code_weights()))) as z:
            names = z.namelist()
        assert name in names and any(n.endswith(".py") for n in names) and any(n.endswith(".ipynb") for n in names)
        assert len(names) > 3, names  # the data the program reads (the text, the MIDI files) is in the zip too
