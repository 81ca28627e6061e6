"""Live training on a Streamlit page without blocking it, for any lab object (core.labs.lab.Lab).

Two ways to train, chosen by the lab (``lab.schedule.worker``):

- on the session's training thread (core.labs.worker.SessionWorker), started here when the lab runs: the
  fragment only draws, every ``schedule.draw_s`` seconds, under the lab's lock (between two slices of the
  thread), so a click never waits for training longer than one short slice. The three labs train this way in a
  browser (TensorFlow lets go of the interpreter while it computes; numpy does not, see core/labs/dino_lab.py).
  When the page has not drawn the lab for a while (the tab went away), the thread pauses and the next drawing
  (a reload) starts it again.
- in the page's refreshes: a fragment re-runs every ``lab.schedule.tick_s`` seconds while the lab is running,
  runs one bounded slice (``lab.run_slice()``) and redraws from the lab's history (``render``). The browser's
  timer asks for the next run while a slice is still going and Streamlit coalesces those requests, so the
  refreshes follow each other with only a short settling pause. The architecture race trains this way, and so
  does every lab under AppTest (no browser, no timer): one slice per run.

Start / Stop / Step are button callbacks: Start and Stop flip the lab's state (Stop does not wait for the step in
progress: the page's next hold of the lab's lock ends the thread's slice), Step runs one slice. For a lab the
thread trains, Start runs its first short slice too once the slow first-time work of that slice (tracing, the
starting validation, the first live sample) was done, while the page was read (``Lab.prepare_ahead``), so the page
drawn after the click shows the first point. A slice that reports a reason to stop (finished, diverged, failed)
turns training off and shows the reason, coloured by its kind.

The lab lives in ``st.session_state`` under ``lab.key``, so every browser session is isolated. A session
trains one lab at a time: starting one pauses the others (a per-session cap on CPU use), and a lab's
fragment only runs while its page is shown.
"""

from __future__ import annotations

import html
import time
from typing import Callable, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core import chart_text as ct
from core.labs.lab import Lab, Note
from core.labs.worker import PAUSED, SessionWorker, safe_slice
from core.models.trainer import StopKind
from ui import loss_chart, style
from ui.toolkit import starting_view

# A short pause at the end of each training refresh. The browser's timer asks for the next refresh while a
# slice runs, so refreshes would otherwise run back to back; measured with Streamlit 1.67 and Chromium, the
# page then sometimes kept showing elements of an earlier refresh for several seconds (the live sample
# under the chart stayed put while the server had a newer one). 0.05 s was enough in bench/browser.py runs;
# 0.1 s leaves a margin for a busy machine, and costs ~1/8 of a Text-lab refresh (~0.8 s).
SETTLE_S = 0.1
_WORKER = "_training_worker"  # the session's core.labs.worker.SessionWorker
# visually hidden but read by screen readers (the usual "sr-only" rules)
SR_ONLY = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0,0,0,0);border:0"
_SHOW = {
    StopKind.FINISHED: st.success,
    StopKind.DIVERGED: st.warning,
    StopKind.PAUSED: st.warning,
    StopKind.FAILED: st.error,
}

L = TypeVar("L", bound=Lab)


def session_lab(cls: type[L]) -> L:
    """This session's lab of class ``cls`` (created on first use)."""
    lab = st.session_state.get(cls.key)
    if not isinstance(lab, cls):
        lab = st.session_state[cls.key] = cls()
    return lab


def _labs() -> list[Lab]:
    return [v for v in st.session_state.values() if isinstance(v, Lab)]


def start(lab: Lab) -> None:
    """Start this lab; any other lab of this session that was training is paused (one at a time per session)."""
    for other in _labs():
        if other is not lab and other.running:
            other.stop(Note(StopKind.PAUSED, PAUSED))
    lab.start()


def _step(lab: Lab, slice_s: float | None = None) -> None:
    stop = safe_slice(lab, slice_s)
    if stop:
        lab.stop(Note(stop.kind, stop.message))


def _start_button(lab: Lab) -> None:
    """Start; when a training thread will train the lab and its run is prepared (``lab.prepared``: the slice only
    trains), its first short slice runs here, in the click's callback, so the page drawn after the click already shows
    the first point (the thread that drawing starts trains on). An unprepared run's first slice is left to the
    thread: the page answers at once (Stop) while it traces."""
    start(lab)
    if _threaded(lab) and lab.prepared:
        _step(lab, lab.schedule.worker_slice_s)


def controls(lab: Lab, *, disabled: bool = False, step_label: str = "Step") -> None:
    """Start / Stop / Step buttons for one lab (and "Start from the trained model" when the lab's corpus has a bundled
    model: ui.toolkit.starting_view), and the note that says why it last stopped."""
    running = lab.running
    key = lab.key
    c1, c2, c3 = st.columns(3)
    c1.button(
        "▶ Start",
        key=f"{key}__start",
        on_click=_start_button,
        args=(lab,),
        disabled=running or disabled,
        type="primary",
        width="stretch",
    )
    c2.button("■ Stop", key=f"{key}__stop", on_click=lab.request_stop, disabled=not running, width="stretch")
    c3.button(
        step_label, key=f"{key}__step", on_click=_step, args=(lab,), disabled=running or disabled, width="stretch"
    )
    starting_view.button(lab, disabled=running)  # "Start from the trained model", when the corpus has one
    if lab.note is not None:
        _SHOW[lab.note.kind](loss_chart.shown(lab, lab.note.text))


def refused(verdict, widgets: dict[str, str], *, current) -> None:
    """A model too large for the server's memory budget: say so, offer the largest size that fits (a button that
    sets the widgets named in ``widgets``: config field -> widget key), and stop the page if there is no
    current model to show instead."""
    from ui.persist import remember

    st.error(verdict.message)
    s = verdict.suggestion
    if s is not None:
        label = s.label().split(" · ")[0]
        st.button(
            f"Use {label} instead",
            key="budget_use_suggestion",
            type="primary",
            on_click=lambda: [remember(key, getattr(s, field)) for field, key in widgets.items()],
        )
    if current is None:
        st.stop()
    st.caption(
        f"Your current model ({current.config.label().split(' · ')[0]}, step {current.step:,}) stays as it is until "
        "a size that fits is chosen."
    )


def progress_line(lab: Lab) -> str:
    """What the lab's live status line says now: the step and losses while training (changed at most every
    core.chart_text.ANNOUNCE_S seconds), a stop's reason at once, else what it said last."""
    progress = st.session_state.setdefault(f"_{lab.key}_progress", ct.Progress())
    t = lab.trainer
    if lab.running and t is not None:
        h = t.history
        choice = loss_chart.choice_of(lab, lab.key)
        text = ct.progress_text(t.step, h.last_smooth(), h.last_val(), choice, lab.chart_x.split(" ")[0])
        return progress.update(text, time.monotonic())
    if lab.note is not None:
        return progress.update(loss_chart.shown(lab, lab.note.text), time.monotonic(), at_once=True)
    return progress.text


def status_region(lab: Lab) -> None:
    """The lab's polite live region (role="status"): one line a screen reader reads out when it changes, kept in
    place from one refresh to the next so that only a changed text is announced. Visually hidden: the metrics and
    the chart show the same numbers."""
    st.markdown(
        f'<div role="status" aria-live="polite" class="rnnp-status" style="{SR_ONLY}">'
        f"{html.escape(progress_line(lab))}</div>",
        unsafe_allow_html=True,
    )


def _browser() -> bool:
    """Whether a browser shows this page (AppTest runs scripts with a stand-in Runtime, and no timer)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def _threaded(lab: Lab) -> bool:
    return lab.schedule.worker and _browser()


def _worker() -> SessionWorker:
    w = st.session_state.get(_WORKER)
    if not isinstance(w, SessionWorker):
        w = st.session_state[_WORKER] = SessionWorker()
    return w


def first_screen() -> tuple[DeltaGenerator, DeltaGenerator, DeltaGenerator]:
    """A lab's first screen: three containers, ``(controls, live, settings)``, in this order in the page (and so for
    the keyboard and a screen reader): Start, Stop and Step; the live area (the chart and the sample); the settings.
    On a screen 640 px wide or more, ui/style.py's grid puts the controls and under them the settings in a left
    column a third wide and the live area beside them; on a phone they follow each other, so the chart that Start
    moves comes right after Start (Streamlit's own columns would stack every setting in between)."""
    with st.container(key=style.FIRST_SCREEN):
        return tuple(st.container(key=f"{style.FIRST_SCREEN}_{part}") for part in style.FIRST_SCREEN_PARTS)


def live_area(lab: Lab, render: Callable[[], None]) -> None:
    """The auto-refreshing part of a lab while it runs: a drawing (the thread trains) or one slice and a drawing per
    tick; each drawing starts with the status line, then ``render()``. With reduced motion (ui/style.py) the page
    draws about every ``style.REDUCED_REDRAW_S`` seconds (in the refreshes, slices run back to back in between).
    While the lab is not training, a browser's drawing starts ``lab.prepare_ahead()`` (once per run), so the first
    slice after Start only trains (AppTest, with no browser, leaves that work to the first slice, as it leaves the
    training to the page's refreshes)."""
    threaded = _threaded(lab)
    was_running = lab.running
    if not was_running and _browser():
        lab.prepare_ahead()  # the first slice's one-time costs, paid while the student reads the page
    calm = style.reduce_motion()

    def interval() -> float:
        every = lab.draw_every() if threaded else lab.schedule.tick_s
        return max(every, style.REDUCED_REDRAW_S) if threaded and calm else every

    every = interval() if was_running else None

    @st.fragment(run_every=every)
    def _tick() -> None:
        lab.mark_drawn()
        if threaded:
            if lab.running:
                _worker().train(lab)  # starts the thread unless it runs (again after the tab came back)
                if was_running and interval() != every:
                    st.rerun()  # the lab draws at a new pace (a run's first minute is over): a new timer
            elif was_running:
                st.rerun()  # the thread stopped: a full rerun turns the timer off and shows why by the buttons
            with lab.lock:  # between two slices of the thread: every part of the lab from the same step
                status_region(lab)
                render()
        elif lab.running:
            start = time.monotonic()
            stop = safe_slice(lab)
            while stop is None and calm and time.monotonic() - start < style.REDUCED_REDRAW_S:
                stop = safe_slice(lab)  # reduced motion: train on, redraw less often (ui/style.py)
            if stop:
                lab.stop(Note(stop.kind, stop.message))
                st.rerun()  # a full rerun turns the timer off and shows the message by the buttons
            status_region(lab)
            render()
            time.sleep(SETTLE_S)  # let the browser take in this refresh before the next one starts
        else:
            status_region(lab)
            render()

    _tick()
