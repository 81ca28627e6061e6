"""Adversarial cases that already held when they were tried in Chromium, kept here so that they keep holding: odd
link values, hostile lesson names, unusual MIDI timing, duplicate and CJK vocabularies, a 10 MB one-line text, and
rapid clicks while training. (docs/classroom.md lists every bad-input case and its test.)"""

from __future__ import annotations

import struct

import pytest

from core.files.model_zip import ModelZipError, vocab_from_json
from core.music import music_data as md
from core.text.text_data import CorpusError, TextCorpus
from core.text.textio import decode_text
from core.toolkit import lessons
from core.toolkit import links as cl
from tests.support.apptest import button, messages, ok, open_page


@pytest.mark.parametrize("lab", cl.LABS)
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e308", "-1e308"])
def test_non_finite_and_huge_numbers_in_every_link_parameter_fall_back_with_a_message(lab, value):
    spec = cl.spec(lab)
    numbers = [p for p in spec.params if p.kind in ("int", "float", "choice")]
    parsed = cl.parse_query(spec, {p.name: value for p in numbers})
    assert all(parsed.values.get(p.key, p.default) == p.default for p in numbers), parsed.values  # defaults kept
    said = "\n".join(parsed.problems)
    assert all(f"`{p.name}=" in said for p in numbers), said


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\secret",
        "/etc/hosts",
        "dino-from-scratch/../x",
        "x" * 120_000,
        "<script>alert(1)</script>",
        "`code`",
    ],
)
def test_a_hostile_lesson_name_opens_no_file_and_the_message_stays_short(name):
    lesson, problem = lessons.find(name)
    assert lesson is None
    assert len(problem) < 600  # a 120 KB name is cut, not repeated


def _smf(division: bytes, events: bytes) -> bytes:
    """A one-track standard MIDI file with the given division word and track events."""
    track = events + b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHH", 6, 0, 1) + division + b"MTrk" + struct.pack(">I", len(track)) + track


NOTES = b"".join(
    b"\x00\x90" + bytes([60 + i % 12]) + b"\x50" + b"\x60\x80" + bytes([60 + i % 12]) + b"\x40" for i in range(40)
)


@pytest.mark.parametrize(
    "case, data",
    [
        ("SMPTE timing (25 fps, 40 ticks a frame)", _smf(b"\xe7\x28", NOTES)),
        ("a time signature with a zero numerator", _smf(b"\x00\x60", b"\x00\xff\x58\x04\x00\x02\x18\x08" + NOTES)),
    ],
)
def test_unusual_midi_timing_is_read_or_refused_with_a_reason(case, data):
    pieces, problems = md.load_uploads([("odd.mid", data)])
    assert pieces or problems, case
    for p in problems:
        assert "Error" not in p and "Traceback" not in p and "/" not in p.split("odd.mid")[0]


def test_a_vocabulary_listing_a_character_twice_is_refused_and_a_cjk_one_is_fine():
    with pytest.raises(ModelZipError, match="twice"):
        vocab_from_json('{"format": "rnn-playground-vocab", "version": 1, "chars": ["a", "b", "a"]}')
    text = "".join(chr(0x4E00 + (i * 7) % 300) for i in range(3000)) + "\n"
    corpus = TextCorpus(text * 2)
    assert corpus.vocab_size <= 301 and corpus.decode(corpus.encode(text[:50])) == text[:50]


def test_a_10_mb_text_on_one_line_is_read_and_used_or_refused_with_a_reason():
    data = (b"abcdefghij " * (10 * 2**20 // 11))[: 10 * 2**20]
    text, _ = decode_text(data, max_bytes=10 * 2**20, allow_latin1=False, what="text")
    try:
        corpus = TextCorpus(text)
    except CorpusError as exc:
        assert str(exc)
        return
    assert corpus.max_seq_len >= 16 and corpus.vocab_size == 11


def test_rapid_clicks_of_start_stop_and_step_while_training_leave_no_error():
    at = open_page("pages/dinosaurs.py")
    at.number_input(key="dino_iters").set_value(500_000)  # ten slices and ten Steps must not end the run's budget
    at.run()
    for _ in range(10):
        button(at, "▶ Start").click().run()
        button(at, "■ Stop").click().run()
        button(at, "Step").click().run()
    ok(at)
    assert "Training stopped" not in messages(at)
