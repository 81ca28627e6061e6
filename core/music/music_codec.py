"""Notes <-> "values": the Music lab's codec (tokens, encoding, decoding, key estimate, vocabulary).

Reading and checking MIDI files is core.music.midi_io's job; this module turns a checked ``PrettyMIDI`` into values
and values back into one (core.music.music_audio makes them audible).

As in the classic course's jazz exercise, a piece of music becomes a sequence of *values*. A value is
one note, one chord or one rest, together with how long it lasts. Every value is a short string token:

    N60_d4          one note: MIDI pitch 60 (middle C), lasting 4 grid steps
    C60.64.67_d2    a chord: pitches 60, 64 and 67 (always ascending), lasting 2 grid steps
    R_d4            a rest of 4 grid steps

The grid is a sixteenth note (``steps_per_quarter=4``), so ``_d4`` is a quarter note and ``_d16`` (the
longest value, ``max_duration``) is a whole note in 4/4. Values follow one another: the next value starts
where the previous one ends, so a sequence of values is a single time line.

Encoding (``midi_to_values``), step by step:

1. Take every non-drum instrument and merge their notes into one stream (drums have no pitch).
2. Quantize each note's onset and end to the grid. Time is measured in quarter notes through the file's
   own tempo map (``pm.time_to_tick(t) / pm.resolution``), so tempo changes are followed and the grid is
   the same for 4/4, 3/4 or 6/8. Every note keeps at least one step.
3. Notes that share a (quantized) onset form one chord; when it has more than ``max_chord`` distinct
   pitches, only the highest ones are kept (the melody is usually on top).
4. A value lasts as long as its longest note, but never past the next onset (so overlaps are cut: the
   time line is monophonic, like the course's). If it ends before the next onset, a rest fills the gap.
5. Durations are capped at ``max_duration`` steps: a longer note is shortened to the cap, a longer rest
   becomes several rests (so onsets stay exactly where they were).
6. Optionally the piece is transposed to C major / A minor (``transpose=True``) using a simple key
   estimate: the duration-weighted pitch-class histogram is correlated with the Krumhansl-Kessler major
   and minor profiles, and the piece moves by the smallest shift (-6..+5 semitones) that puts the tonic on
   C (major) or A (minor). This makes corpora in many keys share one vocabulary.

Decoding (``values_to_midi``) lays the values end to end at a chosen tempo on one instrument.

What is simplified on purpose: velocities, instruments, pedal, pitch bends and key changes inside a piece
are ignored; silence before the first note is dropped; notes that overlap the next onset are cut; the key
estimate is a classic heuristic and can be wrong for modal or chromatic music. Long pieces are cut to
``max_values`` when encoded, by the caller's choice.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pretty_midi

from core.music.midi_io import check_midi, load_midi_bytes, quantized_notes

STEPS_PER_QUARTER = 4  # grid: sixteenth notes
MAX_DURATION = 16  # longest value, in grid steps (a whole note)
MAX_CHORD = 4  # default number of pitches kept in a chord (the highest)

_TOKEN = re.compile(r"^(?:N(\d{1,3})|C(\d{1,3}(?:\.\d{1,3})+)|R)_d(\d{1,3})$")
_VOCAB_FORMAT = "rnn-playground-music-vocab"


@dataclass(frozen=True)
class CodecOptions:
    """Knobs of the encoder (the decoder only needs the values)."""

    max_chord: int = MAX_CHORD  # keep at most this many (highest) pitches per chord; 1 = melody only
    transpose: bool = True  # move every piece to C major / A minor before encoding
    steps_per_quarter: int = STEPS_PER_QUARTER  # grid resolution: 4 = sixteenth notes
    max_duration: int = MAX_DURATION  # longest value in grid steps; longer notes are cut, rests split


# ---------------------------------------------------------------------------------------------- tokens
def value_token(pitches: Sequence[int], duration: int) -> str:
    """The token for a note (one pitch), chord (several) or rest (none) of ``duration`` grid steps."""
    ps = sorted(set(int(p) for p in pitches))
    if not ps:
        return f"R_d{int(duration)}"
    if len(ps) == 1:
        return f"N{ps[0]}_d{int(duration)}"
    return "C" + ".".join(str(p) for p in ps) + f"_d{int(duration)}"


def parse_value(token: str) -> tuple[tuple[int, ...], int]:
    """Token -> (pitches ascending, duration in steps); a rest has no pitches. Raises ValueError if malformed."""
    m = _TOKEN.match(token)
    if not m:
        raise ValueError(f"not a music value: {token!r}")
    note, chord, dur = m.groups()
    if note is not None:
        pitches: tuple[int, ...] = (int(note),)
    elif chord is not None:
        pitches = tuple(int(p) for p in chord.split("."))
    else:
        pitches = ()
    duration = int(dur)
    if duration < 1 or any(not 0 <= p <= 127 for p in pitches):
        raise ValueError(f"not a music value: {token!r}")
    return pitches, duration


def value_duration(token: str) -> int:
    return parse_value(token)[1]


PITCH_CLASS_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")  # index = pitch % 12
_DURATION_NAMES = {
    1: "sixteenth",
    2: "eighth",
    3: "dotted eighth",
    4: "quarter",
    6: "dotted quarter",
    8: "half",
    12: "dotted half",
    16: "whole",
}


def describe_value(token: str) -> str:
    """A reader's description, e.g. 'N60_d4' -> 'note C4, quarter (4 steps)'."""
    pitches, d = parse_value(token)
    length = f"{_DURATION_NAMES[d]} ({d} step{'s' if d > 1 else ''})" if d in _DURATION_NAMES else f"{d} steps"
    if not pitches:
        return f"rest, {length}"
    names = " ".join(pretty_midi.note_number_to_name(p) for p in pitches)
    return f"{'note' if len(pitches) == 1 else 'chord'} {names}, {length}"


# ---------------------------------------------------------------------------------------------- key
# Krumhansl-Kessler key profiles, index 0 = tonic.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(notes: Iterable[tuple[int, float]]) -> tuple[int, str]:
    """(tonic pitch class 0..11, "major"|"minor") from (pitch, weight) pairs; (0, "major") if there are none."""
    # The duration-weighted pitch-class histogram is built here rather than with pretty_midi's
    # get_pitch_class_histogram(use_duration=True), which would not describe the same data: it weighs notes in
    # seconds (a slow passage counts more) where the codec counts grid steps through the tempo map, it reads
    # the raw notes rather than the quantized ones the codec encodes, and core.music.music_score calls this on
    # generated values that have no PrettyMIDI at all.
    hist = np.zeros(12)
    for pitch, weight in notes:
        hist[int(pitch) % 12] += max(float(weight), 1e-6)
    if hist.sum() == 0 or np.allclose(hist, hist[0]):
        return 0, "major"
    best = (-np.inf, 0, "major")
    for mode, prof in (("major", _MAJOR), ("minor", _MINOR)):
        for tonic in range(12):
            r = np.corrcoef(hist, np.roll(prof, tonic))[0, 1]
            if r > best[0]:
                best = (r, tonic, mode)
    return best[1], best[2]


def shift_to_c(tonic: int, mode: str) -> int:
    """Semitones (-6..+5) that move the tonic to C (major) or A (minor)."""
    target = 0 if mode == "major" else 9
    return ((target - tonic + 6) % 12) - 6


# ---------------------------------------------------------------------------------------------- encode
def _as_pm(pm_or_bytes) -> pretty_midi.PrettyMIDI:
    if isinstance(pm_or_bytes, (bytes, bytearray, memoryview)):
        return load_midi_bytes(bytes(pm_or_bytes))
    if isinstance(pm_or_bytes, pretty_midi.PrettyMIDI):
        check_midi(pm_or_bytes)
        return pm_or_bytes
    raise TypeError("expected MIDI bytes or a pretty_midi.PrettyMIDI")


def midi_to_values(pm_or_bytes, options: CodecOptions = CodecOptions(), *, max_values: int | None = None) -> list[str]:
    """Encode a MIDI file (PrettyMIDI or bytes) as a list of value tokens (see the module docstring).

    max_values: keep only the first this many values (None keeps all). Raises MidiError on unusable input.
    """
    pm = _as_pm(pm_or_bytes)
    notes = quantized_notes(pm, options.steps_per_quarter)
    if options.transpose:
        tonic, mode = estimate_key((p, e - s) for s, e, p in notes)
        shift = shift_to_c(tonic, mode)
        notes = [(s, e, min(127, max(0, p + shift))) for s, e, p in notes]
    # group by onset: onset -> (pitches, longest end)
    groups: dict[int, tuple[set[int], int]] = {}
    for s, e, p in notes:
        pitches, end = groups.get(s, (set(), s))
        pitches.add(p)
        groups[s] = (pitches, max(end, e))
    onsets = sorted(groups)
    cap = max(1, options.max_duration)
    values: list[str] = []
    for k, s in enumerate(onsets):
        pitches, end = groups[s]
        keep = sorted(pitches)[-max(1, options.max_chord) :]
        nxt = onsets[k + 1] if k + 1 < len(onsets) else None
        if nxt is not None:
            end = min(end, nxt)
        dur = min(end - s, cap)
        values.append(value_token(keep, dur))
        if nxt is not None:
            gap = nxt - (s + dur)
            while gap > 0:
                r = min(gap, cap)
                values.append(value_token((), r))
                gap -= r
        if max_values is not None and len(values) >= max_values:
            return values[:max_values]
    return values


# ---------------------------------------------------------------------------------------------- decode
def values_to_notes(
    values: Sequence[str], tempo: float = 120.0, steps_per_quarter: int = STEPS_PER_QUARTER
) -> list[tuple[float, float, int]]:
    """Lay values end to end: (start seconds, end seconds, pitch) for every sounding pitch."""
    step_s = 60.0 / float(tempo) / steps_per_quarter
    t = 0
    notes = []
    for token in values:
        pitches, dur = parse_value(token)
        for p in pitches:
            notes.append((t * step_s, (t + dur) * step_s, p))
        t += dur
    return notes


def values_to_midi(
    values: Sequence[str],
    tempo: float = 120.0,
    program: int = 0,
    *,
    steps_per_quarter: int = STEPS_PER_QUARTER,
    velocity: int = 90,
) -> pretty_midi.PrettyMIDI:
    """Decode values into a one-instrument PrettyMIDI at ``tempo`` quarter notes per minute."""
    if not 20 <= float(tempo) <= 400:
        raise ValueError("tempo must be between 20 and 400 beats per minute")
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo))
    inst = pretty_midi.Instrument(program=int(program), name="values")
    for start, end, pitch in values_to_notes(values, tempo, steps_per_quarter):
        inst.notes.append(
            pretty_midi.Note(velocity=int(velocity), pitch=int(pitch), start=float(start), end=float(end))
        )
    pm.instruments.append(inst)
    return pm


# ---------------------------------------------------------------------------------------------- vocabulary
@dataclass(frozen=True)
class Vocabulary:
    """The values a corpus uses, most frequent first (ties in alphabetical order)."""

    itos: tuple[str, ...]  # index -> value token
    counts: tuple[int, ...]  # index -> how often the value occurs in the corpus

    def __post_init__(self) -> None:
        if len(self.itos) != len(self.counts):
            raise ValueError("itos and counts must have the same length")
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("duplicate values in the vocabulary")
        object.__setattr__(self, "_stoi", {s: i for i, s in enumerate(self.itos)})

    @classmethod
    def build(cls, pieces: Iterable[Sequence[str]]) -> "Vocabulary":
        c: Counter = Counter()
        for piece in pieces:
            c.update(piece)
        if not c:
            raise ValueError("the corpus has no values")
        items = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls(tuple(k for k, _ in items), tuple(int(v) for _, v in items))

    @property
    def stoi(self) -> dict[str, int]:
        return dict(self._stoi)  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, value: str) -> bool:
        return value in self._stoi  # type: ignore[attr-defined]

    def index(self, value: str) -> int:
        return self._stoi[value]  # type: ignore[attr-defined]

    def most_common(self, n: int = 10) -> list[tuple[str, int]]:
        return list(zip(self.itos[:n], self.counts[:n]))

    def encode(self, values: Sequence[str], *, strict: bool = False) -> np.ndarray:
        """Values -> int32 ids (n,). Unknown values are skipped, or raise KeyError when ``strict``."""
        stoi = self._stoi  # type: ignore[attr-defined]
        ids = []
        for v in values:
            if v in stoi:
                ids.append(stoi[v])
            elif strict:
                raise KeyError(f"value {v!r} is not in the vocabulary")
        return np.asarray(ids, dtype=np.int32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]

    def to_json(self) -> str:
        return json.dumps({"format": _VOCAB_FORMAT, "version": 1, "itos": list(self.itos), "counts": list(self.counts)})

    @classmethod
    def from_json(cls, text: str) -> "Vocabulary":
        try:
            d = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a vocabulary file: {exc}") from None
        if not isinstance(d, dict) or d.get("format") != _VOCAB_FORMAT or d.get("version") != 1:
            raise ValueError("not a music vocabulary file (wrong format or version)")
        itos, counts = d.get("itos"), d.get("counts")
        if not isinstance(itos, list) or not isinstance(counts, list) or not all(isinstance(s, str) for s in itos):
            raise ValueError("a music vocabulary needs lists 'itos' (strings) and 'counts'")
        if not all(isinstance(c, int) and c >= 0 for c in counts):
            raise ValueError("vocabulary counts must be non-negative integers")
        for s in itos:
            parse_value(s)
        return cls(tuple(itos), tuple(counts))
