"""The "Influence" and "How far back" tabs of Look inside (ui/inside/tabs.py), for every lab.

Influence: pick a generated (or, in the Text lab, typed) sequence and a position; every earlier token is shaded by
the gradient norm of the chosen token's log-probability with respect to that token's input vector
(core.inside.influence). Coloured text for names and text, a shaded piano roll for music.
How far back: the mean of the same norm against the distance back, measured on held-out data on a button press;
each run's latest curve is kept in this session (``st.session_state``) so runs can be compared.

Results are cached in the session per (run, step, sequence, position): a page rerun for another widget costs nothing.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import numpy as np
import streamlit as st

from core import chart_text as ct
from core import charts, palette
from core.inside import influence as inf
from ui import chart_text, glossary

CACHE_SIZE = 16  # influence results kept per lab and session
TYPED, GENERATED = "A text I type or paste", "The generated text"
GUIDE = (
    "Reading guide: the darker an earlier {unit}, the more the model's log-probability of the outlined {unit} "
    "changes when "
    "that input is nudged (the gradient's norm, relative to the largest here)."
)


# ---------------------------------------------------------------------------------------------- helpers
def _store(lab, name: str) -> dict:
    """A per-lab, per-session dict in st.session_state (never module state)."""
    return st.session_state.setdefault(f"inside_{lab.key}_{name}", {})


def _model(lab, step: int | None) -> tuple[Any, int, str | None]:
    """The model to explain: the weights at ``step`` when the lab kept them (core.labs.lab.Lab.model_at, the
    time-lapse's
    snapshots), else the current ones -> (TokenModel, its step, a note when the sequence came from another step)."""
    t = lab.trainer
    if step is not None and step != t.step:
        model_at = getattr(lab, "model_at", None)
        if model_at is not None:
            try:
                return model_at(step), step, None
            except (KeyError, ValueError, AttributeError):
                pass
        return (
            _current(lab),
            t.step,
            f"It was generated at step {step:,}; the influence is measured on the model now (step {t.step:,}).",
        )
    return _current(lab), t.step, None


def _current(lab):
    """The current weights as a TokenModel, copied once per (run, step) (a Keras model's copy takes a few ms)."""
    cache = _store(lab, "model")
    key = (lab.run_number, lab.trainer.step)
    if cache.get("key") != key:
        cache.clear()
        cache.update(key=key, model=lab.trainer.token_model())
    return cache["model"]


def _influence(lab, model, model_step: int, seq: inf.Explained, j: int) -> tuple[inf.Influence, int]:
    cache = _store(lab, "influence")
    key = (lab.run_number, model_step, seq.tokens, int(j))
    if key not in cache:
        if len(cache) >= CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = inf.explain(model, seq, j, np.float32)  # float32, as the models compute
    return cache[key]


def shaded_html(labels, shares, chosen: int, start: int, after: int = 40) -> str:
    """Tokens start … chosen (+ ``after`` faint ones) as HTML: earlier tokens shaded by their share, the chosen one
    outlined; newlines break the line after their ⏎ mark. Every label is escaped."""
    parts = []
    for k in range(start, min(len(labels), chosen + 1 + after)):
        text = html.escape(labels[k]).replace("␣", "&nbsp;")
        if k < chosen:
            s = float(shares[k - start])
            bg = palette.shade(s)
            style = f"background:{bg};color:{palette.text_on(bg)}"
            title = f"{s:.0%} of the largest · {chosen - k} back"
        elif k == chosen:
            style = f"outline:2px solid {palette.DARK};background:#deebf7;color:{palette.TEXT};font-weight:bold"
            title = "the predicted token"
        else:
            style = f"color:{palette.MUTED};font-style:italic"
            title = "later (no influence)"
        parts.append(f"<span title='{title}' style='{style};padding:1px 0;border-radius:2px'>{text}</span>")
        if labels[k] == "⏎":
            parts.append("<br>")
    return (
        "<div style='font-family:monospace;font-size:1.05rem;line-height:1.9;white-space:normal;word-break:break-all'>"
        + "".join(parts)
        + "</div>"
    )


def _position(lab, seq: inf.Explained, key: str, label: str) -> int:
    """The chosen position (default: the last); no slider when there is only one."""
    lo, hi = seq.first, len(seq) - 1
    if hi < lo:
        raise inf.InfluenceError("The sequence is too short: it needs a token with something before it.")
    if hi == lo:
        return hi
    return int(st.slider(label, lo, hi, hi, key=f"{key}_{len(seq)}", help="Which token's prediction to explain"))


def _summary(seq: inf.Explained, res: inf.Influence, start: int, j: int, unit: str) -> str:
    top = np.argsort(-res.norms, kind="stable")[:3]
    strongest = ", ".join(f"`{seq.labels[start + i]}` ({j - start - i} back)" for i in top if res.norms[i] > 0)
    return f"p({unit} `{seq.labels[j]}`) = {np.exp(res.logp):.3f}. Strongest influence: {strongest or 'none'}."


def _show_text(lab, seq: inf.Explained, key: str, unit: str, note: str | None = None) -> None:
    j = _position(lab, seq, f"{key}_pos", f"Position of the {unit} to explain")
    model, model_step, stale = _model(lab, seq.step)
    res, start = _influence(lab, model, model_step, seq, j)
    earlier = list(seq.labels[start:j])
    st.caption(
        chart_text.summary_line("Influence", ct.influence_summary(earlier, res.share, seq.labels[j], unit + "s"))
    )
    st.markdown(shaded_html(seq.labels, res.share, j, start), unsafe_allow_html=True)
    chart_text.table_of(ct.influence_table(earlier, res.share))
    glossary.caption(GUIDE.format(unit=unit) + " " + _summary(seq, res, start, j, unit))
    for n in (note, stale, _cut_note(start)):
        if n:
            st.caption(n)


def _cut_note(start: int) -> str | None:
    if start == 0:
        return None
    return (
        f"The position is more than {inf.MAX_CONTEXT} tokens in: only the last {inf.MAX_CONTEXT} are fed (from a "
        "fresh state), so its probability can differ a little."
    )


# ---------------------------------------------------------------------------------------------- influence
def _typed(lab, k: str) -> None:
    """A text the student types, read with the model's vocabulary."""
    typed = st.text_area(
        "Text to analyse (the model reads it one character at a time)",
        key=f"{k}_typed",
        height=100,
        placeholder="ROMEO:\nBut soft, what light through yonder window breaks?",
    )
    try:
        seq, note = inf.text_typed(lab, typed)
    except inf.InfluenceError as exc:
        if typed:
            st.error(str(exc))
        else:
            st.info(str(exc))
        return
    _show_text(lab, seq, f"{k}_typed", lab.token_name, note)


def _show_roll(lab, seq: inf.Explained, k: str) -> None:
    """A composition on a piano roll, its earlier values shaded; the silent start is position 0."""
    n = len(seq) - 1  # values: sequence position k is value k − 1 (position 0 is the silent start)
    v = (
        n - 1
        if n < 2
        else int(
            st.slider(
                "Value to explain (0 = the first value)",
                0,
                n - 1,
                n - 1,
                key=f"{k}_value_{n}",
                help="Which value's prediction to explain",
            )
        )
    )
    j = v + 1
    model, model_step, stale = _model(lab, seq.step)
    res, start = _influence(lab, model, model_step, seq, j)
    values = list(seq.labels[1:])  # the values in time order (position k of the sequence is value k − 1)
    shares = np.zeros(len(values))
    s = res.share  # over tokens start … j − 1
    for i in range(start, j):
        if i >= 1:
            shares[i - 1] = s[i - start]
    start_share = float(s[0]) if start == 0 else None
    names = [lab.token_text(v) for v in values]  # the values as the page writes them (C4q, [C4 E4]h, Rq)
    fig = charts.influence_roll_figure(values, shares, j - 1, names=names, tempo=seq.tempo, start_share=start_share)
    chart_text.show(
        fig,
        key=f"{k}_roll",
        name="Influence piano roll",
        summary=ct.influence_summary(names[: j - 1], shares[: j - 1], names[j - 1], "values"),
        table=ct.influence_table(names[: j - 1], shares[: j - 1]),
    )
    shown = replace(seq, labels=(seq.labels[0], *names))
    glossary.caption(GUIDE.format(unit=lab.token_name) + " " + _summary(shown, res, start, j, lab.token_name))
    for note in (stale, _cut_note(start)):
        if note:
            st.caption(note)


def _explain(lab) -> None:
    k = f"{lab.key}_inside"
    if lab.no_model():
        st.info("There is no model yet.")
        return
    if lab.reads_typed_text and st.radio("Explain", [GENERATED, TYPED], horizontal=True, key=f"{k}_source") == TYPED:
        _typed(lab, k)
        return
    seqs = inf.lab_sequences(lab)
    if not seqs:
        st.info(lab.explain_hint)
        return
    if lab.explain_picker:  # several sequences: the student picks one
        batch = abs(hash(tuple(n for n, _ in seqs))) % 10**8  # a new batch gets a new picker (its labels change)
        i = st.selectbox(
            lab.explain_picker,
            range(len(seqs)),
            format_func=lambda m: f"{m + 1}. {seqs[m][0]}",
            key=f"{k}_name_{batch}",
        )
        seq, key = seqs[i][1], f"{k}_{i}"
    else:
        seq, key = seqs[-1][1], f"{k}_gen"
    if seq.tempo is not None:
        _show_roll(lab, seq, k)
    else:
        _show_text(lab, seq, key, lab.token_name, lab.explain_note)
    if lab.explain_legend:
        st.caption(lab.explain_legend)


def render_influence(lab) -> None:
    """The Influence tab for any lab (its sequences come from the lab object)."""
    try:
        _explain(lab)
    except inf.InfluenceError as exc:
        st.error(str(exc))


# ---------------------------------------------------------------------------------------------- how far back
def render_distance(lab) -> None:
    """The How far back tab: measure the current model on a button press; every run's latest curve is overlaid."""
    curves = _store(lab, "curves")  # run label -> (step, DistanceCurve, what it was measured on)
    st.caption(
        "The mean influence of a token on a prediction, against how far back it is (log–log). A line that falls "
        "steeply "
        "forgets fast (vanishing gradients); a flatter one still uses tokens far back. Measure runs of the same size, "
        "e.g. SimpleRNN vs LSTM vs GRU, to compare them."
    )
    c1, c2 = st.columns([1, 1])
    label = lab.run_label()
    if c1.button("📏 Measure the current model", key=f"{lab.key}_inside_measure", type="primary"):
        try:
            with st.spinner("Measuring…"):
                curve, what = inf.measure_lab(lab)
            curves[label] = (lab.trainer.step, curve, what)
            while len(curves) > 8:  # bounded: the oldest runs go first
                curves.pop(next(iter(curves)))
        except inf.InfluenceError as exc:
            st.error(str(exc))
    if c2.button("Clear the curves", key=f"{lab.key}_inside_clear", disabled=not curves):
        curves.clear()
    lines = [(f"{name} · step {step:,}", c.distances, c.mean) for name, (step, c, _) in curves.items()]
    current = f"{label} · step {curves[label][0]:,}" if label in curves else None
    chart_text.show(
        charts.distance_figure(lines, current=current),
        key=f"{lab.key}_inside_distance",
        name="How far back chart",
        summary=ct.distance_summary(lines),
    )
    if label in curves:
        step, c, what = curves[label]
        far = c.mean[-1] / c.mean[0] if c.mean[0] > 0 else float("nan")
        st.caption(
            f"This run at step {step:,}: measured on {what} in {c.seconds:.2f} s. The token {c.distances[-1]} back "
            "moves the "
            f"prediction {far:.2g}× as much as the one just before it."
        )
    elif curves:
        st.caption("The current run has not been measured yet.")
