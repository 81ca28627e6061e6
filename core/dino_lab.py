"""The Dinosaur lab's session object (see core.lab): name lists, the course's trainer, samples.

A new run starts when the hidden size, the seed or the name list changes; the learning rate, the clip value,
the iteration budget and the sampling interval apply to the running model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.dino import DinoConfig, DinoTrainer, clean_names, load_names
from core.lab import Lab, Schedule, UploadCache
from core.textio import MB, UploadError, decode_text

DATA = Path(__file__).resolve().parent.parent / "data" / "dinos.txt"
MAX_UPLOAD = 5 * MB  # name lists are small; this keeps one name per step fast
MIN_NAMES = 10  # shorter lists are refused


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

    def finished_stop(self):
        return self.trainer.train_steps(0).stop  # the trainer words its own budget

    def sample(self, how_many: int, temperature: float, seed: int) -> list:
        self.sampled = self.trainer.sample_names(int(how_many), float(temperature), np.random.default_rng(int(seed)))
        return self.sampled
