"""The music codec: values <-> MIDI round trips, quantization, chords, rests, key, vocabulary, audio (reading and
checking MIDI files: tests/core/music/test_midi_io.py)."""

import io
import sys

import numpy as np
import pretty_midi
import pytest

from core.music import midi_io
from core.music import music_codec as mc
from core.music.midi_io import MidiError, load_midi_bytes, midi_bytes
from core.music.music_codec import CodecOptions, Vocabulary
from tests.support import ROOT

RAW = CodecOptions(transpose=False)


def make_pm(notes, tempo=120.0, drum=False, program=0):
    """notes: (start_s, end_s, pitch) triples on one instrument."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    inst = pretty_midi.Instrument(program=program, is_drum=drum)
    for s, e, p in notes:
        inst.notes.append(pretty_midi.Note(velocity=80, pitch=p, start=s, end=e))
    pm.instruments.append(inst)
    return pm


def test_token_format_and_parse():
    assert mc.value_token([60], 4) == "N60_d4"
    assert mc.value_token([67, 60, 64, 60], 2) == "C60.64.67_d2"
    assert mc.value_token([], 4) == "R_d4"
    assert mc.parse_value("C60.64.67_d2") == ((60, 64, 67), 2)
    assert mc.parse_value("R_d16") == ((), 16)
    for bad in ["", "N60", "X60_d4", "N200_d4", "N60_d0", "C60_d", "R_d4 "]:
        with pytest.raises(ValueError):
            mc.parse_value(bad)


@pytest.mark.parametrize(
    "values",
    [
        ["N60_d4"],  # a single note
        ["N60_d1", "N62_d2", "N64_d3", "N65_d4", "N67_d16"],  # notes of every length, order kept
        ["C60.64.67_d4", "C62.65_d2", "N59_d2"],  # chords
        ["N60_d4", "R_d4", "N62_d2", "R_d16", "R_d3", "N64_d1"],  # rests, including a long one split in two
    ],
)
@pytest.mark.parametrize("tempo", [60.0, 97.0, 120.0, 180.0])
def test_values_round_trip_through_midi_bytes(values, tempo):
    pm = mc.values_to_midi(values, tempo=tempo)
    again = load_midi_bytes(midi_bytes(pm))
    assert mc.midi_to_values(again, RAW) == values
    assert mc.midi_to_values(pm, RAW) == values


def test_midi_to_values_quantizes_onsets_and_keeps_pitches_and_order():
    q = 0.125  # a sixteenth at 120 bpm
    notes = [(0.0, 0.24, 60), (0.26, 0.49, 62), (0.5 + 0.01, 1.0, 64), (1.5, 1.74, 65)]  # slightly off the grid
    values = mc.midi_to_values(make_pm(notes), RAW)
    assert values == ["N60_d2", "N62_d2", "N64_d4", "R_d4", "N65_d2"]
    out = mc.values_to_notes(values, tempo=120)
    assert [p for _, _, p in out] == [60, 62, 64, 65]
    assert [round(s / q) for s, _, _ in out] == [0, 2, 4, 12]  # quantized onsets kept


def test_overlaps_are_cut_at_the_next_onset_and_chords_keep_the_longest_note():
    notes = [(0.0, 1.0, 60), (0.0, 0.25, 64), (0.5, 0.75, 67)]  # C held under a later G
    values = mc.midi_to_values(make_pm(notes), RAW)
    assert values == ["C60.64_d4", "N67_d2"]


def test_max_chord_keeps_highest_pitches_and_long_notes_are_capped():
    notes = [(0.0, 0.5, p) for p in (48, 60, 64, 67, 72)] + [(0.5, 5.0, 60)]  # last note: 36 steps long
    assert mc.midi_to_values(make_pm(notes), CodecOptions(max_chord=3, transpose=False)) == ["C64.67.72_d4", "N60_d16"]
    assert mc.midi_to_values(make_pm(notes), CodecOptions(max_chord=1, transpose=False))[0] == "N72_d4"


def test_silence_before_the_first_note_is_dropped_and_drums_ignored():
    pm = make_pm([(1.0, 1.5, 60)])
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    drums.notes.append(pretty_midi.Note(100, 36, 0.0, 0.1))
    pm.instruments.append(drums)
    assert mc.midi_to_values(pm, RAW) == ["N60_d4"]


def test_merges_instruments_and_follows_tempo_changes():
    pm = make_pm([(0.0, 0.5, 72)])
    bass = pretty_midi.Instrument(program=32)
    bass.notes.append(pretty_midi.Note(80, 48, 0.0, 0.5))
    pm.instruments.append(bass)
    assert mc.midi_to_values(pm, RAW) == ["C48.72_d4"]
    # a file with a tempo change: 120 bpm then 60 bpm; quarter notes stay 4 steps on both sides
    mid = midi_bytes(mc.values_to_midi(["N60_d4", "N62_d4", "N64_d4"], tempo=120))
    import mido

    f = mido.MidiFile(file=io.BytesIO(mid))
    f.tracks[0].insert(1, mido.MetaMessage("set_tempo", tempo=1_000_000, time=440))  # 60 bpm from beat 2
    buf = io.BytesIO()
    f.save(file=buf)
    pm2 = load_midi_bytes(buf.getvalue())
    assert mc.midi_to_values(pm2, RAW) == ["N60_d4", "N62_d4", "N64_d4"]


def test_transpose_moves_the_key_to_c_major():
    scale_g = [67, 69, 71, 72, 74, 76, 78, 79, 74, 71, 67]  # G major
    notes = [(i * 0.5, i * 0.5 + 0.45, p) for i, p in enumerate(scale_g)]
    assert mc.estimate_key((p, 1) for _, _, p in notes) == (7, "major")
    values = mc.midi_to_values(make_pm(notes), CodecOptions(transpose=True))
    pitches = [mc.parse_value(v)[0][0] for v in values]
    assert pitches == [p + 5 for p in scale_g]  # G -> C: 5 up is smaller than 7 down
    assert all(p % 12 in {0, 2, 4, 5, 7, 9, 11} for p in pitches)
    assert mc.shift_to_c(9, "minor") == 0 and mc.shift_to_c(4, "minor") == 5 and mc.shift_to_c(6, "major") == -6


def test_unusable_files_are_refused_and_long_pieces_can_be_cut():
    many = make_pm([(i * 0.01, i * 0.01 + 0.01, 60) for i in range(midi_io.MAX_NOTES + 1)])
    with pytest.raises(MidiError, match="notes; the limit"):
        mc.midi_to_values(many)
    ok = make_pm([(i * 0.25, i * 0.25 + 0.2, 60 + i % 5) for i in range(200)])
    assert len(mc.midi_to_values(ok, RAW, max_values=50)) == 50


# ---------------------------------------------------------------------------------------------- vocabulary
def test_vocabulary_counts_encode_decode_and_json_round_trip():
    pieces = [["N60_d4", "N62_d2", "R_d4", "N60_d4"], ["N60_d4", "C60.64_d2"]]
    v = Vocabulary.build(pieces)
    assert len(v) == 4 and v.itos[0] == "N60_d4" and v.most_common(1) == [("N60_d4", 3)]
    ids = v.encode(pieces[0])
    assert ids.dtype == np.int32 and v.decode(ids) == pieces[0]
    assert list(v.encode(["N60_d4", "N99_d1"])) == [0]  # unknown values are skipped
    with pytest.raises(KeyError):
        v.encode(["N99_d1"], strict=True)
    assert v.stoi["R_d4"] == v.index("R_d4") and "R_d4" in v and "N99_d1" not in v
    again = Vocabulary.from_json(v.to_json())
    assert again == v and again.index("C60.64_d2") == v.index("C60.64_d2")
    for bad in [
        "not json",
        "[]",
        '{"format": "x"}',
        '{"format": "rnn-playground-music-vocab", "version": 1, "itos": ["Q"], "counts": [1]}',
    ]:
        with pytest.raises(ValueError):
            Vocabulary.from_json(bad)
    with pytest.raises(ValueError):
        Vocabulary.build([[]])


# ---------------------------------------------------------------------------------------------- audio
def test_codec_does_not_import_tensorflow():
    """MIDI reading, the music codec and corpus never load TensorFlow or Keras (checked in a fresh interpreter: other
    tests in this
    process may have imported them already)."""
    import subprocess

    code = (
        "import sys, core.music.midi_io, core.music.music_codec, core.music.music_data; print(sorted(m for m in "
        "('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", (
        out.stdout
    )  # (pyfluidsynth may say where it found its library first)
