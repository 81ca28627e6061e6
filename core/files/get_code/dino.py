"""The Dinosaur lab's training code: the course's character-level RNN in numpy, as a program a student runs at home.

``program(config, names, sampling)`` writes the course's functions under the course's names (softmax,
initialize_parameters, rnn_step_forward, rnn_forward, rnn_step_backward, rnn_backward, clip, update_parameters,
optimize, sample, smooth) and the training loop, with the student's settings in the first block. Column vectors,
``"\\n"`` ends a name, the zero vector is the first input, the hidden state is carried from one name to the next: what
core.models.numpy_rnn and core.models.dino do. The program draws random numbers as DinoTrainer does (the weights
from ``default_rng(seed)``, the order of the names from a second ``default_rng(seed)``, the names printed while
training from ``default_rng(seed + 1)``, one uniform number per sampled letter), so the same settings give the
same losses as the app (tests/core/files/test_get_code_dino.py checks them to 1e-5).

With ``trained_at`` the program continues from the weights ``weights_npz(trainer)`` saves instead of starting
from random ones: the weights, the vocabulary, the carried hidden state, the iteration, the smoothed loss and the
state of the generator of the training samples, as plain arrays (no pickle), so it trains on exactly as the app
would.

Simplified on purpose: clipping off leaves ``clip`` out of the program (no dead code); the app's guard against an
exploding loss becomes a stop at a loss that is no longer finite (the app also puts earlier weights back); the
losses go to losses.csv instead of a live chart; the look-inside traces are left out.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.files.get_code.program import Block, Program
from core.models.dino import DinoConfig
from core.models.numpy_rnn import PARAM_NAMES

WEIGHTS_NAME = "dinosaur_rnn_weights.npz"  # the trained weights' file in the download
BUNDLED_NAME = "dinos.txt"  # the copy of the bundled list
UPLOADED_NAME = "names.txt"  # the copy of an uploaded list


@dataclass(frozen=True)
class Sampling:
    """The names sampled at the end of the program: the page's "Sample names" settings."""

    how_many: int = 10  # names to sample
    temperature: float = 1.0  # p^(1/T) renormalised; 0: always the most likely letter
    seed: int = 0  # the sampling seed


def corpus_file(names: Sequence[str], file_name: str = BUNDLED_NAME) -> tuple[str, bytes]:
    """The names as the program reads them back: one a line, UTF-8."""
    return file_name, ("\n".join(names) + "\n").encode("utf-8")


def weights_npz(trainer) -> bytes:
    """A DinoTrainer's state as .npz bytes (np.load(..., allow_pickle=False) reads it): Wax, Waa, Wya, b, by,
    chars (the vocabulary, '\\n' first), a_prev (n_a, 1), iteration, smooth_loss and sample_rng_state (the JSON of
    the training samples' generator state)."""
    buf = io.BytesIO()
    arrays = {k: np.asarray(trainer.parameters[k], dtype=np.float64) for k in PARAM_NAMES}
    np.savez(
        buf,
        **arrays,
        chars=np.array(trainer.chars, dtype=str),
        a_prev=np.asarray(trainer.a_prev, dtype=np.float64),
        iteration=np.array(int(trainer.step)),
        smooth_loss=np.array(float(trainer.smooth_loss)),
        sample_rng_state=np.array(json.dumps(trainer.sample_rng.bit_generator.state)),
    )
    return buf.getvalue()


def program(
    config: DinoConfig,
    names: Sequence[str],
    sampling: Sampling = Sampling(),
    *,
    corpus_name: str = BUNDLED_NAME,
    trained_at: int | None = None,
) -> Program:
    """The program for ``config`` (from random weights, or with ``trained_at``, the iteration the weights were
    saved at, from ``WEIGHTS_NAME``), reading ``names`` from ``corpus_name`` and sampling as ``sampling`` says."""
    trained = trained_at is not None
    clip_on = config.clip_value is not None
    blocks = [
        _settings(config, sampling, corpus_name, trained_at),
        _imports(trained),
        _data(trained),
        _loaded() if trained else _initialize(),
        _forward(),
        _backward(),
        _update(clip_on),
        _optimize(clip_on, config.clip_value),
        _sample(),
        _smooth(trained),
        _start(trained),
        _loop(trained, clip_on),
        _losses(),
        _final(),
    ]
    what = (
        f"continues training the model you trained in the app (from iteration {trained_at:,})"
        if trained
        else "trains it from random weights with the settings you chose in the app"
    )
    intro = (
        "The character-level RNN of the Dinosaur lab, in the notation of the course's exercise: column vectors, "
        "one name per step, gradient descent on the summed cross-entropy of each name. This program "
        f"{what}, prints the smoothed loss and a few sampled names every `sample_every` names, saves the "
        "loss of every name to losses.csv and samples new names at the end. It needs only numpy."
    )
    needs = f"`{corpus_name}`" + (f" and `{WEIGHTS_NAME}`" if trained else "")
    run = (
        f"Run `python {_stem(trained)}.py` in the folder that holds {needs}, or open `{_stem(trained)}.ipynb` in "
        "Jupyter or Colab with those files beside it and run the cells top to bottom. The first cell holds the "
        "settings: change them and run again."
    )
    return Program(
        title="Dinosaur names: a character-level RNN in numpy",
        intro=intro + "\n\n" + run,
        blocks=tuple(blocks),
        stem=_stem(trained),
        data=(corpus_file(names, corpus_name),),
        run=run,
    )


def _stem(trained: bool) -> str:
    return "dinosaur_rnn_trained" if trained else "dinosaur_rnn"


# ---------------------------------------------------------------------------------------------- the blocks
def _settings(config: DinoConfig, sampling: Sampling, corpus_name: str, trained_at: int | None) -> Block:
    lines = [f'corpus_path = "{corpus_name}"  # the names to learn from, one a line (a copy of the app\'s list)']
    if trained_at is not None:
        lines.append(f'weights_path = "{WEIGHTS_NAME}"  # your model from the app, at iteration {trained_at:,}')
    if trained_at is None:  # a trained model's hidden size is the weights' own
        lines.append(f"n_a = {config.n_a}  # hidden units: the size of the memory a<t>")
    lines.append(f"learning_rate = {config.learning_rate!r}  # the step size of gradient descent")
    if config.clip_value is not None:
        lines.append(
            f"clip_value = {float(config.clip_value)!r}  # every gradient entry is cut to [-clip_value, clip_value]"
        )
    if trained_at is None:
        lines.append(f"num_iterations = {config.iterations}  # names to train on, one per step")
        lines.append(f"seed = {config.seed}  # seeds the weights, the order of the names and the training samples")
    else:
        lines.append(f"num_iterations = {config.iterations}  # train until this many names in all (as in the app)")
        lines.append(f"seed = {config.seed}  # the run's seed: it shuffled the names")
    lines += [
        f"sample_every = {config.sample_every}  # print the smoothed loss and some sampled names every this many names",
        f"dino_names = {config.samples_per_batch}  # how many names are printed each time",
        f"temperature = {float(sampling.temperature)!r}  # the final samples: below 1 safer, above 1 wilder, "
        "0 the most likely letter",
        f"how_many = {sampling.how_many}  # the final samples: how many names",
        f"sample_seed = {sampling.seed}  # the final samples: their seed",
    ]
    same = (
        "your model trains on exactly as it would have in the app"
        if trained_at is not None
        else "the model learns exactly as it did in the app"
    )
    text = (
        "**Settings.** These are the settings you chose in the app. Change any of them and run the program again; "
        f"with the same settings, {same} (the same losses, the same names)."
    )
    return Block(text, "\n".join(lines))


def _imports(trained: bool) -> Block:
    head = "import json\n\nimport numpy as np" if trained else "import numpy as np"
    code = (
        head
        + '''


def softmax(x):
    """Turns a column of scores into probabilities (shifted by the largest score so that exp never overflows)."""
    e_x = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e_x / e_x.sum(axis=0, keepdims=True)'''
    )
    text = "**numpy and softmax.** numpy does all the maths" + (
        " (json reads the state of a random generator saved with the weights)." if trained else "."
    )
    text += " `softmax` turns the output scores into a probability for every character."
    return Block(text, code)


def _data(trained: bool) -> Block:
    code = """with open(corpus_path, encoding="utf-8") as f:
    names = [line.strip().lower() for line in f.read().splitlines()]
names = [name for name in names if name]  # blank lines are skipped"""
    if trained:
        code += '\nprint(f"{len(names):,} names")'
        text = (
            "**The names.** One name per line, lower-cased. The vocabulary comes with the trained weights (next block)."
        )
    else:
        code += """
chars = sorted(set("".join(names) + "\\n"))  # the vocabulary: "\\n" (the end of a name) sorts first
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}
vocab_size = len(chars)
print(f"{len(names):,} names, {vocab_size} characters (the end of a name included)")"""
        text = (
            "**The names and the vocabulary.** One name per line, lower-cased. Every character gets an index; "
            '`"\\n"` marks the end of a name, so the model also learns when to stop.'
        )
    return Block(text, code)


def _initialize() -> Block:
    code = '''def initialize_parameters(n_a, n_x, n_y, seed):
    """Small random weights (standard deviation 0.01) and zero biases."""
    rng = np.random.default_rng(seed)
    Wax = rng.standard_normal((n_a, n_x)) * 0.01  # input to hidden, (n_a, n_x)
    Waa = rng.standard_normal((n_a, n_a)) * 0.01  # hidden to hidden, (n_a, n_a)
    Wya = rng.standard_normal((n_y, n_a)) * 0.01  # hidden to output, (n_y, n_a)
    b = np.zeros((n_a, 1))  # hidden bias, (n_a, 1)
    by = np.zeros((n_y, 1))  # output bias, (n_y, 1)
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": b, "by": by}'''
    text = (
        "**The parameters.** Five arrays: `Wax` reads the input letter, `Waa` the memory of the letters before, "
        "`b` is their bias; `Wya` and `by` turn the memory into scores for the next letter. Small random weights "
        "let the units start out different from each other."
    )
    return Block(text, code)


def _loaded() -> Block:
    code = """weights = np.load(weights_path, allow_pickle=False)
parameters = {key: weights[key] for key in ("Wax", "Waa", "Wya", "b", "by")}
chars = [str(ch) for ch in weights["chars"]]  # the model's vocabulary, in its order ("\\n" first)
unknown = sorted(set("".join(names)) - set(chars))
if unknown:
    raise SystemExit(f"The names use characters the model never saw: {unknown}")
char_to_ix = {ch: i for i, ch in enumerate(chars)}
ix_to_char = {i: ch for i, ch in enumerate(chars)}
vocab_size = len(chars)
n_a = parameters["Waa"].shape[0]  # the trained model's hidden size
print(f"Loaded a model with n_a = {n_a} after {int(weights['iteration']):,} names")"""
    text = (
        "**The trained parameters.** `Wax`, `Waa`, `b`, `Wya` and `by` as the app had them, with the vocabulary "
        "they were trained on (a model can only read the characters it has an index for)."
    )
    return Block(text, code)


def _forward() -> Block:
    code = '''def rnn_step_forward(parameters, a_prev, x):
    """One time step: the new memory a<t> (n_a, 1) and the probabilities of the next character y_hat (n_y, 1)."""
    Waa, Wax, Wya, by, b = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"], parameters["b"]
    a_next = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
    p_t = softmax(np.dot(Wya, a_next) + by)
    return a_next, p_t


def rnn_forward(X, Y, a0, parameters):
    """Reads one name: X holds the input indices (None: the zero vector), Y the index each step should predict.
    Returns the loss (the summed cross-entropy, in nats) and a cache of every step for the backward pass."""
    vocab_size = parameters["Wax"].shape[1]
    x, a, y_hat = {}, {}, {}
    a[-1] = np.copy(a0)
    loss = 0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))  # one-hot column, (vocab_size, 1)
        if X[t] is not None:
            x[t][X[t]] = 1
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= np.log(y_hat[t][Y[t], 0])
    cache = (y_hat, a, x)
    return loss, cache'''
    text = (
        "**Forward.** At each step the memory is a<t> = tanh(Wax x<t> + Waa a<t-1> + b) and the prediction is "
        "y<t> = softmax(Wya a<t> + by). The loss of a name adds up -log of the probability the model gave to each "
        "right next character."
    )
    return Block(text, code)


def _backward() -> Block:
    code = '''def rnn_step_backward(dy, gradients, parameters, x, a, a_prev):
    """Back-propagates one step: adds this step's share to every gradient and passes da_next to the step before."""
    gradients["dWya"] += np.dot(dy, a.T)
    gradients["dby"] += dy
    da = np.dot(parameters["Wya"].T, dy) + gradients["da_next"]  # from this step's prediction and from step t+1
    daraw = (1 - a * a) * da  # through tanh
    gradients["db"] += daraw
    gradients["dWax"] += np.dot(daraw, x.T)
    gradients["dWaa"] += np.dot(daraw, a_prev.T)
    gradients["da_next"] = np.dot(parameters["Waa"].T, daraw)
    return gradients


def rnn_backward(X, Y, parameters, cache):
    """Back-propagation through time, from the last step to the first. Returns the gradients and the memories a."""
    (y_hat, a, x) = cache
    gradients = {"d" + key: np.zeros_like(value) for key, value in parameters.items()}
    gradients["da_next"] = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])  # the gradient of the loss with respect to the scores: y_hat - one-hot(Y[t])
        dy[Y[t]] -= 1
        gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
    return gradients, a'''
    text = (
        "**Backward.** Back-propagation through time: walking the name backwards, each step adds its part to every "
        "gradient, and `da_next` carries the blame for later mistakes back to earlier steps (through `Waa` and tanh)."
    )
    return Block(text, code)


def _update(clip_on: bool) -> Block:
    update = '''def update_parameters(parameters, gradients, learning_rate):
    """One step of gradient descent: every parameter moves against its gradient."""
    for key in ("Wax", "Waa", "Wya", "b", "by"):
        parameters[key] -= learning_rate * gradients["d" + key]
    return parameters'''
    if not clip_on:
        text = (
            "**The update.** One step of gradient descent. Clipping is off, as you chose in the app, so the "
            "gradients go into the update as they are (the course clips every entry to [-5, 5] first, which keeps "
            "one unlucky name from throwing the weights far off)."
        )
        return Block(text, update)
    code = (
        '''def clip(gradients, maxValue):
    """Cuts every gradient entry to [-maxValue, maxValue], in place, so that no single name can make a huge step."""
    for key in ("dWax", "dWaa", "dWya", "db", "dby"):
        np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
    return gradients


'''
        + update
    )
    text = (
        "**Clipping and the update.** Gradients of an RNN can explode: `clip` cuts every entry to "
        "[-clip_value, clip_value] before the update. Then one step of gradient descent."
    )
    return Block(text, code)


def _optimize(clip_on: bool, clip_value: float | None) -> Block:
    if clip_on:
        code = '''def optimize(X, Y, a_prev, parameters, learning_rate, clip_value):
    """One name: forward, backward, clip, update. Returns the loss, the gradients and the last memory a<T>."""
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, clip_value)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]'''
        text = "**One training step** on one name: forward, backward, clip, update."
    else:
        code = '''def optimize(X, Y, a_prev, parameters, learning_rate):
    """One name: forward, backward, update (no clipping). Returns the loss, the gradients and the last memory."""
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]'''
        text = "**One training step** on one name: forward, backward, update."
    return Block(text, code)


def _sample() -> Block:
    code = '''def reweight(p, temperature):
    """p^(1/temperature), renormalised: below 1 the likely letters gain, above 1 the unlikely ones do;
    temperature 0 keeps only the most likely letter."""
    if temperature == 0:
        return (np.arange(p.size) == np.argmax(p)).astype(float)
    q = p ** (1 / temperature)
    return q / q.sum()


def sample(parameters, char_to_ix, temperature, rng):
    """Samples one name a letter at a time, from a<0> = 0 and x<1> = 0, until "\\n" or 50 letters.
    Returns the indices of the letters (with the final "\\n" when the name ended by itself)."""
    Waa, Wax, Wya, by, b = parameters["Waa"], parameters["Wax"], parameters["Wya"], parameters["by"], parameters["b"]
    vocab_size, n_a = by.shape[0], Waa.shape[1]
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    indices = []
    newline_character = char_to_ix["\\n"]
    while len(indices) < 50 and newline_character not in indices[-1:]:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + b)
        y = softmax(np.dot(Wya, a) + by)
        cdf = np.cumsum(reweight(y.ravel(), temperature))
        idx = min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), vocab_size - 1)
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1  # the picked letter is the next input
        a_prev = a
    return indices


def get_name(indices):
    """The letters of a sampled name, without its final "\\n"."""
    return "".join(ix_to_char[ix] for ix in indices).rstrip("\\n")'''
    text = (
        "**Sampling.** To invent a name, feed the zero vector, pick a letter from the predicted probabilities, feed "
        "it back, and go on until the model picks the end of a name. One uniform random number picks each letter "
        "(the app's sampler does the same, so the same seed gives the same names)."
    )
    return Block(text, code)


def _smooth(trained: bool) -> Block:
    code = '''def smooth(loss, cur_loss):
    """A running average of the loss: each name counts for 0.1%, so the curve shows the trend, not the noise."""
    return loss * 0.999 + cur_loss * 0.001'''
    if not trained:
        code += '''


def get_initial_loss(vocab_size, seq_length):
    """Where the smoothed loss starts: a blind uniform guess over seq_length characters."""
    return -np.log(1.0 / vocab_size) * seq_length'''
    text = (
        "**The smoothed loss.** One name's loss jumps up and down (short names cost little, long ones a lot); "
        "the running average is the curve to watch."
    )
    return Block(text, code)


def _start(trained: bool) -> Block:
    if trained:
        code = """order = np.random.default_rng(seed).permutation(len(names))  # the run's shuffled order of the names
sample_rng = np.random.default_rng()
sample_rng.bit_generator.state = json.loads(str(weights["sample_rng_state"]))  # where the app's generator was
a_prev = weights["a_prev"]  # the memory the app carried over to the next name
iteration = int(weights["iteration"])  # names trained on so far
smooth_loss = float(weights["smooth_loss"])"""
        text = (
            "**Where the app stopped.** The names in the run's order, the memory carried over from the last name, "
            "the iteration, the smoothed loss and the random generator of the samples: training goes on exactly "
            "as it would have in the app."
        )
        return Block(text, code)
    code = """parameters = initialize_parameters(n_a, vocab_size, vocab_size, seed)
order = np.random.default_rng(seed).permutation(len(names))  # the names in a shuffled order (a generator of its own)
sample_rng = np.random.default_rng(seed + 1)  # draws the names printed while training
a_prev = np.zeros((n_a, 1))  # a<0> of the first name
iteration = 0
smooth_loss = get_initial_loss(vocab_size, dino_names)"""
    text = (
        "**Before training.** The names are shuffled once. Each generator gets its own seed, as in the app, so "
        "printing samples never changes the order of the names or the weights."
    )
    return Block(text, code)


def _loop(trained: bool, clip_on: bool) -> Block:
    step = (
        "optimize(X, Y, a_prev, parameters, learning_rate, clip_value)"
        if clip_on
        else "optimize(X, Y, a_prev, parameters, learning_rate)"
    )
    head = (
        """if iteration >= num_iterations:
    print(f"The model has trained on {iteration:,} names already: raise num_iterations to train on.")
"""
        if trained
        else ""
    )
    code = (
        head
        + f"""history = []  # (iteration, the name's loss, the smoothed loss)
for j in range(iteration, num_iterations):
    name = names[order[j % len(names)]]
    X = [None] + [char_to_ix[ch] for ch in name]  # None: x<1> is the zero vector
    Y = X[1:] + [char_to_ix["\\n"]]  # each letter predicts the next one; the last predicts the end
    curr_loss, gradients, a_prev = {step}
    if not np.isfinite(curr_loss):
        print(f"The loss stopped being a number at name {{j + 1:,}} ({{name}}): the weights exploded.")
        break
    smooth_loss = smooth(smooth_loss, curr_loss)
    history.append((j + 1, curr_loss, smooth_loss))
    if (j + 1) % sample_every == 0:
        print(f"Iteration {{j + 1:,}}, smoothed loss {{smooth_loss:.4f}}")
        for _ in range(dino_names):
            print("   ", get_name(sample(parameters, char_to_ix, 1.0, sample_rng)))"""
    )
    text = (
        "**Training.** One name per step, in the shuffled order, round and round the list. The memory `a_prev` at "
        "the end of one name is where the next name starts (as in the course). Every `sample_every` names the "
        "smoothed loss and a few names sampled at temperature 1 show how far the model got."
    )
    return Block(text, code)


def _losses() -> Block:
    code = """np.savetxt(
    "losses.csv",
    np.array(history).reshape(-1, 3),
    fmt=("%d", "%.12g", "%.12g"),
    delimiter=",",
    header="step,train,smoothed",
    comments="",
)"""
    text = (
        "**The losses.** Every name's loss and the smoothed loss go to losses.csv, with the same columns as the "
        "app's hand-in (loss_history.csv): plot them, or compare them with the app's."
    )
    return Block(text, code)


def _final() -> Block:
    code = """known = set(names)
rng = np.random.default_rng(sample_seed)
for _ in range(how_many):
    name = get_name(sample(parameters, char_to_ix, temperature, rng))
    print(name or "(empty)", "-", "in the list" if name in known else "new")"""
    d = Sampling()
    text = (
        "**New names.** Sampled from the trained model as the app's *Sample names* button does, with the count, "
        f"temperature and sampling seed of your last *Sample names* in the app ({d.how_many}, {d.temperature:g} "
        f"and {d.seed} if you had not pressed it); each is marked new or in the list."
    )
    return Block(text, code)
