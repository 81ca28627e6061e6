"""Reading MIDI files (core.music.midi_io): bad files, limits, the pre-scan that drops unused controller events,
time."""

from __future__ import annotations

import io
import struct
import time

import mido
import pretty_midi
import pytest

from core.music import midi_io as mi
from core.music.midi_io import (
    MidiError,
    check_midi,
    estimate_tempo,
    load_midi_bytes,
    midi_bytes,
    quantized_notes,
    strip_controls,
)


def make_pm(notes, tempo=120.0, drum=False, program=0):
    """notes: (start_s, end_s, pitch) triples on one instrument."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    inst = pretty_midi.Instrument(program=program, is_drum=drum)
    for s, e, p in notes:
        inst.notes.append(pretty_midi.Note(velocity=80, pitch=p, start=s, end=e))
    pm.instruments.append(inst)
    return pm


def smf(tracks: list[bytes], division: int = 480) -> bytes:
    """A Standard MIDI File (format 1) from raw track bodies."""
    head = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), division)
    return head + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


def bend_storm(n_notes: int = 100, bends_per_note: int = 11_000) -> bytes:
    """One track: n_notes notes, each held through ``bends_per_note`` pitch bends one tick apart, written with
    running status (3 bytes each), as bytes multiplied rather than built message by message (instant)."""
    events = [b"\x00\xff\x51\x03\x07\xa1\x20"]  # tempo 120
    for k in range(n_notes):
        p = 60 + k % 12
        events.append(bytes([0, 0x90, p, 80]))
        events.append(b"\x00\xe0\x00\x40" + b"\x01\x00\x40" * (bends_per_note - 1))
        events.append(bytes([0, 0x80, p, 0]))
    events.append(b"\x00\xff\x2f\x00")
    return smf([b"".join(events)])


def everything_file() -> bytes:
    """Two tracks with notes, tempo changes, a program change, a lyric, sysex, pitch bends, control changes,
    poly aftertouch and channel pressure between the notes (mido writes running status where it can)."""
    f = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=500_000, time=0),
            mido.MetaMessage("time_signature", numerator=3, denominator=4, time=0),
            mido.MetaMessage("set_tempo", tempo=750_000, time=960),
            mido.MetaMessage("end_of_track", time=0),
        ]
    )
    piano = mido.MidiTrack(
        [
            mido.Message("program_change", program=41, channel=2, time=0),
            mido.MetaMessage("lyrics", text="la", time=0),
            mido.Message("sysex", data=[1, 2, 3], time=5),
        ]
    )
    for k in range(30):
        p = 60 + k % 7
        piano.append(mido.Message("note_on", note=p, velocity=90, channel=2, time=7))
        for j in range(20):
            piano.append(mido.Message("pitchwheel", pitch=(j * 300) % 8000, channel=2, time=3))
        piano.append(mido.Message("control_change", control=64, value=127, channel=2, time=1))
        piano.append(mido.Message("polytouch", note=p, value=40, channel=2, time=2))
        piano.append(mido.Message("aftertouch", value=30, channel=2, time=0))
        piano.append(mido.Message("note_off", note=p, velocity=0, channel=2, time=11))
    piano.append(mido.MetaMessage("end_of_track", time=4))
    f.tracks.extend([conductor, piano])
    buf = io.BytesIO()
    f.save(file=buf)
    return buf.getvalue()


def parsed(data: bytes) -> pretty_midi.PrettyMIDI:
    return pretty_midi.PrettyMIDI(io.BytesIO(data))


def summary(pm: pretty_midi.PrettyMIDI):
    """What the codec and playback read: notes per instrument (with program and channel kind), tempi, meter."""
    times, tempi = pm.get_tempo_changes()
    return (
        [
            (i.program, i.is_drum, [(round(n.start, 6), round(n.end, 6), n.pitch, n.velocity) for n in i.notes])
            for i in pm.instruments
        ],
        [round(t, 6) for t in times],
        [round(t, 6) for t in tempi],
        [(ts.numerator, ts.denominator, round(ts.time, 6)) for ts in pm.time_signature_changes],
        [(ly.text, round(ly.time, 6)) for ly in pm.lyrics],
    )


# ---------------------------------------------------------------------------------------------- bad files
def test_bad_files_get_clear_messages():
    with pytest.raises(MidiError, match="empty"):
        load_midi_bytes(b"")
    with pytest.raises(MidiError, match="not a MIDI file"):
        load_midi_bytes(b"hello, this is text not music")
    good = midi_bytes(make_pm([(i * 0.25, i * 0.25 + 0.2, 60 + i % 12) for i in range(40)]))
    for cut in (8, 20, len(good) // 2, len(good) - 2):
        with pytest.raises(MidiError, match="truncated or corrupt"):
            load_midi_bytes(good[:cut])
    with pytest.raises(MidiError, match="corrupt"):
        load_midi_bytes(good[:14] + bytes(range(256)) * 3)
    with pytest.raises(MidiError, match="no notes"):
        load_midi_bytes(midi_bytes(pretty_midi.PrettyMIDI()))
    with pytest.raises(MidiError, match="only has drums"):
        load_midi_bytes(midi_bytes(make_pm([(0, 0.1, 36), (0.5, 0.6, 38)], drum=True)))
    with pytest.raises(MidiError, match="limit is 5 MB"):
        load_midi_bytes(b"MThd" + bytes(6 * 2**20))


def test_very_long_files_and_too_many_notes_are_refused():
    long_pm = make_pm([(0.0, 1.0, 60), (25 * 60.0, 25 * 60.0 + 1, 62)])  # 25 minutes
    with pytest.raises(MidiError, match="minutes"):
        load_midi_bytes(midi_bytes(long_pm))
    many = make_pm([(i * 0.01, i * 0.01 + 0.01, 60) for i in range(mi.MAX_NOTES + 1)])
    with pytest.raises(MidiError, match="notes; the limit"):
        check_midi(many)


def test_broken_files_with_many_bends_keep_mido_s_reason():
    """The pre-scan hands a file it can't follow to pretty_midi unchanged, so the reason is mido's."""
    storm = bend_storm(5, 10_000)  # 50,000 bends: over the cap
    assert strip_controls(storm[: len(storm) // 2]) == (storm[: len(storm) // 2], 0)
    with pytest.raises(MidiError, match="truncated or corrupt"):
        load_midi_bytes(storm[: len(storm) // 2])
    running_without_status = smf([b"\x00\x40\x40" * 30_000])
    assert strip_controls(running_without_status) == (running_without_status, 0)
    with pytest.raises(MidiError, match="corrupt"):
        load_midi_bytes(running_without_status)


# ---------------------------------------------------------------------------------------------- pre-scan
def test_few_controller_events_are_kept_as_they_are():
    data = everything_file()
    assert strip_controls(data) == (data, 0)  # 30 x 23 = 690 events: under the cap, the bytes are untouched
    pm = load_midi_bytes(data)
    assert len(pm.instruments[0].pitch_bends) == 600 and len(pm.instruments[0].control_changes) == 30


def test_stripping_keeps_notes_tempi_programs_and_timing():
    """With the cap at 0 every pitch bend, control change and aftertouch message goes, and their ticks are
    carried to the next event: the notes, tempo changes, meter, program and lyric come out identical."""
    data = everything_file()
    stripped, n = strip_controls(data, max_events=0)
    assert n == 30 * 23 and len(stripped) < len(data)
    before, after = parsed(data), parsed(stripped)
    assert summary(after) == summary(before)
    assert (
        after.instruments[0].program == 41
        and not after.instruments[0].pitch_bends
        and not after.instruments[0].control_changes
    )
    assert [m.type for m in mido.MidiFile(file=io.BytesIO(stripped)).tracks[1] if m.type == "sysex"] == ["sysex"]


def test_a_million_pitch_bends_load_with_their_notes():
    """a 3.3 MB file of 1.1 million pitch bends. Parsed in full by mido it takes seconds
    (measured by the print below on a smaller file, scaled); the pre-scan drops the bends and it loads."""
    data = bend_storm()
    assert len(data) > 3_000_000
    t0 = time.perf_counter()
    pm = load_midi_bytes(data)
    loaded = time.perf_counter() - t0
    inst = pm.instruments[0]
    assert len(inst.notes) == 100 and not inst.pitch_bends
    assert [n.pitch for n in inst.notes] == [60 + k % 12 for k in range(100)]
    tick = 60 / 120 / 480  # seconds per tick at 120 bpm, 480 ticks per quarter
    assert inst.notes[1].start == pytest.approx(10_999 * tick)  # the bends' ticks were carried over
    small = bend_storm(10, 11_000)  # a tenth of it, the old way: mido parses every message
    t0 = time.perf_counter()
    parsed(small)
    full = (time.perf_counter() - t0) * 10
    print(f"1.1 M pitch bends: {loaded:.2f} s with the pre-scan; ~{full:.1f} s parsed in full (10 x a tenth)")


# ---------------------------------------------------------------------------------------------- time
def test_quantized_notes_and_tempo():
    pm = make_pm([(0.0, 0.24, 60), (0.26, 0.49, 62), (0.5, 0.51, 64)], tempo=90)
    assert estimate_tempo(pm) == pytest.approx(90)
    per = 60 / 90 / 4  # seconds per sixteenth at 90 bpm
    assert quantized_notes(pm, 4) == [
        (0, round(0.24 / per), 60),
        (round(0.26 / per), round(0.49 / per), 62),
        (round(0.5 / per), round(0.5 / per) + 1, 64),
    ]
    assert estimate_tempo(make_pm([(0, 1, 60)], tempo=400)) == 240.0
