"""core.inside.neurons: unit activations against a scalar forward pass, the token models' own steps and Keras's layer
outputs; features; correlations and rankings; gate shares against a brute-force count; messages for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import palette
from core.inside import neurons as nu
from core.models.course_model import CourseNumpyModel
from core.models.numpy_cells import NumpyRNN
from core.models.numpy_rnn import NumpyCharRNN, initialize_parameters

G = {"simplernn": 1, "lstm": 4, "gru": 3}


def random_numpy_rnn(
    cell: str, layers: int = 2, n: int = 5, vocab: int = 7, embed: int = 3, seed: int = 0, scale: float = 0.8
) -> NumpyRNN:
    """A NumpyRNN with random weights large enough that gates really saturate sometimes."""
    rng = np.random.default_rng(seed)
    g = G[cell]
    rnn = []
    d_in = embed
    for _ in range(layers):
        b = rng.normal(0, scale, (2, g * n) if cell == "gru" else (g * n,))
        rnn.append([rng.normal(0, scale, (d_in, g * n)), rng.normal(0, scale, (n, g * n)), b])
        d_in = n
    emb = rng.normal(0, 1.5, (vocab, embed))
    dense = (rng.normal(0, 0.5, (n, vocab)), rng.normal(0, 0.1, vocab))
    return NumpyRNN(cell, emb, rnn, dense)


# ---------------------------------------------------------------------------------------------- a scalar reference
def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scalar_forward(net: nu.Net, tokens):
    """The same equations with Python floats, one unit at a time: per layer lists of h, c and gate rows."""
    T, n = len(tokens), net.units
    xs = [
        [0.0] * net.first.shape[1] if t is None else [float(v) for v in net.first[t]] for t in tokens
    ]  # x W of layer 1
    out = {"h": [], "c": [], "gates": {}}
    for li, layer in enumerate(net.layers):
        U = [[float(v) for v in row] for row in layer.recurrent]
        if li > 0:
            K = layer.kernel
            below = out["h"][-1]
            xs = [
                [sum(below[t][i] * float(K[i, j]) for i in range(K.shape[0])) for j in range(K.shape[1])]
                for t in range(T)
            ]
        h, c = [0.0] * n, [0.0] * n
        H, C, gate_rows = [], [], {}
        for t in range(T):
            rec = [sum(h[i] * U[i][j] for i in range(n)) for j in range(len(U[0]))]
            if net.cell == "simplernn":
                b = layer.bias
                h = [math.tanh(xs[t][j] + rec[j] + float(b[j])) for j in range(n)]
            elif net.cell == "lstm":
                b = layer.bias
                z = [xs[t][j] + rec[j] + float(b[j]) for j in range(4 * n)]
                i_ = [sig(z[j]) for j in range(n)]
                f_ = [sig(z[n + j]) for j in range(n)]
                o_ = [sig(z[3 * n + j]) for j in range(n)]
                c = [f_[j] * c[j] + i_[j] * math.tanh(z[2 * n + j]) for j in range(n)]
                h = [o_[j] * math.tanh(c[j]) for j in range(n)]
                for name, row in (("input", i_), ("forget", f_), ("output", o_)):
                    gate_rows.setdefault(name, []).append(row)
                C.append(c)
            else:
                b0, b1 = layer.bias
                xp = [xs[t][j] + float(b0[j]) for j in range(3 * n)]
                hp = [rec[j] + float(b1[j]) for j in range(3 * n)]
                z_ = [sig(xp[j] + hp[j]) for j in range(n)]
                r_ = [sig(xp[n + j] + hp[n + j]) for j in range(n)]
                cand = [math.tanh(xp[2 * n + j] + r_[j] * hp[2 * n + j]) for j in range(n)]
                h = [z_[j] * h[j] + (1 - z_[j]) * cand[j] for j in range(n)]
                gate_rows.setdefault("update", []).append(z_)
                gate_rows.setdefault("reset", []).append(r_)
            H.append(h)
        out["h"].append(H)
        if C:
            out["c"].append(C)
        for name, rows in gate_rows.items():
            out["gates"].setdefault(name, []).append(rows)
    return out


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
def test_forward_matches_a_scalar_forward_pass(cell):
    net = nu.net_of(random_numpy_rnn(cell, layers=2))
    tokens = [None, 3, 1, 6, 0, 2, 2, 5]
    tr = nu.forward(net, tokens)
    ref = scalar_forward(net, tokens)
    assert tr.steps == 8 and tr.units == 5 and len(tr.h) == 2
    for li in range(2):
        assert np.allclose(tr.h[li], ref["h"][li], atol=2e-5)
        if cell == "lstm":
            assert np.allclose(tr.c[li], ref["c"][li], atol=2e-5)
        for gate in nu.GATES[cell]:
            assert np.allclose(tr.gates[gate][li], ref["gates"][gate][li], atol=2e-5)
    assert (len(tr.c) == 2) == (cell == "lstm")
    assert set(tr.gates) == set(nu.GATES[cell])


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
def test_forward_matches_the_samplers_own_steps(cell):
    """The states NumpyRNN.next_token_probs carries are the trace's h (and c) at every step."""
    model = random_numpy_rnn(cell, layers=3, n=6, seed=4)
    tokens = [2, 0, 5, 5, 1, 6, 3]
    tr = nu.forward(nu.net_of(model), tokens)
    state = model.initial_state()
    for t, tok in enumerate(tokens):
        _, state = model.next_token_probs(state, tok)
        for li, s in enumerate(state):
            h, c = s if cell == "lstm" else (s, None)
            assert np.allclose(tr.h[li][t], h, atol=1e-6)
            if c is not None:
                assert np.allclose(tr.c[li][t], c, atol=1e-6)


def test_course_model_and_dinosaur_rnn():
    rng = np.random.default_rng(2)
    n, V = 4, 9
    course = CourseNumpyModel(
        rng.normal(0, 1, (V, 4 * n)),
        rng.normal(0, 1, (n, 4 * n)),
        rng.normal(0, 1, 4 * n),
        rng.normal(0, 1, (n, V)),
        np.zeros(V),
    )
    tokens = [None, 3, 8, 0, 4]
    tr = nu.forward(nu.net_of(course), tokens)
    state = course.initial_state()
    for t, tok in enumerate(tokens):
        _, state = course.next_token_probs(state, tok)
        assert np.allclose(tr.h[0][t], state[0], atol=1e-6) and np.allclose(tr.c[0][t], state[1], atol=1e-6)
    assert nu.net_of(course).source == "the course's LSTM"

    params = initialize_parameters(6, 5, 5, seed=3)
    params = {k: v * 80 for k, v in params.items()}  # 0.01-scale weights would leave a⟨t⟩ near 0
    params["b"] = rng.normal(0, 0.5, (6, 1))
    dino = NumpyCharRNN(params)
    tokens = [None, 1, 4, 2, 0]
    tr = nu.forward(nu.net_of(dino), tokens)
    a = dino.initial_state()
    for t, tok in enumerate(tokens):
        _, a = dino.next_token_probs(a, tok)
        assert np.allclose(tr.h[0][t], a.ravel(), atol=1e-12)
    assert tr.cell == "simplernn" and tr.c == () and tr.gates == {}
    assert nu.net_of(dino).units == 6 and nu.net_of(dino).vocab_size == 5


@pytest.mark.parametrize("cell", ["simplernn", "lstm", "gru"])
def test_activations_match_keras_layer_outputs(cell):
    """h of every layer equals the Keras layer's output; an LSTM's c equals the state Keras returns after each
    prefix."""
    from core.models.keras_model import RNNConfig, build_model, keras_module, rnn_layers

    keras = keras_module()
    V = 11
    model = build_model(V, RNNConfig(cell=cell, hidden=5, layers=2, embed_dim=4, seed=3))
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])  # biases too
    tokens = [4, 0, 10, 3, 3, 7]
    x = np.asarray([tokens], np.int32)
    rnns = rnn_layers(model)
    outs = keras.Model(model.inputs[0], [l.output for l in rnns])(x)
    tr = nu.forward(nu.net_of(NumpyRNN.from_keras(model)), tokens)
    for li, out in enumerate(outs):
        assert np.allclose(tr.h[li], np.asarray(out)[0], atol=1e-5)
    if cell == "lstm":
        emb = np.asarray(model.get_layer("embedding")(x))  # (1, T, embed)
        lstm = keras.layers.LSTM(5, return_sequences=True, return_state=True)
        lstm(emb)
        lstm.set_weights(rnns[0].get_weights())
        for t in range(1, len(tokens) + 1):
            _, h_last, c_last = lstm(emb[:, :t])
            assert np.allclose(tr.c[0][t - 1], np.asarray(c_last)[0], atol=1e-5)
            assert np.allclose(tr.h[0][t - 1], np.asarray(h_last)[0], atol=1e-5)


def test_forward_refuses_empty_and_unknown_tokens():
    net = nu.net_of(random_numpy_rnn("lstm", layers=1))
    with pytest.raises(nu.NotAnalysable, match="empty"):
        nu.forward(net, [])
    with pytest.raises(nu.NotAnalysable, match="outside the model's vocabulary of 7"):
        nu.forward(net, [1, 7])
    with pytest.raises(nu.NotAnalysable, match="no recurrent layer"):
        nu.net_of(object())


# ---------------------------------------------------------------------------------------------- features
def test_text_features_by_hand():
    text = 'ROMEO:\nSay "hi" (now)\n'
    f = {x.name: x.values for x in nu.text_features(text)}
    assert len(f["inside quotes"]) == len(text)
    q = "".join("1" if v else "0" for v in f["inside quotes"])
    assert q == "0000000" + "0000" + "111" + "0" + "000000" + "0"
    b = "".join("1" if v else "0" for v in f["inside brackets"])
    assert b == "0000000" + "000000000" + "1111" + "0" + "0"
    assert list(f["position in the line"][:8]) == [1, 2, 3, 4, 5, 6, 0, 1]
    assert list(f["position in the line"][-2:]) == [14, 0]
    s = "".join("1" if v else "0" for v in f["speaker line"])
    assert s == "111111" + "0" * (len(text) - 6)  # "ROMEO:" (the newline is not part of the line)
    w = "".join("1" if v else "0" for v in f["inside a word"])
    assert w == "111110" + "0" + "1110" + "0110" + "0" + "01110" + "0"
    assert nu.text_features("don't")[4].values.tolist() == [1, 1, 1, 1, 1]  # an apostrophe between letters is inside
    assert nu.text_features("“a” b")[0].values.tolist() == [1, 1, 0, 0, 0]


def test_music_and_name_features():
    values = ["N60_d4", "R_d4", "C60.64.67_d8", "N72_d2", "N71_d14", "N60_d4"]
    f = {x.name: x.values for x in nu.music_features(values)}
    assert list(nu.value_onsets(values)) == [0, 4, 8, 16, 18, 32]
    assert list(f["position in the bar"]) == [0, 4, 8, 0, 2, 0]
    assert list(f["on the downbeat"]) == [1, 0, 0, 1, 0, 1]
    assert np.isnan(f["pitch height"][1]) and list(f["pitch height"][[0, 2, 3, 4]]) == [60, 67, 72, 71]
    assert list(f["note length"]) == [4, 4, 8, 2, 14, 4]
    assert list(f["rest"]) == [0, 1, 0, 0, 0, 0]
    g = {x.name: x.values for x in nu.name_features(["rex", "ab"])}
    assert list(g["position in the name"]) == [0, 1, 2, 3, 0, 1, 2]
    assert list(g["letters left"]) == [3, 2, 1, 0, 2, 1, 0]
    assert np.isnan(g["vowel"][0]) and list(g["vowel"][1:4]) == [0, 1, 0] and list(g["vowel"][5:]) == [1, 0]


# ---------------------------------------------------------------------------------------------- correlations
def test_correlations_match_numpy_and_skip_undefined_steps():
    rng = np.random.default_rng(1)
    acts = rng.normal(size=(40, 6))
    acts[:, 5] = 0.25  # a unit that never moves
    vals = rng.normal(size=40)
    vals[[3, 9]] = np.nan
    r = nu.correlations(acts, nu.Feature("f", vals, ""))
    m = np.isfinite(vals)
    for u in range(5):
        assert abs(r[u] - np.corrcoef(acts[m, u], vals[m])[0, 1]) < 1e-12
    assert r[5] == 0.0


def planted_trace(T=300, n=8, seed=0):
    """A fake LSTM trace where h unit 3 follows the position in the line, c unit 6 the quotes (negatively)."""
    rng = np.random.default_rng(seed)
    text = ('He said "yes" and left.\n' * 20)[:T]
    feats = nu.text_features(text)
    pos = feats[2].values
    q = feats[0].values
    h = rng.normal(0, 1, (T, n))
    c = rng.normal(0, 1, (T, n))
    h[:, 3] = pos / pos.max() + rng.normal(0, 0.05, T)
    c[:, 6] = -2 * q + rng.normal(0, 0.05, T)
    tr = nu.Trace("lstm", tuple(range(T)), (h,), (c,), {})
    return tr, feats


def test_find_units_finds_planted_units():
    tr, feats = planted_trace()
    rank = nu.find_units(tr, feats, top=5)
    assert (rank.top[0].state, rank.top[0].unit) in {("h", 3), ("c", 6)}
    found = {(f.state, f.unit): f for f in rank.top[:2]}
    assert found[("h", 3)].feature == "position in the line" and found[("h", 3)].r > 0.95
    assert found[("c", 6)].feature == "inside quotes" and found[("c", 6)].r < -0.95
    assert len({(f.state, f.layer, f.unit) for f in rank.top}) == 5  # each unit once
    per = {f.feature: f for f in rank.per_feature}
    assert (per["inside quotes"].state, per["inside quotes"].unit) == ("c", 6)
    assert (per["position in the line"].state, per["position in the line"].unit) == ("h", 3)
    assert set(rank.skipped) == {"inside brackets", "speaker line"}  # nothing varies there in this text
    assert [abs(f.r) for f in rank.top] == sorted((abs(f.r) for f in rank.top), reverse=True)


def test_find_units_with_no_varying_feature():
    tr, _ = planted_trace(T=10)
    rank = nu.find_units(tr, [nu.Feature("flat", np.ones(10), "")])
    assert rank.top == () and rank.per_feature == () and rank.skipped == ("flat",)


# ---------------------------------------------------------------------------------------------- gates
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_shares_against_brute_force(cell):
    model = random_numpy_rnn(cell, layers=2, n=7, scale=2.0, seed=5)
    net = nu.net_of(model)
    rng = np.random.default_rng(3)
    seqs = [list(rng.integers(0, 7, 60)), list(rng.integers(0, 7, 25))]
    traces = [nu.forward(net, s) for s in seqs]
    shares = nu.gate_shares(traces)
    assert [(s.gate, s.layer) for s in shares] == [(g, l) for g in nu.GATES[cell] for l in (0, 1)]
    ref = [scalar_forward(net, s) for s in seqs]
    saw_closed = saw_open = False
    for s in shares:
        assert s.steps == 85
        for u in range(7):
            values = [row[u] for r in ref for row in r["gates"][s.gate][s.layer]]  # every step of both sequences
            closed = sum(v < 0.1 for v in values) / len(values)
            opened = sum(v > 0.9 for v in values) / len(values)
            assert s.closed[u] == pytest.approx(closed, abs=1e-12) and s.open[u] == pytest.approx(opened, abs=1e-12)
            saw_closed |= closed > 0
            saw_open |= opened > 0
    assert saw_closed and saw_open  # the weights are large enough that the test sees both kinds of saturation


def test_gate_thresholds_are_strict():
    g = np.array([[0.05], [0.1], [0.5], [0.9], [0.95]])
    tr = nu.Trace("gru", (0,) * 5, (np.zeros((5, 1)),), (), {"update": (g,), "reset": (g,)})
    s = nu.gate_shares(tr)[0]
    assert s.closed[0] == pytest.approx(0.2) and s.open[0] == pytest.approx(0.2)


def test_no_gates_for_simple_rnn():
    tr = nu.forward(nu.net_of(random_numpy_rnn("simplernn", layers=1)), [1, 2])
    with pytest.raises(nu.NotAnalysable, match="has no gates"):
        nu.gate_shares(tr)
    with pytest.raises(nu.NotAnalysable):
        nu.gate_shares([])
    assert "the course's RNN has no gates" in nu.no_gates_message("simplernn", "the course's RNN")


# ---------------------------------------------------------------------------------------------- showing
def test_coloured_text_html_escapes_and_colours():
    out = nu.coloured_text_html(list("<a\n"), [1.0, -0.5, 0.0], 1.0)
    assert "&lt;" in out and "<a" not in out.replace("<span", "").replace("<br", "").replace("<div", "")
    assert f"background:{palette.POSITIVE}" in out and f"background:{palette.mix(palette.NEGATIVE, 0.5)}" in out
    assert "↵</span><br>" in out
    assert "underline solid" in out and "underline dotted" in out  # the sign, also without colour
    assert nu.colour(float("nan"), 1.0) == palette.WHITE
    assert (
        nu.scale_of(np.array([0.5, -3.0])) == 3.0
        and nu.scale_of(np.zeros(4)) == 1.0
        and nu.scale_of(np.array([0.01])) == 0.01
    )


def test_text_excerpt_starts_after_a_blank_line():
    text = "x" * 50 + "end.\n\nJULIET:\nO Romeo" + "y" * 100
    assert nu.text_excerpt(text, 10, 14) == "JULIET:\nO Rome"
    assert nu.text_excerpt("abc", 0, 10) == "abc"


def test_forward_each_restarts_every_sequence():
    net = nu.net_of(random_numpy_rnn("lstm", layers=2))
    a, b = [None, 1, 2], [None, 4]
    tr = nu.forward_each(net, [a, [], b])
    ta, tb = nu.forward(net, a), nu.forward(net, b)
    assert tr.steps == 5 and tr.tokens == (None, 1, 2, None, 4)
    for li in range(2):
        assert np.array_equal(tr.h[li], np.concatenate([ta.h[li], tb.h[li]]))
        assert np.array_equal(tr.c[li], np.concatenate([ta.c[li], tb.c[li]]))
        assert np.array_equal(tr.gates["forget"][li], np.concatenate([ta.gates["forget"][li], tb.gates["forget"][li]]))
    with pytest.raises(nu.NotAnalysable):
        nu.forward_each(net, [[], []])
