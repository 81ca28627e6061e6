"""The Keras labs' trainers: language models over token ids, trained n optimizer steps at a time.

``KerasTrainer`` is what both Keras trainers share (this module's ``SequenceTrainer`` and
core.models.course_model.CourseTrainer): the step, token and time counters, the history and chart events, the
running training loss, the NaN/explosion roll-back, the best validation weights, hibernation and waking. A
roll-back point is one ``Checkpoint`` (weights, optimizer state, step, tokens seen, running loss), taken by
``_checkpoint()`` and put back whole by ``_restore()``. A subclass builds the model and its step functions and
says how big a batch is.

``SequenceTrainer`` implements the shared trainer interface (core.models.trainer) for the models of
core.models.keras_model. It trains many-to-many: every position of a window predicts the next token (sparse
categorical cross-entropy from logits, in nats), with Adam and per-tensor gradient clipping, through one
``tf.function`` step. A loss that turns NaN/inf stops training and restores the weights (and optimizer
state) of the last roll-back point: the end of the last good call, or with ``point_every_s`` set, of the last good
call that kept one (at most that many seconds of training before, and wherever ``keep_point()`` was asked for); a
loss that explodes (its running average rises EXPLODE_NATS above its best) stops training and restores the kept
point where the running average was lowest.
Sampling and inspection use ``token_model()``: a numpy copy of the weights (core.models.numpy_cells).

Training gets better, never worse:

- the learning rate follows a schedule (core.models.lr_schedule; the config's rate is the peak), set before every step;
  ``lr_now()`` is the rate of the next step;
- every validation pass reports the loss and next-token accuracy; ``keeper`` (core.models.trainer.BestKeeper) keeps the
  weights of the best validation loss, ``restore_best()`` puts them back, and with ``stop_at_best`` training stops
  there by itself once validation has risen clearly above its best;
- ``eval_parts`` spreads a large validation set over calls: each ``evaluate()`` measures that many batches (in
  turn) and reports the mean over the latest result of every batch, so a validation point costs a fraction of
  the whole set (simplified on purpose: the batches' results come from weights a few seconds apart);
- ``events`` lists (step, short label) of rate changes, roll-backs and restores, for marks on the loss chart.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core import units
from core.models.keras_model import (
    GRAPH_LOCK,
    ModelFormatError,
    RNNConfig,
    build_model,
    compile_model,
    config_from_model,
    keras_module,
    restore,
    snapshot,
    tf_module,
)
from core.models.lr_schedule import PLATEAU, schedule_for
from core.models.numpy_cells import NumpyRNN
from core.models.numpy_rnn import softmax
from core.models.trainer import BestKeeper, History, Stop, StopKind, TrainReport, batch_stats, stop_at_best_stop

EXPLODE_NATS = 0.75  # the running training loss rising this far above its best (nats/token) counts as exploding
EXPLODE_WARMUP = 50  # steps of a trainer before the explosion check starts
GROUP_STEPS = 8  # a SequenceTrainer's optimizer steps per call of its traced group function (at most)
EMA_DECAY = 0.9  # running training loss: ema = 0.9 * ema + 0.1 * loss (about the last 10 steps)

SampleBatch = Callable[[np.random.Generator, int, int], "tuple[np.ndarray, np.ndarray]"]
ValBatches = Callable[[], "list[tuple[np.ndarray, np.ndarray]]"]


@dataclass(frozen=True)
class Checkpoint:
    """A trainer's state at one point, as numpy copies: what a roll-back (or waking) puts back."""

    weights: list  # the model's variables
    step: int  # optimizer steps done
    tokens_seen: int  # training tokens consumed
    ema: float | None  # the running training loss (None before the first step)
    optimizer: list  # the optimizer's variables (Adam's moments, step count, rate); empty when not kept

    def __getitem__(self, i: int):
        """Field ``i`` in the order above, so a checkpoint also reads as a tuple."""
        return getattr(self, fields(self)[i].name)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.weights) + sum(a.nbytes for a in self.optimizer))


class KerasTrainer(ABC):
    """What the Keras trainers share (see the module docstring). A subclass sets ``self._model`` and
    ``self._optimizer`` in ``_build_keras()``, traces ``self._train_fn`` / ``self._eval_fn`` in ``_build_fns()``
    and gives the batch shape in ``_batch_shape()``; it calls ``_start()`` first in its constructor and takes the
    first ``self._good = self._checkpoint()`` once its model is built."""

    unit = "token"  # what one token is, in messages ("character", "value")
    explode_nats: float | None = EXPLODE_NATS  # the explosion check's margin (None: no explosion check)
    keeps_adam_asleep = False  # whether hibernation keeps the optimizer's state (else it starts afresh on waking)

    def _start(self, vocab_size: int, config, sample_batch: SampleBatch, val_batches: ValBatches | None) -> None:
        self.config = config  # current settings (some may change mid-run: set_training_params)
        self.vocab_size = int(vocab_size)  # tokens in and out
        self.sample_batch = sample_batch  # (rng, batch, window) -> x, y int32 (batch, window)
        self.val_batches = val_batches  # () -> fixed [(x, y)]
        self.step = 0  # optimizer steps done
        self.tokens_seen = 0  # training tokens consumed (batch * window per step)
        self.elapsed_s = 0.0  # wall time spent in train_steps
        self.last_rate = 0.0  # tokens/s of the most recent train_steps call (excluding the first, compiling, call)
        self.history = History()  # train ("loss" per step, "smooth" = the running average) and validation, x = step
        self.events: list[tuple[int, str]] = []  # (step, short label): rate changes, roll-backs, restores (chart marks)
        self.keeper = BestKeeper()  # the weights of the best validation loss
        self.stop_at_best = False  # stop (at the best weights) once validation has risen clearly above its best
        self.rng = np.random.default_rng(config.seed)  # batch order
        self._lock = threading.RLock()  # saving (download thread) and hibernating (recovery sweep) vs training
        self._asleep: Checkpoint | None = None  # the state kept while hibernated
        self._model = self._optimizer = None  # the Keras objects (None while hibernated)
        self._train_fn = self._eval_fn = None  # tf.functions, traced on first use
        self._group_fn = None  # several steps in one call (a subclass may trace one; see _train_group)
        self.group_steps = 1  # at most this many steps per call of _group_fn (1: one call per step)
        self._good: Checkpoint | None = None  # the last roll-back point (the end of a good call)
        self.point_every_s = 0.0  # seconds of training between two roll-back points (0: at the end of every call)
        self._since_good = 0.0  # seconds trained since the last roll-back point
        self._best: Checkpoint | None = None  # the end of the call where the running loss was lowest (explosion check)
        self._ema: float | None = None  # running training loss (EMA_DECAY)
        self._ema_steps = 0  # steps this object has trained (the explosion check starts after EXPLODE_WARMUP)
        self._pending: Stop | None = None  # a stop decided by evaluate(), reported by the next train_steps()
        self._warm = False  # the step functions are traced and have run once (prepare() or a first train_steps())

    # -- what a subclass provides
    @abstractmethod
    def _build_keras(self) -> None:
        """Build the model and its optimizer (fresh weights) into ``self._model`` and ``self._optimizer``."""

    @abstractmethod
    def _build_fns(self) -> None:
        """Trace ``self._train_fn`` (one optimizer step, called through ``_train_call``: mean loss) and
        ``self._eval_fn(x, y) -> [summed loss, correct]``."""

    @abstractmethod
    def _batch_shape(self) -> tuple[int, int]:
        """(windows per step, window length) of the next training batches."""

    def _train_call(self, x: np.ndarray, y: np.ndarray):
        """One optimizer step on the batch (x, y); its mean loss (a scalar tensor)."""
        return self._train_fn(x, y)

    def _train_group(self, batches: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
        """One optimizer step per batch, in order; their mean losses. Here one ``_train_call`` per step, ending at
        the first loss that is not finite (the caller rolls back); a subclass with a ``_group_fn`` runs them all in
        one call."""
        losses = []
        for x, y in batches:
            self._before_step()
            losses.append(float(self._train_call(x, y)))
            if not np.isfinite(losses[-1]):
                break
        return losses

    def _before_step(self) -> None:
        """Called before every optimizer step."""

    def _after_step(self) -> None:
        """Called after every good optimizer step (``self.step`` counts it)."""

    def _after_restore(self) -> None:
        """Called after other weights were put in place (a roll-back, the best weights): drop what was measured."""

    def _advice(self) -> str:
        """A sentence appended to a roll-back's message (with a leading space), or ""."""
        return ""

    # -- the Keras objects, and hibernation
    @property
    def model(self):
        """The Keras model (rebuilt from the kept state if the trainer was hibernated)."""
        self._awake()
        return self._model

    @property
    def optimizer(self):
        self._awake()
        return self._optimizer

    def _awake(self) -> None:
        with self._lock:
            if self._asleep is not None:
                self._wake()

    def _wake(self) -> None:
        kept, self._asleep = self._asleep, None
        self._build_keras()
        self._put_back(kept)
        self._good = self._checkpoint()

    def _drop_keras(self) -> None:
        """Let go of every TensorFlow object, so that its memory is freed."""
        self._model = self._optimizer = None
        self._train_fn = self._eval_fn = self._group_fn = None
        self._warm = False

    def hibernate(self) -> int:
        """Keep the weights (and, with ``keeps_adam_asleep``, the optimizer's state) as numpy arrays and drop every
        TensorFlow object and the roll-back copies, so their memory is freed; the next use rebuilds the model with
        this state. Returns the bytes kept."""
        with self._lock:
            if self._asleep is None:
                self._asleep = self._checkpoint(optimizer=self.keeps_adam_asleep)
                self._good = self._best = None  # roll-back points: taken again from the next good call
                self._drop_keras()
            return self._asleep.nbytes

    @property
    def asleep(self) -> bool:
        return self._asleep is not None

    @property
    def done(self) -> bool:
        """A Keras trainer has no budget of its own (a lab may set a step limit)."""
        return False

    def set_progress(self, *, step: int, tokens_seen: int, elapsed_s: float) -> None:
        """Counters of a loaded model (from its metadata), taken as the last good point."""
        self.step = int(step)
        self.tokens_seen = int(tokens_seen)
        self.elapsed_s = float(elapsed_s)
        self._good = self._checkpoint()

    # -- roll-back points
    def _checkpoint(self, *, optimizer: bool = True) -> Checkpoint:
        """The state now (the optimizer's too unless ``optimizer`` is False)."""
        weights, state = snapshot(self.model, self._optimizer if optimizer else None)
        return Checkpoint(weights, self.step, self.tokens_seen, self._ema, state)

    def _put_back(self, cp: Checkpoint) -> None:
        restore(self._model, self._optimizer, (cp.weights, cp.optimizer))

    def _restore(self, cp: Checkpoint) -> None:
        """Put ``cp`` back whole: weights, optimizer state, step, tokens seen and the running loss."""
        self._awake()
        self._put_back(cp)
        self.step, self.tokens_seen, self._ema = cp.step, cp.tokens_seen, cp.ema
        self._after_restore()

    def _copy_weights(self) -> list[np.ndarray]:
        return snapshot(self.model)[0]

    # -- before the first step
    def prepare(self) -> None:
        """Pay ahead what the first ``train_steps`` and ``evaluate`` would pay first, without changing the run: trace
        the step functions, run the training step once on a batch of zeros and put the weights, the optimizer's state
        (and the dropout's random state: it is one of the model's variables) back as they were, then
        ``_prepare_validation()``. The batch order (``rng``), counters and history are not touched, so the run trains
        exactly as it would have. Nothing happens to a hibernated trainer (it stays asleep) or to one already warm.
        For a thread of its own (core.labs.lab.Lab.prepare_ahead): it holds ``_lock`` in short spells, so training,
        hibernation or a page that reads the model go first or wait for one spell."""
        with self._lock:
            if self._asleep is not None or self._warm:
                return
            if self._train_fn is None:
                self._build_fns()
        with self._lock:
            if self._asleep is not None or self._warm:
                return
            kept = self._checkpoint()
            batch, window = self._batch_shape()
            zeros = np.zeros((batch, window), np.int32)
            self._train_call(zeros, zeros)  # the first call's one-time cost (graph optimisation, kernels)
            if self._group_fn is not None:
                self._train_group([(zeros, zeros)] * 2)  # and the grouped steps' own
            self._put_back(kept)
            self._warm = True
        self._prepare_validation()

    def _prepare_validation(self) -> None:
        """Run the validation function once on a batch of zeros (the first call's cost; nothing is recorded)."""
        with self._lock:
            if self._asleep is None and self._eval_fn is not None:
                zeros = np.zeros(self._batch_shape(), np.int32)
                self._eval_fn(zeros, zeros)

    # -- training
    def train_steps(self, n: int) -> TrainReport:
        """Exactly n optimizer steps (fewer only if the loss turns NaN/inf or explodes, which restores earlier good
        weights)."""
        report = TrainReport()
        if self._pending is not None:  # evaluate() decided to stop (stop at the best validation)
            report.stop, self._pending = self._pending, None
            return report
        if n <= 0:
            return report
        with self._lock:
            self._awake()
            if self._train_fn is None:
                self._build_fns()
            first_call = self.step == 0 and self.elapsed_s == 0.0
            self._warm = True
            t0 = time.perf_counter()
            tokens = 0
            batch, window = self._batch_shape()
            left = int(n)
            while left > 0 and report.stop is None:
                k = min(left, max(1, self.group_steps))
                batches = [self.sample_batch(self.rng, batch, window) for _ in range(k)]
                batches = [(np.asarray(x, np.int32), np.asarray(y, np.int32)) for x, y in batches]
                left -= k
                for (x, _), loss in zip(batches, self._train_group(batches)):
                    if not np.isfinite(loss):
                        good, what = self._good, "NaN" if np.isnan(loss) else "infinite"
                        report.stop = self._roll_back(
                            good,
                            self.step + 1,
                            f"Training stopped at step {self.step + 1:,}: the loss became {what}. "
                            f"The weights were rolled back to the last good ones (step {good.step:,}).",
                        )  # the steps since the last good checkpoint are undone (and any later ones of the group)
                        break
                    self.step += 1
                    self._after_step()
                    tokens += int(np.size(x))
                    self.tokens_seen += int(np.size(x))
                    report.losses.append(loss)
                    self._ema = loss if self._ema is None else EMA_DECAY * self._ema + (1 - EMA_DECAY) * loss
                    self.history.record(self.step, loss, self._ema)
                    self._ema_steps += 1
                    best = self._best
                    if best is not None and self._ema > best.ema + self.explode_nats:
                        report.stop = self._roll_back(
                            best,
                            self.step,
                            f"Training stopped at step {self.step:,}: the loss exploded (its running average rose "
                            f"from {units.loss(best.ema, None, 2)} to {units.loss(self._ema, self.unit, 2)}). The "
                            "weights were rolled back to those of "
                            f"step {best.step:,}, the kept point where it was lowest.",
                        )
                        break
            dt = time.perf_counter() - t0
            self.elapsed_s += dt
            if report.stop is None:
                if not first_call and dt > 0:
                    self.last_rate = tokens / dt
                self._since_good += dt
                if self._good is None or self._since_good >= self.point_every_s:
                    self._take_point()
        return report

    def _take_point(self) -> None:
        """A roll-back point now (a copy of the weights and Adam's state: ~3 ms for the Text lab's LSTM 384); it is
        also the explosion check's best when the running loss is at its lowest."""
        self._good, self._since_good = self._checkpoint(), 0.0
        if (
            self.explode_nats is not None
            and self._ema_steps >= EXPLODE_WARMUP
            and (self._best is None or self._ema < self._best.ema)
        ):
            self._best = self._good

    def keep_point(self) -> None:
        """A roll-back point at the current step, unless the last one is there already (core.labs.lab.Lab: where
        the student left the model, after Step or Stop, so that a NaN later never goes back past it). A hibernated
        trainer stays asleep: it wakes with its point."""
        with self._lock:
            if self._asleep is None and (self._good is None or self._good.step != self.step):
                self._take_point()

    def _roll_back(self, cp: Checkpoint, at_step: int, message: str) -> Stop:
        """Go back to ``cp`` (it becomes the last good point); the stop says ``message`` and the trainer's advice."""
        message += self._advice()
        self.events.append((at_step, f"rolled back to step {cp.step:,}"))
        self._restore(cp)
        self._good = cp
        return Stop(StopKind.DIVERGED, message)

    # -- validation and the best weights
    def _observe_validation(self, val: float, acc: float) -> None:
        """Record a validation loss and its accuracy; keep the best weights; follow it (plateau, stop-at-best)."""
        if np.isfinite(val):
            self.history.record_val(self.step, val, acc)
            self.keeper.observe(self.step, val, acc, self._copy_weights)
            self._follow_validation(val)

    def _follow_validation(self, val: float) -> None:
        """Stop-at-best, after a validation loss ``val``."""
        if self.stop_at_best and self.keeper.memorising and self._pending is None:
            self._pending = stop_at_best_stop(self.keeper, self.unit)
            self.restore_best()

    def restore_best(self):
        """Put the weights of the best validation loss back (Adam's state stays); returns the
        core.models.trainer.BestWeights. The step count goes on (the chart shows a mark and the validation loss
        back at its best)."""
        b = self.keeper.best
        if b is None:
            raise ValueError("no validation loss has been measured yet")
        with self._lock:
            self._awake()
            restore(self._model, self._optimizer, (b.weights, []))
            self._after_restore()
            if self.explode_nats is not None:  # the explosion check starts afresh from these weights
                self._best, self._ema, self._ema_steps = None, None, 0
            self._good = self._checkpoint()
            self.events.append((self.step, f"best weights (step {b.step:,})"))
            self.keeper.restored(self.step)
            self.history.record_val(self.step, b.val, b.acc)
        return b

    def weights_note(self) -> str:
        """Which weights the model holds now (core.models.trainer.BestKeeper.weights_note)."""
        return self.keeper.weights_note(self.step, self.unit)

    def weights_step(self) -> int:
        """The step whose weights the model holds now (core.models.trainer.BestKeeper.weights_step)."""
        return self.keeper.weights_step(self.step)


class SequenceTrainer(KerasTrainer):
    """A Keras language model over token ids, trained n steps at a time (see the module docstring)."""

    def __init__(
        self,
        vocab_size: int,
        config: RNNConfig,
        sample_batch: SampleBatch,
        val_batches: ValBatches | None = None,
        *,
        _model=None,
    ):
        config.validate()
        if vocab_size < 2:
            raise ValueError("vocab_size must be >= 2")
        self._start(vocab_size, config, sample_batch, val_batches)
        self._build_keras(_model)
        self._good = self._checkpoint()
        self.schedule_shape = None  # an lr_schedule.LRSchedule instead of the cell's default shape (bench/tune.py)
        self.eval_parts: int | None = None  # validation batches per evaluate() (None: all of them every time)
        self._val_cache: dict[int, tuple[float, float, int]] = {}  # batch index -> (summed loss, correct, tokens)
        self._val_key: Any = None  # which list of batches the cache belongs to
        self._val_next = 0  # the next batch a spread evaluation measures
        self._val_ahead: int | None = None  # the step whose weights prepare() measured the cache with (None: not)
        self.group_steps = GROUP_STEPS
        self._halvings = 0  # PLATEAU: halvings so far
        self._plateau_best = float("inf")  # PLATEAU: the best validation loss since the last halving
        self._plateau_wait = 0  # PLATEAU: evaluations without an improvement of min_gain
        self._milestone = self.schedule.milestone(0)  # the schedule's last marked change
        self._lr_set: float | None = None  # the rate last given to Adam
        self._set_rate()

    # -- the Keras objects, and hibernation
    def _build_keras(self, model=None) -> None:
        if model is None:
            model = build_model(self.vocab_size, self.config)
            compile_model(model, self.config.learning_rate)
        self._model = model
        self._optimizer = model.optimizer
        self._optimizer.build(model.trainable_variables)
        self._optimizer.learning_rate.assign(self.config.learning_rate)

    def _wake(self) -> None:
        super()._wake()
        self._lr_set = None
        self._set_rate()

    def set_progress(self, *, step: int, tokens_seen: int, elapsed_s: float) -> None:
        super().set_progress(step=step, tokens_seen=tokens_seen, elapsed_s=elapsed_s)
        self._milestone = self.schedule.milestone(self.step, self._halvings)  # the schedule goes on from this step
        self._set_rate()

    # -- settings that may change mid-run
    def set_training_params(
        self,
        *,
        learning_rate: float | None = None,
        batch_size: int | None = None,
        seq_len: int | None = None,
        lr_schedule: str | None = None,
    ) -> None:
        changes = {
            k: v
            for k, v in dict(
                learning_rate=learning_rate, batch_size=batch_size, seq_len=seq_len, lr_schedule=lr_schedule
            ).items()
            if v is not None and v != getattr(self.config, k)
        }
        if changes:
            old = self.config
            self.config = replace(self.config, **changes)
            self.config.validate()
            if "lr_schedule" in changes:
                self._halvings, self._plateau_best, self._plateau_wait = 0, float("inf"), 0
                self._milestone = self.schedule.milestone(self.step)
                if self.step > 0:
                    self.events.append((self.step, f"schedule: {self.config.lr_schedule}"))
            if "learning_rate" in changes and self.step > 0:
                self.events.append((self.step, f"lr {old.learning_rate:g} → {self.config.learning_rate:g}"))
            self._set_rate()

    # -- the learning-rate schedule
    @property
    def schedule(self):
        """The run's core.models.lr_schedule.LRSchedule (its kind comes from the config, its shape from the cell)."""
        if self.schedule_shape is not None and self.schedule_shape.kind == self.config.lr_schedule:
            return self.schedule_shape
        return schedule_for(self.config.lr_schedule, self.config.cell)

    def lr_now(self) -> float:
        """The learning rate of the next optimizer step."""
        return self._lr_at(self.step)

    def _lr_at(self, step: int) -> float:
        """The learning rate of the optimizer step after ``step`` steps (no plateau halving in between)."""
        return float(self.config.learning_rate * self.schedule.factor(step, self._halvings))

    def _set_rate(self) -> None:
        lr = self.lr_now()
        if lr != self._lr_set and self._asleep is None:
            self._model.optimizer.learning_rate.assign(lr)
            self._lr_set = lr

    def _mark_rate(self) -> None:
        m = self.schedule.milestone(self.step, self._halvings)
        if m != self._milestone:
            self._milestone = m
            self.events.append((self.step, f"lr {self.lr_now():.2g}"))

    # -- training
    def _batch_shape(self) -> tuple[int, int]:
        return self.config.batch_size, self.config.seq_len

    def _train_call(self, x: np.ndarray, y: np.ndarray):
        """One optimizer step at the schedule's rate, which the traced step gives Adam itself: a Variable.assign of
        its own before every step cost ~0.6 ms, 6-8% of a Music lab step."""
        lr = self.lr_now()
        out = self._train_fn(x, y, np.float32(lr))
        self._lr_set = lr
        return out

    def _train_group(self, batches: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
        """Up to ``group_steps`` optimizer steps in one call of the traced ``_group_fn``, each at the schedule's
        rate for its step. One call per step cost the Music lab's default LSTM ~15% of its speed in Python and
        TensorFlow's dispatch (side by side: 127 steps/s one call per step, 151 grouped, ``model.fit`` 148). A loss
        that is not finite stops nothing inside the call: the caller rolls back to weights from before the group."""
        if self._group_fn is None or len(batches) < 2:
            return super()._train_group(batches)
        xs = np.stack([x for x, _ in batches])  # (k, batch, window)
        ys = np.stack([y for _, y in batches])
        rates = np.array([self._lr_at(self.step + i) for i in range(len(batches))], np.float32)  # (k,)
        losses = self._group_fn(xs, ys, rates).numpy()
        self._lr_set = float(rates[-1])
        return [float(v) for v in losses]

    def _after_step(self) -> None:
        self._mark_rate()

    def _after_restore(self) -> None:
        self._val_cache.clear()
        self._val_ahead = None
        self._lr_set = None  # a roll-back also put Adam's rate back

    def _advice(self) -> str:
        return f" Try a lower learning rate (now {self.config.learning_rate:g})."

    def _build_fns(self) -> None:
        tf = tf_module()
        model, opt = self.model, self.optimizer
        spec = tf.TensorSpec([None, None], tf.int32)

        def loss_of(y, logits):  # mean nats per token
            return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))

        @tf.function(input_signature=[spec, spec, tf.TensorSpec([], tf.float32)], reduce_retracing=True)
        def train_fn(x, y, lr):
            opt.learning_rate.assign(lr)  # the schedule's rate for this step
            with tf.GradientTape() as tape:
                logits = model(x, training=True)  # (batch, T, vocab)
                loss = loss_of(y, tf.cast(logits, tf.float32))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        @tf.function(input_signature=[spec, spec], reduce_retracing=True)
        def eval_fn(x, y):  # [summed nats, correct next-token guesses] of one batch
            logits = tf.cast(model(x, training=False), tf.float32)  # (batch, T, vocab)
            nats = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), y), tf.float32))
            return tf.stack([nats, correct])

        group = tf.TensorSpec([None, None, None], tf.int32)

        @tf.function(input_signature=[group, group, tf.TensorSpec([None], tf.float32)], reduce_retracing=True)
        def group_fn(xs, ys, rates):  # k steps in one call: xs, ys (k, batch, T), rates (k,) -> losses (k,)
            losses = tf.TensorArray(tf.float32, size=tf.shape(xs)[0])
            for i in tf.range(tf.shape(xs)[0]):
                losses = losses.write(i, train_fn(xs[i], ys[i], rates[i]))
            return losses.stack()

        with GRAPH_LOCK:  # trace all three now, one session at a time (core.models.keras_model.GRAPH_LOCK)
            train_fn.get_concrete_function()
            eval_fn.get_concrete_function()
            group_fn.get_concrete_function()
        self._train_fn, self._eval_fn, self._group_fn = train_fn, eval_fn, group_fn

    def evaluate(self, full: bool = False) -> float | None:
        """Mean validation loss (nats/token) over val_batches(), recorded in the history with the next-token
        accuracy; None without validation data. With ``eval_parts`` set (and not ``full``), only that many batches
        are measured now (in turn), the others count with their latest result (see the module docstring).
        Keeps the best weights; the plateau schedule and stop-at-best follow it."""
        if self.val_batches is None:
            return None
        batches = self.val_batches()
        if not batches:
            return None
        n = len(batches)
        with self._lock:
            if self._eval_fn is None:
                self._build_fns()
            key = (id(batches), n)
            ahead, self._val_ahead = self._val_ahead, None  # prepare() measured the cache at this step
            if key != self._val_key or ahead not in (None, self.step):
                self._val_key, self._val_cache, self._val_next = key, {}, 0  # prepare()'s results are of other weights
            if ahead == self.step and len(self._val_cache) == n and not full:
                todo = []  # every batch measured on these very weights: what measuring them all now gives
            elif full or self.eval_parts is None or self.eval_parts >= n or len(self._val_cache) < n:
                todo = range(n)
            else:
                todo = [(self._val_next + k) % n for k in range(self.eval_parts)]
                self._val_next = (self._val_next + self.eval_parts) % n
            for i in todo:
                self._val_cache[i] = batch_stats(self._eval_fn, *batches[i])
            total = sum(c[0] for c in self._val_cache.values())
            correct = sum(c[1] for c in self._val_cache.values())
            count = max(1, sum(c[2] for c in self._val_cache.values()))
            val, acc = total / count, correct / count
            self._observe_validation(val, acc)
        return val

    def _prepare_validation(self) -> None:
        """Measure every validation batch now, for the first ``evaluate``: it measures them all (a spread evaluation
        starts from a full cache), and finds them measured on the same weights. Each batch in its own spell of
        ``_lock``; a step taken meanwhile makes ``evaluate`` measure afresh (``_val_ahead``)."""
        batches = self.val_batches() if self.val_batches is not None else None
        if not batches:
            return
        key = (id(batches), len(batches))
        for i, batch in enumerate(batches):
            with self._lock:
                if self._asleep is not None or self._eval_fn is None:
                    return
                if i == 0 or key != self._val_key:
                    self._val_key, self._val_cache, self._val_next, self._val_ahead = key, {}, 0, self.step
                if self._val_ahead != self.step:
                    return
                self._val_cache[i] = batch_stats(self._eval_fn, *batch)

    def _follow_validation(self, val: float) -> None:
        """The plateau schedule and stop-at-best, after a validation loss ``val``."""
        if self.config.lr_schedule == PLATEAU:
            s = self.schedule
            if val < self._plateau_best - s.min_gain:
                self._plateau_best, self._plateau_wait = val, 0
            else:
                self._plateau_wait += 1
                if self._plateau_wait >= s.patience and s.factor(0, self._halvings + 1) < s.factor(0, self._halvings):
                    self._halvings += 1
                    self._plateau_wait = 0
                    self._plateau_best = val
                    self._mark_rate()
                    self._set_rate()
        super()._follow_validation(val)

    # -- inspection / sampling
    def param_count(self) -> int:
        return int(sum(int(np.prod(v.shape)) for v in self.model.trainable_variables))

    def token_model(self) -> NumpyRNN:
        """A fast sampler from a snapshot of the current weights."""
        with self._lock:
            return NumpyRNN.from_keras(self.model)

    def keras_next_token_probs(self, tokens: list[int]) -> np.ndarray:
        """Reference path: the Keras model's distribution (vocab,) float64 after the last of ``tokens``."""
        if len(tokens) == 0:
            raise ValueError("need at least one token")
        x = np.asarray([tokens], np.int32)  # (1, T)
        logits = np.asarray(self.model(x, training=False))[0, -1].astype(np.float64)  # (vocab,)
        return softmax(logits)

    def summary(self) -> dict[str, Any]:
        """Plain-data facts about the run (for vocab.json metadata and labels)."""
        return dict(
            config=asdict(self.config), step=self.step, tokens_seen=self.tokens_seen, elapsed_s=round(self.elapsed_s, 2)
        )

    # -- files
    def save(self, path) -> None:
        """Keras native .keras file (architecture + weights + optimizer state). The optimizer's rate in the file is the
        peak (the config's learning rate); the schedule sets the rate of each step again after loading."""
        with self._lock:
            opt = self.model.optimizer
            opt.learning_rate.assign(self.config.learning_rate)
            try:
                self.model.save(str(path))
            finally:
                self._lr_set = None
                self._set_rate()

    @classmethod
    def load(
        cls,
        path,
        sample_batch: SampleBatch,
        val_batches: ValBatches | None = None,
        config_override: dict | RNNConfig | None = None,
    ) -> "SequenceTrainer":
        """Load a .keras file in safe mode (no Lambda / custom code); the architecture comes from the model.

        config_override: training settings to use (seq_len, batch_size, learning_rate, seed); architecture
        fields in it must agree with the model's.
        """
        keras = keras_module()
        path = Path(path)
        if path.suffix != ".keras":
            raise ModelFormatError("Only Keras native .keras files are accepted.")
        model = keras.saving.load_model(str(path), safe_mode=True, compile=True)
        arch = config_from_model(model)
        lr = None
        if getattr(model, "optimizer", None) is None:
            compile_model(model, RNNConfig.learning_rate)
        else:
            try:
                lr = float(f"{float(np.asarray(model.optimizer.learning_rate)):.6g}")  # float32 -> the value typed
            except Exception:  # noqa: BLE001 - a schedule: fall back to the default
                lr = None
        over = asdict(config_override) if isinstance(config_override, RNNConfig) else dict(config_override or {})
        for k in ("cell", "hidden", "layers", "embed_dim"):
            if k in over and over[k] != getattr(arch, k):
                raise ModelFormatError(
                    f"config_override says {k}={over[k]!r} but the model has {k}={getattr(arch, k)!r}."
                )
        fields = {k: over[k] for k in ("seq_len", "batch_size", "learning_rate", "seed") if k in over}
        if "learning_rate" not in fields and lr is not None and lr > 0:
            fields["learning_rate"] = lr
        config = replace(arch, **fields)
        emb = next(l for l in model.layers if isinstance(l, keras.layers.Embedding))
        t = cls(emb.input_dim, config, sample_batch, val_batches, _model=model)
        t.set_progress(step=int(np.asarray(model.optimizer.iterations)), tokens_seen=0, elapsed_s=0.0)
        return t
