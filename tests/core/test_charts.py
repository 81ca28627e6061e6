"""Figures are built without streamlit; live charts stay small however long training runs."""

import numpy as np

from core import charts
from core.models.sampling import generate


def test_thin_bounds_points_and_keeps_ends():
    x = list(range(10_000))
    xs, ys = charts.thin(x, x, 600)
    assert len(xs) <= 600 and xs[0] == 0 and xs[-1] == 9_999 and xs == ys
    assert charts.thin([1, 2], [3, 4], 600) == ([1, 2], [3, 4])


def test_thin_cuts_a_history_caught_mid_append_to_its_common_length():
    """A slice still under way when Stop is pressed may append a step whose value the page has not read yet."""
    steps, values = list(range(1600)), np.arange(1599.0)
    xs, ys = charts.thin(steps, values, 600)
    assert len(xs) == len(ys) and xs[-1] == 1598 and ys[-1] == 1598.0
    assert charts.thin([1, 2, 3], [4, 5], 600) == ([1, 2], [4, 5])
    fig = charts.loss_figure([charts.Series("raw", steps, values)], max_points=500)
    assert len(fig.data[0].x) == len(fig.data[0].y)


def test_loss_figure_is_bounded_and_labels_series():
    n = 50_000
    fig = charts.loss_figure(
        [charts.Series("raw", range(n), np.ones(n)), charts.Series("empty", [], [])], max_points=500
    )
    assert len(fig.data) == 1 and fig.data[0].name == "raw" and len(fig.data[0].x) <= 500
    empty = charts.loss_figure([])
    assert empty.layout.annotations and "No training yet" in empty.layout.annotations[0].text


class Uniform:
    def initial_state(self):
        return None

    def next_token_probs(self, state, token):
        return np.full(100, 0.01), state


def test_inspector_figures_limit_rows_but_keep_picks():
    recs = generate(Uniform(), 12, rng=np.random.default_rng(0))
    labels = [f"t{i}" for i in range(100)]
    heat = charts.distribution_heatmap(recs, labels, max_rows=20)
    rows = list(heat.data[0].y)
    assert len(rows) <= 20 + 12 and all(labels[r.picked] in rows for r in recs)
    bars = charts.step_distribution_figure(recs[0].probs, recs[0].adjusted, labels, recs[0].picked, max_bars=10)
    assert labels[recs[0].picked] in list(bars.data[0].x) and len(bars.data[0].x) <= 11


def test_piano_roll_draws_every_note():
    fig = charts.piano_roll_figure([(0.0, 0.5, 60), (0.5, 1.0, 64)])
    ys = [y for y in fig.data[0].y if y is not None]
    assert sorted(set(ys)) == [60, 64]


def test_loss_figure_draws_reference_lines_and_marks():
    fig = charts.loss_figure(
        [charts.Series("raw", [0, 1, 2], [3.0, 2.0, 1.0])],
        ref_lines=[charts.RefLine("uniform ln 27", 3.3), charts.RefLine("skipped", float("nan"))],
        marks=[charts.Mark(1, "lr 0.01 → 0.005")],
    )
    shapes = fig.layout.shapes
    assert [s.type for s in shapes] == ["line", "line"]
    assert shapes[0].y0 == shapes[0].y1 == 3.3  # horizontal
    assert shapes[1].x0 == shapes[1].x1 == 1  # vertical
    texts = [a.text for a in fig.layout.annotations]
    assert "uniform ln 27" in texts and "lr 0.01 → 0.005" in texts and "skipped" not in texts


def test_the_loss_figures_baselines_and_marks_are_what_plotlys_helpers_draw():
    """loss_figure builds its shapes and labels as dicts (a live chart is drawn every second): they must be exactly
    what fig.add_hline / add_vline with the same arguments make."""
    import plotly.graph_objects as go

    refs = [charts.RefLine("uniform 3.30", 3.3), charts.RefLine("bigram 2.50", 2.5, dash="dot")]
    marks = [charts.Mark(50, "lr 0.005")]
    fig = charts.loss_figure([charts.Series("a", [0, 1], [4, 3])], ref_lines=refs, marks=marks).to_dict()
    want = go.Figure()
    for r in refs:
        want.add_hline(
            y=r.y,
            line=dict(dash=r.dash, width=1.5, color=r.color),
            annotation_text=r.name,
            annotation_position="top right",
            annotation_font_color=r.color,
        )
    for m in marks:
        want.add_vline(
            x=m.x,
            line=dict(dash="dot", width=1, color=m.color),
            annotation_text=m.text,
            annotation_position="top",
            annotation_font_color=m.color,
        )
    want = want.to_dict()["layout"]
    assert fig["layout"]["shapes"] == want["shapes"]
    assert fig["layout"]["annotations"] == want["annotations"]
    styled = charts.styled(go.Figure()).to_dict()["layout"]
    for k in ("font", "paper_bgcolor", "plot_bgcolor", "hoverlabel", "transition"):
        assert fig["layout"][k] == styled[k]
    for k, v in styled["xaxis"].items():
        assert fig["layout"]["xaxis"][k] == v or k == "title"
