"""core.music.motif: the note syntax (parse, errors naming the token and position), the encode/decode round trip,
nearest vocabulary values, unknown values, bars."""

import pytest

from core.music import motif
from core.music import music_codec as mc


# ---------------------------------------------------------------------------------------------- parsing
def test_the_issue_example():
    assert motif.encode("C4q E4q G4h") == ["N60_d4", "N64_d4", "N67_d8"]


@pytest.mark.parametrize(
    "text, value",
    [
        ("C4w", "N60_d16"),
        ("C4h", "N60_d8"),
        ("C4q", "N60_d4"),
        ("C4e", "N60_d2"),
        ("C4s", "N60_d1"),
        ("C4h.", "N60_d12"),
        ("C4q.", "N60_d6"),
        ("C4e.", "N60_d3"),
        ("C4:5", "N60_d5"),
        ("C4:16", "N60_d16"),
        ("C4", "N60_d4"),  # no duration: a quarter
        ("A4q", "N69_d4"),
        ("F#5e", "N78_d2"),
        ("Bb3s", "N58_d1"),
        ("bb3s", "N58_d1"),
        ("b3Q", "N59_d4"),
        ("C-1q", "N0_d4"),
        ("G9q", "N127_d4"),
        ("Cb4q", "N59_d4"),
        ("B#3q", "N60_d4"),
        ("Rq", "R_d4"),
        ("rh.", "R_d12"),
        ("R", "R_d4"),
        ("R:7", "R_d7"),
        ("[C4 E4 G4]q", "C60.64.67_d4"),
        ("[G4,C4,E4]h", "C60.64.67_d8"),
        ("[C4 C4]e", "N60_d2"),
    ],
)
def test_tokens(text, value):
    assert motif.encode(text) == [value]


def test_separators_bar_lines_and_positions():
    events = motif.parse("  C4q,E4q | [C4 E4 G4]h\tRq\n")
    assert [e.value for e in events] == ["N60_d4", "N64_d4", "C60.64.67_d8", "R_d4"]
    assert [e.text for e in events] == ["C4q", "E4q", "[C4 E4 G4]h", "Rq"]
    assert [e.position for e in events] == [2, 6, 12, 24]
    assert motif.encode("C4q[E4 G4]h") == ["N60_d4", "C64.67_d8"]  # a bracket starts a new token
    assert motif.encode(motif.EXAMPLE)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", ["at least one note"]),
        ("   | ", ["at least one note"]),
        ("C4q H4q", ["Token 2 'H4q'", "character 5", "'H' is not a note name"]),
        ("C4x", ["Token 1 'C4x'", "'x' is not a duration"]),
        ("C#q", ["Token 1 'C#q'", "not a pitch"]),
        ("C4q E10q", ["Token 2 'E10q'", "octaves go from -1 to 9"]),
        ("G#9q", ["G#9 is outside the MIDI range"]),
        ("C4w.", ["dotted whole note lasts 24"]),
        ("C4s.", ["dotted sixteenth"]),
        ("C4:0", [":0 must be 1 to 16"]),
        ("C4:17", [":17 must be 1 to 16"]),
        ("Rx", ["Token 1 'Rx'", "'x' is not a duration"]),
        ("C4q [C4 E4", ["'[' at character 5 is never closed"]),
        ("C4q ]q", ["']' at character 5 closes no chord"]),
        ("[]q", ["the chord has no notes"]),
        ("[C4 Rq]h", ["can't contain a rest"]),
        ("[C4q E4q]", ["write the chord's duration once"]),
        ("[C4 X4]q", ["Token 1 '[C4 X4]q'", "'X' is not a note name"]),
    ],
)
def test_errors_name_the_token_and_position(text, words):
    with pytest.raises(motif.MotifError) as err:
        motif.parse(text)
    msg = str(err.value)
    for w in words:
        assert w in msg, msg
    assert "\n" not in msg and "Traceback" not in msg


def test_limits():
    with pytest.raises(motif.MotifError, match="limit"):
        motif.parse("C4q " * 600)
    with pytest.raises(motif.MotifError, match="keep it short"):
        motif.parse("C4s " * (motif.MAX_VALUES + 1))
    with pytest.raises(motif.MotifError):
        motif.parse(None)  # type: ignore[arg-type]
    assert isinstance(motif.HELP, str) and "\n" not in motif.HELP and "C4q" in motif.HELP


# ---------------------------------------------------------------------------------------------- round trips
def test_decode_writes_the_syntax():
    assert (
        motif.decode(["N61_d6", "C60.64_d8", "R_d4", "N60_d5", "N0_d1", "N127_d16", "R_d12", "N62_d3"])
        == "C#4q. [C4 E4]h Rq C4:5 C-1s G9w Rh. D4e."
    )
    assert motif.decode([]) == ""


def test_every_value_round_trips():
    values = [mc.value_token([p], d) for p in range(128) for d in range(1, mc.MAX_DURATION + 1)]
    values += [mc.value_token([], d) for d in range(1, mc.MAX_DURATION + 1)]
    values += ["C60.64.67_d4", "C0.127_d16", "C48.55.64.72_d3"]
    for v in values:
        assert motif.encode(motif.decode([v])) == [v], v
    assert motif.encode(motif.decode(values[-40:])) == values[-40:]


def test_canonical_text_round_trips():
    text = "C4q E4q G4h | [F4 A4 C5]q Rq G4h"
    assert motif.decode(motif.encode(text)) == text.replace("| ", "")
    assert motif.decode(motif.encode("Db4q bb3e")) == "C#4q A#3e"  # enharmonics come back as sharps


def test_corpus_values_round_trip():
    from core.music import music_data as md

    pieces, _ = md.load_bundled("irish_folk")
    values = [v for p in pieces[:20] for v in p.values]
    assert motif.encode(motif.decode(values[: motif.MAX_VALUES])) == values[: motif.MAX_VALUES]


# ---------------------------------------------------------------------------------------------- vocabulary
VOCAB = ["N60_d4", "N62_d4", "N64_d4", "N60_d2", "N61_d8", "R_d4", "R_d8", "C60.64.67_d4", "C60.64_d4"]


def test_nearest_in_vocab():
    assert motif.nearest_in_vocab("N61_d4", VOCAB, 2) == ["N60_d4", "N62_d4"]  # 1 semitone each; tie keeps vocab order
    assert motif.nearest_in_vocab("N60_d8", VOCAB, 1) == ["N61_d8"]  # 1 semitone beats a doubling of duration (2)
    assert motif.nearest_in_vocab("N60_d3", VOCAB, 2) == ["N60_d4", "N60_d2"]  # |log2(3/4)| < |log2(3/2)|
    assert motif.nearest_in_vocab("R_d16", VOCAB, 2) == ["R_d8", "R_d4"]  # rests for rests
    assert motif.nearest_in_vocab("C60.64.67_d8", VOCAB, 1) == ["C60.64.67_d4"]
    assert motif.nearest_in_vocab("C60.65_d4", VOCAB, 1) == ["C60.64_d4"]
    assert motif.nearest_in_vocab("N60_d4", VOCAB, 1) == ["N60_d4"]  # a known value is its own nearest
    assert motif.nearest_in_vocab("N61_d4", VOCAB, 0) == [] and len(
        motif.nearest_in_vocab("N61_d4", VOCAB, 100)
    ) == len(VOCAB)


def test_value_distance_known_values():
    assert motif.value_distance("N60_d4", "N60_d4") == 0.0
    assert motif.value_distance("N60_d4", "N67_d4") == 7.0
    assert motif.value_distance("N60_d4", "N60_d8") == pytest.approx(motif.DURATION_WEIGHT)
    assert motif.value_distance("R_d4", "N60_d4") >= motif.REST_MISMATCH
    assert motif.value_distance("C60.64.67_d4", "C60.64_d4") == pytest.approx(3 / 5 + 2)


def test_split_unknown_and_message():
    values = motif.encode("C4q C#4q E4q C#4q Rw")
    known, unknown = motif.split_unknown(values, VOCAB)
    assert known == ["N60_d4", "N64_d4"] and unknown == ["N61_d4", "R_d16"]
    vocab = mc.Vocabulary.build([VOCAB])
    assert motif.split_unknown(values, vocab) == (known, unknown)
    msg = motif.unknown_message(values, VOCAB, 2)
    assert msg == "Not in the model's vocabulary: C#4q (nearest: C4q, D4q); Rw (nearest: Rh, Rq)."
    assert motif.unknown_message(["N60_d4"], VOCAB) is None
    assert motif.replace_unknown(values, VOCAB) == ["N60_d4", "N60_d4", "N64_d4", "N60_d4", "R_d8"]


# ---------------------------------------------------------------------------------------------- bars
def test_bars():
    values = motif.encode("C4h E4h | G4w | [C4 E4]q. D4e Rh | C5w")
    assert motif.n_bars(values) == 4.0
    assert motif.take_bars(values, 0, 1) == ["N60_d8", "N64_d8"]
    assert motif.take_bars(values, 1, 2) == ["N67_d16", "C60.64_d6", "N62_d2", "R_d8"]
    assert motif.take_bars(values, 3, 5) == ["N72_d16"]
    assert motif.take_bars(values, 9, 1) == []
    long = motif.encode("C4w. ".replace("w.", "h.") * 3)  # 3 dotted halves = 36 steps
    assert motif.cut_to_bars(long, 2) == long  # the third starts at step 24 < 32, kept whole
    assert motif.cut_to_bars(long, 1) == long[:2]  # the second starts at 12 < 16
