"""Every lab's loss chart, drawn one way: the lab's series, its baselines, its training events, in nats or bits.

``render(lab, key)`` draws a unit switch (nats / bits per token, and perplexity where the loss is per token),
the chart (``lab.loss_series(transform)``), the baselines of the lab's corpus as dashed lines
(core.toolkit.baselines, computed once per corpus and kept in this session), the trainer's events as dotted vertical
lines (``getattr(lab.trainer, "events", [])``: learning-rate changes, rollbacks, restores of the best
weights) and one caption saying what the lines are and how they were smoothed.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import chart_text as ct
from core import charts, units
from core.labs.settings import unit_choices
from core.toolkit import baselines as bl
from ui import chart_text, glossary, persist, settings

MAX_MARKS = 20  # the latest events drawn (older ones would crowd the chart)
LIVE_POINTS = 300  # points per line at most: about one per two pixels of a laptop's chart, and half the drawing of 600


def unit_of(lab) -> str:
    return lab.unit


def unit_options(lab) -> list[str]:
    """The switch's choices (core.labs.settings.unit_choices)."""
    return unit_choices(unit_of(lab))


def transform_for(choice: str):
    """values in nats -> values in the chosen unit (core.units.convert)."""
    return lambda v: units.convert(v, choice)


def choice_of(lab, key: str) -> str:
    """The switch's current choice for the chart ``key`` (its first choice before the switch is drawn): numbers
    drawn above the switch read it here so they follow it."""
    options = unit_options(lab)
    kept = st.session_state.get(f"{key}_y")
    return kept if kept in options else options[0]


def loss_text(lab, key: str, nats: float | None, digits: int = 2) -> str:
    """A loss in nats, written in the unit the chart ``key`` shows ("–" for None): "1.23", or "3.42" as perplexity."""
    return "–" if nats is None else units.number(nats, choice_of(lab, key), digits)


def loss_phrase(lab, key: str, nats: float, digits: int = 2) -> str:
    """A loss with its unit, as the chart ``key`` shows it: "4.50 nats per value", "6.49 bits per value" or
    "perplexity 90.00"."""
    return units.phrase(nats, choice_of(lab, key), unit_of(lab), digits)


def shown(lab, text: str | None, key: str | None = None) -> str | None:
    """A note kept as text (a stop, a restart, which weights made a sample) with its losses in the unit the chart
    ``key`` (default: the lab's own chart) shows now (core.units.in_unit)."""
    return units.in_unit(text, choice_of(lab, key or lab.key))


def lab_baselines(lab, key: str) -> bl.Baselines | None:
    """The lab's baselines, computed once per corpus in this session."""
    corpus_key = bl.lab_corpus_key(lab)
    if corpus_key is None:
        return None
    slot = f"_{key}_baselines"
    kept = st.session_state.get(slot)
    if kept is None or kept[0] != corpus_key:
        kept = st.session_state[slot] = (corpus_key, bl.for_lab(lab))
    return kept[1]


def ref_lines(b: bl.Baselines | None, transform) -> list[charts.RefLine]:
    if b is None:
        return []
    out = []
    for line in b.lines:
        y = float(transform(np.array([line.value]))[0])
        out.append(bl.ref_line(line.name, y))
    return out


def event_marks(lab) -> list[charts.Mark]:
    events = list(getattr(lab.trainer, "events", None) or [])[-MAX_MARKS:]
    return [charts.Mark(float(step), str(label)) for step, label in events]


def separate_labels(fig, min_gap: float = 0.06) -> None:
    """Put the label of a baseline below its line when the line above is closer than ``min_gap`` of the y span
    (their labels would overlap: e.g. unigram 4.04 and bigram 3.97)."""
    data = [float(y) for tr in fig.data for y in (tr.y if tr.y is not None else ()) if y is not None and np.isfinite(y)]
    labels = sorted((a for a in fig.layout.annotations if a.yref == "y" and a.yanchor == "bottom"), key=lambda a: a.y)
    if not labels:
        return
    if not data or labels[-1].y >= max(data):
        labels[-1].yanchor = "top"  # the topmost line: a label above it would fall outside the plot and not be drawn
    ys = data + [a.y for a in labels]
    span = max(ys) - min(ys) or 1.0
    for lower, upper in zip(labels, labels[1:]):
        if upper.y - lower.y < min_gap * span and lower.yanchor == "bottom":
            lower.yanchor = "top"


def render(lab, key: str) -> None:
    """The loss chart of ``lab`` with its unit switch and caption (widget keys start with ``key``)."""
    unit = lab.settings()["unit"]  # the switch's key, label and group
    persist.keep(unit.key)
    if st.session_state.get(unit.key) not in unit.values():
        st.session_state.pop(unit.key, None)  # e.g. a kept choice this lab doesn't offer
    choice = choice_of(lab, key)  # the switch is drawn under the chart, and reads the same session value
    f = transform_for(choice)
    base = lab_baselines(lab, key)
    series = lab.loss_series(f) if lab.trainer is not None else []
    refs = ref_lines(base, f)
    fig = charts.loss_figure(
        series,
        x_title=lab.chart_x,
        y_title="perplexity" if choice == "perplexity" else f"loss ({choice})",
        height=270,  # room for Start, the chart and the lab's live samples on a 768-pixel-high screen
        max_points=LIVE_POINTS,
        ref_lines=refs,
        marks=event_marks(lab),
    )
    # the legend under the plot, clear of the x axis' title (plotly places it in fractions of the plot's height)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.34, xanchor="left", x=0))
    separate_labels(fig)
    chart_text.show(
        fig,
        key=f"{key}_loss_chart",
        name="Loss chart",
        summary=ct.loss_summary(series, refs, choice, lab.chart_x.split(" ")[0]),
        numbers=False,
    )
    settings.widget(unit, horizontal=True, label_visibility="collapsed")  # under the chart it switches
    if any(len(s.x) for s in series):
        chart_text.lazy_table_of(lambda: ct.figure_table(fig), key=f"{key}_loss_numbers")
    notes = []
    if base is not None and base.lines:
        notes.append(base.describe())
    if choice.startswith("bits"):
        notes.append("Bits = nats ÷ ln 2 (1 bit ≈ 0.693 nats): the same losses, counted in yes/no questions.")
    elif choice == "perplexity":
        notes.append("Perplexity = e^loss (the loss in nats): as unsure as a fair choice among that many.")
    glossary.caption(" ".join(notes) if notes else f"The loss is in {choice}.")
