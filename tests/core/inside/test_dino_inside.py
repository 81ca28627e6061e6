"""Look inside the Dinosaur lab, in core: the per-step backward pass against finite differences
of a brute-force forward pass, clip counts, the explosion guard, the formula terms, temperature reweighting and the
parameter-count formula."""

import copy

import numpy as np
import pytest

from core.inside import param_formula
from core.labs.dino_lab import COURSE, EXPLOSION, DinoLab, bundled_names
from core.models import numpy_rnn as nr
from core.models.dino import EXPLODE_RATIO, EXPLODE_WINDOW, SANE_RATIO, DinoConfig, DinoTrainer
from core.models.keras_model import CELLS, RNNConfig, count_params
from core.models.sampling import adjust_distribution, first_step_probs, generate, reweight
from core.models.trainer import StopKind

NAMES = ["aardonyx", "abelisaurus", "brachiosaurus", "tyrannosaurus", "velociraptor", "stegosaurus", "triceratops"]


# ---------------------------------------------------------------------------------------------- a brute-force reference
def reference_losses(X, Y, a0, per_step_params, nudge=None):
    """Per-step losses of the course's forward pass written out again, with optional per-step copies of the weights
    (per_step_params[t] is the dict step t uses) and a nudge added to a<t> right after it is computed ({t: (n_a,
    1)})."""
    a = a0
    losses = []
    for t in range(len(X)):
        p = per_step_params[t]
        x = np.zeros((p["Wax"].shape[1], 1))
        if X[t] is not None:
            x[X[t], 0] = 1.0
        a = np.tanh(p["Wax"] @ x + p["Waa"] @ a + p["b"])
        if nudge and t in nudge:
            a = a + nudge[t]
        z = p["Wya"] @ a + p["by"]
        z = z - z.max()
        y = np.exp(z) / np.exp(z).sum()
        losses.append(-np.log(y[Y[t], 0]))
    return np.array(losses)


def example(n_a=4, n_x=6, length=5, seed=1):
    rng = np.random.default_rng(seed)
    params = {k: rng.standard_normal(v.shape) * 0.6 for k, v in nr.initialize_parameters(n_a, n_x, n_x).items()}
    X = [None] + [int(i) for i in rng.integers(1, n_x, size=length)]
    Y = X[1:] + [0]
    a0 = rng.standard_normal((n_a, 1)) * 0.3
    return params, X, Y, a0


def test_da_norms_match_finite_differences():
    params, X, Y, a0 = example()
    trace, _, _ = nr.bptt_trace(X, Y, a0, params, None)
    T, n_a, eps = len(X), a0.shape[0], 1e-6
    steps = [params] * T
    for t in range(T):
        grad_all, grad_future = np.zeros(n_a), np.zeros(n_a)
        for i in range(n_a):
            e = np.zeros((n_a, 1))
            e[i, 0] = eps
            lp, lm = reference_losses(X, Y, a0, steps, {t: e}), reference_losses(X, Y, a0, steps, {t: -e})
            grad_all[i] = (lp.sum() - lm.sum()) / (2 * eps)
            grad_future[i] = (lp[t + 1 :].sum() - lm[t + 1 :].sum()) / (2 * eps)  # only the later steps' losses
        assert trace.da_norm[t] == pytest.approx(np.linalg.norm(grad_all), rel=1e-6)
        assert trace.da_future_norm[t] == pytest.approx(np.linalg.norm(grad_future), rel=1e-6, abs=1e-12)
    assert trace.da_future_norm[-1] == 0
    assert trace.loss == pytest.approx(reference_losses(X, Y, a0, steps).sum())


def test_each_steps_share_of_each_gradient_matches_finite_differences():
    """What step t added to dW is dL/dW_t, where W_t is a copy of W used at step t only."""
    params, X, Y, a0 = example(n_a=3, n_x=5, length=4, seed=2)
    trace, _, _ = nr.bptt_trace(X, Y, a0, params, None)
    T, eps = len(X), 1e-6
    for name in nr.PARAM_NAMES:
        for t in range(T):
            num = np.zeros_like(params[name])
            for idx in np.ndindex(*params[name].shape):
                copies = [params] * T
                for sign in (1, -1):
                    step_params = dict(params)
                    step_params[name] = params[name].copy()
                    step_params[name][idx] += sign * eps
                    copies = [params] * T
                    copies[t] = step_params
                    num[idx] += sign * reference_losses(X, Y, a0, copies).sum() / (2 * eps)
            assert trace.step_norms["d" + name][t] == pytest.approx(np.linalg.norm(num), rel=1e-5, abs=1e-9), (name, t)


def test_trace_gradients_and_clip_counts_match_the_course_functions():
    params, X, Y, a0 = example(n_a=6, n_x=8, length=7, seed=3)
    for k in params:
        params[k] *= 4  # large weights: some entries go beyond the clip
    loss, cache = nr.rnn_forward(X, Y, a0, params)
    raw, a = nr.rnn_backward(X, Y, params, cache)
    for clip_value in (0.5, 2.0, None):
        before = copy.deepcopy(params)
        trace, grads, a_last = nr.bptt_trace(X, Y, a0, params, clip_value)
        for k in params:
            np.testing.assert_array_equal(params[k], before[k])  # nothing is updated
        np.testing.assert_allclose(a_last, a[len(X) - 1])
        for g in nr.GRAD_NAMES:
            expected = raw[g] if clip_value is None else np.clip(raw[g], -clip_value, clip_value)
            np.testing.assert_allclose(grads[g], expected, rtol=1e-12, atol=1e-14)
            n_beyond = 0 if clip_value is None else int(np.sum(np.abs(raw[g]) > clip_value))
            assert trace.clipped[g] == n_beyond
            assert trace.grad_norm[g] == pytest.approx(np.linalg.norm(raw[g]))
            assert trace.grad_max[g] == pytest.approx(np.abs(raw[g]).max())
            assert trace.clipped_norm[g] == pytest.approx(np.linalg.norm(expected))
            assert trace.entries[g] == raw[g].size
    assert nr.bptt_trace(X, Y, a0, params, 0.5)[0].total_clipped > 0


def test_trainer_matches_the_course_loop_and_carries_the_hidden_state():
    """train_steps (traced last name included) gives the same weights as the course's loop of optimize() calls with
    a_prev carried from one name to the next."""
    t = DinoTrainer(NAMES, DinoConfig(n_a=8, seed=4))
    params = copy.deepcopy(t.parameters)
    a_prev = np.zeros((8, 1))
    losses = []
    for j in range(25):
        X, Y = t.example(j)
        loss, _, a_prev = nr.optimize(X, Y, a_prev, params, 0.01, 5.0)
        losses.append(loss)
    for n in (10, 1, 14):
        t.train_steps(n)
    assert t.step == 25
    np.testing.assert_allclose(t.history.train.values["loss"], losses, rtol=1e-12)
    for k in params:
        np.testing.assert_allclose(t.parameters[k], params[k], rtol=1e-12)
    np.testing.assert_allclose(t.a_prev, a_prev)  # carried, not reset


def test_last_trace_is_the_last_name_on_the_weights_it_was_trained_with():
    t = DinoTrainer(NAMES, DinoConfig(n_a=8, seed=5))
    t.train_steps(6)
    weights, a0 = copy.deepcopy(t.parameters), t.a_prev.copy()
    X, Y = t.example(t.step)
    t.train_steps(1)
    expected, _, _ = nr.bptt_trace(X, Y, a0, weights, 5.0)
    assert t.last_trace_at == 7 and not t.last_trace_exploded
    assert t.last_trace.inputs == X and t.last_trace.loss == pytest.approx(expected.loss)
    np.testing.assert_allclose(t.last_trace.da_norm, expected.da_norm)


def test_no_clipping_lets_large_gradients_through():
    t_clip = DinoTrainer(NAMES, DinoConfig(n_a=8, seed=6, clip_value=0.01))
    t_free = DinoTrainer(NAMES, DinoConfig(n_a=8, seed=6, clip_value=None))
    t_clip.train_steps(3)
    t_free.train_steps(3)
    assert t_clip.last_trace.total_clipped > 0 and t_free.last_trace.total_clipped == 0
    assert max(t_clip.last_trace.clipped_norm.values()) < max(t_free.last_trace.clipped_norm.values())


def test_explosion_guard_stops_with_diverged_and_restores_the_weights():
    t = DinoTrainer(bundled_names(), DinoConfig(n_a=50, **EXPLOSION))
    t.train_steps(EXPLODE_WINDOW + 20)  # lr 1 without clipping: the first full window of names is far above guessing
    if t.explosions == 0:
        pytest.fail(f"lr 1 without clipping did not explode within {EXPLODE_WINDOW + 20} names")
    t = DinoTrainer(bundled_names(), DinoConfig(n_a=50, **COURSE))
    t.train_steps(200)
    kept = copy.deepcopy(t.parameters)
    t.learning_rate, t.config = 1.0, DinoConfig(n_a=50, learning_rate=1.0, clip_value=None)  # as the page's retune
    step = t.step
    report = t.train_steps(200)
    assert report.stop is not None and report.stop.kind is StopKind.DIVERGED
    msg = report.stop.message
    assert "exploded" in msg and "clipping" in msg and "learning rate" in msg and "put back" in msg, msg
    assert f"over {EXPLODE_WINDOW} names in a row averages more than {EXPLODE_RATIO:g} times" in msg, msg  # the rule
    assert step + 1 < t.step + 1 < step + 200  # not at the first bad name: the average over the window passed the ratio
    for k in kept:  # the explosion came in this call, so the weights from its start are back
        np.testing.assert_array_equal(t.parameters[k], kept[k])
    assert t.last_trace_exploded and t.last_trace_at == t.step + 1
    assert t.window_ratio() == 0.0  # the weights put back start a fresh window


def test_one_bad_name_is_not_an_explosion_but_a_bad_stretch_is():
    t = DinoTrainer(bundled_names(), DinoConfig(n_a=8, iterations=10_000))
    X, Y = t.example(0)
    uniform = t.uniform_loss(len(Y))
    assert not t._exploded(50 * uniform, len(Y))  # one name 50 times worse than guessing: not a stop
    for _ in range(EXPLODE_WINDOW - 1):
        assert not t._exploded(0.5 * uniform, len(Y))
    assert t.window_ratio() == pytest.approx((50 + 0.5 * (EXPLODE_WINDOW - 1)) / EXPLODE_WINDOW)
    stops = [t._exploded(3 * uniform, len(Y)) for _ in range(EXPLODE_WINDOW)]  # a stretch 3 times worse than guessing
    first = stops.index(True)
    assert not any(stops[:first]) and t.window_ratio() > EXPLODE_RATIO
    assert 0 < first < EXPLODE_WINDOW  # it takes a stretch: the stop comes once the average passes the ratio
    assert t._exploded(float("nan"), len(Y)) and t._exploded(float("inf"), len(Y))


def test_guard_stays_quiet_at_the_course_settings():
    t = DinoTrainer(bundled_names(), DinoConfig(n_a=50, iterations=3000))
    report = t.train_steps(3000)
    assert report.stop.kind is StopKind.FINISHED and t.explosions == 0


def test_lab_show_explosion_is_a_retune_caught_by_the_guard():
    lab = DinoLab()
    trainer = lab.configure("bundled", bundled_names(), DinoConfig(n_a=16))
    trainer.train_steps(50)
    stop = lab.show_explosion()
    assert lab.trainer is trainer and trainer.step >= 50  # the same model, not a restart
    assert trainer.config.clip_value is None and trainer.learning_rate == EXPLOSION["learning_rate"]
    assert stop.kind is StopKind.DIVERGED and not lab.running
    assert all(np.all(np.isfinite(p)) for p in trainer.parameters.values())
    same = lab.configure("bundled", bundled_names(), DinoConfig(n_a=16, clip_value=2.0, learning_rate=0.003))
    assert same is trainer and trainer.config.clip_value == 2.0 and trainer.learning_rate == 0.003


@pytest.mark.parametrize(
    "cfg,needle",
    [
        (DinoConfig(clip_value=0.0), "clip value"),
        (DinoConfig(clip_value=float("nan")), "clip value"),
        (DinoConfig(learning_rate=0.0), "learning rate"),
        (DinoConfig(learning_rate=float("inf")), "learning rate"),
    ],
)
def test_bad_settings_give_a_message(cfg, needle):
    assert needle in cfg.problem()
    t = DinoTrainer(NAMES, DinoConfig(n_a=4))
    t.config = cfg
    report = t.train_steps(5)
    assert report.stop.kind is StopKind.FAILED and needle in report.stop.message and t.step == 0


def test_trace_of_a_typed_name():
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    trace = t.trace_name("  Rex ")
    assert [t.ix_to_char[i] for i in trace.inputs[1:]] == list("rex") and trace.targets[-1] == t.char_to_ix["\n"]
    for bad, needle in (("", "Type a name"), ("rex9", "never seen")):
        with pytest.raises(ValueError, match=needle):
            t.trace_name(bad)


# ---------------------------------------------------------------------------------------------- formula view
def test_formula_terms_equal_a_manual_forward_pass_and_the_sampler():
    lab = DinoLab()
    t = lab.configure("bundled", bundled_names(), DinoConfig(n_a=12))
    t.train_steps(300)
    lab.sample(3, 1.0, 7)
    t.train_steps(50)  # training goes on: the formula uses the weights the names were drawn with
    P = lab.sampled_parameters
    for choice in range(3):
        inputs = lab.sampled_inputs(choice)
        _, records = lab.sampled[choice]
        a = np.zeros((12, 1))
        for step in range(len(inputs)):
            x = nr.one_hot(inputs[step], t.vocab_size)
            z = P["Wax"] @ x + P["Waa"] @ a + P["b"]
            f = nr.formula_step(P, inputs, step)
            np.testing.assert_allclose(f.a_prev, a)
            np.testing.assert_allclose(f.Wax_x + f.Waa_a + f.b, z)
            a = np.tanh(z)
            np.testing.assert_allclose(f.a, a)
            logits = P["Wya"] @ a + P["by"]
            np.testing.assert_allclose(f.logits, logits)
            np.testing.assert_allclose(f.y_hat, np.exp(logits) / np.exp(logits).sum())
            np.testing.assert_allclose(f.y_hat.ravel(), records[step].probs, rtol=1e-12)  # what the inspector shows
    with pytest.raises(ValueError):
        nr.formula_step(P, inputs, len(inputs))


# ---------------------------------------------------------------------------------------------- temperature
@pytest.mark.parametrize("T", [0.25, 0.5, 1.0, 1.7, 3.0])
def test_reweight_is_p_to_the_one_over_T_renormalised(T):
    p = np.random.default_rng(0).dirichlet(np.ones(9))
    rw = reweight(p, T)
    expected = p ** (1 / T) / np.sum(p ** (1 / T))
    np.testing.assert_allclose(rw.after, expected, rtol=1e-10)
    np.testing.assert_allclose(rw.before, p)
    assert rw.top(3) == list(np.argsort(-p)[:3])
    assert (rw.entropy_after < rw.entropy_before) == (T < 1) or T == 1
    before_rest, after_rest = rw.rest(3)
    assert before_rest == pytest.approx(1 - np.sort(p)[-3:].sum())
    assert after_rest == pytest.approx(1 - np.sort(expected)[-3:].sum())


def test_temperature_zero_is_one_hot_and_top_k_is_applied():
    p = np.array([0.1, 0.5, 0.3, 0.1])
    rw = reweight(p, 0.0)
    np.testing.assert_array_equal(rw.after, [0, 1, 0, 0])
    assert rw.entropy_after == 0
    np.testing.assert_allclose(reweight(p, 1.0, top_k=2).after, adjust_distribution(p, 1.0, 2))


def test_first_step_probs_is_what_generate_draws_first():
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    t.train_steps(30)
    m = t.token_model()
    for prime, first in (((), None), ((3, 4), None), ((2,), 5)):
        rec = generate(m, 1, rng=np.random.default_rng(0), prime=prime, first_input=first)
        np.testing.assert_allclose(first_step_probs(m, prime=prime, first_input=first), rec[0].probs)


# ---------------------------------------------------------------------------------------------- explanations' numbers
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_param_formula_matches_count_params(cell, layers):
    cfg = RNNConfig(cell=cell, hidden=48, layers=layers, embed_dim=16)
    assert param_formula.total(61, cell, 48, layers, 16) == count_params(61, cfg)


def test_smoothed_loss_starts_at_7_ln_V_and_rises_first():
    """The Dinosaur page says so (assets/explain/dino_smooth_loss.md); the bundled list's names are longer than 7."""
    from ui.explain import dino_values

    names = bundled_names()
    t = DinoTrainer(names, DinoConfig())
    v = dino_values(names, t.vocab_size)
    assert t.smooth_loss == pytest.approx(7 * np.log(27)) and v["start"] == pytest.approx(t.smooth_loss)
    assert v["uniform"] > v["start"] and "more than" in v["trend"]
    t.train_steps(600)
    smooth = t.history.train.values["smooth"]
    assert smooth[599] > smooth[0] + 2


def test_the_weights_put_back_are_ones_whose_loss_was_sane():
    """At learning rate 10 the first update already ruins the weights; the guard must not fall back to those."""
    from dataclasses import replace

    t = DinoTrainer(bundled_names(), DinoConfig(n_a=8, learning_rate=10.0))
    for _ in range(5):
        report = t.train_steps(25)
        if report.stop is not None:
            break
    assert report.stop.kind is StopKind.DIVERGED
    t.config = replace(t.config, learning_rate=0.01)
    t.learning_rate = 0.01
    X, Y = t.example(t.step)
    loss, _ = nr.rnn_forward(X, Y, t.a_prev, t.parameters)
    assert loss < SANE_RATIO * t.uniform_loss(len(Y))
    assert t.train_steps(200).stop is None


def test_gradient_log_keeps_one_point_per_call_with_the_explosion_marked():
    t = DinoTrainer(bundled_names(), DinoConfig(n_a=16))
    for _ in range(4):
        t.train_steps(10)
    assert [row[0] for row in t.grad_log] == [10, 20, 30, 40]
    it, before, after, clipped, exploded = t.grad_log[-1]
    tr = t.last_trace
    assert before == pytest.approx(np.sqrt(sum(v**2 for v in tr.grad_norm.values())))
    assert after == pytest.approx(np.sqrt(sum(v**2 for v in tr.clipped_norm.values()))) and after <= before + 1e-12
    assert clipped == tr.total_clipped and not exploded
    t.learning_rate, t.config = 1.0, DinoConfig(n_a=16, learning_rate=1.0, clip_value=None)
    for _ in range(5):
        if t.train_steps(50).stop is not None:
            break
    assert t.grad_log[-1][4] and t.grad_log[-1][0] == t.last_trace_at
