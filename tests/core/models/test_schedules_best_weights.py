"""learning-rate schedules, the best validation weights (kept, restored, stop-at-best), next-token
accuracy, spread validation and its noise (tiny models; validation losses scripted where a test needs a shape)."""

import numpy as np
import pytest

from core import units
from core.labs.text_lab import TextLab, bundled_corpus, new_trainer
from core.models import lr_schedule as lrs
from core.models.keras_model import RNNConfig
from core.models.keras_trainer import SequenceTrainer
from core.models.trainer import MEMORISE_EVALS, MEMORISE_NATS, BestKeeper, StopKind, token_stats
from tests.support.inputs import text_corpus

CORPUS = text_corpus()
V = CORPUS.vocab_size


def tiny(**kw) -> RNNConfig:
    base = dict(cell="lstm", hidden=16, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, seed=1)
    base.update(kw)
    return RNNConfig(**base)


def trainer(cfg: RNNConfig, n_batches: int = 2) -> SequenceTrainer:
    val = CORPUS.val_batches(n_batches, 4, 16)
    return SequenceTrainer(V, cfg, CORPUS.sample_batch, lambda: val)


class ScriptedValidation:
    """Stands in for a trainer's eval_fn: every batch reports the loss ``self.val`` per token (accuracy 0.25)."""

    def __init__(self, t: SequenceTrainer):
        t.evaluate()  # builds the real functions
        self.val = 3.0
        t._eval_fn = lambda x, y: np.array([self.val * np.size(y), 0.25 * np.size(y)])

    def at(self, t: SequenceTrainer, val: float) -> float:
        self.val = val
        return t.evaluate()


def weights(t):
    return [w.copy() for w in t.model.get_weights()]


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------------------------------------- the schedule
def test_decay_warms_up_then_halves_every_half_life_down_to_the_floor():
    s = lrs.LRSchedule(lrs.DECAY, warmup=10, half_life=100, floor=0.1)
    assert (
        s.factor(0) == pytest.approx(0.1) and s.factor(5) == pytest.approx(0.55) and s.factor(10) == pytest.approx(1.0)
    )
    assert s.factor(110) == pytest.approx(0.5) and s.factor(210) == pytest.approx(0.25)
    assert s.factor(10_000) == pytest.approx(0.1)  # the floor
    factors = [s.factor(k) for k in range(10, 2000)]
    assert all(a >= b for a, b in zip(factors, factors[1:]))  # never rises after the warm-up
    # milestones: the warm-up's end, then each halving; they stop moving at the floor
    assert [s.milestone(k) for k in (0, 9, 10, 109, 110, 210)] == [0, 0, 1, 1, 2, 3]
    assert s.milestone(10_000) == s.milestone(20_000)


def test_constant_and_plateau_factors():
    assert lrs.LRSchedule(lrs.CONSTANT).factor(12345) == 1.0
    p = lrs.LRSchedule(lrs.PLATEAU, floor=0.2)
    assert [p.factor(0, h) for h in range(4)] == [1.0, 0.5, 0.25, 0.2]
    with pytest.raises(ValueError):
        lrs.schedule_for("cosine")
    with pytest.raises(ValueError):
        tiny(lr_schedule="cosine").validate()


def test_each_cell_gets_its_measured_decay_and_every_schedule_is_described():
    gru, lstm = lrs.schedule_for(lrs.DECAY, "gru"), lrs.schedule_for(lrs.DECAY, "lstm")
    assert gru == lrs.CELL_DECAY["gru"] and lstm == lrs.CELL_DECAY["lstm"] and gru.half_life != lstm.half_life
    assert f"{gru.half_life:,} steps" in lrs.describe(lrs.DECAY, "gru") and f"{lstm.half_life:,} steps" in lrs.describe(
        lrs.DECAY, "lstm"
    )
    for kind in lrs.SCHEDULES:
        assert lrs.describe(kind, "lstm")


def test_trainer_follows_the_schedule_and_marks_its_changes():
    t = trainer(tiny(learning_rate=0.02))
    s = lrs.LRSchedule(lrs.DECAY, warmup=4, half_life=5, floor=0.25)
    t.schedule_shape = s
    t._milestone = s.milestone(0)
    seen = []
    for _ in range(16):
        t.train_steps(1)
        seen.append(float(np.asarray(t.optimizer.learning_rate)))  # the rate of the step just done
    expected = [0.02 * s.factor(k) for k in range(16)]
    assert np.allclose(seen, expected, rtol=1e-6)
    assert t.lr_now() == pytest.approx(0.02 * s.factor(16))
    marked = [step for step, text in t.events if text.startswith("lr ")]
    assert marked == [4, 9, 14]  # the warm-up's end, then two halvings (then the floor)


def test_changing_the_schedule_is_a_retune_not_a_restart():
    lab = TextLab()
    t = lab.configure_text("c", "corpus", CORPUS, tiny())
    t.train_steps(3)
    before = weights(t)
    t2 = lab.configure_text("c", "corpus", CORPUS, tiny(lr_schedule="constant"))
    assert t2 is t and lab.restart_note is None and same(weights(t), before)
    assert t.lr_now() == pytest.approx(1e-2) and t.events[-1] == (3, "schedule: constant")


def test_plateau_halves_the_rate_when_validation_stalls():
    t = trainer(tiny(lr_schedule="plateau"))
    script = ScriptedValidation(t)
    patience = t.schedule.patience
    script.at(t, 2.0)
    for _ in range(patience):
        script.at(t, 2.0)  # no improvement of min_gain
    assert t.lr_now() == pytest.approx(0.5e-2) and t.events[-1][1].startswith("lr ")
    script.at(t, 1.5)  # an improvement resets the count
    for _ in range(patience - 1):
        script.at(t, 1.5)
    assert t.lr_now() == pytest.approx(0.5e-2)


# ---------------------------------------------------------------------------------------------- best weights
def test_keeper_counts_evaluations_clearly_above_the_best():
    k = BestKeeper()
    copies = []
    assert k.observe(1, 2.0, 0.3, lambda: copies.append(1) or "w1")
    assert not k.observe(2, 2.05, 0.3, lambda: copies.append(2))  # worse, but not clearly
    assert k.above == 0
    for i in range(MEMORISE_EVALS - 1):
        k.observe(3 + i, 2.0 + MEMORISE_NATS + 0.01, 0.3, lambda: None)
        assert not k.memorising
    k.observe(9, 2.2, 0.3, lambda: None)
    assert k.memorising and k.best.step == 1 and k.best.weights == "w1" and copies == [1]
    assert k.gap == pytest.approx(0.2)


def test_best_weights_are_kept_and_one_click_restores_them():
    t = trainer(tiny())
    script = ScriptedValidation(t)
    t.train_steps(3)
    script.at(t, 2.0)
    best = weights(t)
    t.train_steps(5)
    latest = weights(t)
    assert not same(best, latest)
    for v in (2.3, 2.4, 2.5):
        script.at(t, v)
        t.train_steps(1)
    assert t.keeper.memorising and t.keeper.best.step == 3
    note = units.in_unit(t.weights_note())
    assert "latest weights" in note and f"2.000 nats per {t.unit} at step 3" in note
    assert f"{2 / np.log(2):.3f} bits per {t.unit} at step 3" in units.in_unit(t.weights_note(), f"bits per {t.unit}")
    assert t.weights_step() == t.step
    b = t.restore_best()
    assert t.weights_step() == 3 != t.step
    assert b.step == 3 and same(weights(t), best)
    assert t.events[-1] == (t.step, "best weights (step 3)")
    assert t.history.last_val() == pytest.approx(2.0) and not t.keeper.memorising
    assert "best weights" in t.weights_note()
    assert t.train_steps(2).stop is None  # training continues from the best weights


def test_text_lab_says_memorising_in_plain_words_and_restores():
    lab = TextLab()
    t = lab.configure_text("c", "corpus", CORPUS, tiny())
    script = ScriptedValidation(t)
    assert lab.memorising() is None
    script.at(t, 2.0)
    for v in (2.2, 2.3, 2.4):
        t.train_steps(1)
        script.at(t, v)
    msg = units.in_unit(lab.memorising())
    assert "memorising its training data" in msg and "2.000" in msg and "2.400 nats per character" in msg
    lab.restore_best()
    assert lab.memorising() is None and "Back to the best weights" in lab.note.text


def test_stop_at_best_stops_training_at_the_best_weights():
    t = trainer(tiny())
    t.stop_at_best = True
    script = ScriptedValidation(t)
    t.train_steps(2)
    script.at(t, 2.0)
    best = weights(t)
    for v in (2.2, 2.3, 2.4):
        assert t.train_steps(2).stop is None
        script.at(t, v)
    report = t.train_steps(5)  # the stop decided by the last evaluation
    assert report.stop.kind is StopKind.FINISHED and "best validation" in report.stop.message and report.losses == []
    assert same(weights(t), best) and t.step == 8
    assert t.train_steps(1).stop is None  # pressing Start again trains on from the best weights


def test_music_stop_at_best_composes_within_005_nats_of_the_best_validation():
    """The Music check on a unit scale: ~20 pieces of a bundled style, a model that overfits fast, stop at
    the best validation on: the weights used for composing are within 0.05 nats of the best validation seen."""
    from core.labs.music_lab import LSTM, MusicLab, make_config
    from core.music import music_codec as mc
    from core.music import music_data as md

    pieces, _ = md.load_bundled("irish_folk", mc.CodecOptions())
    lab = MusicLab()
    lab._set_corpus(("test", 20), md.MusicCorpus(pieces[:20]), [])
    assert lab.stop_at_best
    lab.max_steps = 3000
    lab.schedule = type(lab.schedule)(
        slice_s=0.3, tick_s=0.1, chunk_s=0.1, max_chunk=20, eval_every_s=0.0
    )  # validate every slice
    t = lab.configure_current(
        make_config(LSTM, hidden=128, seq_len=16, batch=16, lr=0.03, seed=0, lr_schedule="constant")
    )
    stop = None
    for _ in range(400):
        stop = lab.run_slice()
        if stop is not None:
            break
    assert stop is not None and stop.kind is StopKind.FINISHED, stop
    best = t.keeper.best
    assert max(t.history.val.values["val"]) > best.val + MEMORISE_NATS  # it did memorise: validation rose
    comp = lab.compose(tempo=120.0, n_values=20)
    assert "best weights" in comp.weights
    now = t.evaluate(full=True)
    assert abs(now - best.val) <= 0.05


# ---------------------------------------------------------------------------------------------- accuracy, validation
def test_accuracy_is_the_share_of_argmax_hits():
    t = trainer(tiny())
    t.train_steps(20)
    batches = t.val_batches()
    loss, acc = token_stats(t._eval_fn, batches)
    hits = total = 0
    for x, y in batches:
        logits = np.asarray(t.model(x, training=False))  # (batch, T, vocab)
        hits += int(np.sum(np.argmax(logits, -1) == y))
        total += y.size
    assert acc == pytest.approx(hits / total) and 0 <= acc <= 1 and np.isfinite(loss)
    t.evaluate()
    assert t.history.last_acc() == pytest.approx(acc)


def test_spread_validation_measures_one_batch_per_call_and_matches_the_full_pass():
    t = trainer(tiny(), n_batches=4)
    t.eval_parts = 1
    t.train_steps(3)
    calls = []
    t.evaluate()  # builds the functions; the first pass is a full one
    real = t._eval_fn
    t._eval_fn = lambda x, y: calls.append(1) or real(x, y)
    v_full = t.evaluate(full=True)
    assert len(calls) == 4
    calls.clear()
    v_spread = t.evaluate()
    assert len(calls) == 1 and v_spread == pytest.approx(v_full, abs=1e-6)  # the same weights: the same mean
    t.train_steps(5)
    calls.clear()
    t.evaluate()
    assert len(calls) == 1


def test_text_lab_validates_on_256_windows_one_batch_at_a_time():
    lab = TextLab()
    t = lab.configure_text(
        "c", "corpus", bundled_corpus("shakespeare.txt"), RNNConfig(hidden=16, embed_dim=8, seq_len=16, batch_size=4)
    )
    batches = t.val_batches()
    assert sum(len(x) for x, _ in batches) == 256 and t.eval_parts == 1


def test_validation_noise_shrinks_with_more_windows():
    """The spread of repeated estimates on the same weights (disjoint window sets of the live size)."""
    corpus = bundled_corpus("shakespeare.txt")
    t = new_trainer(corpus, tiny())
    t.train_steps(30)
    t.evaluate()
    spread = {}
    for n in (8, 64):
        sets = corpus.val_window_sets(6, n, seq_len=16, batch_size=16)
        assert len(sets) == 6
        assert all(sum(len(x) for x, _ in s) == n for s in sets)
        vals = [token_stats(t._eval_fn, s)[0] for s in sets]
        again = [token_stats(t._eval_fn, s)[0] for s in sets]
        assert vals == again  # the same windows and weights: the same estimate
        spread[n] = float(np.std(vals))
    assert spread[64] < spread[8]


def test_the_course_model_keeps_restores_and_stops_at_its_best_weights():
    from core.labs.music_lab import COURSE, MusicLab, make_config
    from core.music import music_codec as mc

    lab = MusicLab()
    lab.use_bundled("bach_chorales", mc.CodecOptions(max_chord=1))
    t = lab.configure_current(make_config(COURSE, hidden=8, seq_len=10, batch=4, lr=0.003, seed=0))
    assert t.stop_at_best  # the Music lab's default
    t.train_steps(2)
    v0 = t.evaluate()
    assert v0 is not None and t.keeper.best.step == 2 and t.history.last_acc() is not None
    best = [v.numpy().copy() for v in t.model.variables]
    t.evaluate()  # builds nothing new; now script the rise
    t._eval_fn = lambda x, y: np.array([(v0 + 1.0) * np.size(y), 0.1 * np.size(y)])
    for _ in range(MEMORISE_EVALS):
        assert t.train_steps(1).stop is None
        t.evaluate()
    report = t.train_steps(3)
    assert report.stop.kind is StopKind.FINISHED and "best validation" in report.stop.message
    assert all(np.array_equal(v.numpy(), b) for v, b in zip(t.model.variables, best))
    assert "best weights" in t.weights_note() and t.events[-1][1] == "best weights (step 2)"
    assert t.lr_now() == pytest.approx(t.config.learning_rate_at(t.step))


def test_text_lab_slices_are_short_for_the_first_seconds_then_long():
    lab = TextLab()
    t = lab.configure_text("c", "corpus", CORPUS, tiny())
    lab.run_slice()
    assert lab.schedule is TextLab.start_schedule and lab.schedule.slice_s < TextLab.schedule.slice_s
    t.elapsed_s = TextLab.START_S  # as after ten seconds of training
    lab.run_slice()
    assert lab.schedule is TextLab.middle_schedule and t.elapsed_s > TextLab.START_S + 1.0  # one longer slice trained
    assert TextLab.start_schedule.slice_s < TextLab.middle_schedule.slice_s < TextLab.schedule.slice_s
    t.elapsed_s = TextLab.STEADY_S  # as after a minute
    lab.run_slice()
    assert lab.schedule is TextLab.schedule and t.elapsed_s > TextLab.STEADY_S + 2.0  # one of the longest trained
    own = type(TextLab.schedule)(slice_s=0.05, tick_s=0.3, chunk_s=0.01, max_chunk=5, eval_every_s=None)
    lab.schedule = own  # a schedule set from outside (tests, the race) is kept
    lab.run_slice()
    assert lab.schedule is own
