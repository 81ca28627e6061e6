"""Live training on a Streamlit page without blocking it.

Training never runs in a thread: a fragment re-runs every ``interval`` seconds while training is on, runs
one bounded slice of training (``run_slice``) and redraws from the session's history (``render``). The
browser's timer asks for the next run while a slice is still going and Streamlit coalesces those
requests, so while training the refreshes follow each other with only a short settling pause.
Start / Stop / Step are button callbacks that only flip session state (Step runs one slice).
A slice that reports a reason to stop (finished, NaN, error) turns training off and shows the reason.

Everything lives in ``st.session_state`` under the lab's ``key``, so every browser session is isolated.
A session trains one lab at a time: starting one pauses the others (a per-session cap on CPU use), and a
lab's fragment only runs while its page is shown.
"""

from __future__ import annotations

import time
from typing import Callable

import streamlit as st

SliceFn = Callable[[], "str | None"]  # runs one bounded slice; returns a stop reason or None
# A short pause at the end of each training refresh. The browser's timer asks for the next refresh while a
# slice runs, so refreshes would otherwise run back to back; measured with Streamlit 1.67 and Chromium, the
# page then sometimes kept showing elements of an earlier refresh for several seconds (the live sample
# under the chart stayed put while the server had a newer one). 0.05 s was enough in bench/browser.py runs;
# 0.1 s leaves a margin for a busy machine, and costs ~1/8 of a Text-lab refresh (~0.8 s).
SETTLE_S = 0.1


def changes(*items: tuple[str, object, object]) -> list[str]:
    """"what old → new" for every (what, old, new) whose values differ: the reason in a "restarted" note."""
    return [f"{what} {old} → {new}" for what, old, new in items if old != new]


def running_key(key: str) -> str:
    return f"{key}__running"


def is_running(key: str) -> bool:
    return bool(st.session_state.get(running_key(key), False))


def stop(key: str, message: str | None = None) -> None:
    st.session_state[running_key(key)] = False
    if message:
        st.session_state[f"{key}__message"] = message


def _start(key: str) -> None:
    """Start this lab; any other lab of this session that was training is paused (one at a time per session)."""
    ss = st.session_state
    for other in [k[: -len("__running")] for k in list(ss.keys()) if str(k).endswith("__running")]:
        if other != key and ss.get(running_key(other)):
            stop(other, "Paused: training started in another lab. One lab trains at a time in each session; press Start to continue here.")
    ss[running_key(key)] = True
    ss.pop(f"{key}__message", None)


def _safe_slice(key: str, run_slice: SliceFn) -> str | None:
    """Run one slice; an exception becomes a message on the page instead of a traceback."""
    try:
        return run_slice()
    except Exception as exc:  # noqa: BLE001 - shown to the user, training stops, nothing is lost
        return f"Training stopped: {type(exc).__name__}: {exc}"


def _step(key: str, run_slice: SliceFn) -> None:
    reason = _safe_slice(key, run_slice)
    if reason:
        stop(key, reason)


def timed_slice(step_fn: Callable[[], "str | None"], budget_s: float) -> str | None:
    """Call ``step_fn`` (a small chunk of work) repeatedly until ``budget_s`` seconds have passed.

    Returns the first stop reason a chunk reports. At least one chunk always runs.
    """
    t0 = time.perf_counter()
    while True:
        reason = step_fn()
        if reason or time.perf_counter() - t0 >= budget_s:
            return reason


def controls(key: str, run_slice: SliceFn, *, disabled: bool = False, step_label: str = "Step") -> None:
    """Start / Stop / Step buttons for one lab."""
    running = is_running(key)
    c1, c2, c3 = st.columns(3)
    c1.button("▶ Start", key=f"{key}__start", on_click=_start, args=(key,), disabled=running or disabled, type="primary", width="stretch")
    c2.button("■ Stop", key=f"{key}__stop", on_click=stop, args=(key,), disabled=not running, width="stretch")
    c3.button(step_label, key=f"{key}__step", on_click=_step, args=(key, run_slice), disabled=running or disabled, width="stretch")
    message = st.session_state.get(f"{key}__message")
    if message:
        (st.success if message.startswith("Finished") else st.warning)(message)


def live_area(key: str, run_slice: SliceFn, render: Callable[[], None], *, interval: float = 0.5) -> None:
    """The auto-refreshing part of a lab: one slice per tick while running, then ``render()``."""
    running = is_running(key)

    @st.fragment(run_every=interval if running else None)
    def _tick() -> None:
        if is_running(key):
            reason = _safe_slice(key, run_slice)
            if reason:
                stop(key, reason)
                st.rerun()  # a full rerun turns the timer off and shows the message by the buttons
            render()
            time.sleep(SETTLE_S)  # let the browser take in this refresh before the next one starts
        else:
            render()

    _tick()
