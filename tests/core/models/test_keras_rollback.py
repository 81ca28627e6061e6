"""A roll-back puts a Keras trainer's whole state back (core.models.keras_trainer.Checkpoint): the weights, the
optimizer's state, the step, the tokens seen and the running loss, for the Text/Music trainer and the course's."""

import numpy as np
import pytest

from core.models import course_model as cm
from core.models.trainer import StopKind
from tests.core.models.test_course_model import NV, SMALL, cyclic_batches, val_batches
from tests.core.models.test_keras_trainer import tiny, trainer


def sequence_trainer():
    t = trainer(tiny("gru"))
    t.group_steps = 1  # one call of _train_fn per step, so that a test scripts each step's loss (groups: below)
    return t


def course_trainer():
    return cm.CourseTrainer(NV, SMALL, cyclic_batches, val_batches)


def state(t) -> dict:
    """Everything a roll-back must put back, read through the trainer's public surface."""
    return dict(
        weights=[v.numpy().copy() for v in t.model.variables],
        optimizer=[v.numpy().copy() for v in t.optimizer.variables],  # Adam's moments and step count (and rate)
        step=t.step,
        tokens_seen=t.tokens_seen,
        smooth=t.history.last_smooth(),  # the running loss at this point
    )


def assert_same_state(t, before: dict) -> None:
    now = state(t)
    assert now["step"] == before["step"] and now["tokens_seen"] == before["tokens_seen"]
    assert len(now["weights"]) == len(before["weights"]) and len(now["optimizer"]) == len(before["optimizer"])
    for a, b in zip(now["weights"] + now["optimizer"], before["weights"] + before["optimizer"]):
        np.testing.assert_array_equal(a, b)


def assert_running_loss_goes_on_from(t, smooth: float) -> None:
    """One more step with a known loss: the running loss continues from ``smooth`` (the roll-back point's)."""
    real = t._train_fn
    t._train_fn = lambda x, y, *rate: (real(x, y, *rate), 2.0)[1]
    assert t.train_steps(1).stop is None
    assert t.history.last_smooth() == pytest.approx(0.9 * smooth + 0.1 * 2.0, abs=1e-9)
    t._train_fn = real


@pytest.mark.parametrize("make", [sequence_trainer, course_trainer], ids=["sequence", "course"])
def test_a_nan_roll_back_restores_weights_optimizer_step_tokens_and_running_loss(make):
    t = make()
    t.train_steps(3)
    before = state(t)
    real = t._train_fn
    iterations_at_nan = []

    def two_good_steps_then_nan(x, y, *rate):
        loss = float(real(x, y, *rate))  # every step really changes the weights and Adam's state
        if t.step == before["step"] + 2:
            iterations_at_nan.append(int(np.asarray(t.optimizer.iterations)))
            return float("nan")
        return loss

    t._train_fn = two_good_steps_then_nan
    report = t.train_steps(5)
    assert report.stop.kind is StopKind.DIVERGED and "NaN" in report.stop.message and len(report.losses) == 2
    assert iterations_at_nan == [before["step"] + 3]  # three optimizer updates happened in the failed call ...
    assert_same_state(t, before)  # ... and every one of them was undone
    assert t.events[-1] == (before["step"] + 3, f"rolled back to step {before['step']:,}")
    t._train_fn = real
    assert_running_loss_goes_on_from(t, before["smooth"])
    assert t.step == before["step"] + 1


def test_an_explosion_roll_back_restores_the_whole_lowest_point():
    t = sequence_trainer()
    t.train_steps(1)  # builds the step function
    real = t._train_fn
    scripted = iter([1.0] * 60 + [1.2, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5])  # a plateau, then an explosion

    def fake_step(x, y, *rate):
        real(x, y, *rate)
        return next(scripted)

    t._train_fn = fake_step
    for _ in range(6):
        assert t.train_steps(10).stop is None
    lowest = state(t)  # step 61: the end of the call where the running loss was lowest
    report = t.train_steps(7)
    assert report.stop.kind is StopKind.DIVERGED and "exploded" in report.stop.message
    assert_same_state(t, lowest)
    t._train_fn = real
    assert_running_loss_goes_on_from(t, lowest["smooth"])


def test_the_course_trainer_has_no_explosion_check():
    """The course's training has only the NaN/inf guard: a finite loss that shoots up trains on."""
    t = course_trainer()
    t.train_steps(1)
    real = t._train_fn
    scripted = iter([1.0] * 60 + [1.2, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5])

    def fake_step(x, y, *rate):
        real(x, y, *rate)
        return next(scripted)

    t._train_fn = fake_step
    for _ in range(6):
        assert t.train_steps(10).stop is None
    assert t.train_steps(7).stop is None and t.step == 68


def test_a_nan_inside_a_group_of_steps_undoes_the_whole_call():
    """Steps run in groups (one traced call for several): a NaN in the third step of a group of five stops at that
    step, though all five updates happened inside the call, and puts back the state from before the call."""
    from core.models.keras_model import tf_module

    t = trainer(tiny("gru"))
    assert t.group_steps >= 5
    t.train_steps(3)
    before = state(t)
    real = t._group_fn

    def nan_third(xs, ys, rates):
        losses = real(xs, ys, rates).numpy()  # every step of the group really changes the weights
        losses[2] = np.nan
        return tf_module().constant(losses)

    t._group_fn = nan_third
    report = t.train_steps(5)
    assert report.stop.kind is StopKind.DIVERGED and "NaN" in report.stop.message and len(report.losses) == 2
    assert "step 6" in report.stop.message  # the third step after the three before
    assert int(np.asarray(t.optimizer.iterations)) == before["step"]  # the five updates were undone
    assert_same_state(t, before)
    t._group_fn = real
    assert t.train_steps(5).stop is None and t.step == before["step"] + 5
