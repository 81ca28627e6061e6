"""The course's jazz model ("Improvise a Jazz Solo with an LSTM Network"), built as the course builds it.

The model reads one-hot values (no embedding) and applies the *same three layers* at every time step:

    X (m, Tx, n_values), a0 (m, n_a), c0 (m, n_a)
    for t in range(Tx):
        x = X[:, t, :]                                  # (m, n_values)   the course slices with a Lambda; Keras 3
                                                        #                 slices symbolic tensors directly
        x = reshaper(x)                                 # (m, 1, n_values)  Reshape((1, n_values))
        a, _, c = LSTM_cell(x, initial_state=[a, c])    # (m, n_a) each   ONE shared LSTM(n_a, return_state=True)
        out = densor(a)                                 # (m, n_values)   ONE shared Dense(n_values, softmax)
        outputs.append(out)                             # Tx outputs: the model predicts the next value at every step

so it has only the LSTM's and the Dense layer's weights, whatever Tx is:

    LSTM   4 × (n_a × (n_values + n_a) + n_a)   = 4 × (64 × 154 + 64) = 39,680   (4 gates: input, forget, cell, output)
    Dense  n_a × n_values + n_values             = 64 × 90 + 90        =  5,850
    total                                                              = 45,530   (n_a = 64, n_values = 90)

Training (the course): Y is X shifted by one value, given to Keras as a list of Tx arrays (m, n_values);
the loss is categorical cross-entropy on the softmax outputs; Adam(lr=0.01, beta_1=0.9, beta_2=0.999,
decay=0.01). Keras 3 dropped ``decay``; Keras 2 applied it as lr_t = lr / (1 + decay × iterations),
which is exactly ``InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)``, used here. The course fits
60 examples with Keras's default batch of 32; here every step draws ``batch_size`` random windows of
Tx + 1 values from the training pieces (core.music.music_data), as the other Music-lab models do.

Inference (the course's ``music_inference_model``): x0, a0 and c0 are inputs (zeros), the same LSTM cell
and Dense layer run Ty steps, and each step's most likely value (argmax) is fed back as a one-hot
(``RepeatVector(1)``): a deterministic composition. ``CourseNumpyModel`` runs the same weights in numpy as
a ``core.models.sampling.TokenModel``, so the app's sampler can also draw with a temperature and the inspector
can show every step; it is tested against the Keras inference model.

The vocabulary is capped to the course's 90 values (``cap_vocabulary``): the 89 most common values of
the corpus keep their own index and index 89 stands for every other value. Its token is the corpus's
90th most common value (the most common of the values it stands for), so index 89 is a real value. A composition
still never picks it when it stands for several values (``composing_rules``): the model learned "some rarer value"
there, and playing one of them for every such guess (argmax from silence of a young model can do nothing else) is
not the course's music. Nor does a composition play one value more than ``MAX_REPEAT`` times in a row: the next
most likely value comes then, so argmax from silence can't settle on a single value for the whole piece.

What differs from the course's code: the LSTM layer has ``unroll=True`` (see ``course_layers``), and
every initializer is seeded. What is simplified on purpose: the loss this module reports is the *mean* cross-entropy per
value (nats),
like the other labs' charts; Keras's ``fit`` in the course reports the *sum* over the Tx outputs (about
Tx × this), and Adam's steps do not depend on that scale. No gradient clipping (the course has none);
a NaN/inf loss restores the last good weights. TensorFlow is imported inside functions only.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from core.models.keras_trainer import KerasTrainer, SampleBatch, ValBatches
from core.models.numpy_cells import lstm_step, vec_mat
from core.models.trainer import token_stats
from core.music.motif import value_text

N_VALUES = 90  # the course's vocabulary size
N_A = 64  # the course's LSTM units
MAX_REPEAT = 4  # a composition's longest run of one value; after it the next most likely value is picked
TX = 30  # the course's time steps


@dataclass(frozen=True)
class CourseConfig:
    """The course's settings (defaults) for the jazz model."""

    n_a: int = N_A  # LSTM units: the size of a⟨t⟩ and c⟨t⟩
    Tx: int = TX  # time steps the training model is unrolled for (window length in values)
    batch_size: int = 32  # windows per step (Keras fit's default batch, which the course used)
    learning_rate: float = 0.01  # Adam's initial learning rate (the course)
    beta_1: float = 0.9  # Adam (the course)
    beta_2: float = 0.999  # Adam (the course)
    decay: float = 0.01  # lr_t = learning_rate / (1 + decay × step): Keras 2's `decay`, as InverseTimeDecay
    seed: int = 0  # weights and window order

    def label(self) -> str:
        """A short description, like core.models.keras_model.RNNConfig.label (the model first, then " · " parts)."""
        return f"course n_a {self.n_a} · Tx {self.Tx} · batch {self.batch_size} · seed {self.seed}"

    def validate(self) -> None:
        if not 1 <= self.n_a <= 1024:
            raise ValueError("n_a must be 1..1024")
        if not 1 <= self.Tx <= 200:
            raise ValueError("Tx must be 1..200")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not self.learning_rate > 0 or self.decay < 0:
            raise ValueError("the learning rate must be > 0 and the decay >= 0")
        if not (0 <= self.beta_1 < 1 and 0 <= self.beta_2 < 1):
            raise ValueError("beta_1 and beta_2 must be in [0, 1)")

    def learning_rate_at(self, step: int) -> float:
        """The decayed learning rate Adam uses at optimizer step ``step`` (0-based)."""
        return self.learning_rate / (1.0 + self.decay * step)


def course_param_count(n_a: int = N_A, n_values: int = N_VALUES) -> int:
    """Trainable parameters of the course's model, by the formula: one LSTM cell + one Dense layer."""
    lstm = 4 * (n_a * (n_values + n_a) + n_a)  # 4 gates, each [Wx | Wa] (n_a, n_values + n_a) and a bias (n_a,)
    dense = n_a * n_values + n_values  # Wy (n_values, n_a) and by (n_values,)
    return lstm + dense


# ---------------------------------------------------------------------------------------------- vocabulary
def cap_vocabulary(pieces_values: Iterable[Sequence[str]], n: int = N_VALUES) -> tuple[list[str], dict[str, int]]:
    """The course's vocabulary: (itos, mapping).

    itos: the n values of the capped vocabulary; the first n − 1 are the corpus's most common values
    (ties in alphabetical order, as core.music.music_codec.Vocabulary), the last is the stand-in for all other
    values: the n-th most common value, which is what index n − 1 plays as.
    mapping: every value of the corpus -> its index (the rare ones -> n − 1). A corpus with n values or
    fewer keeps them all (then nothing is folded).
    """
    if n < 2:
        raise ValueError("the capped vocabulary needs at least 2 values")
    counts: Counter = Counter()
    for piece in pieces_values:
        counts.update(piece)
    if not counts:
        raise ValueError("the corpus has no values")
    ordered = [v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    itos = ordered[:n]
    mapping = {v: i for i, v in enumerate(itos)}
    for v in ordered[n:]:
        mapping[v] = n - 1
    return itos, mapping


def describe_cap(pieces_values: Sequence[Sequence[str]], itos: Sequence[str], mapping: dict[str, int]) -> str:
    """One sentence for the page: how many values the cap folds into the stand-in, and what it plays as."""
    counts: Counter = Counter()
    for piece in pieces_values:
        counts.update(piece)
    other = len(itos) - 1
    folded = [v for v, i in mapping.items() if i == other]
    if len(folded) <= 1:
        return f"The corpus has {len(mapping)} distinct values, so every value keeps its own index (nothing is folded)."
    total = sum(counts.values())
    share = sum(counts[v] for v in folded) / total if total else 0.0
    return (
        f"The {other} most common values keep their own index; index {other} stands for the other {len(folded):,} "
        f"values ({100 * share:.0f}% of the corpus) and plays as {value_text(itos[-1])}, the most common of them."
    )


def stand_in(mapping: dict[str, int]) -> int | None:
    """The index that stands for several folded values (None: nothing was folded, every index is one value)."""
    other = max(mapping.values())
    return other if sum(1 for i in mapping.values() if i == other) > 1 else None


def composing_rules(mapping: dict[str, int]) -> dict:
    """``core.models.sampling.generate``'s rules for a composition of the course's model: never the stand-in for
    several values, and no value more than MAX_REPEAT times in a row."""
    other = stand_in(mapping)
    return {"avoid": () if other is None else (other,), "max_repeat": MAX_REPEAT}


def composing_note(mapping: dict[str, int], itos: Sequence[str]) -> str:
    """The composing rules in words, for the page."""
    other = stand_in(mapping)
    folded = sum(1 for i in mapping.values() if i == other)
    skip = "" if other is None else f"never the stand-in for {folded:,} rarer values ({value_text(itos[other])}), and "
    return (
        f"The course's model composes with {skip}no value more than {MAX_REPEAT} times in a row (the next most "
        "likely value comes then)."
    )


def id_lookup(full_itos: Sequence[str], mapping: dict[str, int]) -> np.ndarray:
    """Index translation from a full vocabulary (core.music.music_codec.Vocabulary.itos) to the capped one: int32
    (len(full_itos),)."""
    other = max(mapping.values())
    return np.asarray([mapping.get(v, other) for v in full_itos], dtype=np.int32)


def capped_sampler(sample_batch: SampleBatch, lookup: np.ndarray) -> SampleBatch:
    """Wrap a full-vocabulary ``sample_batch`` (core.music.music_data.MusicCorpus.sample_batch) to give capped ids."""

    def sample(rng: np.random.Generator, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = sample_batch(rng, batch_size, seq_len)
        return lookup[x], lookup[y]  # int32 (batch, seq_len) each

    return sample


def capped_val_batches(val_batches: ValBatches, lookup: np.ndarray) -> ValBatches:
    """Wrap full-vocabulary validation batches to give capped ids."""
    return lambda: [(lookup[x], lookup[y]) for x, y in val_batches()]


# ---------------------------------------------------------------------------------------------- Keras
def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


@dataclass
class CourseLayers:
    """The three shared layers, created once (the course's global reshaper, LSTM_cell, densor)."""

    reshaper: Any  # Reshape((1, n_values))
    # LSTM(n_a, return_state=True, unroll=True): unroll only changes how TF runs its 1-step input (see course_layers)
    LSTM_cell: Any
    densor: Any  # Dense(n_values, activation="softmax")


def course_layers(n_values: int = N_VALUES, n_a: int = N_A, seed: int = 0) -> CourseLayers:
    """The course's three layers, every initializer seeded.

    The LSTM gets ``unroll=True``: each call sees a sequence of one step, and unrolling runs that step as
    plain ops instead of a one-iteration while loop. Same weights and maths; the Tx = 30 training step
    traces about 5x faster (3 s instead of 16 s on 2 cores) and runs about twice as fast.
    """
    keras = _keras()
    L, init = keras.layers, keras.initializers
    s = int(seed) * 1000  # one seed per initializer, all derived from `seed`
    return CourseLayers(
        reshaper=L.Reshape((1, n_values), name="reshaper"),
        LSTM_cell=L.LSTM(
            n_a,
            return_state=True,
            unroll=True,
            kernel_initializer=init.GlorotUniform(seed=s + 1),
            recurrent_initializer=init.Orthogonal(seed=s + 2),
            name="LSTM_cell",
        ),
        densor=L.Dense(
            n_values, activation="softmax", kernel_initializer=init.GlorotUniform(seed=s + 3), name="densor"
        ),
    )


def djmodel(Tx: int, layers: CourseLayers):
    """The course's training model: inputs [X (m, Tx, n_values), a0 (m, n_a), c0 (m, n_a)], Tx softmax outputs (m,
    n_values)."""
    keras = _keras()
    n_values, n_a = layers.densor.units, layers.LSTM_cell.units
    X = keras.Input(shape=(Tx, n_values), name="X")
    a0 = keras.Input(shape=(n_a,), name="a0")
    c0 = keras.Input(shape=(n_a,), name="c0")
    a, c = a0, c0
    outputs = []
    for t in range(Tx):
        x = X[:, t, :]  # (m, n_values): slicing a symbolic tensor, no Lambda layer
        x = layers.reshaper(x)  # (m, 1, n_values)
        a, _, c = layers.LSTM_cell(x, initial_state=[a, c])  # (m, n_a), (m, n_a), (m, n_a)
        outputs.append(layers.densor(a))  # (m, n_values)
    return keras.Model(inputs=[X, a0, c0], outputs=outputs, name="djmodel")


def music_inference_model(layers: CourseLayers, Ty: int = 50):
    """The course's inference model: inputs [x0 (m, 1, n_values), a0, c0]; each step's argmax is fed back as a
    one-hot."""
    keras = _keras()
    ops, L = keras.ops, keras.layers
    n_values, n_a = layers.densor.units, layers.LSTM_cell.units
    x0 = keras.Input(shape=(1, n_values), name="x0")
    a0 = keras.Input(shape=(n_a,), name="a0")
    c0 = keras.Input(shape=(n_a,), name="c0")
    a, c, x = a0, c0, x0
    outputs = []
    for t in range(Ty):
        a, _, c = layers.LSTM_cell(x, initial_state=[a, c])  # (m, n_a) each
        out = layers.densor(a)  # (m, n_values)
        outputs.append(out)
        x = ops.one_hot(ops.argmax(out, axis=-1), n_values)  # (m, n_values): the most likely value, one-hot
        x = L.RepeatVector(1)(x)  # (m, 1, n_values)
    return keras.Model(inputs=[x0, a0, c0], outputs=outputs, name="music_inference_model")


# ---------------------------------------------------------------------------------------------- numpy
class CourseNumpyModel:
    """The course's model one step at a time in numpy (a core.models.sampling.TokenModel), from a weights snapshot.

    State: (a, c), each float32 (n_a,). ``token`` None feeds the zero vector (the course's x0).
    """

    def __init__(
        self, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray, dense_w: np.ndarray, dense_b: np.ndarray
    ):
        f32 = np.float32
        self.kernel = np.asarray(
            kernel, f32
        )  # (n_values, 4 n_a): one-hot x @ kernel = the token's row; gates i, f, c, o
        self.recurrent = np.asarray(recurrent, f32)  # (n_a, 4 n_a)
        self.bias = np.asarray(bias, f32)  # (4 n_a,)
        self.dense_w = np.asarray(dense_w, f32)  # (n_a, n_values)
        self.dense_b = np.asarray(dense_b, f32)  # (n_values,)
        self.n_a = self.recurrent.shape[0]
        self.vocab_size = self.dense_w.shape[1]

    @classmethod
    def from_layers(cls, layers: CourseLayers) -> "CourseNumpyModel":
        k, u, b = layers.LSTM_cell.get_weights()
        w, bd = layers.densor.get_weights()
        return cls(k, u, b, w, bd)

    def initial_state(self) -> tuple[np.ndarray, np.ndarray]:
        z = np.zeros(self.n_a, np.float32)
        return z, z

    def next_token_probs(self, state, token: int | None):
        """(probs (n_values,) float64, new state) after feeding ``token`` as a one-hot (None = zeros)."""
        a_prev, c_prev = state
        xw = self.kernel[int(token)] if token is not None else 0.0  # one-hot x @ kernel, (4 n_a,)
        step = lstm_step(xw, a_prev, c_prev, self.recurrent, self.bias)  # Keras's LSTM cell, gates i, f, c, o
        a, c = step.h, step.c  # (n_a,) each
        logits = (vec_mat(a, self.dense_w) + self.dense_b).astype(np.float64)  # (n_values,)
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum(), (a.astype(np.float32), c.astype(np.float32))


# ---------------------------------------------------------------------------------------------- trainer
class CourseTrainer(KerasTrainer):
    """The course's model trained n steps at a time: the shared trainer interface (core.models.trainer) on
    core.models.keras_trainer.KerasTrainer, so core.labs.lab.Lab.run_slice, the loss chart and the inspector use it
    unchanged.

    sample_batch(rng, batch, Tx) -> x, y int ids (batch, Tx) over the capped vocabulary, y = x shifted by one.
    ``hibernate()`` keeps the weights and Adam's state as numpy and drops every Keras object (a closed tab); the
    next use rebuilds them. ``set_training_params`` changes the batch size or Tx mid-run: the weights don't
    depend on Tx (one shared cell), so a new Tx only rebuilds the unrolled training graph around the same layers.
    """

    unit = "value"  # what one token is, in messages
    explode_nats = None  # no explosion check (the course has none): only a NaN/inf loss rolls back
    keeps_adam_asleep = True  # Adam's state (and with it the decayed rate) survives hibernation

    def __init__(
        self, n_values: int, config: CourseConfig, sample_batch: SampleBatch, val_batches: ValBatches | None = None
    ):
        config.validate()
        if n_values < 2:
            raise ValueError("n_values must be >= 2")
        self._start(n_values, config, sample_batch, val_batches)
        self._build_keras()
        self._good = self._checkpoint()

    # -- the Keras objects, and hibernation
    def _build_keras(self) -> None:
        keras = _keras()
        cfg = self.config
        self._layers = course_layers(self.vocab_size, cfg.n_a, cfg.seed)
        self._model = djmodel(cfg.Tx, self._layers)
        schedule = keras.optimizers.schedules.InverseTimeDecay(cfg.learning_rate, decay_steps=1, decay_rate=cfg.decay)
        self._optimizer = keras.optimizers.Adam(learning_rate=schedule, beta_1=cfg.beta_1, beta_2=cfg.beta_2)
        self._optimizer.build(self._model.trainable_variables)
        self._n_params = int(sum(int(np.prod(v.shape)) for v in self._model.trainable_variables))  # LSTM + Dense
        self._train_fn = None  # tf.functions, traced on first use
        self._eval_fn = None
        self._inference: dict[int, Any] = {}  # Ty -> inference model (shares the layers, built on first use)

    def _drop_keras(self) -> None:
        super()._drop_keras()
        self._layers = None
        self._inference = {}

    @property
    def layers(self) -> CourseLayers:
        self._awake()
        return self._layers

    def set_training_params(self, *, batch_size: int | None = None, Tx: int | None = None) -> None:
        """Settings that may change mid-run. A new Tx unrolls the same shared layers over Tx steps (same weights)."""
        from dataclasses import replace

        changes = {
            k: int(v)
            for k, v in dict(batch_size=batch_size, Tx=Tx).items()
            if v is not None and int(v) != getattr(self.config, k)
        }
        if not changes:
            return
        new = replace(self.config, **changes)
        new.validate()
        with self._lock:
            self.config = new
            if "Tx" in changes and self._asleep is None:
                self._model = djmodel(new.Tx, self._layers)  # the same layer objects: the same variables
                self._train_fn = self._eval_fn = None  # traced again for the new graph
                self._warm = False  # and run once again by prepare()

    def _build_fns(self) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        model, opt, nv, n_a, Tx = self.model, self.optimizer, self.vocab_size, self.config.n_a, self.config.Tx
        spec = tf.TensorSpec([None, Tx], tf.int32)

        def nats(x, y, training):
            m = tf.shape(x)[0]
            X = tf.one_hot(x, nv)  # (m, Tx, n_values): the course's one-hot input
            zeros = tf.zeros((m, n_a))  # a0 = c0 = 0, as the course
            outs = tf.stack(model([X, zeros, zeros], training=training), axis=1)  # (m, Tx, n_values) softmax
            p = tf.gather(outs, y, batch_dims=2)  # (m, Tx): probability of the true next value
            return -tf.math.log(tf.clip_by_value(p, 1e-7, 1.0))  # categorical cross-entropy, clipped as Keras does

        @tf.function(input_signature=[spec, spec], reduce_retracing=True)
        def train_fn(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(nats(x, y, True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        def probs(x):
            m = tf.shape(x)[0]
            zeros = tf.zeros((m, n_a))
            return tf.stack(model([tf.one_hot(x, nv), zeros, zeros], training=False), axis=1)  # (m, Tx, n_values)

        @tf.function(input_signature=[spec, spec], reduce_retracing=True)
        def eval_fn(x, y):  # [summed nats, correct next-value guesses]
            outs = probs(x)
            p = tf.gather(outs, y, batch_dims=2)  # (m, Tx)
            loss = tf.reduce_sum(-tf.math.log(tf.clip_by_value(p, 1e-7, 1.0)))
            correct = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(outs, axis=-1, output_type=tf.int32), y), tf.float32))
            return tf.stack([loss, correct])

        self._train_fn, self._eval_fn = train_fn, eval_fn

    def _batch_shape(self) -> tuple[int, int]:
        return self.config.batch_size, self.config.Tx

    def evaluate(self) -> float | None:
        """Mean cross-entropy (nats per value) on the held-out windows, recorded in the history; None without
        validation data (windows of another length than Tx are skipped)."""
        if self.val_batches is None:
            return None
        batches = [(x, y) for x, y in self.val_batches() if np.shape(x)[1] == self.config.Tx]
        if not batches:
            return None
        with self._lock:
            self._awake()
            if self._eval_fn is None:
                self._build_fns()
            val, acc = token_stats(self._eval_fn, batches)
            self._observe_validation(val, acc)
        return val

    def learning_rate(self) -> float:
        """Adam's learning rate for the next step (the decayed schedule)."""
        return self.config.learning_rate_at(self.step)

    lr_now = learning_rate  # the name the Keras labs' pages read (core.models.keras_trainer.SequenceTrainer.lr_now)

    def param_count(self) -> int:
        """Trainable parameters of the live Keras model (counted when it was built; a hibernated trainer isn't
        woken)."""
        return self._n_params

    def layer_sizes(self) -> dict[str, int]:
        """The live sizes the unrolled-graph figure and the formula read: n_values, n_a, Tx."""
        layers = self.layers
        return dict(n_values=layers.densor.units, n_a=layers.LSTM_cell.units, Tx=self.config.Tx)

    def numpy_model(self) -> CourseNumpyModel:
        """A numpy TokenModel from a snapshot of the current weights (sampling with temperature, the inspector)."""
        with self._lock:
            return CourseNumpyModel.from_layers(self.layers)

    token_model = numpy_model  # the name of the shared trainer interface

    def inference_model(self, Ty: int):
        """The course's Keras inference model for Ty steps (built once per Ty; it shares the trained layers)."""
        with self._lock:
            self._awake()
            if Ty not in self._inference:
                self._inference[Ty] = music_inference_model(self._layers, Ty)
            return self._inference[Ty]

    def generate_argmax(self, Ty: int) -> list[int]:
        """The course's composition: Ty value indices, each the argmax fed back as a one-hot, from zero x0, a0, c0."""
        nv, n_a = self.vocab_size, self.config.n_a
        with self._lock:
            model = self.inference_model(int(Ty))
            outs = model(
                [np.zeros((1, 1, nv), np.float32), np.zeros((1, n_a), np.float32), np.zeros((1, n_a), np.float32)],
                training=False,
            )
        return [int(np.argmax(np.asarray(p)[0])) for p in outs]
