"""Every plotly figure the playground draws, in one place (no streamlit here, so figures are testable).

- ``loss_figure``: one or more loss series (raw, smoothed, validation, several runs overlaid).
- ``step_distribution_figure``: the inspector's bar chart for one generated step (model vs sampled-from).
- ``distribution_heatmap``: the inspector's heatmap over a generated span.
- ``piano_roll_figure`` / ``piano_roll_parts_figure``: pitch against time for music (one or several parts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


@dataclass(frozen=True)
class Series:
    """One line on a loss chart."""

    name: str  # legend label
    x: Sequence[float]  # step / iteration / seconds
    y: Sequence[float]  # loss values
    dash: str = "solid"  # plotly dash style ("solid", "dot", "dash")
    width: float = 2.0  # line width
    opacity: float = 1.0  # faint raw curves under bold smoothed ones
    color: str | None = None  # None: taken from the palette by position
    extra: dict = field(default_factory=dict)  # extra go.Scatter kwargs


def thin(x: Sequence[float], y: Sequence[float], max_points: int) -> tuple[list, list]:
    """Every k-th point so that at most ``max_points`` remain (the last point is always kept)."""
    n = len(x)
    if n <= max_points:
        return list(x), list(y)
    k = -(-n // max_points)  # ceil
    idx = list(range(0, n, k))
    if idx[-1] != n - 1:
        idx[-1] = n - 1
    return [x[i] for i in idx], [y[i] for i in idx]


def loss_figure(
    series: Sequence[Series], *, x_title: str = "iteration", y_title: str = "loss", height: int = 340, max_points: int = 600
) -> go.Figure:
    """A line chart of loss curves; empty series are skipped, and an empty chart says so.

    Each series is thinned to ``max_points`` so a refresh costs the same after an hour as after a minute.
    """
    fig = go.Figure()
    for i, s in enumerate(series):
        if len(s.x) == 0:
            continue
        xs, ys = thin(s.x, s.y, max_points)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=s.name,
                opacity=s.opacity,
                line=dict(dash=s.dash, width=s.width, color=s.color or PALETTE[i % len(PALETTE)]),
                **s.extra,
            )
        )
    if not fig.data:
        fig.add_annotation(text="No training yet: press Start or Step", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
        uirevision="keep",  # keep zoom while the chart refreshes
    )
    return fig


def step_distribution_figure(
    probs: np.ndarray,
    adjusted: np.ndarray,
    labels: Sequence[str],
    picked: int,
    *,
    max_bars: int = 40,
    height: int = 320,
) -> go.Figure:
    """Bars for one step: what the model believed (T=1) and what was sampled from; the pick is outlined.

    With a large vocabulary only the ``max_bars`` most likely tokens (plus the pick) are drawn.
    """
    probs = np.asarray(probs, dtype=float)
    adjusted = np.asarray(adjusted, dtype=float)
    idx = np.arange(probs.size)
    if probs.size > max_bars:
        top = set(np.argsort(-probs, kind="stable")[:max_bars].tolist()) | {int(picked)}
        idx = np.array(sorted(top, key=lambda i: -probs[i]))
    names = [labels[i] for i in idx]
    outline = ["#000000" if i == picked else "rgba(0,0,0,0)" for i in idx]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=probs[idx], name="model (T=1)", marker=dict(color="#9ecae1", line=dict(color=outline, width=2))))
    fig.add_trace(go.Bar(x=names, y=adjusted[idx], name="sampled from", marker=dict(color="#08519c", line=dict(color=outline, width=2))))
    fig.update_layout(
        barmode="group",
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis_title="probability",
        xaxis=dict(type="category", tickangle=0 if len(idx) <= 30 else -60),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
    )
    return fig


def distribution_heatmap(
    records: Sequence, labels: Sequence[str], *, which: str = "adjusted", max_rows: int = 40, height: int | None = None
) -> go.Figure:
    """Heatmap of the distributions over a generated span: one column per step, one row per token.

    Rows are limited to the ``max_rows`` tokens with the most total probability across the span (every
    picked token is always shown). Column labels are the picked tokens.
    """
    if not records:
        fig = go.Figure()
        fig.add_annotation(text="Nothing generated yet", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        return fig
    M = np.stack([getattr(r, which) for r in records], axis=1)  # (vocab, steps)
    picked = [r.picked for r in records]
    rows = np.arange(M.shape[0])
    if M.shape[0] > max_rows:
        mass = M.sum(axis=1)
        keep = set(np.argsort(-mass, kind="stable")[:max_rows].tolist()) | set(picked)
        rows = np.array(sorted(keep))
    sub = M[rows]
    cols = [f"{t}:{labels[p]}" for t, p in enumerate(picked)]
    fig = go.Figure(
        go.Heatmap(
            z=sub,
            x=cols,
            y=[labels[i] for i in rows],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar=dict(title="p"),
            hovertemplate="step %{x}<br>token %{y}<br>p=%{z:.3f}<extra></extra>",
        )
    )
    # mark the picked cell of every column
    fig.add_trace(
        go.Scatter(
            x=cols,
            y=[labels[p] for p in picked],
            mode="markers",
            marker=dict(symbol="square-open", size=12, color="#d62728", line=dict(width=2)),
            name="picked",
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        height=height or max(260, 14 * len(rows) + 80),
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(type="category", title="step:picked"),
        yaxis=dict(type="category", autorange="reversed"),
        showlegend=False,
    )
    return fig


def piano_roll_figure(notes: Sequence[tuple[float, float, int]], *, title: str = "", height: int = 320) -> go.Figure:
    """Piano roll from (start_seconds, end_seconds, pitch) triples: pitch against time, one colour."""
    return piano_roll_parts_figure([("notes", notes, "#08519c")], title=title, height=height)


def piano_roll_parts_figure(
    parts: Sequence[tuple[str, Sequence[tuple[float, float, int]], str]], *, title: str = "", height: int = 340
) -> go.Figure:
    """Piano roll with several named, coloured parts (e.g. the priming opening and what the model composed).

    parts: (legend name, (start_seconds, end_seconds, pitch) triples, colour); empty parts are skipped.
    """
    from pretty_midi import note_number_to_name  # pretty_midi is already a dependency of the music codec

    fig = go.Figure()
    for name, notes, color in parts:
        if len(notes) == 0:
            continue
        xs: list = []
        ys: list = []
        text: list = []
        for start, end, pitch in notes:
            xs += [start, end, None]
            ys += [pitch, pitch, None]
            label = f"{note_number_to_name(int(pitch))} ({int(pitch)})"
            text += [label, label, None]
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", line=dict(width=6, color=color), name=name, text=text,
                hovertemplate="%{text}<br>%{x:.2f} s<extra>" + name + "</extra>",
            )
        )
    if not fig.data:
        fig.add_annotation(text="No notes", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(
        title=title or None,
        height=height,
        margin=dict(l=10, r=10, t=30 if title else 10, b=10),
        xaxis_title="seconds",
        yaxis_title="MIDI pitch",
        showlegend=len(fig.data) > 1,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
    )
    return fig
