"""SequenceTrainer + NumpyRNN: fast path vs Keras, training, NaN roll-back, save/load, sampling behaviour (tiny
models)."""

import subprocess
import sys

import numpy as np
import pytest

from core.files.model_zip import export_model_zip, import_model_zip
from core.models.keras_model import CELLS, ModelFormatError, RNNConfig, build_model, config_from_model, count_params
from core.models.keras_trainer import SequenceTrainer
from core.models.numpy_cells import NumpyRNN
from core.models.sampling import generate
from core.models.trainer import StopKind
from tests.support import ROOT
from tests.support.inputs import text_corpus

CORPUS = text_corpus()
V = CORPUS.vocab_size


def tiny(cell="lstm", layers=1, **kw) -> RNNConfig:
    base = dict(cell=cell, hidden=16, layers=layers, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, seed=1)
    base.update(kw)
    return RNNConfig(**base)


def trainer(cfg: RNNConfig) -> SequenceTrainer:
    val = CORPUS.val_batches(2, 4, 16)
    return SequenceTrainer(V, cfg, CORPUS.sample_batch, lambda: val)


def numpy_probs_after(model: NumpyRNN, tokens) -> np.ndarray:
    state = model.initial_state()
    for t in tokens:
        p, state = model.next_token_probs(state, int(t))
    return p


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_param_count_without_building_matches_keras(cell, layers):
    cfg = tiny(cell, layers)
    assert count_params(V, cfg) == build_model(V, cfg).count_params()


@pytest.mark.parametrize("cell", CELLS)
def test_fast_path_matches_keras_two_layers(cell):
    t = trainer(tiny(cell, layers=2, dropout=0.1))
    t.train_steps(3)  # move the weights away from their initial values (biases too)
    model = t.token_model()
    tokens = CORPUS.encode("ROMEO:\nthe king speaks")
    for n in (1, 5, len(tokens)):
        p_np = numpy_probs_after(model, tokens[:n])
        p_k = t.keras_next_token_probs(list(tokens[:n]))
        assert p_np.shape == (V,) and abs(p_np.sum() - 1) < 1e-9
        assert np.max(np.abs(p_np - p_k)) <= 1e-5
    # None = "no input yet": a valid distribution from a zero embedding
    p0, state = model.next_token_probs(model.initial_state(), None)
    assert p0.shape == (V,) and np.all(p0 > 0) and abs(p0.sum() - 1) < 1e-9
    assert len(state) == 2


def test_train_steps_exact_history_determinism_and_evaluate():
    cfg = tiny("gru")
    a, b = trainer(cfg), trainer(cfg)
    ra = a.train_steps(4)
    assert a.step == 4 and len(ra.losses) == 4 and ra.stop is None
    assert a.tokens_seen == 4 * cfg.batch_size * cfg.seq_len and a.elapsed_s > 0
    assert a.history.train.steps == [1, 2, 3, 4]
    assert np.allclose(ra.losses, b.train_steps(4).losses)  # same seed, same batches and weights
    v = a.evaluate()
    assert v is not None and np.isfinite(v) and a.history.val.steps == [4]
    assert a.param_count() == count_params(V, cfg)


def test_loss_falls_on_a_repetitive_text():
    t = trainer(tiny("lstm", hidden=32, learning_rate=2e-2))
    first = t.evaluate()
    t.train_steps(60)
    assert t.evaluate() < first - 0.5


def test_training_params_change_mid_run():
    t = trainer(tiny())
    t.train_steps(1)
    t.set_training_params(learning_rate=1e-3, batch_size=2, seq_len=8)
    assert t.config.batch_size == 2 and abs(float(np.asarray(t.optimizer.learning_rate)) - t.lr_now()) < 1e-9
    t.set_training_params(lr_schedule="constant")  # a retune: same weights, the rate is the one set
    assert abs(float(np.asarray(t.optimizer.learning_rate)) - 1e-3) < 1e-9 and t.events[-1] == (1, "schedule: constant")
    t.train_steps(1)
    assert t.tokens_seen == 4 * 16 + 2 * 8


def test_nan_loss_stops_and_restores_last_good_weights():
    t = trainer(tiny("simplernn"))
    t.train_steps(3)
    good = [w.copy() for w in t.model.get_weights()]
    kernel = t.model.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))  # a blow-up between calls
    report = t.train_steps(5)
    assert (
        report.stop.kind is StopKind.DIVERGED
        and "NaN" in report.stop.message
        and "learning rate" in report.stop.message
    )
    assert report.losses == []
    for w, g in zip(t.model.get_weights(), good):
        assert np.array_equal(w, g)
    assert t.step == 3
    assert t.train_steps(2).stop is None and t.step == 5  # training can continue


def test_roll_back_points_come_at_most_every_point_every_s_of_training_and_where_asked():
    """With ``point_every_s`` set, a call that ends sooner keeps no roll-back point: a NaN goes back further, to the
    last point kept, and says which step that was; ``keep_point()`` keeps one at once."""
    t = trainer(tiny("simplernn"))

    def weights() -> list:
        return [w.copy() for w in t.model.get_weights()]

    def nan_step():
        kernel = t.model.layers[-1].kernel
        kernel.assign(np.full(kernel.shape, np.nan, np.float32))
        return t.train_steps(1).stop

    t.train_steps(2)  # a point at step 2 (the first call after the constructor's point keeps one: 0 s is enough)
    t.point_every_s = 1e9
    at_2 = weights()
    t.train_steps(3)  # steps 3 to 5: no point kept
    stop = nan_step()
    assert stop.kind is StopKind.DIVERGED and "(step 2)" in stop.message, stop.message
    assert t.step == 2 and all(np.array_equal(w, k) for w, k in zip(t.model.get_weights(), at_2))
    t.train_steps(3)
    t.keep_point()  # asked for (where a Step ended): a point at step 5
    at_5 = weights()
    stop = nan_step()
    assert stop.kind is StopKind.DIVERGED and "(step 5)" in stop.message, stop.message
    assert t.step == 5 and all(np.array_equal(w, k) for w, k in zip(t.model.get_weights(), at_5))
    t.point_every_s = 0.0
    t.train_steps(1)
    assert t._good.step == 6  # every call keeps one again


def test_exploding_loss_stops_and_restores_the_best_weights():
    """A finite loss that shoots up (as GRU at a high learning rate did after a few thousand steps) stops
    training with a message and restores the weights where the running loss was lowest."""
    from core.models import keras_trainer

    t = trainer(tiny("gru"))
    t.group_steps = 1  # one call of _train_fn per step, so that the test scripts each step's loss
    t.train_steps(1)  # builds the step function
    real_step = t._train_fn
    scripted = iter([1.0] * 60 + [1.2, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5])  # a plateau, then an explosion

    def fake_step(x, y, *rate):
        real_step(x, y, *rate)  # the weights really change every step
        return next(scripted)

    t._train_fn = fake_step
    for _ in range(6):
        assert t.train_steps(10).stop is None  # 60 steps at 1.0: nothing to report
    best = [w.copy() for w in t.model.get_weights()]
    assert t.step == 61 and t._best is not None and t._best[1] == 61
    report = t.train_steps(7)
    assert (
        report.stop.kind is StopKind.DIVERGED
        and "exploded" in report.stop.message
        and "learning rate" in report.stop.message
    )
    assert "step 61" in report.stop.message
    assert t.step == 61  # rolled back to the best point
    for w, b in zip(t.model.get_weights(), best):
        assert np.array_equal(w, b)
    assert (
        report.losses[-1] - t._best[3] > keras_trainer.EXPLODE_NATS
    )  # the last reported loss is the one that gave it away
    t._train_fn = real_step
    assert t.train_steps(2).stop is None and t.step == 63  # training can continue (at a lower rate, say)


def test_noisy_tiny_batches_do_not_count_as_exploding():
    t = trainer(tiny("lstm", batch_size=4, seq_len=16))  # 64 characters per step: noisy losses
    for _ in range(20):
        r = t.train_steps(10)
        assert r.stop is None, r.stop
    assert t.step == 200


def test_huge_learning_rate_never_leaves_nan_weights():
    t = trainer(tiny("simplernn", learning_rate=1e8))
    for _ in range(5):
        r = t.train_steps(5)
        if r.stop:
            break
    assert all(np.all(np.isfinite(w)) for w in t.model.get_weights())


def test_temperature_zero_is_argmax_and_top_k_stays_in_top_k():
    t = trainer(tiny("lstm"))
    t.train_steps(5)
    model = t.token_model()
    prime = CORPUS.encode("ROMEO:\n")
    recs = generate(
        model, 200, temperature=0.0, rng=np.random.default_rng(0), prime=prime[1:], first_input=int(prime[0])
    )
    assert all(r.picked == int(np.argmax(r.probs)) for r in recs)
    for k in (1, 3):
        recs = generate(
            model,
            300,
            temperature=1.5,
            top_k=k,
            rng=np.random.default_rng(k),
            prime=prime[1:],
            first_input=int(prime[0]),
        )
        for r in recs:
            assert r.picked in np.argsort(-r.probs, kind="stable")[:k]
            assert np.count_nonzero(r.adjusted) <= k
    # top-k larger than the vocabulary is just "off"
    recs = generate(model, 50, temperature=1.0, top_k=10_000, rng=np.random.default_rng(0))
    assert len(recs) == 50 and np.allclose(recs[0].adjusted, recs[0].probs)


def test_save_load_round_trip(tmp_path):
    t = trainer(tiny("gru", layers=2, dropout=0.2))
    t.train_steps(3)
    path = tmp_path / "m.keras"
    t.save(path)
    back = SequenceTrainer.load(path, CORPUS.sample_batch, config_override={"seq_len": 16, "batch_size": 4, "seed": 1})
    assert back.config == t.config
    assert back.step == 3
    tokens = list(CORPUS.encode("JULIET:\nwe go"))
    assert np.max(np.abs(back.keras_next_token_probs(tokens) - t.keras_next_token_probs(tokens))) < 1e-7
    assert (
        np.max(np.abs(numpy_probs_after(back.token_model(), tokens) - numpy_probs_after(t.token_model(), tokens)))
        < 1e-7
    )
    # continuing training: same next step as the original (Adam state was saved too)
    t.train_steps(1)
    lb = back.train_steps(1).losses
    assert back.step == 4 and np.isfinite(lb[0])


def test_model_zip_round_trip():
    t = trainer(tiny("lstm"))
    t.train_steps(2)
    data = export_model_zip(t, CORPUS.chars, {"step": t.step})
    back, chars, meta = import_model_zip(data)
    assert chars == CORPUS.chars and meta == {"step": 2}
    tokens = list(CORPUS.encode("NURSE:\n"))
    assert np.allclose(back.keras_next_token_probs(tokens), t.keras_next_token_probs(tokens), atol=1e-7)


def test_lambda_layers_and_foreign_models_are_refused(tmp_path):
    import keras

    lam = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(V, 4),
            keras.layers.Lambda(lambda x: x * 2),
            keras.layers.Dense(V),
        ]
    )
    lam.save(tmp_path / "lam.keras")
    with pytest.raises(Exception):
        SequenceTrainer.load(tmp_path / "lam.keras", CORPUS.sample_batch)
    dense_only = keras.Sequential(
        [keras.Input(shape=(None,), dtype="int32"), keras.layers.Embedding(V, 4), keras.layers.Dense(V)]
    )
    with pytest.raises(ModelFormatError, match="recurrent layers"):
        config_from_model(dense_only)


def test_importing_core_modules_does_not_import_tensorflow():
    probe = (
        "import sys; import core.models.keras_model, core.models.keras_trainer, core.models.numpy_cells, "
        "core.text.text_data, core.models.sampling, core.charts, core.labs.lab, core.labs.text_lab, "
        "core.labs.music_lab, core.labs.dino_lab; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (
        out.stdout.strip().splitlines()[-1] == "False False"
    )  # (pyfluidsynth may say where it found its library first)


def test_hibernate_frees_the_keras_objects_and_wakes_with_the_same_weights():
    t = trainer(tiny("gru"))
    t.train_steps(3)
    tokens = list(CORPUS.encode("ROMEO:"))
    before = numpy_probs_after(t.token_model(), tokens)
    variables = sum(v.numpy().nbytes for v in t.model.variables)  # the weights (and any non-trainable state)
    kept = t.hibernate()
    assert t.asleep and t._model is None and t._train_fn is None and t._good is None
    assert kept == variables  # only the weights are kept: no optimizer state, no roll-back copies
    assert t.hibernate() == kept  # idempotent
    assert np.max(np.abs(numpy_probs_after(t.token_model(), tokens) - before)) < 1e-7  # woken with the same weights
    assert not t.asleep
    assert t.train_steps(2).stop is None and t.step == 5  # and it trains on


def test_each_step_trains_at_the_schedules_rate_given_inside_the_traced_step():
    t = trainer(tiny("lstm", lr_schedule="decay"))
    t.group_steps = 1  # one call of _train_fn per step (the grouped calls: the next test)
    t.train_steps(1)  # builds the step function
    seen = []
    real_step = t._train_fn

    def watch(x, y, rate):
        seen.append((t.step, float(rate)))
        out = real_step(x, y, rate)
        assert float(t.optimizer.learning_rate.numpy()) == pytest.approx(float(rate))  # what Adam used
        return out

    t._train_fn = watch
    t.train_steps(12)
    assert [s for s, _ in seen] == list(range(1, 13))
    assert [r for _, r in seen] == pytest.approx(
        [t.config.learning_rate * t.schedule.factor(s) for s in range(1, 13)], rel=1e-6
    )
    assert seen[0][1] < seen[-1][1]  # the warm-up raises the rate step by step


def test_grouped_steps_train_at_each_steps_rate_and_match_one_call_per_step():
    """Steps in groups (one traced call for up to GROUP_STEPS of them) give each step its schedule's rate, and the
    same losses and weights as one call per step."""
    from core.models.keras_trainer import GROUP_STEPS

    grouped, single = trainer(tiny("lstm", lr_schedule="decay")), trainer(tiny("lstm", lr_schedule="decay"))
    single.group_steps = 1
    assert grouped.group_steps == GROUP_STEPS > 1
    grouped.train_steps(1)  # builds the step functions
    single.train_steps(1)
    calls = []
    real_group = grouped._group_fn

    def watch(xs, ys, rates):
        calls.append((grouped.step, [float(r) for r in rates.tolist()]))
        return real_group(xs, ys, rates)

    grouped._group_fn = watch
    a, b = grouped.train_steps(12), single.train_steps(12)
    assert [len(r) for _, r in calls] == [8, 4] and [s for s, _ in calls] == [1, 9]  # two calls for 12 steps
    rates = [r for _, group in calls for r in group]
    assert rates == pytest.approx([grouped.config.learning_rate * grouped.schedule.factor(s) for s in range(1, 13)])
    assert float(grouped.optimizer.learning_rate.numpy()) == pytest.approx(rates[-1])  # the last step's rate
    assert grouped.step == single.step == 13 and grouped.tokens_seen == single.tokens_seen
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-5)
    for w, v in zip(grouped.model.get_weights(), single.model.get_weights()):
        np.testing.assert_allclose(w, v, rtol=1e-4, atol=1e-6)
