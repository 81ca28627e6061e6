"""Keras language models over token ids: the config, building, counting and checking a model.

    ids (batch, T) -> Embedding(vocab, embed_dim) -> [SimpleRNN | LSTM | GRU](hidden, return_sequences) x layers
                   -> Dense(vocab) logits (batch, T, vocab)

Shared by the Text lab (characters) and the Music lab (values). The optimizer is Adam with gradient
clipping: Keras ``clipnorm`` clips the gradient of each weight tensor to norm ``CLIPNORM`` on its own (not
one global norm over all of them). TensorFlow/Keras are imported lazily (inside functions), so importing
this module is cheap. Nothing here seeds anything globally: every initializer and dropout layer gets its
own seed, derived from ``RNNConfig.seed``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import keras

CELLS = ("simplernn", "lstm", "gru")
CELL_NAMES = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}  # config value -> Keras class name
CLIPNORM = 1.0  # each weight tensor's gradient is clipped to this norm on its own (Keras `clipnorm`)
MAX_HIDDEN = 1024  # largest recurrent layer the labs build or load
MAX_LAYERS = 3  # most stacked recurrent layers


# Keras builds layers, and TensorFlow traces functions, through process-wide state (name scopes, the graph being
# traced). Browser sessions run as threads of one server process, so two sessions building or tracing at once
# could see each other's half-built graphs (seen in the load test as a StagingError). Building a model and tracing
# its step functions take this lock; running the traced steps does not.
GRAPH_LOCK = threading.RLock()


# Dropout each cell gets by default in the Text lab (``cell_defaults``), from 300 s runs on tiny Shakespeare at the other
# defaults, interleaved (python -m bench.tune, validation after 75/150/225/300 s of training). At 256 units
# (bench/results/tune_dropout300*.json) the cells overfit within five minutes without dropout (GRU none 1.566 1.565
# 1.575 1.582, SimpleRNN none 1.624 1.609 1.614 1.617) and flattened above 1.52 with it (LSTM 0.1: 1.533, GRU 0.35:
# 1.542 at 300 s). A larger model with more dropout went lower (bench/results/tune_bigger300.json, tune_bigger300b.json):
#   LSTM 384  0.25  1.566 1.516 1.508 1.501   (256, 0.1: 1.578 1.545 1.532 1.527 in the same run; 2 layers x 256: 1.549)
#   GRU  384  0.45  1.576 1.524 1.511 1.506   (half-life 900; 550: 1.515 at 300 s; 0.55: 1.522; GRU 512, 0.5: 1.507)
#   SimpleRNN 384  0.2  1.621 1.606 1.604 1.598   (0.3: 1.609)
# so the default size is 384 units and each cell gets the rate that went lowest at 300 s.
CELL_DROPOUT = {"simplernn": 0.2, "lstm": 0.25, "gru": 0.45}


class ModelFormatError(ValueError):
    """A loaded .keras file is not an Embedding -> recurrent layers -> Dense model this module can run."""


@dataclass(frozen=True)
class RNNConfig:
    cell: str = "lstm"  # "simplernn" | "lstm" | "gru"
    hidden: int = 384  # units per recurrent layer (1..1024); 384 with more dropout beat 256 after 2-5 minutes (bench/results/tune_bigger300*.json)
    layers: int = 1  # stacked recurrent layers (1..3)
    embed_dim: int = 64  # token embedding size (Embedding, not one-hot)
    seq_len: int = 50  # training window length (tokens); 50 beat 100 after 1 minute (1.73 vs 1.88), ~even by 4 (bench/tune.py)
    batch_size: int = 64  # windows per step
    learning_rate: float = 1e-2  # Adam; tuned on 2 CPU cores for the lowest validation loss after 2-5 minutes (bench/tune.py)
    dropout: float = CELL_DROPOUT["lstm"]  # between layers / before the output; the default cell's (CELL_DROPOUT: each cell has its own)
    seed: int = 0  # weights and batch order
    lr_schedule: str = "decay"  # core.models.lr_schedule: "decay" (warm-up, then halving) | "plateau" | "constant"; may change mid-run

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
        from core.models.lr_schedule import SCHEDULES

        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {SCHEDULES}, not {self.lr_schedule!r}")

    def same_architecture(self, other: "RNNConfig") -> bool:
        """Same weights shapes and seed (learning rate, batch and window length can change mid-run)."""
        keys = ("cell", "hidden", "layers", "embed_dim", "dropout", "seed")
        return all(getattr(self, k) == getattr(other, k) for k in keys)

    def label(self) -> str:
        s = f"{CELL_NAMES[self.cell]} {self.hidden}" + (f"×{self.layers}" if self.layers > 1 else "")
        s += f" · emb {self.embed_dim} · lr {self.learning_rate:g} · seq {self.seq_len} · batch {self.batch_size}"
        if self.dropout:
            s += f" · drop {self.dropout:g}"
        if self.lr_schedule != "decay":
            s += f" · {self.lr_schedule} rate"
        return s + f" · seed {self.seed}"




def keras_module():
    """Keras, imported on first use (core/__init__.py sets TensorFlow's environment first)."""
    import keras

    return keras


def tf_module():
    """TensorFlow, imported on first use."""
    import tensorflow as tf

    return tf


def snapshot(model, optimizer=None) -> tuple[list, list]:
    """Copies of a model's variables and its optimizer's state (none without an optimizer), as numpy arrays."""
    return [v.numpy().copy() for v in model.variables], [v.numpy().copy() for v in getattr(optimizer, "variables", ())]


def restore(model, optimizer, snap: tuple[list, list]) -> None:
    """Put a ``snapshot`` back into the same model and optimizer (an empty optimizer part leaves its state)."""
    for v, a in zip(model.variables, snap[0]):
        v.assign(a)
    for v, a in zip(optimizer.variables, snap[1]):
        v.assign(a)


def compile_model(model, learning_rate: float) -> None:
    """Adam with per-tensor gradient clipping and sparse cross-entropy from logits (nats)."""
    keras = keras_module()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=CLIPNORM),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )


def cell_defaults(cell: str) -> RNNConfig:
    """The app's defaults (``RNNConfig()``) for ``cell``: that cell's dropout (CELL_DROPOUT) with the rest unchanged."""
    return replace(RNNConfig(), cell=cell, dropout=CELL_DROPOUT[cell])


def build_model(vocab_size: int, config: RNNConfig) -> "keras.Model":
    """Embedding -> cell x layers (return_sequences=True) -> Dense(vocab) logits; every initializer seeded."""
    with GRAPH_LOCK:
        return _build_model(vocab_size, config)


def _build_model(vocab_size: int, config: RNNConfig):
    config.validate()
    keras = keras_module()
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


def rnn_layers(model) -> list:
    keras = keras_module()
    return [l for l in model.layers if isinstance(l, (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU))]


def config_from_model(model) -> RNNConfig:
    """Recover the architecture from a loaded model; ModelFormatError if it isn't Embedding -> RNNs -> Dense."""
    keras = keras_module()
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
