"""core.models.numpy_cells: each cell step against its Keras layer, each backward step against finite differences."""

import numpy as np
import pytest

from core.models import numpy_cells as nc

CELLS = ("simplernn", "lstm", "gru")
GATES = {"simplernn": 1, "lstm": 4, "gru": 3}


def random_weights(cell: str, d: int, n: int, rng: np.random.Generator, dtype=np.float32):
    """Keras-shaped (kernel (d, g n), recurrent (n, g n), bias), large enough that every gate moves."""
    g = GATES[cell]
    bias_shape = (2, g * n) if cell == "gru" else (g * n,)
    return [rng.normal(0, 0.7, s).astype(dtype) for s in ((d, g * n), (n, g * n), bias_shape)]


def run_steps(cell: str, X: np.ndarray, W: np.ndarray, U: np.ndarray, b: np.ndarray):
    """X (B, T, d) through the numpy steps from a zero state -> (outputs (B, T, n), last h, last c or None)."""
    B, T, _ = X.shape
    n = U.shape[0]
    h = np.zeros((B, n), X.dtype)
    c = np.zeros((B, n), X.dtype)
    out = np.zeros((B, T, n), X.dtype)
    for t in range(T):
        xw = nc.vec_mat(X[:, t], W)  # (B, g n)
        if cell == "simplernn":
            h = nc.simple_rnn_step(xw, h, U, b).h
        elif cell == "lstm":
            step = nc.lstm_step(xw, h, c, U, b)
            h, c = step.h, step.c
        else:
            h = nc.gru_step(xw, h, U, b).h
        out[:, t] = h
    return out, h, (c if cell == "lstm" else None)


@pytest.mark.parametrize("cell", CELLS)
def test_steps_match_keras_layers_on_random_weights(cell):
    from core.models.keras_model import keras_module

    keras = keras_module()
    rng = np.random.default_rng(11)
    B, T, d, n = 2, 7, 4, 5
    X = rng.normal(0, 1, (B, T, d)).astype(np.float32)
    layer = {"simplernn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[cell](
        n, return_sequences=True, return_state=True
    )
    layer(X)  # build
    weights = random_weights(cell, d, n, rng)
    layer.set_weights(weights)
    got = [np.asarray(o) for o in layer(X)]  # [outputs (B, T, n), h] (+ [c] for the LSTM)
    out, h, c = run_steps(cell, X, *weights)
    assert np.max(np.abs(out - got[0])) <= 1e-5
    assert np.max(np.abs(h - got[1])) <= 1e-5
    if cell == "lstm":
        assert np.max(np.abs(c - got[2])) <= 1e-5
    assert np.ptp(out) > 0.5  # the weights moved the states: the comparison is not between near-zeros
    # one sequence without a batch axis gives the same numbers as its row of the batch
    one, _, _ = run_steps(cell, X[:1], *weights)
    h1 = np.zeros(n, np.float32)
    c1 = np.zeros(n, np.float32)
    W, U, b = weights
    for t in range(T):
        xw = nc.vec_mat(X[0, t], W)  # (g n,)
        if cell == "lstm":
            step = nc.lstm_step(xw, h1, c1, U, b)
            c1 = step.c
        else:
            step = (nc.simple_rnn_step if cell == "simplernn" else nc.gru_step)(xw, h1, U, b)
        h1 = step.h
        assert np.allclose(h1, one[0, t], atol=1e-6)


def _loss(cell: str, xw, h_prev, c_prev, U, b, wh, wc) -> float:
    """A scalar of one step's outputs: sum(wh * h) (+ sum(wc * c) for the LSTM)."""
    if cell == "lstm":
        step = nc.lstm_step(xw, h_prev, c_prev, U, b)
        return float(np.sum(wh * step.h) + np.sum(wc * step.c))
    step = (nc.simple_rnn_step if cell == "simplernn" else nc.gru_step)(xw, h_prev, U, b)
    return float(np.sum(wh * step.h))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("batch", [None, 3])
def test_backward_steps_match_finite_differences(cell, batch):
    rng = np.random.default_rng(5)
    n = 4
    lead = () if batch is None else (batch,)
    _, U, b = random_weights(cell, 1, n, rng, np.float64)
    xw = rng.normal(0, 1, lead + (GATES[cell] * n,))
    h_prev, c_prev = rng.normal(0, 0.8, lead + (n,)), rng.normal(0, 0.8, lead + (n,))
    wh, wc = rng.normal(0, 1, lead + (n,)), rng.normal(0, 1, lead + (n,))  # d loss / d h, d loss / d c
    if cell == "lstm":
        got = nc.lstm_step_backward(wh, wc, nc.lstm_step(xw, h_prev, c_prev, U, b), U)
    elif cell == "gru":
        got = nc.gru_step_backward(wh, nc.gru_step(xw, h_prev, U, b), U)
    else:
        got = nc.simple_rnn_step_backward(wh, nc.simple_rnn_step(xw, h_prev, U, b), U)
    wrt = [xw, h_prev] + ([c_prev] if cell == "lstm" else [])
    assert len(got) == len(wrt)
    eps = 1e-6
    for analytic, v in zip(got, wrt):
        assert analytic.shape == v.shape
        numeric = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            keep = v[idx]
            v[idx] = keep + eps
            up = _loss(cell, xw, h_prev, c_prev, U, b, wh, wc)
            v[idx] = keep - eps
            down = _loss(cell, xw, h_prev, c_prev, U, b, wh, wc)
            v[idx] = keep
            numeric[idx] = (up - down) / (2 * eps)
        assert np.max(np.abs(analytic - numeric)) <= 1e-7
        assert np.max(np.abs(numeric)) > 1e-3  # the gradient is not trivially zero


def test_sigmoid_is_the_logistic_function_and_does_not_overflow():
    x = np.linspace(-30, 30, 121)
    assert np.max(np.abs(nc.sigmoid(x) - 1 / (1 + np.exp(-x)))) <= 1e-15
    with np.errstate(all="raise"):
        far = nc.sigmoid(np.array([-1e4, 1e4]))
    assert far.tolist() == [0.0, 1.0]
