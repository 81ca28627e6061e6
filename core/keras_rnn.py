"""Keras recurrent models over token ids, trained in bounded slices, plus a numpy fast path for sampling.

Shared by the Text lab (characters) and the Music lab (note events). The model is

    ids (batch, T) -> Embedding(vocab, embed_dim) -> [SimpleRNN | LSTM | GRU](hidden, return_sequences) x layers
                   -> Dense(vocab) logits (batch, T, vocab)

trained many-to-many: every position predicts the next token (sparse categorical cross-entropy from
logits, in nats), with Adam and gradient-norm clipping. ``SequenceTrainer.train_steps(n)`` runs exactly n
optimizer steps and returns, so a page can redraw in between. A loss that turns NaN/inf stops training
and restores the weights (and optimizer state) of the end of the last good call; a loss that explodes
(its running average rises EXPLODE_NATS above its best) stops training and restores the weights of the
call where the running average was lowest.

Sampling never calls ``model.predict`` per token: ``NumpyRNN`` copies the weights and runs one step at a
time in numpy (float32 like Keras, softmax in float64), and is tested against the Keras model.

TensorFlow/Keras are imported lazily (inside functions), so importing this module is cheap. Nothing here
seeds anything globally: every initializer, dropout layer and batch order gets its own seed.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from core.history import LossHistory

if TYPE_CHECKING:  # pragma: no cover
    import keras

CELLS = ("simplernn", "lstm", "gru")
CELL_NAMES = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}  # config value -> Keras class name
CLIPNORM = 1.0  # gradient clipping (global norm per variable, Keras `clipnorm`)
EXPLODE_NATS = 0.75  # the running training loss rising this far above its best (nats/token) counts as exploding
EXPLODE_WARMUP = 50  # steps of a trainer before the explosion check starts
EMA_DECAY = 0.9  # running training loss: ema = 0.9 * ema + 0.1 * loss (about the last 10 steps)
MAX_HIDDEN = 1024
MAX_LAYERS = 3

SampleBatch = Callable[[np.random.Generator, int, int], "tuple[np.ndarray, np.ndarray]"]
ValBatches = Callable[[], "list[tuple[np.ndarray, np.ndarray]]"]


class ModelFormatError(ValueError):
    """A loaded .keras file is not an Embedding -> recurrent layers -> Dense model this module can run."""


@dataclass(frozen=True)
class RNNConfig:
    cell: str = "lstm"  # "simplernn" | "lstm" | "gru"
    hidden: int = 256  # units per recurrent layer (1..1024)
    layers: int = 1  # stacked recurrent layers (1..3)
    embed_dim: int = 64  # token embedding size (Embedding, not one-hot)
    seq_len: int = 50  # training window length (tokens); 50 beat 100 after 1 minute (1.73 vs 1.88), ~even by 4 (bench/tune.py)
    batch_size: int = 64  # windows per step
    learning_rate: float = 1e-2  # Adam; tuned on 2 CPU cores for the lowest validation loss after 2-5 minutes (bench/tune.py)
    dropout: float = 0.0  # between layers / before the output
    seed: int = 0  # weights and batch order

    def validate(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if not 1 <= self.hidden <= MAX_HIDDEN:
            raise ValueError(f"hidden must be 1..{MAX_HIDDEN}")
        if not 1 <= self.layers <= MAX_LAYERS:
            raise ValueError(f"layers must be 1..{MAX_LAYERS}")
        if self.embed_dim < 1 or self.seq_len < 1 or self.batch_size < 1:
            raise ValueError("embed_dim, seq_len and batch_size must be >= 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        if not self.learning_rate > 0:
            raise ValueError("learning rate must be > 0")

    def same_architecture(self, other: "RNNConfig") -> bool:
        """Same weights shapes and seed (learning rate, batch and window length can change mid-run)."""
        keys = ("cell", "hidden", "layers", "embed_dim", "dropout", "seed")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def label(self) -> str:
        s = f"{CELL_NAMES[self.cell]} {self.hidden}" + (f"×{self.layers}" if self.layers > 1 else "")
        s += f" · emb {self.embed_dim} · lr {self.learning_rate:g} · seq {self.seq_len} · batch {self.batch_size}"
        if self.dropout:
            s += f" · drop {self.dropout:g}"
        return s + f" · seed {self.seed}"


@dataclass
class TrainReport:
    losses: list[float] = field(default_factory=list)  # mean train loss (nats/token) of each step in this call
    stopped_reason: str | None = None  # set if training had to stop (NaN/inf loss: weights rolled back to last good)


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


# ---------------------------------------------------------------------------------------------- model
def build_model(vocab_size: int, config: RNNConfig) -> "keras.Model":
    """Embedding -> cell x layers (return_sequences=True) -> Dense(vocab) logits; every initializer seeded."""
    config.validate()
    keras = _keras()
    L = keras.layers
    init = keras.initializers
    s = int(config.seed) * 1000  # distinct seed per initializer, all derived from config.seed
    cell_cls = {"simplernn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}[config.cell]
    layers: list = [
        keras.Input(shape=(None,), dtype="int32", name="tokens"),  # (batch, T)
        L.Embedding(vocab_size, config.embed_dim, embeddings_initializer=init.RandomUniform(-0.05, 0.05, seed=s + 1), name="embedding"),
    ]
    for i in range(config.layers):
        layers.append(
            cell_cls(
                config.hidden,
                return_sequences=True,
                kernel_initializer=init.GlorotUniform(seed=s + 10 + 3 * i),
                recurrent_initializer=init.Orthogonal(seed=s + 11 + 3 * i),
                name=f"rnn_{i}",
            )
        )  # (batch, T, hidden)
        if config.dropout > 0:
            layers.append(L.Dropout(config.dropout, seed=s + 12 + 3 * i, name=f"dropout_{i}"))
    layers.append(L.Dense(vocab_size, kernel_initializer=init.GlorotUniform(seed=s + 2), name="logits"))  # (batch, T, vocab)
    return keras.Sequential(layers, name=f"{config.cell}_lm")


def _rnn_params(cell: str, d_in: int, h: int) -> int:
    if cell == "simplernn":
        return d_in * h + h * h + h
    if cell == "lstm":
        return 4 * (d_in * h + h * h + h)
    return 3 * (d_in * h + h * h) + 2 * 3 * h  # GRU, reset_after=True: bias (2, 3h)


def count_params(vocab_size: int, config: RNNConfig) -> int:
    """Trainable parameters, computed without building the model."""
    n = vocab_size * config.embed_dim
    d_in = config.embed_dim
    for _ in range(config.layers):
        n += _rnn_params(config.cell, d_in, config.hidden)
        d_in = config.hidden
    return n + config.hidden * vocab_size + vocab_size


def _rnn_layers(model) -> list:
    keras = _keras()
    return [l for l in model.layers if isinstance(l, (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU))]


def config_from_model(model) -> RNNConfig:
    """Recover the architecture from a loaded model; ModelFormatError if it isn't Embedding -> RNNs -> Dense."""
    keras = _keras()
    L = keras.layers
    layers = [l for l in model.layers if not isinstance(l, L.InputLayer)]
    if not layers or not isinstance(layers[0], L.Embedding):
        raise ModelFormatError("The model must start with an Embedding layer (token ids in).")
    if not isinstance(layers[-1], L.Dense):
        raise ModelFormatError("The model must end with a Dense layer (one logit per token).")
    middle = layers[1:-1]
    rnns, dropouts = [], []
    for l in middle:
        if isinstance(l, (L.SimpleRNN, L.LSTM, L.GRU)):
            rnns.append(l)
        elif isinstance(l, L.Dropout):
            dropouts.append(l)
        else:
            raise ModelFormatError(f"Unsupported layer {type(l).__name__!r}: only SimpleRNN, LSTM, GRU and Dropout between Embedding and Dense.")
    if not 1 <= len(rnns) <= MAX_LAYERS:
        raise ModelFormatError(f"The model has {len(rnns)} recurrent layers; 1 to {MAX_LAYERS} are supported.")
    kinds = {type(l).__name__ for l in rnns}
    if len(kinds) != 1:
        raise ModelFormatError("All recurrent layers must be of the same kind.")
    for l in rnns:
        if not l.return_sequences or l.go_backwards or getattr(l, "stateful", False):
            raise ModelFormatError("Recurrent layers must return sequences and run forwards (not stateful).")
        if isinstance(l, L.GRU) and not l.cell.reset_after:
            raise ModelFormatError("Only GRUs with reset_after=True (the Keras default) are supported.")
        act = l.cell.activation.__name__ if hasattr(l.cell.activation, "__name__") else str(l.cell.activation)
        if act != "tanh":
            raise ModelFormatError("Only the default tanh activation is supported.")
        if isinstance(l, (L.LSTM, L.GRU)):
            ract = getattr(l.cell.recurrent_activation, "__name__", "")
            if ract != "sigmoid":
                raise ModelFormatError("Only the default sigmoid recurrent activation is supported.")
    hidden = {l.units for l in rnns}
    if len(hidden) != 1:
        raise ModelFormatError("All recurrent layers must have the same number of units.")
    emb, dense = layers[0], layers[-1]
    if dense.units != emb.input_dim:
        raise ModelFormatError(f"The Dense layer predicts {dense.units} tokens but the Embedding reads {emb.input_dim}.")
    act = getattr(dense.activation, "__name__", "")
    if act != "linear":
        raise ModelFormatError("The Dense layer must output logits (linear activation).")
    cell = {"SimpleRNN": "simplernn", "LSTM": "lstm", "GRU": "gru"}[kinds.pop()]
    return RNNConfig(cell=cell, hidden=hidden.pop(), layers=len(rnns), embed_dim=emb.output_dim, dropout=float(dropouts[0].rate) if dropouts else 0.0)


# ---------------------------------------------------------------------------------------------- numpy fast path
def _vm(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Vector (n,) times matrix (n, k) -> (k,). einsum, not BLAS: after TensorFlow has run, OpenBLAS's threads
    fight TF's thread pool and a single matrix-vector product gets ~10x slower on 2 cores."""
    return np.einsum("i,ij->j", v, m)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free


class NumpyRNN:
    """One-step numpy forward pass from a snapshot of the Keras weights (a core.sampling.TokenModel).

    State: a tuple with one entry per layer: h (hidden,) for SimpleRNN/GRU, (h, c) for LSTM.
    ``next_token_probs(state, None)``: "no input yet" feeds a zero embedding vector (the first layer sees
    only its bias), giving the model's guess for a first token; text pages prime with real characters instead.
    """

    def __init__(self, cell: str, embedding: np.ndarray, rnn_weights: list[list[np.ndarray]], dense: tuple[np.ndarray, np.ndarray]):
        self.cell = cell  # "simplernn" | "lstm" | "gru"
        f32 = np.float32
        self.embedding = np.asarray(embedding, f32)  # (vocab, embed_dim)
        self.layers = []  # per layer: (kernel (d_in, g*h), recurrent (h, g*h), bias) with keras shapes
        for k, u, b in rnn_weights:
            self.layers.append((np.asarray(k, f32), np.asarray(u, f32), np.asarray(b, f32)))
        self.hidden = self.layers[0][1].shape[0]  # units per layer
        self.dense_w = np.asarray(dense[0], f32)  # (hidden, vocab)
        self.dense_b = np.asarray(dense[1], f32)  # (vocab,)
        self.vocab_size = self.dense_w.shape[1]
        # the first layer's input projection for every token, precomputed: (vocab, g*h)
        self._first_proj = self.embedding @ self.layers[0][0]

    @classmethod
    def from_keras(cls, model) -> "NumpyRNN":
        keras = _keras()
        emb = next(l for l in model.layers if isinstance(l, keras.layers.Embedding))
        rnns = _rnn_layers(model)
        dense = model.layers[-1]
        cell = {"SimpleRNN": "simplernn", "LSTM": "lstm", "GRU": "gru"}[type(rnns[0]).__name__]
        return cls(cell, emb.get_weights()[0], [l.get_weights() for l in rnns], tuple(dense.get_weights()))

    def initial_state(self):
        z = np.zeros(self.hidden, np.float32)
        if self.cell == "lstm":
            return tuple((z, z) for _ in self.layers)
        return tuple(z for _ in self.layers)

    def _step(self, i: int, xw: np.ndarray, s):
        """One layer, one step. xw = x @ kernel (g*h,), without bias."""
        _, u, b = self.layers[i]
        h = self.hidden
        if self.cell == "simplernn":
            hn = np.tanh(xw + _vm(s, u) + b)
            return hn, hn
        if self.cell == "lstm":
            hp, cp = s
            z = xw + _vm(hp, u) + b  # gates i, f, c, o
            ig, fg, og = _sigmoid(z[:h]), _sigmoid(z[h : 2 * h]), _sigmoid(z[3 * h :])
            c = fg * cp + ig * np.tanh(z[2 * h : 3 * h])
            hn = og * np.tanh(c)
            return hn, (hn, c)
        # GRU, reset_after=True: bias (2, 3h) = input bias, recurrent bias; gates z, r, h
        mx = xw + b[0]
        mi = _vm(s, u) + b[1]
        zg = _sigmoid(mx[:h] + mi[:h])
        rg = _sigmoid(mx[h : 2 * h] + mi[h : 2 * h])
        hh = np.tanh(mx[2 * h :] + rg * mi[2 * h :])
        hn = zg * s + (1.0 - zg) * hh
        return hn, hn

    def next_token_probs(self, state, token: int | None):
        """(probs (vocab,) float64, new state) after feeding ``token`` (None = zero embedding)."""
        if token is None:
            xw = np.zeros(self.layers[0][0].shape[1], np.float32)
        else:
            xw = self._first_proj[int(token)]
        new_state = []
        x = None
        for i, s in enumerate(state):
            if i > 0:
                xw = _vm(x, self.layers[i][0])
            x, ns = self._step(i, xw, s)
            new_state.append(ns)
        logits = (_vm(x, self.dense_w) + self.dense_b).astype(np.float64)
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum(), tuple(new_state)


# ---------------------------------------------------------------------------------------------- trainer
class SequenceTrainer:
    """A Keras language model over token ids, trained n steps at a time (see the module docstring)."""

    def __init__(self, vocab_size: int, config: RNNConfig, sample_batch: SampleBatch, val_batches: ValBatches | None = None, *, _model=None):
        config.validate()
        if vocab_size < 2:
            raise ValueError("vocab_size must be >= 2")
        keras = _keras()
        self.config = config  # current settings (learning rate / batch / seq_len may change mid-run)
        self.vocab_size = int(vocab_size)  # tokens in and out
        self.sample_batch = sample_batch  # (rng, batch, seq_len) -> x, y int32 (batch, seq_len)
        self.val_batches = val_batches  # () -> fixed [(x, y)]
        self.step = 0  # optimizer steps done
        self.tokens_seen = 0  # training tokens consumed (batch * seq_len per step)
        self.elapsed_s = 0.0  # wall time spent in train_steps
        self.last_rate = 0.0  # tokens/s of the most recent train_steps call (excluding the first, compiling, call)
        self.history = LossHistory(names=("train",))  # x = step
        self.val_history = LossHistory(names=("val",), max_points=400)  # x = step
        self.rng = np.random.default_rng(config.seed)  # batch order
        self._lock = threading.Lock()  # saving (download thread) vs training
        if _model is None:
            self.model = build_model(self.vocab_size, config)
            self.model.compile(
                optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate, clipnorm=CLIPNORM),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
        else:
            self.model = _model
        self.optimizer = self.model.optimizer
        self.optimizer.build(self.model.trainable_variables)
        self.optimizer.learning_rate.assign(config.learning_rate)
        self._train_fn = None  # tf.function, traced on first use
        self._eval_fn = None
        self._good = self._snapshot()  # weights + optimizer state at the end of the last good call
        self._ema: float | None = None  # running training loss (EMA_DECAY)
        self._ema_steps = 0  # steps this object has trained (the explosion check starts after EXPLODE_WARMUP)
        self._best = None  # (snapshot, step, tokens_seen, ema) where the running loss was lowest, at the end of a call

    # -- settings that may change mid-run
    def set_training_params(self, *, learning_rate: float | None = None, batch_size: int | None = None, seq_len: int | None = None) -> None:
        changes = {k: v for k, v in dict(learning_rate=learning_rate, batch_size=batch_size, seq_len=seq_len).items() if v is not None}
        if changes:
            self.config = replace(self.config, **changes)
            self.config.validate()
            self.optimizer.learning_rate.assign(self.config.learning_rate)

    # -- training
    def _snapshot(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return [v.numpy().copy() for v in self.model.variables], [v.numpy().copy() for v in self.optimizer.variables]

    def _restore(self, snap) -> None:
        for v, a in zip(self.model.variables, snap[0]):
            v.assign(a)
        for v, a in zip(self.optimizer.variables, snap[1]):
            v.assign(a)

    def _build_fns(self) -> None:
        tf = _tf()
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
                    report.stopped_reason = (
                        f"Training stopped at step {self.step + 1:,}: the loss became {'NaN' if np.isnan(loss) else 'infinite'}. "
                        f"The weights were rolled back to the last good ones (step {self._good_step:,}). "
                        f"Try a lower learning rate (now {cfg.learning_rate:g})."
                    )
                    # the steps since the last good snapshot are undone
                    self.step = self._good_step
                    self.tokens_seen = self._good_tokens
                    break
                self.step += 1
                tokens += int(np.size(x))
                self.tokens_seen += int(np.size(x))
                self.history.append(self.step, train=loss)
                report.losses.append(loss)
                self._ema = loss if self._ema is None else EMA_DECAY * self._ema + (1 - EMA_DECAY) * loss
                self._ema_steps += 1
                if self._best is not None and self._ema > self._best[3] + EXPLODE_NATS:
                    snap, best_step, best_tokens, best_ema = self._best
                    report.stopped_reason = (
                        f"Training stopped at step {self.step:,}: the loss exploded (its running average rose from "
                        f"{best_ema:.2f} to {self._ema:.2f} nats per token). The weights were rolled back to those of "
                        f"step {best_step:,}, where it was lowest. Try a lower learning rate (now {cfg.learning_rate:g})."
                    )
                    self._restore(snap)
                    self._good = snap
                    self.step = self._good_step = best_step
                    self.tokens_seen = self._good_tokens = best_tokens
                    self._ema = best_ema
                    break
            dt = time.perf_counter() - t0
            self.elapsed_s += dt
            if report.stopped_reason is None:
                if not first_call and dt > 0:
                    self.last_rate = tokens / dt
                self._good = self._snapshot()
                self._good_step, self._good_tokens = self.step, self.tokens_seen
                if self._ema_steps >= EXPLODE_WARMUP and (self._best is None or self._ema < self._best[3]):
                    self._best = (self._good, self.step, self.tokens_seen, self._ema)
        return report

    _good_step = 0  # step count of the last good snapshot
    _good_tokens = 0  # tokens_seen of the last good snapshot

    def evaluate(self) -> float | None:
        """Mean validation loss (nats/token) over val_batches(); appended to val_history. None without validation data."""
        if self.val_batches is None:
            return None
        batches = self.val_batches()
        if not batches:
            return None
        with self._lock:
            if self._eval_fn is None:
                self._build_fns()
            total, count = 0.0, 0
            for x, y in batches:
                total += float(self._eval_fn(np.asarray(x, np.int32), np.asarray(y, np.int32)))
                count += int(np.size(y))
        val = total / max(count, 1)
        if np.isfinite(val):
            self.val_history.append(self.step, val=val)
        return val

    # -- inspection / sampling
    def param_count(self) -> int:
        return int(sum(int(np.prod(v.shape)) for v in self.model.trainable_variables))

    def numpy_model(self) -> NumpyRNN:
        """A fast sampler from a snapshot of the current weights."""
        with self._lock:
            return NumpyRNN.from_keras(self.model)

    def keras_next_token_probs(self, tokens: list[int]) -> np.ndarray:
        """Reference path: the Keras model's distribution (vocab,) float64 after the last of ``tokens``."""
        if len(tokens) == 0:
            raise ValueError("need at least one token")
        x = np.asarray([tokens], np.int32)  # (1, T)
        logits = np.asarray(self.model(x, training=False))[0, -1].astype(np.float64)
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()

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
        keras = _keras()
        path = Path(path)
        if path.suffix != ".keras":
            raise ModelFormatError("Only Keras native .keras files are accepted.")
        model = keras.saving.load_model(str(path), safe_mode=True, compile=True)
        arch = config_from_model(model)
        lr = None
        if getattr(model, "optimizer", None) is None:
            model.compile(
                optimizer=keras.optimizers.Adam(learning_rate=RNNConfig.learning_rate, clipnorm=CLIPNORM),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            )
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
        t.step = int(np.asarray(model.optimizer.iterations))
        t._good_step = t.step
        return t
