"""core.music.music_audio: FluidSynth instrument sound, the sine fallback (library hidden), silence, program
override."""

import importlib.abc
import sys

import numpy as np
import pretty_midi
import pytest

from core.music import music_audio as ma
from core.music import music_codec as mc

C4 = pretty_midi.note_number_to_hz(60)  # 261.6 Hz
needs_fluidsynth = pytest.mark.skipif(
    ma.fluidsynth_problem() is not None, reason=f"FluidSynth unavailable here: {ma.fluidsynth_problem()}"
)


def c4_quarter() -> pretty_midi.PrettyMIDI:
    return mc.values_to_midi(["N60_d4"], tempo=120)  # one quarter note = 0.5 s


# ---------------------------------------------------------------------------------------------- the peak picker itself
def test_harmonic_amplitudes_on_a_known_mixture():
    sr, f0 = 8000, 200.0  # 1 s at 8 kHz: every harmonic falls exactly on an FFT bin
    t = np.arange(sr) / sr
    x = (
        1.0 * np.sin(2 * np.pi * f0 * t)
        + 0.5 * np.sin(2 * np.pi * 2 * f0 * t)
        + 0.1 * np.sin(2 * np.pi * 3 * f0 * t)
        + 0.01 * np.sin(2 * np.pi * 4 * f0 * t)
    )
    amps = ma.harmonic_amplitudes(x, sr, f0, n_harmonics=6)
    np.testing.assert_allclose(amps[:4], [1.0, 0.5, 0.1, 0.01], atol=2e-3)
    assert amps[4] < 1e-3 and amps[5] < 1e-3
    assert ma.count_partials(x, sr, f0, n_harmonics=6) == 3  # 0.01 is under the 5% threshold
    assert ma.count_partials(np.zeros(sr), sr, f0) == 0


# ---------------------------------------------------------------------------------------------- FluidSynth
@needs_fluidsynth
def test_c4_through_fluidsynth_has_at_least_three_partials():
    clip = ma.render(c4_quarter())
    assert clip.engine == "fluidsynth" and clip.reason is None
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1 and clip.sample_rate == ma.SAMPLE_RATE
    assert np.max(np.abs(clip.samples)) == pytest.approx(ma.PEAK, rel=1e-4)
    assert ma.count_partials(clip.samples, clip.sample_rate, C4) >= 3


@needs_fluidsynth
def test_program_override_changes_the_timbre():
    pm = c4_quarter()
    piano = ma.harmonic_amplitudes(ma.render(pm, program=0).samples, ma.SAMPLE_RATE, C4)
    organ = ma.harmonic_amplitudes(ma.render(pm, program=19).samples, ma.SAMPLE_RATE, C4)
    trumpet = ma.harmonic_amplitudes(ma.render(pm, program=56).samples, ma.SAMPLE_RATE, C4)
    assert np.abs(piano - organ).sum() > 0.5  # relative heights of the first 8 harmonics
    assert np.abs(piano - trumpet).sum() > 0.5
    assert not np.allclose(ma.render(pm, program=73).samples, ma.render(pm, program=0).samples, atol=0.05)  # flute
    # no override keeps the file's own program (values_to_midi writes program 0 = piano)
    np.testing.assert_allclose(ma.harmonic_amplitudes(ma.render(pm).samples, ma.SAMPLE_RATE, C4), piano, atol=1e-6)


def test_override_replaces_pitched_programs_and_keeps_drums():
    pm = pretty_midi.PrettyMIDI()
    for prog, drum in ((40, False), (0, True)):
        inst = pretty_midi.Instrument(program=prog, is_drum=drum)
        inst.notes.append(pretty_midi.Note(80, 60 if not drum else 36, 0.0, 0.5))
        pm.instruments.append(inst)
    out = ma._clipped(pm, 10.0, 73)
    assert [(i.program, i.is_drum) for i in out.instruments] == [(73, False), (0, True)]
    assert [(i.program, i.is_drum) for i in pm.instruments] == [(40, False), (0, True)]  # the input is not modified


def test_instrument_table_is_general_midi():
    labels = [label for label, _ in ma.INSTRUMENTS]
    programs = [p for _, p in ma.INSTRUMENTS]
    assert len(set(labels)) == len(labels) and len(set(programs)) == len(programs)
    assert all(0 <= p <= 127 for p in programs)
    assert {"Piano", "Strings", "Organ", "Guitar", "Flute", "Choir"} <= set(labels)
    assert (
        dict(ma.INSTRUMENTS)["Piano"] == 0
        and ma.instrument_label(0) == "Piano"
        and ma.instrument_label(100) == "GM program 100"
    )


# ---------------------------------------------------------------------------------------------- fallback
def test_sine_fallback_when_the_package_is_hidden(monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # `import fluidsynth` now raises ImportError
    clip = ma.render(c4_quarter())
    assert clip.engine == "sine"
    assert clip.reason == ma.SINE_REASON_NO_PACKAGE and "sine-wave" in clip.reason and "\n" not in clip.reason
    amps = ma.harmonic_amplitudes(clip.samples, clip.sample_rate, C4)
    assert ma.count_partials(clip.samples, clip.sample_rate, C4) == 1 and amps[0] == 1.0


class _NoLibrary(importlib.abc.MetaPathFinder):
    """Behaves like pyfluidsynth on a machine without libfluidsynth: the import raises ImportError."""

    def find_spec(self, name, path, target=None):
        if name == "fluidsynth":
            raise ImportError("Couldn't find the FluidSynth library.")
        return None


def test_sine_fallback_when_the_system_library_is_missing(monkeypatch):
    monkeypatch.delitem(sys.modules, "fluidsynth", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoLibrary(), *sys.meta_path])
    assert ma.fluidsynth_problem() == ma.SINE_REASON_NO_LIBRARY
    clip = ma.render(c4_quarter())
    assert clip.engine == "sine" and clip.reason == ma.SINE_REASON_NO_LIBRARY


@needs_fluidsynth
def test_sine_fallback_when_fluidsynth_fails(monkeypatch, caplog):
    """The reason says what happened in plain words; the exception itself goes to the server's log."""

    def broken(self, *a, **k):
        raise RuntimeError("no SoundFont")

    monkeypatch.setattr(pretty_midi.PrettyMIDI, "fluidsynth", broken)
    with caplog.at_level("ERROR", logger="core.music.music_audio"):
        clip = ma.render(c4_quarter())
    assert clip.engine == "sine" and "FluidSynth failed" in clip.reason
    assert "RuntimeError" not in clip.reason and "SoundFont" not in clip.reason
    assert "no SoundFont" in caplog.text
    assert ma.count_partials(clip.samples, clip.sample_rate, C4) == 1


# ---------------------------------------------------------------------------------------------- silence, limits
@pytest.mark.parametrize("hide", [False, True])
def test_no_notes_gives_a_short_silent_clip(monkeypatch, hide):
    if hide:
        monkeypatch.setitem(sys.modules, "fluidsynth", None)
    empty = pretty_midi.PrettyMIDI()
    empty.instruments.append(pretty_midi.Instrument(program=0))  # an instrument without notes
    for pm in (pretty_midi.PrettyMIDI(), empty, mc.values_to_midi(["R_d16"])):
        clip = ma.render(pm)
        assert clip.samples.dtype == np.float32 and clip.samples.size == int(ma.SILENT_SECONDS * ma.SAMPLE_RATE)
        assert not np.any(clip.samples) and np.all(np.isfinite(clip.samples))
        assert clip.engine == ("sine" if hide else ("sine" if ma.fluidsynth_problem() else "fluidsynth"))


def test_clip_is_cut_at_max_seconds(monkeypatch):
    pm = mc.values_to_midi(["N60_d16", "N64_d16", "N67_d16"], tempo=120)  # 3 whole notes = 6 s
    for hide in (False, True):
        if hide:
            monkeypatch.setitem(sys.modules, "fluidsynth", None)
        clip = ma.render(pm, max_seconds=2.5, sample_rate=8000)
        assert clip.sample_rate == 8000 and clip.samples.size == int(2.5 * 8000)
        assert np.max(np.abs(clip.samples)) == pytest.approx(ma.PEAK, rel=1e-4)
    full = ma.render(pm, sample_rate=8000)
    assert full.seconds >= 6.0  # not cut (FluidSynth adds a release tail)


@pytest.mark.parametrize("kw", [dict(program=128), dict(program=-1), dict(max_seconds=0), dict(sample_rate=10)])
def test_bad_arguments_are_refused(kw):
    with pytest.raises(ValueError):
        ma.render(c4_quarter(), **kw)
