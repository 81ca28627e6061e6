"""The Dinosaur lab's session object (see core.lab): name lists, the course's trainer, samples.

A new run starts when the hidden size, the seed or the name list changes; the learning rate, clipping (on/off
and its value), the iteration budget and the sampling interval apply to the running model (a retune).

"Show an explosion" switches clipping off and the learning rate up (``EXPLOSION``) and trains until the
trainer's guard stops it (a few names); "the course's settings" (``COURSE``) puts clip 5 and rate 0.01 back.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import numpy as np

from core.dino import DinoConfig, DinoTrainer, clean_names, load_names
from core.lab import Lab, Schedule, UploadCache
from core.trainer import Stop, StopKind
from core.textio import MB, UploadError, decode_text

DATA = Path(__file__).resolve().parent.parent / "data" / "dinos.txt"
MAX_UPLOAD = 5 * MB  # name lists are small; this keeps one name per step fast
MIN_NAMES = 10  # shorter lists are refused
EXPLOSION = dict(learning_rate=1.0, clip_value=None)  # "Show an explosion": no clipping, a high learning rate
COURSE = dict(learning_rate=0.01, clip_value=5.0)  # the course's settings
EXPLOSION_MAX_SLICES = 10  # "Show an explosion" trains at most this many slices waiting for the guard


def bundled_names() -> list[str]:
    return load_names(DATA)


def read_name_list(data: bytes, latin1: bool) -> tuple[list[str], str | None]:
    """Uploaded bytes -> (names, a note about the encoding or None); UploadError with the reason."""
    text, note = decode_text(data, max_bytes=MAX_UPLOAD, allow_latin1=latin1, what="name list")
    names = clean_names(text)
    if len(names) < MIN_NAMES:
        raise UploadError(f"The list has {len(names)} usable names after removing blank lines; at least {MIN_NAMES} are needed.")
    return names, note


class DinoLab(Lab):
    key = "dino"
    # 0.5 s of training per refresh, one refresh a second; a name takes ~0.5 ms at the defaults
    schedule = Schedule(slice_s=0.5, tick_s=1.0, chunk_s=0.1, max_chunk=500, first_chunk=25, eval_every_s=None)
    chart_x = "iteration (names)"
    chart_y = "loss (nats per name)"
    raw_name = "raw loss per name"
    smooth_name = "smoothed loss (course)"

    def __init__(self) -> None:
        super().__init__()
        self.upload: UploadCache[list[str]] = UploadCache()  # the student's name list
        self.sampled: list | None = None  # [(name, records)] from the last "Sample names"
        self.sampled_parameters: dict | None = None  # a copy of the weights the samples were drawn with (formula view)
        self.sampled_step = 0  # the iteration the samples were drawn at

    def read_upload(self, file_id: str, name: str, data: bytes, latin1: bool) -> UploadCache[list[str]]:
        return self.upload.get((file_id, latin1), name, lambda: read_name_list(data, latin1), (UploadError,))

    def run_label(self) -> str:
        return f"#{self.run_number} n_a {self.trainer.config.n_a} · seed {self.trainer.config.seed}"

    corpus_change = "a different name list"

    def same_model(self, old: DinoConfig, new: DinoConfig) -> bool:
        return old.n_a == new.n_a and old.seed == new.seed

    def retune(self, trainer: DinoTrainer, config: DinoConfig) -> None:
        trainer.learning_rate = config.learning_rate
        trainer.config = config

    def build_trainer(self, names: list[str], config: DinoConfig) -> DinoTrainer:
        return DinoTrainer(names, config)

    def differences(self, old: DinoConfig, new: DinoConfig) -> list:
        return [("hidden size", old.n_a, new.n_a), ("seed", old.seed, new.seed)]

    def on_new_run(self) -> None:
        self.sampled = None
        self.sampled_parameters = None

    def finished_stop(self):
        return self.trainer.train_steps(0).stop  # the trainer words its own budget

    def sample(self, how_many: int, temperature: float, seed: int) -> list:
        self.sampled = self.trainer.sample_names(int(how_many), float(temperature), np.random.default_rng(int(seed)))
        self.sampled_parameters = copy.deepcopy(self.trainer.parameters)  # training goes on; the formula view needs these
        self.sampled_step = self.trainer.step
        return self.sampled

    def sampled_inputs(self, choice: int) -> list:
        """X of sampled name ``choice`` as the sampler fed it: the zero vector, then each picked character."""
        _, records = self.sampled[choice]
        return [None] + [r.picked for r in records[:-1]]

    def show_explosion(self) -> Stop | None:
        """Clipping off and a high learning rate (``EXPLOSION``) on the running model, then train until the guard
        stops it (at most ``EXPLOSION_MAX_SLICES`` slices). Returns the stop (DIVERGED when the guard caught it)."""
        t = self.trainer
        self.retune(t, replace(t.config, **EXPLOSION))
        stop = None
        for _ in range(EXPLOSION_MAX_SLICES):
            stop = self.run_slice()
            if stop is not None:
                break
        self.running = False
        if stop is None:
            stop = Stop(StopKind.PAUSED, "No explosion this time: the model kept its loss in check for several seconds.")
        return stop

    # -- trained starting points (issue #12, H5: core.starting_points) ----------------------------------------
    def load_starting_point(self, name: str = "dinosaurs"):
        """Load the bundled trained model ``name`` (assets/models/, checked like an uploaded model file) as the new run,
        with its training history; Start continues from its step. -> core.starting_points.Loaded; ModelZipError
        (a CorpusError) with the reason when it can't be used, and then nothing changes."""
        from core.starting_points import load_dino

        return load_dino(self, name)
