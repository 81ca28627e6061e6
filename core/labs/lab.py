"""The lab-session object: everything one lab of one browser session owns, in plain Python (no streamlit).

A page draws widgets and hands their values to its lab; the lab owns the rest:

- the corpus in use and the trainer (a core.models.trainer.Trainer), rebuilt when the architecture, seed or corpus
  changes (``restart_note`` says why), re-tuned in place when only training settings change;
- the archive of earlier runs, so their curves stay on the chart (at most ``MAX_RUNS``);
- the live schedule (``Schedule``): how long one refresh trains, how many steps one chunk holds (sized from
  the measured time per step), when validation and the live sample are due, and the step limit;
- the first slice's one-time costs paid before Start (``prepare``, on a thread of its own started by
  ``prepare_ahead`` when a page draws the lab): tracing, the starting validation, the untrained model's live sample;
- uploads turned into corpora or models (``UploadCache``: each file is decoded once per session);
- the series of the loss chart;
- the run's time-lapse (core.models.timelapse): at most ~30 read-only weight snapshots, evenly spaced, taken as it
trains;
  ``model_at(step)`` gives a sampler of the weights at a kept step without touching the live model;
- what the features ask of it, as plain data: its starting point, the baselines' held-out sequences (``held_out``),
  what Look inside explains and reads (``explainable``, ``distance_sequences``, ``neuron_input``, ``gate_sequences``)
  and the race's configurations and labels. A feature calls these and never asks which lab it has; a lab never
  imports a feature (core.toolkit, core.inside).

``ui.live`` drives any lab through ``run_slice()`` and the ``running`` / ``note`` fields, so the three labs
train, stop and report in one way: in the page's own refreshes, or, when ``schedule.worker`` is on, on the
session's training thread (core.labs.worker) while the page only draws. A slice holds the lab's ``lock``: code on
another thread (the page's drawing, a download) that reads the lab under it sees it between two slices, every part
of it from the same step; ``stop()``, ``configure()``, ``new_run()``, ``hibernate()`` and the samples (``locked``)
take it too, so they never change or read a run in the middle of a slice. The subclasses
(core.labs.dino_lab, core.labs.text_lab, core.labs.music_lab) add what is particular to each lab. Simplified on purpose:
one
trainer at a time per lab; a run's archive keeps its curves (not its weights).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Generic, Sequence, TypeVar

import numpy as np

from core import charts, palette, units
from core.labs.settings import LabSpec
from core.models.timelapse import TimeLapse
from core.models.trainer import Stop, StopKind, Trainer
from core.server.memory import release_memory, rss_bytes

MAX_RUNS = 6  # earlier runs kept on a lab's chart
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """How a lab trains while its page refreshes live."""

    slice_s: float = 0.5  # training time per refresh
    tick_s: float = 0.5  # the fragment timer (requests during a slice are coalesced)
    chunk_s: float = 0.2  # aim of one chunk of steps (the clock is checked between chunks)
    max_chunk: int = 50  # at most this many steps per chunk
    first_chunk: int = 1  # steps in the first chunk, before any time per step is measured
    eval_every_s: float | None = 5.0  # validation loss every so often (wall time); None: no validation
    sample_every_s: float | None = None  # a live sample every so often (wall time); None: none
    worker: bool = False  # train on the session's thread (core.labs.worker) while the page only draws
    worker_slice_s: float = 0.2  # with a worker: training per hold of the lock (ends early when the page waits)
    draw_s: float = 1.0  # with a worker: the page redraws the lab this often (its fragment timer)
    takes_turns: bool = False  # with a worker: training holds the interpreter lock, so one such lab trains at a time


@dataclass(frozen=True)
class ArchivedRun:
    """The curves of an earlier run, kept for the chart."""

    label: str  # legend label
    steps: list[int]  # x of the smoothed training loss
    smooth: list[float]  # smoothed training loss
    val_steps: list[int]  # x of the validation loss
    val: list[float]  # validation loss


ZERO_INPUT = "⟨start⟩"  # the label of the zero vector a sequence Look inside explains may start with


@dataclass(frozen=True)
class InsideSequence:
    """A sequence Look inside can explain: the prediction of each token after the ones before it."""

    title: str  # in a picker of several sequences: the name
    tokens: tuple  # token ids; tokens[0] may be None (the zero vector)
    labels: tuple[str, ...]  # what each token shows as
    step: int | None  # the model's step when it was generated
    what: str  # for the page: "the name “rex”"
    tempo: float | None = None  # music: the tempo its values play at (drawn on a piano roll); None: shown as text


@dataclass(frozen=True)
class TypedText:
    """Look inside's Neurons input as a text the student types, read character by character with ``chars``."""

    chars: tuple[str, ...]  # the model's vocabulary
    text: str | None  # the corpus's text (its held-out part is the default input); None: the model can't read it
    held_from: int  # where the held-out part of ``text`` starts


@dataclass(frozen=True)
class TypedNames:
    """Look inside's Neurons input as names the student types, one per line, each read from the zero state."""

    names: tuple[str, ...]  # the training names (a few of them are the default input)
    char_to_ix: dict[str, int]  # the model's vocabulary


@dataclass(frozen=True)
class Pieces:
    """Look inside's Neurons input as a piece of music the student picks."""

    options: dict[str, tuple[str, ...]]  # label -> values, in the picker's order (empty: no corpus yet)
    read: Callable[[Sequence[str]], list[int]]  # values -> the model's token ids (ValueError: it can't read them)


class NothingToRead(Exception):
    """Look inside has no data to read now; the message says why (a note, not an error)."""


@dataclass(frozen=True)
class HeldOut:
    """Token id sequences for the loss chart's baselines (core.toolkit.baselines): n-gram counts come from ``counted``,
    cross-entropies are measured on ``held``; with the words the page shows under the chart."""

    counted: list  # sequences of token ids (int arrays, 0 <= id < vocab_size)
    held: list  # the held-out sequences
    vocab_size: int
    orders: tuple[int, ...]  # the n-gram orders measured (1: unigram, 2: bigram, …)
    unit: str  # what a value is per: "character", "value" or "name"
    held_text: str  # what ``held`` is
    counted_text: str  # what ``counted`` is
    per: str = "token"  # "token": nats per predicted token; "sequence": total nats per held-out sequence
    note: str = ""  # words added after the smoothing's


class BudgetExceeded(Exception):
    """A model was not built: it would not fit in the server's memory budget (core.server.budget.Verdict says why)."""

    def __init__(self, verdict):
        super().__init__(verdict.message)
        self.verdict = verdict


@dataclass
class Note:
    """A message shown beside the Start / Stop buttons."""

    kind: StopKind  # finished (success), diverged / paused (warning), failed (error)
    text: str  # what the student reads


class PageFirstLock:
    """The lab's lock: a re-entrant lock that knows when a thread is waiting for it, so the training thread lets
    the page in first. A slice ends early (between two chunks of steps) when someone waits, and the training thread
    does not take the lock again while someone waits; a click is then answered after one chunk of training, not
    after a whole slice and its validation."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._count = threading.Lock()  # guards ``_waiting``
        self._waiting = 0  # threads blocked in acquire()

    @property
    def wanted(self) -> bool:
        """Whether a thread is waiting for the lock."""
        return self._waiting > 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(blocking=False):  # free, or held by this thread already
            return True
        if not blocking:
            return False
        with self._count:
            self._waiting += 1
        try:
            return self._lock.acquire(timeout=timeout)
        finally:
            with self._count:
                self._waiting -= 1

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def locked(method: Callable) -> Callable:
    """A lab method run under the lab's ``lock``: between two slices of a training thread, so it reads (samples
    from) the weights of one step."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return run


def changes(*items: tuple[str, object, object]) -> list[str]:
    """ "what old → new" for every (what, old, new) whose values differ: the reason in a "restarted" note."""
    return [f"{what} {old} → {new}" for what, old, new in items if old != new]


R = TypeVar("R")
Meter = Callable[[str, Any], "str | None"]  # (kind of sample, sample) -> the memorisation meter's words


@dataclass
class UploadCache(Generic[R]):
    """What an upload produced, kept per session: the uploader forgets its file when the student visits another
    page, the lab does not. ``get`` decodes a file once per (file id, options); a failure is kept as its message."""

    key: Any = None  # (file ids, options) of the kept upload
    name: str = ""  # file name(s) to show
    result: R | None = None  # the corpus (or other result); None when decoding failed
    message: str | None = None  # why it failed, or a note about how it was read

    def get(
        self, key: Any, name: str, build: Callable[[], tuple[R, str | None]], errors: tuple[type[Exception], ...]
    ) -> "UploadCache[R]":
        if key != self.key:
            try:
                result, message = build()
            except errors as exc:
                result, message = None, str(exc)
            self.key, self.name, self.result, self.message = key, name, result, message
        return self


class Lab:
    """State and schedule shared by every lab; see the module docstring."""

    key = "lab"  # the session-state key of this lab, and the prefix of its widgets
    schedule = Schedule()
    unit = "token"  # what one loss value is per (a name, a character, a value)
    chart_y = "loss (nats per token)"  # the loss chart's axis titles
    chart_x = "step"
    raw_name = "train"  # legend names of the raw and smoothed training loss
    smooth_name = "train, running average"

    @staticmethod
    def settings() -> LabSpec:
        """The lab's settings (core.labs.settings): what its page draws and what links, hide= and the kept
        settings read."""
        raise NotImplementedError

    def __init__(self) -> None:
        self.trainer: Trainer | None = None  # the current run's trainer
        self.corpus_id: str | None = None  # which corpus the current run trains on
        self.run_number = 0  # counts runs in this session (for labels)
        self.runs: list[ArchivedRun] = []  # earlier runs, oldest first
        self.running = False  # the live fragment trains while this is on
        self.note: Note | None = None  # shown by the buttons (why training stopped)
        self.restart_note: str | None = None  # shown once after a new run started (why)
        self.live_sample: Any = None  # the latest live sample (lab-specific), or None
        self.sec_per_step: float | None = None  # measured wall time per step (chunk sizing)
        self._last_eval = 0.0  # time.monotonic() of the last validation pass
        self._last_sample = 0.0  # time.monotonic() of the last live sample
        self.timelapse = TimeLapse()  # the current run's weight snapshots (core.models.timelapse)
        # what the look-inside views derived from the model (weight copies, traces; ui/inside/neuron_view.py), kept here
        # and
        # not in the session so that hibernate() and a new run drop it
        self.views: dict[str, Any] = {}
        self.lock = PageFirstLock()  # held by a slice of training; readers on other threads take it too
        self.drawn_at = 0.0  # time.monotonic() of the page's last drawing of this lab (0: not since hibernate())
        self.worker: Any = None  # the core.labs.worker.SessionWorker that trains this lab (None: none yet)
        self._ahead: tuple[Any, int, Any] | None = None  # (trainer, step, live sample) that prepare() made ahead
        self._prepared_for: Any = None  # the trainer prepare_ahead() last started prepare() for
        self._preparing: threading.Thread | None = None  # the thread running prepare(), if any

    # -- runs ------------------------------------------------------------------------------------------------
    def run_label(self) -> str:
        """The current run's legend label (lab-specific)."""
        return f"#{self.run_number}"

    # the hooks ``configure`` uses; each lab says what a "new model" is
    corpus_change = "a different corpus"  # the restart note's words when the corpus changed

    def same_model(self, old: Any, new: Any) -> bool:
        """Whether config ``new`` can continue the run built with ``old`` (same weights' shapes, same seed)."""
        raise NotImplementedError

    def retune(self, trainer: Trainer, config: Any) -> None:
        """Apply the settings that may change mid-run (learning rate, batch, …)."""
        raise NotImplementedError

    def build_trainer(self, corpus: Any, config: Any) -> Trainer:
        raise NotImplementedError

    def differences(self, old: Any, new: Any) -> list[tuple[str, object, object]]:
        """(what, old, new) for the settings that start a new run, for the restart note."""
        raise NotImplementedError

    # -- what the time-lapse, the race and the hand-in show of a lab ------------------------------------------------
    handin_files: tuple[str, ...] = ()  # files the hand-in holds besides the settings, losses, samples and charts

    def short_sample(self, model: Any, seed: int, *, extras: dict | None = None, corpus: Any = None) -> Any:
        """A short seeded sample of ``model`` in this lab's terms (core.models.timelapse.LabSample), for the
        time-lapse and the race. ``extras``: what building a racer set (the Music lab's capped vocabulary);
        ``corpus``: a racer's corpus (default: the current run's)."""
        raise NotImplementedError

    def handin_facts(self) -> dict[str, Any]:
        """What the hand-in's settings.json says of this lab's run besides the config, corpus and step."""
        return {}

    def handin_samples(self, meter: Meter) -> list[str]:
        """The run's samples as lines of samples.txt; ``meter(kind, sample)`` ("name", "text" or "music") gives the
        memorisation meter's words for one sample, or None when it can't be measured."""
        return []

    def composition(self) -> Any:
        """The last composition (the Music lab's), or None."""
        return None

    # -- get the code (core.files.get_code) ---------------------------------------------------------------------
    has_code = False  # whether get_code() writes this lab's program (the page shows "Get the code" only then)

    def get_code(self, *, trained: bool) -> Any:
        """This lab's training code for its current settings (a core.files.get_code.program.Program): a standalone
        script and notebook that start from scratch, or, with ``trained``, from the weights ``code_weights()``
        gives."""
        raise NotImplementedError

    def code_weights(self) -> tuple[str, bytes] | None:
        """(file name, bytes) of the trained weights the exported code can continue from; None before training."""
        return None

    # -- best weights (the Keras labs' trainers keep them: core.models.trainer.BestKeeper) ---------------------------
    def memorising(self) -> str | None:
        """What the page says when validation has risen clearly above its best (None while it has not)."""
        from core.models.trainer import memorising_message

        keeper = getattr(self.trainer, "keeper", None)
        return memorising_message(keeper, self.unit) if keeper is not None and keeper.memorising else None

    def restore_best(self) -> None:
        """The one click back to the best weights: training pauses and the note says what happened."""
        with self.lock:
            b = self.trainer.restore_best()
        self.stop(
            Note(
                StopKind.FINISHED,
                f"Back to the best weights: step {b.step:,}, validation {units.loss(b.val, self.unit)}. "
                "Training is paused; press Start to train on from them.",
            )
        )

    def starting_point(self) -> Any:
        """The bundled trained model (core.files.starting_points.StartingPoint) for the corpus this lab trains on now,
        or None; a lab that has one also has ``load_starting_point(name)`` and ``export_starting_point(name,
        build)``."""
        return None

    # -- baselines (core.toolkit.baselines) ---------------------------------------------------------------------
    def held_out_key(self) -> Any:
        """What ``held_out()`` depends on (equal keys: equal sequences); None when there is nothing to measure on."""
        return None

    def held_out(self) -> HeldOut | None:
        """The current corpus split into counted and held-out token id sequences, for the baselines; None: none."""
        return None

    # -- look inside (core.inside, ui/inside) -------------------------------------------------------------------
    token_name = "token"  # what one token is called on screen ("letter", "character", "value")

    def token_text(self, token: str) -> str:
        """One token as the page writes it for a student (the Music lab: a value in the motif syntax, 'N69_d2' ->
        'A4e'); here the token itself, for labs whose tokens read as they are."""
        return token

    explain_hint = "Generate something first, then pick a token to see which earlier tokens its prediction depended on."
    explain_picker: str | None = None  # the picker's label when the lab has several sequences to explain (None: one)
    explain_note: str | None = None  # a line shown with an explained sequence
    explain_legend: str | None = None  # a line shown under it (what its symbols mean)
    reads_typed_text = False  # Look inside can also read a text the student types

    def no_model(self) -> bool:
        """Whether there is no model to look inside."""
        return self.trainer is None

    def explainable(self) -> list[InsideSequence]:
        """What the Influence view can explain now: the sequences the model generated last (empty: none yet)."""
        return []

    state_name = "h"  # the hidden state's name on screen
    cell_title: str | None = None  # what the Gates tab calls a cell without gates (None: its Keras name)
    no_gates_aside = ""  # words after the Gates tab's note for a cell without gates

    def recurrent_cell(self) -> str:
        """The current model's cell: "simplernn", "lstm" or "gru"."""
        return getattr(self.trainer.config, "cell", "lstm")

    def neuron_input(self) -> TypedText | TypedNames | Pieces:
        """What the Neurons tab reads: a typed text, typed names or a picked piece, with what reading it needs."""
        raise NotImplementedError

    def gate_sequences(self, steps: int) -> tuple[tuple, str]:
        """About ``steps`` steps of held-out token ids to count the gates over (a tuple of sequences) and what they are
        in words; NothingToRead when there are none, ValueError when the model can't read them."""
        raise NotImplementedError

    def distance_sequences(self) -> tuple[list, str]:
        """Token id sequences "How far back" averages over (held-out ones where the lab has them; ``None`` = the zero
        input), and what they are in words; ValueError with the reason when there are none."""
        raise NotImplementedError

    # -- the architecture race (core.toolkit.race) -------------------------------------------------------------
    race_smoothing = 0.9  # the race's running average of the training loss: decay per step (a batch per step)

    def training_data(self) -> Any:
        """What the current run trains on, in the form ``build_trainer`` takes (None: nothing to train on)."""
        raise NotImplementedError

    def race_choices(self) -> tuple[str, list, list, Callable[[Any], str]]:
        """What a race of this lab varies: (the picker's label, the options, the default choice, an option's label)."""
        raise NotImplementedError

    def race_configs(self, choices: Sequence[Any]) -> list[Any]:
        """The racers' configs: the current run's config with the one setting a race varies set to each choice."""
        raise NotImplementedError

    def racer_label(self, config: Any) -> str:
        """A short legend label for racer ``config``."""
        raise NotImplementedError

    def race_shared(self) -> str:
        """The settings every racer shares with the current run, in words."""
        raise NotImplementedError

    def loss_targets(self, extras: dict | None = None) -> tuple | None:
        """What a model's loss is counted over (its vocabulary of targets), for a racer built with ``extras`` (None:
        the current run). None: every model of this lab predicts the same targets, so any two losses compare."""
        return None

    def widget_values_for(self, config: Any) -> dict[str, Any]:
        """The page's settings widgets (by key) for a loaded model's ``config``: set to them, the page keeps the
        loaded run instead of starting a new one."""
        raise NotImplementedError

    def vocab_size_of(self, corpus: Any) -> int:
        """Tokens in ``corpus``'s vocabulary (for the memory estimate of a Keras model)."""
        return corpus.vocab_size

    def budget_verdict(self, corpus: Any, config: Any, *, vocab_size: int | None = None):
        """core.server.budget.Verdict for building a Keras model of ``config`` now (the current run's own memory counts
        as
        free); None for models that are always small (the numpy RNN, the course's 45,530 parameters)."""
        from core.models.keras_model import RNNConfig
        from core.server import budget

        if not isinstance(config, RNNConfig):
            return None
        t = self.trainer
        replaced = (
            budget.training_bytes(t.vocab_size, t.config) if t is not None and isinstance(t.config, RNNConfig) else 0
        )
        return budget.check(vocab_size or self.vocab_size_of(corpus), config, max(0, rss_bytes() - replaced))

    def configure(self, corpus_id: str, corpus: Any, config: Any, *, force_new: bool = False) -> Trainer:
        """The run for these settings: the current one (re-tuned) or a new one (and say why). BudgetExceeded
        when a new model would not fit in the server's memory: then nothing is built and the run stays."""
        if not force_new and self.unchanged(corpus_id, config):
            return self.trainer  # nothing to apply: a page's rerun needn't wait for the training thread's chunk
        with self.lock:  # between two slices of a training thread
            return self._configure(corpus_id, corpus, config, force_new)

    def unchanged(self, corpus_id: str, config: Any) -> bool:
        """Whether the current run already has these settings, so that ``configure`` would change nothing. Read
        without the lock: only the page's thread replaces the trainer, its config or the lab's stop-at-best, and a
        slice of training changes none of them."""
        t = self.trainer
        return (
            t is not None
            and self.corpus_id == corpus_id
            and t.config == config
            and not getattr(t, "asleep", False)
            and getattr(t, "stop_at_best", None) == getattr(self, "stop_at_best", None)
        )

    def _configure(self, corpus_id: str, corpus: Any, config: Any, force_new: bool) -> Trainer:
        t = self.trainer
        if t is not None and not force_new and self.corpus_id == corpus_id and self.same_model(t.config, config):
            self.retune(t, config)
            return t
        verdict = self.budget_verdict(corpus, config)
        if verdict is not None and not verdict.ok:
            raise BudgetExceeded(verdict)
        why = None
        if t is not None:
            why = changes(*self.differences(t.config, config))
            if self.corpus_id != corpus_id:
                why.append(self.corpus_change)
            if force_new:
                why.append("you asked for a new run")
        self.new_run(self.build_trainer(corpus, config), corpus_id, why)
        return self.trainer

    def new_run(self, trainer: Trainer, corpus_id: str | None, changes: list[str] | None = None) -> None:
        """Replace the current run by ``trainer`` (the old one is archived; ``changes`` say why, shown once)."""
        with self.lock:
            self._new_run(trainer, corpus_id, changes)

    def _new_run(self, trainer: Trainer, corpus_id: str | None, changes: list[str] | None) -> None:
        if self.trainer is not None and changes is not None:
            had_steps = self.trainer.step > 0
            self.archive_current()
            self.restart_note = (
                "Started a new run: the model was restarted from scratch ("
                + ", ".join(changes or ["new settings"])
                + ")."
                + (" The previous run stays on the chart." if had_steps else "")
            )
        old, self.trainer = self.trainer, trainer
        self.corpus_id = corpus_id
        self.run_number += 1
        if old is not None and old.param_count() > 1_000_000:
            del old
            release_memory()  # a large model was dropped: give its memory back to the system
        self.note = None  # why the old run stopped
        self.live_sample = None
        self.sec_per_step = None
        self._last_eval = self._last_sample = 0.0
        self.timelapse = TimeLapse()  # a new run's snapshots start afresh (the old run's weights are gone)
        self.views = {}  # traces of the old model
        self.on_new_run()

    def on_new_run(self) -> None:
        """What a lab forgets when a new run starts (samples of the old model, …)."""

    def archive_current(self) -> None:
        """Keep the current run's curves (bounded list) before it is replaced."""
        t = self.trainer
        if t is None or t.step == 0:
            return
        h = t.history
        self.runs.append(
            ArchivedRun(
                self.run_label(),
                list(h.train.steps),
                list(h.train.values["smooth"]),
                list(h.val.steps),
                list(h.val.values["val"]),
            )
        )
        del self.runs[:-MAX_RUNS]

    def clear_runs(self) -> None:
        self.runs = []

    def take_restart_note(self) -> str | None:
        note, self.restart_note = self.restart_note, None
        return note

    # -- training --------------------------------------------------------------------------------------------
    @property
    def step_limit(self) -> int | None:
        """Training stops by itself at this step (None: no limit of the lab's own)."""
        return None

    def can_train(self) -> str | None:
        """None when the current run can train, else the reason it can't (shown instead of training)."""
        return None if self.trainer is not None else "There is no model yet."

    def start(self) -> None:
        self.running = True
        self.note = None

    def stop(self, note: Note | None = None) -> None:
        """Training off. A slice running on another thread (core.labs.worker) ends first: once this returns, the
        step stays where it is."""
        self.running = False
        with self.lock:
            if note is not None:
                self.note = note

    def request_stop(self) -> None:
        """Training off without waiting for the step in progress (the Stop button: the page redraws its buttons
        at once). A training thread ends after its current slice, or sooner, after the chunk in progress, when the
        page waits for the lab's lock, as its live area does when it draws; so the steps drawn are the last."""
        self.running = False

    def draw_every(self) -> float:
        """Seconds between two drawings of the page's live area while a training thread trains this lab."""
        return self.schedule.draw_s

    def mark_drawn(self) -> None:
        """The page has just drawn this lab: a tab is watching (a training thread pauses when none has for a
        while)."""
        self.drawn_at = time.monotonic()

    def run_slice(self, slice_s: float | None = None) -> Stop | None:
        """Train for about ``slice_s`` seconds (default ``schedule.slice_s``) in chunks, then do what is due
        (validation, live sample), holding ``lock`` throughout.

        Returns the first reason to stop. At least one step runs unless the limit is already reached. A slice
        that ends with the lab not running (Step, or the slice that Stop ended; core.labs.worker keeps one too when
        Stop came between two slices) keeps a roll-back point where the student left the model (``keep_point``).
        """
        with self.lock:
            stop = self._slice(self.schedule.slice_s if slice_s is None else slice_s)
            if stop is None and not self.running:
                self.keep_point()
            return stop

    def keep_point(self) -> None:
        """Keep the trainer's weights now as the point a NaN later rolls back to, for a trainer that keeps its points
        apart (core.models.keras_trainer.KerasTrainer.keep_point); the others keep one after every call anyway."""
        keep = getattr(self.trainer, "keep_point", None)
        if keep is not None:
            keep()

    def _slice(self, slice_s: float) -> Stop | None:
        reason = self.can_train()
        if reason:
            return Stop(StopKind.FAILED, reason)
        t = self.trainer
        sch = self.schedule
        limit = self.step_limit
        if sch.eval_every_s is not None and t.step == 0 and len(t.history.val) == 0 and t.evaluate() is not None:
            self._last_eval = time.monotonic()  # the starting point of the validation curve (about ln V)
        if sch.sample_every_s is not None and t.step == 0 and self.live_sample is None:
            self.live_sample = self.make_live_sample()  # the first live sample is the untrained model's
            self._last_sample = time.monotonic()
        stop: Stop | None = None
        lapse = self.timelapse
        lapse.observe(t)  # the first snapshot: the weights this run starts from
        t0 = time.perf_counter()
        while True:
            if (limit is not None and t.step >= limit) or t.done:
                stop = self.finished_stop()
                break
            n = self.chunk_size()
            if limit is not None:
                n = min(n, limit - t.step)
            due = lapse.steps_to_due(t.step)
            if due is not None:
                n = min(n, due)  # end the chunk at the next snapshot's step (exact spacing)
            c0, s0 = time.perf_counter(), t.step
            report = t.train_steps(n)
            lapse.observe(t)
            done = t.step - s0
            if done > 0 and report.stop is None:
                self.sec_per_step = (time.perf_counter() - c0) / done
            if report.stop is not None:
                stop = report.stop
                break
            if time.perf_counter() - t0 >= slice_s or self.lock.wanted:  # the page waits: let it in now
                if (limit is not None and t.step >= limit) or t.done:
                    stop = self.finished_stop()
                break
        if self.lock.wanted:
            return stop  # validation and the live sample wait for the next slice
        now = time.monotonic()
        if sch.eval_every_s is not None and now - self._last_eval >= sch.eval_every_s:
            t.evaluate()
            self._last_eval = time.monotonic()
        if sch.sample_every_s is not None and now - self._last_sample >= sch.sample_every_s:
            self.live_sample = self.make_live_sample()
            self._last_sample = time.monotonic()
        return stop

    def chunk_size(self) -> int:
        """Steps in the next chunk: about ``schedule.chunk_s`` at the measured time per step."""
        sch = self.schedule
        if not self.sec_per_step:
            return sch.first_chunk
        return int(np.clip(sch.chunk_s / max(self.sec_per_step, 1e-6), 1, sch.max_chunk))

    def finished_stop(self) -> Stop:
        return Stop(
            StopKind.FINISHED, f"Finished: {self.trainer.step:,} steps (the step limit). Raise it to keep training."
        )

    def make_live_sample(self) -> Any:
        """A short sample of the current model for the live view (``sample_of`` its weights now), or the one
        ``prepare`` made ahead of the same weights (the same sample)."""
        t = self.trainer
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead[0] is t and ahead[1] == t.step:
            return ahead[2]
        return self.sample_of(t.token_model(), t.step)

    def sample_of(self, model: Any, step: int) -> Any:
        """The live view's sample (lab-specific) of ``model``, the current run's weights at ``step``; None when the lab
        has none."""
        return None

    # -- before Start: the first slice's one-time costs, paid ahead ---------------------------------------------
    def prepare(self) -> None:
        """Do before Start what the first slice after it would do first, without changing the run: the trainer's
        one-time costs (``trainer.prepare()``, e.g. core.models.keras_trainer.KerasTrainer.prepare: tracing, a first
        call of the step functions, the starting validation) and, when the schedule has live samples, the untrained
        model's sample, kept for the first slice (``make_live_sample``). Holds the lab's lock only to copy the
        weights for that sample (the trainer's own lock in short spells for the rest), so the page draws meanwhile;
        a run that went to sleep (``hibernate``) is not woken."""
        t = self.trainer
        if t is None or self.can_train() is not None:
            return
        warm = getattr(t, "prepare", None)
        if warm is not None:
            warm()
        if self.schedule.sample_every_s is None:
            return
        with self.lock:  # the weights of one step (a slice of training can't be half done)
            if self.trainer is not t or t.step != 0 or self.live_sample is not None or getattr(t, "asleep", False):
                return
            model, step = t.token_model(), t.step
        sample = self.sample_of(model, step)
        with self.lock:  # not in the middle of anything that reads or changes the lab under it
            self._ahead = (t, step, sample)

    def prepare_ahead(self) -> threading.Thread | None:
        """Start ``prepare()`` on a thread of its own, once per run (again after ``hibernate``), while the lab is not
        training; the thread (tests join it), or None when nothing was started. A page calls this when it draws the
        lab (ui.live.live_area), so the student's Start finds the work done. A failure is logged and changes nothing:
        the first slice then pays the costs itself."""
        t = self.trainer
        if t is None or self.running or self._prepared_for is t or getattr(t, "asleep", False):
            return None
        if self._preparing is not None and self._preparing.is_alive():
            return None
        self._prepared_for = t
        self._preparing = threading.Thread(target=self._prepare_logged, daemon=True, name=f"rnnp-prepare-{self.key}")
        self._preparing.start()
        return self._preparing

    @property
    def prepared(self) -> bool:
        """Whether the first slice after Start would only train: ``prepare()`` has run to its end for this run, or its
        trainer has nothing to prepare (no ``prepare``: the numpy Dinosaur RNN)."""
        t = self.trainer
        if t is None or getattr(t, "prepare", None) is None:
            return True
        return self._prepared_for is t and not (self._preparing is not None and self._preparing.is_alive())

    def _prepare_logged(self) -> None:
        try:
            self.prepare()
        except Exception:  # noqa: BLE001 - logged; Start pays the costs itself
            log.exception("Preparing %s ahead of Start failed", type(self).__name__)

    @property
    def asleep(self) -> bool:
        """Whether the lab's model holds nothing but numpy arrays (nothing for hibernate() to free)."""
        return getattr(self.trainer, "asleep", True)

    def hibernate(self) -> int:
        """Free what a closed tab doesn't need (core.server.recovery): a Keras trainer keeps only numpy weights and
        optimizer state until it is used again. Returns the bytes the lab's model keeps. A training thread stops
        (nothing draws the lab any more) and the page that draws it next trains it again."""
        with self.lock:
            self.drawn_at = 0.0
            return self._hibernate()

    def _hibernate(self) -> int:
        self.views = {}  # the look-inside views' traces and weight copies: recomputed if the tab comes back
        self._prepared_for = None  # the traced functions go: prepared again once the page draws the lab
        t = self.trainer
        if t is None:
            return 0
        sleep = getattr(t, "hibernate", None)
        kept = int(sleep()) if sleep is not None else 8 * t.param_count()  # numpy float64 weights
        return kept + self.timelapse.nbytes  # the time-lapse's snapshots stay with the lab

    # -- time-lapse -------------------------------------------------------------------------------------------
    def snapshot_steps(self) -> list[int]:
        """The steps the time-lapse can show: the kept snapshots, then the live step if it is newer."""
        steps = self.timelapse.steps
        t = self.trainer
        if t is not None and (not steps or t.step > steps[-1]):
            steps.append(int(t.step))
        return steps

    def model_at(self, step: int):
        """A core.models.sampling.TokenModel of the weights at ``step``: the live model's sampler when ``step`` is the
        current
        step (its weights now, also after a restore of the best weights), else a kept snapshot (read-only). KeyError
        when that step is not kept. Sampling from it leaves the live model unchanged."""
        step = int(step)
        t = self.trainer
        if t is not None and step == t.step:
            return t.token_model()
        return self.timelapse.at(step).model  # KeyError naming the kept steps

    # -- chart -----------------------------------------------------------------------------------------------
    def loss_series(self, transform: Callable[[np.ndarray], np.ndarray] = lambda v: v) -> list[charts.Series]:
        """The loss chart's lines: this run's raw and smoothed training loss and its validation loss, then the
        earlier runs (validation where they have it, else smoothed training loss), dotted with markers: training
        solid, validation dashed, so the lines differ without their colours (core/palette.py). Each line's name ends
        with its run's label; with no earlier run the legend leaves the label out (the chart's summary says it once),
        so it fits a phone's narrow chart. The current run's lines carry ``meta="current"`` (the benchmark counts
        their points)."""
        t = self.trainer
        if t is None:
            return []
        h = t.history
        f = lambda ys: transform(np.asarray(ys, dtype=float))  # noqa: E731
        label = self.run_label()
        short = lambda kind: None if self.runs else kind  # noqa: E731
        now = {"meta": "current"}
        series = [
            charts.Series(
                f"{self.raw_name} · {label}",
                h.train.steps,
                f(h.train.values["loss"]),
                width=1,
                opacity=0.3,
                color=palette.TRAIN,
                extra=now,
                legend=short(self.raw_name),
            ),
            charts.Series(
                f"{self.smooth_name} · {label}",
                h.train.steps,
                f(h.train.values["smooth"]),
                width=2.5,
                color=palette.TRAIN,
                extra=now,
                legend=short(self.smooth_name),
            ),
        ]
        if len(h.val):
            series.append(
                charts.Series(
                    f"validation · {label}",
                    h.val.steps,
                    f(h.val.values["val"]),
                    dash="dash",
                    width=3,
                    color=palette.VALIDATION,
                    extra=now,
                    legend=short("validation"),
                )
            )
        for i, r in enumerate(reversed(self.runs)):
            color, symbol = palette.EARLIER[i % len(palette.EARLIER)], palette.SYMBOLS[i % len(palette.SYMBOLS)]
            if r.val:
                series.append(
                    charts.Series(
                        f"val · {r.label}", r.val_steps, f(r.val), dash="dot", width=2, color=color, symbol=symbol
                    )
                )
            else:
                series.append(
                    charts.Series(
                        f"train · {r.label}", r.steps, f(r.smooth), dash="dot", width=1.5, color=color, symbol=symbol
                    )
                )
        return series
