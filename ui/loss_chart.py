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

from core import charts
from core.toolkit import baselines as bl
from ui import persist
from ui.toolkit import links

MAX_MARKS = 20  # the latest events drawn (older ones would crowd the chart)
LN2 = float(np.log(2.0))


def unit_of(lab) -> str:
    return lab.unit


def unit_options(lab) -> list[str]:
    """The switch's choices: nats and bits per unit, and perplexity when the loss is per token (not per name)."""
    u = unit_of(lab)
    return [f"nats per {u}", f"bits per {u}"] + ([] if u == "name" else ["perplexity"])


def transform_for(choice: str):
    """values in nats -> values in the chosen unit."""
    if choice.startswith("bits"):
        return lambda v: np.asarray(v, dtype=float) / LN2
    if choice == "perplexity":
        return lambda v: np.exp(np.asarray(v, dtype=float))
    return lambda v: np.asarray(v, dtype=float)


def choice_of(lab, key: str) -> str:
    """The switch's current choice for the chart ``key`` (its first choice before the switch is drawn): numbers
    drawn above the switch read it here so they follow it."""
    options = unit_options(lab)
    kept = st.session_state.get(f"{key}_y")
    return kept if kept in options else options[0]


def loss_text(lab, key: str, nats: float | None, digits: int = 2) -> str:
    """A loss in nats, written in the unit the chart ``key`` shows ("–" for None): "1.23", or "3.42" as perplexity."""
    if nats is None:
        return "–"
    return f"{float(transform_for(choice_of(lab, key))(np.array([nats]))[0]):.{digits}f}"


def loss_phrase(lab, key: str, nats: float, digits: int = 2) -> str:
    """A loss with its unit, as the chart ``key`` shows it: "4.50 nats per value", "6.49 bits per value" or
    "perplexity 90.00"."""
    choice = choice_of(lab, key)
    number = loss_text(lab, key, nats, digits)
    return f"perplexity {number}" if choice == "perplexity" else f"{number} {choice}"


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
        out.append(charts.RefLine(f"{line.name} {y:.2f}", y, bl.COLORS.get(line.name, "#7f7f7f")))
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
    options = unit_options(lab)
    ukey = f"{key}_y"
    persist.keep(ukey)
    if st.session_state.get(ukey) not in options:
        st.session_state.pop(ukey, None)  # e.g. a kept choice this lab doesn't offer
    choice = links.group("training").radio(
        "Loss unit", options, horizontal=True, key=ukey, label_visibility="collapsed"
    )
    f = transform_for(choice)
    base = lab_baselines(lab, key)
    fig = charts.loss_figure(
        lab.loss_series(f) if lab.trainer is not None else [],
        x_title=lab.chart_x,
        y_title="perplexity" if choice == "perplexity" else f"loss ({choice})",
        height=380,
        ref_lines=ref_lines(base, f),
        marks=event_marks(lab),
    )
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0))
    separate_labels(fig)
    st.plotly_chart(fig, key=f"{key}_loss_chart", config={"displayModeBar": False})
    notes = []
    if base is not None and base.lines:
        notes.append(base.describe())
    if choice.startswith("bits"):
        notes.append("Bits = nats ÷ ln 2 (1 bit ≈ 0.693 nats): the same losses, counted in yes/no questions.")
    elif choice == "perplexity":
        notes.append("Perplexity = e^loss: as unsure as a fair choice among that many.")
    if notes:
        st.caption(" ".join(notes))
