"""The Music lab's exported program (core.files.get_code.music), run as a student runs it: in its own Python process,
in a folder holding only the MIDI files the download ships (and the model zip).

Tolerances: the program and the lab's trainers run the same TensorFlow ops on the same snippets from the same seeds,
so their losses agree to the last printed digit (the program prints 7 decimals); 1e-4 leaves room for a different
thread split of the same sums in another process. Probabilities: Keras (the program) against the lab's numpy copy
of the weights, both float32.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

import numpy as np
import pretty_midi
import pytest

from core.files.get_code.music import MusicSettings, program
from core.files.get_code.program import Block, Program
from core.labs.music_lab import COURSE, LSTM, VAL_BATCH, MusicLab, make_config
from core.models.sampling import first_step_probs
from core.music import music_codec as mc
from tests.support.exported import losses, ruff_clean, run, settings_of
from tests.support.inputs import tune

STEPS = 20  # training steps each run compares
LOSS_TOL = 1e-4
PROB_TOL = 1e-5
UPLOAD = [(f"id{i}", f"tune {i}.mid", tune(i, 40 + 7 * i)) for i in range(6)]  # 6 pieces: the last is held out


def lab_with(kind: str, options: mc.CodecOptions, bundled: str | None = None, **kw) -> MusicLab:
    """A Music lab on the upload (or a bundled corpus) with a tiny model of ``kind``."""
    lab = MusicLab()
    if bundled:
        lab.use_bundled(bundled, options)
    else:
        lab.use_upload(UPLOAD, options)
    lab.configure_current(make_config(kind, **(dict(hidden=8, seq_len=10, batch=4, lr=0.01, seed=0) | kw)))
    return lab


def write(files: dict[str, bytes], folder) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


CASES = {
    "lstm-defaults": (LSTM, mc.CodecOptions(), {}),
    "lstm-changed": (LSTM, mc.CodecOptions(max_chord=1, transpose=False), dict(hidden=12, seed=5, lr=0.003)),
    # the Bach chorales with chords have more than the course's 90 values: the cap folds some
    "course": (COURSE, mc.CodecOptions(), dict(hidden=6, seed=2, bundled="bach_chorales")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_program_trains_as_the_lab_does(case, tmp_path):
    kind, options, kw = CASES[case]
    lab = lab_with(kind, options, **kw)
    if kind == COURSE:
        assert len(lab.corpus.vocab) > len(lab.course_vocab.itos) == 90
    write(lab.code_files(), tmp_path)
    settings = replace(lab.code_settings(trained=False, steps=STEPS), eval_every=10, values=12)
    script = program(settings).script()
    ruff_clean(script, tmp_path)
    out = run(script, tmp_path, "music_rnn.py")
    got = losses(out)
    assert sorted(got) == list(range(1, STEPS + 1))
    app = lab.trainer.train_steps(STEPS).losses
    np.testing.assert_allclose([got[i + 1] for i in range(STEPS)], app, rtol=0, atol=LOSS_TOL)
    assert len(re.findall(r"^step \d+ validation ", out, re.M)) == STEPS // 10
    c = lab.corpus
    assert f"{len(c)} pieces, {c.n_values:,} values, {len(c.vocab)} distinct, {len(c.val_idx)} held out" in out
    composed = pretty_midi.PrettyMIDI(str(tmp_path / "composition.mid"))
    assert composed.instruments[0].notes


def test_the_programs_codec_is_the_labs(tmp_path):
    """The program's MIDI -> values functions give the lab's values for every bundled-like piece and both settings."""
    for options in (mc.CodecOptions(), mc.CodecOptions(max_chord=2, transpose=False)):
        settings = MusicSettings(make_config(LSTM, hidden=8, seq_len=10, batch=4, lr=0.01, seed=0), options, VAL_BATCH)
        codec = program(settings).blocks[1].code
        scope: dict = {}
        exec(compile(program(settings).blocks[0].code.split("\n\nkeras.utils")[0], "settings", "exec"), scope)
        exec(compile(codec, "codec", "exec"), scope)
        for _, name, data in UPLOAD:
            pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
            assert scope["midi_to_values"](pm) == mc.midi_to_values(data, options)
        values = mc.midi_to_values(UPLOAD[0][2], options)
        back = scope["values_to_midi"](values, 100.0)
        assert mc.midi_to_values(back, replace(options, transpose=False)) == values


@pytest.mark.parametrize("kind", [LSTM, COURSE])
def test_a_trained_model_gives_the_apps_probabilities_and_trains_on(kind, tmp_path):
    lab = lab_with(kind, mc.CodecOptions(max_chord=1), hidden=10, seed=1)
    assert lab.code_weights() is None  # nothing trained yet
    lab.trainer.train_steps(8)
    opening = lab.corpus.pieces[0].values[:5]
    lab.compose(tempo=90, seed=3, temperature=0.7, n_values=10, prime=opening, start="piece")
    name, data = lab.code_weights()
    write({name: data, **lab.code_files()}, tmp_path)

    prog = program(replace(lab.code_settings(trained=True, steps=4), eval_every=4))
    said = settings_of(prog)
    assert said["OPENING"] == list(opening) and said["SAMPLE_SEED"] == 3 and said["TEMPERATURE"] == 0.7
    ruff_clean(prog.script(), tmp_path)
    probs = "probs_after(context)" if kind == LSTM else "after(context)[0]"
    probe = Block("probe", f'print("PROBS", json.dumps({probs}.tolist()))')
    at = next(i for i, b in enumerate(prog.blocks) if "def after" in b.code or "def probs_after" in b.code)
    compose = prog.blocks[at].code.split("\nsampler = ")[0]  # the functions and the opening's context
    blocks = list(prog.blocks)
    loaded = "load_model" if kind == LSTM else "LSTM_cell.set_weights"  # the block that puts the app's weights in
    k = next(i for i, b in enumerate(blocks) if loaded in b.code)
    blocks.insert(k + 1, Block("probe", compose))
    blocks.insert(k + 2, probe)
    out = run(Program(prog.title, prog.intro, tuple(blocks), prog.stem).script(), tmp_path, "music_rnn.py")

    app = first_step_probs(lab.trainer.token_model(), prime=lab.prime_ids(opening))
    got = np.array(json.loads(re.search(r"^PROBS (.*)$", out, re.M)[1]))
    np.testing.assert_allclose(got, app, rtol=0, atol=PROB_TOL)
    assert sorted(losses(out)) == [9, 10, 11, 12]  # it goes on from the app's step 8
    assert (tmp_path / "music_model.zip").exists() and (tmp_path / "composition.mid").exists()
