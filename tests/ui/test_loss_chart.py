"""ui.loss_chart: one loss chart for every lab, with baselines, a nats / bits switch and the trainer's events."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from core.toolkit import baselines as bl
from tests.support.apptest import button, open_page
from ui import loss_chart


def spec(at, i: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def test_dino_chart_has_baselines_and_bits_switch():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(16)
    at.run()
    button(at, "Step").click()
    at.run()
    assert not at.exception
    lab = at.session_state["dino"]
    want = bl.for_dino(lab.trainer.names, lab.trainer.char_to_ix)
    s = spec(at)
    texts = [a["text"] for a in s["layout"]["annotations"]]
    assert texts == [f"{b.name} {b.value:.2f}" for b in want.lines]
    ys = sorted(sh["y0"] for sh in s["layout"]["shapes"])
    assert ys == pytest.approx(sorted(b.value for b in want.lines))
    assert s["layout"]["yaxis"]["title"]["text"] == "loss (nats per name)"
    assert at.radio(key="dino_y").options == ["nats per name", "bits per name"]  # no perplexity of a per-name loss
    assert any("every 10th name" in c.value and "Laplace" in c.value for c in at.caption)
    raw = s["data"][0]["y"]
    at.radio(key="dino_y").set_value("bits per name")
    at.run()
    s2 = spec(at)
    assert s2["layout"]["yaxis"]["title"]["text"] == "loss (bits per name)"
    assert sorted(sh["y0"] for sh in s2["layout"]["shapes"]) == pytest.approx(
        sorted(b.value / np.log(2) for b in want.lines)
    )
    assert s2["data"][0]["y"] == pytest.approx(np.array(raw) / np.log(2))


def test_transforms_and_marks():
    v = np.array([np.log(2), 2 * np.log(2)])
    assert loss_chart.transform_for("bits per character")(v) == pytest.approx([1, 2])
    assert loss_chart.transform_for("perplexity")(v) == pytest.approx([2, 4])
    assert loss_chart.transform_for("nats per value")(v) == pytest.approx(v)
    lab = SimpleNamespace(
        key="text", unit="character", trainer=SimpleNamespace(events=[(10, "lr 0.005"), (40, "restored best")])
    )
    marks = loss_chart.event_marks(lab)
    assert [(m.x, m.text) for m in marks] == [(10.0, "lr 0.005"), (40.0, "restored best")]
    assert loss_chart.event_marks(SimpleNamespace(key="dino", trainer=object())) == []  # the Dinosaur trainer has none
    assert loss_chart.unit_options(lab) == ["nats per character", "bits per character", "perplexity"]
    b = bl.Baselines((bl.Baseline("uniform", np.log(4)),), "character", "x", "y", "z")
    (line,) = loss_chart.ref_lines(b, loss_chart.transform_for("bits per character"))
    assert line.y == pytest.approx(2.0) and line.name == "uniform 2.00"


def test_close_baseline_labels_are_separated():
    from core import charts

    fig = charts.loss_figure(
        [charts.Series("a", [0, 1], [6, 2])],
        ref_lines=[charts.RefLine("u", 5.2), charts.RefLine("uni", 4.04), charts.RefLine("bi", 3.97)],
    )
    loss_chart.separate_labels(fig)
    anchors = {a.text: a.yanchor for a in fig.layout.annotations}
    assert anchors == {"u": "bottom", "uni": "bottom", "bi": "top"}  # bi's label goes under its line
    empty = charts.loss_figure([], ref_lines=[charts.RefLine("u", 5.2), charts.RefLine("bi", 3.0)])
    loss_chart.separate_labels(empty)
    assert {a.text: a.yanchor for a in empty.layout.annotations if a.text in ("u", "bi")} == {
        "u": "top",
        "bi": "bottom",
    }


def test_dino_loss_numbers_above_the_chart_follow_the_unit_switch():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(16)
    at.run()
    button(at, "Step").click()
    at.run()
    lab = at.session_state["dino"]
    smooth = lab.trainer.smooth_loss
    metric = next(m for m in at.metric if m.label.startswith("Smoothed loss"))
    assert metric.label == "Smoothed loss (nats per name)" and metric.value == f"{smooth:.2f}"
    at.radio(key="dino_y").set_value("bits per name")
    at.run()
    assert not at.exception
    metric = next(m for m in at.metric if m.label.startswith("Smoothed loss"))
    assert metric.label == "Smoothed loss (bits per name)"
    assert metric.value == f"{lab.trainer.smooth_loss / np.log(2):.2f}"


def test_loss_text_and_phrase_follow_the_choice():
    lab = SimpleNamespace(unit="value")
    with pytest.MonkeyPatch.context() as mp:
        state = {"music_y": "bits per value"}
        mp.setattr(loss_chart.st, "session_state", state)
        assert loss_chart.loss_phrase(lab, "music", np.log(90)) == f"{np.log2(90):.2f} bits per value"
        state["music_y"] = "perplexity"
        assert loss_chart.loss_text(lab, "music", np.log(90)) == "90.00"
        assert loss_chart.loss_phrase(lab, "music", np.log(90)) == "perplexity 90.00"
        state["music_y"] = "not a choice"
        assert loss_chart.loss_phrase(lab, "music", 1.0) == "1.00 nats per value"
        assert loss_chart.loss_text(lab, "music", None) == "–"
