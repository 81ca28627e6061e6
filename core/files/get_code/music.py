"""The Music lab's "Get the code": a standalone program (numpy, Keras/TensorFlow, pretty_midi) for the lab's settings.

The program does what the lab does, in one readable file:

- reads the .mid files of a folder in name order and turns each into musical *values* with a few functions that
  write out core.music.music_codec (quantize to the grid through the tempo map, transpose to C major / A minor when
  chosen, merge notes with one onset into a chord of the highest ``max_chord`` pitches, cut overlaps, fill gaps with
  rests, cap durations), and back into MIDI;
- builds the vocabulary and the split of core.music.music_data.MusicCorpus (most frequent values first; the last 10%
  of the pieces held out when there are 5 or more) and draws training snippets as it does (uniformly among all
  snippets that stay inside a piece);
- trains the lab's model on them with the same seeds, so its first losses are the lab's:
    * this lab's LSTM (value -> embedding -> LSTM -> logits): the Text lab's model, schedule and training step
      (core.files.get_code.text), trained as core.models.keras_trainer.SequenceTrainer does;
    * the course's jazz model (core.models.course_model): one-hot values over the capped vocabulary of 90, one shared
      LSTM cell and Dense layer unrolled over Tx steps, Adam with the course's decay, trained as CourseTrainer does;
- composes from silence (or after the opening the student used): sampled with a temperature, or, at temperature 0,
  the most likely value every step (the course's generation: for the course's model the shared cell and Dense layer
  run one step at a time, each value fed back as a one-hot, as its ``music_inference_model`` does), and writes
  composition.mid with pretty_midi.

With ``weights`` set it continues from the zip ``MusicLab.code_weights`` gives.

Simplified on purpose: the lab's safety checks on uploaded MIDI (sizes, corrupt files, pitch-bend floods) are left
out (a file pretty_midi can't read is skipped); validation runs every ``eval_every`` steps, without stopping at the
best one; a composition has a number of values (the lab can also count bars).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.files.get_code.program import Block, Program
from core.files.get_code.text import (
    load_block,
    model_block,
    save_block,
    schedule_block,
    setting,
    train_block,
    train_step_block,
)
from core.models import course_model as cm
from core.music import music_codec as mc
from core.music import music_data as md

MIDI_FOLDER = "midi"  # the folder the program reads the .mid files from


@dataclass(frozen=True)
class MusicSettings:
    """What the Music program is written for."""

    config: Any  # the run's config: core.models.keras_model.RNNConfig (this lab's LSTM) or course_model.CourseConfig
    codec: mc.CodecOptions  # how MIDI becomes values
    val_batch: int  # validation snippets per batch
    steps: int = 2000  # optimizer steps the program trains
    eval_every: int = 100  # steps between validation passes
    values: int = 64  # values composed
    temperature: float = 1.0  # sampling temperature (0: the most likely value every step)
    sample_seed: int = 0  # the composition's random seed
    opening: tuple[str, ...] = ()  # values the composition starts after (empty: from silence)
    tempo: float = 100.0  # quarter notes per minute of composition.mid
    weights: str | None = None  # the zip to continue from (None: new weights)


def is_course(s: MusicSettings) -> bool:
    return isinstance(s.config, cm.CourseConfig)


def program(s: MusicSettings) -> Program:
    """The Music lab's program for settings ``s`` (see the module docstring)."""
    s.config.validate()
    trained = s.weights is not None
    course = is_course(s)
    blocks = [_settings(s), _codec(s), _corpus(s)]
    if course:
        blocks += [_course_vocab(s), _batches(s), _course_model(s), _course_train(s), _compose(s), _save(s)]
    else:
        c = s.config
        model = load_block() if trained else model_block(c, "value", "vocab")
        blocks += [_batches(s), model, schedule_block(c), train_step_block("value"), train_block(c)]
        blocks += [_compose(s), _save(s)]
    what = "the course's jazz model (one-hot values, one shared LSTM cell)" if course else "an LSTM over values"
    how = "continues training the model you trained in the app" if trained else "trains a new model"
    intro = (
        f"This program {how}: {what} on the MIDI files of the folder `{MIDI_FOLDER}`, with the settings you chose in "
        "RNN Playground's Music lab, then composes and writes `composition.mid`. It needs Python 3 with numpy, "
        "TensorFlow (which brings Keras) and pretty_midi: `pip install numpy tensorflow pretty_midi`. Keep the "
        f"folder `{MIDI_FOLDER}`"
        + (f" and `{s.weights}`" if trained else "")
        + " beside the program and run it."
        + ("" if trained else " With the same seed, its first training losses are the app's.")
    )
    title = "Music lab: " + ("the course's jazz model" if course else "an LSTM over musical values") + " in Keras"
    run = (
        f"Run `python music_rnn.py` in the folder that holds `{MIDI_FOLDER}`, or open `music_rnn.ipynb` in Jupyter "
        "or Colab with that folder beside it and run the cells top to bottom. The first cell holds the settings: "
        "change them and run again."
    )
    return Program(
        title=title + (" (continued)" if trained else ""), intro=intro, blocks=tuple(blocks), stem="music_rnn", run=run
    )


# ---------------------------------------------------------------------------------------------- blocks
def _settings(s: MusicSettings) -> Block:
    c, o = s.config, s.codec
    trained, course = s.weights is not None, is_course(s)
    lines = [
        "import json",
        None if course else "import tempfile",
        "import zipfile",
        None if trained else "from collections import Counter",
        "from pathlib import Path",
        "",
        "import keras",
        "import numpy as np",
        "import pretty_midi",
        "import tensorflow as tf",
        "",
        f"MIDI = {MIDI_FOLDER!r}  # the folder of .mid files to learn from (read in name order)",
        setting("WEIGHTS", s.weights, "the zip downloaded from the app") if trained else None,
        f"MAX_CHORD = {o.max_chord}  # pitches kept in a chord (the highest)",
        f"STEPS_PER_QUARTER = {o.steps_per_quarter}  # the time grid: {o.steps_per_quarter} steps per quarter note",
        f"MAX_DURATION = {o.max_duration}  # the longest value, in grid steps",
        f"MAX_VALUES = {md.MAX_VALUES_PER_PIECE}  # longer pieces are cut",
    ]
    if course:
        lines += [
            f"N_VALUES = {cm.N_VALUES}  # the course's vocabulary: the {cm.N_VALUES - 1} most common values and one "
            "for the rest",
            f"N_A = {c.n_a}  # LSTM units: the size of a<t> and c<t>" if not trained else None,
            f"TX = {c.Tx}  # values per training snippet (the steps the model is unrolled for)",
            f"LEARNING_RATE, DECAY = {c.learning_rate!r}, {c.decay!r}  # Adam's rate at step t: LEARNING_RATE / "
            "(1 + DECAY t)",
            f"BETA_1, BETA_2 = {c.beta_1!r}, {c.beta_2!r}  # Adam's moment decays (the course's)",
        ]
    else:
        lines += [
            f"HIDDEN = {c.hidden}  # LSTM units" if not trained else None,
            f"LAYERS = {c.layers}  # stacked LSTM layers" if not trained else None,
            f"EMBED = {c.embed_dim}  # size of a value's embedding vector" if not trained else None,
            f"SEQ_LEN = {c.seq_len}  # values per training snippet",
            f"LEARNING_RATE = {c.learning_rate!r}  # Adam's peak learning rate",
        ]
    lines += [
        f"SEED = {c.seed}  # weights and the order of the training snippets",
        f"BATCH = {c.batch_size}  # snippets per training step",
        f"STEPS = {int(s.steps)}  # training steps to run",
        f"EVAL_EVERY = {int(s.eval_every)}  # steps between validation passes",
        f"VAL_BATCH = {int(s.val_batch)}  # validation snippets per batch",
        f"VALUES = {int(s.values)}  # values to compose",
        setting("OPENING", list(s.opening), "values the composition starts after (empty: from silence)"),
        f"TEMPERATURE = {float(s.temperature)!r}  # 0: the most likely value every step; 1: as the model believes",
        f"SAMPLE_SEED = {int(s.sample_seed)}  # the composition's random seed",
        f"TEMPO = {float(s.tempo)!r}  # quarter notes per minute of composition.mid",
        "",
        "keras.utils.set_random_seed(SEED)  # Python's, numpy's and TensorFlow's global generators",
    ]
    text = "The libraries, and the settings you chose in the app. Change them here: the rest of the program reads them."
    return Block(text, "\n".join(line for line in lines if line is not None))


def _codec(s: MusicSettings) -> Block:
    transpose = s.codec.transpose
    key = ""
    if transpose:
        key = f"""

# Krumhansl-Kessler key profiles: how strongly each of the 12 pitch classes (from the tonic) belongs to a key
MAJOR = np.array({[float(x) for x in mc._MAJOR]!r})
MINOR = np.array({[float(x) for x in mc._MINOR]!r})


def to_c(notes):
    \"\"\"Transpose to C major / A minor: the key whose profile correlates best with the duration-weighted
    pitch-class histogram, moved by the smallest shift (-6..+5 semitones) that puts its tonic on C (major) or A.\"\"\"
    hist = np.zeros(12)
    for start, end, pitch in notes:
        hist[pitch % 12] += max(float(end - start), 1e-6)
    best, tonic, mode = -np.inf, 0, "major"
    if hist.sum() > 0 and not np.allclose(hist, hist[0]):
        for name, profile in (("major", MAJOR), ("minor", MINOR)):
            for t in range(12):
                r = np.corrcoef(hist, np.roll(profile, t))[0, 1]
                if r > best:
                    best, tonic, mode = r, t, name
    shift = ((0 if mode == "major" else 9) - tonic + 6) % 12 - 6
    return [(start, end, min(127, max(0, pitch + shift))) for start, end, pitch in notes]"""
    text = (
        "From MIDI to *values* and back. A value is one note, chord or rest with its length in grid steps: "
        "`N60_d4` is middle C for a quarter note, `C60.64.67_d2` a chord for an eighth, `R_d4` a quarter rest. "
        "Values follow one another, so a piece becomes one line of values"
        + (", moved to C major or A minor so that pieces in different keys share values." if transpose else ".")
    )
    code = f"""\
def quantized_notes(pm):
    \"\"\"Every pitched note as (onset step, end step, pitch) on the grid, through the file's tempo map.\"\"\"
    per_step = pm.resolution / STEPS_PER_QUARTER  # MIDI ticks per grid step
    notes = []
    for instrument in pm.instruments:
        if instrument.is_drum:  # drums have no pitch
            continue
        for n in instrument.notes:
            start = int(round(pm.time_to_tick(n.start) / per_step))
            end = int(round(pm.time_to_tick(n.end) / per_step))
            notes.append((start, max(end, start + 1), int(n.pitch)))  # every note keeps at least one step
    return sorted(notes){key}


def value(pitches, duration):
    \"\"\"The value of a rest (no pitch), a note (one) or a chord (several, ascending) lasting ``duration`` steps.\"\"\"
    if not pitches:
        return f"R_d{{duration}}"
    if len(pitches) == 1:
        return f"N{{pitches[0]}}_d{{duration}}"
    return "C" + ".".join(str(p) for p in pitches) + f"_d{{duration}}"


def midi_to_values(pm):
    \"\"\"A piece as values: notes with one onset form a chord; a value lasts until the next onset at most, a gap
    becomes rests, and no value lasts longer than MAX_DURATION steps.\"\"\"
    notes = {"to_c(quantized_notes(pm))" if transpose else "quantized_notes(pm)"}
    chords = {{}}  # onset -> (pitches, the latest end)
    for start, end, pitch in notes:
        pitches, last = chords.get(start, (set(), start))
        chords[start] = (pitches | {{pitch}}, max(last, end))
    onsets = sorted(chords)
    values = []
    for k, start in enumerate(onsets):
        pitches, end = chords[start]
        following = onsets[k + 1] if k + 1 < len(onsets) else None
        if following is not None:
            end = min(end, following)  # cut at the next onset: one line of values
        duration = min(end - start, MAX_DURATION)
        values.append(value(sorted(pitches)[-MAX_CHORD:], duration))
        gap = 0 if following is None else following - (start + duration)
        while gap > 0:  # silence until the next onset, in rests of at most MAX_DURATION
            values.append(value([], min(gap, MAX_DURATION)))
            gap -= MAX_DURATION
    return values[:MAX_VALUES]


def values_to_midi(values, tempo):
    \"\"\"Values laid end to end on one piano at ``tempo`` quarter notes per minute.\"\"\"
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    piano = pretty_midi.Instrument(program=0, name="values")
    step_s = 60.0 / tempo / STEPS_PER_QUARTER  # seconds per grid step
    t = 0
    for v in values:
        head, duration = v.split("_d")
        pitches = [] if head == "R" else [int(p) for p in head[1:].split(".")]
        for pitch in pitches:
            piano.notes.append(pretty_midi.Note(90, pitch, t * step_s, (t + int(duration)) * step_s))
        t += int(duration)
    pm.instruments.append(piano)
    return pm"""
    return Block(text, code)


def _corpus(s: MusicSettings) -> Block:
    trained, course = s.weights is not None, is_course(s)
    if trained:
        goes_on = "" if course else ": the schedule goes on"
        vocab = f"""\
with zipfile.ZipFile(WEIGHTS) as zf:
    saved = json.loads(zf.read("vocab.json"))
vocab = saved["tokens"]  # the trained model's vocabulary (index -> value)
START = int(saved.get("meta", {{}}).get("step", 0))  # the steps it has trained{goes_on}"""
        words = "the trained model's vocabulary (from the zip's vocab.json)"
    else:
        vocab = """\
counts = Counter(v for piece in pieces for v in piece)
vocab = sorted(counts, key=lambda v: (-counts[v], v))  # most frequent first (index -> value)"""
        words = "a vocabulary of every value, most frequent first"
    if trained and course:
        encode = (
            "# a value the cap folded: the last index\n"
            "ids = [np.array([stoi.get(v, len(vocab) - 1) for v in piece], dtype=np.int32) for piece in pieces]"
        )
    else:
        encode = "ids = [np.array([stoi[v] for v in piece if v in stoi], dtype=np.int32) for piece in pieces]"
    text = (
        f"Read every piece, build {words}, and hold out the last {md.VAL_FRACTION:.0%} of the pieces for "
        "validation (none when there are fewer than 5)."
    )
    code = f"""\
pieces = []
for path in sorted(Path(MIDI).glob("*.mid")):
    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # a file pretty_midi can't read is left out
        print(f"{{path.name}} left out: {{exc}}")
        continue
    values = midi_to_values(pm)
    if values:
        pieces.append(values)
{vocab}
stoi = {{v: i for i, v in enumerate(vocab)}}
{encode}
n_val = int(round(len(ids) * {md.VAL_FRACTION!r})) if len(ids) >= 5 else 0
train_pieces, val_pieces = ids[: len(ids) - n_val], ids[len(ids) - n_val :]
print(f"{{len(pieces)}} pieces, {{sum(map(len, ids)):,}} values, {{len(vocab)}} distinct, {{n_val}} held out")"""
    return Block(text, code)


def _course_vocab(s: MusicSettings) -> Block:
    text = (
        f"The course's model reads one-hot vectors of {cm.N_VALUES} values: the {cm.N_VALUES - 1} most common "
        f"values keep their own index, and index {cm.N_VALUES - 1} stands for every other value (it plays as the "
        f"most common of them)." + (" The zip's vocabulary is already capped." if s.weights is not None else "")
    )
    if s.weights is not None:
        code = """\
N_VALUES = len(vocab)
capped = np.arange(N_VALUES, dtype=np.int32)  # the trained vocabulary is the capped one"""
    else:
        code = """\
N_VALUES = min(N_VALUES, len(vocab))  # a corpus with fewer values keeps them all
capped = np.minimum(np.arange(len(vocab)), N_VALUES - 1).astype(np.int32)  # full index -> capped index
vocab = vocab[:N_VALUES]  # what each capped index plays as"""
    code += """
train_pieces = [capped[a] for a in train_pieces]
val_pieces = [capped[a] for a in val_pieces]"""
    return Block(text, code)


def _batches(s: MusicSettings) -> Block:
    n = "TX" if is_course(s) else "SEQ_LEN"
    text = (
        f"Training snippets: {n} values in a row from a training piece (never across two pieces), and the same "
        "snippet one value later as the targets; every possible snippet is equally likely. The validation "
        "snippets are fixed: the held-out pieces cut into snippets that don't overlap."
    )
    code = f"""\
usable = [a for a in train_pieces if len(a) >= {n} + 1]  # pieces long enough for a snippet
if not usable:
    raise SystemExit(f"No training piece has the {n} + 1 = {{{n} + 1}} values a snippet needs: lower {n}.")
ends = np.cumsum([len(a) - {n} for a in usable])  # snippets up to each piece
rng = np.random.default_rng(SEED)  # the order of the snippets


def sample_batch():
    \"\"\"BATCH random snippets: inputs x and targets y, int32 (BATCH, {n}), y[:, t] = x[:, t + 1].\"\"\"
    g = rng.integers(0, int(ends[-1]), size=BATCH)  # snippet numbers over all pieces
    which = np.searchsorted(ends, g, side="right")  # the piece of each
    starts = g - np.concatenate([[0], ends[:-1]])[which]  # where it starts in its piece
    x = np.stack([usable[w][i : i + {n}] for w, i in zip(which, starts)]).astype(np.int32)
    y = np.stack([usable[w][i + 1 : i + {n} + 1] for w, i in zip(which, starts)]).astype(np.int32)
    return x, y


snippets = [  # (x, y) of every validation snippet, in order
    (a[i : i + {n}], a[i + 1 : i + {n} + 1]) for a in val_pieces for i in range(0, len(a) - {n}, {n})
]
val_batches = [
    (np.stack([x for x, _ in snippets[k : k + VAL_BATCH]]), np.stack([y for _, y in snippets[k : k + VAL_BATCH]]))
    for k in range(0, min(len(snippets), {md.MusicCorpus.val_batches.__defaults__[0]} * VAL_BATCH), VAL_BATCH)
]  # at most {md.MusicCorpus.val_batches.__defaults__[0]} batches
if not val_batches:
    print("No held-out piece is long enough for a validation snippet: no validation.")"""
    return Block(text, code)


def _course_model(s: MusicSettings) -> Block:
    text = (
        "The course's model. Three layers are created once and applied at every time step: a Reshape, ONE LSTM "
        "cell (its state a<t>, c<t> carried from step to step) and ONE Dense softmax layer, so the model has "
        "the same few weights whatever TX is. `unroll=True` runs the LSTM's single step as plain operations. "
        "Adam's rate decays as LEARNING_RATE / (1 + DECAY t), as the course's Keras 2 `decay` did."
        + (" The weights come from the zip." if s.weights is not None else "")
    )
    code = """\
init = keras.initializers
s = SEED * 1000  # one seed per initializer, all derived from SEED
reshaper = keras.layers.Reshape((1, N_VALUES), name="reshaper")  # (m, N_VALUES) -> (m, 1, N_VALUES)
LSTM_cell = keras.layers.LSTM(
    N_A,
    return_state=True,
    unroll=True,
    kernel_initializer=init.GlorotUniform(seed=s + 1),
    recurrent_initializer=init.Orthogonal(seed=s + 2),
    name="LSTM_cell",
)
densor = keras.layers.Dense(
    N_VALUES, activation="softmax", kernel_initializer=init.GlorotUniform(seed=s + 3), name="densor"
)


def djmodel(Tx):
    \"\"\"The course's training model: X (m, Tx, N_VALUES), a0, c0 (m, N_A) -> Tx softmax outputs (m, N_VALUES).\"\"\"
    X = keras.Input(shape=(Tx, N_VALUES), name="X")
    a0 = keras.Input(shape=(N_A,), name="a0")
    c0 = keras.Input(shape=(N_A,), name="c0")
    a, c = a0, c0
    outputs = []
    for t in range(Tx):
        x = reshaper(X[:, t, :])  # (m, 1, N_VALUES): the value at step t
        a, _, c = LSTM_cell(x, initial_state=[a, c])  # the same cell at every step
        outputs.append(densor(a))  # (m, N_VALUES): the next value's probabilities
    return keras.Model(inputs=[X, a0, c0], outputs=outputs, name="djmodel")


model = djmodel(TX)
schedule = keras.optimizers.schedules.InverseTimeDecay(LEARNING_RATE, decay_steps=1, decay_rate=DECAY)
optimizer = keras.optimizers.Adam(learning_rate=schedule, beta_1=BETA_1, beta_2=BETA_2)
optimizer.build(model.trainable_variables)"""
    if s.weights is None:
        code += "\nSTART = 0  # steps trained so far"
    else:
        code = (
            "with zipfile.ZipFile(WEIGHTS) as zf:\n"
            '    trained = dict(np.load(zf.open("weights.npz")))  # the LSTM cell, the Dense layer and Adam\n'
            'N_A = trained["recurrent"].shape[0]  # LSTM units\n' + code
        )
        code += """
LSTM_cell.set_weights([trained["kernel"], trained["recurrent"], trained["bias"]])
densor.set_weights([trained["dense_w"], trained["dense_b"]])
for i, variable in enumerate(optimizer.variables):  # Adam's step count (the decay goes on) and moments
    variable.assign(trained[f"adam_{i}"])"""
    return Block(text, code)


def _course_train(s: MusicSettings) -> Block:
    text = (
        "Train: the loss is the mean cross-entropy of the next value (nats; the course's Keras `fit` reported the "
        "sum over the TX outputs, about TX times this, and Adam's steps don't depend on that scale). Every step "
        "prints its loss; every EVAL_EVERY steps the validation loss is measured."
    )
    code = """\
spec = tf.TensorSpec([None, TX], tf.int32)


def nats(x, y, training):
    \"\"\"Cross-entropy of every next value (m, TX): one-hot inputs, a0 = c0 = 0, as the course.\"\"\"
    zeros = tf.zeros((tf.shape(x)[0], N_A))
    outs = tf.stack(model([tf.one_hot(x, N_VALUES), zeros, zeros], training=training), axis=1)  # (m, TX, N_VALUES)
    p = tf.gather(outs, y, batch_dims=2)  # (m, TX): the probability of the true next value
    return -tf.math.log(tf.clip_by_value(p, 1e-7, 1.0))


@tf.function(input_signature=[spec, spec], reduce_retracing=True)
def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(nats(x, y, True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def validation_loss():
    \"\"\"Mean cross-entropy (nats per value) over the validation batches.\"\"\"
    return sum(float(tf.reduce_sum(nats(x, y, False))) for x, y in val_batches) / sum(y.size for _, y in val_batches)


for step in range(START, START + STEPS):
    x, y = sample_batch()
    loss = float(train_step(x, y))
    print(f"step {step + 1} loss {loss:.7f}")
    if (step + 1) % EVAL_EVERY == 0 and val_batches:
        print(f"step {step + 1} validation {validation_loss():.4f}")"""
    return Block(text, code)


def _compose(s: MusicSettings) -> Block:
    if is_course(s):
        text = (
            "Compose. At temperature 0 this does what the course's `music_inference_model` does: from x0 = a0 = c0 "
            "= 0 the same LSTM cell and Dense layer run one step at a time, and each step's most likely value is fed "
            "back as a one-hot. At another temperature a value is drawn from the probabilities (p to the power 1/T, "
            "renormalised) instead. The opening, if any, is read first."
        )
        code = """\
def read(v, a, c):
    \"\"\"One step of the inference model: value v (None: silence, x0 = 0) and the state a, c (1, N_A) in; the next
    value's probabilities (N_VALUES,) and the new state out.\"\"\"
    x = np.zeros((1, 1, N_VALUES), np.float32) if v is None else np.eye(N_VALUES, dtype=np.float32)[[v]][:, None, :]
    a, _, c = LSTM_cell(x, initial_state=[a, c])  # the shared cell, one step
    return np.asarray(densor(a))[0].astype(np.float64), a, c


def after(context):
    \"\"\"The probabilities and the state after silence and the values ``context`` (capped indices).\"\"\"
    p, a, c = read(None, np.zeros((1, N_A), np.float32), np.zeros((1, N_A), np.float32))
    for v in context:
        p, a, c = read(v, a, c)
    return p, a, c"""
        opening = "[int(capped[stoi.get(v, len(capped) - 1)]) for v in OPENING]"
        feed = "p, a, c = read(i, a, c)  # the model reads the value it wrote"
        start = "p, a, c = after(context)"
    else:
        text = (
            "Compose: the model starts from silence (a zero vector where a value's embedding would be), reads the "
            "opening if there is one, gives a probability to every value, and one is drawn (p to the power 1/T, "
            "renormalised; at temperature 0 the most likely); it is added and the model reads on."
        )
        code = """\
@tf.function(input_signature=[tf.TensorSpec([None], tf.int32)], reduce_retracing=True)
def logits_after(context):
    \"\"\"The logits of the value after silence and the values ``context`` (indices), compiled once.\"\"\"
    embedding = model.get_layer("embedding")
    x = embedding(context[None, :])  # (1, T, EMBED)
    x = tf.concat([tf.zeros((1, 1, embedding.output_dim)), x], axis=1)  # silence first: a zero vector
    for layer in model.layers[1:]:  # the LSTM layers and the Dense logits
        x = layer(x, training=False)
    return x[0, -1]


def probs_after(context):
    \"\"\"The probability of every value after silence and the values ``context`` (indices), float64.\"\"\"
    logits = np.asarray(logits_after(np.array(context, np.int32))).astype(np.float64)
    p = np.exp(logits - logits.max())
    return p / p.sum()"""
        opening = "[stoi[v] for v in OPENING]"
        feed = "p = probs_after(context)  # the model reads everything again, the new value last"
        start = "p = probs_after(context)"
    code += f"""


context = {opening}
sampler = np.random.default_rng(SAMPLE_SEED)
composed = []
{start}
for _ in range(VALUES):
    if TEMPERATURE == 0:
        i = int(np.argmax(p))  # the most likely value
    else:
        w = np.exp(np.log(np.maximum(p, 1e-300)) / TEMPERATURE)
        i = int(sampler.choice(len(p), p=w / w.sum()))
    composed.append(vocab[i])
    context.append(i)
    {feed}
print(" ".join(composed))
values_to_midi(OPENING + composed, TEMPO).write("composition.mid")
print("Wrote composition.mid")"""
    return Block(text, code)


def _save(s: MusicSettings) -> Block:
    if is_course(s):
        text = (
            "Save the weights (the LSTM cell's and the Dense layer's, as numpy arrays) and the capped vocabulary "
            "with the step in a zip: this program, with WEIGHTS set to it, continues training from it."
        )
        code = """\
with zipfile.ZipFile("music_model.zip", "w", zipfile.ZIP_DEFLATED) as zf:
    kernel, recurrent, bias = LSTM_cell.get_weights()
    dense_w, dense_b = densor.get_weights()
    adam = {f"adam_{i}": v.numpy() for i, v in enumerate(optimizer.variables)}  # Adam's step count and moments
    with zf.open("weights.npz", "w") as f:
        np.savez(f, kernel=kernel, recurrent=recurrent, bias=bias, dense_w=dense_w, dense_b=dense_b, **adam)
    zf.writestr("vocab.json", json.dumps({"tokens": vocab, "meta": {"step": START + STEPS}}))
print("Saved music_model.zip")"""
        return Block(text, code)
    return save_block("music_model.zip", "tokens", "vocab", "the values", "Music")
