"""The Music lab's session object (see core.labs.lab): MIDI corpora, two models over values, compositions.

Two models can learn a corpus; the run's config says which (``RNNConfig`` or ``CourseConfig``):

- **this lab's LSTM** (core.models.keras_trainer.SequenceTrainer): value -> embedding -> LSTM -> softmax over every
value
  of the corpus;
- **the course's model** (core.models.course_model.CourseTrainer): one-hot values, one shared LSTM cell and Dense
  layer unrolled over Tx steps, a vocabulary capped to the course's 90 values (``CourseVocab``).

A new run starts when the model, the corpus (or its codec settings), the hidden size or the seed changes;
the snippet length (Tx) and batch size apply to the running model, and so does the learning rate of this
lab's LSTM (the course's model keeps the course's Adam schedule). Training stops by itself at the step limit.
The lab keeps the same network before any training (``untrained``) to compare compositions with.

Composing starts from silence, from a few bars of a corpus piece, or from the student's motif (call and
response: core.music.motif); a primed composition continues for a number of bars. Every composition is scored
(core.music.music_score) against the training pieces, with the untrained model and the held-out validation pieces
as the rows to compare with. Only the composed part is scored: an opening taken from a corpus piece would
count as a copy of it. The scorecard's reference is built once per corpus.

Simplified on purpose: one track in the .mid download (the opening and the answer on one instrument);
the playback instrument is a rendering choice, not part of the composition.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core import units as loss_units
from core.files import starting_points as sps
from core.labs.lab import HeldOut, InsideSequence, Lab, Meter, NothingToRead, Pieces, Schedule, locked
from core.labs.settings import (
    PAGES,
    LabSpec,
    choice,
    flag,
    floats,
    ints,
    same,
    sample_seed,
    schedule,
    seed,
    stop_best,
    text,
    units,
)
from core.models import course_model as cm
from core.models.keras_model import RNNConfig
from core.models.sampling import StepRecord, TokenModel, generate
from core.models.timelapse import SAMPLE_TEMPERATURE, SAMPLE_VALUES, LabSample
from core.music import midi_io, motif, style_label
from core.music import music_codec as mc
from core.music import music_data as md
from core.music import music_score as ms

EMBED_DIM = 32  # the value embedding (the course's model reads one-hot vectors instead)
LSTM, COURSE = "lstm", "course"  # the two models
MODEL_LABELS = {LSTM: "this lab's LSTM (embedding)", COURSE: "the course's model (one-hot, 90 values)"}
STEPS_PER_BAR = motif.STEPS_PER_BAR  # a 4/4 bar of sixteenth-note steps
VAL_BATCH = 64  # windows per validation batch
LR_OPTIONS = [0.0003, 0.001, 0.003, 0.01, 0.03]  # the page's learning rates
BATCH_OPTIONS = [2, 4, 8, 16, 32, 64, 128]  # the page's batch sizes
MAX_PRIME_BARS = 8  # bars of a corpus piece fed in at most
RACE_LSTM_LR = 0.003  # a race's LSTM when the current run is the course's model (the page's default rate)
SILENCE, PIECE, MOTIF = "silence", "piece", "motif"  # how a composition starts
START_LABELS = {SILENCE: "From silence", PIECE: "Bars of a corpus piece", MOTIF: "Continue my motif"}
ARGMAX, SAMPLE = "The most likely value, fed back (the course's way)", "Sampling with temperature"  # generation
GRAPH_LABELS = {
    "training": "training (Tx steps, the true next value goes in)",
    "inference": "composing (the most likely value is fed back)",
}  # the course panel's drawing of the model


def music_options():
    """The codec settings the Music page starts with (its settings' defaults: melody only, transposed): the
    vocabulary of the bundled MIDI starting points."""
    from core.music.music_codec import CodecOptions

    music = music_settings()
    return CodecOptions(max_chord=music["max_chord"].default, transpose=music["transpose"].default)


@functools.cache
def music_settings() -> LabSpec:
    """The Music page's settings (the bundled styles are the folders of data/midi when first asked)."""
    from core.music.music_audio import INSTRUMENTS

    styles = md.bundled_styles()
    instruments = [(re.sub(r"\W+", "_", label.lower()), label) for label, _ in INSTRUMENTS]
    new_model = "Changing it starts a new model."
    return LabSpec(
        "music",
        PAGES["music"],
        "Music",
        (
            choice(
                "corpus",
                "music_source",
                style_label(styles[0]) if styles else None,
                "upload",
                [(s, style_label(s)) for s in styles],
                label="Music to learn from",
                widget="radio",
            ),
            ints(
                "max_chord",
                "music_max_chord",
                1,
                "architecture",
                1,
                4,
                label="Notes kept per chord (the highest)",
                help="1 keeps only the top note at each onset (a melody). More notes per chord means many more "
                "distinct values to learn.",
            ),
            flag(
                "transpose",
                "music_transpose",
                True,
                "architecture",
                label="Transpose every piece to C major / A minor",
                widget="toggle",
                help="A simple key estimate (Krumhansl-Kessler profiles); pieces in different keys then share one "
                "vocabulary.",
            ),
            choice(
                "model",
                "music_model",
                LSTM,
                "architecture",
                same([LSTM, COURSE]),
                label="Model",
                widget="radio",
                names=MODEL_LABELS,
                help="The course's jazz model reads one-hot values and shares one LSTM cell and one Dense layer across "
                "its Tx steps. Switching starts a new run.",
            ),
            ints(
                "hidden",
                "music_hidden",
                64,
                "architecture",
                4,
                512,
                label="LSTM hidden size",
                help=f"n_a in the course. {new_model}",
            ),
            seed("music_seed", f"Seeds the weights and the snippet order. {new_model}"),
            choice(
                "graph",
                "music_graph_mode",
                "training",
                "architecture",
                same(list(GRAPH_LABELS)),
                label="Draw the model",
                widget="radio",
                names=GRAPH_LABELS,
            ),
            ints(
                "window",
                "music_seq_len",
                30,
                "training",
                5,
                100,
                label="Snippet length (values)",
                help="Each training example is this many consecutive values (Tx in the course).",
            ),
            choice("batch", "music_batch", 32, "training", BATCH_OPTIONS, label="Batch size (snippets per step)"),
            choice("lr", "music_lr", 0.003, "training", LR_OPTIONS, label="Learning rate (Adam)"),
            ints(
                "max_steps",
                "music_max_steps",
                2000,
                "training",
                10,
                100_000,
                label="Stop after (steps)",
                widget="number_input",
                nudge=100,
                help="About a minute of training on the defaults.",
            ),
            schedule("music_schedule"),
            stop_best("music_stop_best", True),
            units("music", MusicLab.unit),
            choice(
                "start",
                "music_start",
                SILENCE,
                "sampling",
                same(list(START_LABELS)),
                label="Start",
                widget="radio",
                names=START_LABELS,
            ),
            ints("n", "music_n", 100, "sampling", 10, 400, label="Values to generate"),
            ints("bars", "music_bars", 4, "sampling", 1, 16, label="Bars the model adds"),
            choice(
                "generation",
                "music_gen",
                ARGMAX,
                "sampling",
                [("argmax", ARGMAX), ("sample", SAMPLE)],
                label="Generation",
                widget="radio",
            ),
            floats(
                "temperature",
                "music_temp",
                1.0,
                "sampling",
                0.0,
                2.0,
                0.05,
                label="Temperature (0 = always the most likely value)",
            ),
            sample_seed("music_gen_seed", "gen_seed"),
            ints("tempo", "music_tempo", None, "sampling", 40, 240, label="Playback tempo (quarter notes per minute)"),
            choice(
                "instrument",
                "music_instrument",
                INSTRUMENTS[0][0],
                "sampling",
                instruments,
                label="Playback instrument (General MIDI)",
                widget="selectbox",
                help="Used by the players and the .mid download.",
            ),
            text("motif", "music_motif", "sampling", 500, label="Your motif (the model answers it)", help=motif.HELP),
            ints("piece", "music_prime_piece", 0, "sampling", 0, 9_999, label="Piece", widget="selectbox"),
            ints("from_bar", "music_prime_from", 1, "sampling", 1, 10_000, label="From bar", widget="number_input"),
            ints("prime_bars", "music_prime_bars", 2, "sampling", 1, MAX_PRIME_BARS, label="Bars fed in"),
        ),
    )


def model_kind(config: Any) -> str:
    """LSTM or COURSE, from the type of a run's config."""
    return COURSE if isinstance(config, cm.CourseConfig) else LSTM


def make_config(
    kind: str,
    *,
    hidden: int,
    seq_len: int,
    batch: int,
    lr: float,
    seed: int,
    lr_schedule: str = "decay",
) -> RNNConfig | cm.CourseConfig:
    """The run's config from the page's widgets. The course's model takes n_a = hidden, Tx = seq_len and the
    batch size; its optimizer is the course's (Adam 0.01 with decay 0.01), so ``lr`` and ``lr_schedule`` are not used
    for it."""
    if kind == COURSE:
        return cm.CourseConfig(n_a=int(hidden), Tx=int(seq_len), batch_size=int(batch), seed=int(seed))
    return RNNConfig(
        cell="lstm",
        hidden=int(hidden),
        layers=1,
        embed_dim=EMBED_DIM,
        seq_len=int(seq_len),
        batch_size=int(batch),
        learning_rate=float(lr),
        dropout=0.0,
        seed=int(seed),
        lr_schedule=lr_schedule,
    )


def seq_len_of(config: Any) -> int:
    """Values per training window: Tx of the course's model, seq_len of the LSTM."""
    return int(config.Tx if isinstance(config, cm.CourseConfig) else config.seq_len)


@dataclass(frozen=True, eq=False)
class CourseVocab:
    """The course's capped vocabulary of one run (core.models.course_model.cap_vocabulary)."""

    itos: tuple[str, ...]  # the capped vocabulary: index -> value (the last stands for every folded value)
    mapping: dict[str, int]  # every value of the corpus -> its capped index
    lookup: np.ndarray  # int32 (len(full vocabulary),): full id -> capped id
    sentence: str  # what the cap did, for the page (core.models.course_model.describe_cap)


@dataclass(frozen=True)
class MotifCheck:
    """A typed motif, read against the current model's vocabulary."""

    text: str  # as typed
    values: tuple[str, ...]  # its values (empty when it doesn't parse)
    error: str | None  # the MotifError message (None when it parses)
    unknown: tuple[str, ...]  # its values the model doesn't know, in order of first appearance
    message: str | None  # names them and the nearest known values (None when all are known)
    fixed_text: str | None  # the motif with each unknown value replaced by the nearest known one

    @property
    def ok(self) -> bool:
        return self.error is None and not self.unknown


@dataclass(frozen=True)
class Composition:
    """What the Compose button produced: the trained and the untrained model, same seed and settings."""

    step: int  # the trained model's step
    prime: tuple[str, ...]  # the opening fed in first (values): bars of a piece or the student's motif
    start: str  # SILENCE, PIECE or MOTIF
    prime_label: str  # where the opening came from ("" from silence)
    tempo: float  # playback tempo (quarter notes per minute)
    trained: list  # core.models.sampling.StepRecord per composed value
    untrained: list  # the same for the untrained model
    labels: tuple[str, ...]  # the vocabulary (index -> value)
    argmax: bool  # the most likely value every step (the course's generation) instead of sampling
    temperature: float  # the sampling temperature (0 with argmax)
    bars: int | None  # the answer's length in bars (None: a number of values)
    model: str  # LSTM or COURSE
    scores: list | None  # [(row label, core.music.music_score.MusicScore)]; None when the corpus can't be scored
    weights: str = ""  # which weights composed it (the trainer's weights_note: best or latest)
    seed: int = 0  # the sampling seed
    rules: str = ""  # what the composition was kept from picking, in words ("": nothing)

    @property
    def trained_values(self) -> tuple[str, ...]:
        return tuple(self.labels[r.picked] for r in self.trained)

    @property
    def untrained_values(self) -> tuple[str, ...]:
        return tuple(self.labels[r.picked] for r in self.untrained)


def notes_after(opening: tuple[str, ...], values: tuple[str, ...], tempo: float) -> tuple[list, list]:
    """Piano-roll notes (start s, end s, pitch) of an opening and of the values that follow it, on one time line."""
    offset = sum(mc.value_duration(v) for v in opening) * 60.0 / tempo / mc.STEPS_PER_QUARTER  # seconds
    return mc.values_to_notes(opening, tempo), [
        (s + offset, e + offset, p) for s, e, p in mc.values_to_notes(values, tempo)
    ]


def midi_file(values: Sequence[str], tempo: float, program: int = 0) -> bytes:
    """A Standard MIDI File of ``values`` at ``tempo`` on one track with General MIDI ``program``."""
    return midi_io.midi_bytes(mc.values_to_midi(values, tempo=tempo, program=int(program)))


def within_bars(records: Sequence[StepRecord], labels: Sequence[str], bars: int) -> list[StepRecord]:
    """The records whose values start within the first ``bars`` bars (whole values, the last may ring on)."""
    end, t, out = int(bars) * STEPS_PER_BAR, 0, []
    for r in records:
        if t >= end:
            break
        out.append(r)
        t += mc.value_duration(labels[r.picked])
    return out


def _num(x: float, fmt: str) -> str:
    return "–" if x is None or not np.isfinite(x) else format(x, fmt)


def score_table(scores: Sequence[tuple[str, ms.MusicScore]]) -> list[dict[str, str]]:
    """The scorecard as table rows for the page (one dict per row, the columns in reading order)."""
    rows = []
    for label, s in scores:
        copy = _num(s.longest_copy, ".0f" if s.n_pieces == 1 else ".1f")
        rows.append(
            {
                "": label,
                "pitch-class distance": _num(s.pitch_class_distance, ".2f"),
                "in key": "–" if not np.isfinite(s.in_key) else f"{100 * s.in_key:.0f}%",
                "range (semitones)": _num(s.pitch_range, ".0f"),
                "interval distance": _num(s.interval_distance, ".2f"),
                "notes per bar": _num(s.notes_per_bar, ".1f"),
                "duration distance": _num(s.duration_distance, ".2f"),
                "longest copy": copy,
            }
        )
    return rows


def copy_note(scores: Sequence[tuple[str, ms.MusicScore]]) -> str | None:
    """Where the trained model's longest copy comes from (one line), when it copied 4 values or more."""
    if not scores:
        return None
    s = scores[0][1]
    if s.copied_from is None or s.longest_copy < 4:
        return None
    return (
        f"The trained model's longest copy: {s.longest_copy:.0f} values in a row from {s.copied_from} "
        f"(its values {s.copy_start + 1}–{s.copy_start + s.longest_copy:.0f}), from value {s.copy_at + 1} of the "
        "composition."
    )


def held_out_pieces(corpus: md.MusicCorpus, lookup: np.ndarray | None = None) -> HeldOut:
    """The held-out pieces, counts from the training pieces (none held out: both are the training pieces);
    ``lookup`` maps full ids to the course model's capped ids."""
    V = len(corpus.vocab)
    seqs = corpus.ids
    if lookup is not None:
        seqs = [np.asarray(lookup)[np.asarray(a)] for a in seqs]
        V = int(np.max(lookup)) + 1
    train = [seqs[i] for i in corpus.train_idx]
    if corpus.val_idx:
        test, where = [seqs[i] for i in corpus.val_idx], f"the {len(corpus.val_idx)} held-out validation pieces"
        counted = f"the {len(corpus.train_idx)} training pieces"
    else:
        test, where = train, "the training pieces themselves (fewer than 5 pieces: none is held out)"
        counted = "the same pieces"
    vocab = " (the course's capped vocabulary)" if lookup is not None else ""
    return HeldOut(train, test, V, (1, 2), "value", where + vocab, counted)


class MusicLab(Lab):
    key = "music"
    settings = staticmethod(music_settings)
    # validation every second (was 2 s): a tiny upload can pass its best in a few hundred fast steps, and "stop at the
    # best validation" can only keep what it saw; a pass over at most 8 batches of 64 snippets costs ~15 ms per batch
    # for the LSTM 64 on 2 cores
    schedule = Schedule(
        slice_s=0.4, tick_s=0.5, chunk_s=0.15, max_chunk=20, first_chunk=1, eval_every_s=1.0, worker=True
    )
    unit = "value"
    chart_x = "step (one batch of snippets)"
    chart_y = "loss (nats per value)"

    def __init__(self) -> None:
        super().__init__()
        self.corpus: md.MusicCorpus | None = None  # the corpus the picker chose (bundled or uploaded)
        self.corpus_key: Any = (
            None  # what it was built from: ("bundled", style, options) or ("upload", file ids, options)
        )
        self.problems: list[str] = []  # files of that corpus that could not be used
        self.max_steps = 2000  # the step limit (a widget)
        self.untrained: TokenModel | None = None  # the current run's weights before any training
        self.course_vocab: CourseVocab | None = None  # the capped vocabulary when the run is the course's model
        self.result: Composition | None = None  # the last composition
        self.run_music = "no music"  # what the current run learns (corpus_name when it started), for its label
        self._reference: tuple[ms.Reference | None, str | None] | None = (
            None  # the scorecard's reference of self.corpus (or why none)
        )
        self.stop_at_best = True  # stop by itself at the best validation (a widget): uploaded corpora can be tiny

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
            corpus = None
            if pieces:
                try:
                    corpus = md.MusicCorpus(pieces)
                except md.MusicCorpusError as exc:  # e.g. every value the same: nothing to learn
                    problems = [*problems, str(exc)]
            self._set_corpus(key, corpus, problems)
        return self.corpus

    def kept_upload(self, options: mc.CodecOptions) -> md.MusicCorpus | None:
        """The corpus of an earlier upload with these codec settings (the uploader forgets its files when the
        student visits another page; the lab keeps the corpus)."""
        key = self.corpus_key
        if key is not None and key[0] == "upload" and key[2] == options:
            return self.corpus
        return None

    def _set_corpus(self, key: Any, corpus: md.MusicCorpus | None, problems: list[str]) -> None:
        self.corpus_key, self.corpus, self.problems, self._reference = key, corpus, problems, None

    def reference(self) -> tuple[ms.Reference | None, str | None]:
        """The scorecard's reference (the training pieces' features), built once per corpus; or (None, why)."""
        if self._reference is None:
            c = self.corpus
            try:
                self._reference = (
                    ms.Reference.build((c.pieces[i].name, c.pieces[i].values) for i in c.train_idx),
                    None,
                )
            except ValueError as exc:
                self._reference = (None, f"No scorecard for this corpus: {exc}.")
        return self._reference

    def validation_pieces(self) -> list[tuple[str, ...]]:
        c = self.corpus
        return [tuple(c.pieces[i].values) for i in c.val_idx]

    # -- runs ------------------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """LSTM or COURSE: the current run's model."""
        return model_kind(self.trainer.config) if self.trainer is not None else LSTM

    def run_label(self) -> str:
        c = self.trainer.config
        model = f"course n_a {c.n_a}" if model_kind(c) == COURSE else f"LSTM {c.hidden}"
        return f"#{self.run_number} {model} · seed {c.seed} · {self.run_music}"

    def corpus_name(self) -> str:
        """The music the current corpus holds, in a few words: "Bach chorales, melodies" or "3 uploaded files,
        chords of up to 4 notes"."""
        key = self.corpus_key
        if key is None or len(key) != 3 or key[0] not in ("bundled", "upload"):
            return "no music" if self.corpus is None else f"{len(self.corpus)} pieces"
        source, which, options = key
        what = style_label(which) if source == "bundled" else f"{len(which)} uploaded file{'s' * (len(which) != 1)}"
        notes = "melodies" if options.max_chord == 1 else f"chords of up to {options.max_chord} notes"
        return f"{what}, {notes}"

    corpus_change = "a different corpus or codec setting"

    def same_model(self, old: Any, new: Any) -> bool:
        if model_kind(old) != model_kind(new):
            return False
        if model_kind(new) == COURSE:
            return (old.n_a, old.seed) == (new.n_a, new.seed)
        return old.same_architecture(new)

    def retune(self, trainer, config: Any) -> None:
        if model_kind(config) == COURSE:
            trainer.set_training_params(batch_size=config.batch_size, Tx=config.Tx)
        else:
            trainer.set_training_params(
                learning_rate=config.learning_rate,
                batch_size=config.batch_size,
                seq_len=config.seq_len,
                lr_schedule=config.lr_schedule,
            )
        trainer.stop_at_best = self.stop_at_best

    def vocab_size_of(self, corpus: md.MusicCorpus) -> int:
        return len(corpus.vocab)

    def build_trainer(self, corpus: md.MusicCorpus, config: Any):
        if model_kind(config) == COURSE:
            trainer = self._build_course(corpus, config)
        else:
            from core.models.keras_trainer import (
                SequenceTrainer,
            )  # TensorFlow is imported only when the lab needs a model

            val = lambda: corpus.val_batches(VAL_BATCH, config.seq_len)  # noqa: E731 - fixed held-out snippets
            trainer = SequenceTrainer(len(corpus.vocab), config, corpus.sample_batch, val)
            trainer.unit = "value"
            self.course_vocab = None
        trainer.stop_at_best = self.stop_at_best
        self.untrained = trainer.token_model()  # the same weights before any training, for comparison
        return trainer

    def _build_course(self, corpus: md.MusicCorpus, config: cm.CourseConfig) -> cm.CourseTrainer:
        """The course's model over the corpus's capped vocabulary (the 89 most common values + one for the rest)."""
        values = [p.values for p in corpus.pieces]
        itos, mapping = cm.cap_vocabulary(values, cm.N_VALUES)
        lookup = cm.id_lookup(corpus.vocab.itos, mapping)
        trainer = cm.CourseTrainer(len(itos), config, cm.capped_sampler(corpus.sample_batch, lookup))
        # validation windows of the trainer's current Tx (it may change mid-run)
        trainer.val_batches = cm.capped_val_batches(lambda: corpus.val_batches(VAL_BATCH, trainer.config.Tx), lookup)
        self.course_vocab = CourseVocab(tuple(itos), mapping, lookup, cm.describe_cap(values, itos, mapping))
        return trainer

    def differences(self, old: Any, new: Any) -> list:
        ko, kn = model_kind(old), model_kind(new)
        if ko != kn:
            return [("model", MODEL_LABELS[ko], MODEL_LABELS[kn])]
        if kn == COURSE:
            return [("hidden size (n_a)", old.n_a, new.n_a), ("seed", old.seed, new.seed)]
        return [("hidden size", old.hidden, new.hidden), ("seed", old.seed, new.seed)]

    def on_new_run(self) -> None:
        self.result = None
        self.run_music = self.corpus_name()  # the corpus may change before the run is archived

    def configure_current(self, config: Any):
        """The run for these settings on the corpus the picker chose."""
        return self.configure(repr(self.corpus_key), self.corpus, config)

    @property
    def step_limit(self) -> int:
        return int(self.max_steps)

    # -- best weights ------------------------------------------------------------------------------------------
    def finished_stop(self):
        """At the step limit with "stop at the best validation" on, the weights of the best validation come back
        when the latest ones are worse (validated now), so compositions use the best."""
        stop = super().finished_stop()
        t = self.trainer
        if not self.stop_at_best or t.keeper.best is None or t.keeper.restored_at == t.step:
            return stop
        val = t.evaluate()
        b = t.keeper.best
        if val is None or b.step == t.step or val <= b.val:
            return stop
        t.restore_best()
        from core.models.trainer import Stop

        return Stop(
            stop.kind,
            f"{stop.message} The validation loss was lowest at step {b.step:,} ({loss_units.loss(b.val)} vs "
            f"{loss_units.loss(val, self.unit)} now): "
            "those weights are back in place (stop at the best validation is on).",
        )

    def can_train(self) -> str | None:
        if self.trainer is None:
            return super().can_train()
        try:
            self.corpus.check_seq_len(seq_len_of(self.trainer.config))
        except ValueError as exc:
            return str(exc)
        return super().can_train()

    # -- the course's model, for the page ---------------------------------------------------------------------
    def course_facts(self) -> dict[str, Any]:
        """The live numbers the course-mode panel shows: sizes, the Keras count, the formula and the optimizer."""
        t = self.trainer
        s = t.layer_sizes()
        n_a, nv, Tx = s["n_a"], s["n_values"], s["Tx"]
        lstm = 4 * n_a * (n_a + nv + 1)  # 4 gates × [Wx | Wa | b]
        dense = n_a * nv + nv  # Wy and by
        c = t.config
        return dict(
            n_a=n_a,
            n_values=nv,
            Tx=Tx,
            params=t.param_count(),
            lstm=lstm,
            dense=dense,
            formula=lstm + dense,
            course_params=cm.course_param_count(cm.N_A, cm.N_VALUES),
            lr0=c.learning_rate,
            decay=c.decay,
            lr_now=t.learning_rate(),
            beta_1=c.beta_1,
            beta_2=c.beta_2,
            batch=c.batch_size,
            step=t.step,
        )

    # -- composing -------------------------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """The current model's vocabulary (index -> value): the capped one for the course's model."""
        if self.kind == COURSE and self.course_vocab is not None:
            return self.course_vocab.itos
        return tuple(self.corpus.vocab.itos)

    @property
    def names(self) -> tuple[str, ...]:
        """The current model's vocabulary as the page writes values (core.music.motif: C4q, [C4 E4 G4]h, Rq)."""
        return tuple(self.token_text(v) for v in self.labels)

    def prime_ids(self, values: Sequence[str]) -> list[int]:
        """Indices of an opening's values in the current model's vocabulary. A corpus value the course's cap
        folded goes in as the stand-in index; a value the model can't read raises ValueError."""
        if self.kind == COURSE and self.course_vocab is not None:
            m, index = self.course_vocab.mapping, {v: i for i, v in enumerate(self.course_vocab.itos)}
            lookup = lambda v: index[v] if v in index else m[v]  # noqa: E731
        else:
            stoi = self.corpus.vocab.stoi
            lookup = stoi.__getitem__
        try:
            return [int(lookup(v)) for v in values]
        except KeyError as exc:
            raise ValueError(f"{motif.value_text(exc.args[0])} is not in the model's vocabulary.") from None

    def check_motif(self, text: str) -> MotifCheck:
        """Parse a motif and compare it with the current model's vocabulary: the page's message, or nothing to fix."""
        try:
            values = motif.encode(text)
        except motif.MotifError as exc:
            return MotifCheck(text, (), str(exc), (), None, None)
        labels = self.labels
        _, unknown = motif.split_unknown(values, set(labels))
        if not unknown:
            return MotifCheck(text, tuple(values), None, (), None, None)
        return MotifCheck(
            text,
            tuple(values),
            None,
            tuple(unknown),
            motif.unknown_message(values, labels),
            motif.decode(motif.replace_unknown(values, labels)),
        )

    def piece_bars(self, piece: int, first_bar: int, n_bars: int) -> tuple[str, ...]:
        """Bars first_bar .. first_bar + n_bars − 1 (0-based) of a corpus piece, as values."""
        return tuple(motif.take_bars(self.corpus.pieces[int(piece)].values, first_bar, n_bars))

    def piece_length_bars(self, piece: int) -> int:
        """Whole or started bars of a corpus piece."""
        return max(1, int(np.ceil(motif.n_bars(self.corpus.pieces[int(piece)].values))))

    @locked
    def compose(
        self,
        *,
        tempo: float,
        seed: int = 0,
        temperature: float = 1.0,
        argmax: bool = False,
        n_values: int | None = None,
        bars: int | None = None,
        prime: Sequence[str] = (),
        start: str = SILENCE,
        prime_label: str = "",
    ) -> Composition:
        """Compose with the trained and the untrained model (same seed and settings), and score both.

        n_values: how many values (from silence); bars: how many bars the answer lasts (after an opening).
        argmax: the most likely value every step, fed back (the course's generation); else sample at ``temperature``.
        """
        if (n_values is None) == (bars is None):
            raise ValueError("give either n_values or bars")
        labels = self.labels
        prime = tuple(prime)
        ids = self.prime_ids(prime)
        n = int(n_values) if bars is None else int(bars) * STEPS_PER_BAR  # at most one value per sixteenth
        temp = 0.0 if argmax else float(temperature)
        rules = self.composing_rules()
        recs = {}
        for name, model in (("trained", self.trainer.token_model()), ("untrained", self.untrained)):
            r = generate(model, n, temperature=temp, rng=np.random.default_rng(int(seed)), prime=ids, **rules)
            recs[name] = r if bars is None else within_bars(r, labels, bars)
        trained_v = tuple(labels[r.picked] for r in recs["trained"])
        untrained_v = tuple(labels[r.picked] for r in recs["untrained"])
        ref, _ = self.reference()
        scores = None
        if ref is not None:
            rows = [
                (f"trained model (step {self.trainer.weights_step():,})", trained_v),
                ("untrained model", untrained_v),
            ]
            scores = ms.scorecard(rows, ref, validation=self.validation_pieces(), chance=labels)
        self.result = Composition(
            self.trainer.step,
            prime,
            start,
            prime_label,
            float(tempo),
            recs["trained"],
            recs["untrained"],
            tuple(labels),
            bool(argmax),
            temp,
            None if bars is None else int(bars),
            self.kind,
            scores,
            self.trainer.weights_note(),
            int(seed),
            cm.composing_note(self.course_vocab.mapping, self.course_vocab.itos) if rules else "",
        )
        return self.result

    # -- get the code (core.files.get_code) ---------------------------------------------------------------------
    has_code = True
    CODE_WEIGHTS = "music_model.zip"  # what the exported program continues from

    def code_files(self) -> dict[str, bytes]:
        """The MIDI files the exported program reads (core.files.get_code.music.MIDI_FOLDER), named so that their
        name order is the corpus's order; empty without a corpus."""
        from core.files.get_code.music import MIDI_FOLDER
        from core.files.get_code.text import CORPUS_NAME_CHARS

        c = self.corpus
        if c is None:
            return {}
        if self.corpus_key[0] == "bundled":  # read in name order, as the lab reads them
            return {f"{MIDI_FOLDER}/{p.name}": p.data for p in c.pieces}
        plain = lambda name: "".join(ch if ch in CORPUS_NAME_CHARS else "_" for ch in name)  # noqa: E731
        return {f"{MIDI_FOLDER}/{i:03d}_{plain(p.name)}": p.data for i, p in enumerate(c.pieces)}  # upload order

    def code_settings(self, *, trained: bool, steps: int | None = None):
        """core.files.get_code.music.MusicSettings for the current run, its last composition and ``steps`` (the
        step limit by default)."""
        from core.files.get_code.music import MusicSettings

        if self.trainer is None or self.corpus is None:
            raise ValueError("Choose a corpus and start a run to get its code.")
        res = self.result
        # before any composition: the course's model composes as the course does (the most likely value)
        compose = {"tempo": float(self.corpus.tempo), "temperature": 0.0 if self.kind == COURSE else 1.0}
        if res is not None:
            compose = dict(
                values=len(res.trained),
                temperature=float(res.temperature),
                sample_seed=int(res.seed),
                opening=tuple(res.prime),
                tempo=float(res.tempo),
            )
        return MusicSettings(
            config=self.trainer.config,
            codec=self.corpus_key[2],
            val_batch=VAL_BATCH,
            steps=int(self.max_steps if steps is None else steps),
            weights=self.CODE_WEIGHTS if trained else None,
            **compose,
        )

    def get_code(self, *, trained: bool):
        from core.files.get_code.music import program

        return replace(program(self.code_settings(trained=trained)), data=tuple(self.code_files().items()))

    def code_weights(self) -> tuple[str, bytes] | None:
        """The run's model as the zip the exported program continues from: model.keras and the values (vocab.json)
        for this lab's LSTM; the course model's weights and Adam's state (weights.npz) and its capped values."""
        import io
        import json
        import zipfile

        t = self.trainer
        if t is None or t.step == 0:
            return None
        if self.kind == LSTM:
            from core.files.model_zip import export_model_zip

            return self.CODE_WEIGHTS, export_model_zip(t, list(self.corpus.vocab.itos), t.summary(), tokens=True)
        k, u, b = t.layers.LSTM_cell.get_weights()
        w, bd = t.layers.densor.get_weights()
        adam = {f"adam_{i}": np.asarray(v.numpy()) for i, v in enumerate(t.optimizer.variables)}
        arrays = io.BytesIO()
        np.savez(arrays, kernel=k, recurrent=u, bias=b, dense_w=w, dense_b=bd, **adam)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("weights.npz", arrays.getvalue())
            zf.writestr("vocab.json", json.dumps({"tokens": list(self.course_vocab.itos), "meta": {"step": t.step}}))
        return self.CODE_WEIGHTS, buf.getvalue()

    # -- baselines (core.toolkit.baselines) ---------------------------------------------------------------------
    def held_out_key(self) -> Any:
        if self.trainer is None or self.corpus is None:
            return None
        cv = self.course_vocab
        return (self.key, repr(self.corpus_key), id(self.corpus), None if cv is None else id(cv))

    def held_out(self) -> HeldOut | None:
        if self.held_out_key() is None:
            return None
        return held_out_pieces(self.corpus, None if self.course_vocab is None else self.course_vocab.lookup)

    # -- look inside (core.inside, ui/inside) -------------------------------------------------------------------
    token_name = "value"
    explain_hint = (
        "Press **Compose** in the tab “Compose & listen”, then pick a value to see which earlier values its "
        "prediction depended on."
    )

    def token_text(self, token: str) -> str:
        """A value as the page writes it everywhere (core.music.motif.value_text: 'N61_d6' -> 'C#4q.', 'C60.64_d8' ->
        '[C4 E4]h', 'R_d4' -> 'Rq'), never the codec's token."""
        return motif.value_text(token)

    def neuron_input(self) -> Pieces:
        """The last composition (if any), then the held-out pieces, then the training pieces (none without a corpus)."""
        out: dict[str, tuple[str, ...]] = {}
        c, res = self.corpus, self.result
        if c is None:
            return Pieces(out, self.prime_ids)
        if res is not None:
            out[f"the last composition (step {res.step:,})"] = tuple(res.prime) + res.trained_values
        for i in c.val_idx:
            out[f"{c.pieces[i].name} (held out)"] = tuple(c.pieces[i].values)
        for i in c.train_idx:
            out[f"{c.pieces[i].name} (training)"] = tuple(c.pieces[i].values)
        return Pieces(out, self.prime_ids)

    def gate_sequences(self, steps: int) -> tuple[tuple, str]:
        """The held-out pieces (the training pieces when none is held out), each from silence."""
        c = self.corpus
        if c is None:
            raise NothingToRead("Choose a corpus above: the gates are counted over its held-out pieces.")
        idx, which = (
            (c.val_idx, "held-out")
            if c.val_idx
            else (c.train_idx, "training (the corpus is too small to hold pieces out)")
        )
        seqs, total = [], 0
        for i in idx:
            values = tuple(c.pieces[i].values[: steps - total])
            if not values:
                break
            try:
                seqs.append(tuple(self.prime_ids(values)))
            except ValueError as exc:
                raise ValueError(f"The model can't read the corpus's pieces: {exc}") from None
            total += len(values)
        many = "s" if len(seqs) != 1 else ""
        return tuple(seqs), f"{total:,} values of {len(seqs)} {which} piece{many}, each from silence"

    def explainable(self) -> list[InsideSequence]:
        """The last composition by the trained model: the silent start, the opening, the composed values."""
        res = self.result
        if res is None or not res.trained:
            return []
        tokens = (None, *self.prime_ids(res.prime), *(int(r.picked) for r in res.trained))
        labels = ("⟨silence⟩", *res.prime, *res.trained_values)
        return [InsideSequence("the composition", tokens, labels, res.step, "the composition", tempo=res.tempo)]

    def distance_sequences(self) -> tuple[list, str]:
        """The validation pieces (the training pieces when there are none), in the current model's vocabulary."""
        corpus = self.corpus
        idx, where = (
            (corpus.val_idx, "the validation pieces")
            if corpus.val_idx
            else (corpus.train_idx, "the training pieces (the corpus has no validation pieces)")
        )
        seqs = [corpus.ids[i] for i in idx]
        if self.kind == COURSE and self.course_vocab is not None:
            seqs = [self.course_vocab.lookup[s] for s in seqs]
        return seqs, where

    # -- the architecture race (core.toolkit.race) -------------------------------------------------------------
    def training_data(self) -> md.MusicCorpus | None:
        return self.corpus

    def race_choices(self) -> tuple[str, list, list, Any]:
        return "Models", [LSTM, COURSE], [LSTM, COURSE], MODEL_LABELS.get

    def race_configs(self, choices) -> list[Any]:
        """LSTM and / or COURSE at the current hidden size, snippet length, batch size and seed."""
        base = self.trainer.config
        course = model_kind(base) == COURSE
        hidden = base.n_a if course else base.hidden
        lr = RACE_LSTM_LR if course else base.learning_rate  # the course's model keeps its own Adam schedule
        return [
            make_config(
                k,
                hidden=int(hidden),
                seq_len=seq_len_of(base),
                batch=int(base.batch_size),
                lr=float(lr),
                seed=int(base.seed),
            )
            for k in choices
        ]

    def racer_label(self, config: Any) -> str:
        return f"course n_a {config.n_a}" if model_kind(config) == COURSE else f"LSTM {config.hidden}"

    def race_shared(self) -> str:
        return "the current hidden size, snippet length, batch size and seed"

    def loss_targets(self, extras: dict | None = None) -> tuple:
        """The values a model's loss is over: the course's capped ones (rarer values merged) or the corpus's."""
        return self.value_labels(extras)

    # -- what the time-lapse, the race and the hand-in show of this lab ----------------------------------------------
    def composing_rules(self, extras: dict | None = None) -> dict:
        """What a composition of the current model (or of a racer built with ``extras``) may not pick: the course's
        rules (core.models.course_model.composing_rules) for the course's model, none for the LSTM."""
        vocab = self.course_vocab if extras is None else extras.get("course_vocab")
        return {} if vocab is None else cm.composing_rules(vocab.mapping)

    def value_labels(self, extras: dict | None = None) -> tuple[str, ...]:
        """The vocabulary of a model of this lab: the course's capped one when the run (or racer) is the course's."""
        vocab = self.course_vocab if extras is None else extras.get("course_vocab")
        return tuple(vocab.itos) if vocab is not None else tuple(self.corpus.vocab.itos)

    def short_sample(
        self, model: TokenModel, seed: int, *, extras: dict | None = None, corpus: Any = None
    ) -> LabSample:
        labels = self.value_labels(extras)
        rules = self.composing_rules(extras)
        rng = np.random.default_rng(int(seed))
        recs = generate(model, SAMPLE_VALUES, temperature=SAMPLE_TEMPERATURE, rng=rng, **rules)
        names = tuple(self.token_text(v) for v in labels)  # the inspector's labels, as the page writes values
        return LabSample("music", tuple(labels[r.picked] for r in recs), (tuple(recs),), names)

    handin_files = ("composition.mid",)

    def composition(self) -> Composition | None:
        return self.result

    def handin_facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step_limit": int(self.max_steps)}
        if self.corpus_key is not None:
            source, which, codec = self.corpus_key
            out["corpus"] = {"source": source, "which": which, "codec": codec}
        return out

    def handin_samples(self, meter: Meter) -> list[str]:
        res = self.result
        if res is None:
            return []
        how = "most likely value" if res.argmax else f"temperature {res.temperature:g}"
        lines = [f"Composition at step {res.step:,} ({how})"]
        if res.prime:
            lines += [f"Opening ({res.prime_label}):", motif.decode(res.prime), " ".join(res.prime)]
        lines += [
            "Composed, as notes:",
            motif.decode(res.trained_values),
            "Composed, as values:",
            " ".join(res.trained_values),
        ]
        return lines + [m for m in [meter("music", res.trained_values)] if m]

    # -- trained starting points (core.files.starting_points) --------------------------------------------------------
    def starting_point(self) -> sps.StartingPoint | None:
        ck = self.corpus_key
        if ck is None or ck[0] != "bundled" or ck[2] != music_options():
            return None
        return next((sp for sp in sps.CATALOG.values() if sp.lab == self.key and sp.corpus == ck[1]), None)

    def widget_values_for(self, config: RNNConfig) -> dict[str, Any]:
        """The bundled starting points are LSTMs."""
        c = config
        return self.settings().widget_values(
            model=LSTM,
            hidden=c.hidden,
            window=c.seq_len,
            batch=c.batch_size,
            lr=c.learning_rate,
            seed=c.seed,
            max_steps=self.max_steps,
        )

    def load_starting_point(self, name: str, models_dir: Path = sps.MODELS_DIR) -> sps.Loaded:
        """The bundled Keras model ``name`` (a token vocabulary) for the lab's current bundled corpus, with its history
        and an untrained twin (the same architecture and seed before training) for the scorecard; ModelZipError with
        the reason when it can't be used, and then nothing changes."""
        from core.files import model_zip as mz
        from core.models.keras_trainer import SequenceTrainer

        sp = sps.CATALOG[name]
        if self.starting_point() != sp:
            raise mz.ModelZipError(
                f"Pick the bundled {sp.corpus.replace('_', ' ')} with the default codec settings to load this model."
            )
        data = sps.read(name, models_dir)
        raw = mz.read_meta(data, tokens=True)
        spec = self.settings()
        meta, notes = mz.validate_meta(raw, seq_len_range=spec["window"].span(), batch_range=spec["batch"].span())
        corpus = self.corpus
        trainer, tokens, _ = mz.import_model_zip(data, config_override=meta.get("config", {}), tokens=True)
        if list(tokens) != list(corpus.vocab.itos):
            raise mz.ModelZipError(
                f"The trained model's values don't match data/midi/{sp.corpus}: rebuild it with "
                "scripts/build_models.py."
            )
        config = trainer.config
        trainer.sample_batch = corpus.sample_batch
        trainer.val_batches = lambda: corpus.val_batches(VAL_BATCH, trainer.config.seq_len)
        trainer.set_progress(
            step=meta.get("step", trainer.step),
            tokens_seen=meta.get("tokens_seen", 0),
            elapsed_s=meta.get("elapsed_s", 0.0),
        )
        history = mz.read_history(data)
        if history is not None:
            trainer.history = history
        twin = SequenceTrainer(len(tokens), config, corpus.sample_batch)  # the same weights before any training
        untrained = twin.token_model()
        del twin
        sps.mark(trainer, trainer.step)
        sps.full_validation(trainer)  # the loaded weights' validation loss: the trainer's best so far
        self.archive_current()
        self.new_run(trainer, repr(self.corpus_key))
        self.untrained = untrained
        self.course_vocab = None
        self.running = False
        self.max_steps = max(int(self.max_steps), trainer.step + 2000)
        facts = sps.origin(raw)
        return sps.Loaded(name, config, trainer.step, " ".join([sps.said(sp, trainer.step, facts, "value"), *notes]))

    def export_starting_point(self, name: str, build: dict[str, Any]) -> bytes:
        """The current run as the model zip of starting point ``name`` (scripts/build_models.py), with the music check
        (trained against untrained compositions)."""
        from core.files import model_zip as mz

        sp, t = sps.CATALOG[name], self.trainer
        check = sps.music_check(self)
        facts = dict(
            name=name,
            title=sp.title,
            built_by="scripts/build_models.py",
            **build,
            val_loss=round(sps.full_validation(t), 4),
            train_loss=round(float(t.history.last_smooth()), 4),
            check={f"{row}_{m}": round(v, 4) for row, ms_ in check.items() for m, v in ms_.items()},
            better_than_untrained="yes" if sps.music_better(check) else "no",
        )
        opts = music_options()
        meta = dict(
            t.summary(),
            corpus=sp.corpus,
            app=sps.APP,
            codec=dict(max_chord=opts.max_chord, transpose=opts.transpose),
            starting_point=facts,
        )
        return mz.export_model_zip(t, list(self.corpus.vocab.itos), meta, history=t.history, tokens=True)
