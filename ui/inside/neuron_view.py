"""The "Neurons" and "Gates" tabs of Look inside, for the Text, Music and Dinosaur labs.

Neurons: the lab's input (a text, a music piece or composition, dinosaur names) is run through the current
weights in numpy (core.inside.neurons); the input is coloured by one unit's activation (h, and c for an LSTM) and
"Find interesting units" ranks the units by correlation with simple features of the input. Gates: the share
of steps each LSTM/GRU gate is nearly closed or nearly open over a stretch of held-out data, one point per unit.

Both recompute only when the run or the input changed, or the model's step changed while training is stopped (kept
in this session's state); while training runs, a tab keeps the weights it last read (and says from which step) until
the student presses ↻ Refresh, so page reruns during training don't redo the pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core import chart_text as ct
from core import charts
from core.inside import neurons as nu
from core.labs.lab import NothingToRead, Pieces, TypedNames, TypedText
from core.text.text_data import char_label
from ui import chart_text, glossary

TEXT_CHARS = 500  # characters of held-out text the Text lab analyses by default
MAX_TEXT = 1000  # longest text the Neurons tab reads (more is cut, with a message)
MUSIC_VALUES = 300  # values of a piece the Music lab analyses
GATE_STEPS = 1000  # steps of held-out data the Gates tab counts over
DINO_NAMES = 8  # names shown by default in the Dinosaur lab
MAX_NAMES = 40  # names the Dinosaur lab reads at most
TOP = 10  # units listed by "Find interesting units"
ss = st.session_state

STRONGEST, CHOOSE = "the strongest", "one I choose"  # which unit the Neurons tab colours by
STATE_SHORT = {"h": "h (hidden)", "c": "c (cell)"}
STATE_HELP = (
    "h: the hidden state, what the layer outputs at each step. c: an LSTM's cell state, its memory (h = o · tanh(c))."
)
GUIDE = (
    "Vermillion: the unit is positive after reading that {what}; blue: negative; white: near 0 ({scale}). "
    "Hover for the value."
)
LETTER_SIGNS = (
    f" From {nu.MARKED:.0%} of the scale on, letters are also underlined: solid when positive, dotted when negative."
)


@dataclass(frozen=True)
class Input:
    """What the Neurons tab analyses: the steps, their labels and features."""

    sequences: tuple  # token sequences, each run from a zero state (one for text and music, one per name)
    pieces: tuple  # (T,) what each step shows (a character, a value, a letter)
    features: tuple  # core.inside.neurons.Feature, each (T,)
    what: str  # one line: what was analysed
    unit: str  # what one step is called: "character", "letter", "value"
    legend: str  # what the marks in the coloured input mean
    values: tuple = ()  # music: the values (drawn on a piano roll); empty: each sequence is a line of text


# ---------------------------------------------------------------------------------------------- inputs
def _text_input(lab, src: TypedText) -> Input | None:
    key = f"{lab.key}_neuron_text"
    source = (lab.corpus_id, lab.run_number)
    if ss.get(f"{lab.key}_neuron_for") != source:  # a new text or run: start from its held-out part again
        ss[f"{lab.key}_neuron_for"] = source
        ss[key] = nu.text_excerpt(src.text, src.held_from, TEXT_CHARS) if src.text is not None else ""
    text = st.text_area(
        f"Text to analyse (at most {MAX_TEXT:,} characters; by default a stretch of the held-out last 10% of the text)",
        key=key,
        height=110,
    )
    if not text:
        st.info(
            "Type or paste a text above: the model reads it and every unit's activation is shown character by "
            "character."
        )
        return None
    if len(text) > MAX_TEXT:
        st.warning(f"The text has {len(text):,} characters; the first {MAX_TEXT:,} are analysed.")
        text = text[:MAX_TEXT]
    stoi = {c: i for i, c in enumerate(src.chars)}
    unknown = sorted(set(text) - set(stoi))
    if unknown:
        st.error(
            "The model has never seen these characters, so it can't read them: "
            + " ".join(f"`{char_label(c)}`" for c in unknown[:20])
            + ". Remove them to analyse the text."
        )
        return None
    return Input(
        ((*(stoi[c] for c in text),),),
        tuple(text),
        tuple(nu.text_features(text)),
        f"{len(text):,} characters",
        "character",
        " ↵ marks a newline." + LETTER_SIGNS,
    )


def _music_input(lab, src: Pieces) -> Input | None:
    if not src.options:
        st.info("Choose a corpus above: the Neurons tab reads one of its pieces.")
        return None
    pieces = src.options
    options = list(pieces)
    key = f"{lab.key}_neuron_piece"
    if ss.get(key) not in options:
        ss[key] = options[0]
    label = st.selectbox("Music to analyse (the model reads it from silence)", options, key=key)
    values = pieces[label][:MUSIC_VALUES]
    if not values:
        st.info("This sequence has no values to analyse.")
        return None
    try:
        ids = src.read(values)
    except ValueError as exc:
        st.error(f"The model can't read this piece: {exc}")
        return None
    cut = f" (its first {MUSIC_VALUES})" if len(pieces[label]) > MUSIC_VALUES else ""
    legend = " Each bar is a value (a chord colours all its notes), hatched when negative; rests sit on the bottom row."
    return Input(
        (tuple(ids),),
        tuple(lab.token_text(v) for v in values),  # as the page writes values (A4e), never the codec's tokens
        tuple(nu.music_features(values)),
        f"{len(values):,} values{cut} of {label}",
        "value",
        legend,
        values=values,
    )


def _names_input(lab, src: TypedNames) -> Input | None:
    from core.models.dino import clean_names

    key = f"{lab.key}_neuron_names"
    source = (lab.corpus_id, lab.run_number)
    if key not in ss or ss.get(f"{lab.key}_neuron_for") != source:  # a new name list or run: its own names again
        ss[f"{lab.key}_neuron_for"] = source
        stride = max(1, len(src.names) // DINO_NAMES)
        ss[key] = "\n".join(src.names[::stride][:DINO_NAMES])
    text = st.text_area(
        f"Names to analyse, one per line (at most {MAX_NAMES}; each starts from a⟨0⟩ = 0, as sampling does)",
        key=key,
        height=110,
    )
    names = clean_names(text)
    if not names:
        st.info("Type a few names above, one per line: the model reads each one and a⟨t⟩ is shown letter by letter.")
        return None
    if len(names) > MAX_NAMES:
        st.warning(f"{len(names)} names; the first {MAX_NAMES} are analysed.")
        names = names[:MAX_NAMES]
    ix = src.char_to_ix
    unknown = sorted({ch for n in names for ch in n} - set(ix) - {"\n"})
    if unknown:
        st.error(
            "The model's vocabulary has no "
            + " ".join(f"`{char_label(c)}`" for c in unknown)
            + ". Remove them to analyse the names."
        )
        return None
    seqs = tuple((None, *(ix[ch] for ch in n)) for n in names)  # X = [None] + the name, as in the course
    pieces = tuple(p for n in names for p in ("▸", *n))
    return Input(
        seqs,
        pieces,
        tuple(nu.name_features(names)),
        f"{len(names)} names",
        "letter",
        " ▸ is the zero input x⟨1⟩ that starts every name." + LETTER_SIGNS,
    )


def _input(lab) -> Input | None:
    """The input the lab's Neurons tab reads (core.labs.lab.Lab.neuron_input), through its widgets."""
    src = lab.neuron_input()
    if isinstance(src, TypedText):
        return _text_input(lab, src)
    if isinstance(src, TypedNames):
        return _names_input(lab, src)
    return _music_input(lab, src)


# ---------------------------------------------------------------------------------------------- the model
def _model_problem(lab) -> str | None:
    """Why there is nothing to analyse yet, or None."""
    if lab.trainer is None:
        return "There is no model yet: choose a corpus and settings above (an untrained model can be analysed too)."
    if lab.no_model():
        return "There is no model yet."
    return None


def _net(lab, fresh: bool) -> nu.Net:
    """The numpy copy of the live weights at the trainer's step, shared by the Neurons and Gates tabs (one copy);
    ``fresh`` reads them again (↻ Refresh: the weights can change without a step, e.g. a restore)."""
    views, t = lab.views, lab.trainer
    kept = views.get("net")
    if fresh or kept is None or kept[0] != (lab.run_number, t.step):
        kept = views["net"] = ((lab.run_number, t.step), nu.net_of(t.token_model()))
    return kept[1]


def _traced(lab, slot: str, sequences: tuple, refresh_key: str) -> tuple[nu.Net, nu.Trace, int]:
    """(net, trace, step the weights are from) over ``sequences``, kept on the lab (``lab.views``: dropped when the tab
    closes and the lab hibernates, or a new run starts). Recomputed when the run or the input changed, or the step
    changed while training is stopped, or the student pressed ↻ Refresh (``refresh_key``); while training runs, only
    then, so that full-page reruns during training don't redo the pass at every step."""
    kept = lab.views.get(slot)
    t = lab.trainer
    if kept is not None and kept[0] == (lab.run_number, sequences) and not ss.get(refresh_key):
        if kept[3] == t.step or lab.running:
            return kept[1], kept[2], kept[3]
    lab.views.pop(slot, None)  # the old trace goes before the new one is computed (two would be held at the peak)
    net = _net(lab, fresh=bool(ss.get(refresh_key)))
    step = t.step
    trace = nu.forward_each(net, sequences)
    lab.views[slot] = ((lab.run_number, sequences), net, trace, step)
    return net, trace, step


def _step_note(lab, step: int) -> str:
    if step == 0:
        return "The model is **untrained** (step 0): its units answer through random weights. Train it and look again."
    live = (
        " Training is running: press ↻ Refresh to read the newest weights."
        if lab.running and lab.trainer.step != step
        else ""
    )
    return f"The model at step {step:,}.{live}"


def _finite(trace: nu.Trace) -> bool:
    """Whether every activation is a number (a diverged model's may not be)."""
    return all(np.isfinite(a).all() for _, _, a in trace.states())


NOT_FINITE = (
    "The model's activations include NaN or infinite values (training diverged?): start a new run or lower "
    "the learning rate."
)


# ---------------------------------------------------------------------------------------------- Neurons
def _label(f: nu.UnitFinding, layers: int, state_name: str) -> str:
    """ "h unit 7" ("h layer 2 unit 7" with several layers); the hidden state as the lab names it (the course: a)."""
    text = f.label(layers)
    return state_name + text[1:] if f.state == "h" else text


def _finding_rows(findings, layers: int, features, state_name: str) -> list[dict[str, Any]]:
    about = {f.name: f.about for f in features}
    return [
        {
            "unit": _label(f, layers, state_name),
            "tracks": f.feature,
            "correlation r": round(f.r, 3),
            "the feature": about[f.feature],
        }
        for f in findings
    ]


def _on_jump(k: str, findings: dict) -> None:
    """The student picked an interesting unit: the choosing widgets take it (a callback: before they are drawn)."""
    f = findings.get(ss.get(f"{k}_jump"))
    if f is not None:
        ss[f"{k}_state"], ss[f"{k}_layer"], ss[f"{k}_unit"] = f.state, f.layer, f.unit
        ss[f"{k}_mode"] = CHOOSE
    ss[f"{k}_jump"] = None  # back to the placeholder: the pickers now say which unit is shown


def neurons_tab(lab) -> None:
    """Colour the lab's input by one unit, and rank the units by what they track."""
    problem = _model_problem(lab)
    if problem:
        st.info(problem)
        return
    k = f"{lab.key}_neuron"
    inp = _input(lab)
    if inp is None:
        return
    try:
        net, trace, step = _traced(lab, f"_{k}_trace", inp.sequences, f"{k}_refresh")
    except nu.NotAnalysable as exc:
        st.info(str(exc))
        return
    if not _finite(trace):
        st.warning(NOT_FINITE)
        return
    ranking = nu.find_units(trace, inp.features, top=TOP)
    layers = len(trace.h)
    c0, c1 = st.columns([4, 1])
    c0.caption(
        f"{_step_note(lab, step)} {net.source[0].upper()}{net.source[1:]}, {net.units} units × {layers} "
        f"layer{'s' if layers > 1 else ''}; {inp.what}."
    )
    c1.button("↻ Refresh", key=f"{k}_refresh", help="Read the current weights again")

    # Which unit: the strongest one, or one the student chooses. The choosing widgets keep fixed labels and ranges
    # (a widget whose label or range changes is a new widget to the browser, which may then send back a stale value),
    # and only callbacks set them.
    choices = {
        f"{_label(f, layers, lab.state_name)}: {f.feature} (r = {f.r:+.2f})": f
        for f in (*ranking.per_feature, *ranking.top)
    }
    p0, p1, p2, p3, p4 = st.columns([1.5, 2.2, 1.3, 0.9, 0.9])
    mode = p0.radio(
        "Unit shown",
        [STRONGEST, CHOOSE],
        key=f"{k}_mode",
        help="The strongest unit follows the ranking below as the model learns.",
    )
    if choices:
        p1.selectbox(
            "Show an interesting unit (ranked below)",
            list(choices),
            index=None,
            placeholder="pick a unit and the feature it follows…",
            key=f"{k}_jump",
            on_change=_on_jump,
            args=(k, choices),
        )
    if mode == CHOOSE or not ranking.top:
        state = "h"
        if trace.c:
            state = p2.radio(
                "State", ["h", "c"], key=f"{k}_state", format_func=STATE_SHORT.get, horizontal=True, help=STATE_HELP
            )
        layer = 0
        if layers > 1:
            if ss.get(f"{k}_layer", 0) >= layers:  # the model has fewer layers than when it was chosen
                ss[f"{k}_layer"] = 0
            layer = p3.selectbox("Layer", list(range(layers)), key=f"{k}_layer", format_func=lambda i: f"layer {i + 1}")
        unit = int(
            p4.number_input("Unit", 0, nu.MAX_UNITS - 1, key=f"{k}_unit", help="0 is the first unit of the layer")
        )
        if unit >= net.units:
            st.caption(f"This layer has {net.units} units (0–{net.units - 1}): showing unit {net.units - 1}.")
            unit = net.units - 1
    else:
        top = ranking.top[0]
        state, layer, unit = top.state, top.layer, top.unit
        p1.caption(
            f"Showing **{_label(top, layers, lab.state_name)}**, the strongest: it follows *{top.feature}* "
            f"(r = {top.r:+.2f})."
        )

    acts = trace.state(state, layer)[:, unit]  # (T,) this unit after each step
    vmax = nu.scale_of(acts)
    scale = f"the scale is ±{vmax:.2g}, this unit's largest |value| here" + (
        f" ({lab.state_name} is always between −1 and +1)" if state == "h" else ""
    )
    rs = {f.name: float(nu.correlations(acts[:, None], f)[0]) for f in inp.features if f.varies()}
    versus = (
        (" This unit against each feature: " + " · ".join(f"{name} r = {r:+.2f}" for name, r in rs.items()) + ".")
        if rs
        else ""
    )
    unit_name = f"{'h' if state == 'h' else 'c'} unit {unit}" + (f", layer {layer + 1}" if layers > 1 else "")
    if not inp.values:  # one line of coloured text per sequence
        shown = [repr(p)[1:-1] for p in inp.pieces]
        st.caption(chart_text.summary_line("Neuron", ct.activation_summary(shown, acts, unit_name)))
        start = 0
        lines = []
        for seq in inp.sequences:
            n = len(seq)
            lines.append(nu.coloured_text_html(inp.pieces[start : start + n], acts[start : start + n], vmax))
            start += n
        st.markdown("".join(lines), unsafe_allow_html=True)
        chart_text.table_of(ct.activation_table(shown, acts))
    else:
        from core.music.music_codec import describe_value, parse_value

        parsed = [parse_value(v) for v in inp.values]
        described = [f"{name}: {describe_value(v)}" for name, v in zip(inp.pieces, inp.values)]  # "A4e: note A4, …"
        fig = charts.neuron_piano_roll_figure(
            nu.value_onsets(inp.values),
            [d for _, d in parsed],
            [p for p, _ in parsed],
            described,
            acts,
            vmax,
            title=unit_name,
        )
        chart_text.show(
            fig,
            key=f"{k}_roll",
            name="Neuron piano roll",
            summary=ct.activation_summary(list(inp.pieces), acts, unit_name),
            table=ct.activation_table(list(inp.pieces), acts),
        )
    st.caption(GUIDE.format(what=inp.unit, scale=scale) + inp.legend + versus)

    st.markdown(
        "**Find interesting units**: the units whose activation follows a simple feature of the input most closely "
        "(Pearson r, sign = direction).",
        help=glossary.help_for("Pearson r"),
    )
    if ranking.top:
        t1, t2 = st.columns(2)
        t1.caption("The best unit for each feature")
        t1.dataframe(
            pd.DataFrame(_finding_rows(ranking.per_feature, layers, inp.features, lab.state_name)),
            hide_index=True,
            width="stretch",
        )
        t2.caption("The strongest units, each with the feature it follows best")
        top_rows = pd.DataFrame(_finding_rows(ranking.top, layers, inp.features, lab.state_name))
        t2.dataframe(top_rows.drop(columns="the feature"), hide_index=True, width="stretch", height=210)
    else:
        st.info("No feature varies in this input, so no unit can be ranked: try a longer or more varied input.")
    if ranking.skipped:
        st.caption("Not in this input, so nothing can follow it: " + ", ".join(ranking.skipped) + ".")


# ---------------------------------------------------------------------------------------------- Gates
def _gate_sequences(lab) -> tuple[tuple, str] | None:
    """Held-out token sequences to count gates over, and what they are; None (message shown) when there are none."""
    try:
        return lab.gate_sequences(GATE_STEPS)
    except NothingToRead as exc:
        st.info(str(exc))
    except ValueError as exc:
        st.error(str(exc))
    return None


def gates_tab(lab) -> None:
    """The gate saturation plot of the current model (LSTM and GRU), with what it means."""
    problem = _model_problem(lab)
    if problem:
        st.info(problem)
        return
    cell = lab.recurrent_cell()
    if not nu.GATES[cell]:
        st.info(nu.no_gates_message(cell, lab.cell_title or f"A {nu.CELL_TITLES[cell]}") + lab.no_gates_aside)
        return
    got = _gate_sequences(lab)
    if got is None:
        return
    seqs, what = got
    try:
        net, trace, step = _traced(lab, f"_{lab.key}_gate_trace", seqs, f"{lab.key}_gates_refresh")
        shares = nu.gate_shares(trace)
    except nu.NotAnalysable as exc:
        st.info(str(exc))
        return
    if not _finite(trace):
        st.warning(NOT_FINITE)
        return
    c0, c1 = st.columns([4, 1])
    c0.caption(
        f"{_step_note(lab, step)} {net.source[0].upper()}{net.source[1:]}, {net.units} units; counted over {what}."
    )
    c1.button("↻ Refresh", key=f"{lab.key}_gates_refresh", help="Read the current weights again")
    points = [(s.gate, s.layer, s.closed, s.open) for s in shares]
    fig = charts.gate_saturation_figure(points, closed=nu.CLOSED, open_=nu.OPEN)
    chart_text.show(
        fig,
        key=f"{lab.key}_gates_fig",
        name="Gate saturation chart",
        summary=ct.gate_summary(points),
        table=ct.gate_table(points),
    )
    st.caption(
        "One point per unit: how often its gate was nearly closed (x, below 0.1) and nearly open (y, above 0.9). "
        "Near the origin: the gate works in between; top-left: almost always open; bottom-right: almost always shut; "
        "along the dashed line: it switches fully on and off. Karpathy, Johnson & Fei-Fei (2015) found trained LSTMs' "
        "forget gates mostly open (units that remember for a long time); an untrained model sits near the origin."
    )
    rows = []
    for s in shares:
        rows.append(
            {
                "gate": s.gate,
                "layer": s.layer + 1,
                "closed, mean share": f"{s.closed.mean():.0%}",
                "open, mean share": f"{s.open.mean():.0%}",
                "units open > half the time": int((s.open > 0.5).sum()),
                "units shut > half the time": int((s.closed > 0.5).sum()),
                "units never saturated": int(((s.open == 0) & (s.closed == 0)).sum()),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if cell == "gru":
        st.caption(
            "GRU: the update gate z keeps the old state when open (h = z·h_prev + (1−z)·candidate); the reset gate r "
            "lets the candidate see it."
        )
