"""The Dinosaur lab's views of what happens inside, drawn by pages/dinosaurs.py.

- ``clip_controls``: clipping on/off and the clip value (DinoConfig.clip_value; a retune, never a restart).
- ``explosion_buttons``: "Show an explosion" (no clipping, learning rate 1: the guard catches it) and "Back to the
  course's settings".
- ``backprop``: backpropagation through time for one name: ||da<t>|| at every step, what each step added to each
  gradient, and how many entries clipping cut (numpy_rnn.BPTTTrace).
- ``formula``: the course's two equations with the live numbers at the inspector's step (numpy_rnn.FormulaStep).
- ``explanations``, ``loss_note``: the training loop's explanations (equations, carried state; the smoothed loss's
start).

Simplified on purpose: only the first components of each vector are shown (the tables say how many there are).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import chart_text as ct
from core import charts
from core.echo import literal
from core.labs.dino_lab import COURSE, EXPLOSION, DinoLab
from core.labs.lab import Note
from core.models import numpy_rnn as nr
from ui import chart_text, explain, glossary, settings
from ui.inspector import step_key
from ui.persist import remember
from ui.toolkit import links

S = DinoLab.settings()  # the page's settings (the clip widgets are drawn here)
COURSE_CLIP = COURSE["clip_value"]
SHOWN_UNITS = 6  # hidden units shown in the formula table
SHOWN_OUTPUTS = 5  # top entries of y-hat shown


# ---------------------------------------------------------------------------------------------- settings
def clip_controls(lr: float) -> float | None:
    """Clipping on/off and its value; returns DinoConfig.clip_value (None: off). Warns about extreme settings."""
    on = settings.widget(S["clip"])  # hidden with the other training settings by a link's hide=
    value = float(settings.widget(S["clip_value"], disabled=not on))
    if not links.shown("training"):
        return value if on else None
    if on and value < 0.05:
        st.warning(
            f"Clipping at ±{value:g} cuts almost every gradient entry: each update is tiny and the model learns very "
            "slowly."
        )
    elif on and value >= 1000:
        st.caption(f"Clipping at ±{value:g} almost never cuts anything here: it is as good as off.")
    if lr >= 1.0:
        st.warning(
            f"A learning rate of {lr:g} is far above the course's 0.01: expect the loss to explode (the guard will "
            "stop training)."
        )
    return value if on else None


def _explode(lab: DinoLab) -> None:
    remember(S["lr"].key, EXPLOSION["learning_rate"])
    remember(S["clip"].key, False)
    stop = lab.show_explosion()
    lab.stop(Note(stop.kind, stop.message))


def _course(lab: DinoLab) -> None:
    remember(S["lr"].key, COURSE["learning_rate"])
    remember(S["clip"].key, True)
    remember(S["clip_value"].key, float(COURSE_CLIP))
    lab.note = None


def explosion_buttons(lab: DinoLab) -> None:
    """One click shows an explosion (and the guard catching it); another puts the course's settings back."""
    if not links.shown("training"):
        return
    c1, c2 = st.columns(2)
    c1.button(
        "💥 Show an explosion",
        key="dino_explode",
        on_click=_explode,
        args=(lab,),
        disabled=lab.running or lab.trainer.done,
        width="stretch",
        help=f"Clipping off and learning rate {EXPLOSION['learning_rate']:g}, then train until the guard stops it.",
    )
    c2.button(
        "↺ Course's settings",
        key="dino_course_settings",
        on_click=_course,
        args=(lab,),
        width="stretch",
        help=f"Clip at ±{COURSE_CLIP:g}, learning rate {COURSE['learning_rate']:g}.",
    )


# ---------------------------------------------------------------------------------------------- BPTT and clipping
def _step_labels(trace: nr.BPTTTrace, decode) -> list[str]:
    """'t: x → y' per step, in the course's 1-based t."""
    out = []
    for t, (x, y) in enumerate(zip(trace.inputs, trace.targets)):
        xin = "0" if x is None else decode([x])
        out.append(f"{t + 1}: {xin}→{decode([y])}".replace("\n", "⏎"))
    return out


def clip_table(trace: nr.BPTTTrace) -> list[dict]:
    """One row per gradient: its size, norm before and after clipping, largest entry, entries clipped."""
    rows = []
    for g in nr.GRAD_NAMES:
        rows.append(
            {
                "gradient": g,
                "entries": trace.entries[g],
                "‖g‖ before clip": trace.grad_norm[g],
                "largest |entry|": trace.grad_max[g],
                "‖g‖ after clip": trace.clipped_norm[g],
                "entries clipped": trace.clipped[g],
            }
        )
    return rows


def _pick_trace(lab: DinoLab):
    """(trace, description) for the name the student chose, or (None, message)."""
    t = lab.trainer
    which = st.radio(
        "Name",
        ["The last name trained on", "A name I type"],
        horizontal=True,
        key="dino_bptt_which",
        label_visibility="collapsed",
    )
    if which == "A name I type":
        typed = st.text_input("Name to follow back through time", "tyrannosaurus", key="dino_bptt_name", max_chars=60)
        try:
            what = f"“{literal(typed.strip().lower())}” on the current weights, from a⟨0⟩ = 0 (nothing is updated)"
            return t.trace_name(typed), what
        except ValueError as exc:
            return None, literal(str(exc), 300)
    if t.last_trace is None:
        return None, "Train a few names (press Step) and the last one's backward pass appears here."
    name = t.decode(i for i in t.last_trace.inputs[1:])
    if t.last_trace_exploded:
        return (
            t.last_trace,
            f"name {t.last_trace_at:,} “{name}”: **the one that exploded** (the guard stopped training here; its "
            "update was not applied)",
        )
    return t.last_trace, f"name {t.last_trace_at:,} “{name}”, with the weights and the carried a⟨0⟩ it was trained with"


def backprop(lab: DinoLab, live: bool = True) -> None:
    """Backpropagation through time and clipping for one name (updates live while training, when ``live``: its tab
    is open)."""

    @st.fragment(run_every=lab.schedule.tick_s * 2 if lab.running and live else None)
    def _view() -> None:
        trace, what = _pick_trace(lab)
        if trace is None:
            st.info(what)
            return
        clip = "no clipping" if trace.clip_value is None else f"clip at ±{trace.clip_value:g}"
        glossary.caption(f"Backward pass of {what}; loss {trace.loss:,.2f} nats, {clip}.")
        if not trace.finite:
            st.warning("Some of these numbers overflowed (inf or NaN): the gradients were too large for 64-bit floats.")
        labels = _step_labels(trace, lab.trainer.decode)
        fig = charts.bptt_figure(trace.da_norm, trace.da_future_norm, trace.step_norms, labels)
        chart_text.show(
            fig, key="dino_bptt_fig", name="Backward pass chart", summary=ct.bptt_summary(trace.da_norm, labels)
        )
        st.caption(
            "Bars: how large the gradient reaching a⟨t⟩ is (dark: all of it; light: the part that came back from "
            "step t+1). "
            "Lines: what step t added to each gradient; dWax's part equals db's (x⟨t⟩ is one-hot) except at t = 1, "
            "where x⟨1⟩ = 0."
        )
        st.dataframe(
            clip_table(trace),
            hide_index=True,
            key="dino_clip_table",
            column_config={
                c: st.column_config.NumberColumn(format="%.4g")
                for c in ("‖g‖ before clip", "largest |entry|", "‖g‖ after clip")
            },
        )
        total = trace.total_clipped
        if trace.clip_value is None:
            st.caption("Clipping is off: the update used these gradients as they are.")
        else:
            st.caption(
                f"{total:,} of {sum(trace.entries.values()):,} gradient entries were beyond ±{trace.clip_value:g} "
                "and were set to "
                f"±{trace.clip_value:g} before the update."
                if total
                else f"No entry reached ±{trace.clip_value:g}: clipping changed nothing on this name."
            )
        t = lab.trainer
        if len(t.grad_log) > 1:
            chart_text.show(
                charts.grad_history_figure(t.grad_log),
                key="dino_grad_history",
                name="Gradient size over training",
                summary=ct.grad_history_summary(t.grad_log),
            )
            st.caption(
                "Over training: the size of all gradients together, before and after clipping, for the last name of "
                "every chunk of "
                "training (each with the clip set at the time); a cross marks a name where the guard caught an "
                "explosion."
            )

    st.divider()
    st.subheader("Backpropagation through time and clipping")
    clip = lab.trainer.config.clip_value
    with st.expander("How to read this", expanded=False):
        explain.show("dino_bptt", clip="∞ (clipping is off)" if clip is None else f"{clip:g}")
    _view()


# ---------------------------------------------------------------------------------------------- formula
_TEX = {
    "\\": r"\backslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "^": r"\hat{}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "~": r"\sim{}",
}


def _tex_label(label: str) -> str:
    """A vocabulary label as LaTeX (⏎, the newline, becomes \\n)."""
    if label == "⏎":
        return r"\backslash\mathtt{n}"
    return r"\texttt{" + "".join(_TEX.get(c, c) for c in label) + "}"


def _vec(v: np.ndarray, k: int) -> str:
    """LaTeX column of the first k entries of v (n, 1), with dots when there are more."""
    entries = [f"{x:.3f}" for x in v.ravel()[:k]] + ([r"\vdots"] if v.size > k else [])
    return r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"


def formula_tables(
    f: nr.FormulaStep, labels, k_units: int = SHOWN_UNITS, k_out: int = SHOWN_OUTPUTS
) -> tuple[list[dict], list[dict]]:
    """The hidden-state table (first k units) and the output table (top k entries of y-hat)."""
    hidden = [
        {
            "unit": i + 1,
            "Wax x⟨t⟩": float(f.Wax_x[i, 0]),
            "Waa a⟨t−1⟩": float(f.Waa_a[i, 0]),
            "b": float(f.b[i, 0]),
            "sum": float(f.z[i, 0]),
            "a⟨t⟩ = tanh(sum)": float(f.a[i, 0]),
        }
        for i in range(min(k_units, f.a.shape[0]))
    ]
    top = np.argsort(-f.y_hat.ravel(), kind="stable")[:k_out]
    out = [
        {
            "letter": labels[i],
            "Wya a⟨t⟩": float(f.Wya_a[i, 0]),
            "by": float(f.by[i, 0]),
            "sum": float(f.logits[i, 0]),
            "ŷ⟨t⟩ = softmax": float(f.y_hat[i, 0]),
        }
        for i in top
    ]
    return hidden, out


def formula(lab: DinoLab, choice: int) -> None:
    """The course's equations with the numbers of the inspector's step, for sampled name ``choice``."""
    if not lab.sampled or lab.sampled_parameters is None or not 0 <= choice < len(lab.sampled):
        return
    inputs = lab.sampled_inputs(choice)
    step = int(st.session_state.get(step_key("dino_inspector"), 0) or 0)
    step = min(max(step, 0), len(inputs) - 1)
    f = nr.formula_step(lab.sampled_parameters, inputs, step)
    labels = lab.trainer.labels
    n_a = f.a.shape[0]
    st.subheader("The formulas at this step")
    x = "the zero vector (the first step)" if f.input_index is None else f"the one-hot of `{labels[f.input_index]}`"
    st.caption(
        f"Step {step} of the inspector (the course's t = {step + 1}): x⟨t⟩ is {x}, a⟨t−1⟩ the hidden state after the "
        "letters before. "
        f"Weights as they were when the names were sampled (iteration {lab.sampled_step:,}); the first {min(3, n_a)} "
        f"of {n_a} components."
    )
    k = 3
    st.latex(
        r"a^{\langle t \rangle} = \tanh(W_{ax} x^{\langle t \rangle} + W_{aa} a^{\langle t-1 \rangle} + b) = "
        r"\tanh\left("
        + _vec(f.Wax_x, k)
        + " + "
        + _vec(f.Waa_a, k)
        + " + "
        + _vec(f.b, k)
        + r"\right) = "
        + _vec(f.a, k)
    )
    top = np.argsort(-f.y_hat.ravel(), kind="stable")[:k]
    names = ", ".join(_tex_label(labels[i]) for i in top)
    st.latex(
        r"\hat y^{\langle t \rangle} = \mathrm{softmax}(W_{ya} a^{\langle t \rangle} + b_y):\quad \text{top } "
        + names
        + r" = "
        + r"\begin{bmatrix}"
        + r" \\ ".join(f"{f.y_hat[i, 0]:.3f}" for i in top)
        + r"\end{bmatrix}"
    )
    hidden, out = formula_tables(f, labels)
    c1, c2 = st.columns([3, 2])
    c1.dataframe(
        hidden,
        hide_index=True,
        key="dino_formula_hidden",
        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in list(hidden[0])[1:]},
    )
    c2.dataframe(
        out,
        hide_index=True,
        key="dino_formula_out",
        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in list(out[0])[1:]},
    )
    st.caption(
        f"Left: the first {len(hidden)} of {n_a} hidden units. Right: the {len(out)} most likely letters; ŷ⟨t⟩ is "
        "the model's own "
        "distribution (T = 1), the light bars of the inspector."
    )


# ---------------------------------------------------------------------------------------------- explanations
def explanations(lab: DinoLab) -> None:
    """The training loop explained (the "What is happening" expander): the course's equations and clipping, the carried
    state."""
    clip = lab.trainer.config.clip_value
    explain.show("dino_training", clip=r"\infty" if clip is None else f"{clip:g}")
    if clip is None:
        st.caption("Clipping is off now: the update uses the raw gradients.")
    explain.show("dino_carry_state")


def loss_note(lab: DinoLab, names: list[str]) -> None:
    """Under the loss chart: why the course's smoothed loss starts at 7 ln V and first rises."""
    v = explain.dino_values(names, lab.trainer.vocab_size)
    rises = v["uniform"] > v["start"]
    with st.expander(f"Why the smoothed loss starts at {v['start']:.2f}" + (" and rises first" if rises else "")):
        explain.show("dino_smooth_loss", **v)
