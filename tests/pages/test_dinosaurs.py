"""AppTest drives the Dinosaur lab: train, watch the history grow, sample, inspect; bad input gets messages."""

import numpy as np

from core.models.dino import DinoTrainer
from tests.support.apptest import app, button, open_page

PAGE = "pages/dinosaurs.py"


def test_home_page_links_to_labs():
    at = app(30)
    at.run()
    assert not at.exception
    assert at.title[0].value == "RNN Playground"
    labels = [link.proto.label for link in at.get("page_link")]
    assert (
        any("Dinosaur names" in label for label in labels)
        and any("Text" in label for label in labels)
        and any("Music" in label for label in labels)
    ), labels


def test_train_sample_and_inspect():
    at = open_page(PAGE)
    at.slider(key="dino_n_a").set_value(16)
    at.select_slider(key="dino_sample_every").set_value(100)
    at.run()
    trainer: DinoTrainer = at.session_state["dino"].trainer
    assert trainer.config.n_a == 16 and trainer.step == 0
    button(at, "Step").click()
    at.run()
    first = trainer.step
    assert first > 0 and len(trainer.history) == first
    button(at, "▶ Start").click()
    at.run()  # each run of the page runs one slice of the live fragment
    at.run()
    assert at.session_state["dino"].running
    assert trainer.step > first
    assert trainer.sample_batches, "a fresh batch of samples appears during training"
    assert any("Samples at iteration" in m.value for m in at.markdown)
    button(at, "■ Stop").click()
    at.run()
    assert not at.session_state["dino"].running
    stopped_at = trainer.step
    at.run()
    assert trainer.step == stopped_at  # stopped means stopped
    # sampler + inspector
    at.slider(key="dino_temp").set_value(0.7)
    at.number_input(key="dino_how_many").set_value(5)
    at.button(key="dino_sample_btn").click()
    at.run()
    assert not at.exception
    sampled = at.session_state["dino"].sampled
    assert len(sampled) == 5
    assert any("are new" in m.value for m in at.markdown)
    assert at.selectbox(key="dino_inspect_pick").value == 0  # the first name is inspected
    assert any(m.label == "Picked" for m in at.metric)
    assert len(at.get("plotly_chart")) >= 2  # loss chart + inspector bars (+ heatmap)


def test_changing_hidden_size_restarts_and_says_so():
    at = open_page(PAGE)
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    button(at, "Step").click()
    at.run()
    old = at.session_state["dino"].trainer
    assert old.step > 0
    at.slider(key="dino_n_a").set_value(12)
    at.run()
    new = at.session_state["dino"].trainer
    assert new is not old and new.step == 0 and new.parameters["Waa"].shape == (12, 12)
    assert any("restarted" in i.value for i in at.info)


def test_diverging_learning_rate_is_caught_without_traceback():
    at = open_page(PAGE)
    at.slider(key="dino_n_a").set_value(8)
    at.select_slider(key="dino_lr").set_value(10.0)
    at.run()
    button(at, "▶ Start").click()
    for _ in range(3):
        at.run()
    assert not at.exception
    t = at.session_state["dino"].trainer
    assert all(np.all(np.isfinite(p)) for p in t.parameters.values())


def test_temperature_zero_gives_identical_names():
    at = open_page(PAGE)
    at.slider(key="dino_temp").set_value(0.0)
    at.number_input(key="dino_how_many").set_value(3)
    at.button(key="dino_sample_btn").click()
    at.run()
    names = [n for n, _ in at.session_state["dino"].sampled]
    assert len(set(names)) == 1


def upload(at, content: bytes, name="names.txt"):
    at.radio(key="dino_source").set_value("Upload a name list")
    at.run()
    at.file_uploader(key="dino_upload").set_value((name, content, "text/plain"))
    at.run()
    assert not at.exception


def test_uploaded_name_list_with_blank_lines_and_mixed_case_trains():
    at = open_page(PAGE)
    names = "\n".join(["Pikachu", "", "  BULBASAUR ", "charmander", "\r", "Squirtle"] * 4).encode()
    upload(at, names)
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    t = at.session_state["dino"].trainer
    assert set(t.names) == {"pikachu", "bulbasaur", "charmander", "squirtle"}
    button(at, "Step").click()
    at.run()
    assert t.step > 0 and not at.exception


def test_bad_uploads_get_clear_messages():
    cases = [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00" * 50, "binary"),
        (b"\n\n\n\n", "no visible text"),
        (b"aaaaaaaa", "at least 10"),
        (b"x" * (6 * 1024 * 1024), "limit"),
    ]
    for content, needle in cases:
        at = open_page(PAGE)
        upload(at, content)
        assert any(needle in e.value for e in at.error), (needle, [e.value for e in at.error])
        assert not at.exception


def test_utf16_and_latin1_name_lists():
    at = open_page(PAGE)
    names = "\n".join(f"ésaurus{i}" for i in range(12))
    upload(at, names.encode("utf-16"))
    assert any("UTF-16" in i.value for i in at.info)
    assert "ésaurus1" in at.session_state["dino"].trainer.names
    at = open_page(PAGE)
    upload(at, names.encode("latin-1"))
    assert any("not valid UTF-8" in e.value for e in at.error)
    at.checkbox(key="dino_latin1").check()
    at.run()
    assert not at.error and "ésaurus1" in at.session_state["dino"].trainer.names
