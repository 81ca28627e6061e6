"""The Text lab's "Get the code": a standalone Keras program for the lab's current settings.

The program does what the lab does, in one readable file that imports only numpy, Keras/TensorFlow and the standard
library:

- reads a text file and splits it as core.text.text_data.TextCorpus does (the vocabulary is every character of the
  text, sorted; the last 10% of the text is held out for validation);
- builds the lab's model (core.models.keras_model.build_model): Embedding -> the chosen cell x layers (Dropout after
  each when chosen) -> Dense logits, with the same sizes and the same seeded initializers;
- trains it as core.models.keras_trainer.SequenceTrainer does: random windows drawn with numpy's generator seeded
  with the run's seed, Adam with per-tensor gradient clipping (``clipnorm``), the chosen learning-rate schedule
  (core.models.lr_schedule, only that one) and the same ``tf.function`` step, printing ``step <n> loss <x>``;
- measures the validation loss on the lab's fixed, evenly spaced validation windows;
- generates text after a priming text with temperature and top-k, as core.models.sampling does;
- saves the model as the zip the lab downloads and loads (model.keras + vocab.json, core.files.model_zip).

With ``weights`` set, it continues from such a zip (``TextLab.code_weights``) instead of new weights: the
vocabulary comes from its vocab.json and the schedule goes on from its step.

Simplified on purpose: validation runs every ``eval_every`` steps (the lab evaluates by wall time, so the plateau
schedule, which counts evaluations, halves at other steps than in the lab); there is no roll-back when the loss
turns NaN or explodes; generation runs the Keras model over the whole text so far at every step (the lab runs a
numpy copy of the weights one step at a time: the same distribution, faster).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.files.get_code.program import Block, Program
from core.models.keras_model import CELL_NAMES, CLIPNORM, RNNConfig
from core.models.lr_schedule import CONSTANT, DECAY, PLATEAU, schedule_for
from core.text.text_data import VAL_FRACTION

CORPUS_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"  # kept in a file name
MAX_NAME = 60  # characters kept of an upload's file name
LINE = 120  # the longest line the programs write (the project's ruff setting)


@dataclass(frozen=True)
class TextSettings:
    """What the Text program is written for."""

    config: RNNConfig  # the run's model and training settings (core.models.keras_model)
    corpus_file: str  # the text's file name, read from the program's folder (UTF-8)
    val_windows: int  # validation windows (the lab's 4 batches of 64)
    val_len: int  # characters per validation window
    val_batch: int  # validation windows per batch
    steps: int = 2000  # optimizer steps the program trains
    eval_every: int = 200  # steps between validation passes
    prime: str = ""  # the text generation starts after ("" : after a newline)
    length: int = 500  # characters generated
    temperature: float = 0.8  # sampling temperature (0: always the most likely character)
    top_k: int = 0  # sample among the k most likely characters (0: all of them)
    sample_seed: int = 0  # the generation's random seed
    weights: str | None = None  # the model zip to continue from (None: new weights)
    newline: bool = True  # the vocabulary has a newline (generation without a priming text starts after one)


def safe_file_name(name: str, default: str = "text.txt") -> str:
    """A file name made of plain characters (an upload's name may hold anything), ending in .txt."""
    stem = "".join(c if c in CORPUS_NAME_CHARS else "_" for c in name.rsplit("/", 1)[-1]).strip("._")[:MAX_NAME]
    if not stem:
        return default
    return stem if stem.lower().endswith(".txt") else stem + ".txt"


def setting(name: str, value, comment: str) -> str:
    """``NAME = value  # comment`` as Python source; a long text or list is split over lines (its comment above) so
    that no line is longer than LINE."""
    line = f"{name} = {value!r}  # {comment}"
    if len(line) <= LINE:
        return line
    if isinstance(value, str):
        parts, part = [], ""
        for ch in value:  # pieces whose source fits on a line
            if len(repr(part + ch)) > LINE - 8:
                parts.append(part)
                part = ""
            part += ch
        body = "\n".join(f"    {p!r}" for p in [*parts, part])
        return f"# {comment}\n{name} = (\n{body}\n)"
    rows, row = [], []
    for item in value:  # items on lines that fit
        if row and len(", ".join(repr(x) for x in [*row, item])) > LINE - 8:
            rows.append(row)
            row = []
        row.append(item)
    body = "\n".join("    " + ", ".join(repr(x) for x in r) + "," for r in [*rows, row] if r)
    return f"# {comment}\n{name} = [\n{body}\n]"


def program(s: TextSettings) -> Program:
    """The Text lab's program for settings ``s`` (see the module docstring)."""
    c = s.config
    c.validate()
    trained = s.weights is not None
    cell = CELL_NAMES[c.cell]
    blocks = [
        _settings(s),
        _read_text(s),
        _batches(s),
        model_block(s.config, "character", "chars") if not trained else load_block(),
        schedule_block(s.config),
        train_step_block("character"),
        train_block(s.config),
        _generate(s),
        _save(),
    ]
    how = "continues training the model you trained in the app" if trained else "trains a new model"
    article = "an" if cell == "LSTM" else "a"
    intro = (
        f"This program {how}: {article} {cell} language model over the characters of `{s.corpus_file}`, with "
        "the settings you chose in RNN Playground's Text lab. It needs Python 3 with numpy and TensorFlow (which "
        "brings Keras): `pip install numpy tensorflow`. Keep the text file"
        + (f" and `{s.weights}`" if trained else "")
        + " in the same folder as the program and run it."
        + ("" if trained else " With the same seed, its first training losses are the app's.")
    )
    title = "Text lab: a character-level " + cell + " in Keras" + (" (continued)" if trained else "")
    run = (
        "Run `python text_rnn.py` in the folder that holds the text, or open `text_rnn.ipynb` in Jupyter or Colab "
        "with the text beside it and run the cells top to bottom. The first cell holds the settings: change them and "
        "run again."
    )
    return Program(title=title, intro=intro, blocks=tuple(blocks), stem="text_rnn", run=run)


# ---------------------------------------------------------------------------------------------- blocks
def _settings(s: TextSettings) -> Block:
    c = s.config
    trained = s.weights is not None
    lines = [
        "import json",
        "import tempfile",
        "import zipfile",
        "from pathlib import Path",
        "",
        "import keras",
        "import numpy as np",
        "import tensorflow as tf",
        "",
        setting("CORPUS", s.corpus_file, "the text to train on (UTF-8), in this folder"),
        setting("WEIGHTS", s.weights, "the model zip downloaded from the app (model.keras + vocab.json)")
        if trained
        else None,
    ]
    if not trained:  # a loaded model brings its own architecture
        lines += [
            f"HIDDEN = {c.hidden}  # units per {CELL_NAMES[c.cell]} layer",
            f"LAYERS = {c.layers}  # stacked recurrent layers",
            f"EMBED = {c.embed_dim}  # size of a character's embedding vector",
            f"DROPOUT = {c.dropout!r}  # share of units dropped after each recurrent layer while training"
            if c.dropout > 0
            else None,
        ]
    lines += [
        f"SEED = {c.seed}  # weights and the order of the training windows",
        f"SEQ_LEN = {c.seq_len}  # characters per training window",
        f"BATCH = {c.batch_size}  # windows per training step",
        f"LEARNING_RATE = {c.learning_rate!r}  # Adam's peak learning rate",
        f"STEPS = {int(s.steps)}  # training steps to run",
        f"EVAL_EVERY = {int(s.eval_every)}  # steps between validation passes",
        f"VAL_WINDOWS, VAL_LEN, VAL_BATCH = {s.val_windows}, {s.val_len}, {s.val_batch}  # the app's validation "
        "windows",
        setting("PRIME", s.prime, "generation starts after this text (empty: after a newline)"),
        f"LENGTH = {int(s.length)}  # characters to generate",
        f"TEMPERATURE = {float(s.temperature)!r}  # below 1: safer choices; above 1: more surprising ones; 0: the "
        "most likely",
        f"TOP_K = {int(s.top_k)}  # sample among the k most likely characters (0: all of them)",
        f"SAMPLE_SEED = {int(s.sample_seed)}  # the generation's random seed",
        "",
        "keras.utils.set_random_seed(SEED)  # Python's, numpy's and TensorFlow's global generators",
    ]
    text = "The libraries, and the settings you chose in the app. Change them here: the rest of the program reads them."
    return Block(text, "\n".join(line for line in lines if line is not None))


def _read_text(s: TextSettings) -> Block:
    if s.weights is None:
        vocab = "chars = sorted(set(text))  # the vocabulary: every character of the text, sorted (index -> character)"
        text = (
            "Read the text and turn it into numbers: each distinct character gets an index. The last "
            f"{VAL_FRACTION:.0%} of the text is kept for validation: the model never trains on it."
        )
    else:
        vocab = "\n".join(
            [
                "with zipfile.ZipFile(WEIGHTS) as zf:",
                '    saved = json.loads(zf.read("vocab.json"))',
                'chars = saved["chars"]  # the trained model\'s vocabulary (index -> character)',
                'START = int(saved.get("meta", {}).get("step", 0))  # the steps it has trained: the schedule goes on',
                "missing = sorted(set(text) - set(chars))",
                "if missing:",
                '    raise SystemExit(f"The text has characters the model has never seen: {missing[:20]}")',
            ]
        )
        text = (
            "Read the text and turn it into numbers with the trained model's vocabulary (from the zip's vocab.json). "
            f"The last {VAL_FRACTION:.0%} of the text is kept for validation: the model never trains on it."
        )
    code = f"""\
text = Path(CORPUS).read_text(encoding="utf-8")
{vocab}
stoi = {{ch: i for i, ch in enumerate(chars)}}  # character -> index
ids = np.array([stoi[ch] for ch in text], dtype=np.int32)  # (n_chars,)
n_val = max(int(round(len(ids) * {VAL_FRACTION!r})), 2)
train_ids, val_ids = ids[:-n_val], ids[-n_val:]  # the first 90% and the last 10%
print(f"{{len(text):,}} characters, {{len(chars)}} distinct; {{len(train_ids):,}} to train on, {{len(val_ids):,}} "
      "to validate on")"""
    return Block(text, code)


def _batches(s: TextSettings) -> Block:
    text = (
        "Training windows: SEQ_LEN characters from a random place in the training text, and the same window "
        "shifted by one character as the targets (every position predicts the next character). The validation "
        "windows are fixed and evenly spaced over the validation text, so successive measures compare."
    )
    code = """\
windows = np.lib.stride_tricks.sliding_window_view(train_ids, SEQ_LEN + 1)  # (n_windows, SEQ_LEN + 1), no copy
rng = np.random.default_rng(SEED)  # the order of the windows


def sample_batch():
    \"\"\"BATCH random windows: inputs x and targets y, int32 (BATCH, SEQ_LEN), y[:, t] = x[:, t + 1].\"\"\"
    w = windows[rng.integers(0, len(windows), size=BATCH)]  # (BATCH, SEQ_LEN + 1)
    return w[:, :-1], w[:, 1:]


val_len = max(1, min(VAL_LEN, len(val_ids) - 1))
n_windows = min(VAL_WINDOWS, max(1, (len(val_ids) - 1) // val_len))
starts = np.linspace(0, len(val_ids) - val_len - 1, n_windows).astype(np.int64) if n_windows > 1 else [0]
val_windows = np.stack([val_ids[i : i + val_len + 1] for i in starts])  # (n_windows, val_len + 1)
val_batches = [(w[:, :-1], w[:, 1:]) for w in np.split(val_windows, range(VAL_BATCH, len(val_windows), VAL_BATCH))]"""
    return Block(text, code)


def model_block(c: RNNConfig, token: str, vocab: str) -> Block:
    """The model of core.models.keras_model.build_model over ``token``s (the list ``vocab`` names), and its
    optimizer."""
    cell = CELL_NAMES[c.cell]
    dropout = (
        '\n    layers.append(keras.layers.Dropout(DROPOUT, seed=s + 12 + 3 * i, name=f"dropout_{i}"))'
        if c.dropout > 0
        else ""
    )
    text = (
        f"The model: each {token}'s index picks a learned vector (Embedding), {cell} layers read the window one "
        f"{token} at a time, and a Dense layer turns each position's hidden state into one score (logit) per "
        f"{token} of the vocabulary. Every initializer has its own seed, derived from SEED, as in the app"
        + (", and so has each Dropout layer." if c.dropout > 0 else ".")
        + f" Adam updates the weights; `clipnorm={CLIPNORM:g}` shrinks each weight's gradient to at most that "
        "norm, which keeps a recurrent network's rare huge gradients from wrecking it."
    )
    code = f"""\
init = keras.initializers
s = SEED * 1000  # one seed per initializer, all derived from SEED
layers = [
    keras.Input(shape=(None,), dtype="int32", name="tokens"),  # (batch, T) {token} indices
    keras.layers.Embedding(
        len({vocab}), EMBED, embeddings_initializer=init.RandomUniform(-0.05, 0.05, seed=s + 1), name="embedding"
    ),  # (batch, T, EMBED)
]
for i in range(LAYERS):
    layers.append(
        keras.layers.{cell}(
            HIDDEN,
            return_sequences=True,  # a hidden state for every position, not just the last
            kernel_initializer=init.GlorotUniform(seed=s + 10 + 3 * i),
            recurrent_initializer=init.Orthogonal(seed=s + 11 + 3 * i),
            name=f"rnn_{{i}}",
        )
    )  # (batch, T, HIDDEN){dropout}
layers.append(
    keras.layers.Dense(len({vocab}), kernel_initializer=init.GlorotUniform(seed=s + 2), name="logits")
)  # (batch, T, vocabulary)
model = keras.Sequential(layers, name="{c.cell}_lm")
optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE, clipnorm={CLIPNORM!r})
model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
START = 0  # steps trained so far
model.summary()"""
    return Block(text, code)


def load_block() -> Block:
    """The trained model loaded from the lab's model zip (WEIGHTS), with Adam's state."""
    text = (
        "The model you trained in the app, loaded from the zip: its layers, its weights and Adam's state (so "
        "training goes on where the app stopped). Keras loads it in safe mode: it never runs code stored in a file."
    )
    code = """\
with zipfile.ZipFile(WEIGHTS) as zf, tempfile.TemporaryDirectory() as tmp:
    model = keras.saving.load_model(zf.extract("model.keras", tmp), safe_mode=True)
optimizer = model.optimizer
print(f"Loaded {WEIGHTS}: trained {START:,} steps")
model.summary()"""
    return Block(text, code)


def schedule_block(c: RNNConfig) -> Block:
    """The learning rate of each step: the schedule ``c`` chose (core.models.lr_schedule), only that one."""
    sch = schedule_for(c.lr_schedule, c.cell)
    if c.lr_schedule == CONSTANT:
        text = "The learning rate stays at LEARNING_RATE for every step (the schedule you chose: constant)."
        code = """\
def learning_rate(step):
    \"\"\"The rate of (0-based) step ``step``: always the peak.\"\"\"
    return LEARNING_RATE"""
    elif c.lr_schedule == DECAY:
        text = (
            f"The learning rate you chose is the peak. It climbs from a tenth of it over the first {sch.warmup} "
            f"steps, then halves every {sch.half_life:,} steps, never below {sch.floor:g} x the peak: big steps "
            "early, fine ones later (the schedule you chose: warm-up, then decay)."
        )
        code = f"""\
WARMUP, HALF_LIFE, FLOOR = {sch.warmup}, {sch.half_life}, {sch.floor!r}


def learning_rate(step):
    \"\"\"The rate of (0-based) step ``step``: a linear warm-up from a tenth of the peak, then halving.\"\"\"
    if step < WARMUP:
        return LEARNING_RATE * (0.1 + 0.9 * step / WARMUP)
    return LEARNING_RATE * max(FLOOR, 0.5 ** ((step - WARMUP) / HALF_LIFE))"""
    else:
        assert c.lr_schedule == PLATEAU
        text = (
            "The learning rate starts at the peak you chose and halves each time the validation loss has not "
            f"improved by {sch.min_gain:g} for {sch.patience} validations in a row, never below {sch.floor:g} x the "
            "peak (the schedule you chose: halve when validation stalls)."
        )
        code = f"""\
PATIENCE, MIN_GAIN, FLOOR = {sch.patience}, {sch.min_gain!r}, {sch.floor!r}
plateau = {{"halvings": 0, "best": float("inf"), "wait": 0}}


def learning_rate(step):
    \"\"\"The rate of the next step: the peak, halved once per stall of the validation loss.\"\"\"
    return LEARNING_RATE * max(FLOOR, 0.5 ** plateau["halvings"])


def follow_validation(val):
    \"\"\"Halve the rate after PATIENCE validations without an improvement of MIN_GAIN.\"\"\"
    if val < plateau["best"] - MIN_GAIN:
        plateau.update(best=val, wait=0)
        return
    plateau["wait"] += 1
    halved = max(FLOOR, 0.5 ** (plateau["halvings"] + 1))
    if plateau["wait"] >= PATIENCE and halved < max(FLOOR, 0.5 ** plateau["halvings"]):
        plateau.update(halvings=plateau["halvings"] + 1, wait=0, best=val)
        print(f"validation stalled: learning rate {{learning_rate(0):.3g}}")"""
    return Block(text, code)


def train_step_block(token: str) -> Block:
    """The training step and the validation loss (of a model over ``token``s: "character", "value")."""
    text = (
        f"One training step: the loss is the mean cross-entropy of the next {token} over every position of the "
        "batch (in nats), its gradient comes from backpropagation through time (GradientTape), and Adam applies "
        "it. `tf.function` compiles the step into a graph once; then every step runs fast. The validation loss is "
        "the same cross-entropy on the validation windows, without dropout."
    )
    code = f"""\
spec = tf.TensorSpec([None, None], tf.int32)


@tf.function(input_signature=[spec, spec], reduce_retracing=True)
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)  # (batch, SEQ_LEN, vocabulary)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


@tf.function(input_signature=[spec], reduce_retracing=True)
def predict(x):
    \"\"\"The model's logits (batch, T, vocabulary) for inputs x, without dropout (compiled once, like the step).\"\"\"
    return model(x, training=False)


def validation_loss():
    \"\"\"Mean cross-entropy (nats per {token}) over the validation batches.\"\"\"
    total, count = 0.0, 0
    for x, y in val_batches:
        logits = predict(x)
        total += float(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)))
        count += y.size
    return total / count"""
    return Block(text, code)


def train_block(c: RNNConfig) -> Block:
    """The training loop: the step's rate, a batch, a step; the validation loss every EVAL_EVERY steps."""
    plateau = c.lr_schedule == PLATEAU
    follow = "\n        follow_validation(val)" if plateau else ""
    text = (
        "Train: set the step's learning rate, draw a batch, take a step. Every step prints its loss; every "
        "EVAL_EVERY steps the validation loss says whether the model learns the language or memorises the "
        "training data."
    )
    code = f"""\
for step in range(START, START + STEPS):
    optimizer.learning_rate.assign(learning_rate(step))
    x, y = sample_batch()
    loss = float(train_step(x, y))
    print(f"step {{step + 1}} loss {{loss:.7f}}")
    if (step + 1) % EVAL_EVERY == 0 and val_batches:
        val = validation_loss()
        print(f"step {{step + 1}} validation {{val:.4f}} (learning rate {{learning_rate(step):.3g}})"){follow}"""
    return Block(text, code)


def _generate(s: TextSettings) -> Block:
    if s.newline:
        first = 'context = [stoi[ch] for ch in (PRIME or "\\n")]  # the model reads the priming text first'
    else:
        first = (
            "context = [stoi[ch] for ch in (PRIME or text[0])]  # the priming text first (the text has no newline: "
            "its first character)"
        )
    text = (
        "Generate: the model reads the priming text, gives a probability to every character, and one is drawn; "
        "it is added to the text and the model reads on. Temperature reshapes the probabilities (p to the power "
        "1/T, renormalised) and top-k keeps only the k most likely characters."
    )
    code = f"""\
def next_char_probs(context):
    \"\"\"The model's probability of every character coming after ``context`` (character indices), float64.\"\"\"
    logits = np.asarray(predict(np.array([context], np.int32)))[0, -1].astype(np.float64)
    p = np.exp(logits - logits.max())
    return p / p.sum()


def adjust(p, temperature, top_k):
    \"\"\"Top-k, then temperature: the distribution a character is drawn from.\"\"\"
    if temperature == 0:  # always the most likely character
        return np.eye(p.size)[np.argmax(p)]
    keep = np.argsort(-p, kind="stable")[:top_k] if 0 < top_k < p.size else np.arange(p.size)
    logp = np.full(p.size, -np.inf)
    logp[keep] = np.log(np.maximum(p[keep], 1e-300))
    w = np.exp((logp - logp[keep].max()) / temperature)
    return w / w.sum()


{first}
sampler = np.random.default_rng(SAMPLE_SEED)
generated = []
for _ in range(LENGTH):
    i = int(sampler.choice(len(chars), p=adjust(next_char_probs(context), TEMPERATURE, TOP_K)))
    generated.append(chars[i])
    context.append(i)
print(PRIME + "".join(generated))"""
    return Block(text, code)


def _save() -> Block:
    return save_block("text_model.zip", "chars", "chars", "the characters", "Text")


def save_block(zip_name: str, key: str, names: str, what: str, lab: str) -> Block:
    """Save the model as a zip in the app's format: model.keras with Adam's state, and vocab.json whose ``key`` holds
    the program's list ``names`` (``what`` it is, in words) with the step; ``lab`` loads it."""
    text = (
        f"Save the model as a zip in the app's format (model.keras with Adam's state, and vocab.json with {what} "
        f"and the step): the {lab} lab can load it, and this program, with WEIGHTS set to it, continues training "
        "from it."
    )
    code = f"""\
optimizer.learning_rate.assign(LEARNING_RATE)  # the file keeps the peak rate; the schedule sets each step's again
with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile("{zip_name}", "w", zipfile.ZIP_DEFLATED) as zf:
    model.save(Path(tmp) / "model.keras")
    zf.write(Path(tmp) / "model.keras", "model.keras")
    meta = {{"step": START + STEPS, "config": {{"seed": SEED, "seq_len": SEQ_LEN, "batch_size": BATCH}}}}
    vocab_json = {{"format": "rnn-playground-vocab", "version": 1, "{key}": {names}, "meta": meta}}
    zf.writestr("vocab.json", json.dumps(vocab_json))
print("Saved {zip_name}")"""
    return Block(text, code)
