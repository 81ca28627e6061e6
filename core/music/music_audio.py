"""Real instrument sound for the Music lab: MIDI -> audio samples through FluidSynth, or sine waves.

``render(pm)`` plays a ``pretty_midi.PrettyMIDI`` with pretty_midi's own FluidSynth path
(``PrettyMIDI.fluidsynth``) and the General MIDI SoundFont bundled with pretty_midi (TimGM6mb.sf2), so a
piano sounds like a piano: a rendered C4 has many strong partials. FluidSynth needs two things on the
server: the ``pyfluidsynth`` Python package (requirements.txt) and the system library ``libfluidsynth``
(Debian ``libfluidsynth3``, installed by scripts/setup.sh). When either is missing, or FluidSynth fails,
``render`` falls back to pretty_midi's sine-wave synthesis (one partial per note: beeps) and says why in
``AudioClip.reason``, one line a page can show.

Availability is checked on every call (``import fluidsynth`` inside a function; Python caches the
import, so this is cheap): nothing is remembered at module level, and a test can hide the library by
setting ``sys.modules["fluidsynth"] = None``.

``program`` replaces every pitched instrument's General MIDI program (0 = Acoustic Grand Piano, see
``INSTRUMENTS``): the playback instrument choice. Drum tracks keep their kit.

What is simplified on purpose: one SoundFont (small, General MIDI, bundled with pretty_midi), mono
output, no reverb or chorus settings, and the clip is peak-normalised (0.9) rather than loudness-matched.
A page plays a clip with ``st.audio(clip.samples, sample_rate=clip.sample_rate)``. ``harmonic_amplitudes`` is a plain
FFT peak picker, good enough to count the partials of one held note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pretty_midi

SAMPLE_RATE = 22050  # default output rate (Hz): plenty for a SoundFont piano, half the data of 44.1 kHz
MAX_SECONDS = 60.0  # default length cap of a clip (seconds)
PEAK = 0.9  # clips are scaled so their largest sample is this
SILENT_SECONDS = 0.1  # length of the clip for a MIDI with no notes

Engine = Literal["fluidsynth", "sine"]
log = logging.getLogger(__name__)

# The playback instrument choice: (label, General MIDI program number, 0-based).
INSTRUMENTS: tuple[tuple[str, int], ...] = (
    ("Piano", 0),  # Acoustic Grand Piano
    ("Electric piano", 4),  # Electric Piano 1
    ("Harpsichord", 6),
    ("Vibraphone", 11),
    ("Organ", 19),  # Church Organ
    ("Guitar", 24),  # Acoustic Guitar (nylon)
    ("Violin", 40),
    ("Strings", 48),  # String Ensemble 1
    ("Choir", 52),  # Choir Aahs
    ("Trumpet", 56),
    ("Saxophone", 65),  # Alto Sax
    ("Clarinet", 71),
    ("Flute", 73),
)

SINE_REASON_NO_PACKAGE = (
    "FluidSynth is not installed on this server (no pyfluidsynth package), so notes play as sine-wave beeps."
)
SINE_REASON_NO_LIBRARY = (
    "FluidSynth is not installed on this server (no libfluidsynth system library), so notes play as sine-wave beeps."
)


@dataclass(frozen=True)
class AudioClip:
    """Rendered audio, ready for ``st.audio(clip.samples, sample_rate=clip.sample_rate)``."""

    samples: np.ndarray  # float32 (n,), mono, peak PEAK (all zeros for silence)
    sample_rate: int  # samples per second
    engine: Engine  # "fluidsynth" (SoundFont instruments) or "sine" (pretty_midi's sine waves)
    reason: str | None = None  # why it fell back to sine waves (one line for the page); None with FluidSynth

    @property
    def seconds(self) -> float:
        return self.samples.size / float(self.sample_rate)


def fluidsynth_problem() -> str | None:
    """None when FluidSynth can be used here, else the one-line reason it can't (the page's message)."""
    try:
        import fluidsynth  # noqa: F401 - pyfluidsynth loads libfluidsynth when imported
    except ModuleNotFoundError:
        return SINE_REASON_NO_PACKAGE
    except (ImportError, OSError):  # pyfluidsynth raises ImportError (library not found) or OSError (won't load)
        return SINE_REASON_NO_LIBRARY
    return None


def instrument_label(program: int) -> str:
    """The INSTRUMENTS label of a General MIDI program, or 'GM program N' when it isn't in the table."""
    for label, p in INSTRUMENTS:
        if p == int(program):
            return label
    return f"GM program {int(program)}"


def _clipped(pm: pretty_midi.PrettyMIDI, max_seconds: float, program: int | None) -> pretty_midi.PrettyMIDI:
    """A copy of ``pm`` with only the notes that start before ``max_seconds`` (cut there), programs overridden."""
    out = pretty_midi.PrettyMIDI()
    for inst in pm.instruments:
        prog = inst.program if (program is None or inst.is_drum) else int(program)
        copy = pretty_midi.Instrument(program=prog, is_drum=inst.is_drum, name=inst.name)
        for n in inst.notes:
            if n.start < max_seconds:
                copy.notes.append(pretty_midi.Note(n.velocity, n.pitch, n.start, min(n.end, max_seconds)))
        if copy.notes:
            out.instruments.append(copy)
    return out


def render(
    pm: pretty_midi.PrettyMIDI,
    *,
    program: int | None = None,
    max_seconds: float = MAX_SECONDS,
    sample_rate: int = SAMPLE_RATE,
) -> AudioClip:
    """Play ``pm`` (its first ``max_seconds``) as audio: FluidSynth when available, else sine waves.

    program: a General MIDI program (0..127) for every pitched instrument; None keeps each track's own.
    The clip is at most ``max_seconds`` long, peak-normalised to PEAK; a MIDI with no notes gives
    SILENT_SECONDS of silence.
    """
    if program is not None and not 0 <= int(program) <= 127:
        raise ValueError("program must be a General MIDI program number, 0..127")
    if not max_seconds > 0:
        raise ValueError("max_seconds must be > 0")
    if not 1000 <= int(sample_rate) <= 96000:
        raise ValueError("sample_rate must be between 1000 and 96000 Hz")
    sample_rate = int(sample_rate)
    reason = fluidsynth_problem()
    engine: Engine = "sine" if reason else "fluidsynth"
    clipped = _clipped(pm, float(max_seconds), program)
    audio = np.zeros(0)
    if clipped.instruments:
        if engine == "fluidsynth":
            try:
                audio = clipped.fluidsynth(fs=sample_rate)  # TimGM6mb.sf2, pretty_midi's default SoundFont
            except Exception:  # noqa: BLE001 - any FluidSynth failure falls back to sine waves, with the reason
                log.exception("FluidSynth failed; playing sine waves instead")
                engine = "sine"
                reason = "FluidSynth failed on this server, so notes play as sine-wave beeps."
        if engine == "sine":
            audio = clipped.synthesize(fs=sample_rate)  # sum of sines, one per note (drums are skipped)
    audio = np.asarray(audio, dtype=np.float64)[: int(round(max_seconds * sample_rate))]  # (n,)
    if audio.size == 0:
        audio = np.zeros(max(1, int(round(min(SILENT_SECONDS, max_seconds) * sample_rate))))
    peak = float(np.max(np.abs(audio)))
    if peak > 0:
        audio = audio * (PEAK / peak)
    return AudioClip(samples=audio.astype(np.float32), sample_rate=sample_rate, engine=engine, reason=reason)


def harmonic_amplitudes(
    samples: np.ndarray, sample_rate: int, f0: float, n_harmonics: int = 8, tolerance: float = 0.03
) -> np.ndarray:
    """Spectral peak height near each multiple of ``f0``: (n_harmonics,), relative to the strongest (max 1).

    Hann-windowed magnitude spectrum of the whole clip; harmonic k's height is the largest bin within
    ±``tolerance`` × k·f0 of k·f0 (SoundFont samples are rarely exactly in tune). Harmonics above the
    Nyquist frequency are 0. All zeros for silence.
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    if x.size < 16 or f0 <= 0:
        raise ValueError("need at least 16 samples and f0 > 0")
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))  # (n//2 + 1,)
    freqs = np.fft.rfftfreq(x.size, d=1.0 / sample_rate)  # (n//2 + 1,) Hz
    out = np.zeros(int(n_harmonics))
    for k in range(1, int(n_harmonics) + 1):
        f = k * f0
        band = (freqs >= f * (1 - tolerance)) & (freqs <= f * (1 + tolerance))
        if band.any():
            out[k - 1] = spec[band].max()
    top = out.max()
    return out / top if top > 0 else out


def count_partials(
    samples: np.ndarray, sample_rate: int, f0: float, n_harmonics: int = 8, threshold: float = 0.05
) -> int:
    """How many of the first ``n_harmonics`` harmonics of ``f0`` rise above ``threshold`` × the strongest."""
    return int(np.sum(harmonic_amplitudes(samples, sample_rate, f0, n_harmonics) > threshold))
