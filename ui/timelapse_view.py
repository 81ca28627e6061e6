"""The time-lapse section of every lab page: a slider over the run's kept snapshots (core.timelapse) that shows the
samples and the inspector of the model at step k, and what the snapshots cost in memory.

The live model is never changed: the view samples from ``lab.model_at(step)`` (a read-only copy of the weights at
that step). Other views can show the same step: ``chosen_step(lab)`` is the step the slider points at.
"""

from __future__ import annotations

import streamlit as st

from core import charts
from core.echo import literal
from core.timelapse import SAMPLE_TEMPO, LabSample, lab_sample
from ui import links
from ui.inspector import render_inspector

SEED = 0  # every step is sampled with the same seed, so what changes is the weights
INSPECT_SPAN = 120  # generated tokens the inspector shows at once


def _key(lab, what: str) -> str:
    return f"{lab.key}_tl_{what}"


def chosen_step(lab) -> int | None:
    """The kept step the time-lapse slider points at, for views that show step k too (``lab.model_at(step)``);
    None while the time-lapse is closed or has nothing to show (then show the live model)."""
    if not st.session_state.get(_key(lab, "open")):
        return None
    steps = lab.snapshot_steps() if lab.trainer is not None else []
    if len(steps) < 2:
        return None
    want = st.session_state.get(_key(lab, "step"), steps[-1])
    return min(steps, key=lambda s: (abs(s - want), -s))


def _show_sample(lab, s: LabSample, step: int) -> None:
    key = _key(lab, "inspector")
    if s.kind == "names":
        t = lab.trainer
        shown = (f"**{literal(n)}**" if n and t.is_new(n) else f"{literal(n) or '(empty)'} ✓" for n in s.items)
        st.markdown(" · ".join(shown))
        st.caption(s.note + " New names are **bold**, names of the list are marked ✓.")
        i = st.selectbox(  # keyed by step: the names differ at every step
            "Name to inspect", range(len(s.items)), format_func=lambda i: f"{i + 1}. {s.items[i] or '(empty)'}", key=_key(lab, f"pick_{step}")
        )
        context = f"Generating “{literal(s.items[i])}” with the weights of step {step:,}."
        render_inspector(s.records[i], s.labels, key=key, context=context)
    elif s.kind == "text":
        st.code(s.items[0], language=None, wrap_lines=True)
        if s.note:
            st.caption(s.note)
        recs = s.records[0]
        render_inspector(
            recs[:INSPECT_SPAN], s.labels, key=key,
            context=f"The first {min(INSPECT_SPAN, len(recs))} characters of this sample, with the weights of step {step:,}.",
        )
    else:
        from core import music_codec as mc
        from ui import music_views

        notes = mc.values_to_notes(s.items, SAMPLE_TEMPO)
        st.plotly_chart(
            charts.piano_roll_figure(notes, title=f"{len(s.items)} values composed from silence at step {step:,}", height=240),
            key=_key(lab, "roll"), config={"displayModeBar": False},
        )
        music_views.play_values(s.items, SAMPLE_TEMPO, why=False)
        render_inspector(s.records[0], s.labels, key=key, context=f"Each value of this composition, with the weights of step {step:,}.")


def render(lab) -> None:
    """The time-lapse section (an expander, drawn only while open) for any lab page."""
    if not links.shown("toolkit"):
        return
    t = lab.trainer
    if t is None:
        return
    box = st.expander("⏪ Time-lapse: the model at an earlier step", key=_key(lab, "open"), on_change="rerun")
    if not box.open:
        return  # lazy: nothing is sampled or drawn while it is closed
    with box:
        lapse = lab.timelapse
        steps = lab.snapshot_steps()
        st.caption(
            "While the model trains, the lab keeps copies of its weights, evenly spread over the run: every "
            f"{lapse.every:,} steps now, and when more than {lapse.capacity()} would be kept, every other one is dropped "
            "and the spacing doubles. " + lapse.describe_bound(t.param_count())
        )
        if len(steps) < 2:
            st.info("Train for a moment: the first copies of the weights appear as soon as training starts.")
            return
        k = _key(lab, "step")
        if st.session_state.get(k) is not None and not steps[0] <= st.session_state[k] <= steps[-1]:
            st.session_state[k] = steps[-1]  # a new run: back to its latest step
        want = st.slider(
            "Training step to look at", steps[0], steps[-1], steps[-1], key=k,
            help="Scrub back through training. The slider snaps to the nearest kept copy of the weights; training is not affected.",
        )
        step = min(steps, key=lambda s: (abs(s - want), -s))
        live = step == t.step
        loss = t.history.last_smooth() if live else lapse.at(step).loss
        st.markdown(
            f"**Step {step:,}**" + (" (the live model)" if live else f" of {t.step:,}")
            + ("" if loss is None else f" · running training loss then {loss:.3f}")
            + f" · samples drawn with seed {SEED} at every step, so only the weights differ"
        )
        _show_sample(lab, lab_sample(lab, lab.model_at(step), SEED), step)
