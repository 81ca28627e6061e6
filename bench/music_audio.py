"""Music audio: seconds to render 100 composed values, FluidSynth (the app) vs sine waves (the fallback).

Target: rendering 100 values takes at most 1 s.

Input: 100 values drawn (seeded) from the bundled Bach chorales' value frequencies, encoded two ways: the
page's default melody (one note per onset, ``max_chord=1``) and four-note chords (``max_chord=4``, the
most notes FluidSynth has to play). Each is decoded at 120 quarter notes per minute with
``core.music.music_codec.values_to_midi`` and rendered with ``core.music.music_audio.render`` (22,050 Hz, the page's
settings): once as the app does (FluidSynth with pretty_midi's TimGM6mb SoundFont, which loads the
SoundFont on every call) and once with the library hidden (pretty_midi's sine waves, the fallback).
One warm-up call, then the median of ``repeats`` timed calls. The ratio FluidSynth / sine says what the
real instruments cost over the beeps.

Run alone: ``python -m bench.music_audio [--quick | --smoke]``.
"""

from __future__ import annotations

import sys

import numpy as np

from bench.common import Settings, log, median, now

N_VALUES = 100  # values per rendered composition (the measure)
TEMPO = 120.0  # quarter notes per minute
TARGET_S = 1.0  # at most this many seconds per render


def composed_values(max_chord: int, n: int = N_VALUES, seed: int = 0) -> list[str]:
    """n values drawn from the Bach chorales' value frequencies (a stand-in for a trained model's output)."""
    from core.music import music_codec as mc
    from core.music import music_data as md

    pieces, _ = md.load_bundled("bach_chorales", mc.CodecOptions(max_chord=max_chord))
    vocab = mc.Vocabulary.build(p.values for p in pieces)
    p = np.asarray(vocab.counts, dtype=np.float64)
    ids = np.random.default_rng(seed).choice(len(vocab), size=n, p=p / p.sum())
    return vocab.decode(ids)


def _time_render(pm, repeats: int, hide: bool) -> tuple[float, str]:
    """Median seconds of ``render(pm)`` (after one warm-up) and the engine used."""
    from core.music import music_audio as ma

    saved = sys.modules.get("fluidsynth", ...)
    if hide:
        sys.modules["fluidsynth"] = None  # type: ignore[assignment] - `import fluidsynth` now fails: the sine path
    try:
        clip = ma.render(pm)
        times = []
        for _ in range(max(1, repeats)):
            t0 = now()
            ma.render(pm)
            times.append(now() - t0)
    finally:
        if hide:
            if saved is ...:
                sys.modules.pop("fluidsynth", None)
            else:
                sys.modules["fluidsynth"] = saved
    return median(times), clip.engine


def run(s: Settings) -> dict:
    from core.music import music_audio as ma
    from core.music import music_codec as mc

    out: dict = dict(
        n_values=N_VALUES,
        tempo=TEMPO,
        sample_rate=ma.SAMPLE_RATE,
        target_s=TARGET_S,
        fluidsynth_problem=ma.fluidsynth_problem(),
    )
    for label, max_chord in (("melody", 1), ("chords", 4)):
        values = composed_values(max_chord)
        pm = mc.values_to_midi(values, tempo=TEMPO)
        row: dict = dict(audio_s=round(pm.get_end_time(), 2), notes=sum(len(i.notes) for i in pm.instruments))
        fs_s, fs_engine = _time_render(pm, s.repeats, hide=False)
        sine_s, _ = _time_render(pm, s.repeats, hide=True)
        row.update(
            fluidsynth_s=round(fs_s, 4),
            fluidsynth_engine=fs_engine,
            sine_s=round(sine_s, 4),
            fluidsynth_vs_sine=round(fs_s / sine_s, 2) if sine_s > 0 else None,
            met=bool(fs_engine == "fluidsynth" and fs_s <= TARGET_S),
        )
        out[label] = row
        log(f"music audio {label}: {row}")
    return out


if __name__ == "__main__":
    import argparse
    import json

    from bench.common import settings_for

    ap = argparse.ArgumentParser(prog="python -m bench.music_audio", description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true")
    g.add_argument("--smoke", action="store_true")
    a = ap.parse_args()
    print(json.dumps(run(settings_for("smoke" if a.smoke else "quick" if a.quick else "full")), indent=1))
