"""The numpy RNN: gradients against finite differences, clipping, sampling, shapes for other vocabularies."""

import numpy as np
import pytest

from core.models import numpy_rnn as nr


def make_example(n_x, length, rng):
    idx = [int(i) for i in rng.integers(1, n_x, size=length)]
    X = [None] + idx
    Y = X[1:] + [0]
    return X, Y


def random_params(n_a, n_x, seed):
    rng = np.random.default_rng(seed)
    p = nr.initialize_parameters(n_a, n_x, n_x, seed=seed)
    # bigger weights than the 0.01 init so every path carries a real gradient
    for k in p:
        p[k] = rng.standard_normal(p[k].shape) * 0.5
    return p


@pytest.mark.parametrize("n_a,n_x", [(5, 27), (7, 4), (3, 40)])
def test_gradients_match_finite_differences(n_a, n_x):
    rng = np.random.default_rng(1)
    params = random_params(n_a, n_x, seed=2)
    X, Y = make_example(n_x, 6, rng)
    a0 = rng.standard_normal((n_a, 1)) * 0.3
    loss, cache = nr.rnn_forward(X, Y, a0, params)
    grads, a = nr.rnn_backward(X, Y, params, cache)
    eps = 1e-6
    for name in nr.PARAM_NAMES:
        g = grads["d" + name]
        assert g.shape == params[name].shape
        num = np.zeros_like(g)
        it = np.nditer(params[name], flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = params[name][i]
            params[name][i] = old + eps
            lp, _ = nr.rnn_forward(X, Y, a0, params)
            params[name][i] = old - eps
            lm, _ = nr.rnn_forward(X, Y, a0, params)
            params[name][i] = old
            num[i] = (lp - lm) / (2 * eps)
        rel = np.linalg.norm(g - num) / max(1e-12, np.linalg.norm(g) + np.linalg.norm(num))
        assert rel < 1e-6, (name, rel)


def test_forward_loss_is_summed_cross_entropy():
    params = nr.initialize_parameters(4, 5, 5, seed=0)
    X, Y = [None, 1, 2], [1, 2, 0]
    loss, (y_hat, a, x) = nr.rnn_forward(X, Y, np.zeros((4, 1)), params)
    expected = -sum(np.log(y_hat[t][Y[t], 0]) for t in range(3))
    assert loss == pytest.approx(expected)
    assert np.all(x[0] == 0)  # None is the zero vector
    assert x[1][1, 0] == 1 and x[1].sum() == 1
    assert a[-1].shape == (4, 1) and y_hat[2].shape == (5, 1)
    # an untrained model is close to uniform: ~log(5) per step
    assert loss == pytest.approx(3 * np.log(5), rel=0.05)


def test_clip_is_elementwise_in_place_and_returned():
    g = {n: np.array([[-10.0, -1.0, 0.5, 7.0]]) for n in nr.GRAD_NAMES}
    arrays = {n: g[n] for n in g}
    out = nr.clip(g, 5)
    assert out is g
    for n in nr.GRAD_NAMES:
        assert out[n] is arrays[n]  # same arrays, changed in place
        np.testing.assert_array_equal(out[n], [[-5.0, -1.0, 0.5, 5.0]])


def test_optimize_reduces_loss_and_clips():
    params = nr.initialize_parameters(10, 6, 6, seed=0)
    X, Y = [None, 1, 2, 3], [1, 2, 3, 0]
    a0 = np.zeros((10, 1))
    first, grads, a_last = nr.optimize(X, Y, a0, params, 0.1)
    assert a_last.shape == (10, 1)
    for n in nr.GRAD_NAMES:
        assert np.all(np.abs(grads[n]) <= 5)
    for _ in range(200):
        loss, _, _ = nr.optimize(X, Y, a0, params, 0.1)
    assert loss < first / 3


def test_update_parameters_is_sgd():
    params = nr.initialize_parameters(3, 4, 4, seed=0)
    before = {k: v.copy() for k, v in params.items()}
    grads = {"d" + k: np.ones_like(v) for k, v in params.items()}
    nr.update_parameters(params, grads, 0.5)
    for k in params:
        np.testing.assert_allclose(params[k], before[k] - 0.5)


@pytest.mark.parametrize("n_x", [3, 27, 60])
def test_shapes_follow_vocabulary_size(n_x):
    params = nr.initialize_parameters(8, n_x, n_x, seed=3)
    assert params["Wax"].shape == (8, n_x) and params["Waa"].shape == (8, 8)
    assert params["Wya"].shape == (n_x, 8) and params["b"].shape == (8, 1) and params["by"].shape == (n_x, 1)
    assert nr.sizes(params) == (8, n_x, n_x)
    char_to_ix = {"\n": 0, **{chr(97 + i): i + 1 for i in range(n_x - 1)}}
    idx = nr.sample(params, char_to_ix, 1.0, np.random.default_rng(0))
    assert all(0 <= i < n_x for i in idx)


def test_sample_stops_at_newline_or_50():
    params = nr.initialize_parameters(5, 4, 4, seed=0)
    char_to_ix = {"\n": 0, "a": 1, "b": 2, "c": 3}
    # force '\n' after any input: huge output bias on index 0
    params["by"][0, 0] = 50.0
    idx = nr.sample(params, char_to_ix, 1.0, np.random.default_rng(0))
    assert idx == [0]
    # never '\n': the sample is cut at 50 characters and gets a '\n' appended, as in the course
    params["by"][0, 0] = -50.0
    idx = nr.sample(params, char_to_ix, 1.0, np.random.default_rng(0))
    assert len(idx) == 51 and idx[-1] == 0 and 0 not in idx[:-1]


def test_sample_starts_from_zero_vector_and_temperature_zero_is_argmax():
    params = random_params(6, 5, seed=4)
    char_to_ix = {"\n": 0, "a": 1, "b": 2, "c": 3, "d": 4}
    model = nr.NumpyCharRNN(params)
    p0, _ = model.next_token_probs(model.initial_state(), None)
    _, y = nr.rnn_step_forward(params, np.zeros((6, 1)), np.zeros((5, 1)))
    np.testing.assert_allclose(p0, y.ravel())
    a = nr.sample(params, char_to_ix, 0.0, np.random.default_rng(1))
    b = nr.sample(params, char_to_ix, 0.0, np.random.default_rng(2))
    assert a == b  # argmax ignores the random generator
    assert a[0] == int(np.argmax(p0))
