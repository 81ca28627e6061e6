"""The time-lapse section of every lab page: a slider over the run's kept snapshots (core.models.timelapse) that shows
the
samples and the inspector of the model at step k, and what the snapshots cost in memory.

The live model is never changed: the view samples from ``lab.model_at(step)`` (a read-only copy of the weights at
that step). Other views can show the same step: ``chosen_step(lab)`` is the step the slider points at.

While the lab trains, the open section is a fragment that redraws itself every ``REFRESH_S`` seconds, so its step
line and the live model's sample follow training. The slider's stops are the kept steps and "live" (the model as it
trains, whatever its step): a stop the student picked stays picked while training adds snapshots; a kept step
that was dropped (the spacing doubled) moves to the nearest kept one.
"""

from __future__ import annotations

import streamlit as st

from core.echo import literal
from core.models.timelapse import SAMPLE_TEMPO, LabSample
from ui import chart_text, loss_chart
from ui.inspector import render_inspector
from ui.toolkit import links

SEED = 0  # every step is sampled with the same seed, so what changes is the weights
INSPECT_SPAN = 120  # generated tokens the inspector shows at once
REFRESH_S = 2.0  # while training, the open section redraws this often (its own fragment, between training slices)
LIVE = "live"  # the slider's last stop: the live model, at whatever step training is


def _key(lab, what: str) -> str:
    return f"{lab.key}_tl_{what}"


def _stops(lab) -> list:
    """The slider's stops: the kept steps before the live one, then ``LIVE``."""
    return [s for s in lab.timelapse.steps if s < lab.trainer.step] + [LIVE]


def _nearest(stops: list, want, live_step: int) -> int | str:
    """The stop for ``want`` (a step, or ``LIVE``): itself if kept, else the nearest kept step; ``LIVE`` for a step
    at or beyond the live one (a new run started) or when nothing is kept."""
    kept = stops[:-1]
    if want == LIVE or want in kept:
        return want
    if not isinstance(want, int) or not kept or want >= live_step:
        return LIVE
    return min(kept, key=lambda s: (abs(s - want), -s))


def chosen_step(lab) -> int | None:
    """The step the time-lapse slider points at, for views that show step k too (``lab.model_at(step)``);
    None while the time-lapse is closed or has nothing to show (then show the live model)."""
    if not st.session_state.get(_key(lab, "open")) or lab.trainer is None:
        return None
    stops = _stops(lab)
    if len(stops) < 2:
        return None
    live = int(lab.trainer.step)
    want = _nearest(stops, st.session_state.get(_key(lab, "step"), LIVE), live)
    return live if want == LIVE else want


def _show_sample(lab, s: LabSample, step: int) -> None:
    key = _key(lab, "inspector")
    if s.kind == "names":
        t = lab.trainer
        shown = (f"**{literal(n)}**" if n and t.is_new(n) else f"{literal(n) or '(empty)'} ✓" for n in s.items)
        st.markdown(" · ".join(shown))
        st.caption(s.note + " New names are **bold**, names of the list are marked ✓.")
        i = st.selectbox(  # keyed by step: the names differ at every step
            "Name to inspect",
            range(len(s.items)),
            format_func=lambda i: f"{i + 1}. {s.items[i] or '(empty)'}",
            key=_key(lab, f"pick_{step}"),
        )
        render_inspector(
            s.records[i],
            s.labels,
            key=key,
            context=f"Generating “{literal(s.items[i])}” with the weights of step {step:,}.",
        )
    elif s.kind == "text":
        st.code(s.items[0], language=None, wrap_lines=True)
        if s.note:
            st.caption(s.note)
        recs = s.records[0]
        render_inspector(
            recs[:INSPECT_SPAN],
            s.labels,
            key=key,
            context=f"The first {min(INSPECT_SPAN, len(recs))} characters of this sample, with the weights of step "
            f"{step:,}.",
        )
    else:
        from core.music import music_codec as mc
        from ui.labs import music_views

        notes = mc.values_to_notes(s.items, SAMPLE_TEMPO)
        chart_text.piano_roll(
            notes,
            key=_key(lab, "roll"),
            name="Piano roll of the time-lapse composition",
            title=f"{len(s.items)} values composed from silence at step {step:,}",
            height=240,
        )
        music_views.play_values(
            s.items, SAMPLE_TEMPO, why=False, alt=f"Composition from silence with the weights of step {step:,}"
        )
        render_inspector(
            s.records[0],
            s.labels,
            key=key,
            context=f"Each value of this composition, with the weights of step {step:,}.",
        )


def render(lab, live: bool = True) -> None:
    """The time-lapse section (an expander, drawn only while open) for any lab page; while the lab trains it
    redraws itself when ``live`` (its tab is open)."""
    if not links.shown("toolkit"):
        return
    t = lab.trainer
    if t is None:
        return
    box = st.expander("⏪ Time-lapse: the model at an earlier step", key=_key(lab, "open"), on_change="rerun")
    if not box.open:
        return  # lazy: nothing is sampled or drawn while it is closed
    with box:
        # its own fragment: while training it redraws on a timer (the live step moves on), and moving the slider
        # redraws only this section
        st.fragment(run_every=REFRESH_S if lab.running and live else None)(_section)(lab)


def _section(lab) -> None:
    t = lab.trainer
    lapse = lab.timelapse
    st.caption(
        "While the model trains, the lab keeps copies of its weights, evenly spread over the run: "
        f"{lapse.spacing()} now, and when more than {lapse.capacity()} would be kept, every other one is dropped "
        "and the spacing doubles. " + lapse.describe_bound(t.param_count())
    )
    stops = _stops(lab)
    if len(stops) < 2:
        st.info("Train for a moment: the first copies of the weights appear as soon as training starts.")
        return
    k = _key(lab, "step")
    live_step = int(t.step)
    # set before the slider is drawn: a stop that is gone (dropped, or a new run) moves to the nearest one
    stop = _nearest(stops, st.session_state.get(k, LIVE), live_step)
    if st.session_state.get(k) != stop:
        st.session_state[k] = stop
    want = st.select_slider(
        "Training step to look at",
        stops,
        key=k,
        format_func=lambda s: f"{s:,}" if s != LIVE else LIVE,
        help="Scrub back through training: the stops are the kept copies of the weights, and “live” is the model "
        "as it trains. The step you pick stays picked while training goes on; training is not affected.",
    )
    live = want == LIVE
    step = live_step if live else want
    loss = t.history.last_smooth() if live else lapse.at(step).loss
    st.markdown(
        f"**Step {step:,}**"
        + (" (the live model)" if live else f" of {live_step:,}")
        + ("" if loss is None else f" · running training loss then {loss_chart.loss_phrase(lab, lab.key, loss, 3)}")
        + f" · samples drawn with seed {SEED} at every step, so only the weights differ"
    )
    _show_sample(lab, lab.short_sample(lab.model_at(step), SEED), step)
