"""The hand-in export (core.toolkit.handin): drive a page with AppTest, build the zip, read every file back."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile

import pretty_midi
import pytest

from core.music import music_codec as mc
from core.toolkit import handin
from core.toolkit import memorise as mz
from tests.support.apptest import button, open_page, tiny_music, tiny_text


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist()}


def check_csv(text: str, history) -> None:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["step", "train", "smoothed", "validation"]
    train = {int(r["step"]): (float(r["train"]), float(r["smoothed"])) for r in rows if r["train"]}
    assert sorted(train) == list(history.train.steps)
    for s, loss, smooth in zip(history.train.steps, history.train.values["loss"], history.train.values["smooth"]):
        assert train[s] == (loss, smooth)  # repr() round-trips floats exactly
    val = {int(r["step"]): float(r["validation"]) for r in rows if r["validation"]}
    assert val == dict(zip(history.val.steps, history.val.values["val"]))


def check_html(html: str, series_names: list[str]) -> None:
    """The chart file is whole (plotly inside, nothing fetched) and shows every line under its legend label."""
    assert "plotly.js" in html and len(html) > 1_000_000  # the library itself is inside
    assert not re.search(r"<script[^>]+src=", html), "no script is fetched (no CDN)"
    assert "cdn" not in " ".join(re.findall(r"<script[^>]*>", html)).lower()
    for name in series_names:
        assert json.dumps(name)[1:-1] in html, name


def test_dino_handin():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.select_slider(key="dino_sample_every").set_value(100)
    at.run()
    button(at, "Step").click()
    at.run()
    at.number_input(key="dino_how_many").set_value(4)
    at.button(key="dino_sample_btn").click()
    at.run()
    assert not at.exception
    assert any(b.proto.label.startswith("⬇ Download the hand-in") for b in at.get("download_button"))
    lab = at.session_state["dino"]
    files = unzip(handin.bundle(lab, link="/dinosaurs?n_a=8", page_settings={"dino_n_a": 8}))
    code = {f"code/{n}" for n in ("dinosaur_rnn.py", "dinosaur_rnn.ipynb", "dinos.txt")}
    assert set(files) == set(handin.FILES) | code  # no .mid for names; the run's code from scratch
    assert "n_a = 8  #" in files["code/dinosaur_rnn.py"].decode() and "code/" in files["README.txt"].decode()
    s = json.loads(files["settings.json"])
    assert s["config"]["n_a"] == 8 and s["config"]["type"] == "DinoConfig" and s["step"] == lab.trainer.step
    assert s["link"] == "/dinosaurs?n_a=8" and s["page_settings"] == {"dino_n_a": 8}
    check_csv(files["loss_history.csv"].decode(), lab.trainer.history)
    samples = files["samples.txt"].decode()
    index = mz.names_index(lab.trainer.names)
    for name, _ in lab.sampled:
        assert name in samples
        c = mz.char_copy(index, name)
        if c.length:  # each name with its memorisation meter
            assert f"{name}  " in samples and f"“{c.stretch}” ({c.length} of {len(name)}) from {c.source}" in samples
    check_html(files["charts.html"].decode(), [s.legend or s.name for s in lab.loss_series()] + ["uniform", "bigram"])


def test_dino_page_hands_in_one_step_while_training():
    """While training the student takes the snapshot (a button); the page says its step, the zip is that step, and
    training goes on without changing it."""
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    button(at, "▶ Start").click()
    at.run()
    lab = at.session_state["dino"]
    handin = [b for b in at.get("download_button") if b.proto.label.startswith("⬇ Download the hand-in")]
    assert lab.running and not handin  # no hand-in to download before the snapshot is taken
    assert any(c.value.startswith("Training goes on: take a snapshot") for c in at.caption)
    taken = []
    for _ in range(2):
        at.button(key="dino_handin_now").click()
        at.run()  # the callback takes the snapshot, then this run trains a slice
        assert not at.exception and lab.running
        _, snap, data = at.session_state["_dino_handin_ready"]
        assert snap.step < lab.trainer.step  # training went on after the snapshot
        assert_one_step(snap, data)
        said = f"Training goes on: this hand-in is the run as it was at step {snap.step:,} "
        assert any(c.value.startswith(said) for c in at.caption)
        at.run()
        assert at.session_state["_dino_handin_ready"][2] == data  # more training leaves the hand-in as it was
        taken.append(snap.step)
    assert taken[0] < taken[1]
    button(at, "■ Stop").click()
    at.run()
    assert "_dino_handin_ready" not in at.session_state
    assert any(c.value == f"The hand-in is this run at step {lab.trainer.step:,}." for c in at.caption)


def test_music_handin_has_the_composition_as_midi():
    at = open_page("pages/music.py")
    tiny_music(at)
    at.run()
    button(at, "Step").click()
    at.run()
    at.slider(key="music_n").set_value(20)
    at.button(key="music_generate_btn").click()
    at.run()
    assert not at.exception
    lab = at.session_state["music"]
    res = lab.result
    files = unzip(handin.bundle(lab))
    assert set(files) == set(handin.FILES) | {handin.MIDI_NAME} | {n for n, _ in handin.code_files(lab)}
    s = json.loads(files["settings.json"])
    assert s["config"]["hidden"] == 8 and s["config"]["seq_len"] == 10 and "link" not in s
    check_csv(files["loss_history.csv"].decode(), lab.trainer.history)
    assert " ".join(res.trained_values) in files["samples.txt"].decode()
    ref, _ = lab.reference()
    assert mz.music_copy(ref.copies, ref.names, res.trained_values).describe() in files["samples.txt"].decode()
    pm = pretty_midi.PrettyMIDI(io.BytesIO(files[handin.MIDI_NAME]))
    want = mc.values_to_notes(res.prime + res.trained_values, res.tempo)
    got = sorted((round(n.start, 3), round(n.end, 3), n.pitch) for i in pm.instruments for n in i.notes)
    assert got == sorted((round(a, 3), round(b, 3), p) for a, b, p in want)
    assert len(got) > 0
    check_html(files["charts.html"].decode(), [s.legend or s.name for s in lab.loss_series()] + ["Composition"])


def test_text_handin_has_validation_and_the_generated_text():
    at = open_page("pages/text.py")
    tiny_text(at)
    at.run()
    button(at, "Step").click()
    at.run()
    at.number_input(key="text_len").set_value(50)
    at.button(key="text_sample_btn").click()
    at.run()
    assert not at.exception
    lab = at.session_state["text"]
    index = mz.text_index(lab.run.corpus.text[: len(lab.run.corpus.train_ids)])
    files = unzip(handin.bundle(lab, link="/text?cell=lstm", text_index=index))
    assert set(files) == set(handin.FILES) | {n for n, _ in handin.code_files(lab)}
    s = json.loads(files["settings.json"])
    assert s["config"]["hidden"] == 16 and s["config"]["type"] == "RNNConfig" and s["corpus_name"] == "Shakespeare"
    assert len(lab.trainer.history.val) >= 1  # the starting point of the validation curve
    check_csv(files["loss_history.csv"].decode(), lab.trainer.history)
    samples = files["samples.txt"].decode()
    assert lab.sampled.text in samples and lab.live_sample.text in samples
    for sample in (lab.live_sample.text, lab.sampled.text):
        assert "Memorisation meter: " + mz.char_copy(index, sample).describe() in samples
    check_html(files["charts.html"].decode(), [s.legend or s.name for s in lab.loss_series()] + ["trigram"])


class Trainer(threading.Thread):
    """Trains ``lab`` slice after slice on its own thread (as the live fragment does on the page's) until stopped."""

    def __init__(self, lab):
        super().__init__(daemon=True)
        self.lab, self.halt, self.error = lab, threading.Event(), None

    def run(self):
        try:
            while not self.halt.is_set():
                self.lab.run_slice()
        except Exception as exc:  # noqa: BLE001 - re-raised by the test
            self.error = exc

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.halt.set()
        self.join(60)
        assert self.error is None, self.error


def _number(text: str, pattern: str) -> int:
    return int(re.search(pattern, text).group(1).replace(",", ""))


def assert_one_step(snap: handin.HandIn, data: bytes) -> None:
    """Every file of the zip says the snapshot's step (the loss rows and samples are from it or before), and the file
    name is that step's."""
    files = unzip(data)
    step = snap.step
    assert snap.file_name == f"handin-{snap.lab}-step{step}.zip"
    assert json.loads(files["settings.json"])["step"] == step
    assert _number(files["README.txt"].decode(), r"step ([\d,]+)\.") == step
    samples = files["samples.txt"].decode()
    assert _number(samples.splitlines()[0], r"· step ([\d,]+)$") == step
    assert all(int(it) <= step for it in re.findall(r"iteration ([\d,]+):", samples.replace(",", "")))
    rows = list(csv.DictReader(io.StringIO(files["loss_history.csv"].decode())))
    assert rows and max(int(r["step"]) for r in rows) <= step


def _wait_past(lab, step: int) -> None:
    while lab.trainer.step <= step:
        threading.Event().wait(0.01)


def test_a_handin_taken_while_training_is_one_step():
    """A trainer thread trains a Dinosaur lab; hand-ins taken meanwhile are each one step, named by it, also when the
    zip is built later (a click after training moved on)."""
    from core.labs.dino_lab import DinoLab
    from core.labs.lab import Schedule
    from core.models.dino import DinoConfig

    lab = DinoLab()
    lab.schedule = Schedule(slice_s=0.05, tick_s=1.0, chunk_s=0.01, max_chunk=40, first_chunk=5, eval_every_s=None)
    names = ["aardonyx", "abelisaurus", "achelousaurus", "achillobator", "acrocanthosaurus"]
    lab.configure("test", names, DinoConfig(n_a=12, iterations=10**7, seed=3, sample_every=50))
    steps = set()
    with Trainer(lab):
        for _ in range(12):
            snap = handin.capture(lab)
            steps.add(snap.step)
            assert_one_step(snap, snap.zip())
        snap = handin.capture(lab)
        _wait_past(lab, snap.step)
        assert_one_step(snap, snap.zip())
    assert len(steps) >= 3  # training moved on between the hand-ins


def test_a_text_handin_taken_while_training_is_one_step():
    from core.labs.lab import Schedule
    from core.labs.text_lab import TextLab
    from core.models.keras_model import RNNConfig
    from core.text.text_data import TextCorpus
    from tests.support.inputs import make_text

    corpus = TextCorpus(make_text())
    lab = TextLab()
    lab.schedule = Schedule(
        slice_s=0.05, tick_s=0.3, chunk_s=0.02, max_chunk=4, first_chunk=1, eval_every_s=0.05, sample_every_s=0.1
    )
    cfg = RNNConfig(cell="gru", hidden=16, embed_dim=8, seq_len=16, batch_size=4, seed=2)
    lab.configure_text("t", "test", corpus, cfg)
    steps = set()
    with Trainer(lab):
        for _ in range(8):
            snap = handin.capture(lab, link="/text?hidden=16")
            steps.add(snap.step)
            data = snap.zip()
            assert_one_step(snap, data)
            assert json.loads(unzip(data)["settings.json"])["link"] == "/text?hidden=16"
            _wait_past(lab, snap.step)
    assert len(steps) >= 3


def test_no_run_no_handin():
    from core.labs.dino_lab import DinoLab

    with pytest.raises(ValueError):
        handin.bundle(DinoLab())
