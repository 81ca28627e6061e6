"""The Keras labs' trainer: a language model over token ids, trained n optimizer steps at a time.

``SequenceTrainer`` implements the shared trainer interface (core.trainer) for the models of
core.keras_model. It trains many-to-many: every position of a window predicts the next token (sparse
categorical cross-entropy from logits, in nats), with Adam and per-tensor gradient clipping, through one
``tf.function`` step. A loss that turns NaN/inf stops training and restores the weights (and optimizer
state) of the end of the last good call; a loss that explodes (its running average rises EXPLODE_NATS
above its best) stops training and restores the weights of the call where the running average was lowest.
Sampling and inspection use ``token_model()``: a numpy copy of the weights (core.numpy_cells).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core.keras_model import (
    GRAPH_LOCK, ModelFormatError, RNNConfig, build_model, compile_model, config_from_model, keras_module, restore, snapshot, tf_module,
)
from core.numpy_cells import NumpyRNN
from core.numpy_rnn import softmax
from core.trainer import History, Stop, StopKind, TrainReport, mean_token_loss

EXPLODE_NATS = 0.75  # the running training loss rising this far above its best (nats/token) counts as exploding
EXPLODE_WARMUP = 50  # steps of a trainer before the explosion check starts
EMA_DECAY = 0.9  # running training loss: ema = 0.9 * ema + 0.1 * loss (about the last 10 steps)

SampleBatch = Callable[[np.random.Generator, int, int], "tuple[np.ndarray, np.ndarray]"]
ValBatches = Callable[[], "list[tuple[np.ndarray, np.ndarray]]"]


class SequenceTrainer:
    """A Keras language model over token ids, trained n steps at a time (see the module docstring)."""

    def __init__(self, vocab_size: int, config: RNNConfig, sample_batch: SampleBatch, val_batches: ValBatches | None = None, *, _model=None):
        config.validate()
        if vocab_size < 2:
            raise ValueError("vocab_size must be >= 2")
        self.config = config  # current settings (learning rate / batch / seq_len may change mid-run)
        self.vocab_size = int(vocab_size)  # tokens in and out
        self.sample_batch = sample_batch  # (rng, batch, seq_len) -> x, y int32 (batch, seq_len)
        self.val_batches = val_batches  # () -> fixed [(x, y)]
        self.step = 0  # optimizer steps done
        self.tokens_seen = 0  # training tokens consumed (batch * seq_len per step)
        self.elapsed_s = 0.0  # wall time spent in train_steps
        self.last_rate = 0.0  # tokens/s of the most recent train_steps call (excluding the first, compiling, call)
        self.history = History()  # train ("loss" per step, "smooth" = the running average) and validation, x = step
        self.rng = np.random.default_rng(config.seed)  # batch order
        self._lock = threading.RLock()  # saving (download thread) and hibernating (recovery sweep) vs training
        self._asleep: tuple | None = None  # (weights, optimizer state) as numpy while hibernated
        if _model is None:
            _model = build_model(self.vocab_size, config)
            compile_model(_model, config.learning_rate)
        self._attach(_model)
        self._train_fn = None  # tf.function, traced on first use
        self._eval_fn = None
        self._good = self._snapshot()  # weights + optimizer state at the end of the last good call
        self._ema: float | None = None  # running training loss (EMA_DECAY)
        self._ema_steps = 0  # steps this object has trained (the explosion check starts after EXPLODE_WARMUP)
        self._best = None  # (snapshot, step, tokens_seen, ema) where the running loss was lowest, at the end of a call
        self._good_step = 0  # step count of the last good snapshot
        self._good_tokens = 0  # tokens_seen of the last good snapshot

    # -- the Keras objects, and hibernation
    def _attach(self, model) -> None:
        self._model = model
        self._optimizer = model.optimizer
        self._optimizer.build(model.trainable_variables)
        self._optimizer.learning_rate.assign(self.config.learning_rate)

    @property
    def model(self):
        """The Keras model (rebuilt from the kept weights if the trainer was hibernated)."""
        with self._lock:
            if self._asleep is not None:
                self._wake()
            return self._model

    @property
    def optimizer(self):
        return self.model.optimizer

    def hibernate(self) -> int:
        """Keep only the weights, as numpy arrays, and drop every TensorFlow object (the model, its optimizer, the
        traced step functions) and the roll-back copies, so their memory is freed; the next use rebuilds the model
        with these weights (Adam's running averages start afresh). Returns the bytes kept."""
        with self._lock:
            if self._asleep is None:
                self._asleep = [v.numpy().copy() for v in self._model.variables]
                self._good = self._best = None  # roll-back points: taken again from the next good call
                self._model = self._optimizer = None
                self._train_fn = self._eval_fn = None
            return int(sum(a.nbytes for a in self._asleep))

    def _wake(self) -> None:
        weights = self._asleep
        model = build_model(self.vocab_size, self.config)
        compile_model(model, self.config.learning_rate)
        self._asleep = None
        self._attach(model)
        for v, a in zip(self._model.variables, weights):
            v.assign(a)
        self._good = self._snapshot()

    @property
    def asleep(self) -> bool:
        return self._asleep is not None

    @property
    def done(self) -> bool:
        """A Keras trainer has no budget of its own (a lab may set a step limit)."""
        return False

    def set_progress(self, *, step: int, tokens_seen: int, elapsed_s: float) -> None:
        """Counters of a loaded model (from its metadata), taken as the last good point."""
        self.step = self._good_step = int(step)
        self.tokens_seen = self._good_tokens = int(tokens_seen)
        self.elapsed_s = float(elapsed_s)

    # -- settings that may change mid-run
    def set_training_params(self, *, learning_rate: float | None = None, batch_size: int | None = None, seq_len: int | None = None) -> None:
        changes = {k: v for k, v in dict(learning_rate=learning_rate, batch_size=batch_size, seq_len=seq_len).items() if v is not None}
        if changes:
            self.config = replace(self.config, **changes)
            self.config.validate()
            self.optimizer.learning_rate.assign(self.config.learning_rate)

    # -- training
    def _snapshot(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return snapshot(self.model, self.optimizer)

    def _restore(self, snap) -> None:
        restore(self.model, self.optimizer, snap)

    def _build_fns(self) -> None:
        tf = tf_module()
        model, opt = self.model, self.optimizer
        spec = tf.TensorSpec([None, None], tf.int32)

        def loss_of(y, logits):  # mean nats per token
            return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))

        @tf.function(input_signature=[spec, spec], reduce_retracing=True)
        def train_fn(x, y):
            with tf.GradientTape() as tape:
                logits = model(x, training=True)  # (batch, T, vocab)
                loss = loss_of(y, tf.cast(logits, tf.float32))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        @tf.function(input_signature=[spec, spec], reduce_retracing=True)
        def eval_fn(x, y):
            logits = model(x, training=False)
            return tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=tf.cast(logits, tf.float32)))

        with GRAPH_LOCK:  # trace both now, one session at a time (core.keras_model.GRAPH_LOCK)
            train_fn.get_concrete_function()
            eval_fn.get_concrete_function()
        self._train_fn, self._eval_fn = train_fn, eval_fn

    def train_steps(self, n: int) -> TrainReport:
        """Exactly n optimizer steps (fewer only if the loss turns NaN/inf or explodes, which restores earlier good weights)."""
        report = TrainReport()
        if n <= 0:
            return report
        with self._lock:
            if self._train_fn is None:
                self._build_fns()
            first_call = self.step == 0 and self.elapsed_s == 0.0
            t0 = time.perf_counter()
            tokens = 0
            cfg = self.config
            for _ in range(n):
                x, y = self.sample_batch(self.rng, cfg.batch_size, cfg.seq_len)
                loss = float(self._train_fn(np.asarray(x, np.int32), np.asarray(y, np.int32)))
                if not np.isfinite(loss):
                    self._restore(self._good)
                    report.stop = Stop(
                        StopKind.DIVERGED,
                        f"Training stopped at step {self.step + 1:,}: the loss became {'NaN' if np.isnan(loss) else 'infinite'}. "
                        f"The weights were rolled back to the last good ones (step {self._good_step:,}). "
                        f"Try a lower learning rate (now {cfg.learning_rate:g}).",
                    )
                    # the steps since the last good snapshot are undone
                    self.step = self._good_step
                    self.tokens_seen = self._good_tokens
                    break
                self.step += 1
                tokens += int(np.size(x))
                self.tokens_seen += int(np.size(x))
                report.losses.append(loss)
                self._ema = loss if self._ema is None else EMA_DECAY * self._ema + (1 - EMA_DECAY) * loss
                self.history.record(self.step, loss, self._ema)
                self._ema_steps += 1
                if self._best is not None and self._ema > self._best[3] + EXPLODE_NATS:
                    snap, best_step, best_tokens, best_ema = self._best
                    report.stop = Stop(
                        StopKind.DIVERGED,
                        f"Training stopped at step {self.step:,}: the loss exploded (its running average rose from "
                        f"{best_ema:.2f} to {self._ema:.2f} nats per token). The weights were rolled back to those of "
                        f"step {best_step:,}, where it was lowest. Try a lower learning rate (now {cfg.learning_rate:g}).",
                    )
                    self._restore(snap)
                    self._good = snap
                    self.step = self._good_step = best_step
                    self.tokens_seen = self._good_tokens = best_tokens
                    self._ema = best_ema
                    break
            dt = time.perf_counter() - t0
            self.elapsed_s += dt
            if report.stop is None:
                if not first_call and dt > 0:
                    self.last_rate = tokens / dt
                self._good = self._snapshot()
                self._good_step, self._good_tokens = self.step, self.tokens_seen
                if self._ema_steps >= EXPLODE_WARMUP and (self._best is None or self._ema < self._best[3]):
                    self._best = (self._good, self.step, self.tokens_seen, self._ema)
        return report

    def evaluate(self) -> float | None:
        """Mean validation loss (nats/token) over val_batches(); recorded in the history. None without validation data."""
        if self.val_batches is None:
            return None
        batches = self.val_batches()
        if not batches:
            return None
        with self._lock:
            if self._eval_fn is None:
                self._build_fns()
            val = mean_token_loss(self._eval_fn, batches)
        if np.isfinite(val):
            self.history.record_val(self.step, val)
        return val

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
        return dict(config=asdict(self.config), step=self.step, tokens_seen=self.tokens_seen, elapsed_s=round(self.elapsed_s, 2))

    # -- files
    def save(self, path) -> None:
        """Keras native .keras file (architecture + weights + optimizer state)."""
        with self._lock:
            self.model.save(str(path))

    @classmethod
    def load(cls, path, sample_batch: SampleBatch, val_batches: ValBatches | None = None, config_override: dict | RNNConfig | None = None) -> "SequenceTrainer":
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
                raise ModelFormatError(f"config_override says {k}={over[k]!r} but the model has {k}={getattr(arch, k)!r}.")
        fields = {k: over[k] for k in ("seq_len", "batch_size", "learning_rate", "seed") if k in over}
        if "learning_rate" not in fields and lr is not None and lr > 0:
            fields["learning_rate"] = lr
        config = replace(arch, **fields)
        emb = next(l for l in model.layers if isinstance(l, keras.layers.Embedding))
        t = cls(emb.input_dim, config, sample_batch, val_batches, _model=model)
        t.set_progress(step=int(np.asarray(model.optimizer.iterations)), tokens_seen=0, elapsed_s=0.0)
        return t
