"""Training gets better, never worse: the Keras labs' shared widgets and status lines.

The learning-rate schedule picker and "stop at the best validation" toggle (settings), and, inside the live
area, the current rate, the next-token accuracy, the memorising message with its one-click way back to the best
weights (the trainer's ``events`` are drawn as marks by ui/loss_chart.py). The logic is in core
(core.models.lr_schedule, core.models.trainer's
BestKeeper, the labs' ``memorising`` / ``restore_best``); this module only draws.
"""

from __future__ import annotations

import streamlit as st

from core.labs.settings import Param
from core.models.lr_schedule import describe
from ui import loss_chart, settings
from ui.toolkit import links

ACCURACY_NOTE = (
    "Accuracy only asks whether the single most likely {unit} is the right one; the loss also counts how much "
    "probability "
    "the right {unit} got (it improves even when the top guess does not change, and it is what training minimises), "
    "so the loss is the better measure."
)


def schedule_select(p: Param, cell: str = "lstm") -> str:
    """The learning-rate schedule picker (setting ``p``); a change is a retune of the running model, not a new run."""
    kind = settings.widget(p)  # hidden by a lesson link's hide=training: the default (or the link's) value
    links.group(p.group).caption(describe(kind, cell))
    return kind


def stop_at_best_toggle(lab, p: Param) -> None:
    """The "stop at the best validation" toggle (setting ``p``); sets ``lab.stop_at_best`` (applied to the run on
    configure)."""
    lab.stop_at_best = bool(settings.widget(p))


def status(lab, key: str, unit: str) -> None:
    """Current rate and next-token accuracy, then the best validation so far or the memorising message with the
    button that restores the best weights. Drawn inside the live area (it changes while training)."""
    t = lab.trainer
    acc = t.history.last_acc()
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Learning rate now",
        f"{t.lr_now():.2g}",
        help="The rate Adam uses at the next step (the schedule's current value).",
    )
    c2.metric(
        "Next-token accuracy",
        "–" if acc is None else f"{100 * acc:.1f}%",
        help=f"How often the most likely {unit} is the right one, on the held-out part. "
        + ACCURACY_NOTE.format(unit=unit),
    )
    b = t.keeper.best
    c3.metric(
        f"Best validation ({loss_chart.choice_of(lab, key)})",
        loss_chart.loss_text(lab, key, None if b is None else b.val, 3),
        help="The lowest validation loss so far, in the loss chart's unit, and its step.",
        delta=None if b is None else f"at step {b.step:,}",
        delta_color="off",
        delta_arrow="off",
    )
    if acc is not None:
        st.caption(ACCURACY_NOTE.format(unit=unit))
    message = loss_chart.shown(lab, lab.memorising())
    if message:
        st.warning("🧠 " + message)
        if st.button(
            f"↩ Go back to the best weights (step {b.step:,})",
            key=f"{key}_restore_best",
            type="primary",
            help="Puts back the weights of the lowest validation loss and pauses training; the chart marks it.",
        ):
            lab.restore_best()
            st.rerun()  # the whole page: the buttons and the note by them follow (the live area alone would not)


def generated_with(weights: str) -> str:
    """A caption fragment: which weights produced a sample or composition."""
    return f"Generated with {weights}." if weights else ""
