"""The Text lab's exported program (core.files.get_code.text), run as a student runs it: in its own Python process,
in a folder holding only the text (and the model zip).

Tolerances: the program and the lab's SequenceTrainer run the same TensorFlow ops on the same batches from the same
seeds, so their losses agree to the last printed digit (measured: under 1e-7, the program prints 7 decimals); 1e-4
leaves room for a different thread split of the same sums in another process. The trained model's probabilities
are compared between Keras (the program) and the lab's numpy copy of the weights (float32 both): measured ~1e-7.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest

from core.files.get_code.program import Block, Program
from core.files.get_code.text import TextSettings, program, safe_file_name
from core.labs.text_lab import DEFAULTS, VAL_BATCH, VAL_BATCHES, VAL_SEQ, TextLab, new_trainer
from core.models.keras_model import RNNConfig
from core.models.sampling import first_step_probs
from tests.support.exported import losses, ruff_clean, run, settings_of
from tests.support.inputs import make_text, text_corpus

STEPS = 24  # training steps each run compares
LOSS_TOL = 1e-4
PROB_TOL = 1e-5

TINY_DEFAULTS = replace(DEFAULTS, hidden=16, embed_dim=8, seq_len=16, batch_size=4)  # the app's defaults, smaller
CHANGED = RNNConfig(
    cell="gru", hidden=12, layers=2, embed_dim=6, seq_len=20, batch_size=3, learning_rate=3e-3, dropout=0.0, seed=7,
    lr_schedule="plateau",
)  # fmt: skip


def settings(config: RNNConfig, **kw) -> TextSettings:
    base = dict(val_windows=VAL_BATCHES * VAL_BATCH, val_len=VAL_SEQ, val_batch=VAL_BATCH, steps=STEPS, length=40)
    return TextSettings(config, "play.txt", **(base | kw))


@pytest.mark.parametrize("config", [TINY_DEFAULTS, CHANGED], ids=["defaults", "gru-2-layers-seed-7-plateau"])
def test_the_program_trains_as_the_lab_does(config, tmp_path):
    text = make_text()
    (tmp_path / "play.txt").write_text(text, encoding="utf-8")
    script = program(settings(config, eval_every=10)).script()
    ruff_clean(script, tmp_path)
    out = run(script, tmp_path, "text_rnn.py")
    got = losses(out)
    assert sorted(got) == list(range(1, STEPS + 1))
    app = new_trainer(text_corpus(), config).train_steps(STEPS).losses
    np.testing.assert_allclose([got[i + 1] for i in range(STEPS)], app, rtol=0, atol=LOSS_TOL)
    assert len(re.findall(r"^step \d+ validation ", out, re.M)) == STEPS // 10
    assert (tmp_path / "text_model.zip").exists()


def test_a_changed_setting_changes_the_program():
    """Only the chosen cell and schedule are written (no dead branches), with the student's sizes."""
    default, changed = program(settings(TINY_DEFAULTS)).script(), program(settings(CHANGED)).script()
    assert "keras.layers.LSTM(" in default and "keras.layers.GRU(" not in default and "Dropout(" in default
    assert "keras.layers.GRU(" in changed and "keras.layers.LSTM(" not in changed and "Dropout(" not in changed
    assert "WARMUP" in default and "follow_validation" not in default
    assert "follow_validation" in changed and "WARMUP" not in changed
    assert "HIDDEN = 12 " in changed and "LAYERS = 2 " in changed and "SEED = 7 " in changed


def test_a_trained_model_gives_the_apps_probabilities_and_trains_on(tmp_path):
    lab = TextLab()
    corpus = text_corpus()
    lab.configure_text("upload:f1:UTF-8", "my play!.txt", corpus, TINY_DEFAULTS)
    assert lab.code_weights() is None  # nothing trained yet
    lab.trainer.train_steps(12)
    lab.generate("ROMEO:\nthe ", 30, 0.5, 3, 11)
    name, data = lab.code_weights()
    files = lab.code_files()
    assert (
        name == "text_model.zip" and list(files) == ["my_play_.txt"] and files["my_play_.txt"] == corpus.text.encode()
    )
    for file, content in [(name, data), *files.items()]:
        (tmp_path / file).write_bytes(content)

    prog = program(replace(lab.code_settings(trained=True, steps=5), eval_every=5))
    said = settings_of(prog)
    assert said["PRIME"] == "ROMEO:\nthe " and said["TOP_K"] == 3 and said["TEMPERATURE"] == 0.5
    ruff_clean(lab.get_code(trained=True).script(), tmp_path)
    probe = Block("probe", 'print("PROBS", json.dumps(next_char_probs([stoi[ch] for ch in PRIME]).tolist()))')
    k = next(i for i, b in enumerate(prog.blocks) if "load_model" in b.code)
    uses = [b for b in prog.blocks if "def predict" in b.code or "def next_char_probs" in b.code]
    blocks = (*prog.blocks[: k + 1], *uses, probe, *prog.blocks[k + 1 :])  # the probe before any training
    out = run(Program(prog.title, prog.intro, blocks, prog.stem).script(), tmp_path, "text_rnn.py")

    ids = [corpus.stoi[c] for c in "ROMEO:\nthe "]
    app = first_step_probs(lab.trainer.token_model(), prime=ids[1:], first_input=ids[0])
    got = np.array(json.loads(re.search(r"^PROBS (.*)$", out, re.M)[1]))
    np.testing.assert_allclose(got, app, rtol=0, atol=PROB_TOL)
    assert sorted(losses(out)) == [13, 14, 15, 16, 17]  # it goes on from the app's step 12

    from core.files.model_zip import import_model_zip

    saved, chars, meta = import_model_zip((tmp_path / "text_model.zip").read_bytes())  # the lab loads what it saved
    assert chars == corpus.chars and meta["step"] == 17 and saved.config.same_architecture(TINY_DEFAULTS)


def test_long_texts_are_written_on_lines_ruff_accepts(tmp_path):
    prime = 'He said: "O Romeo,\tRomeo!"\n' * 20 + "\\x00 ' \u00e9"
    name = "a" * 200 + ".txt"
    prog = program(replace(settings(TINY_DEFAULTS, prime=prime), corpus_file=safe_file_name(name)))
    ruff_clean(prog.script(), tmp_path)
    said = settings_of(prog)
    assert said["PRIME"] == prime and said["CORPUS"] == "a" * 60 + ".txt"


def test_file_names_of_uploads_are_made_plain():
    assert safe_file_name("Hamlet (1603).TXT") == "Hamlet__1603_.TXT"
    assert safe_file_name("../../etc/passwd") == "passwd.txt"
    assert safe_file_name("...") == "text.txt"


def test_without_a_text_there_is_no_code_and_a_reason():
    from core.labs.music_lab import MusicLab

    with pytest.raises(ValueError, match="no text to train on"):
        TextLab().get_code(trained=False)
    with pytest.raises(ValueError, match="Choose a corpus"):
        MusicLab().get_code(trained=False)
    assert TextLab().code_weights() is None and TextLab().code_files() == {} and MusicLab().code_files() == {}
    assert TextLab.has_code and MusicLab.has_code
