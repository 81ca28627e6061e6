"""A character-level vanilla RNN from scratch in numpy, in the notation of the classic course exercise.

Notation (column vectors, one time step at a time):

    x<t>  (n_x, 1)   one-hot of the input character; x<1> is the zero vector (``None`` in X)
    a<t>  (n_a, 1)   hidden state:   a<t> = tanh(Wax x<t> + Waa a<t-1> + b)
    y<t>  (n_y, 1)   prediction:     y<t> = softmax(Wya a<t> + by)
    loss = - sum_t log y<t>[Y[t]]    (summed cross-entropy over the steps of one name)

A training example for the name "rex" with vocabulary ['\\n', 'a', ..., 'z'] is

    X = [None, ix('r'), ix('e'), ix('x')]        Y = X[1:] + [ix('\\n')]

Simplified on purpose, as in the course: one name per update (no batches), plain SGD with element-wise
gradient clipping (at +-5 by default; ``None`` turns it off), parameters kept in a dict, Python loops over time
steps. The vocabulary size is always read from the parameters' shapes, so any character set works. Two numerical
guards the course leaves out: softmax subtracts the max, and the loss uses a floor on probabilities so it stays
finite.

For the page's "look inside" views (not in the course): ``bptt_trace`` repeats the backward pass of one name and
keeps, for every time step, how large the gradient flowing back through a<t> is and what each step added to each
parameter's gradient, plus how many entries clipping cut; ``formula_step`` gives every term of the two equations
at one step of a sampled name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Parameters = dict[str, np.ndarray]
Gradients = dict[str, np.ndarray]

PARAM_NAMES = ("Wax", "Waa", "Wya", "b", "by")
GRAD_NAMES = ("dWax", "dWaa", "dWya", "db", "dby")
MAX_SAMPLE_LENGTH = 50  # sample() stops here if no '\n' came


def softmax(z: np.ndarray) -> np.ndarray:
    """Column-wise softmax, shifted by the max for stability."""
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def initialize_parameters(n_a: int, n_x: int, n_y: int, seed: int = 0) -> Parameters:
    """Small random weights (std 0.01) and zero biases, as in the course."""
    rng = np.random.default_rng(seed)
    return {
        "Wax": rng.standard_normal((n_a, n_x)) * 0.01,  # input -> hidden
        "Waa": rng.standard_normal((n_a, n_a)) * 0.01,  # hidden -> hidden
        "Wya": rng.standard_normal((n_y, n_a)) * 0.01,  # hidden -> output
        "b": np.zeros((n_a, 1)),  # hidden bias
        "by": np.zeros((n_y, 1)),  # output bias
    }


def sizes(parameters: Parameters) -> tuple[int, int, int]:
    """(n_a, n_x, n_y) read from the weights' shapes."""
    n_a, n_x = parameters["Wax"].shape
    n_y = parameters["Wya"].shape[0]
    return n_a, n_x, n_y


def one_hot(index: int | None, n_x: int) -> np.ndarray:
    """(n_x, 1) one-hot column; ``None`` gives the zero vector used as the first input."""
    x = np.zeros((n_x, 1))
    if index is not None:
        x[index, 0] = 1.0
    return x


def rnn_step_forward(parameters: Parameters, a_prev: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step: returns (a_next (n_a, 1), y_hat (n_y, 1))."""
    a_next = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a_prev + parameters["b"])  # (n_a, 1)
    y_hat = softmax(parameters["Wya"] @ a_next + parameters["by"])  # (n_y, 1)
    return a_next, y_hat


def rnn_forward(X: list, Y: list, a0: np.ndarray, parameters: Parameters) -> tuple[float, tuple]:
    """Forward pass over one example; returns (summed cross-entropy loss, cache).

    cache = (y_hat, a, x): dicts keyed by step t, with a[-1] = a0.
    """
    _, n_x, _ = sizes(parameters)
    x, a, y_hat = {}, {}, {}
    a[-1] = np.copy(a0)
    loss = 0.0
    for t in range(len(X)):
        x[t] = one_hot(X[t], n_x)  # (n_x, 1)
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= float(np.log(max(y_hat[t][Y[t], 0], 1e-300)))
    return loss, (y_hat, a, x)


def rnn_step_backward(dy, gradients, parameters, x, a, a_prev) -> Gradients:
    """Back-propagate one step; accumulates into ``gradients`` and updates gradients['da_next']."""
    gradients["dWya"] += dy @ a.T  # (n_y, n_a)
    gradients["dby"] += dy  # (n_y, 1)
    da = parameters["Wya"].T @ dy + gradients["da_next"]  # (n_a, 1): from the output and from step t+1
    daraw = (1 - a * a) * da  # (n_a, 1): through tanh
    gradients["db"] += daraw
    gradients["dWax"] += daraw @ x.T  # (n_a, n_x)
    gradients["dWaa"] += daraw @ a_prev.T  # (n_a, n_a)
    gradients["da_next"] = parameters["Waa"].T @ daraw  # (n_a, 1): to step t-1
    return gradients


def rnn_backward(X: list, Y: list, parameters: Parameters, cache: tuple) -> tuple[Gradients, dict]:
    """Back-propagation through time; returns (gradients dWax dWaa dWya db dby, hidden states a)."""
    y_hat, a, x = cache
    gradients = {"d" + k: np.zeros_like(parameters[k]) for k in PARAM_NAMES}
    gradients["da_next"] = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])  # (n_y, 1): d loss / d logits = y_hat - onehot(Y[t])
        dy[Y[t]] -= 1
        gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
    return gradients, a


def clip(gradients: Gradients, max_value: float | None) -> Gradients:
    """Clip every gradient element-wise to [-max_value, max_value], in place; returns the same dict (None: no clip)."""
    if max_value is None:
        return gradients
    for name in GRAD_NAMES:
        np.clip(gradients[name], -max_value, max_value, out=gradients[name])
    return gradients


def update_parameters(parameters: Parameters, gradients: Gradients, lr: float) -> Parameters:
    """One SGD step, in place; returns the same dict."""
    for name in PARAM_NAMES:
        parameters[name] -= lr * gradients["d" + name]
    return parameters


def optimize(
    X: list,
    Y: list,
    a_prev: np.ndarray,
    parameters: Parameters,
    learning_rate: float = 0.01,
    clip_value: float | None = 5.0,
):
    """Forward, backward, clip at ``clip_value`` (the course's 5; None: no clipping), update. Returns (loss, gradients,
    a_last (n_a, 1))."""
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, clip_value)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]


# --- looking inside one name (the page's BPTT and formula views) ----------------------------------------------
@dataclass(frozen=True)
class BPTTTrace:
    """The backward pass of one name, step by step (steps are 0-based here; the course's t is step + 1).

    ``da_norm[t]`` is ||dL/da<t>|| (what reaches a<t>: from its own prediction and from every later step);
    ``da_future_norm[t]`` is the part that came back from step t+1 (zero at the last step). ``step_norms[g][t]``
    is the Frobenius norm of what step t added to gradient g (an outer product u v^T, so ||u|| * ||v||).
    """

    inputs: list  # X: the index fed at each step (None = the zero vector)
    targets: list  # Y: the index each step should predict
    loss: float  # the name's summed cross-entropy (nats)
    da_norm: np.ndarray  # (T_x,) ||dL/da<t>||
    da_future_norm: np.ndarray  # (T_x,) ||da_next|| arriving at step t from step t+1
    step_norms: dict  # grad name -> (T_x,) norm of step t's contribution
    grad_norm: dict  # grad name -> ||dW|| before clipping
    grad_max: dict  # grad name -> max |entry| before clipping
    clipped_norm: dict  # grad name -> ||dW|| after clipping (the same when nothing was clipped)
    clipped: dict  # grad name -> how many entries were beyond +-clip_value (set to +-clip_value)
    entries: dict  # grad name -> how many entries the gradient has
    clip_value: float | None  # the clip used (None: no clipping)

    @property
    def total_clipped(self) -> int:
        return int(sum(self.clipped.values()))

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.loss) and all(np.isfinite(v) for v in self.grad_norm.values()))


def bptt_trace(
    X: list, Y: list, a0: np.ndarray, parameters: Parameters, clip_value: float | None
) -> tuple[BPTTTrace, Gradients, np.ndarray]:
    """Forward and backward over one name, recording every step; returns (trace, clipped gradients, a_last (n_a, 1)).

    The gradients are the same numbers ``optimize`` would apply (rnn_backward then clip): a trainer may update with
    them. Nothing in ``parameters`` changes.
    """
    loss, cache = rnn_forward(X, Y, a0, parameters)
    y_hat, a, x = cache
    T = len(X)
    gradients = {"d" + k: np.zeros_like(parameters[k]) for k in PARAM_NAMES}
    gradients["da_next"] = np.zeros_like(a[0])
    da_norm, da_future = np.zeros(T), np.zeros(T)
    step_norms = {g: np.zeros(T) for g in GRAD_NAMES}
    with np.errstate(all="ignore"):  # an exploding name may overflow: the norms then say inf or nan
        for t in reversed(range(T)):
            dy = np.copy(y_hat[t])  # (n_y, 1)
            dy[Y[t]] -= 1
            da_future[t] = np.linalg.norm(gradients["da_next"])
            da = parameters["Wya"].T @ dy + gradients["da_next"]  # (n_a, 1): what rnn_step_backward computes
            daraw = (1 - a[t] * a[t]) * da  # (n_a, 1)
            da_norm[t] = np.linalg.norm(da)
            n_dy, n_raw = np.linalg.norm(dy), np.linalg.norm(daraw)
            step_norms["dWya"][t] = n_dy * np.linalg.norm(a[t])  # ||dy a<t>^T||
            step_norms["dby"][t] = n_dy
            step_norms["db"][t] = n_raw
            step_norms["dWax"][t] = n_raw * np.linalg.norm(x[t])  # ||daraw x<t>^T||: 0 at the zero input
            step_norms["dWaa"][t] = n_raw * np.linalg.norm(a[t - 1])  # ||daraw a<t-1>^T||
            gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
        grad_norm = {g: float(np.linalg.norm(gradients[g])) for g in GRAD_NAMES}
        grad_max = {g: float(np.max(np.abs(gradients[g]))) for g in GRAD_NAMES}
        if clip_value is None:
            clipped = {g: 0 for g in GRAD_NAMES}
        else:
            clipped = {g: int(np.count_nonzero(np.abs(gradients[g]) > clip_value)) for g in GRAD_NAMES}
        gradients = clip(gradients, clip_value)
        clipped_norm = {g: float(np.linalg.norm(gradients[g])) for g in GRAD_NAMES}
    trace = BPTTTrace(
        inputs=list(X),
        targets=list(Y),
        loss=float(loss),
        da_norm=da_norm,
        da_future_norm=da_future,
        step_norms=step_norms,
        grad_norm=grad_norm,
        grad_max=grad_max,
        clipped_norm=clipped_norm,
        clipped=clipped,
        entries={g: int(gradients[g].size) for g in GRAD_NAMES},
        clip_value=clip_value,
    )
    return trace, gradients, a[T - 1]


@dataclass(frozen=True)
class FormulaStep:
    """Every term of the course's two equations at one step (column vectors, shapes in the course's notation)."""

    t: int  # 0-based step (the course's t is t + 1)
    input_index: int | None  # the index fed in at this step (None = the zero vector x<1>)
    Wax_x: np.ndarray  # (n_a, 1) Wax x<t>: the column of Wax for the input character (zeros for the zero vector)
    Waa_a: np.ndarray  # (n_a, 1) Waa a<t-1>
    b: np.ndarray  # (n_a, 1)
    z: np.ndarray  # (n_a, 1) Wax x<t> + Waa a<t-1> + b
    a_prev: np.ndarray  # (n_a, 1) a<t-1>
    a: np.ndarray  # (n_a, 1) a<t> = tanh(z)
    Wya_a: np.ndarray  # (n_y, 1) Wya a<t>
    by: np.ndarray  # (n_y, 1)
    logits: np.ndarray  # (n_y, 1) Wya a<t> + by
    y_hat: np.ndarray  # (n_y, 1) softmax(logits)


def formula_step(parameters: Parameters, inputs: list, t: int) -> FormulaStep:
    """The terms at step ``t`` when ``inputs`` (X: None first, then indices) are fed from a<0> = 0, as the sampler
    does."""
    if not 0 <= t < len(inputs):
        raise ValueError(f"step {t} is outside this name (0 to {len(inputs) - 1})")
    n_a, n_x, _ = sizes(parameters)
    a = np.zeros((n_a, 1))  # a<0>
    for s in range(t):
        a, _ = rnn_step_forward(parameters, a, one_hot(inputs[s], n_x))
    x = one_hot(inputs[t], n_x)  # (n_x, 1)
    Wax_x = parameters["Wax"] @ x  # (n_a, 1)
    Waa_a = parameters["Waa"] @ a  # (n_a, 1)
    z = Wax_x + Waa_a + parameters["b"]  # (n_a, 1)
    a_t = np.tanh(z)  # (n_a, 1)
    Wya_a = parameters["Wya"] @ a_t  # (n_y, 1)
    logits = Wya_a + parameters["by"]  # (n_y, 1)
    return FormulaStep(
        t,
        inputs[t],
        Wax_x,
        Waa_a,
        parameters["b"].copy(),
        z,
        a,
        a_t,
        Wya_a,
        parameters["by"].copy(),
        logits,
        softmax(logits),
    )


class NumpyCharRNN:
    """Adapter that gives the numpy parameters the playground's ``next_token_probs`` interface.

    The state is the hidden vector a (n_a, 1); ``token`` None means the zero input vector.
    """

    def __init__(self, parameters: Parameters):
        self.parameters = parameters

    def initial_state(self) -> np.ndarray:
        return np.zeros((sizes(self.parameters)[0], 1))

    def next_token_probs(self, state: np.ndarray, token: int | None) -> tuple[np.ndarray, np.ndarray]:
        x = one_hot(token, sizes(self.parameters)[1])
        a, y_hat = rnn_step_forward(self.parameters, state, x)
        return y_hat.ravel(), a


def sample_trace(parameters: Parameters, char_to_ix: dict[str, int], temperature: float, rng: np.random.Generator):
    """Sample one name and return the per-step records (see core.models.sampling.StepRecord)."""
    from core.models.sampling import generate

    return generate(
        NumpyCharRNN(parameters),
        MAX_SAMPLE_LENGTH,
        temperature=temperature,
        rng=rng,
        first_input=None,  # the zero vector, as in the course
        stop_token=char_to_ix["\n"],
    )


def sample(parameters: Parameters, char_to_ix: dict[str, int], temperature: float = 1.0, rng=None) -> list[int]:
    """Sample a sequence of indices, starting from the zero vector, ending at '\\n' or after 50 characters.

    As in the course, a sample cut at 50 characters gets a '\\n' appended.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    indices = [r.picked for r in sample_trace(parameters, char_to_ix, temperature, rng)]
    newline = char_to_ix["\n"]
    if not indices or indices[-1] != newline:
        indices.append(newline)
    return indices
