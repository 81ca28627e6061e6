"""The session's training thread (core.labs.worker): it trains and publishes a consistent lab, stops on Stop within
the slice in progress, stops on a reason to stop with the note the page shows, pauses when the page has not drawn
the lab for a while (and trains again once it does), never trains two labs of a session at once, and turns an
exception into a one-sentence note. Tiny Dinosaur models: a slice takes milliseconds."""

import logging
import threading
import time
from dataclasses import replace

import pytest

from core.labs.dino_lab import DinoLab
from core.labs.lab import Schedule
from core.labs.worker import FAILED, PAUSED, SessionWorker, Turns
from core.models.dino import DinoConfig
from core.models.trainer import StopKind
from core.text.text_data import CorpusError
from tests.support.inputs import NAMES

WAIT_S = 60.0  # a bound on waiting for the thread (never a measured time)


def lab_of(iterations: int = 1_000_000, n_a: int = 8) -> DinoLab:
    lab = DinoLab()
    lab.schedule = Schedule(
        slice_s=0.05, tick_s=1.0, chunk_s=0.005, max_chunk=20, first_chunk=5, eval_every_s=None, worker_slice_s=0.01
    )
    lab.configure("test", NAMES, DinoConfig(n_a=n_a, seed=1, iterations=iterations, sample_every=10_000))
    return lab


class Clock:
    """A clock the test moves: the page "drew" the lab at 0 and it is now ``now``."""

    def __init__(self) -> None:
        self.now = 1.0

    def __call__(self) -> float:
        return self.now


def watched(lab: DinoLab, clock: Clock) -> SessionWorker:
    lab.drawn_at = 0.0
    return SessionWorker(unseen_s=10.0, clock=clock)


def wait_for(condition, what: str) -> None:
    end = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.005)


def test_trains_publishes_a_consistent_lab_and_stops_within_the_slice_in_progress():
    lab, clock = lab_of(), Clock()
    w = watched(lab, clock)
    lab.start()
    w.train(lab)
    t = lab.trainer
    wait_for(lambda: t.step > 50, "training")
    for _ in range(20):  # read as the page does: under the lock, every part of the lab from the same step
        with lab.lock:
            assert len(t.history) == t.step and t.history.train.steps[-1] == t.step
        time.sleep(0.001)
    assert w.alive and w.slices > 0
    lab.stop()
    stopped = t.step  # Stop returned: the slice in progress has ended, no other one starts
    assert w.join(WAIT_S)
    assert t.step == stopped and not lab.running and lab.note is None


def test_a_reason_to_stop_becomes_the_note_and_ends_the_thread():
    lab, clock = lab_of(iterations=300), Clock()
    w = watched(lab, clock)
    lab.start()
    w.train(lab)
    assert w.join(WAIT_S)
    assert not lab.running and lab.note.kind is StopKind.FINISHED and lab.trainer.step == 300
    assert "300" in lab.note.text


def test_pauses_when_the_page_has_not_drawn_the_lab_and_trains_again_when_it_does():
    lab, clock = lab_of(), Clock()
    w = watched(lab, clock)
    lab.start()
    w.train(lab)
    wait_for(lambda: lab.trainer.step > 0, "training")
    clock.now = 11.5  # no drawing for more than unseen_s: the tab went away
    assert w.join(WAIT_S)
    paused = lab.trainer.step
    assert lab.running and lab.note is None  # not stopped: the tab that draws the lab next trains it again
    time.sleep(0.05)
    assert lab.trainer.step == paused
    lab.drawn_at = clock.now  # the reloaded tab draws it
    w.train(lab)
    wait_for(lambda: lab.trainer.step > paused, "training again")
    lab.hibernate()  # the sweeper: a hibernated lab counts as never drawn
    assert w.join(WAIT_S)
    assert lab.running and lab.drawn_at == 0.0


def test_one_lab_of_a_session_at_a_time():
    a, b, clock = lab_of(), lab_of(n_a=6), Clock()
    w = watched(a, clock)
    b.drawn_at = 0.0
    inside, most = [0], [0]
    guard = threading.Lock()

    def counted(lab):
        slice_ = lab.run_slice

        def run_slice(slice_s=None):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                return slice_(slice_s)
            finally:
                with guard:
                    inside[0] -= 1

        lab.run_slice = run_slice

    counted(a)
    counted(b)
    a.start()
    w.train(a)
    wait_for(lambda: a.trainer.step > 0, "a training")
    b.start()
    w.train(b)  # the same thread trains b; a, still running, is paused with the page's note
    assert not a.running and a.note.kind is StopKind.PAUSED and a.note.text == PAUSED
    at_pause = a.trainer.step
    wait_for(lambda: b.trainer.step > 0, "b training")
    assert a.trainer.step == at_pause and most[0] == 1
    # a reload hands b to another session's worker: this thread lets it go
    other = SessionWorker(unseen_s=10.0, clock=clock)
    other.train(b)
    assert w.join(WAIT_S)
    wait_for(lambda: other.slices > 0, "the other session's thread")
    b.stop()
    assert other.join(WAIT_S) and most[0] == 1


@pytest.mark.parametrize(
    "error, note",
    [
        (RuntimeError("/srv/app/core/models/dino.py: boom"), FAILED),
        (CorpusError("the text has no characters the model knows"), None),
    ],
)
def test_an_exception_becomes_a_one_sentence_note(error, note, caplog):
    lab, clock = lab_of(), Clock()
    w = watched(lab, clock)

    def broken(n):
        raise error

    lab.trainer.train_steps = broken
    lab.start()
    with caplog.at_level(logging.ERROR, logger="core.labs.worker"):
        w.train(lab)
        assert w.join(WAIT_S)
    assert not lab.running and lab.note.kind is StopKind.FAILED
    if note is FAILED:
        assert lab.note.text == FAILED and "/srv" not in lab.note.text
        assert any("Training failed in DinoLab" in r.message for r in caplog.records)
    else:
        assert lab.note.text == f"Training stopped: {error}"


def test_the_page_gets_the_lab_after_one_chunk_not_after_the_whole_slice():
    """A slice of a minute: a thread that asks for the lab's lock (the page drawing, a click's callback) gets it
    long before the slice would end, since the slice ends between two chunks once someone waits; the thread
    trains on afterwards. ``wanted`` says when a thread waits."""
    lab, clock = lab_of(), Clock()
    lab.schedule = Schedule(
        slice_s=60.0, tick_s=1.0, chunk_s=0.005, max_chunk=20, first_chunk=5, eval_every_s=None, worker_slice_s=60.0
    )
    w = watched(lab, clock)
    assert not lab.lock.wanted
    lab.start()
    w.train(lab)
    t = lab.trainer
    wait_for(lambda: t.step > 0, "training")
    seen = []
    for _ in range(3):  # three turns of the page in a row, each within one chunk
        got = lab.lock.acquire(timeout=WAIT_S / 2)  # far less than the slice's minute
        assert got, "the slice did not let the page in"
        try:
            seen.append(t.step)
        finally:
            lab.lock.release()
        wait_for(lambda: t.step > seen[-1], "training after the page's turn")
    lab.stop()
    assert w.join(WAIT_S)


def test_the_stop_button_does_not_wait_and_the_pages_next_hold_of_the_lock_ends_training():
    """``request_stop`` (the Stop button) returns while a slice of a minute is in progress; a rerun with unchanged
    settings gets its trainer without the lock (which a thread holds here); the page's next hold of the lock (its
    drawing) ends the slice, and no step follows it."""
    lab, clock = lab_of(), Clock()
    lab.schedule = Schedule(
        slice_s=60.0, tick_s=1.0, chunk_s=0.005, max_chunk=20, first_chunk=5, eval_every_s=None, worker_slice_s=60.0
    )
    config = lab.trainer.config
    w = watched(lab, clock)
    lab.start()
    w.train(lab)
    t = lab.trainer
    wait_for(lambda: t.step > 0, "training")
    lab.request_stop()
    assert not lab.running and w.alive  # returned at once: the slice goes on
    held, release = threading.Event(), threading.Event()

    def hold() -> None:  # another holder of the lab's lock, e.g. a download being zipped
        with lab.lock:
            held.set()
            release.wait(WAIT_S)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(WAIT_S)
    try:
        got = []
        rerun = threading.Thread(target=lambda: got.append(lab.configure("test", NAMES, config)))
        rerun.start()
        rerun.join(WAIT_S / 2)  # the lock stays held meanwhile: a configure that waited for it would not be done
        assert got == [t], "configure with unchanged settings waited for the lab's lock"
        assert lab.unchanged("test", config) and not lab.unchanged("test", replace(config, learning_rate=0.5))
    finally:
        release.set()
        other.join(WAIT_S)
    with lab.lock:  # the page draws
        drawn = t.step
    assert w.join(WAIT_S)
    assert t.step == drawn and not lab.running


def test_the_lock_knows_when_a_thread_waits_for_it():
    from core.labs.lab import PageFirstLock

    lock, waiting = PageFirstLock(), threading.Event()
    with lock:
        with lock:  # re-entrant: the holder never waits for itself
            assert not lock.wanted

        def other():
            waiting.set()
            with lock:
                pass

        th = threading.Thread(target=other)
        th.start()
        waiting.wait(WAIT_S)
        wait_for(lambda: lock.wanted, "the other thread to wait")
    th.join(WAIT_S)
    assert not lock.wanted and not th.is_alive()


def test_turns_go_one_at_a_time_in_the_order_asked():
    turns = Turns()
    order, inside = [], []
    first = turns.turn()
    first.__enter__()  # held: the others queue

    def take(name: str) -> None:
        with turns.turn():
            inside.append(name)
            assert len(inside) == 1, "two holders at once"
            order.append(name)
            time.sleep(0.002)
            inside.remove(name)

    threads = []
    for name in "abc":
        t = threading.Thread(target=take, args=(name,))
        t.start()
        threads.append(t)
        wait_for(lambda n=len(threads): turns.waiting == n, f"{name} queued")
    first.__exit__(None, None, None)
    for t in threads:
        t.join(WAIT_S)
    assert order == ["a", "b", "c"]


def test_labs_that_take_turns_never_train_at_once_and_all_make_progress():
    turns, clock = Turns(), Clock()
    labs = [lab_of() for _ in range(3)]
    busy, overlaps = [0], []
    for lab in labs:
        lab.schedule = replace(lab.schedule, takes_turns=True)
        inner = lab.run_slice

        def run_slice(slice_s=None, inner=inner):
            busy[0] += 1
            overlaps.append(busy[0])
            try:
                return inner(slice_s)
            finally:
                busy[0] -= 1

        lab.run_slice = run_slice
    workers = [SessionWorker(unseen_s=10.0, clock=clock, turns=turns) for _ in labs]
    for lab, w in zip(labs, workers):
        lab.drawn_at = 0.0
        lab.start()
        w.train(lab)
    wait_for(lambda: all(lab.trainer.step > 100 for lab in labs), "every lab training")
    for lab, w in zip(labs, workers):
        lab.stop()
        assert w.join(WAIT_S)
    assert max(overlaps) == 1


def test_the_text_lab_draws_every_second_for_a_runs_first_minute_then_every_four_seconds():
    from types import SimpleNamespace

    from core.labs.text_lab import TextLab

    lab = TextLab()
    for trained, every in ((0.0, 1.0), (30.0, 1.0), (TextLab.STEADY_S + 1, 4.0)):
        lab.trainer = SimpleNamespace(elapsed_s=trained)
        assert lab.draw_every() == every, trained
    lab.schedule = Schedule(worker=True, draw_s=0.5)  # a schedule set from outside is kept
    assert lab.draw_every() == 0.5


def test_a_slice_that_ends_with_the_lab_stopped_keeps_a_roll_back_point():
    """Step (the lab not running) and the slice that Stop ended keep a point where the student left the model; the
    slices of a running lab leave points to the trainer's own pace (core.models.keras_trainer: point_every_s)."""
    lab = lab_of()
    kept = []
    lab.trainer.keep_point = lambda: kept.append(lab.trainer.step)
    assert lab.run_slice() is None and kept == [lab.trainer.step] and kept[0] > 0  # Step
    lab.start()
    lab.run_slice()
    assert len(kept) == 1  # a running lab's slice
    w = SessionWorker(unseen_s=1e9)
    w.train(lab)
    wait_for(lambda: w.slices >= 2, "two slices")
    lab.request_stop()  # Stop: the slice in progress ends with the lab stopped
    assert w.join(WAIT_S)
    assert kept[-1] == lab.trainer.step and set(kept) == {kept[0], lab.trainer.step}  # (a point kept twice is one)
