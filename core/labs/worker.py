"""Training on a thread of its own, so the page answers every click at once (plain Python: threading, no streamlit).

A browser session has one ``SessionWorker``: one thread that trains one lab at a time. It runs the lab's
``run_slice(schedule.worker_slice_s)`` over and over; each slice holds the lab's lock, and the thread lets go of
it (and of the interpreter, for a moment) between two slices, so the page's thread reads a consistent lab and a
button's callback changes it between two slices. The page goes first (core.labs.lab.PageFirstLock): a slice ends
after its current chunk of steps when the page waits for the lab, and the thread waits while the page does. The
thread never touches the page: it only changes the lab, and the page's live fragment draws what it holds.

The thread ends when:

- the lab stops (``lab.running`` off: Stop, another lab of the session started, a loaded model): within one
  slice; ``Lab.stop`` waits for the slice in progress, the Stop button's ``Lab.request_stop`` does not (the page's
  drawing right after it takes the lock, which ends the slice after its chunk);
- a slice gives a reason to stop (finished, diverged, failed): ``lab.stop(Note)``, the note the page shows;
- a slice raises: the exception goes to the server's log and the note says in one sentence that training
  stopped (``FAILED``; never the exception's text, which can hold the server's file paths);
- the page has not drawn the lab for ``unseen_s`` seconds (the tab was closed or lost its connection; a
  hibernated lab counts as never drawn): ``lab.running`` stays on, so the page that draws the lab next (the
  reloaded tab, through core.server.recovery) starts training it again;
- another session's worker took the lab over (a reload hands the lab to a new session).

Labs whose training holds the interpreter lock (numpy: ``schedule.takes_turns``) take turns across the whole
process, one slice at a time, in the order they asked (``Turns``). Many such threads training at once spend more
on handing the interpreter lock to one another than on training: on the class server's capacity ramp (two
processes on two cores, every session training the Dinosaur lab), the total fell from 3,006 names a second with
two sessions per process to 695 with eight; in turns, 3,282 and 1,126 (docs/load-test.md, 7 Dec). The Keras labs
release the lock while TensorFlow computes and train at once.

Simplified on purpose: each lab says in ``schedule.worker`` whether it trains here or in the page's refreshes (see
``ui.live``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

from core.labs.lab import Lab, Note
from core.models.trainer import Stop, StopKind
from core.text.text_data import CorpusError

UNSEEN_S = 10.0  # the thread pauses once the page has not drawn its lab for this long (the tab went away)
PAUSE_S = 0.003  # while the page waits for the lab, the thread looks again this often
YIELD_S = 1.0  # at most this long, the thread lets threads waiting for the lab's lock go first (Lab.lock)
FAILED = (
    "Training stopped: something went wrong while training this model. Your model and its progress are kept: "
    "press Step or Start to try again, or start a new run."
)
PAUSED = (
    "Paused: training started in another lab. One lab trains at a time in each session; press Start to continue here."
)
log = logging.getLogger(__name__)


class Turns:
    """At most ``at_once`` holders at a time, served in the order they asked (first come, first served: a holder that
    asks again queues behind everyone waiting)."""

    def __init__(self, at_once: int = 1):
        self.at_once = at_once
        self._cv = threading.Condition()
        self._queue: deque[object] = deque()  # tickets of the threads waiting, first come first
        self._holders = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        ticket = object()
        with self._cv:
            self._queue.append(ticket)
            while self._queue[0] is not ticket or self._holders >= self.at_once:
                self._cv.wait()
            self._queue.popleft()
            self._holders += 1
            self._cv.notify_all()  # the next in line may go as well while there is room
        try:
            yield
        finally:
            with self._cv:
                self._holders -= 1
                self._cv.notify_all()

    @property
    def waiting(self) -> int:
        with self._cv:
            return len(self._queue)


TURNS = Turns()  # the process's turns for labs whose training holds the interpreter lock (schedule.takes_turns)


def safe_slice(lab: Lab, slice_s: float | None = None) -> Stop | None:
    """Run one slice; an exception goes to the server's log and becomes a one-sentence reason to stop."""
    try:
        return lab.run_slice() if slice_s is None else lab.run_slice(slice_s)  # a race's turns keep their length
    except CorpusError as exc:  # a reason written for students (an uploaded model has no text to train on yet)
        return Stop(StopKind.FAILED, f"Training stopped: {exc}")
    except Exception:  # noqa: BLE001 - logged; training stops, nothing is lost
        log.exception("Training failed in %s", type(lab).__name__)
        return Stop(StopKind.FAILED, FAILED)


class SessionWorker:
    """One session's training thread (see the module docstring). ``train(lab)`` is safe to call on every
    refresh of the page: it starts the thread only when none runs."""

    def __init__(
        self,
        *,
        unseen_s: float = UNSEEN_S,
        pause_s: float = PAUSE_S,
        clock: Callable[[], float] | None = None,
        turns: Turns = TURNS,
    ):
        self.unseen_s = unseen_s
        self.pause_s = pause_s
        self.turns = turns  # shared by every session of the process
        self.clock = clock or time.monotonic  # the clock ``lab.drawn_at`` is read on (Lab.mark_drawn: monotonic)
        self._guard = threading.Lock()  # guards ``_lab`` and ``_thread``
        self._lab: Lab | None = None  # the lab the thread trains
        self._thread: threading.Thread | None = None  # None once the thread has decided to end
        self.slices = 0  # slices run (for tests and benchmarks)

    @property
    def lab(self) -> Lab | None:
        return self._lab

    @property
    def alive(self) -> bool:
        with self._guard:
            return self._thread is not None

    def train(self, lab: Lab) -> None:
        """Train ``lab`` on this session's thread. A different lab this thread trained and that still runs is
        paused first (one lab at a time per session)."""
        with self._guard:
            old, self._lab = self._lab, lab
            lab.worker = self
            start = self._thread is None
            if start:
                self._thread = threading.Thread(target=self._loop, daemon=True, name=f"rnnp-train-{lab.key}")
        if old is not None and old is not lab and old.running and old.worker is self:
            old.stop(Note(StopKind.PAUSED, PAUSED))
        if start:
            self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (tests, benchmarks); True when no thread runs."""
        with self._guard:
            t = self._thread
        if t is not None:
            t.join(timeout)
        return not self.alive

    def _why_not(self, lab: Lab | None) -> str | None:
        """Why the thread must not train ``lab`` now (None: it may). Read under the lab's lock."""
        if lab is None or not lab.running:
            return "stopped"
        if lab.worker is not self:
            return "taken over"
        if self.clock() - lab.drawn_at > self.unseen_s:
            return "unseen"
        return None

    def _loop(self) -> None:
        while True:
            with self._guard:
                lab = self._lab
            if lab is None:
                if self._end(lab):
                    return
                continue
            waited = 0.0
            while lab.lock.wanted and waited < YIELD_S:  # the page is waiting for the lab: it goes first
                time.sleep(self.pause_s)
                waited += self.pause_s
            turn = self.turns.turn() if lab.schedule.takes_turns else nullcontext()
            with turn, lab.lock:  # the check and the slice in one hold: Lab.stop() can't fall between them
                why = self._why_not(lab)
                if why == "stopped":
                    lab.keep_point()  # where the student left the model, when Stop came between two slices
                stop = None if why else safe_slice(lab, lab.schedule.worker_slice_s)
                if stop is not None:
                    lab.stop(Note(stop.kind, stop.message))
            if why:
                log.debug("Training thread of %s ends: %s", type(lab).__name__, why)
                if self._end(lab):
                    return
                continue
            self.slices += 1
            time.sleep(0)  # other threads may take the interpreter; a page waiting for the lab goes first (above)

    def _end(self, lab: Lab | None) -> bool:
        """End the thread unless ``train`` gave it another lab, or started this one again, meanwhile (then train
        on)."""
        with self._guard:
            if self._lab is not lab or (lab is not None and self._why_not(lab) is None):
                return False
            self._thread = None
            return True
