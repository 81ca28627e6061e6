"""Every plotly figure the playground draws, in one place (no streamlit here, so figures are testable).

- ``loss_figure``: one or more loss series (raw, smoothed, validation, several runs overlaid).
- ``step_distribution_figure``: the inspector's bar chart for one generated step (model vs sampled-from).
- ``distribution_heatmap``: the inspector's heatmap over a generated span.
- ``piano_roll_figure`` / ``piano_roll_parts_figure``: pitch against time for music (one or several parts).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from core import palette as pal

PALETTE = pal.SERIES  # series colours by position (core/palette.py: colour-blind safe, 3:1 on white)


def _style() -> tuple[dict, dict]:
    """(layout, each axis) of the app's chart look (``styled``)."""
    layout = dict(
        font=dict(color=pal.TEXT),
        paper_bgcolor=pal.WHITE,
        plot_bgcolor=pal.WHITE,
        transition=dict(duration=0),
        legend=dict(font=dict(color=pal.TEXT)),
        hoverlabel=dict(font=dict(color=pal.TEXT), bgcolor=pal.WHITE, bordercolor=pal.AXIS),
    )
    axes = dict(
        color=pal.TEXT,
        tickfont=dict(color=pal.TEXT),
        title_font=dict(color=pal.TEXT),
        gridcolor=pal.GRID,
        linecolor=pal.AXIS,
        zerolinecolor=pal.GRID,
    )
    return layout, axes


def styled(fig: go.Figure) -> go.Figure:
    """The app's chart look, set on the figure itself so it holds whatever theme draws it: text at 4.5:1 or more,
    axis lines at 3:1, faint grid lines, and no animated transitions (a redraw replaces the chart at once)."""
    layout, axes = _style()
    fig.update_layout(**layout)
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    return fig


@dataclass(frozen=True)
class Series:
    """One line on a loss chart."""

    name: str  # the line's name (the chart's summary says it; also the legend's label unless ``legend`` is set)
    x: Sequence[float]  # step / iteration / seconds
    y: Sequence[float]  # loss values
    dash: str = "solid"  # plotly dash style ("solid", "dot", "dash")
    width: float = 2.0  # line width
    opacity: float = 1.0  # faint raw curves under bold smoothed ones
    color: str | None = None  # None: taken from the palette by position
    symbol: str | None = None  # a marker symbol drawn on the line (a second channel beside colour); None: no markers
    extra: dict = field(default_factory=dict)  # extra go.Scatter kwargs
    legend: str | None = None  # a shorter legend label than ``name`` (None: ``name``)


def thin(x: Sequence[float], y: Sequence[float], max_points: int) -> tuple[list, list]:
    """Every k-th point so that at most ``max_points`` remain (the last point is always kept). ``x`` and ``y`` are cut
    to their common length first: a slice still under way when Stop is pressed can append to a run's history while
    the page draws it, so the steps list may already hold a point its values don't (seen as an IndexError)."""
    n = min(len(x), len(y))
    x, y = list(x)[:n], list(y)[:n]
    if n <= max_points:
        return x, y
    k = -(-n // max_points)  # ceil
    idx = list(range(0, n, k))
    if idx[-1] != n - 1:
        idx[-1] = n - 1
    return [x[i] for i in idx], [y[i] for i in idx]


@dataclass(frozen=True)
class RefLine:
    """A labelled horizontal line on a loss chart (a baseline such as the uniform guess ln V)."""

    name: str  # label shown at the line's right end
    y: float  # its value, in the chart's unit
    color: str = pal.MUTED  # line and label colour (4.5:1 on white: the label is text)
    dash: str = "dash"  # line style


@dataclass(frozen=True)
class Mark:
    """A labelled vertical line on a loss chart: an event at one step (learning-rate change, rollback, restore)."""

    x: float  # step / iteration where it happened
    text: str  # short label shown at the top of the line
    color: str = pal.MUTED  # line and label colour (4.5:1 on white: the label is text)


def loss_figure(
    series: Sequence[Series],
    *,
    x_title: str = "iteration",
    y_title: str = "loss",
    height: int = 340,
    max_points: int = 600,
    ref_lines: Sequence[RefLine] = (),
    marks: Sequence[Mark] = (),
) -> go.Figure:
    """A line chart of loss curves; empty series are skipped, and an empty chart says so.

    Each series is thinned to ``max_points`` so a refresh costs the same after an hour as after a minute.
    ``ref_lines`` are horizontal reference lines (baselines), ``marks`` vertical event lines.
    """
    # Built as one dict, then one Figure: a live chart is drawn about once a second for every student training, and
    # plotly's add_trace / add_hline / update_layout cost ~30 ms a chart (the Dinosaur lab's page drawing was mostly
    # that); the figure is the same (tests/core/test_charts.py).
    data = []
    for i, s in enumerate(series):
        if len(s.x) == 0:
            continue
        xs, ys = thin(s.x, s.y, max_points)
        data.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines+markers" if s.symbol else "lines",
                name=html.escape(s.legend or s.name),  # run labels hold upload names; plotly draws tags in legends
                opacity=s.opacity,
                line=dict(dash=s.dash, width=s.width, color=s.color or PALETTE[i % len(PALETTE)]),
                **({"marker": dict(symbol=s.symbol, size=7, maxdisplayed=12)} if s.symbol else {}),
                **s.extra,
            )
        )
    shapes, notes = [], []
    for r in ref_lines:  # what fig.add_hline(annotation_position="top right") makes
        if np.isfinite(r.y):
            y = float(r.y)
            shapes.append(
                dict(
                    type="line",
                    xref="x domain",
                    x0=0,
                    x1=1,
                    yref="y",
                    y0=y,
                    y1=y,
                    line=dict(dash=r.dash, width=1.5, color=r.color),
                )
            )
            notes.append(
                dict(
                    text=r.name,
                    showarrow=False,
                    font=dict(color=r.color),
                    xref="x domain",
                    x=1,
                    xanchor="right",
                    yref="y",
                    y=y,
                    yanchor="bottom",
                )
            )
    for m in marks:  # what fig.add_vline(annotation_position="top") makes
        x = float(m.x)
        shapes.append(
            dict(
                type="line",
                xref="x",
                x0=x,
                x1=x,
                yref="y domain",
                y0=0,
                y1=1,
                line=dict(dash="dot", width=1, color=m.color),
            )
        )
        notes.append(
            dict(
                text=m.text,
                showarrow=False,
                font=dict(color=m.color),
                xref="x",
                x=x,
                xanchor="center",
                yref="y domain",
                y=1,
                yanchor="bottom",
            )
        )
    if not data:
        notes.append(
            dict(text="No training yet: press Start or Step", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
        )
    style, axes = _style()
    layout = dict(
        style,
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(axes, title=dict(text=x_title)),
        yaxis=dict(axes, title=dict(text=y_title)),
        legend=dict(style["legend"], orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
        uirevision="keep",  # keep zoom while the chart refreshes
        shapes=shapes,
        annotations=notes,
    )
    return go.Figure(dict(data=data, layout=layout))


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
    outline = [pal.TEXT if i == picked else pal.AXIS for i in idx]  # every bar edged at 3:1, the pick in bold
    widths = [2.5 if i == picked else 0.75 for i in idx]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=names,
            y=probs[idx],
            name="model (T=1)",
            marker=dict(color=pal.LIGHT, line=dict(color=outline, width=widths)),
        )
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=adjusted[idx],
            name="sampled from",
            marker=dict(color=pal.DARK, line=dict(color=outline, width=widths)),
        )
    )
    fig.update_layout(
        barmode="group",
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis_title="probability",
        xaxis=dict(type="category", tickangle=0 if len(idx) <= 30 else -60),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
    )
    return styled(fig)


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
        return styled(fig)
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
            marker=dict(symbol="square-open", size=12, color=pal.PICKED, line=dict(width=2.5)),
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
    return styled(fig)


def piano_roll_figure(notes: Sequence[tuple[float, float, int]], *, title: str = "", height: int = 320) -> go.Figure:
    """Piano roll from (start_seconds, end_seconds, pitch) triples: pitch against time, one colour."""
    return piano_roll_parts_figure([("notes", notes, pal.DARK)], title=title, height=height)


def piano_roll_parts_figure(
    parts: Sequence[tuple[str, Sequence[tuple[float, float, int]], str]], *, title: str = "", height: int = 340
) -> go.Figure:
    """Piano roll with several named, coloured parts (e.g. the priming opening and what the model composed).

    parts: (legend name, (start_seconds, end_seconds, pitch) triples, colour); empty parts are skipped. Each part
    also has its own dash style (solid, dashed, …), so the parts differ without their colours.
    """
    from pretty_midi import note_number_to_name  # pretty_midi is already a dependency of the music codec

    fig = go.Figure()
    for i, (name, notes, color) in enumerate(parts):
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
                x=xs,
                y=ys,
                mode="lines",
                line=dict(width=6, color=color, dash=pal.DASHES[i % len(pal.DASHES)]),
                name=name,
                text=text,
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
    return styled(fig)


# ==============================================================================================
# Course model: the unrolled graph of core.models.course_model.
# ==============================================================================================
_CELL_COLOR, _DENSE_COLOR, _X_COLOR, _Y_COLOR = (pal.BOXES[k] for k in ("cell", "dense", "x", "y"))  # text on them


def unrolled_graph_figure(
    n_a: int, n_values: int, Tx_shown: int = 4, *, Tx: int | None = None, mode: str = "training", height: int = 400
) -> go.Figure:
    """The course's model unrolled over time, drawn from the live layer sizes.

    One column per time step t = 1..Tx_shown: x⟨t⟩ (one-hot, n_values) -> the LSTM cell -> the Dense softmax
    -> ŷ⟨t⟩ (n_values probabilities). Every column's cell and Dense box carry the same weight names and
    colours: they are the same two layers (the same weights) applied again; a⟨t⟩ and c⟨t⟩ (n_a each) go on
    to the next step. Tx: the full number of steps (an ellipsis column says the graph goes on to Tx).
    mode "training": x⟨t+1⟩ is the true next value (y⟨t⟩ = x⟨t+1⟩); "inference": ŷ⟨t⟩'s argmax is fed back
    as a one-hot x⟨t+1⟩, starting from x⟨1⟩ = 0.
    """
    if n_a < 1 or n_values < 1 or Tx_shown < 1:
        raise ValueError("n_a, n_values and Tx_shown must be >= 1")
    if mode not in ("training", "inference"):
        raise ValueError("mode must be 'training' or 'inference'")
    lstm_params = 4 * (n_a * (n_values + n_a) + n_a)  # 4 gates: [Wx | Wa] (n_a, n_values + n_a) and b (n_a,)
    dense_params = n_a * n_values + n_values  # Wy (n_values, n_a) and by (n_values,)
    more = Tx is not None and Tx > Tx_shown
    fig = go.Figure()
    DX, W = 1.4, 0.41  # column spacing and box half-width (axis units)
    ys = dict(x=0.0, cell=1.25, dense=2.5, y=3.6)  # row heights: input, LSTM cell, Dense, output
    H = dict(x=0.3, cell=0.36, dense=0.3, y=0.3)  # box half-heights

    def box(cx: float, row: str, text: str, color: str) -> None:
        cy, h = ys[row], H[row]
        fig.add_shape(
            type="rect",
            x0=cx - W,
            x1=cx + W,
            y0=cy - h,
            y1=cy + h,
            line=dict(color=pal.AXIS, width=1),
            fillcolor=color,
            layer="below",
        )
        fig.add_annotation(x=cx, y=cy, text=text, showarrow=False, font=dict(size=10))

    def arrow(x0: float, y0: float, x1: float, y1: float, color: str = pal.TEXT) -> None:
        fig.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            text="",
            showarrow=True,
            arrowhead=2,
            arrowsize=1,
            arrowwidth=1.5,
            arrowcolor=color,
        )

    def label(x: float, y: float, text: str, color: str = pal.TEXT, **kw) -> None:
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=10, color=color), **kw)

    n_cols = Tx_shown
    for k in range(n_cols):
        t, cx = k + 1, k * DX
        x_text = "x⟨1⟩ = 0" if (mode == "inference" and t == 1) else f"x⟨{t}⟩"
        box(cx, "x", f"{x_text}<br>one-hot ({n_values})", _X_COLOR)
        box(cx, "cell", f"<b>LSTM</b> W_lstm<br>n_a = {n_a}", _CELL_COLOR)
        box(cx, "dense", f"<b>Dense</b> W_y<br>softmax, {n_values}", _DENSE_COLOR)
        box(cx, "y", f"ŷ⟨{t}⟩<br>{n_values} probabilities", _Y_COLOR)
        arrow(cx, ys["x"] + H["x"], cx, ys["cell"] - H["cell"])
        arrow(cx, ys["cell"] + H["cell"], cx, ys["dense"] - H["dense"])
        label(cx, (ys["cell"] + H["cell"] + ys["dense"] - H["dense"]) / 2, f"a⟨{t}⟩", xanchor="left", xshift=4)
        arrow(cx, ys["dense"] + H["dense"], cx, ys["y"] - H["y"])
        if k + 1 < n_cols or more:
            arrow(cx + W, ys["cell"], cx + DX - W, ys["cell"])
            label(cx + W + 0.04, ys["cell"], f"a⟨{t}⟩<br>c⟨{t}⟩", xanchor="left", yshift=16)
        if mode == "inference" and k + 1 < n_cols:
            arrow(cx + W, ys["y"] - H["y"] * 0.5, cx + DX - W, ys["x"] + H["x"] * 0.5, color=pal.VALIDATION)
            label(cx + W + 0.05, ys["y"] - H["y"] - 0.12, "argmax → one-hot", color=pal.VALIDATION, xanchor="left")
    # a⟨0⟩, c⟨0⟩ come in from the left
    arrow(-DX + W + 0.2, ys["cell"], -W, ys["cell"])
    label(-DX / 2 + 0.1, ys["cell"], f"a⟨0⟩ = 0<br>c⟨0⟩ = 0<br>({n_a} each)", yshift=24)
    last = (n_cols - 1) * DX
    if more:
        last += DX
        fig.add_annotation(x=last, y=ys["cell"], text=f"…<br>up to t = {Tx}", showarrow=False, font=dict(size=13))
    # the shared weights, said once under the graph
    fig.add_annotation(
        x=0.5,
        y=-0.02,
        xref="paper",
        yref="paper",
        showarrow=False,
        align="center",
        font=dict(size=11),
        text=(
            f"<span style='color:{pal.DARK}'>Every <b>LSTM</b> box is the same LSTM cell: W_lstm, {lstm_params:,} "
            "parameters.</span>  "
            f"<span style='color:{pal.DENSE_TEXT}'>Every <b>Dense</b> box is the same Dense layer: W_y, "
            f"{dense_params:,} parameters.</span>"
        ),
    )
    steps_text = f"all {Tx} steps" if Tx is not None else "every step"
    title = (
        f"Unrolled: one LSTM cell and one Dense layer shared by {steps_text} = {lstm_params + dense_params:,} "
        "parameters" + (" (composing: the most likely value is fed back)" if mode == "inference" else "")
    )
    fig.update_layout(
        title=dict(text=title, font=dict(size=13)),
        height=height,
        margin=dict(l=10, r=10, t=40, b=30),
        xaxis=dict(visible=False, range=[-DX + 0.1, last + 0.7], fixedrange=True),
        yaxis=dict(visible=False, range=[-0.45, 4.0], fixedrange=True),
        plot_bgcolor="white",
        showlegend=False,
    )
    return styled(fig)


# ==============================================================================================
# Neuron and gate views ("Look inside"): a piano roll coloured by one unit, the gate saturation plot.
# core/inside/neurons.py computes the numbers.
# ==============================================================================================
NEURON_SCALE = pal.NEURON_SCALE  # blue (negative) - white (0) - vermillion (positive), as the coloured letters
GATE_COLORS = pal.SERIES[:3]  # one per layer, with a marker symbol of its own (pal.SYMBOLS)
NEGATIVE_PATTERN = "/"  # bars of a negative activation are hatched: the sign without colour


def neuron_piano_roll_figure(
    onsets: Sequence[float],
    durations: Sequence[float],
    pitches: Sequence[Sequence[int]],
    labels: Sequence[str],
    acts: Sequence[float],
    vmax: float,
    *,
    title: str = "",
    steps_per_bar: int = 16,
    height: int = 360,
) -> go.Figure:
    """A piano roll where every value is coloured by one unit's activation after reading it.

    onsets, durations: (T,) in grid steps (sixteenths); pitches: per value its MIDI pitches (() for a rest, drawn
    on a "rest" row under the notes); labels: (T,) hover text per value; acts: (T,) the unit's activation;
    vmax: the colour scale runs from -vmax (blue) to +vmax (red). x is in beats (quarter notes), bar lines dotted.
    """
    notes = [p for ps in pitches for p in ps]
    rest_row = (min(notes) - 3) if notes else 60
    xs, ys, widths, cs, text = [], [], [], [], []
    for t, (on, d, ps, lab, a) in enumerate(zip(onsets, durations, pitches, labels, acts)):
        for p in ps or (rest_row,):
            xs.append(on / 4.0)
            widths.append(d / 4.0)
            ys.append(p)
            cs.append(float(a))
            text.append(f"#{t} {lab}<br>activation {float(a):+.3f}")
    fig = go.Figure(
        go.Bar(
            base=xs,
            x=widths,
            y=ys,
            orientation="h",
            width=0.85,
            text=text,
            textposition="none",
            marker=dict(
                color=cs,
                colorscale=NEURON_SCALE,
                cmin=-vmax,
                cmax=vmax,
                pattern=dict(shape=[NEGATIVE_PATTERN if c < 0 else "" for c in cs], fgcolor=pal.TEXT, size=6),
                line=dict(width=0.5, color=pal.AXIS),
                colorbar=dict(title="activation", thickness=12),
            ),
            hovertemplate="%{text}<extra></extra>",
        )
    )
    end = (max((o + d for o, d in zip(onsets, durations)), default=0)) / 4.0
    bar_beats = steps_per_bar / 4.0
    for k in range(int(end // bar_beats) + 1):
        fig.add_vline(x=k * bar_beats, line=dict(color=pal.AXIS, width=1, dash="dot"))
    fig.update_layout(
        title=title or None,
        height=height,
        margin=dict(l=10, r=10, t=30 if title else 10, b=10),
        bargap=0,
        xaxis_title="beats (quarter notes); bar lines dotted",
        yaxis_title="MIDI pitch",
        showlegend=False,
        plot_bgcolor="white",
    )
    if any(not ps for ps in pitches):
        fig.add_annotation(
            x=0,
            y=rest_row,
            xref="paper",
            text="rests",
            showarrow=False,
            xanchor="left",
            yshift=12,
            font=dict(size=10, color=pal.MUTED),
        )
    return styled(fig)


def gate_saturation_figure(
    shares: Sequence[tuple[str, int, Sequence[float], Sequence[float]]],
    *,
    closed: float = 0.1,
    open_: float = 0.9,
    height: int = 380,
) -> go.Figure:
    """The gate saturation plot of Karpathy, Johnson & Fei-Fei (2015): one panel per gate, one point per unit.

    shares: (gate name, layer 0-based, per unit the share of steps the gate was < ``closed``, per unit the share
    > ``open_``). x = nearly closed (left-saturated), y = nearly open (right-saturated); no point can lie above
    the dashed line x + y = 1. Each layer has its own colour and marker symbol.
    """
    from plotly.subplots import make_subplots

    gates = list(dict.fromkeys(g for g, _, _, _ in shares))
    layers = sorted({l for _, l, _, _ in shares})
    fig = make_subplots(
        rows=1, cols=max(1, len(gates)), subplot_titles=[f"{g} gate" for g in gates], horizontal_spacing=0.06
    )
    for gi, gate in enumerate(gates):
        col = gi + 1
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[1, 0],
                mode="lines",
                line=dict(color=pal.AXIS, dash="dash", width=1),
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        for g, layer, lo, hi in shares:
            if g != gate:
                continue
            lo, hi = np.asarray(lo, float), np.asarray(hi, float)
            fig.add_trace(
                go.Scatter(
                    x=lo,
                    y=hi,
                    mode="markers",
                    name=f"layer {layer + 1}",
                    legendgroup=f"layer {layer + 1}",
                    showlegend=gi == 0 and len(layers) > 1,
                    marker=dict(
                        size=7,
                        symbol=pal.SYMBOLS[layer % len(pal.SYMBOLS)],
                        color=GATE_COLORS[layer % len(GATE_COLORS)],
                        opacity=0.75,
                        line=dict(width=0.5, color=pal.WHITE),
                    ),
                    customdata=np.arange(lo.size),
                    hovertemplate=f"{gate} gate, layer {layer + 1}, unit %{{customdata}}<br>"
                    f"closed (< {closed:g}) %{{x:.0%}} of steps<br>open (> {open_:g}) %{{y:.0%}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(
            range=[-0.03, 1.03], tickformat=".0%", title_text=f"nearly closed (< {closed:g})", row=1, col=col
        )
        fig.update_yaxes(range=[-0.03, 1.03], tickformat=".0%", row=1, col=col)
    fig.update_yaxes(title_text=f"nearly open (> {open_:g})", row=1, col=1)
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.08, xanchor="right", x=1),
    )
    return styled(fig)


# ==============================================================================================
# Look inside: influence (core/inside/influence.py computes the numbers).
# ==============================================================================================
INFLUENCE_SCALE = pal.INFLUENCE_SCALE  # share of the largest gradient norm, as the shaded letters


def influence_roll_figure(
    values: Sequence[str],
    shares: Sequence[float],
    chosen: int,
    *,
    names: Sequence[str],
    tempo: float = 120.0,
    start_share: float | None = None,
    steps_per_quarter: int = 4,
    height: int = 340,
) -> go.Figure:
    """A piano roll shaded by influence: each value before ``chosen`` coloured by its share (0..1) of the largest
    gradient norm, the chosen value outlined in blue, later values faint. Rests are drawn on a row of their own
    below the notes. ``values[k]`` is the value at position k (a codec token, drawn), ``names[k]`` how the page writes
    it (hover: "A4e"); ``shares`` has one entry per value before ``chosen``. ``start_share``: the silent start's share
    (the zero input read first), said in the title when given."""
    from core.music.music_codec import parse_value

    step_s = 60.0 / float(tempo) / steps_per_quarter
    parsed = [parse_value(v) for v in values]
    pitches_all = [p for ps, _ in parsed for p in ps]
    rest_row = (min(pitches_all) if pitches_all else 60) - 3
    rows = {
        "before": ([], [], [], [], []),
        "chosen": ([], [], [], [], []),
        "after": ([], [], [], [], []),
    }  # base, length, pitch, colour value, text
    t = 0
    for k, (ps, dur) in enumerate(parsed):
        part = "before" if k < chosen else ("chosen" if k == chosen else "after")
        share = float(shares[k]) if k < chosen else 0.0
        for p in ps or [rest_row]:
            base, length, pitch, colour, text = rows[part]
            base.append(t * step_s)
            length.append(dur * step_s)
            pitch.append(p)
            colour.append(share)
            text.append(f"value {k}: {names[k]}" + (f"<br>influence {share:.0%} of the largest" if k < chosen else ""))
        t += dur
    fig = go.Figure()
    b = rows["before"]
    if b[0]:
        fig.add_trace(
            go.Bar(
                orientation="h",
                base=b[0],
                x=b[1],
                y=b[2],
                width=0.85,
                name="earlier values",
                text=b[4],
                textposition="none",
                marker=dict(
                    color=b[3],
                    cmin=0,
                    cmax=1,
                    colorscale=INFLUENCE_SCALE,
                    line=dict(width=0.5, color=pal.AXIS),
                    colorbar=dict(title="influence", tickformat=".0%", len=0.8),
                ),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    c = rows["chosen"]
    fig.add_trace(
        go.Bar(
            orientation="h",
            base=c[0],
            x=c[1],
            y=c[2],
            width=0.85,
            name="the predicted value",
            text=c[4],
            textposition="none",
            marker=dict(color="rgba(8,81,156,0.35)", line=dict(width=2.5, color=pal.DARK)),
            hovertemplate="%{text}<extra></extra>",
        )
    )
    a = rows["after"]
    if a[0]:
        fig.add_trace(
            go.Bar(
                orientation="h",
                base=a[0],
                x=a[1],
                y=a[2],
                width=0.85,
                name="later values (no influence)",
                text=a[4],
                textposition="none",
                marker=dict(color="rgba(200,200,200,0.25)", line=dict(width=0.5, color=pal.AXIS)),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    title = f"What the prediction of value {chosen} depended on"
    if start_share is not None:
        title += f" (the silent start: {start_share:.0%})"
    ticks = sorted(set(p for p in pitches_all))
    fig.update_layout(
        title=dict(text=title, font=dict(size=13)),
        height=height,
        barmode="overlay",
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis_title="seconds",
        yaxis=dict(
            title="MIDI pitch (rests at the bottom)",
            tickmode="array",
            tickvals=[rest_row, *ticks[:: max(1, len(ticks) // 12)]],
            ticktext=["rest", *[str(p) for p in ticks[:: max(1, len(ticks) // 12)]]],
        ),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
        plot_bgcolor="white",
    )
    return styled(fig)


def distance_figure(
    curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], *, height: int = 360, current: str | None = None
) -> go.Figure:
    """How far back a model looks: mean gradient norm against the distance back, log–log, one line per run.

    curves: (legend name, distances 1.., mean gradient norms); ``current``'s line is drawn bold.
    """
    fig = go.Figure()
    for i, (name, xs, ys) in enumerate(curves):
        ys = np.asarray(ys, dtype=float)
        ys = np.where(ys > 0, ys, np.nan)  # a log axis can't show 0
        fig.add_trace(
            go.Scatter(
                x=list(xs),
                y=ys,
                mode="lines+markers",
                name=name,
                marker=dict(size=6, symbol=pal.SYMBOLS[i % len(pal.SYMBOLS)]),
                line=dict(
                    width=3 if name == current else 1.5,
                    color=PALETTE[i % len(PALETTE)],
                    dash=pal.DASHES[i % len(pal.DASHES)],
                ),
                hovertemplate="distance %{x}<br>mean gradient norm %{y:.3g}<extra>" + name + "</extra>",
            )
        )
    if not fig.data:
        fig.add_annotation(
            text="Nothing measured yet: press Measure", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(
            type="log",
            title="distance back (tokens; 1 = the token just before)",
            range=[-0.02, np.log10(max([max(xs) for _, xs, _ in curves if len(xs)], default=100)) + 0.02],
        ),
        yaxis=dict(type="log", title="mean ‖∂ log p / ∂ input‖", exponentformat="power"),
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
    )
    return styled(fig)


# --- Dinosaur lab: backpropagation through time and clipping; the temperature view ---
def bptt_figure(
    da_norm: Sequence[float],
    da_future: Sequence[float],
    step_norms: dict,
    step_labels: Sequence[str],
    *,
    height: int = 340,
) -> go.Figure:
    """One name's backward pass: ||dL/da<t>|| per step (bars) with the part that came back from step t+1, and what each
    step added to each gradient (lines). Log y axis; non-finite or zero values are left out (a log axis can't show
    them)."""

    def show(v):
        v = np.asarray(v, dtype=float)
        return np.where(np.isfinite(v) & (v > 0), v, np.nan)

    x = list(step_labels)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=show(da_norm), name="‖da⟨t⟩‖ (all of it)", marker_color=pal.DARK))
    fig.add_trace(go.Bar(x=x, y=show(da_future), name="‖da_next‖ (from step t+1)", marker_color=pal.LIGHT))
    for i, (name, v) in enumerate(step_norms.items()):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=show(v),
                mode="lines+markers",
                name=f"step's part of {name}",
                marker=dict(size=6, symbol=pal.SYMBOLS[(i + 1) % len(pal.SYMBOLS)]),
                line=dict(width=1.5, color=PALETTE[(i + 1) % len(PALETTE)], dash="dot"),
            )
        )
    fig.update_layout(
        barmode="group",
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(type="category", title="step t (the input x⟨t⟩ → the letter it should predict)"),
        yaxis=dict(type="log", title="gradient norm", exponentformat="power"),
        legend=dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0),
    )
    return styled(fig)


def temperature_figure(
    before: np.ndarray,
    after: np.ndarray,
    labels: Sequence[str],
    top: Sequence[int],
    temperature: float,
    *,
    height: int = 240,
) -> go.Figure:
    """The same step's distribution at T = 1 and after temperature T (p^(1/T) renormalised), for the ``top`` tokens."""
    names = [labels[i] for i in top]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=np.asarray(before, float)[list(top)], name="model, T = 1", marker_color=pal.LIGHT))
    fig.add_trace(
        go.Bar(x=names, y=np.asarray(after, float)[list(top)], name=f"after T = {temperature:g}", marker_color=pal.DARK)
    )
    fig.update_layout(
        barmode="group",
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        yaxis=dict(title="probability", rangemode="tozero"),
        xaxis=dict(type="category"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
    )
    return styled(fig)


def grad_history_figure(log: Sequence[tuple[int, float, float, int, bool]], *, height: int = 260) -> go.Figure:
    """||gradient|| of the traced names over training (one per slice chunk), before and after clipping, explosions
    marked.

    log: (iteration, norm before clipping, norm after, entries clipped, exploded) as core.models.dino keeps it.
    """
    fig = go.Figure()
    if log:
        it, before, after, clipped, exploded = (list(c) for c in zip(*log))
        fin = lambda v: [x if np.isfinite(x) and x > 0 else None for x in v]  # noqa: E731 - a log axis
        fig.add_trace(
            go.Scatter(
                x=it,
                y=fin(before),
                mode="lines",
                name="before clipping",
                line=dict(color=pal.LIGHT, width=5),
                customdata=clipped,
                hovertemplate="name %{x}<br>‖g‖ %{y:.3g}<br>%{customdata} entries clipped<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=it, y=fin(after), mode="lines", name="after clipping", line=dict(color=pal.DARK, width=2, dash="dash")
            )
        )
        boom = [i for i, e in enumerate(exploded) if e]
        if boom:
            fig.add_trace(
                go.Scatter(
                    x=[it[i] for i in boom],
                    y=fin([before[i] for i in boom]),
                    mode="markers",
                    name="explosion (guard)",
                    marker=dict(color=PALETTE[1], size=11, symbol="x"),
                )
            )
    else:
        fig.add_annotation(text="No names traced yet", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title="iteration (names)"),
        yaxis=dict(type="log", title="‖all gradients‖", exponentformat="power"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
    )
    return styled(fig)
