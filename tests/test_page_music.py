"""AppTest drives the Music lab with a tiny model: train, compose, piano roll, audio, download, inspector."""

import pytest

from core import music_codec as mc
from core import music_data as md
from tests.apptest_util import button, open_page, tiny_music

PAGE = "pages/music.py"
pytestmark = pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")


def tiny(at) -> None:
    tiny_music(at)
    at.run()


def test_train_compose_listen_download_and_inspect():
    at = open_page(PAGE)
    assert any(m.label == "Vocabulary (distinct values)" for m in at.metric)
    assert len(at.get("audio")) >= 2  # a corpus piece: the original file and its decoded values
    tiny(at)
    trainer = at.session_state["music"].trainer
    assert trainer.config.hidden == 8 and trainer.config.batch_size == 4 and trainer.step == 0
    button(at, "▶ Start").click()
    at.run()
    at.run()
    assert at.session_state["music"].running
    first = trainer.step
    assert first > 0 and len(trainer.history) > 0
    at.run()
    assert trainer.step > first and len(trainer.history) > first
    button(at, "■ Stop").click()
    at.run()
    assert not at.session_state["music"].running
    stopped_at = trainer.step
    at.run()
    assert trainer.step == stopped_at  # stopped means stopped

    at.slider(key="music_n").set_value(20)
    at.radio(key="music_start").set_value("Primed with the opening of a corpus piece")
    at.run()
    at.slider(key="music_prime_len").set_value(4)
    at.button(key="music_generate_btn").click()
    at.run()
    assert not at.exception
    res = at.session_state["music"].result
    assert res is not None, [e.value for e in list(at.error) + list(at.warning)]
    assert len(res.trained) == 20 and len(res.prime) == 4 and len(res.untrained_values) == 20
    assert res.step == stopped_at
    charts = at.get("plotly_chart")
    assert len(charts) >= 5  # corpus roll, loss, composed roll, untrained roll, inspector bars/heatmap
    assert len(at.get("audio")) >= 4
    assert any(m.label == "Picked" for m in at.metric)
    assert at.get("download_button")
    # the download is a MIDI file holding the opening and the composed values
    data = mc.midi_bytes(mc.values_to_midi(res.prime + res.trained_values, tempo=res.tempo))
    assert data.startswith(b"MThd")
    pm = mc.load_midi_bytes(data)
    assert sum(len(i.notes) for i in pm.instruments) > 0
    assert any("key and rhythm" in m.value for m in at.markdown)


def test_changing_hidden_size_restarts_and_says_so():
    at = open_page(PAGE)
    tiny(at)
    button(at, "Step").click()
    at.run()
    old = at.session_state["music"].trainer
    assert old.step > 0
    at.slider(key="music_hidden").set_value(12)
    at.run()
    new = at.session_state["music"].trainer
    assert new is not old and new.step == 0 and new.config.hidden == 12
    assert any("restarted" in i.value for i in at.info)


def test_upload_choice_asks_for_files():
    at = open_page(PAGE)
    at.radio(key="music_source").set_value("Upload MIDI files")
    at.run()
    assert not at.exception
    assert any("Upload one or more MIDI files" in i.value for i in at.info)
    # AppTest can't drive the file uploader: tests/e2e/test_music_e2e.py uploads good and bad files for real
