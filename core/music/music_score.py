"""A music scorecard in numpy: how much does a composition look like the training pieces?

After Yang & Lerch (2018), "On the evaluation of generative models in music" (Neural Computing and
Applications): a few simple musical features, each compared against the same features of the training
set. A composition is a sequence of value tokens (core.music.music_codec: ``N60_d4``, ``C60.64.67_d2``, ``R_d4``).
The measures, all from the values themselves:

* **pitch-class distance**: the composition's pitch-class histogram (12 bins, one count per sounding
  pitch, chord pitches each counted) against the training pieces' pooled histogram.
* **in key**: the share of sounding pitches in the scale of the corpus's best-fitting key
  (``core.music.music_codec.estimate_key``, Krumhansl-Kessler profiles, on the duration-weighted pitches of all
  training pieces). The scale is the 7 pitch classes of the major or natural-minor scale of that key.
* **pitch range**: highest minus lowest sounding pitch, in semitones; compare with the training pieces'
  typical (median) range in ``Reference.typical_range``.
* **interval distance**: histogram of the melodic steps between consecutive sounding values (the top
  pitch of each value: the melody is usually on top; rests are skipped), signed semitones -12..+12 with
  larger leaps counted in the end bins, against the training pieces' pooled histogram.
* **notes per bar**: sounding pitches per 16 grid steps (a 4/4 bar of sixteenths), rests included in
  the time; compare with ``Reference.typical_density``.
* **duration distance**: histogram of the durations (1..16 steps) of the sounding values (not rests),
  against the training pieces' pooled histogram.
* **longest copy**: the longest run of consecutive values that appears verbatim in one training piece,
  and which piece: found with a suffix automaton over all training pieces (linear time), so a model that
  memorised and quotes a piece shows up.

Every histogram distance is **1 − overlapping area** of the two normalised histograms, i.e. half their L1
distance (the total-variation distance): 0 = exactly the same mix, 1 = nothing in common. The overlapping
area is one of Yang & Lerch's two measures (the other is KL divergence, which is infinite as soon as one
bin is empty, too fragile for a 100-value composition).

What is simplified on purpose: Yang & Lerch compare *distributions* of per-piece features (intra-set and
inter-set distances, then KL and overlap of those); here one composition's features are compared with the
training set's pooled histograms and typical values, which a student can read at a glance. Histogram
distances shrink with more notes (fewer empty bins), so rows should be scored on the same number of values:
``score_pieces`` cuts every piece to the composition's length.

What it can't tell apart: with chords (``max_chord`` 4 on the Bach chorales) values drawn uniformly from the
vocabulary have pitch-class and duration histograms as close to the corpus as real held-out pieces (every
chord in the vocabulary came from the corpus, in its key); the interval, in-key, range and copy measures
still separate them. With melodies (``max_chord`` 1, the page's default) every histogram separates them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from core.music.music_codec import MAX_DURATION, PITCH_CLASS_NAMES, estimate_key, parse_value

MAX_INTERVAL = 12  # interval histogram bins -12..+12 semitones; larger leaps go to the end bins
STEPS_PER_BAR = 16  # a 4/4 bar of sixteenth-note steps
CHANCE_DRAWS = 100  # random compositions averaged in the chance row
CHANCE_LABEL = "chance (values drawn uniformly at random)"  # the scorecard's chance row
VALIDATION_LABEL = "held-out validation pieces"  # the scorecard's row of real pieces the model never trained on
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)  # pitch classes above the tonic
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)  # natural minor
READING_GUIDE = (
    "Distances run from 0 (the same mix as the training pieces) to 1 (nothing in common); in key, range and notes "
    "per bar should be near the training pieces' values; a long copy means the model is quoting a training piece."
)


# ---------------------------------------------------------------------------------------------- features
@dataclass(frozen=True, eq=False)
class Features:
    """Raw counts of one sequence of values (the building block of every measure)."""

    pitch_classes: np.ndarray  # (12,) int: sounding pitches per pitch class (0 = C)
    intervals: np.ndarray  # (2*MAX_INTERVAL+1,) int: melodic steps -12..+12 (clipped)
    durations: np.ndarray  # (MAX_DURATION,) int: sounding values per duration 1..16 steps (longer clipped to 16)
    lowest: int | None  # lowest sounding pitch (None without notes)
    highest: int | None  # highest sounding pitch
    n_values: int  # values (notes, chords and rests)
    n_notes: int  # sounding pitches (a chord of 3 counts 3)
    steps: int  # total length in grid steps
    weighted_pitches: tuple[tuple[int, int], ...]  # (pitch, duration) of every sounding pitch, for the key estimate


def features(values: Sequence[str]) -> Features:
    """Count everything the scorecard needs in one pass. Raises ValueError on a malformed value."""
    pcs = np.zeros(12, dtype=np.int64)
    ivs = np.zeros(2 * MAX_INTERVAL + 1, dtype=np.int64)
    durs = np.zeros(MAX_DURATION, dtype=np.int64)
    lo = hi = None
    prev_top = None
    n_notes = steps = 0
    weighted: list[tuple[int, int]] = []
    for v in values:
        pitches, d = parse_value(v)
        steps += d
        if not pitches:
            continue
        for p in pitches:
            pcs[p % 12] += 1
            weighted.append((p, d))
        n_notes += len(pitches)
        durs[min(d, MAX_DURATION) - 1] += 1
        lo = min(pitches) if lo is None else min(lo, min(pitches))
        hi = max(pitches) if hi is None else max(hi, max(pitches))
        top = pitches[-1]  # ascending: the highest pitch carries the melody
        if prev_top is not None:
            ivs[int(np.clip(top - prev_top, -MAX_INTERVAL, MAX_INTERVAL)) + MAX_INTERVAL] += 1
        prev_top = top
    return Features(pcs, ivs, durs, lo, hi, len(values), n_notes, steps, tuple(weighted))


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 − overlapping area of the two histograms after normalising each to sum 1 (0 same .. 1 disjoint); nan if either
    is empty."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.sum() <= 0 or b.sum() <= 0:
        return float("nan")
    return float(1.0 - np.minimum(a / a.sum(), b / b.sum()).sum())


def scale_pitch_classes(tonic: int, mode: str) -> frozenset[int]:
    """The 7 pitch classes of the major / natural-minor scale on ``tonic`` (0 = C)."""
    steps = MAJOR_SCALE if mode == "major" else MINOR_SCALE
    return frozenset((tonic + s) % 12 for s in steps)


# ---------------------------------------------------------------------------------------------- copies
class CopyIndex:
    """Longest run of a query found verbatim in any of a set of pieces: a suffix automaton, built once.

    The pieces are concatenated with a distinct separator after each (so no match crosses a piece
    boundary) and the automaton of that string is built online (Blumer et al. 1985): one state per
    end-position class, ``link`` = suffix link, ``length`` = longest string of the state, ``first_end``
    = end position of its first occurrence (to say where a match comes from). A query is scanned in
    one pass, following suffix links on a mismatch: O(total length) to build, O(query) to look up.
    """

    def __init__(self, pieces: Sequence[Sequence[str]]):
        self._token: dict[str, int] = {}  # value -> id (separators are negative ids)
        self._starts: list[int] = []  # position of each piece's first value in the concatenation
        self._lengths: list[int] = []  # values per piece
        self._next: list[dict[int, int]] = [{}]  # state -> {token id: state}
        self._link: list[int] = [-1]
        self._length: list[int] = [0]
        self._first_end: list[int] = [-1]
        last, pos = 0, 0
        for k, piece in enumerate(pieces):
            self._starts.append(pos)
            self._lengths.append(len(piece))
            for v in piece:
                last = self._extend(last, self._token.setdefault(v, len(self._token)), pos)
                pos += 1
            last = self._extend(last, -1 - k, pos)  # separator, never in a query
            pos += 1

    def _extend(self, last: int, c: int, pos: int) -> int:
        nxt, link, length, first = self._next, self._link, self._length, self._first_end
        cur = len(length)
        nxt.append({})
        link.append(-1)
        length.append(length[last] + 1)
        first.append(pos)
        p = last
        while p != -1 and c not in nxt[p]:
            nxt[p][c] = cur
            p = link[p]
        if p == -1:
            link[cur] = 0
            return cur
        q = nxt[p][c]
        if length[p] + 1 == length[q]:
            link[cur] = q
            return cur
        clone = len(length)  # split q: the clone keeps q's transitions and first occurrence
        nxt.append(dict(nxt[q]))
        link.append(link[q])
        length.append(length[p] + 1)
        first.append(first[q])
        while p != -1 and nxt[p].get(c) == q:
            nxt[p][c] = clone
            p = link[p]
        link[q] = link[cur] = clone
        return cur

    @property
    def n_states(self) -> int:
        return len(self._length)

    def longest_match(self, query: Sequence[str]) -> tuple[int, int | None, int | None, int | None]:
        """(length, piece index, start in that piece, start in the query) of the longest run of ``query``
        found verbatim in one piece; (0, None, None, None) when no value of the query occurs anywhere.
        Ties: the earliest end in the query."""
        v, l = 0, 0
        best = (0, None, None, None)
        nxt, link, length = self._next, self._link, self._length
        for i, value in enumerate(query):
            c = self._token.get(value)
            if c is None:  # a value no piece has: nothing can match across it
                v, l = 0, 0
                continue
            while v and c not in nxt[v]:
                v = link[v]
                l = length[v]
            if c in nxt[v]:
                v = nxt[v][c]
                l += 1
            else:
                v, l = 0, 0
            if l > best[0]:
                end = self._first_end[v]  # an end position of this match in the concatenation
                start = end - l + 1
                k = bisect.bisect_right(self._starts, start) - 1
                best = (l, k, start - self._starts[k], i - l + 1)
        return best


# ---------------------------------------------------------------------------------------------- reference
@dataclass(frozen=True, eq=False)
class Reference:
    """The training pieces' features, built once per corpus (``Reference.build``)."""

    names: tuple[str, ...]  # training piece names, in order
    pitch_classes: np.ndarray  # (12,) pooled counts
    intervals: np.ndarray  # (25,) pooled counts
    durations: np.ndarray  # (16,) pooled counts
    key: tuple[int, str]  # best-fitting key of all training pieces: (tonic 0..11, "major" | "minor")
    key_pitch_classes: frozenset[int]  # its scale
    typical_range: float  # median pitch range of the pieces (semitones)
    range_span: tuple[float, float]  # 10th and 90th percentile of the pieces' ranges
    typical_density: float  # median notes per bar of the pieces
    density_span: tuple[float, float]  # 10th and 90th percentile of notes per bar
    copies: CopyIndex = field(repr=False, compare=False)  # finds the longest copied run

    @classmethod
    def build(cls, pieces: Iterable[tuple[str, Sequence[str]]]) -> "Reference":
        """From (name, values) of the training pieces. Raises ValueError if none of them has a note."""
        pieces = [(str(n), tuple(v)) for n, v in pieces]
        feats = [features(v) for _, v in pieces]
        sounding = [f for f in feats if f.n_notes > 0]
        if not sounding:
            raise ValueError("the reference pieces have no notes")
        tonic, mode = estimate_key(pd for f in sounding for pd in f.weighted_pitches)
        ranges = np.array([f.highest - f.lowest for f in sounding], dtype=np.float64)
        dens = np.array([_density(f) for f in sounding], dtype=np.float64)
        return cls(
            names=tuple(n for n, _ in pieces),
            pitch_classes=sum(f.pitch_classes for f in feats),
            intervals=sum(f.intervals for f in feats),
            durations=sum(f.durations for f in feats),
            key=(int(tonic), mode),
            key_pitch_classes=scale_pitch_classes(tonic, mode),
            typical_range=float(np.median(ranges)),
            range_span=(float(np.percentile(ranges, 10)), float(np.percentile(ranges, 90))),
            typical_density=float(np.median(dens)),
            density_span=(float(np.percentile(dens, 10)), float(np.percentile(dens, 90))),
            copies=CopyIndex([v for _, v in pieces]),
        )

    @property
    def key_name(self) -> str:
        return f"{PITCH_CLASS_NAMES[self.key[0]]} {self.key[1]}"

    def summary(self) -> str:
        """One line about the training pieces, for under the scorecard."""
        return (
            f"Training pieces: key {self.key_name}, typical range {self.typical_range:.0f} semitones "
            f"({self.range_span[0]:.0f}–{self.range_span[1]:.0f}), {self.typical_density:.1f} notes per bar "
            f"({self.density_span[0]:.1f}–{self.density_span[1]:.1f})."
        )


def _density(f: Features) -> float:
    return f.n_notes / (f.steps / STEPS_PER_BAR) if f.steps else 0.0


# ---------------------------------------------------------------------------------------------- scores
@dataclass(frozen=True)
class MusicScore:
    """The scorecard of one composition (or the mean over several pieces, ``n_pieces`` > 1)."""

    n_values: float  # values scored
    n_notes: float  # sounding pitches
    pitch_class_distance: (
        float  # 1 − overlap of pitch-class histograms with the training pieces (0 same .. 1 disjoint; nan: no notes)
    )
    in_key: float  # share of sounding pitches in the corpus key's scale (nan: no notes)
    pitch_range: float  # highest − lowest pitch, semitones (nan: no notes)
    interval_distance: float  # 1 − overlap of melodic-interval histograms (nan: fewer than 2 sounding values)
    notes_per_bar: float  # sounding pitches per 16 steps
    duration_distance: float  # 1 − overlap of note-duration histograms (nan: no notes)
    longest_copy: float  # longest run of consecutive values found verbatim in one training piece
    copied_from: str | None = None  # that piece's name (None when nothing matched, or for a mean over pieces)
    copy_start: int | None = None  # where the copied run starts in that piece (value index)
    copy_at: int | None = None  # where it starts in the composition (value index)
    n_pieces: int = 1  # how many pieces this row is the mean of


def score(values: Sequence[str], reference: Reference) -> MusicScore:
    """Score one composition against the training pieces (see the module docstring)."""
    f = features(values)
    n_match, piece, start, at = reference.copies.longest_match(values)
    in_key = float("nan")
    if f.n_notes:
        in_key = sum(int(f.pitch_classes[pc]) for pc in reference.key_pitch_classes) / f.n_notes
    return MusicScore(
        n_values=f.n_values,
        n_notes=f.n_notes,
        pitch_class_distance=histogram_distance(f.pitch_classes, reference.pitch_classes),
        in_key=in_key,
        pitch_range=float(f.highest - f.lowest) if f.n_notes else float("nan"),
        interval_distance=histogram_distance(f.intervals, reference.intervals),
        notes_per_bar=_density(f),
        duration_distance=histogram_distance(f.durations, reference.durations),
        longest_copy=n_match,
        copied_from=reference.names[piece] if piece is not None else None,
        copy_start=start,
        copy_at=at,
    )


_NUMERIC = (
    "n_values",
    "n_notes",
    "pitch_class_distance",
    "in_key",
    "pitch_range",
    "interval_distance",
    "notes_per_bar",
    "duration_distance",
    "longest_copy",
)


def mean_score(scores: Sequence[MusicScore]) -> MusicScore:
    """The mean of every measure over several scores (nan entries ignored), as one row."""
    if not scores:
        raise ValueError("nothing to average")
    if len(scores) == 1:
        return scores[0]
    means = {}
    for k in _NUMERIC:
        xs = np.array([getattr(s, k) for s in scores], dtype=np.float64)
        means[k] = float(np.nanmean(xs)) if np.any(np.isfinite(xs)) else float("nan")
    return MusicScore(**means, n_pieces=len(scores))


def score_pieces(pieces: Sequence[Sequence[str]], reference: Reference, n_values: int | None = None) -> MusicScore:
    """The mean score of several pieces (e.g. the held-out validation pieces), each cut to its first
    ``n_values`` values so they compare fairly with a composition of that length. Empty pieces are skipped."""
    cut = [tuple(p[:n_values] if n_values else p) for p in pieces]
    cut = [p for p in cut if p]
    if not cut:
        raise ValueError("no pieces to score")
    return mean_score([score(p, reference) for p in cut])


def chance_score(
    vocabulary: Sequence[str], reference: Reference, n_values: int, draws: int = CHANCE_DRAWS, seed: int = 0
) -> MusicScore:
    """What a uniform random choice scores: the mean over ``draws`` compositions of ``n_values`` values, each value
    drawn uniformly from ``vocabulary`` (seeded, so the row is the same every time)."""
    if not vocabulary or n_values < 1:
        raise ValueError("chance needs a vocabulary and a length")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(vocabulary), size=(int(draws), int(n_values)))  # (draws, n_values) indices
    return mean_score([score([vocabulary[i] for i in row], reference) for row in picks])


def scorecard(
    rows: Sequence[tuple[str, Sequence[str]]],
    reference: Reference,
    validation: Sequence[Sequence[str]] = (),
    validation_label: str = VALIDATION_LABEL,
    chance: Sequence[str] = (),
) -> list[tuple[str, MusicScore]]:
    """Score several compositions (e.g. ("trained model", values), ("untrained model", values)); with a
    ``chance`` vocabulary, add the row of values drawn uniformly from it (``chance_score``, as long as the longest
    composition); when ``validation`` pieces are given, add their mean row, cut to the longest composition's
    length."""
    out = [(label, score(values, reference)) for label, values in rows]
    longest = max((len(v) for _, v in rows), default=0)
    if chance and longest:
        out.append((CHANCE_LABEL, chance_score(chance, reference, longest)))
    if validation:
        n = max((len(v) for _, v in rows), default=0) or None
        out.append((validation_label, score_pieces(validation, reference, n)))
    return out
