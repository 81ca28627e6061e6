"""The Dinosaur trainer: the course's example format, bounded slices, NaN handling, and that it learns."""

import numpy as np

from core.models import numpy_rnn as nr
from core.models.dino import DinoConfig, DinoTrainer, clean_names, load_names
from core.models.trainer import StopKind
from tests.support import ROOT

NAMES = ["aardonyx", "abelisaurus", "brachiosaurus", "tyrannosaurus", "velociraptor", "stegosaurus", "triceratops"]


def test_clean_names_handles_blank_lines_case_and_control_chars():
    assert clean_names("  Rex\n\n\tALLO\x01saurus \r\n\n") == ["rex", "allosaurus"]


def test_vocab_and_example_follow_the_course():
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    assert t.chars[0] == "\n" and t.chars == sorted(set("\n".join(NAMES) + "\n"))
    X, Y = t.example(0)
    name = t.names[t.order[0]]
    assert X[0] is None and X[1:] == [t.char_to_ix[c] for c in name]
    assert Y == X[1:] + [t.char_to_ix["\n"]]
    assert t.parameters["Wax"].shape == (8, t.vocab_size)


def test_train_steps_is_bounded_and_records_history():
    t = DinoTrainer(NAMES, DinoConfig(n_a=8, iterations=30, sample_every=10))
    r = t.train_steps(20)
    assert len(r.losses) == 20 and t.step == 20 and len(t.history) == 20
    assert len(t.sample_batches) == 2 and t.sample_batches[-1][0] == 20
    r = t.train_steps(100)  # only 10 left in the budget
    assert len(r.losses) == 10 and t.done and r.stop.kind is StopKind.FINISHED
    assert t.train_steps(5).losses == []


def test_nan_stops_and_keeps_last_good_weights():
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    t.train_steps(5)
    t.parameters["Waa"][0, 0] = np.nan  # as if an update had blown up
    r = t.train_steps(5)
    assert r.stop.kind is StopKind.DIVERGED and "learning rate" in r.stop.message
    assert all(np.all(np.isfinite(p)) for p in t.parameters.values())
    assert t.step == 5


def _blow_up_at(monkeypatch, update: int) -> None:
    """The ``update``-th weight update from now leaves an infinite weight (in a column a name never uses)."""
    real, calls = nr.update_parameters, []

    def blow_up(P, gradients, lr):
        real(P, gradients, lr)
        calls.append(1)
        if len(calls) == update:
            P["Wax"][0, -1] = np.inf  # in a column that x, one-hot, leaves out of the next forward pass

    monkeypatch.setattr(nr, "update_parameters", blow_up)


def test_an_update_that_leaves_a_weight_not_a_number_stops_the_run_at_its_name(monkeypatch):
    """Checked after every update: a matrix product may skip the zeros of a one-hot x, so such a weight need not
    show in the next name's loss."""
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    t.train_steps(5)
    _blow_up_at(monkeypatch, 3)  # the update of name 8
    r = t.train_steps(10)
    assert r.stop.kind is StopKind.DIVERGED and "overflowed at name 8" in r.stop.message, r.stop.message
    assert len(r.losses) == 2 and all(np.isfinite(r.losses)) and t.step == 7
    assert all(np.all(np.isfinite(p)) for p in t.parameters.values())


def test_no_call_ends_with_weights_that_are_not_numbers(monkeypatch):
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    t.train_steps(5)
    _blow_up_at(monkeypatch, 4)  # the last update of the call
    r = t.train_steps(4)
    assert r.stop.kind is StopKind.DIVERGED and "overflowed at name 9" in r.stop.message, r.stop.message
    assert t.step == 8
    assert all(np.all(np.isfinite(p)) for p in t.parameters.values())


def test_a_weight_array_replaced_between_calls_is_still_checked():
    """The check after every update sums the one vector the weights are views of; an array set from outside between
    two calls is taken into that vector first, so its weights are still checked at the next update. (Two weights of
    1e308: the loss stays a number, tanh saturates at 1, but the weights' sum overflows, which counts as exploded.)"""
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    t.train_steps(5)
    Wax = t.parameters["Wax"].copy()
    Wax[:2, -1] = 1e308
    t.parameters["Wax"] = Wax
    r = t.train_steps(3)
    assert r.stop.kind is StopKind.DIVERGED and "overflowed at name 6" in r.stop.message, r.stop.message
    assert t.step == 5 and all(np.all(np.isfinite(p)) for p in t.parameters.values())


def test_the_trainer_trains_exactly_as_the_course_loop():
    """Calls of any size, traced last names included, give the course's optimize() losses and weights, bit for bit."""
    t = DinoTrainer(NAMES, DinoConfig(n_a=8))
    P = {k: v.copy() for k, v in t.parameters.items()}
    a_prev, losses = np.zeros((8, 1)), []
    for j in range(40):
        X, Y = t.example(j)
        loss, _, a_prev = nr.optimize(X, Y, a_prev, P, t.config.learning_rate, t.config.clip_value)
        losses.append(loss)
    got = [loss for n in (1, 2, 7, 30) for loss in t.train_steps(n).losses]
    assert got == losses
    assert all(np.array_equal(t.parameters[k], P[k]) for k in P) and np.array_equal(t.a_prev, a_prev)


def test_same_seed_same_run():
    a = DinoTrainer(NAMES, DinoConfig(n_a=8, seed=3))
    b = DinoTrainer(NAMES, DinoConfig(n_a=8, seed=3))
    assert a.train_steps(30).losses == b.train_steps(30).losses


def test_learns_dinosaur_like_names_at_the_defaults():
    names = load_names(ROOT / "data" / "dinos.txt")
    t = DinoTrainer(names, DinoConfig())
    t.train_steps(8000)
    raw = t.history.train.values["loss"]
    uniform = np.log(t.vocab_size) * np.mean([len(n) + 1 for n in names])  # loss of a model that knows nothing
    assert np.mean(raw[-1000:]) < 0.75 * uniform
    samples = [n for n, _ in t.sample_names(40, 1.0, np.random.default_rng(0))]
    endings = ("saurus", "don", "raptor", "tops", "rus", "sau", "ops", "ia", "us", "ator", "x")
    assert sum(n.endswith(endings) for n in samples) >= 15, samples
    assert sum(t.is_new(n) for n in samples) >= 30, samples
