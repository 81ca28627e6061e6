"""Reading Standard MIDI Files safely for the Music lab: uploaded bytes -> a checked ``pretty_midi.PrettyMIDI``.

``load_midi_bytes`` never trusts an upload: files over ``MAX_FILE_BYTES`` are refused before parsing;
anything that is not a Standard MIDI File, or is truncated or corrupt, is refused with a reason; files with
no notes, only drums, more than ``MAX_NOTES`` notes or longer than ``MAX_SECONDS`` are refused
(``check_midi``: a 20-minute "song" is almost always a broken or generated file).

Before pretty_midi parses a file, ``strip_controls`` pre-scans its raw bytes with a small chunk reader: when
it holds more than ``MAX_CONTROL_EVENTS`` pitch bends, control changes and aftertouch messages (none of which
the values codec uses), they are all dropped and the file is rebuilt without them. mido (under pretty_midi)
parses about 130,000 messages a second in pure Python, so a 3 MB file of 1.1 million pitch bends took
seconds to parse; the pre-scan reads it in a fraction of that. Files with fewer such events keep them, so
the original still plays with its pedal and bends.

``quantized_notes`` puts every pitched note on the codec's grid through the file's own tempo map;
``estimate_tempo`` reads its first tempo marking; ``midi_bytes`` writes a PrettyMIDI back to bytes.

Simplified on purpose: the pre-scan is all or nothing (it doesn't keep "some" bends), and a file it can't
read is handed to pretty_midi unchanged, so mido's own error decides what is wrong with it.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings

import pretty_midi

MAX_FILE_BYTES = 5 * 1024 * 1024  # uploads larger than this are refused before parsing
MAX_SECONDS = 20 * 60  # longer files are refused
MAX_NOTES = 100_000  # files with more notes are refused
MAX_CONTROL_EVENTS = 20_000  # more pitch bends + control changes + aftertouch than this: all dropped before parsing
# why a file the parser refused can't be read, in a student's words (the parser's own reason goes to the log)
DAMAGED = (
    "some of its data is missing or not in the MIDI format. Open it in your music program and export it again "
    "as a Standard MIDI File (.mid)."
)

_DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}  # status high nibble -> data bytes
_UNUSED = frozenset((0xA0, 0xB0, 0xD0, 0xE0))  # poly aftertouch, control change, channel pressure, pitch bend

log = logging.getLogger(__name__)


class MidiError(ValueError):
    """A user-facing reason why a MIDI file can't be used."""


# ---------------------------------------------------------------------------------------------- pre-scan
class _Unreadable(Exception):
    """The pre-scan can't follow the file; it is handed to pretty_midi as it is."""


def _vlq(b: bytes, i: int, end: int) -> tuple[int, int]:
    """A variable-length quantity at b[i] -> (value, index after it)."""
    v = 0
    while True:
        if i >= end:
            raise _Unreadable
        c = b[i]
        i += 1
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i


def _vlq_bytes(v: int) -> bytes:
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    return bytes(reversed(out))


def _track(b: bytes, i: int, end: int, out: list[bytes] | None) -> int:
    """Scan one MTrk body b[i:end] (running status as mido reads it) -> the number of unused events in it.

    With ``out``: append the track's events without those, each channel message with its own status byte, the
    delta times of dropped events added to the next kept one.
    """
    n_unused = 0
    status = None  # running status: the last status byte other than a meta event's
    carry = 0  # ticks of dropped events, owed to the next kept event
    while i < end:
        delta, i = _vlq(b, i, end)
        if i >= end:
            raise _Unreadable
        first = b[i]
        if first >= 0x80:
            i += 1
            if first != 0xFF:
                status = first
            kind = first
        elif status is None or status in (0xF0, 0xF7):
            raise _Unreadable  # running status with nothing to run on (or on a sysex, which mido reads its own way)
        else:
            kind = status  # this byte is already the first data byte
        start = i  # the event's bytes after its status byte
        if kind == 0xFF:  # meta event: type, length, data
            length, i = _vlq(b, i + 1, end)
            i += length
        elif kind in (0xF0, 0xF7):  # sysex: length, data
            length, i = _vlq(b, i, end)
            i += length
        else:
            n = _DATA_BYTES.get(kind & 0xF0)
            if n is None:
                raise _Unreadable  # 0xF1..0xFE have no place in a file
            i += n
            if kind & 0xF0 in _UNUSED:
                n_unused += 1
                carry += delta
                continue
        if i > end:
            raise _Unreadable
        if out is not None:
            out.append(_vlq_bytes(delta + carry) + bytes((kind,)) + b[start:i])
        carry = 0
    return n_unused


def strip_controls(data: bytes, max_events: int = MAX_CONTROL_EVENTS) -> tuple[bytes, int]:
    """Standard MIDI File bytes -> (bytes to parse, number of events dropped).

    Counts pitch bends, control changes and aftertouch in every track; when there are more than
    ``max_events``, returns the file rebuilt without any of them (the same notes, tempi and programs at the
    same ticks). Otherwise, or when the file can't be followed (mido will say why), returns it unchanged.
    """
    try:
        if data[:4] != b"MThd" or len(data) < 14:
            raise _Unreadable
        (hlen,) = struct.unpack(">I", data[4:8])
        pos = 8 + hlen
        chunks: list[tuple[bytes, int, int]] = []  # (type, body start, body end)
        while pos + 8 <= len(data):
            kind, size = struct.unpack(">4sI", data[pos : pos + 8])
            if pos + 8 + size > len(data):
                raise _Unreadable  # truncated: mido says so
            chunks.append((kind, pos + 8, pos + 8 + size))
            pos += 8 + size
        total = sum(_track(data, s, e, None) for kind, s, e in chunks if kind == b"MTrk")
        if total <= max_events:
            return data, 0
        parts = [data[: 8 + hlen]]
        for kind, s, e in chunks:
            if kind == b"MTrk":
                events: list[bytes] = []
                _track(data, s, e, events)
                body = b"".join(events)
            else:
                body = data[s:e]
            parts.append(kind + struct.pack(">I", len(body)) + body)
        return b"".join(parts), total
    except (_Unreadable, IndexError, struct.error):
        return data, 0


# ---------------------------------------------------------------------------------------------- loading
def load_midi_bytes(data: bytes) -> pretty_midi.PrettyMIDI:
    """Parse uploaded bytes as a Standard MIDI File, or raise MidiError with a reason a student can act on."""
    if data is None or len(data) == 0:
        raise MidiError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise MidiError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB. "
            "Typical song MIDI files are well under 1 MB."
        )
    if not data.startswith(b"MThd"):
        raise MidiError("This is not a MIDI file (a .mid file starts with 'MThd'). Export it as a Standard MIDI File.")
    data, _ = strip_controls(bytes(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    except EOFError:
        raise MidiError(
            "The MIDI file is truncated or corrupt and can't be read (it ends in the middle of its data)."
        ) from None
    except OSError as exc:  # mido: a chunk or an event is not where the format puts it
        log.info("MIDI upload refused: %s: %s", type(exc).__name__, exc)
        raise MidiError(f"The MIDI file is truncated or corrupt and can't be read: {DAMAGED}") from None
    except Exception as exc:  # noqa: BLE001 - mido/pretty_midi raise many kinds of errors on bad input
        log.info("MIDI upload refused: %s: %s", type(exc).__name__, exc)
        raise MidiError(f"The MIDI file is corrupt and can't be read: {DAMAGED}") from None
    check_midi(pm)
    return pm


def check_midi(pm: pretty_midi.PrettyMIDI) -> None:
    """Refuse parsed files the codec can't use: no notes, drums only, too many notes, too long."""
    n_all = sum(len(i.notes) for i in pm.instruments)
    n_pitched = sum(len(i.notes) for i in pm.instruments if not i.is_drum)
    if n_all == 0:
        raise MidiError("The MIDI file has no notes.")
    if n_pitched == 0:
        raise MidiError("The MIDI file only has drums (channel 10); the codec needs pitched notes.")
    if n_all > MAX_NOTES:
        raise MidiError(f"The MIDI file has {n_all:,} notes; the limit is {MAX_NOTES:,}. Upload a shorter piece.")
    end = pm.get_end_time()
    if end > MAX_SECONDS:
        raise MidiError(
            f"The MIDI file lasts {end / 60:.0f} minutes; the limit is {MAX_SECONDS // 60} minutes. Upload a shorter "
            "piece."
        )


def midi_bytes(pm: pretty_midi.PrettyMIDI) -> bytes:
    """A PrettyMIDI as Standard MIDI File bytes (built in memory)."""
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- time
def quantized_notes(pm: pretty_midi.PrettyMIDI, steps_per_quarter: int) -> list[tuple[int, int, int]]:
    """Every pitched note as (onset step, end step, pitch) on a grid of ``steps_per_quarter`` steps per quarter
    note, through the file's tempo map; sorted by onset then pitch; every note keeps at least one step."""
    per_step = pm.resolution / steps_per_quarter  # ticks per grid step
    out = []
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        for n in inst.notes:
            s = int(round(pm.time_to_tick(n.start) / per_step))
            e = int(round(pm.time_to_tick(n.end) / per_step))
            out.append((s, max(e, s + 1), int(n.pitch)))
    out.sort()
    return out


def estimate_tempo(pm: pretty_midi.PrettyMIDI) -> float:
    """The file's first tempo marking (quarter notes per minute), clipped to 40..240; 120 when there is none."""
    _, tempi = pm.get_tempo_changes()
    t = float(tempi[0]) if len(tempi) else 120.0
    return float(min(240.0, max(40.0, t)))
