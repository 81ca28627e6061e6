"""core.models.course_model: the course's jazz model. Parameter count against the formula (45,530), the capped
vocabulary, training in bounded steps, the numpy TokenModel against the Keras models (1e-5), deterministic
argmax generation, the course's optimizer schedule."""

import numpy as np
import pytest

from core.models import course_model as cm
from core.models.sampling import generate
from core.models.trainer import StopKind, TrainReport
from core.music import music_codec as mc
from core.music import music_data as md

SMALL = cm.CourseConfig(n_a=8, Tx=6, batch_size=4, seed=1)
NV = 12


def cyclic_batches(rng, batch, seq_len):
    """Windows of the sequence 0, 1, ..., NV-1, 0, 1, ... (easy to learn: the next value is always +1)."""
    starts = rng.integers(0, NV, size=batch)
    x = (starts[:, None] + np.arange(seq_len)[None, :]) % NV
    return x.astype(np.int32), ((x + 1) % NV).astype(np.int32)


def val_batches():
    x = (np.arange(2)[:, None] * 5 + np.arange(SMALL.Tx)[None, :]) % NV
    return [(x.astype(np.int32), ((x + 1) % NV).astype(np.int32))]


@pytest.fixture(scope="module")
def trained():
    t = cm.CourseTrainer(NV, SMALL, cyclic_batches, val_batches)
    first = t.evaluate()
    report = t.train_steps(60)
    return t, first, report


# ---------------------------------------------------------------------------------------------- the course's numbers
def test_param_count_matches_the_formula_and_the_course():
    assert cm.course_param_count(64, 90) == 45_530
    assert cm.course_param_count(64, 90) == 4 * (64 * (90 + 64) + 64) + 64 * 90 + 90
    t = cm.CourseTrainer(cm.N_VALUES, cm.CourseConfig(), cyclic_batches)  # n_a = 64, Tx = 30, 90 values
    assert t.param_count() == t.model.count_params() == 45_530
    assert t.layer_sizes() == dict(n_values=90, n_a=64, Tx=30)
    # one shared LSTM cell and one shared Dense layer: the weights don't grow with Tx
    names = [l.name for l in t.model.layers if l.count_params()]
    assert names == ["LSTM_cell", "densor"]
    assert t.layers.LSTM_cell.count_params() == 39_680 and t.layers.densor.count_params() == 5_850
    assert not any(type(l).__name__ == "Lambda" for l in t.model.layers)


@pytest.mark.parametrize("n_a, n_values", [(8, 12), (3, 5), (16, 40)])
def test_formula_matches_keras_for_other_sizes(n_a, n_values):
    layers = cm.course_layers(n_values, n_a)
    model = cm.djmodel(4, layers)
    assert model.count_params() == cm.course_param_count(n_a, n_values)
    assert len(model.outputs) == 4 and tuple(model.outputs[0].shape) == (None, n_values)


def test_optimizer_is_the_courses_adam_with_decay(trained):
    t, _, _ = trained
    opt = t.optimizer
    assert float(opt.beta_1) == 0.9 and float(opt.beta_2) == 0.999
    assert float(opt.learning_rate) == pytest.approx(0.01 / (1 + 0.01 * t.step), rel=1e-6)  # Keras 2's decay=0.01
    assert t.learning_rate() == pytest.approx(float(opt.learning_rate), rel=1e-6)
    assert cm.CourseConfig().learning_rate_at(0) == 0.01 and cm.CourseConfig().learning_rate_at(100) == pytest.approx(
        0.005
    )


# ---------------------------------------------------------------------------------------------- training
def test_training_in_bounded_steps_learns(trained):
    t, first_val, report = trained
    assert t.step == 60 and len(report.losses) == 60 and report.stop is None
    assert report.losses[0] == pytest.approx(np.log(NV), abs=0.3)  # untrained: about uniform
    assert np.mean(report.losses[-5:]) < report.losses[0] - 1.0
    assert t.history.train.steps[-1] == 60 and t.history.train.last("loss") == report.losses[-1]
    assert len(t.history) == 60 and t.history.last_smooth() is not None
    val = t.evaluate()
    assert val < first_val - 1.0 and t.history.last_val() == val and len(t.history.val) == 2
    assert t.train_steps(0).losses == [] and t.step == 60


def test_nan_loss_restores_the_last_good_weights():
    t = cm.CourseTrainer(NV, SMALL, cyclic_batches)
    t.train_steps(2)
    good = [w.copy() for w in t.layers.densor.get_weights()]
    k = t.layers.densor.kernel
    k.assign(np.full(k.shape, np.nan, np.float32))
    report = t.train_steps(3)
    assert report.stop is not None and report.stop.kind == StopKind.DIVERGED and "NaN" in report.stop.message
    assert report.losses == []
    assert t.step == 2
    for a, b in zip(t.layers.densor.get_weights(), good):
        np.testing.assert_array_equal(a, b)


def test_the_shared_trainer_interface():
    """core.models.trainer's surface: TrainReport, History, done, vocab_size, token_model, param_count."""
    t = cm.CourseTrainer(NV, SMALL, cyclic_batches, val_batches)
    report = t.train_steps(3)
    assert isinstance(report, TrainReport) and len(report.losses) == 3 and report.stop is None
    assert t.done is False and t.vocab_size == NV and t.step == 3
    assert t.param_count() == cm.course_param_count(SMALL.n_a, NV)
    p, _ = t.token_model().next_token_probs(t.token_model().initial_state(), None)
    assert p.shape == (NV,)


def test_hibernate_frees_keras_and_wakes_with_the_same_weights():
    t = cm.CourseTrainer(NV, SMALL, cyclic_batches, val_batches)
    t.train_steps(5)
    before = [w.copy() for w in t.model.get_weights()]
    probs = t.token_model().next_token_probs(t.token_model().initial_state(), 2)[0]
    kept = t.hibernate()
    assert t.asleep and t._model is None and t._layers is None and t._optimizer is None
    assert kept >= 4 * cm.course_param_count(SMALL.n_a, NV)  # float32 weights, plus Adam's moments
    assert t.param_count() == cm.course_param_count(SMALL.n_a, NV) and t.asleep  # counted without waking
    assert t.hibernate() == kept  # twice is harmless
    np.testing.assert_allclose(
        t.token_model().next_token_probs(t.token_model().initial_state(), 2)[0], probs, atol=1e-6
    )
    assert not t.asleep
    for a, b in zip(t.model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert int(np.asarray(t.optimizer.iterations)) == 5  # Adam's state (and the decayed rate) came back too
    assert float(t.optimizer.learning_rate) == pytest.approx(0.01 / 1.05, rel=1e-6)
    t.hibernate()
    assert len(t.train_steps(2).losses) == 2 and t.step == 7  # training wakes it


def test_batch_and_tx_change_mid_run_keep_the_weights():
    t = cm.CourseTrainer(NV, SMALL, cyclic_batches, val_batches)
    t.train_steps(2)
    before = [w.copy() for w in t.model.get_weights()]
    t.set_training_params(batch_size=2, Tx=4)
    assert t.config.batch_size == 2 and t.config.Tx == 4 and t.layer_sizes()["Tx"] == 4
    assert len(t.model.outputs) == 4
    for a, b in zip(t.model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert len(t.train_steps(2).losses) == 2 and t.step == 4
    assert t.evaluate() is None  # the fixed validation windows have the old length
    with pytest.raises(ValueError):
        t.set_training_params(Tx=0)


def test_evaluate_without_validation_data():
    assert cm.CourseTrainer(NV, SMALL, cyclic_batches).evaluate() is None
    assert cm.CourseTrainer(NV, SMALL, cyclic_batches, lambda: []).evaluate() is None


@pytest.mark.parametrize(
    "bad", [dict(n_a=0), dict(Tx=0), dict(batch_size=0), dict(learning_rate=0), dict(decay=-1), dict(beta_1=1.0)]
)
def test_bad_config_is_refused(bad):
    from dataclasses import replace

    with pytest.raises(ValueError):
        replace(SMALL, **bad).validate()


# ---------------------------------------------------------------------------------------------- numpy vs Keras
def test_numpy_model_matches_the_training_model(trained):
    t, _, _ = trained
    x, _ = cyclic_batches(np.random.default_rng(5), 1, SMALL.Tx)
    x[0, 2] = 7  # off the cycle too
    outs = t.model(
        [np.eye(NV, dtype=np.float32)[x], np.zeros((1, SMALL.n_a), np.float32), np.zeros((1, SMALL.n_a), np.float32)]
    )
    keras_p = np.stack([np.asarray(o)[0] for o in outs])  # (Tx, NV)
    nm = t.numpy_model()
    state = nm.initial_state()
    for step in range(SMALL.Tx):
        p, state = nm.next_token_probs(state, int(x[0, step]))
        np.testing.assert_allclose(p, keras_p[step], atol=1e-5)
        assert p.sum() == pytest.approx(1.0)


def test_numpy_model_matches_the_inference_model_and_argmax_is_deterministic(trained):
    t, _, _ = trained
    Ty = 10
    model = t.inference_model(Ty)
    outs = model(
        [np.zeros((1, 1, NV), np.float32), np.zeros((1, SMALL.n_a), np.float32), np.zeros((1, SMALL.n_a), np.float32)]
    )
    keras_p = [np.asarray(o)[0] for o in outs]
    keras_ids = t.generate_argmax(Ty)
    assert keras_ids == [int(np.argmax(p)) for p in keras_p]
    assert t.generate_argmax(Ty) == keras_ids  # deterministic
    # the numpy model, fed its own argmax from a zero x0: the same distributions and the same values
    nm = t.numpy_model()
    state, token, ids = nm.initial_state(), None, []
    for p_keras in keras_p:
        p, state = nm.next_token_probs(state, token)
        np.testing.assert_allclose(p, p_keras, atol=1e-5)
        token = int(np.argmax(p))
        ids.append(token)
    assert ids == keras_ids
    # the app's sampler at temperature 0 is the same argmax generation, and so is any seed
    for seed in (0, 1):
        recs = generate(nm, Ty, temperature=0.0, rng=np.random.default_rng(seed))
        assert [r.picked for r in recs] == keras_ids
    # it learnt the cycle within the window length it was trained on: each value is the previous + 1
    assert all((b - a) % NV == 1 for a, b in zip(ids[: SMALL.Tx], ids[1 : SMALL.Tx])), ids
    # and with a temperature it samples (seeded)
    a = [r.picked for r in generate(nm, 30, temperature=1.5, rng=np.random.default_rng(3))]
    b = [r.picked for r in generate(nm, 30, temperature=1.5, rng=np.random.default_rng(3))]
    assert a == b


def test_token_model_is_a_snapshot():
    t = cm.CourseTrainer(NV, SMALL, cyclic_batches)
    nm = t.token_model()
    before = nm.next_token_probs(nm.initial_state(), 3)[0]
    b = t.layers.densor.bias
    b.assign(np.arange(NV, dtype=np.float32))  # the trainer's weights change afterwards
    np.testing.assert_array_equal(nm.next_token_probs(nm.initial_state(), 3)[0], before)
    assert not np.allclose(t.token_model().next_token_probs(nm.initial_state(), 3)[0], before)
    assert nm.vocab_size == NV and nm.n_a == SMALL.n_a


# ---------------------------------------------------------------------------------------------- vocabulary
def test_cap_vocabulary_known_counts():
    pieces = [["a", "a", "a", "b", "b", "c", "d"], ["a", "b", "e", "c"]]
    pieces = [[f"N{60 + ord(v) - ord('a')}_d4" for v in p] for p in pieces]  # a..e -> N60..N64
    itos, mapping = cm.cap_vocabulary(pieces, n=3)
    assert itos == ["N60_d4", "N61_d4", "N62_d4"]  # counts 4, 3, 2: the third is the stand-in
    assert mapping == {"N60_d4": 0, "N61_d4": 1, "N62_d4": 2, "N63_d4": 2, "N64_d4": 2}
    msg = cm.describe_cap(pieces, itos, mapping)
    assert "index 2 stands for the other 3 values" in msg and "D4q" in msg and "36%" in msg  # 4 of 11 values
    assert "N62_d4" not in msg  # values are written one way on screen: D4q (core.music.motif), not the token
    itos, mapping = cm.cap_vocabulary(pieces, n=10)  # fewer values than the cap: nothing folded
    assert len(itos) == 5 and sorted(mapping.values()) == [0, 1, 2, 3, 4]
    assert "nothing is folded" in cm.describe_cap(pieces, itos, mapping)
    with pytest.raises(ValueError):
        cm.cap_vocabulary([[]])


def test_cap_on_a_bundled_corpus_and_capped_batches():
    pieces, _ = md.load_bundled("bach_chorales", mc.CodecOptions(max_chord=1))
    corpus = md.MusicCorpus(pieces)
    itos, mapping = cm.cap_vocabulary(p.values for p in corpus.pieces)
    assert len(itos) == 90 and itos == list(corpus.vocab.itos[:90])  # the same order as the full vocabulary
    assert set(mapping) == set(corpus.vocab.itos) and max(mapping.values()) == 89
    lookup = cm.id_lookup(corpus.vocab.itos, mapping)
    assert (
        lookup.shape == (len(corpus.vocab),)
        and lookup[:89].tolist() == list(range(89))
        and set(lookup[89:].tolist()) == {89}
    )
    sample = cm.capped_sampler(corpus.sample_batch, lookup)
    x, y = sample(np.random.default_rng(0), 8, 30)
    x_full, y_full = corpus.sample_batch(np.random.default_rng(0), 8, 30)
    assert (
        x.shape == (8, 30) and x.max() <= 89 and np.array_equal(x, lookup[x_full]) and np.array_equal(y, lookup[y_full])
    )
    val = cm.capped_val_batches(lambda: corpus.val_batches(16, 30), lookup)()
    assert val and all(v[0].max() <= 89 for v in val)
    for i in x[0]:
        v = itos[i]
        mc.parse_value(v)  # every index, the stand-in too, plays as a real value


# ---------------------------------------------------------------------------------------------- the unrolled graph
def _texts(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.text] + [fig.layout.title.text]


def test_unrolled_graph_shows_the_live_sizes():
    from core.charts import unrolled_graph_figure

    t = cm.CourseTrainer(cm.N_VALUES, cm.CourseConfig(), cyclic_batches)
    s = t.layer_sizes()
    fig = unrolled_graph_figure(s["n_a"], s["n_values"], 4, Tx=s["Tx"])
    texts = _texts(fig)
    joined = " ".join(texts)
    assert (
        sum("LSTM</b> W_lstm" in x for x in texts) == 4 and sum("Dense</b> W_y" in x for x in texts) == 4
    )  # one per step, same names
    assert sum("n_a = 64" in x for x in texts) == 4 and sum("one-hot (90)" in x for x in texts) == 4
    assert "45,530" in fig.layout.title.text and "39,680" in joined and "5,850" in joined and "up to t = 30" in joined
    assert f"{t.param_count():,}" in fig.layout.title.text
    assert len([sh for sh in fig.layout.shapes if sh.type == "rect"]) == 4 * 4  # x, cell, Dense, ŷ per step
    assert "argmax" not in joined

    small = unrolled_graph_figure(8, 12, 3, mode="inference")
    texts = _texts(small)
    assert (
        sum("n_a = 8" in x for x in texts) == 3 and "780 parameters" in small.layout.title.text
    )  # 4*(8*20+8) + 8*12+12
    assert cm.course_param_count(8, 12) == 780
    assert sum("argmax" in x for x in texts) == 2 and any("x⟨1⟩ = 0" in x for x in texts)


@pytest.mark.parametrize("bad", [dict(n_a=0), dict(n_values=0), dict(Tx_shown=0), dict(mode="other")])
def test_unrolled_graph_refuses_bad_sizes(bad):
    from core.charts import unrolled_graph_figure

    kw = dict(n_a=4, n_values=5, Tx_shown=2) | bad
    with pytest.raises(ValueError):
        unrolled_graph_figure(**kw)
