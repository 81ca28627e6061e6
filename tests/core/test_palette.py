"""The app's own colours meet WCAG 2.1 AA against their backgrounds, and every chart's series stay apart for readers
with deuteranopia or protanopia and in greyscale (simulated with tests/support/colour_vision.py).

Contrast: text 4.5:1 (1.4.3), graphics 3:1 (1.4.11), checked on the colours as the app builds them, including every
step of the neuron and influence scales (the letters' colour is picked per background).

Distinguishable: two series of one chart pass when they differ in something besides colour (dash style, marker
symbol, fill pattern, or kind of mark: bars against lines), or when, under every simulation, their colours are at
least ``MIN_DELTA_E`` apart in CIELAB. 2.3 is one just-noticeable difference between two large patches side by
side; lines and small markers need several times more (Stone, Albers Szafir & Setlur 2014 measured the difference
needed growing steeply as marks get thinner), so 10, about four such steps, is the bar here.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from core import charts, palette
from core.inside import neurons as nu
from tests.support.colour_vision import SIMULATIONS, delta_e

ROOT = Path(__file__).resolve().parents[2]
TEXT_MIN, GRAPHIC_MIN = 4.5, 3.0
MIN_DELTA_E = 10.0
BACKGROUNDS = (palette.WHITE, palette.SIDEBAR)


# ---------------------------------------------------------------------------------------------- contrast
@pytest.mark.parametrize("colour", [palette.TEXT, palette.MUTED, palette.LINK, palette.DARK])
@pytest.mark.parametrize("background", BACKGROUNDS)
def test_text_colours_reach_4_5_to_1(colour, background):
    assert palette.contrast(colour, background) >= TEXT_MIN


@pytest.mark.parametrize("colour", [*palette.SERIES, palette.AXIS, palette.FOCUS, palette.INFLUENCE])
def test_graphics_reach_3_to_1_on_white(colour):
    assert palette.contrast(colour, palette.WHITE) >= GRAPHIC_MIN


@pytest.mark.parametrize("fill", sorted(palette.BOXES.values()))
def test_text_on_the_unrolled_graphs_boxes(fill):
    assert palette.contrast(palette.TEXT, fill) >= TEXT_MIN
    assert palette.contrast(palette.DENSE_TEXT, palette.WHITE) >= TEXT_MIN


@pytest.mark.parametrize("name", sorted(palette.BASELINES))
def test_baseline_labels_are_text_colours(name):
    """A baseline's label is written in its line's colour."""
    assert palette.contrast(palette.BASELINES[name], palette.WHITE) >= TEXT_MIN


def test_contrast_matches_wcag_reference_values():
    assert palette.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert palette.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert palette.contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_neuron_letters_reach_4_5_to_1_at_every_step_of_the_scale():
    vmax = 2.0
    for v in np.linspace(-vmax, vmax, 801):
        style = nu.letter_style(float(v), vmax)
        bg = re.search(r"background:(#[0-9a-f]{6})", style).group(1)
        fg = re.search(r";color:(#[0-9a-f]{6})", style).group(1)
        assert palette.contrast(fg, bg) >= TEXT_MIN, (v, bg, fg)


def test_neuron_scale_keeps_its_sign_without_colour():
    assert "solid" in nu.letter_style(1.0, 1.0) and "dotted" in nu.letter_style(-1.0, 1.0)
    assert "underline" not in nu.letter_style(0.1, 1.0)  # near 0: plain
    assert palette.diverging(0.0) == palette.WHITE
    assert palette.diverging(1.0) == palette.POSITIVE and palette.diverging(-1.0) == palette.NEGATIVE


def test_influence_shading_reaches_4_5_to_1_at_every_step():
    from ui.inside.influence_view import shaded_html

    shares = np.linspace(0.0, 1.0, 401)
    labels = [chr(ord("a") + k % 26) for k in range(len(shares))] + ["z"]
    out = shaded_html(labels, shares, chosen=len(shares), start=0, after=0)
    pairs = re.findall(r"background:(#[0-9a-f]{6});color:(#[0-9a-f]{6})", out)
    assert len(pairs) == len(shares) + 1  # every earlier token and the chosen one
    for bg, fg in pairs:
        assert palette.contrast(fg, bg) >= TEXT_MIN, (bg, fg)
    assert palette.shade(0.0) == palette.WHITE and palette.shade(1.0) == palette.INFLUENCE


def test_later_tokens_are_readable():
    from ui.inside.influence_view import shaded_html

    out = shaded_html(list("abc"), [1.0], chosen=1, start=0, after=5)
    assert f"color:{palette.MUTED}" in out  # the faint later tokens: still 4.5:1


@pytest.mark.parametrize("scale", [palette.NEURON_SCALE, palette.INFLUENCE_SCALE])
def test_plotly_scales_are_the_letters_scales(scale):
    assert scale[0][0] == 0.0 and scale[-1][0] == 1.0
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for _, c in scale)


def test_theme_uses_the_palette():
    """.streamlit/config.toml and core/palette.py name the same colours (one rule, said twice only because
    Streamlit reads its theme from the file)."""
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["textColor"].lower() == palette.TEXT
    assert theme["backgroundColor"].lower() == palette.WHITE
    assert theme["secondaryBackgroundColor"].lower() == palette.SIDEBAR
    assert theme["linkColor"].lower() == palette.LINK and theme["primaryColor"].lower() == palette.LINK
    for key in ("textColor", "linkColor", "primaryColor"):
        for bg in (theme["backgroundColor"], theme["secondaryBackgroundColor"]):
            assert palette.contrast(theme[key], bg) >= TEXT_MIN, key
    assert palette.contrast(theme["sidebar"]["textColor"], theme["sidebar"]["backgroundColor"]) >= TEXT_MIN


def test_chart_text_is_dark():
    fig = charts.loss_figure([charts.Series("a", [1, 2], [3.0, 2.0])], ref_lines=[charts.RefLine("uniform", 3.3)])
    assert palette.contrast(fig.layout.font.color, palette.WHITE) >= TEXT_MIN
    assert palette.contrast(fig.layout.xaxis.tickfont.color, palette.WHITE) >= TEXT_MIN
    assert all(palette.contrast(a.font.color, palette.WHITE) >= TEXT_MIN for a in fig.layout.annotations)
    assert fig.layout.transition.duration == 0


# ---------------------------------------------------------------------------------------------- colour vision
def _look(trace) -> tuple:
    """What tells a trace apart besides its colour: kind of mark, dash, marker symbol, fill pattern."""
    line = getattr(trace, "line", None)
    marker = getattr(trace, "marker", None)
    dash = line.dash if line is not None and line.dash else "solid"
    symbol = marker.symbol if marker is not None and "markers" in (getattr(trace, "mode", "") or "") else None
    pattern = marker.pattern.shape if marker is not None and getattr(marker, "pattern", None) is not None else None
    return trace.type, dash, str(symbol), str(pattern)


def _colour(trace) -> str:
    if trace.type == "bar":
        return trace.marker.color
    return trace.line.color if trace.line.color else trace.marker.color


def assert_series_apart(traces) -> None:
    traces = [t for t in traces if t.showlegend is not False or t.legendgroup]
    assert len(traces) >= 2
    for a, b in itertools.combinations(traces, 2):
        if _look(a) != _look(b):
            continue
        ca, cb = _colour(a), _colour(b)
        for how in SIMULATIONS:
            assert delta_e(ca, cb, how) >= MIN_DELTA_E, (a.name, b.name, how, delta_e(ca, cb, how))


def test_okabe_ito_series_stay_apart_by_colour_alone_for_colour_blind_readers():
    """Even before dash styles and markers: the first three series (train, validation, the last run) differ in
    colour under every simulation but greyscale, where their dash styles and markers do the work."""
    for a, b in itertools.combinations(palette.SERIES[:3], 2):
        for how in ("deuteranopia", "protanopia"):
            assert delta_e(a, b, how) >= MIN_DELTA_E, (a, b, how)


def _dino_lab_with_runs():
    from core.labs.dino_lab import DinoLab
    from core.labs.lab import Schedule
    from core.models.dino import DinoConfig
    from tests.support.inputs import NAMES

    lab = DinoLab()
    lab.schedule = Schedule(slice_s=0.05, tick_s=1.0, chunk_s=0.01, max_chunk=40, first_chunk=5, eval_every_s=None)
    for n_a in (8, 10, 12, 14):
        lab.configure("test", NAMES, DinoConfig(n_a=n_a, seed=1, iterations=5000))
        lab.run_slice()
    h = lab.trainer.history
    for step in (1, 2, 3):
        h.val.append(step, val=3.0 - 0.1 * step, acc=0.0)  # a validation line, as the Keras labs have
    return lab


def test_loss_chart_lines_stay_apart():
    lab = _dino_lab_with_runs()
    series = lab.loss_series()
    names = [s.name for s in series]
    assert any(n.startswith("validation") for n in names) and sum(n.startswith("train ·") for n in names) >= 3
    fig = charts.loss_figure(series)
    assert_series_apart([t for t in fig.data if t.opacity == 1])  # the faint raw curve is under its smoothed twin
    assert _look(fig.data[1]) != _look(fig.data[2])  # smoothed training vs validation: solid vs dashed


def test_race_lines_stay_apart():
    from core.toolkit.race import Race, lab_corpus, race_configs

    lab = _dino_lab_with_runs()
    race = Race(lab, seconds=0.3)
    race.build(lab_corpus(lab), race_configs(lab, [5, 20, 60]))
    for _ in range(1000):
        if race.run_slice() is not None:
            break
    assert_series_apart(charts.loss_figure(race.loss_series()).data)


def test_baseline_lines_stay_apart():
    from core.toolkit import baselines as bl

    fig = charts.loss_figure(
        [charts.Series("a", [1, 2], [3.0, 2.0])], ref_lines=[bl.ref_line(n, 1.0 + k) for k, n in enumerate(bl.COLORS)]
    )
    lines = [s.line for s in fig.layout.shapes]
    looks = {(ln.dash, ln.color) for ln in lines}
    assert len({d for d, _ in looks}) == len(lines)  # each baseline its own dash style


def test_gate_layers_stay_apart():
    shares = [
        (g, layer, np.random.default_rng(layer).random(5), np.zeros(5))
        for g in ("input", "forget")
        for layer in range(3)
    ]
    fig = charts.gate_saturation_figure(shares)
    layers = [t for t in fig.data if t.mode == "markers" and t.showlegend]
    assert len(layers) == 3
    assert_series_apart(layers)


def test_distance_curves_stay_apart():
    curves = [(f"run {k}", [1, 2, 4], [1.0, 0.5, 0.1]) for k in range(5)]
    assert_series_apart(charts.distance_figure(curves, current="run 0").data)


def test_piano_roll_parts_stay_apart():
    from ui.labs.music_views import GEN_COLOR, MOTIF_COLOR, PIECE_COLOR, UNTRAINED_COLOR

    notes = [(0.0, 0.5, 60)]
    for first in (PIECE_COLOR, MOTIF_COLOR):
        for second in (GEN_COLOR, UNTRAINED_COLOR):
            assert_series_apart(charts.piano_roll_parts_figure([("a", notes, first), ("b", notes, second)]).data)


def test_paired_bars_stay_apart():
    p = np.array([0.5, 0.3, 0.2])
    assert_series_apart(charts.step_distribution_figure(p, p, list("abc"), 0).data)
    assert_series_apart(charts.temperature_figure(p, p, list("abc"), [0, 1, 2], 0.5).data)
    assert_series_apart(
        charts.bptt_figure([1.0, 2.0], [0.5, 1.0], {"Wax": [1.0, 2.0], "Waa": [1.0, 1.5]}, ["a", "b"]).data
    )
    assert_series_apart(charts.grad_history_figure([(1, 2.0, 1.0, 0, False), (2, 9.0, 5.0, 3, True)]).data)


def test_neuron_piano_roll_shows_the_sign_without_colour():
    fig = charts.neuron_piano_roll_figure([0, 4], [4, 4], [(60,), (62,)], ["C4", "D4"], [-0.8, 0.8], 1.0)
    assert list(fig.data[0].marker.pattern.shape) == [charts.NEGATIVE_PATTERN, ""]
