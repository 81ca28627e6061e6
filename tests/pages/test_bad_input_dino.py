"""Bad input (Dinosaur lab): every case gets a clear message on the page (never a traceback) and the page
keeps working.

Cases already covered elsewhere are not repeated here; the mapping is:
  - Dino name list: empty / binary / only newlines / over the limit ........
  test_page_dino.test_bad_uploads_get_clear_messages
  - Dino name list: UTF-16 and Latin-1 .........................................
  test_page_dino.test_utf16_and_latin1_name_lists
  - Dino name list: blank lines and mixed case ................
  test_page_dino.test_uploaded_name_list_with_blank_lines_and_mixed_case_trains
  - Dino temperature 0 .........................................................
  test_page_dino.test_temperature_zero_gives_identical_names
  - NaN in the trainers (core) .................................................
  test_dino.test_nan_stops_and_keeps_last_good_weights
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.apptest import button, messages, ok, open_page
from tests.support.inputs import MARKDOWN_NAME, literal_text, markup_in


# ---------------------------------------------------------------------------------------------- name-list uploads
def test_dino_lab_one_repeated_character():
    """Text uploads (Dinosaur lab), one repeated character: a single long line is refused (too few names); the same
    letter on many lines is a valid (if dull) list that trains and samples."""
    at = open_page("pages/dinosaurs.py")
    at.radio(key="dino_source").set_value("Upload a name list")
    at.run()
    at.file_uploader(key="dino_upload").set_value(("a.txt", b"a" * 5000, "text/plain"))
    at.run()
    ok(at)
    assert any("at least 10" in e.value for e in at.error), messages(at)
    at.file_uploader(key="dino_upload").set_value(("a.txt", b"a\n" * 50, "text/plain"))
    at.run()
    ok(at)
    assert not at.error, messages(at)
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    t = at.session_state["dino"].trainer
    assert t.vocab_size == 2 and set(t.names) == {"a"}
    button(at, "Step").click()
    at.run()
    at.button(key="dino_sample_btn").click()
    at.run()
    ok(at)
    assert t.step > 0 and len(at.session_state["dino"].sampled) == 10


# ---------------------------------------------------------------------------------------------- sliders: Dinosaur lab
def test_dino_hidden_size_1_and_512_train_and_sample():
    """Sliders at their extremes (Dinosaur): hidden size 1 and 512 both train a step, show their parameter count and
    sample."""
    at = open_page("pages/dinosaurs.py")
    for n_a in (1, 512):
        at.slider(key="dino_n_a").set_value(n_a)
        at.run()
        t = at.session_state["dino"].trainer
        assert t.config.n_a == n_a
        n_params = sum(p.size for p in t.parameters.values())
        assert any(f"{n_params:,} parameters" in c.value for c in at.caption)
        button(at, "Step").click()
        at.run()
        at.number_input(key="dino_how_many").set_value(3)
        at.button(key="dino_sample_btn").click()
        at.run()
        ok(at)
        assert t.step > 0 and len(at.session_state["dino"].sampled) == 3
        assert all(np.all(np.isfinite(p)) for p in t.parameters.values())


def test_dino_nan_stops_training_and_keeps_good_weights():
    """A learning rate that diverges (Dinosaur): the largest learning rate makes the loss explode and the guard stops
    training with a message, the weights staying finite; a NaN (injected between two slices) is caught the same way
    and training resumes."""
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.select_slider(key="dino_lr").set_value(10.0)
    at.run()
    lab = at.session_state["dino"]
    for _ in range(5):  # the guard fires within a few names at this rate
        button(at, "Step").click()
        at.run()
        ok(at)
        if lab.note is not None:
            break
    t = lab.trainer
    assert lab.note is not None and lab.note.kind.value == "diverged" and "exploded" in lab.note.text
    assert any("learning rate" in w.value for w in at.warning), messages(at)
    assert all(np.all(np.isfinite(p)) for p in t.parameters.values())
    at.select_slider(key="dino_lr").set_value(0.01)
    at.run()
    button(at, "▶ Start").click()
    at.run()
    assert lab.running
    t.parameters["Waa"][0, 0] = np.nan  # a blow-up between two slices
    it = t.step
    at.run()  # the live fragment runs the next slice
    ok(at)
    assert not lab.running
    assert any("learning rate" in w.value for w in at.warning), messages(at)
    assert t.step == it and all(np.all(np.isfinite(p)) for p in t.parameters.values())
    button(at, "Step").click()
    at.run()
    assert t.step > it


def test_dino_sampling_extremes():
    """Temperature the maximum (3.0) and how-many 1 and 100 (Dinosaur): names are sampled and inspectable."""
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.slider(key="dino_temp").set_value(3.0)
    for k in (1, 100):
        at.number_input(key="dino_how_many").set_value(k)
        at.button(key="dino_sample_btn").click()
        at.run()
        ok(at)
        assert len(at.session_state["dino"].sampled) == k
        assert any(f"of {k} names are new" in m.value for m in at.markdown)
    at.selectbox(key="dino_inspect_pick").set_value(99)
    at.run()
    ok(at)
    assert any(m.label == "Picked" for m in at.metric)


# ---------------------------------------------------------------------------------------- user strings shown literally
def test_dino_lab_a_markdown_file_name_and_markdown_names_show_literally():
    """Text uploads (Dinosaur lab), a name list called like Markdown (a link, an image, bold, math, a tag), holding
    names that are Markdown: the "earlier upload" caption and the sampled names show them as typed, no link or
    image is made of them."""
    name = MARKDOWN_NAME + ".txt"
    at = open_page("pages/dinosaurs.py")
    at.radio(key="dino_source").set_value("Upload a name list")
    at.run()
    names = "\n".join(["[x](http://e.com)", "![i](http://127.0.0.1:9/p.png)", "**b**", "_e_"] * 4).encode()
    at.file_uploader(key="dino_upload").set_value((name, names, "text/plain"))
    at.run()
    ok(at)
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    t = at.session_state["dino"].trainer
    t.sample_batches.append((1, ["[x](http://e.com)", "![i](http://127.0.0.1:9/p.png)", "plain"]))  # as if sampled
    at.switch_page("pages/home.py")
    at.run()
    at.switch_page("pages/dinosaurs.py")
    at.run()
    ok(at)
    caption = next(c.value for c in at.caption if "earlier upload" in c.value)
    assert markup_in(caption) == [] and name in literal_text(caption), caption
    samples = next(m.value for m in at.markdown if "plain" in m.value)
    assert markup_in(samples) == [] and "![i](http://127.0.0.1:9/p.png)" in literal_text(samples), samples


def test_a_trained_model_the_server_cannot_read_is_refused_without_the_exception(monkeypatch, caplog):
    """Start from the trained model (Dinosaur lab) when its file can't be read on the server: a plain message, no
    exception text or file path on the page (the log has them), and the lab keeps its current model."""
    from core.files import starting_points as sp
    from core.labs.dino_lab import DinoLab

    path = str(sp.MODELS_DIR / "dino.npz")

    def unreadable(self, name):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(DinoLab, "load_starting_point", unreadable)
    at = open_page("pages/dinosaurs.py")
    if not any(b.label == "⭐ Start from the trained model" for b in at.button):
        pytest.skip("no bundled Dinosaur starting point (assets/models/ not built)")
    with caplog.at_level("ERROR", logger="ui.toolkit.starting_view"):
        button(at, "⭐ Start from the trained model").click()
        at.run()
    ok(at)
    said = messages(at)
    assert "could not be loaded on this server" in said and "Permission denied" not in said and path not in said, said
    assert "Permission denied" in caplog.text
