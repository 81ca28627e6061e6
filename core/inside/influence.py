"""Which earlier tokens moved a prediction, and how far back a model looks ("Look inside").

**Influence.** Feed a model the inputs s_0 … s_{k-1} (s_0 may be ``None``: the zero vector the course feeds
first); it predicts the next token y. The influence of input s_i on that prediction is

    g_i = || d log p(y | s_0 … s_{k-1}) / d x_i ||_2          (one number per earlier input, i < k)

where x_i is the vector the model actually reads for s_i:

- the Dinosaur lab's numpy RNN (core.models.numpy_rnn): the one-hot x⟨t⟩ (n_x, 1), through the course's forward pass
  (``rnn_forward``) and a backward pass written in the course's notation (``dino_influence``);
- the Keras models (SimpleRNN / LSTM / GRU, 1–3 layers, read through core.models.numpy_cells.NumpyRNN): the embedding
  vector, i.e. the Embedding layer's output (d,);
- the course's jazz model (core.models.course_model.CourseNumpyModel): the one-hot value (n_values,).

The Keras cells are differentiated in numpy (``_forward`` / ``_backward`` run core.models.numpy_cells' steps and their
backward steps over layers and time), so a view never runs TensorFlow, traces nothing and takes no lock: it works on any
``TokenModel`` snapshot of the weights. tests/core/inside/test_influence.py checks every gradient against finite
differences and the forward passes against the models' own ``next_token_probs``.

**How far back.** ``distance_curve`` averages g over many windows of held-out data: for a window of W + 1
tokens, the last one is the target and the input d steps before it is at distance d (d = 1: the token
just before the target); the first BURN_IN inputs of a window only warm the state up. The Dinosaur lab, which
has no validation split, averages over every letter of a set of names instead (``dino_distance_curve``), so long
distances rest on the few long names. The Text and Music views also keep to MAX_CONTEXT inputs before a position.

The Keras models are differentiated in float32 on the page (as they compute) and in float64 in the tests.

Simplified on purpose: a window starts from the zero state (the model never saw what came before it); dropout
is off (as when sampling); the gradient of a one-hot input counts every component, also those of tokens that
were not fed (the norm measures how sensitive the prediction is to that input's slot, not a word swap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core.models import numpy_cells as nc
from core.models import numpy_rnn as nr

MAX_DISTANCE = 100  # the distance curve's longest distance back
BURN_IN = (
    10  # extra inputs in front of each window: the input read from the zero state is not among the distances shown
)
CURVE_FLOPS = 3e9  # a distance curve's arithmetic budget: it sets how many windows are averaged
MIN_WINDOWS, MAX_WINDOWS = 8, 64  # windows a distance curve averages, whatever the budget says


class InfluenceError(ValueError):
    """A user-facing reason why an influence or a distance curve can't be computed."""


@dataclass(frozen=True)
class Influence:
    """How much each earlier input moved one prediction."""

    norms: np.ndarray  # (k,) float64: g_i for the inputs s_0 … s_{k-1}, in order
    target: int  # the token whose log-probability was differentiated
    logp: float  # log p(target | inputs), nats

    @property
    def share(self) -> np.ndarray:
        """(k,) the norms relative to the largest (0..1), for shading; all zero if every norm is zero."""
        top = float(self.norms.max()) if self.norms.size else 0.0
        return self.norms / top if top > 0 else np.zeros_like(self.norms)


@dataclass(frozen=True)
class DistanceCurve:
    """Mean influence against the distance back."""

    distances: np.ndarray  # (D,) int: 1 … D
    mean: np.ndarray  # (D,) float64: mean g at each distance
    count: np.ndarray  # (D,) int: how many (window, target) pairs each mean averages
    windows: int  # windows (or names) measured
    seconds: float = 0.0  # how long it took


# ---------------------------------------------------------------------------------------------- the Dinosaur RNN
def dino_influence(parameters: nr.Parameters, X: Sequence[int | None], target: int) -> Influence:
    """Influence of every input of the course's RNN on the prediction of ``target`` after reading ``X``.

    X: the course's inputs [None, ix, ix, …] (``None`` is the zero vector x⟨0⟩), at least one. The hidden state
    starts at zero (as when sampling). Forward with the course's ``rnn_forward``; backward in its notation with
    the loss gradient only at the last step and d/dx⟨t⟩ = Waxᵀ daraw kept at every step.
    """
    X = list(X)
    if not X:
        raise InfluenceError("There is no earlier input: pick a later position.")
    n_a, n_x, n_y = nr.sizes(parameters)
    if not 0 <= int(target) < n_y:
        raise InfluenceError(f"Token {target} is outside the model's vocabulary of {n_y}.")
    # rnn_forward needs a label per step for its loss, which is not used here: every step gets the target
    _, (y_hat, a, _) = nr.rnn_forward(X, [int(target)] * len(X), np.zeros((n_a, 1)), parameters)
    T = len(X) - 1  # the step whose prediction is explained
    Wax, Waa, Wya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    dz = -np.copy(y_hat[T])  # (n_y, 1): d log y_hat[target] / d logits = onehot(target) - y_hat
    dz[int(target)] += 1.0
    da_next = Wya.T @ dz  # (n_a, 1): into a⟨T⟩ from the output
    norms = np.zeros(len(X))
    for t in reversed(range(len(X))):
        daraw = (1 - a[t] * a[t]) * da_next  # (n_a, 1): through tanh
        norms[t] = np.linalg.norm(Wax.T @ daraw)  # || d/dx⟨t⟩ ||, x⟨t⟩ (n_x, 1)
        da_next = Waa.T @ daraw  # (n_a, 1): to a⟨t-1⟩
    return Influence(norms, int(target), float(np.log(max(y_hat[T][int(target), 0], 1e-300))))


def dino_influence_all(parameters: nr.Parameters, X: Sequence[int | None], Y: Sequence[int]) -> np.ndarray:
    """Every prediction of one name at once: G (len(X), len(X)) with G[j, i] = || d log y_hat⟨j⟩[Y[j]] / d x⟨i⟩ || for
    i <= j (0 above the diagonal). One forward and one backward: column j of ``da`` carries target j's gradient."""
    X, Y = list(X), [int(y) for y in Y]
    n_a, _, _ = nr.sizes(parameters)
    _, (y_hat, a, _) = nr.rnn_forward(X, Y, np.zeros((n_a, 1)), parameters)
    T = len(X)
    Wax, Waa, Wya = parameters["Wax"], parameters["Waa"], parameters["Wya"]
    G = np.zeros((T, T))
    da = np.zeros((n_a, T))  # (n_a, targets): column j is d log y_hat⟨j⟩[Y[j]] / d a⟨t⟩ at the current t
    for t in reversed(range(T)):
        dz = -y_hat[t][:, 0].copy()  # (n_y,): target t's output gradient enters at its own step
        dz[Y[t]] += 1.0
        da[:, t] += Wya.T @ dz
        daraw = (1 - a[t] * a[t]) * da  # (n_a, T)
        G[:, t] = np.linalg.norm(Wax.T @ daraw, axis=0)  # (T,): || d/dx⟨t⟩ || for every target (0 for j < t)
        da = Waa.T @ daraw
    return G


def dino_distance_curve(
    parameters: nr.Parameters, examples: Sequence[tuple[Sequence, Sequence]], max_distance: int = MAX_DISTANCE
) -> DistanceCurve:
    """Mean influence against distance over every letter of ``examples`` [(X, Y)] (the course's training pairs).

    The target Y[j] is predicted after x⟨0⟩ … x⟨j⟩; x⟨i⟩ is at distance j − i + 1 (x⟨j⟩, the letter just before, is 1).
    """
    import time

    t0 = time.perf_counter()
    total = np.zeros(max_distance)
    count = np.zeros(max_distance, dtype=np.int64)
    used = 0
    for X, Y in examples:
        if not len(X):
            continue
        G = dino_influence_all(parameters, X, Y)  # (T, T)
        T = G.shape[0]
        j, i = np.tril_indices(T)  # target j, input i <= j
        d = j - i + 1
        keep = d <= max_distance
        np.add.at(total, d[keep] - 1, G[j[keep], i[keep]])
        np.add.at(count, d[keep] - 1, 1)
        used += 1
    if used == 0:
        raise InfluenceError("There are no names to measure.")
    D = int(np.max(np.nonzero(count)[0])) + 1
    return DistanceCurve(np.arange(1, D + 1), total[:D] / count[:D], count[:D], used, time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------- Keras cells and the
# course's model
@dataclass(frozen=True)
class Net:
    """A recurrent language model's weights as this module differentiates them (Keras layouts, see
    core.models.numpy_cells).

    inputs are vectors: ``table[token]`` (an embedding row, or a one-hot row when ``table`` is the identity);
    ``None`` reads the zero vector.
    """

    cell: str  # "simplernn" | "lstm" | "gru"
    table: np.ndarray | None  # (vocab, d) the embedding; None: one-hot inputs (d = vocab)
    layers: tuple  # per layer (W (d_in, g h), U (h, g h), b (g h,) or GRU (2, 3h))
    dense_w: np.ndarray  # (h, vocab)
    dense_b: np.ndarray  # (vocab,)
    what: str  # what the gradient is taken with respect to, for the page

    @property
    def vocab_size(self) -> int:
        return self.dense_w.shape[1]

    @property
    def input_size(self) -> int:
        return self.layers[0][0].shape[0]

    def astype(self, dtype) -> "Net":
        c = lambda m: np.asarray(m, dtype)  # noqa: E731
        return Net(
            self.cell,
            None if self.table is None else c(self.table),
            tuple(tuple(c(m) for m in l) for l in self.layers),
            c(self.dense_w),
            c(self.dense_b),
            self.what,
        )

    def vectors(self, tokens: np.ndarray, dtype=np.float64) -> np.ndarray:
        """(B, T) int tokens, -1 for "no input" -> (B, T, d) input vectors."""
        tokens = np.asarray(tokens)
        d = self.input_size
        out = np.zeros(tokens.shape + (d,), dtype)
        ok = tokens >= 0
        if self.table is None:
            b, t = np.nonzero(ok)
            out[b, t, tokens[ok]] = 1.0
        else:
            out[ok] = self.table[tokens[ok]]
        return out


def as_net(model: Any) -> Net:
    """The ``Net`` of a TokenModel (NumpyRNN of a Keras model, or the course's CourseNumpyModel); InfluenceError
    for any other model (for instance one without a recurrent layer)."""
    from core.models.course_model import CourseNumpyModel

    if isinstance(model, CourseNumpyModel):
        return Net(
            "lstm",
            None,
            ((model.kernel, model.recurrent, model.bias),),
            model.dense_w,
            model.dense_b,
            "its one-hot input",
        )
    layers = getattr(model, "layers", None)
    cell = getattr(model, "cell", None)
    if cell in ("simplernn", "lstm", "gru") and layers and hasattr(model, "embedding"):
        return Net(
            cell, model.embedding, tuple(tuple(l) for l in layers), model.dense_w, model.dense_b, "its embedding vector"
        )
    raise InfluenceError("This model has no recurrent layer this view can follow (SimpleRNN, LSTM or GRU).")


def _forward(net: Net, X: np.ndarray) -> tuple[np.ndarray, list]:
    """Run the layers over input vectors X (B, T, d); returns (top layer outputs (B, T, h), per-layer caches)."""
    caches = []
    inp = X
    for W, U, b in net.layers:
        B, T, _ = inp.shape
        h = U.shape[0]
        xw = np.einsum("btd,dk->btk", inp, W)  # (B, T, g h): every step's input projection at once, without bias
        H = np.zeros((B, T, h), X.dtype)
        hp = np.zeros((B, h), X.dtype)
        cp = np.zeros((B, h), X.dtype)
        steps = []  # each step's record (core.models.numpy_cells): what the backward pass needs
        for t in range(T):
            if net.cell == "simplernn":
                step = nc.simple_rnn_step(xw[:, t], hp, U, b)
            elif net.cell == "lstm":
                step = nc.lstm_step(xw[:, t], hp, cp, U, b)
                cp = step.c
            else:
                step = nc.gru_step(xw[:, t], hp, U, b)
            steps.append(step)
            H[:, t] = step.h  # (B, h)
            hp = step.h
        caches.append(steps)
        inp = H
    return inp, caches


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _backward(net: Net, caches: list, d_top: np.ndarray) -> np.ndarray:
    """Back-propagate d loss / d (top layer outputs) (B, T, h) to the input vectors: (B, T, d)."""
    inj = d_top
    for (W, U, b), steps in zip(reversed(net.layers), reversed(caches)):
        B, T, h = inj.shape
        dxw = np.zeros((B, T, U.shape[1]), inj.dtype)  # (B, T, g h)
        dh = np.zeros((B, h), inj.dtype)  # from step t+1
        dc = np.zeros((B, h), inj.dtype)  # LSTM: into c⟨t⟩ from step t+1
        for t in reversed(range(T)):
            dh = dh + inj[:, t]
            if net.cell == "simplernn":
                dxw[:, t], dh = nc.simple_rnn_step_backward(dh, steps[t], U)  # (B, h), (B, h)
            elif net.cell == "lstm":
                dxw[:, t], dh, dc = nc.lstm_step_backward(dh, dc, steps[t], U)  # (B, 4h), (B, h), (B, h)
            else:
                dxw[:, t], dh = nc.gru_step_backward(dh, steps[t], U)  # (B, 3h): d/d(x W), (B, h)
        inj = np.einsum("btk,dk->btd", dxw, W)  # (B, T, d_in): into the layer below (or the input vectors)
    return inj


def _log_probs_last(net: Net, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """(log-probabilities after the last step (B, V), top outputs (B, T, h), caches)."""
    H, caches = _forward(net, X)
    return _log_softmax(nc.vec_mat(H[:, -1], net.dense_w) + net.dense_b), H, caches


def last_step_gradients(net: Net, X: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d log p(targets[b] after the last step) / d X: (gradients (B, T, d), log-probabilities (B,)).

    X (B, T, d) input vectors, targets (B,) ints. Sequences are independent, so one backward pass serves the batch.
    """
    logp, H, caches = _log_probs_last(net, X)
    B = X.shape[0]
    rows = np.arange(B)
    dlogits = -np.exp(logp)  # (B, V): onehot(target) - softmax
    dlogits[rows, targets] += 1.0
    d_top = np.zeros_like(H)
    d_top[:, -1] = nc.vec_mat_t(dlogits, net.dense_w)  # (B, h)
    return _backward(net, caches, d_top), logp[rows, targets]


def _as_tokens(inputs: Sequence[int | None]) -> np.ndarray:
    return np.asarray([[-1 if t is None else int(t) for t in inputs]], dtype=np.int64)  # (1, T)


def influence(model: Any, inputs: Sequence[int | None], target: int, dtype=np.float64) -> Influence:
    """Influence of each of ``inputs`` (fed in order, ``None`` = the zero vector) on the prediction of ``target``.

    model: a TokenModel: core.models.numpy_rnn.NumpyCharRNN (the course's RNN), core.models.numpy_cells.NumpyRNN (Keras)
    or
    core.models.course_model.CourseNumpyModel. dtype: the Keras and course models' arithmetic (float32 is what the
    models themselves use, and faster; the tests use float64); the course's RNN is always float64, as it trains.
    """
    inputs = list(inputs)
    if not inputs:
        raise InfluenceError("There is no earlier input: pick a later position.")
    if isinstance(model, nr.NumpyCharRNN):
        return dino_influence(model.parameters, inputs, target)
    net = as_net(model).astype(dtype)
    V = net.vocab_size
    bad = [t for t in [*inputs, target] if t is not None and not 0 <= int(t) < V]
    if bad:
        raise InfluenceError(f"Token {bad[0]} is outside the model's vocabulary of {V}.")
    tokens = _as_tokens(inputs)
    grads, logp = last_step_gradients(net, net.vectors(tokens, dtype), np.asarray([int(target)]))
    return Influence(np.linalg.norm(grads[0].astype(np.float64), axis=-1), int(target), float(logp[0]))


def log_prob(model: Any, inputs: Sequence[int | None], target: int) -> float:
    """log p(target | inputs) by this module's forward pass (the tests compare it with the model's own)."""
    if isinstance(model, nr.NumpyCharRNN):
        return dino_influence(model.parameters, inputs, target).logp
    net = as_net(model).astype(np.float64)
    logp, _, _ = _log_probs_last(net, net.vectors(_as_tokens(inputs)))
    return float(logp[0, int(target)])


# ---------------------------------------------------------------------------------------------- how far back
def window_count(net: Net, length: int) -> int:
    """Windows a distance curve averages: as many as fit in CURVE_FLOPS (forward and backward), within bounds."""
    W, U, _ = net.layers[0]
    per_step = (
        sum(2 * (w.shape[0] + u.shape[0]) * u.shape[1] for w, u, _ in net.layers) * 3
    )  # multiply-adds × 2, forward + 2 backward
    return int(np.clip(CURVE_FLOPS / max(per_step * length, 1), MIN_WINDOWS, MAX_WINDOWS))


def windows_from(sequences: Sequence[np.ndarray], length: int, n: int) -> np.ndarray:
    """``n`` windows of ``length`` + 1 tokens, evenly spaced over the sequences long enough to hold one: (n', length +
    1)
    (n' <= n when there are fewer distinct windows). Empty (0, length + 1) when no sequence is long enough."""
    starts = [(k, s) for k, seq in enumerate(sequences) for s in range(0, len(seq) - length, 1)]
    if not starts:
        return np.zeros((0, length + 1), np.int64)
    pick = np.unique(np.linspace(0, len(starts) - 1, min(n, len(starts))).astype(np.int64))
    return np.stack(
        [np.asarray(sequences[starts[p][0]][starts[p][1] : starts[p][1] + length + 1], np.int64) for p in pick]
    )


def distance_curve(
    model: Any, sequences: Sequence[np.ndarray], max_distance: int = MAX_DISTANCE, n_windows: int | None = None
) -> DistanceCurve:
    """Mean influence against distance 1 … D for a Keras model or the course's model, over windows of ``sequences``
    (token id arrays, e.g. the validation text or pieces). D = ``max_distance``, or less when no sequence is that long.

    The window's last token is the target; its W = D + BURN_IN inputs are at distances W … 1 (fewer inputs when the
    sequences are short). The first input, read from the zero state, alone sets the first hidden state, so its
    gradient is larger than its distance suggests: the burn-in keeps it out of the curve. float32 arithmetic.
    """
    import time

    t0 = time.perf_counter()
    net = as_net(model).astype(np.float32)
    longest = max((len(s) for s in sequences), default=0)
    W = min(int(max_distance) + BURN_IN, longest - 1)  # inputs per window
    D = min(int(max_distance), W)  # distances reported
    if D < 1:
        raise InfluenceError("The data to measure on is too short: it needs sequences of at least 2 tokens.")
    n = n_windows or window_count(net, W)
    win = windows_from(sequences, W, n)  # (n, W + 1)
    grads, _ = last_step_gradients(net, net.vectors(win[:, :W], np.float32), win[:, W])  # (n, W, d)
    norms = np.linalg.norm(grads.astype(np.float64), axis=-1)  # (n, W): input i is at distance W - i
    mean = norms[:, ::-1][:, :D].mean(axis=0)  # (D,): distance 1 first
    return DistanceCurve(np.arange(1, D + 1), mean, np.full(D, len(win)), len(win), time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------- the labs' sequences
MAX_CONTEXT = (
    500  # inputs read before a chosen position; a later position reads only the last MAX_CONTEXT, from a fresh state
)
MAX_TYPED = 500  # characters of a typed text the Text lab analyses
DINO_CURVE_NAMES = (20, 400)  # names a Dinosaur distance curve averages over (fewer for a large n_a)


@dataclass(frozen=True)
class Explained:
    """A sequence a view explains: the prediction at position j (1 <= j < len) is of tokens[j] after tokens[:j]."""

    tokens: tuple  # (n,) token ids; tokens[0] may be None (the zero vector)
    labels: tuple[str, ...]  # (n,) what each token shows as
    first: int  # the first position that can be chosen
    step: int | None  # the model's step when the sequence was generated (None: not known, or typed)
    what: str  # for the page: "the name “rex”"
    tempo: float | None = None  # music: the tempo its values play at (drawn on a piano roll); None: shown as text

    def __len__(self) -> int:
        return len(self.tokens)


def explain(model: Any, seq: Explained, j: int, dtype=np.float64) -> tuple[Influence, int]:
    """Influence on the prediction at position j -> (Influence over tokens[start:j], start). start > 0 when the
    position is more than MAX_CONTEXT tokens in: then only the last MAX_CONTEXT tokens are fed, from a fresh state."""
    if not seq.first <= int(j) < len(seq):
        raise InfluenceError(f"Position {j} is out of range: pick one from {seq.first} to {len(seq) - 1}.")
    start = max(0, int(j) - MAX_CONTEXT)
    return influence(model, list(seq.tokens[start:j]), int(seq.tokens[j]), dtype), start


def lab_sequences(lab) -> list[tuple[str, Explained]]:
    """What ``lab`` can explain now (core.labs.lab.Lab.explainable): (title, Explained) per sequence."""
    return [(s.title, Explained(s.tokens, s.labels, 1, s.step, s.what, s.tempo)) for s in lab.explainable()]


def dino_names(lab) -> list[tuple[str, Explained]]:
    """The Dinosaur lab's sampled names: (name, Explained) with the zero input first and the picks after it."""
    return lab_sequences(lab)


def latest(lab) -> Explained | None:
    """The one sequence a Text or Music lab explains (its last generated text or composition), or None."""
    seqs = lab_sequences(lab)
    return seqs[-1][1] if seqs else None


text_generated = music_composed = latest  # the Text lab's generated text, the Music lab's composition


def text_typed(lab, text: str) -> tuple[Explained, str | None]:
    """A text the student typed, read with the model's vocabulary -> (Explained, a note when it was cut).
    InfluenceError for an empty text, one character, or characters the model has never seen."""
    from core.text.text_data import char_label

    if not text:
        raise InfluenceError("Type or paste a text to analyse.")
    chars = lab.run.chars
    stoi = {c: i for i, c in enumerate(chars)}
    unknown = sorted(set(text) - set(stoi))
    if unknown:
        raise InfluenceError(
            "The text has characters the model has never seen: "
            + " ".join(f"`{char_label(c)}`" for c in unknown[:20])
            + ". Remove them to analyse it."
        )
    note = None
    if len(text) > MAX_TYPED:
        text, note = text[:MAX_TYPED], f"Only the first {MAX_TYPED} characters are analysed."
    if len(text) < 2:
        raise InfluenceError("Type at least two characters: the first one has nothing before it.")
    tokens = tuple(stoi[c] for c in text)
    return Explained(tokens, tuple(char_label(c) for c in text), 1, None, "your text"), note


def measure_lab(lab, max_distance: int = MAX_DISTANCE) -> tuple[DistanceCurve, str]:
    """The distance curve of a lab's current model on the sequences the lab gives (core.labs.lab.Lab.distance_sequences)
    -> (curve, what it was measured on). The course's RNN averages over every letter of as many of them as fit in
    CURVE_FLOPS, evenly spaced; the other models over windows of them."""
    t = lab.trainer
    if t is None:
        raise InfluenceError("There is no model yet.")
    try:
        seqs, what = lab.distance_sequences()
    except ValueError as exc:
        raise InfluenceError(str(exc)) from None
    model = t.token_model()
    if isinstance(model, nr.NumpyCharRNN):
        n_a, n_x, _ = nr.sizes(model.parameters)
        lo, hi = DINO_CURVE_NAMES
        n = int(np.clip(CURVE_FLOPS / (2 * 12 * 12 * n_a * (n_a + n_x)), lo, hi))  # ~12 letters a name
        idx = np.unique(np.linspace(0, len(seqs) - 1, min(n, len(seqs))).astype(np.int64))
        examples = [(list(seqs[i][:-1]), list(seqs[i][1:])) for i in idx]
        return dino_distance_curve(model.parameters, examples, max_distance), f"every letter of {len(examples)} {what}"
    curve = distance_curve(model, seqs, max_distance)
    return curve, f"{curve.windows} windows of {what}"
