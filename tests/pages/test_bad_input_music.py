"""Bad input (Music lab: MIDI uploads and sliders): every case gets a clear message on the page (never a
traceback) and the page keeps working.

Cases already covered elsewhere are not repeated here; the mapping is:
  - MIDI not MIDI / truncated / no notes / drums only / mixed batch (core) ......
  test_music_codec.test_bad_files_get_clear_messages,
    test_music_data.test_uploads_mixing_good_and_bad_files
"""

from __future__ import annotations

import time

import numpy as np
import pretty_midi
import pytest

from core.music import midi_io
from core.music import music_codec as mc
from core.music import music_data as md
from tests.support.apptest import MUSIC_UPLOAD, button, messages, ok, open_page, tiny_music
from tests.support.inputs import MARKDOWN_NAME, drums_only, literal_text, markup_in, orchestral_10_minutes, tune


# ---------------------------------------------------------------------------------------------- MIDI uploads
def test_orchestral_10_minute_midi_loads_quickly():
    """MIDI uploads, a 10-minute orchestral file (core): 16 instruments, ~40,000 notes; it loads (drums dropped, cut
    to the per-piece limit if needed) within a few seconds."""
    data = orchestral_10_minutes()
    t0 = time.perf_counter()
    piece = md.encode_file("orchestra.mid", data, mc.CodecOptions(max_chord=1))
    assert time.perf_counter() - t0 < 10
    assert 0 < len(piece.values) <= md.MAX_VALUES_PER_PIECE
    assert all(mc.parse_value(v)[0] for v in piece.values[:10])  # pitched values, not drums


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_lab_batch_mixing_good_and_bad_midi_files():
    """MIDI uploads (Music lab): not MIDI at all, truncated, no notes, drums only, a 10-minute orchestral file, and a
    batch mixing them with a good file: every bad file is named with its reason, the good ones (tune and orchestra)
    load. A batch of only bad files gets an error, and the page works again with good files."""
    at = open_page("pages/music.py")
    at.radio(key="music_source").set_value(MUSIC_UPLOAD)
    at.run()
    good = tune(1)
    bad = [
        ("not_midi.mid", b"hello, I am a text file", "not a MIDI file"),
        ("truncated.mid", good[: len(good) // 2], "truncated or corrupt"),
        ("no_notes.mid", midi_io.midi_bytes(pretty_midi.PrettyMIDI()), "no notes"),
        ("drums.mid", drums_only(), "only has drums"),
    ]
    files = (
        [("good.mid", good, "audio/midi")]
        + [(n, d, "audio/midi") for n, d, _ in bad]
        + [("orchestra.mid", orchestral_10_minutes(), "audio/midi")]
    )
    at.file_uploader(key="music_upload").set_value(files)
    at.run()
    ok(at)
    warning = literal_text("\n".join(w.value for w in at.warning))
    for name, _, reason in bad:
        assert f"{name}: " in warning and reason in warning, (name, warning)
    corpus = at.session_state["music"].corpus
    assert [p.name for p in corpus.pieces] == ["good.mid", "orchestra.mid"]
    assert any(m.label == "Pieces" and m.value == "2" for m in at.metric)
    # only bad files: a clear error, nothing to train
    at.file_uploader(key="music_upload").set_value([(n, d, "audio/midi") for n, d, _ in bad])
    at.run()
    ok(at)
    assert any("None of the uploaded files could be used" in e.value for e in at.error)
    assert at.session_state["music"].corpus is None
    # and good files again
    at.file_uploader(key="music_upload").set_value([("good.mid", good, "audio/midi")])
    at.run()
    ok(at)
    assert not at.error and len(at.session_state["music"].corpus) == 1


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_snippet_length_longer_than_a_tiny_uploaded_corpus():
    """Sequence length longer than the corpus (Music): snippet length 100 on one 40-value upload gives a clear error
    and disables training; a shorter snippet trains."""
    at = open_page("pages/music.py")
    at.radio(key="music_source").set_value(MUSIC_UPLOAD)
    at.run()
    at.file_uploader(key="music_upload").set_value([("short.mid", tune(2, n=40), "audio/midi")])
    at.run()
    at.slider(key="music_hidden").set_value(8)
    at.select_slider(key="music_batch").set_value(4)
    at.slider(key="music_seq_len").set_value(100)
    at.run()
    ok(at)
    assert any("No training piece is long enough for snippets of 100 values" in e.value for e in at.error), messages(at)
    assert button(at, "▶ Start").disabled and button(at, "Step").disabled
    at.slider(key="music_seq_len").set_value(10)
    at.run()
    assert not at.error and not button(at, "Step").disabled
    button(at, "Step").click()
    at.run()
    ok(at)
    assert at.session_state["music"].trainer.step > 0


# ---------------------------------------------------------------------------------------------- sliders: Music lab
@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_nan_and_compose_extremes():
    """A learning rate that diverges (Music: NaN injected) stops training with a message and restores the last good
    weights; composing at the slider extremes (10 and 400 values, temperature 0 and 2) works."""
    at = open_page("pages/music.py")
    tiny_music(at)
    at.select_slider(key="music_lr").set_value(0.03)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    t = at.session_state["music"].trainer
    good, step = [w.copy() for w in t.model.get_weights()], t.step
    kernel = t.model.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    button(at, "Step").click()
    at.run()
    ok(at)
    assert any("the loss became NaN" in w.value for w in at.warning), messages(at)
    assert t.step == step and all(np.array_equal(a, b) for a, b in zip(t.model.get_weights(), good))
    for n, temp in ((10, 0.0), (400, 2.0)):
        at.slider(key="music_n").set_value(n)
        at.slider(key="music_temp").set_value(temp)
        at.button(key="music_generate_btn").click()
        at.run()
        ok(at)
        res = at.session_state["music"].result
        assert len(res.trained) == n
        if temp == 0:
            assert all(r.picked == int(np.argmax(r.probs)) for r in res.trained)


@pytest.mark.parametrize("name", ["chord_100_once.mid", "one_repeated_note.mid"])
def test_music_upload_of_a_single_value_gets_a_message(name):
    """a piece that is one value (a single 100-note chord; one pitch repeated 64 times) used to
    crash the page on upload or at Start; now the page says why it can't be learned from and keeps working."""
    from tests.support.inputs import chord_100_once, one_repeated_note

    data = chord_100_once() if name.startswith("chord") else one_repeated_note()
    at = open_page("pages/music.py")
    at.radio(key="music_source").set_value("Upload MIDI files")
    at.run()
    at.file_uploader(key="music_upload").set_value([(name, data, "audio/midi")])
    at.run()
    ok(at)
    text = messages(at)
    assert "nothing to choose between" in text and "at least 2 different values" in text, text
    assert at.session_state["music"].corpus is None
    # a usable file next: the page trains
    at.file_uploader(key="music_upload").set_value([("good.mid", tune(0), "audio/midi"), (name, data, "audio/midi")])
    at.run()
    ok(at)
    assert at.session_state["music"].corpus is not None


# ---------------------------------------------------------------------------------------------- what the page says
PARSER_ERRORS = [
    ValueError("Note end time must be greater than start time"),
    OSError("MThd not found. Probably not a MIDI file"),
    KeyError("running status without last_status"),
    IndexError("list index out of range"),
]


@pytest.mark.parametrize("exc", PARSER_ERRORS, ids=lambda e: type(e).__name__)
def test_a_midi_file_the_parser_refuses_is_explained_without_the_exception(monkeypatch, caplog, exc):
    """MIDI uploads, a file the parser raises on (core): the student reads what is wrong and what to do, never the
    parser's exception or its type; the exception goes to the server's log."""

    def refuse(*args, **kwargs):
        raise exc

    data = tune(0)
    monkeypatch.setattr(midi_io.pretty_midi, "PrettyMIDI", refuse)
    with caplog.at_level("INFO", logger="core.music.midi_io"), pytest.raises(midi_io.MidiError) as refused:
        midi_io.load_midi_bytes(data)
    said = str(refused.value)
    assert "corrupt and can't be read" in said and "export it again" in said, said
    assert type(exc).__name__ not in said and str(exc).strip("'") not in said and "(" not in said.split(":")[0], said
    assert str(exc).strip("'") in caplog.text


def test_real_broken_midi_files_are_explained_in_the_student_s_words():
    """MIDI uploads, files mido refuses (core): no chunk, running status without a status byte: no parser text."""
    from tests.core.music.test_midi_io import smf

    for data in (tune(0)[:14] + bytes(range(256)) * 3, smf([b"\x00\x40\x40" * 300])):
        with pytest.raises(midi_io.MidiError) as refused:
            midi_io.load_midi_bytes(data)
        said = str(refused.value)
        assert "MTrk" not in said and "last_status" not in said and midi_io.DAMAGED in said, said


def test_an_unexpected_failure_on_one_file_names_the_file_not_the_exception(monkeypatch, caplog):
    """MIDI uploads, the codec fails on one file of a batch (core): that file is named with a plain reason, the
    others load, and the exception is in the server's log."""

    def fail(pm, *args, **kwargs):
        raise RuntimeError("internal codec state 0x7f")

    good = md.encode_file("good.mid", tune(1))
    monkeypatch.setattr(md, "midi_to_values", fail)
    with caplog.at_level("ERROR", logger="core.music.music_data"):
        pieces, problems = md.load_uploads([("odd.mid", tune(0))])
    assert not pieces and len(problems) == 1 and problems[0].startswith("odd.mid: "), problems
    assert "RuntimeError" not in problems[0] and "0x7f" not in problems[0], problems
    assert "0x7f" in caplog.text and good.values


def test_music_lab_markdown_file_names_are_listed_literally_and_bounded():
    """MIDI uploads (Music lab), broken files called like Markdown (a link, an image, bold, math, a tag), 30 of them
    beside a good one: the problems list shows the names as typed (no link or image) and only the first few, with a
    count of the rest."""
    at = open_page("pages/music.py")
    at.radio(key="music_source").set_value(MUSIC_UPLOAD)
    at.run()
    bad = [(f"{MARKDOWN_NAME} {k}.mid", b"not midi", "audio/midi") for k in range(30)]
    at.file_uploader(key="music_upload").set_value([("good.mid", tune(0), "audio/midi"), *bad])
    at.run()
    ok(at)
    warning = next(w.value for w in at.warning if "could not be used" in w.value)
    assert markup_in(warning) == [], warning
    assert f"{MARKDOWN_NAME} 0.mid: This is not a MIDI file" in literal_text(warning), warning
    assert "and 25 more" in warning and f"{MARKDOWN_NAME} 29.mid" not in literal_text(warning), warning
