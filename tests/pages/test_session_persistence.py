"""Stopping, changing pages and coming back keeps each lab's trained model, its history and its settings."""

import pytest

from tests.support.apptest import button, open_page, tiny_music, tiny_text
from tests.support.inputs import make_text


def away_and_back(at, page: str) -> None:
    for other in ("pages/home.py", "pages/dinosaurs.py", "pages/text.py", "pages/music.py"):
        if other != page:
            at.switch_page(other)
            at.run()
            assert not at.exception, at.exception
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert not any("restarted" in i.value for i in at.info), "coming back must not restart the model"


def test_dino_model_survives_a_tour_of_the_other_pages():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(16)
    at.run()
    button(at, "Step").click()
    at.run()
    t = at.session_state["dino"].trainer
    steps, points = t.step, len(t.history)
    assert steps > 0
    away_and_back(at, "pages/dinosaurs.py")
    assert at.session_state["dino"].trainer is t and t.step == steps and len(t.history) == points
    assert at.slider(key="dino_n_a").value == 16


def test_dino_uploaded_names_survive_too():
    at = open_page("pages/dinosaurs.py")
    at.radio(key="dino_source").set_value("Upload a name list")
    at.run()
    at.file_uploader(key="dino_upload").set_value(
        ("n.txt", "\n".join(f"name{c}" for c in "abcdefghijkl").encode(), "text/plain")
    )
    at.run()
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    t = at.session_state["dino"].trainer
    assert t.names[0].startswith("name")
    at.switch_page("pages/home.py")
    at.run()
    at.switch_page("pages/dinosaurs.py")
    at.run()
    assert at.session_state["dino"].trainer is t
    assert any("earlier upload" in c.value for c in at.caption)


def test_text_model_and_upload_survive():
    at = open_page("pages/text.py")
    at.radio(key="text_source").set_value("Upload a .txt")
    at.run()
    at.file_uploader(key="text_upload").set_value(("t.txt", make_text().encode(), "text/plain"))
    at.run()
    tiny_text(at)
    at.run()
    button(at, "Step").click()
    at.run()
    t = at.session_state["text"].trainer
    steps = t.step
    assert steps > 0
    away_and_back(at, "pages/text.py")
    assert at.session_state["text"].trainer is t and t.step == steps and t.config.hidden == 16


def test_music_model_survives():
    at = open_page("pages/music.py")
    tiny_music(at)
    at.run()
    button(at, "Step").click()
    at.run()
    t = at.session_state["music"].trainer
    steps = t.step
    assert steps > 0
    away_and_back(at, "pages/music.py")
    assert at.session_state["music"].trainer is t and t.step == steps and t.config.hidden == 8


def test_one_lab_trains_at_a_time_per_session():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    button(at, "▶ Start").click()
    at.run()
    assert at.session_state["dino"].running
    at.switch_page("pages/music.py")
    at.run()
    at.slider(key="music_hidden").set_value(8)
    at.select_slider(key="music_batch").set_value(4)
    at.run()
    button(at, "▶ Start").click()
    at.run()
    assert at.session_state["music"].running and not at.session_state["dino"].running
    at.switch_page("pages/dinosaurs.py")
    at.run()
    assert any("Paused: training started in another lab" in w.value for w in at.warning)


@pytest.mark.parametrize(
    "page, lab_key, slider", [("pages/dinosaurs.py", "dino", "dino_n_a"), ("pages/music.py", "music", "music_hidden")]
)
def test_start_in_the_same_run_as_a_new_hidden_size_trains_the_new_model(page, lab_key, slider):
    """Start pressed within a moment of moving the hidden-size slider reaches the server in the same run as the
    slider's new value: the new run must train (the restart used to stop it, silently)."""
    at = open_page(page)
    if lab_key == "music":
        tiny_music(at)
    at.run()
    lab = at.session_state[lab_key]
    old = lab.trainer
    at.slider(key=slider).set_value(12)
    button(at, "▶ Start").click()
    at.run()
    assert lab.trainer is not old and lab.running
    at.run()  # a live refresh
    assert lab.trainer.step > 0
