"""Call and response: a student's short motif in a simple note syntax <-> the Music lab's value tokens.

The syntax (``HELP`` is the one-line version for the page):

    C4q E4q G4h          notes: a pitch name A-G, an optional # or b, an octave (middle C is C4), a duration
    F#5e.  Bb3s          a dot makes a duration 1.5x longer (when that is a whole number of sixteenths)
    Rq  rh               rests: R (or r) and a duration
    [C4 E4 G4]h          chords: pitches in square brackets, one duration after the bracket
    C4:5                 any duration as a number of sixteenth-note steps after a colon (1..16)
    |  ,                 bar lines and commas are ignored (write them to keep your place)

Durations are counted on the codec's sixteenth-note grid (core.music.music_codec, ``steps_per_quarter=4``):
``w`` whole = 16 steps, ``h`` half = 8, ``q`` quarter = 4, ``e`` eighth = 2, ``s`` sixteenth = 1; a
duration may be left out and then is a quarter. Pitches: MIDI number = 12 × (octave + 1) + pitch class
(+1 for #, −1 for b), so C4 = 60 and A4 = 69; octaves -1..9, MIDI 0..127.

``encode(text)`` -> value tokens (``N60_d4``, ``C60.64.67_d8``, ``R_d4``) and ``decode(values)`` -> text
form a codec pair: decode writes sharps, the shortest duration symbol (``:N`` only when no letter fits),
and chords in brackets, so ``encode(decode(v)) == v`` for every value and ``decode(encode(t)) == t`` for
text already written that way. Anything the parser doesn't understand raises ``MotifError`` naming the
token, its number and the character where it starts.

A motif can use values the model never saw (a C# in a corpus transposed to C major, a dotted half). The
page reports them with ``split_unknown`` / ``unknown_message`` and offers ``nearest_in_vocab``: the
closest values the model knows, by pitch (semitones) and duration (2 semitones per doubling or halving).

What is simplified on purpose: no ties, triplets, key signatures or dynamics; a chord's notes all last the
same; enharmonic spellings are not kept (Db4 comes back as C#4).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Container, Iterable, Sequence

from core.music.music_codec import MAX_DURATION, Vocabulary, parse_value, value_token

HELP = (
    "Notes like C4q E4q G4h (pitch A–G, # or b, octave: middle C is C4; duration w h q e s = whole … sixteenth, "
    "a dot adds half, :N = N sixteenths), rests like Rq, chords like [C4 E4 G4]h."
)
EXAMPLE = "C4q E4q G4h | [F4 A4 C5]q Rq G4h"  # a motif that parses, for the page's placeholder
MAX_TEXT = 2000  # characters accepted in one motif
MAX_VALUES = 200  # values in one motif
DURATIONS = {"w": 16, "h": 8, "q": 4, "e": 2, "s": 1}  # symbol -> sixteenth-note steps
DEFAULT_DURATION = "q"  # a note without a duration is a quarter
STEPS_PER_BAR = 16  # a 4/4 bar of sixteenths
DURATION_WEIGHT = 2.0  # nearest_in_vocab: one doubling / halving of duration costs as much as 2 semitones
REST_MISMATCH = 100.0  # nearest_in_vocab: a rest for a note (or the reverse) is never close

_PITCH = re.compile(r"^([A-Ga-g])([#b]?)(-1|\d)$")
_DURATION = re.compile(r"^(?:([whqesWHQES])(\.?)|:(\d{1,2}))?$")
_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_SEPARATORS = " \t\r\n|,"


class MotifError(ValueError):
    """A motif the parser can't read, with a message naming the token and where it is."""


@dataclass(frozen=True)
class Event:
    """One parsed note, chord or rest."""

    pitches: tuple[int, ...]  # MIDI pitches ascending (empty for a rest)
    duration: int  # sixteenth-note steps, 1..MAX_DURATION
    text: str  # the token as typed
    position: int  # index of its first character in the motif text

    @property
    def value(self) -> str:
        return value_token(self.pitches, self.duration)


# ---------------------------------------------------------------------------------------------- parsing
def _where(number: int, token: str, position: int) -> str:
    return f"Token {number} '{token}' (at character {position + 1})"


def _pitch(name: str, where: str) -> int:
    m = _PITCH.match(name)
    if not m:
        if name and name[0].upper() not in _PC:
            raise MotifError(f"{where}: '{name[0]}' is not a note name (A to G) or a rest (R).")
        raise MotifError(
            f"{where}: '{name}' is not a pitch; write a note name, an optional # or b, and an octave, like C4, F#5 "
            "or Bb3."
        )
    letter, accidental, octave = m.groups()
    midi = 12 * (int(octave) + 1) + _PC[letter.upper()] + {"": 0, "#": 1, "b": -1}[accidental]
    if not 0 <= midi <= 127:
        raise MotifError(f"{where}: {name} is outside the MIDI range (C-1 to G9).")
    return midi


def _duration(text: str, where: str) -> int:
    m = _DURATION.match(text)
    if not m:
        raise MotifError(
            f"{where}: '{text}' is not a duration; use w h q e s (a dot adds half, like q.) or :N for N sixteenths."
        )
    letter, dot, steps = m.groups()
    if steps is not None:
        d = int(steps)
        if not 1 <= d <= MAX_DURATION:
            raise MotifError(f"{where}: :{steps} must be 1 to {MAX_DURATION} sixteenths.")
        return d
    base = DURATIONS[(letter or DEFAULT_DURATION).lower()]
    if not dot:
        return base
    if base % 2:
        raise MotifError(f"{where}: a dotted sixteenth is not a whole number of sixteenths; use :N instead.")
    d = base * 3 // 2
    if d > MAX_DURATION:
        raise MotifError(
            f"{where}: a dotted whole note lasts {d} sixteenths; the longest value is a whole note ({MAX_DURATION})."
        )
    return d


def _split_head(token: str) -> tuple[str, str]:
    """'F#5e.' -> ('F#5', 'e.'): the pitch part ends after the octave digits."""
    m = re.match(r"^([A-Ga-g][#b]?(?:-1|\d)?)(.*)$", token)
    if m:
        return m.group(1), m.group(2)
    return token, ""


def _tokens(text: str) -> list[tuple[str, int]]:
    """Split the text into (token, start index); a chord [..] with its duration is one token."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _SEPARATORS:
            i += 1
            continue
        start = i
        if text[i] == "[":
            close = text.find("]", i)
            if close < 0:
                raise MotifError(f"The '[' at character {i + 1} is never closed with ']'.")
            i = close + 1
        if text[i : i + 1] == "]" and start == i:
            raise MotifError(f"The ']' at character {i + 1} closes no chord (a chord is written like [C4 E4 G4]q).")
        while i < n and text[i] not in _SEPARATORS and text[i] != "[":
            i += 1
        out.append((text[start:i], start))
    return out


def parse(text: str) -> list[Event]:
    """The motif as events; MotifError (with the token, its number and position) on anything unreadable."""
    if not isinstance(text, str) or not text.strip():
        raise MotifError(f"Type at least one note, for example {EXAMPLE.split(' |')[0]}.")
    if len(text) > MAX_TEXT:
        raise MotifError(f"The motif is {len(text):,} characters long; the limit is {MAX_TEXT:,}.")
    events: list[Event] = []
    for number, (token, pos) in enumerate(_tokens(text), start=1):
        where = _where(number, token, pos)
        if token.startswith("["):
            close = token.index("]")
            inner, dur_text = token[1:close], token[close + 1 :]
            names = [x for x in re.split(r"[\s,]+", inner) if x]
            if not names:
                raise MotifError(f"{where}: the chord has no notes.")
            if any(x.upper().startswith("R") for x in names):
                raise MotifError(f"{where}: a chord can't contain a rest.")
            for x in names:
                head, rest = _split_head(x)
                if rest:
                    raise MotifError(
                        f"{where}: write the chord's duration once, after the bracket, like [C4 E4 G4]q (not '{x}')."
                    )
            pitches = tuple(sorted({_pitch(x, where) for x in names}))
            events.append(Event(pitches, _duration(dur_text, where), token, pos))
        elif token[0] in "rR":
            events.append(Event((), _duration(token[1:], where), token, pos))
        else:
            head, dur_text = _split_head(token)
            if dur_text[:1].isdigit():
                raise MotifError(f"{where}: octaves go from -1 to 9 (middle C is C4).")
            events.append(Event((_pitch(head, where),), _duration(dur_text, where), token, pos))
        if len(events) > MAX_VALUES:
            raise MotifError(f"The motif has more than {MAX_VALUES} notes, rests and chords; keep it short.")
    if not events:
        raise MotifError(f"Type at least one note, for example {EXAMPLE.split(' |')[0]}.")
    return events


def encode(text: str) -> list[str]:
    """Motif text -> value tokens (one per note, chord or rest). Raises MotifError."""
    return [e.value for e in parse(text)]


# ---------------------------------------------------------------------------------------------- writing
def pitch_name(midi: int) -> str:
    """60 -> 'C4', 61 -> 'C#4', 0 -> 'C-1' (sharps, the syntax's octave numbering)."""
    return f"{_SHARP_NAMES[int(midi) % 12]}{int(midi) // 12 - 1}"


def duration_symbol(steps: int) -> str:
    """4 -> 'q', 6 -> 'q.', 5 -> ':5' (a letter when one fits)."""
    for sym, d in DURATIONS.items():
        if d == steps:
            return sym
        if d % 2 == 0 and d * 3 // 2 == steps:
            return sym + "."
    return f":{int(steps)}"


def value_text(value: str) -> str:
    """One value token in the motif syntax: 'N61_d6' -> 'C#4q.', 'C60.64_d8' -> '[C4 E4]h', 'R_d4' -> 'Rq'."""
    pitches, d = parse_value(value)
    dur = duration_symbol(d)
    if not pitches:
        return "R" + dur
    if len(pitches) == 1:
        return pitch_name(pitches[0]) + dur
    return "[" + " ".join(pitch_name(p) for p in pitches) + "]" + dur


def decode(values: Sequence[str]) -> str:
    """Value tokens -> motif text (space separated). Raises ValueError on a malformed value."""
    return " ".join(value_text(v) for v in values)


# ---------------------------------------------------------------------------------------------- vocabulary
def _pitch_cost(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Semitones between two pitch sets: 0 for two rests, REST_MISMATCH for a rest against notes, else the
    mean distance from every pitch to the nearest pitch of the other set (both ways), plus 2 per extra pitch."""
    if not a and not b:
        return 0.0
    if not a or not b:
        return REST_MISMATCH
    near = [min(abs(p - q) for q in b) for p in a] + [min(abs(p - q) for q in a) for p in b]
    return sum(near) / len(near) + 2.0 * abs(len(a) - len(b))


def value_distance(a: str, b: str) -> float:
    """How far value b is from value a: pitch cost (semitones) + DURATION_WEIGHT × |log2(duration ratio)|."""
    pa, da = parse_value(a)
    pb, db = parse_value(b)
    return _pitch_cost(pa, pb) + DURATION_WEIGHT * abs(math.log2(da / db))


def nearest_in_vocab(value: str, vocab_values: Sequence[str], k: int = 3) -> list[str]:
    """The ``k`` values of the vocabulary closest to ``value`` (see ``value_distance``), closest first; ties
    keep the vocabulary's order (most common first for a core.music.music_codec.Vocabulary's itos)."""
    scored = sorted((value_distance(value, v), i) for i, v in enumerate(vocab_values))
    return [vocab_values[i] for _, i in scored[: max(0, int(k))]]


def split_unknown(values: Sequence[str], vocab: Container[str] | Iterable[str]) -> tuple[list[str], list[str]]:
    """(the values the vocabulary has, in order; the distinct values it lacks, in order of first appearance)."""
    have = vocab if isinstance(vocab, (set, frozenset, dict, Vocabulary)) else set(vocab)
    known, unknown = [], []
    for v in values:
        if v in have:
            known.append(v)
        elif v not in unknown:
            unknown.append(v)
    return known, unknown


def unknown_message(values: Sequence[str], vocab_values: Sequence[str], k: int = 3) -> str | None:
    """One line for the page naming the motif's values the model doesn't know and the nearest it does; None if all
    known."""
    _, unknown = split_unknown(values, set(vocab_values))
    if not unknown:
        return None
    parts = [
        f"{value_text(u)} (nearest: {', '.join(value_text(v) for v in nearest_in_vocab(u, vocab_values, k))})"
        for u in unknown
    ]
    return "Not in the model's vocabulary: " + "; ".join(parts) + "."


def replace_unknown(values: Sequence[str], vocab_values: Sequence[str]) -> list[str]:
    """The motif with every unknown value replaced by its nearest vocabulary value."""
    have = set(vocab_values)
    nearest: dict[str, str] = {}
    out = []
    for v in values:
        if v not in have and v not in nearest:
            nearest[v] = nearest_in_vocab(v, vocab_values, 1)[0]
        out.append(v if v in have else nearest[v])
    return out


# ---------------------------------------------------------------------------------------------- bars
def take_bars(values: Sequence[str], first_bar: int, n_bars: int, steps_per_bar: int = STEPS_PER_BAR) -> list[str]:
    """The values that start in bars first_bar .. first_bar + n_bars - 1 (0-based, 16 steps each), whole."""
    lo, hi = int(first_bar) * steps_per_bar, (int(first_bar) + int(n_bars)) * steps_per_bar
    out, t = [], 0
    for v in values:
        if lo <= t < hi:
            out.append(v)
        t += parse_value(v)[1]
        if t >= hi:
            break
    return out


def cut_to_bars(values: Sequence[str], n_bars: int, steps_per_bar: int = STEPS_PER_BAR) -> list[str]:
    """The first values that fill ``n_bars`` bars: every value that starts before the end of the last bar."""
    return take_bars(values, 0, n_bars, steps_per_bar)


def n_bars(values: Sequence[str], steps_per_bar: int = STEPS_PER_BAR) -> float:
    """Length of the values in bars."""
    return sum(parse_value(v)[1] for v in values) / steps_per_bar
