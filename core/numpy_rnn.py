"""A character-level vanilla RNN from scratch in numpy, in the notation of the classic course exercise.

Notation (column vectors, one time step at a time):

    x<t>  (n_x, 1)   one-hot of the input character; x<1> is the zero vector (``None`` in X)
    a<t>  (n_a, 1)   hidden state:   a<t> = tanh(Wax x<t> + Waa a<t-1> + b)
    y<t>  (n_y, 1)   prediction:     y<t> = softmax(Wya a<t> + by)
    loss = - sum_t log y<t>[Y[t]]    (summed cross-entropy over the steps of one name)

A training example for the name "rex" with vocabulary ['\\n', 'a', ..., 'z'] is

    X = [None, ix('r'), ix('e'), ix('x')]        Y = X[1:] + [ix('\\n')]

Simplified on purpose, as in the course: one name per update (no batches), plain SGD with element-wise
gradient clipping (at +-5 by default), parameters kept in a dict, Python loops over time steps. The vocabulary size is
always read from the parameters' shapes, so any character set works. Two numerical guards the course
leaves out: softmax subtracts the max, and the loss uses a floor on probabilities so it stays finite.
"""

from __future__ import annotations

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


def clip(gradients: Gradients, max_value: float) -> Gradients:
    """Clip every gradient element-wise to [-max_value, max_value], in place; returns the same dict."""
    for name in GRAD_NAMES:
        np.clip(gradients[name], -max_value, max_value, out=gradients[name])
    return gradients


def update_parameters(parameters: Parameters, gradients: Gradients, lr: float) -> Parameters:
    """One SGD step, in place; returns the same dict."""
    for name in PARAM_NAMES:
        parameters[name] -= lr * gradients["d" + name]
    return parameters


def optimize(X: list, Y: list, a_prev: np.ndarray, parameters: Parameters, learning_rate: float = 0.01, clip_value: float = 5.0):
    """Forward, backward, clip at ``clip_value`` (the course's 5), update. Returns (loss, gradients, a_last (n_a, 1))."""
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, clip_value)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]


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
    """Sample one name and return the per-step records (see core.sampling.StepRecord)."""
    from core.sampling import generate

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
