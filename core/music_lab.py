"""The Music lab's session object (see core.lab): MIDI corpora, the LSTM over values, compositions.

A new run starts when the corpus (or its codec settings), the hidden size or the seed changes; the snippet
length, batch size and learning rate apply to the running model, and training stops by itself at the step
limit. The lab keeps the same network before any training (``untrained``) to compare compositions with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core import music_codec as mc
from core import music_data as md
from core.keras_model import RNNConfig
from core.lab import Lab, Schedule
from core.sampling import TokenModel, generate

EMBED_DIM = 32  # the value embedding (the course's model reads one-hot vectors instead)


@dataclass(frozen=True)
class Composition:
    """What the Compose button produced: the trained and the untrained model, same seed and settings."""

    step: int  # the trained model's step
    prime: tuple[str, ...]  # the opening fed in first (values)
    tempo: float  # playback tempo (quarter notes per minute)
    trained: list  # core.sampling.StepRecord per composed value
    untrained: list  # the same for the untrained model
    labels: tuple[str, ...]  # the vocabulary (index -> value)

    @property
    def trained_values(self) -> tuple[str, ...]:
        return tuple(self.labels[r.picked] for r in self.trained)

    @property
    def untrained_values(self) -> tuple[str, ...]:
        return tuple(self.labels[r.picked] for r in self.untrained)


def notes_after(opening: tuple[str, ...], values: tuple[str, ...], tempo: float) -> tuple[list, list]:
    """Piano-roll notes (start s, end s, pitch) of an opening and of the values that follow it, on one time line."""
    offset = sum(mc.value_duration(v) for v in opening) * 60.0 / tempo / mc.STEPS_PER_QUARTER  # seconds
    return mc.values_to_notes(opening, tempo), [(s + offset, e + offset, p) for s, e, p in mc.values_to_notes(values, tempo)]


class MusicLab(Lab):
    key = "music"
    schedule = Schedule(slice_s=0.4, tick_s=0.5, chunk_s=0.15, max_chunk=20, first_chunk=1, eval_every_s=2.0)
    chart_x = "step (one batch of snippets)"
    chart_y = "loss (nats per value)"

    def __init__(self) -> None:
        super().__init__()
        self.corpus: md.MusicCorpus | None = None  # the corpus the picker chose (bundled or uploaded)
        self.corpus_key: Any = None  # what it was built from: ("bundled", style, options) or ("upload", file ids, options)
        self.problems: list[str] = []  # files of that corpus that could not be used
        self.max_steps = 2000  # the step limit (a widget)
        self.untrained: TokenModel | None = None  # the current run's weights before any training
        self.result: Composition | None = None  # the last composition
        self._profile: tuple[Any, md.StyleScores] | None = None  # (style profile, its own scores) of self.corpus

    # -- corpus ----------------------------------------------------------------------------------------------
    def use_bundled(self, style: str, options: mc.CodecOptions) -> md.MusicCorpus:
        key = ("bundled", style, options)
        if key != self.corpus_key:
            pieces, problems = md.load_bundled(style, options)
            self._set_corpus(key, md.MusicCorpus(pieces), list(problems))
        return self.corpus

    def use_upload(self, files: list[tuple[str, str, bytes]], options: mc.CodecOptions) -> md.MusicCorpus | None:
        """files: (file id, name, bytes). The corpus, or None when no file could be used (see ``problems``)."""
        key = ("upload", tuple(f[0] for f in files), options)
        if key != self.corpus_key:
            pieces, problems = md.load_uploads([(name, data) for _, name, data in files], options)
            self._set_corpus(key, md.MusicCorpus(pieces) if pieces else None, problems)
        return self.corpus

    def kept_upload(self, options: mc.CodecOptions) -> md.MusicCorpus | None:
        """The corpus of an earlier upload with these codec settings (the uploader forgets its files when the
        student visits another page; the lab keeps the corpus)."""
        key = self.corpus_key
        if key is not None and key[0] == "upload" and key[2] == options:
            return self.corpus
        return None

    def _set_corpus(self, key: Any, corpus: md.MusicCorpus | None, problems: list[str]) -> None:
        self.corpus_key, self.corpus, self.problems, self._profile = key, corpus, problems, None

    # -- runs ------------------------------------------------------------------------------------------------
    def run_label(self) -> str:
        c = self.trainer.config
        return f"#{self.run_number} LSTM {c.hidden} · seed {c.seed}"

    corpus_change = "a different corpus or codec setting"

    def same_model(self, old: RNNConfig, new: RNNConfig) -> bool:
        return old.same_architecture(new)

    def retune(self, trainer, config: RNNConfig) -> None:
        trainer.set_training_params(learning_rate=config.learning_rate, batch_size=config.batch_size, seq_len=config.seq_len)

    def build_trainer(self, corpus: md.MusicCorpus, config: RNNConfig):
        from core.keras_trainer import SequenceTrainer  # TensorFlow is imported only when the lab needs a model

        val = lambda: corpus.val_batches(64, config.seq_len)  # noqa: E731 - fixed held-out snippets
        trainer = SequenceTrainer(len(corpus.vocab), config, corpus.sample_batch, val)
        self.untrained = trainer.token_model()  # the same weights before any training, for comparison
        return trainer

    def differences(self, old: RNNConfig, new: RNNConfig) -> list:
        return [("hidden size", old.hidden, new.hidden), ("seed", old.seed, new.seed)]

    def on_new_run(self) -> None:
        self.result = None

    def configure_current(self, config: RNNConfig):
        """The run for these settings on the corpus the picker chose."""
        return self.configure(repr(self.corpus_key), self.corpus, config)

    @property
    def step_limit(self) -> int:
        return int(self.max_steps)

    def can_train(self) -> str | None:
        try:
            self.corpus.check_seq_len(self.trainer.config.seq_len)
        except ValueError as exc:
            return str(exc)
        return super().can_train()

    # -- composing -------------------------------------------------------------------------------------------
    def compose(self, n_values: int, temperature: float, seed: int, prime: list[int], tempo: float) -> Composition:
        labels = self.corpus.vocab.itos
        recs = {
            name: generate(model, int(n_values), temperature=float(temperature), rng=np.random.default_rng(int(seed)), prime=prime)
            for name, model in (("trained", self.trainer.token_model()), ("untrained", self.untrained))
        }
        self.result = Composition(self.trainer.step, tuple(labels[i] for i in prime), float(tempo), recs["trained"], recs["untrained"], tuple(labels))
        return self.result

    def style_rows(self) -> tuple[md.StyleProfile, list[tuple[str, md.StyleScores]]]:
        """The key/rhythm check: the corpus itself, the trained and the untrained composition."""
        if self._profile is None:  # the corpus's own profile and scores, once per corpus
            profile = md.style_profile([p.values for p in self.corpus.pieces])
            self._profile = (profile, md.style_scores([v for p in self.corpus.pieces for v in p.values], profile))
        profile, own = self._profile
        r = self.result
        return profile, [
            ("the corpus itself", own),
            (f"trained model (step {r.step:,})", md.style_scores(r.trained_values, profile)),
            ("untrained model", md.style_scores(r.untrained_values, profile)),
        ]
