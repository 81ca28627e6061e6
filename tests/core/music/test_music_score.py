"""core.music.music_score: each measure on hand-made pieces with known answers, the suffix automaton against brute
force, and on the bundled corpora: real held-out pieces score closer to the training set than random values."""

import math

import numpy as np
import pytest

from core.music import music_codec as mc
from core.music import music_data as md
from core.music import music_score as ms

C_SCALE = ["N60_d4", "N62_d4", "N64_d4", "N65_d4", "N67_d4", "N69_d4", "N71_d4", "N72_d4"]
C_TUNE = ["N60_d4", "N64_d4", "N67_d4", "N64_d4", "N60_d8", "N67_d4", "N65_d2", "N64_d2", "N62_d4", "N60_d8", "R_d8"]


def ref(*pieces) -> ms.Reference:
    return ms.Reference.build((f"p{k}", v) for k, v in enumerate(pieces))


# ---------------------------------------------------------------------------------------------- building blocks
def test_histogram_distance_known_values():
    assert ms.histogram_distance([1, 0], [0, 1]) == 1.0
    assert ms.histogram_distance([1, 1], [2, 2]) == 0.0  # only the shape counts
    assert ms.histogram_distance([3, 1], [1, 3]) == pytest.approx(0.5)
    assert ms.histogram_distance([1, 0, 0, 0], [1, 1, 1, 1]) == pytest.approx(0.75)
    assert math.isnan(ms.histogram_distance([0, 0], [1, 1]))


def test_features_count_what_they_say():
    f = ms.features(["N60_d4", "R_d2", "N64_d2", "C55.62_d8", "N83_d1", "R_d16"])
    assert f.n_values == 6 and f.n_notes == 5 and f.steps == 33
    assert f.lowest == 55 and f.highest == 83
    assert (
        f.pitch_classes[0] == 1
        and f.pitch_classes[4] == 1
        and f.pitch_classes[7] == 1
        and f.pitch_classes[2] == 1
        and f.pitch_classes[11] == 1
    )
    iv = {i - ms.MAX_INTERVAL: int(c) for i, c in enumerate(f.intervals) if c}
    assert iv == {4: 1, -2: 1, 12: 1}  # 60->64 across the rest, 64->62 (the chord's top), 62->83 = +21 clipped to +12
    assert {d + 1: int(c) for d, c in enumerate(f.durations) if c} == {4: 1, 2: 1, 8: 1, 1: 1}  # rests not counted
    with pytest.raises(ValueError):
        ms.features(["N60_d4", "oops"])


def test_scale_pitch_classes():
    assert ms.scale_pitch_classes(0, "major") == {0, 2, 4, 5, 7, 9, 11}
    assert ms.scale_pitch_classes(9, "minor") == {9, 11, 0, 2, 4, 5, 7}  # A minor: the white keys too
    assert ms.scale_pitch_classes(7, "major") == {7, 9, 11, 0, 2, 4, 6}  # G major has F#


# ---------------------------------------------------------------------------------------------- measures
def test_a_piece_against_itself_has_zero_distances():
    r = ref(C_SCALE)
    s = ms.score(C_SCALE, r)
    assert s.pitch_class_distance == 0.0 and s.interval_distance == 0.0 and s.duration_distance == 0.0
    assert s.longest_copy == len(C_SCALE) and s.copied_from == "p0" and s.copy_start == 0 and s.copy_at == 0
    assert s.pitch_range == 12 and s.n_values == 8 and s.n_notes == 8
    assert s.notes_per_bar == pytest.approx(4.0)  # quarter notes: 4 per 16 steps
    assert r.typical_range == 12 and r.typical_density == pytest.approx(4.0)


def test_key_share_and_transposition():
    r = ref(C_TUNE)
    assert r.key == (0, "major") and r.key_name == "C major"
    assert ms.score(C_TUNE, r).in_key == 1.0
    up_a_tritone = [
        mc.value_token([p + 6 for p in mc.parse_value(v)[0]], mc.value_duration(v)) for v in C_TUNE
    ]  # F# major
    s = ms.score(up_a_tritone, r)
    # C E G E C G F E D C -> F# A# C# A# F# C# B A# G# F#: only B (from F) is in C major, 1 note of 10
    assert s.in_key == pytest.approx(0.1)
    assert s.interval_distance == 0.0  # the same melodic steps
    assert s.duration_distance == 0.0  # the same rhythm
    assert s.pitch_class_distance > 0.5
    assert s.longest_copy == 1 and s.copy_at == 10  # only the closing rest is the same value


def test_range_density_and_durations_known_answers():
    r = ref(C_SCALE)
    s = ms.score(["N55_d16", "C60.64.67_d16", "N72_d8", "R_d8"], r)
    assert s.pitch_range == 72 - 55
    assert s.n_notes == 5 and s.notes_per_bar == pytest.approx(5 / 3)  # 48 steps = 3 bars
    # durations 16, 16, 8 against the corpus's all-quarter notes: nothing in common
    assert s.duration_distance == 1.0
    assert s.in_key == 1.0


def test_rests_only_gives_nan_not_an_error():
    s = ms.score(["R_d4", "R_d8"], ref(C_SCALE))
    assert (
        math.isnan(s.pitch_class_distance)
        and math.isnan(s.in_key)
        and math.isnan(s.pitch_range)
        and math.isnan(s.duration_distance)
    )
    assert s.notes_per_bar == 0.0 and s.longest_copy == 0
    with pytest.raises(ValueError):
        ref(["R_d4"])  # a reference needs notes


def test_copy_lengths_known_answers():
    a = ["N60_d4", "N62_d4", "N64_d4", "N65_d4", "N67_d4"]
    b = ["N72_d2", "N71_d2", "N69_d2"]
    r = ms.Reference.build([("first", a), ("second", b)])
    q = ["N50_d1", "N62_d4", "N64_d4", "N65_d4", "N50_d1", "N72_d2", "N71_d2"]
    assert r.copies.longest_match(q) == (3, 0, 1, 1)
    s = ms.score(q, r)
    assert s.longest_copy == 3 and s.copied_from == "first" and s.copy_start == 1 and s.copy_at == 1
    # a run that spans the boundary between two pieces is not one copy
    assert r.copies.longest_match(["N65_d4", "N67_d4", "N72_d2", "N71_d2"])[0] == 2
    assert r.copies.longest_match(["N1_d1"]) == (0, None, None, None)
    assert r.copies.longest_match([]) == (0, None, None, None)


def _brute_longest(query, pieces) -> int:
    best = 0
    for p in pieces:
        prev = [0] * (len(p) + 1)
        for x in query:
            cur = [0] * (len(p) + 1)
            for j, y in enumerate(p):
                if x == y:
                    cur[j + 1] = prev[j] + 1
                    best = max(best, cur[j + 1])
            prev = cur
    return best


def test_suffix_automaton_matches_brute_force():
    rng = np.random.default_rng(0)
    alphabet = [f"N{60 + i}_d4" for i in range(4)]  # a small alphabet makes long repeats likely
    for trial in range(150):
        pieces = [
            [alphabet[i] for i in rng.integers(0, len(alphabet), size=int(rng.integers(0, 25)))]
            for _ in range(int(rng.integers(1, 5)))
        ]
        query = [alphabet[i] for i in rng.integers(0, len(alphabet), size=int(rng.integers(0, 30)))]
        idx = ms.CopyIndex(pieces)
        n, k, start, at = idx.longest_match(query)
        assert n == _brute_longest(query, pieces), trial
        if n:
            assert pieces[k][start : start + n] == query[at : at + n]  # the reported place really matches
        assert idx.n_states <= 2 * (sum(len(p) + 1 for p in pieces)) + 1  # a suffix automaton's size bound


# ---------------------------------------------------------------------------------------------- rows
def test_scorecard_rows_and_mean():
    r = ref(C_SCALE, C_TUNE)
    rows = ms.scorecard(
        [("trained", C_SCALE[:4]), ("untrained", ["N61_d3", "N66_d5"])], r, validation=[C_TUNE, C_SCALE, []]
    )
    assert [label for label, _ in rows] == ["trained", "untrained", "held-out validation pieces"]
    val = rows[2][1]
    assert val.n_pieces == 2 and val.n_values == 4  # empty piece skipped, each cut to the longest composition (4)
    parts = [ms.score(C_TUNE[:4], r), ms.score(C_SCALE[:4], r)]
    assert val.pitch_range == pytest.approx((parts[0].pitch_range + parts[1].pitch_range) / 2)
    assert val.longest_copy == 4 and val.copied_from is None
    assert rows[1][1].in_key == 0.0 and rows[0][1].in_key == 1.0
    assert isinstance(ms.READING_GUIDE, str) and "\n" not in ms.READING_GUIDE
    assert "C major" in r.summary()
    with pytest.raises(ValueError):
        ms.mean_score([])


# ---------------------------------------------------------------------------------------------- bundled corpora
@pytest.mark.parametrize("style", ["bach_chorales", "irish_folk"])
def test_validation_pieces_score_closer_than_random_values(style):
    pieces, _ = md.load_bundled(style, mc.CodecOptions(max_chord=1))  # the page's default codec setting
    corpus = md.MusicCorpus(pieces)
    r = ms.Reference.build((corpus.pieces[i].name, corpus.pieces[i].values) for i in corpus.train_idx)
    n = 100
    val = ms.score_pieces([corpus.pieces[i].values for i in corpus.val_idx], r, n)
    rng = np.random.default_rng(0)
    untrained = ms.mean_score(
        [ms.score(corpus.vocab.decode(rng.integers(0, len(corpus.vocab), size=n)), r) for _ in range(10)]
    )
    for measure in ("pitch_class_distance", "interval_distance", "duration_distance"):
        assert getattr(val, measure) < getattr(untrained, measure), measure
    assert val.in_key > untrained.in_key
    assert abs(val.pitch_range - r.typical_range) < abs(untrained.pitch_range - r.typical_range)
    assert abs(val.notes_per_bar - r.typical_density) < abs(untrained.notes_per_bar - r.typical_density)
    assert val.longest_copy > untrained.longest_copy


def test_chance_row_is_uniform_random_values_scored():
    r = ref(C_SCALE, C_TUNE)
    in_scale, off_scale = ["N60_d4", "N62_d4", "N64_d4"], ["N61_d4"]  # C major: 3 of the 4 values are in key
    rows = ms.scorecard([("trained", C_SCALE[:4]), ("untrained", off_scale * 5)], r, chance=in_scale + off_scale)
    assert [label for label, _ in rows] == ["trained", "untrained", ms.CHANCE_LABEL]
    chance = rows[2][1]
    assert chance.n_pieces == ms.CHANCE_DRAWS and chance.n_values == 5  # as long as the longest composition
    assert chance.in_key == pytest.approx(0.75, abs=0.06)  # 3 of 4 values in key, drawn uniformly
    assert ms.chance_score(in_scale, r, 8).in_key == 1.0 and ms.chance_score(off_scale, r, 8).in_key == 0.0
    again = ms.scorecard([("trained", C_SCALE[:4])], r, chance=in_scale + off_scale)[1][1]
    assert again.in_key == ms.chance_score(in_scale + off_scale, r, 4).in_key  # seeded: the same row every time
    with pytest.raises(ValueError):
        ms.chance_score([], r, 4)
