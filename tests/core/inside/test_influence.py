"""core.inside.influence: gradients against finite differences, forward passes against the models' own, distance curves
against a brute-force loop, and the messages for bad input."""

import numpy as np
import pytest

from core.inside import influence as inf
from core.models import numpy_rnn as nr
from core.models.course_model import CourseNumpyModel
from core.models.numpy_cells import NumpyRNN

V, D, H = 7, 5, 6  # vocabulary, embedding size, hidden units of the tiny models


def random_keras_like(cell: str, layers: int = 1, seed: int = 0, scale: float = 0.6) -> NumpyRNN:
    """A NumpyRNN (the Keras models' numpy twin) with random weights and biases, large enough to bend the
    tanh/sigmoids."""
    rng = np.random.default_rng(seed)
    g = {"simplernn": 1, "lstm": 4, "gru": 3}[cell]
    weights, d_in = [], D
    for _ in range(layers):
        b = rng.normal(0, scale, (2, 3 * H)) if cell == "gru" else rng.normal(0, scale, g * H)
        weights.append([rng.normal(0, scale, (d_in, g * H)), rng.normal(0, scale, (H, g * H)), b])
        d_in = H
    return NumpyRNN(cell, rng.normal(0, 1.0, (V, D)), weights, (rng.normal(0, scale, (H, V)), rng.normal(0, scale, V)))


def random_course(seed: int = 0, n_a: int = 5) -> CourseNumpyModel:
    rng = np.random.default_rng(seed)
    return CourseNumpyModel(
        rng.normal(0, 0.6, (V, 4 * n_a)),
        rng.normal(0, 0.6, (n_a, 4 * n_a)),
        rng.normal(0, 0.6, 4 * n_a),
        rng.normal(0, 0.6, (n_a, V)),
        rng.normal(0, 0.6, V),
    )


def random_dino(seed: int = 0, n_a: int = 6) -> nr.Parameters:
    p = nr.initialize_parameters(n_a, V, V, seed=seed)
    rng = np.random.default_rng(seed + 7)
    for k in p:
        p[k] = rng.normal(0, 0.7, p[k].shape)
    return p


def own_log_prob(model, inputs, target) -> float:
    """log p(target) by the model's own next_token_probs (the sampler's path)."""
    state = model.initial_state()
    for t in inputs:
        p, state = model.next_token_probs(state, t)
    return float(np.log(p[target]))


def fd_gradient(f, X: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of scalar f at every entry of X."""
    G = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += eps
        Xm[idx] -= eps
        G[idx] = (f(Xp) - f(Xm)) / (2 * eps)
    return G


INPUTS = [None, 3, 1, 4, 1, 5, 2]
TARGET = 6


@pytest.mark.parametrize(
    "cell,layers", [("simplernn", 1), ("lstm", 1), ("gru", 1), ("simplernn", 2), ("lstm", 2), ("gru", 3)]
)
def test_keras_cells_gradient_matches_finite_differences(cell, layers):
    model = random_keras_like(cell, layers)
    net = inf.as_net(model).astype(np.float64)
    X = net.vectors(inf._as_tokens(INPUTS))  # (1, T, d)
    grads, logp = inf.last_step_gradients(net, X, np.asarray([TARGET]))
    fd = fd_gradient(lambda Z: inf._log_probs_last(net, Z)[0][0, TARGET], X)
    assert np.max(np.abs(grads - fd)) < 1e-6 * max(1.0, np.max(np.abs(fd)))
    assert np.max(np.abs(fd)) > 1e-3  # not a vacuous comparison
    # the forward pass is the sampler's (core.models.numpy_cells), up to its float32 arithmetic
    assert logp[0] == pytest.approx(own_log_prob(model, INPUTS, TARGET), abs=1e-4)
    res = inf.influence(model, INPUTS, TARGET)
    assert res.norms.shape == (len(INPUTS),)
    assert np.allclose(res.norms, np.linalg.norm(fd[0], axis=-1), rtol=1e-5, atol=1e-9)


def test_course_model_gradient_matches_finite_differences():
    model = random_course()
    net = inf.as_net(model).astype(np.float64)
    X = net.vectors(inf._as_tokens(INPUTS))  # one-hot rows (1, T, V)
    assert np.allclose(X[0, 1:].sum(axis=1), 1) and X[0, 0].sum() == 0  # None is the zero vector
    fd = fd_gradient(lambda Z: inf._log_probs_last(net, Z)[0][0, TARGET], X)
    res = inf.influence(model, INPUTS, TARGET)
    assert np.allclose(res.norms, np.linalg.norm(fd[0], axis=-1), rtol=1e-5, atol=1e-9)
    assert res.logp == pytest.approx(own_log_prob(model, INPUTS, TARGET), abs=1e-4)


def dino_log_prob(parameters, xs: list[np.ndarray], target: int) -> float:
    """An independent forward pass over arbitrary input vectors x⟨t⟩ (n_x, 1), with the course's step."""
    a = np.zeros((parameters["Waa"].shape[0], 1))
    for x in xs:
        a, y = nr.rnn_step_forward(parameters, a, x)
    return float(np.log(y[target, 0]))


def test_dino_gradient_matches_finite_differences():
    p = random_dino()
    xs = [nr.one_hot(t, V) for t in INPUTS]
    eps = 1e-6
    res = inf.dino_influence(p, INPUTS, TARGET)
    for t in range(len(xs)):
        g = np.zeros(V)
        for k in range(V):
            up = [x.copy() for x in xs]
            dn = [x.copy() for x in xs]
            up[t][k, 0] += eps
            dn[t][k, 0] -= eps
            g[k] = (dino_log_prob(p, up, TARGET) - dino_log_prob(p, dn, TARGET)) / (2 * eps)
        assert res.norms[t] == pytest.approx(np.linalg.norm(g), rel=1e-5, abs=1e-9)
    assert res.logp == pytest.approx(own_log_prob(nr.NumpyCharRNN(p), INPUTS, TARGET), abs=1e-12)
    assert res.norms.max() > 1e-3
    # influence() dispatches the course's RNN to the course-notation pass
    assert np.array_equal(inf.influence(nr.NumpyCharRNN(p), INPUTS, TARGET).norms, res.norms)


def test_dino_all_targets_matches_one_at_a_time():
    p = random_dino(3)
    X = [None, 2, 5, 1, 1, 4]
    Y = X[1:] + [0]
    G = inf.dino_influence_all(p, X, Y)
    for j in range(len(X)):
        assert np.allclose(G[j, : j + 1], inf.dino_influence(p, X[: j + 1], Y[j]).norms, rtol=1e-10, atol=1e-14)
        assert np.all(G[j, j + 1 :] == 0)


def test_dino_distance_curve_matches_brute_force():
    p = random_dino(4)
    rng = np.random.default_rng(0)
    examples = []
    for n in (3, 7, 5, 1, 9):
        X = [None] + [int(v) for v in rng.integers(1, V, n)]
        examples.append((X, X[1:] + [0]))
    curve = inf.dino_distance_curve(p, examples, max_distance=100)
    sums, counts = {}, {}
    for X, Y in examples:
        for j in range(len(X)):
            norms = inf.dino_influence(p, X[: j + 1], Y[j]).norms
            for i in range(j + 1):
                d = j - i + 1
                sums[d] = sums.get(d, 0.0) + norms[i]
                counts[d] = counts.get(d, 0) + 1
    assert list(curve.distances) == sorted(sums) == list(range(1, 11))
    assert np.allclose(curve.mean, [sums[d] / counts[d] for d in curve.distances], rtol=1e-10)
    assert list(curve.count) == [counts[d] for d in curve.distances]
    short = inf.dino_distance_curve(p, examples, max_distance=4)
    assert np.allclose(short.mean, curve.mean[:4])


@pytest.mark.parametrize("kind", ["lstm", "gru", "simplernn", "course"])
def test_distance_curve_matches_brute_force(kind):
    model = random_course(2) if kind == "course" else random_keras_like(kind, layers=2 if kind == "gru" else 1, seed=2)
    rng = np.random.default_rng(1)
    seqs = [rng.integers(0, V, 40), rng.integers(0, V, 12), rng.integers(0, V, 25)]
    curve = inf.distance_curve(model, seqs, max_distance=20, n_windows=10)
    W = 20 + inf.BURN_IN  # inputs per window: the distances shown and the burn-in in front
    win = inf.windows_from(seqs, W, 10)
    assert win.shape == (10, W + 1) and curve.windows == 10
    brute = np.zeros(20)
    for w in win:
        norms = inf.influence(model, [int(t) for t in w[:W]], int(w[W])).norms  # float64, one window at a time
        brute += norms[::-1][:20]  # distance 1 = the last input
    brute /= len(win)
    assert list(curve.distances) == list(range(1, 21))
    assert np.allclose(curve.mean, brute, rtol=2e-3)  # the curve runs in float32


def test_windows_are_contiguous_slices_of_long_enough_sequences():
    seqs = [np.arange(100, 105), np.arange(0, 30), np.arange(200, 215)]
    win = inf.windows_from(seqs, 10, 50)
    assert win.shape[1] == 11
    assert len({tuple(w) for w in win}) == len(win)  # distinct
    for w in win:
        assert np.all(np.diff(w) == 1) and (w[0] < 100 or w[0] >= 200)  # never from the 5-token sequence
    assert inf.windows_from(seqs, 40, 5).shape == (0, 41)


def test_distance_is_capped_by_the_longest_sequence():
    model = random_keras_like("lstm")
    curve = inf.distance_curve(model, [np.arange(7) % V, np.arange(4) % V], max_distance=100, n_windows=8)
    assert list(curve.distances) == list(range(1, 7))  # no room for a burn-in: every input of the 6 is shown
    assert len(inf.distance_curve(model, [np.arange(40) % V], max_distance=35, n_windows=4).distances) == 35


def test_bad_input_gets_messages():
    model = random_keras_like("lstm")
    with pytest.raises(inf.InfluenceError, match="no earlier input"):
        inf.influence(model, [], 1)
    with pytest.raises(inf.InfluenceError, match="outside the model's vocabulary"):
        inf.influence(model, [1, 99], 1)
    with pytest.raises(inf.InfluenceError, match="outside the model's vocabulary"):
        inf.influence(nr.NumpyCharRNN(random_dino()), [None, 1], 50)
    with pytest.raises(inf.InfluenceError, match="no recurrent layer"):
        inf.influence(object(), [1, 2], 1)
    with pytest.raises(inf.InfluenceError, match="too short"):
        inf.distance_curve(model, [np.array([1])])
    with pytest.raises(inf.InfluenceError, match="no names"):
        inf.dino_distance_curve(random_dino(), [])


def test_shading_share_is_relative_to_the_largest():
    res = inf.influence(random_keras_like("gru"), INPUTS, TARGET)
    assert res.share.max() == pytest.approx(1.0) and np.all(res.share >= 0)
    assert np.all(inf.Influence(np.zeros(3), 0, 0.0).share == 0)


def test_window_count_follows_the_budget():
    small = inf.as_net(random_keras_like("lstm"))
    assert inf.window_count(small, 100) == inf.MAX_WINDOWS
    rng = np.random.default_rng(0)
    big = inf.Net(
        "lstm",
        rng.normal(size=(60, 64)).astype(np.float32),
        ((np.zeros((64, 4096), np.float32), np.zeros((1024, 4096), np.float32), np.zeros(4096, np.float32)),),
        np.zeros((1024, 60), np.float32),
        np.zeros(60, np.float32),
        "",
    )
    assert inf.window_count(big, 100) == inf.MIN_WINDOWS


def test_float32_view_agrees_with_float64():
    model = random_keras_like("lstm", layers=2, seed=5)
    a = inf.influence(model, INPUTS, TARGET)
    b = inf.influence(model, INPUTS, TARGET, np.float32)
    assert np.allclose(a.share, b.share, atol=1e-4) and a.logp == pytest.approx(b.logp, abs=1e-4)


def test_influence_roll_shades_notes_chords_and_rests():
    from core import charts

    values = ["N60_d4", "C60.64.67_d2", "R_d4", "N62_d2", "N64_d4"]
    names = ["C4q", "[C4 E4 G4]e", "Rq", "D4e", "E4q"]
    fig = charts.influence_roll_figure(values, [0.5, 1.0, 0.25], 3, names=names, tempo=120.0, start_share=0.1)
    earlier, chosen, later = fig.data
    assert list(earlier.marker.color) == [0.5, 1.0, 1.0, 1.0, 0.25]  # one bar per pitch of the chord; the rest has one
    assert list(earlier.y) == [60, 60, 64, 67, 57]  # the rest sits on its own row, below the lowest pitch
    assert list(earlier.base) == [0.0, 0.5, 0.5, 0.5, 0.75]  # sixteenths at 120 quarter notes a minute: 0.125 s each
    assert list(chosen.y) == [62] and list(later.y) == [64]
    assert list(earlier.text)[1] == "value 1: [C4 E4 G4]e<br>influence 100% of the largest"  # hover: the names
    assert list(chosen.text) == ["value 3: D4e"]
    assert "the silent start: 10%" in fig.layout.title.text


def test_distance_figure_is_log_log_and_skips_zeros():
    from core import charts

    fig = charts.distance_figure([("a", [1, 2, 3], [1.0, 0.0, 0.1]), ("b", [1, 2], [0.5, 0.2])], current="b")
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert np.isnan(fig.data[0].y[1]) and fig.data[1].line.width > fig.data[0].line.width
    assert "Measure" in charts.distance_figure([]).layout.annotations[0].text
