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


# Dropout each cell gets by default in the Text lab (``cell_defaults``), from 300 s runs on tiny Shakespeare at the
# other
# defaults, interleaved (python -m bench.tune, validation after 75/150/225/300 s of training). At 256 units
# (bench/results/tune_dropout300*.json) the cells overfit within five minutes without dropout (GRU none 1.566 1.565
# 1.575 1.582, SimpleRNN none 1.624 1.609 1.614 1.617) and flattened above 1.52 with it (LSTM 0.1: 1.533, GRU 0.35:
# 1.542 at 300 s). A larger model with more dropout went lower (bench/results/tune_bigger300.json,
# tune_bigger300b.json):
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
    # units per recurrent layer (1..1024); 384 with more dropout beat 256 after 2-5 minutes
    # (bench/results/tune_bigger300*.json)
    hidden: int = 384
    layers: int = 1  # stacked recurrent layers (1..3)
    embed_dim: int = 64  # token embedding size (Embedding, not one-hot)
    seq_len: int = (
        50  # training window length (tokens); 50 beat 100 after 1 minute (1.73 vs 1.88), ~even by 4 (bench/tune.py)
    )
    batch_size: int = 64  # windows per step
    learning_rate: float = (
        1e-2  # Adam; tuned on 2 CPU cores for the lowest validation loss after 2-5 minutes (bench/tune.py)
    )
    dropout: float = CELL_DROPOUT[
        "lstm"
    ]  # between layers / before the output; the default cell's (CELL_DROPOUT: each cell has its own)
    seed: int = 0  # weights and batch order
    lr_schedule: str = (
        "decay"  # core.models.lr_schedule: "decay" (warm-up, then halving) | "plateau" | "constant"; may change mid-run
    )

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


# The layer options the playground can train, sample with its numpy mirror (core.models.numpy_cells), look inside and
# rebuild after a hibernation (``build_model``): option -> (the values accepted, the words for "layers with those
# values"). ANY accepts every value (names, seeds, initializers: they don't change what loaded weights compute; units
# and sizes are checked against the lab's caps elsewhere). An option a layer's config lacks takes Keras's default
# (``KERAS_DEFAULTS``); an option not listed for its layer is refused, so a newer Keras option is never trusted unseen.
ANY = object()
FLOAT32 = "float32"
_COMMON = {"name": (ANY, ""), "trainable": ((True,), "that are trainable"), "dtype": ((FLOAT32, None), "in float32")}
_NO_EXTRAS = {
    **{
        k: ((None,), "without regularizers")
        for k in ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer")
    },
    **{k: ((None,), "without constraints") for k in ("kernel_constraint", "recurrent_constraint", "bias_constraint")},
    "quantization_config": ((None,), "without quantization"),
}
_IN_CELL_DROPOUT = "without dropout inside the cell (a Dropout layer after it does that here)"
_RNN = {
    **_COMMON,
    **_NO_EXTRAS,
    **{
        k: (ANY, "")
        for k in (
            "units",
            "seed",
            "kernel_initializer",
            "recurrent_initializer",
            "bias_initializer",
            "zero_output_for_mask",
        )
    },
    "return_sequences": ((True,), "that return the whole sequence (return_sequences=True)"),
    "return_state": ((False,), "that don't return their state"),
    "go_backwards": ((False,), "that read forwards"),
    "stateful": ((False,), "that are not stateful (every window starts from a zero state)"),
    "unroll": ((False,), "that are not unrolled (they read windows of any length)"),
    "activation": (("tanh",), "with the tanh activation"),
    "use_bias": ((True,), "with biases"),
    "dropout": ((0, 0.0), _IN_CELL_DROPOUT),
    "recurrent_dropout": ((0, 0.0), _IN_CELL_DROPOUT),
}
_GATED = {"recurrent_activation": (("sigmoid",), "with the sigmoid recurrent activation")}
LAYER_OPTIONS: dict[str, dict[str, tuple]] = {
    "Sequential": {**_COMMON, "layers": (ANY, ""), "build_input_shape": (ANY, "")},
    "InputLayer": {
        **{k: (ANY, "") for k in ("name", "batch_shape", "shape", "batch_size")},
        "input_tensor": ((None,), "without a tensor"),
        "dtype": (("int32", "int64", FLOAT32, None), "that read token ids (int32, int64 or float32)"),
        "sparse": ((False,), "that are dense"),
        "ragged": ((False,), "that are not ragged"),
        "optional": ((False,), "that are required"),
    },
    "Embedding": {
        **_COMMON,
        "input_dim": (ANY, ""),
        "output_dim": (ANY, ""),
        "embeddings_initializer": (ANY, ""),
        "embeddings_regularizer": ((None,), "without regularizers"),
        "activity_regularizer": ((None,), "without regularizers"),
        "embeddings_constraint": ((None,), "without constraints"),
        "quantization_config": ((None,), "without quantization"),
        "mask_zero": ((False,), "without masking (mask_zero=False)"),
    },
    "SimpleRNN": _RNN,
    "LSTM": {**_RNN, **_GATED, "unit_forget_bias": (ANY, "")},
    "GRU": {**_RNN, **_GATED, "reset_after": ((True,), "with reset_after=True (the Keras default)")},
    "Dropout": {
        **_COMMON,
        "rate": (ANY, ""),
        "seed": (ANY, ""),
        "noise_shape": ((None,), "with the default noise shape"),
    },
    "Dense": {
        **_COMMON,
        **{k: v for k, v in _NO_EXTRAS.items() if not k.startswith("recurrent")},
        "units": (ANY, ""),
        "kernel_initializer": (ANY, ""),
        "bias_initializer": (ANY, ""),
        "activation": (("linear", None), "that output logits (activation='linear')"),
        "use_bias": ((True,), "with biases"),
    },
}
KERAS_DEFAULTS = {"return_sequences": False}  # the one option whose Keras default the playground can't run
_POLICIES = ("DTypePolicy", "FloatDTypePolicy")


def _option_value(v):
    """A config value as the check compares it: a dtype policy -> its name; anything else as it is."""
    if isinstance(v, dict) and v.get("class_name") in _POLICIES and isinstance(v.get("config"), dict):
        return v["config"].get("name")
    return v


def _option_shown(v) -> str:
    """An option's value as Python would write it: False, 'relu', [None, 1, 8]; a Keras object by its class (L2)."""
    if isinstance(v, dict):
        return str(v.get("class_name", "an object"))[:40]
    return repr(v)[:60]


def check_layer_options(kind: str, config: dict) -> None:
    """Refuse a layer option outside ``LAYER_OPTIONS`` with a ModelFormatError naming it and its value."""
    allowed = LAYER_OPTIONS[kind]
    for key in sorted(set(config) | set(KERAS_DEFAULTS) & set(allowed)):
        if key not in allowed:
            raise ModelFormatError(
                f"This model's {kind} layer has an option {str(key)[:40]} that the playground doesn't know; refused."
            )
        values, words = allowed[key]
        v = _option_value(config.get(key, KERAS_DEFAULTS.get(key)))
        if values is not ANY and not any(v == a and type(v) is type(a) for a in values):
            said = f"This model's {kind} layer has {key}={_option_shown(v)}"
            raise ModelFormatError(f"{said}; the playground only trains {kind} layers {words}.")


def check_dropout_layout(kinds: list[str], rates: list[float]) -> None:
    """The layers between Embedding and Dense, in order (class names), and the Dropout rates among them: apart from
    Dropout(0), each Dropout must follow a recurrent layer, and either every recurrent layer has one, all of one rate,
    or none does (the shape ``build_model`` rebuilds after a hibernation). ModelFormatError otherwise."""
    it = iter(rates)
    seq = [(k, next(it)) if k == "Dropout" else (k, None) for k in kinds]
    seq = [(k, r) for k, r in seq if not (k == "Dropout" and r == 0)]
    misplaced = any(k == "Dropout" and (i == 0 or seq[i - 1][0] == "Dropout") for i, (k, _) in enumerate(seq))
    n_rnn = sum(k != "Dropout" for k, _ in seq)
    kept = [r for k, r in seq if k == "Dropout"]
    if misplaced or (kept and (len(kept) != n_rnn or len(set(kept)) != 1)):
        raise ModelFormatError(
            "This model's Dropout layers are placed differently from the playground's: it trains models with one "
            "Dropout of the same rate right after each recurrent layer (Embedding → LSTM → Dropout → … → Dense), "
            "or none."
        )


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
        L.Embedding(
            vocab_size,
            config.embed_dim,
            embeddings_initializer=init.RandomUniform(-0.05, 0.05, seed=s + 1),
            name="embedding",
        ),
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
    layers.append(
        L.Dense(vocab_size, kernel_initializer=init.GlorotUniform(seed=s + 2), name="logits")
    )  # (batch, T, vocab)
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
    if not isinstance(model, keras.Sequential):
        raise ModelFormatError(f"The model is a {type(model).__name__}, not a Sequential one (Embedding, RNNs, Dense).")
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
            raise ModelFormatError(
                f"Unsupported layer {type(l).__name__!r}: only SimpleRNN, LSTM, GRU and Dropout between Embedding "
                "and Dense."
            )
    if not 1 <= len(rnns) <= MAX_LAYERS:
        raise ModelFormatError(f"The model has {len(rnns)} recurrent layers; 1 to {MAX_LAYERS} are supported.")
    kinds = {type(l).__name__ for l in rnns}
    if len(kinds) != 1:
        raise ModelFormatError("All recurrent layers must be of the same kind.")
    config = model.get_config()  # the same options config.json holds, checked on the same lists as an upload
    check_layer_options("Sequential", {k: v for k, v in config.items() if k != "layers"})
    for entry in config.get("layers", []):
        check_layer_options(entry["class_name"], entry["config"])
    check_dropout_layout([type(l).__name__ for l in middle], [float(l.rate) for l in dropouts])
    hidden = {l.units for l in rnns}
    if len(hidden) != 1:
        raise ModelFormatError("All recurrent layers must have the same number of units.")
    emb, dense = layers[0], layers[-1]
    if dense.units != emb.input_dim:
        raise ModelFormatError(
            f"The Dense layer predicts {dense.units} tokens but the Embedding reads {emb.input_dim}."
        )
    cell = {"SimpleRNN": "simplernn", "LSTM": "lstm", "GRU": "gru"}[kinds.pop()]
    dropout = max((float(l.rate) for l in dropouts), default=0.0)  # check_dropout_layout: one rate above 0
    return RNNConfig(cell=cell, hidden=hidden.pop(), layers=len(rnns), embed_dim=emb.output_dim, dropout=dropout)
