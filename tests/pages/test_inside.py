"""AppTest drives Look inside's Influence and How far back tabs in every lab with tiny models: the shaded text or piano
roll matches core.inside.influence on the same model, bad input gets messages, measured curves are kept per run."""

import json
import re

import numpy as np
import pytest

from core import palette
from core.inside import influence as inf
from core.labs.music_lab import COURSE
from core.music import music_data as md
from tests.support.apptest import button, make_tiny, open_page, tiny_music, upload_text
from tests.support.inputs import make_text


def htmls(at) -> list[str]:
    return [m.value for m in at.markdown if "outline:2px solid" in m.value]


def texts(at) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error])


def figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def shades_in(html: str) -> list[str]:
    """The background of every shaded (earlier) span, in order."""
    import re

    return re.findall(r"style='background:(#[0-9a-f]{6});color:", html)


def shades_of(shares) -> list[str]:
    """The backgrounds the page gives these influence shares (core.palette.shade)."""
    return [palette.shade(float(x)) for x in shares]


def distance_fig(at) -> dict:
    return next(f for f in figures(at) if f["layout"].get("xaxis", {}).get("type") == "log")


def test_dino_influence_and_distance():
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(16)
    at.run()
    assert "Press **Sample names** in the tab “Sample & inspect”" in texts(
        at
    )  # nothing sampled yet: a message, no view
    lab = at.session_state["dino"]
    button(at, "Step").click()
    at.run()
    at.number_input(key="dino_how_many").set_value(4)
    at.button(key="dino_sample_btn").click()
    at.run()
    assert not at.exception
    shaded = htmls(at)
    assert len(shaded) == 1
    name, seq = inf.dino_names(lab)[0]
    res, start = inf.explain(lab.trainer.token_model(), seq, len(seq) - 1)  # the default: the last letter (⏎)
    assert shades_in(shaded[0]) == shades_of(res.share)
    assert "Reading guide" in texts(at) and "⟨start⟩" in shaded[0]
    # another name, an earlier letter
    next(b for b in at.selectbox if b.key.startswith("dino_inside_name_")).set_value(1)
    at.run()
    seq1 = inf.dino_names(lab)[1][1]
    if len(seq1) > 2:
        at.slider(key=f"dino_inside_1_pos_{len(seq1)}").set_value(1)
        at.run()
        assert len(shades_in(htmls(at)[0])) == 1  # only the start comes before the first letter
    # How far back: measured on the names, kept per run
    at.button(key="dino_inside_measure").click()
    at.run()
    assert not at.exception
    curves = at.session_state["inside_dino_curves"]
    assert list(curves) == [lab.run_label()]
    step, curve, what = curves[lab.run_label()]
    assert step == lab.trainer.step and curve.distances[0] == 1 and "names" in what
    fig = distance_fig(at)
    assert fig["layout"]["yaxis"]["type"] == "log" and len(fig["data"]) == 1
    at.slider(key="dino_n_a").set_value(8)  # a new run: both curves on the chart
    at.run()
    at.button(key="dino_inside_measure").click()
    at.run()
    assert len(at.session_state["inside_dino_curves"]) == 2 and len(distance_fig(at)["data"]) == 2


def test_text_influence_typed_generated_and_distance():
    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    make_tiny(at)
    lab = at.session_state["text"]
    assert "Press **Generate** in the tab “Generate & inspect”" in texts(at)
    at.radio(key="text_inside_source").set_value("A text I type or paste")
    at.run()
    assert any("Type or paste a text" in i.value for i in at.info)  # empty: a message
    for bad, says in [("ROMEO@#", "never seen"), ("R", "at least two characters")]:
        at.text_area(key="text_inside_typed").set_value(bad)
        at.run()
        assert not at.exception and any(says in e.value for e in at.error), bad
    at.text_area(key="text_inside_typed").set_value("ROMEO:\nthe king")
    at.run()
    shaded = htmls(at)
    assert len(shaded) == 1 and not at.exception
    seq, _ = inf.text_typed(lab, "ROMEO:\nthe king")
    res, _ = inf.explain(lab.trainer.token_model(), seq, len(seq) - 1)
    assert shades_in(shaded[0]) == shades_of(res.share) and len(res.norms) == len("ROMEO:\nthe kin")
    at.slider(key=f"text_inside_typed_pos_{len(seq)}").set_value(3)
    at.run()
    assert len(shades_in(htmls(at)[0])) == 3
    # the generated text, after a training step
    button(at, "Step").click()
    at.run()
    at.number_input(key="text_len").set_value(30)
    at.button(key="text_sample_btn").click()
    at.radio(key="text_inside_source").set_value("The generated text")
    at.run()
    assert not at.exception
    gen = inf.text_generated(lab)
    assert len(gen) == 31  # the newline it starts after + 30 characters
    res, _ = inf.explain(lab.trainer.token_model(), gen, 30)
    assert shades_in(htmls(at)[0]) == shades_of(res.share)
    # training goes on: the view explains the text with the weights that generated it (kept by the time-lapse), or says
    # that it measures the model now
    button(at, "Step").click()
    at.run()
    assert lab.trainer.step > gen.step and not at.exception
    try:
        then = lab.model_at(gen.step)
    except KeyError:
        then = None
    if then is not None:
        res, _ = inf.explain(then, gen, 30)
        assert shades_in(htmls(at)[0]) == shades_of(res.share)
    else:
        assert f"It was generated at step {gen.step:,}" in texts(at)
    at.button(key="text_inside_measure").click()
    at.run()
    assert not at.exception
    step, curve, what = at.session_state["inside_text_curves"][lab.run_label()]
    assert "validation text" in what and curve.distances[-1] == inf.MAX_DISTANCE
    assert "back moves the prediction" in texts(at)


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
@pytest.mark.parametrize("kind", ["lstm", COURSE])
def test_music_influence_roll_and_distance(kind):
    at = open_page("pages/music.py")
    if kind == COURSE:
        at.radio(key="music_model").set_value(COURSE)
        at.run()
    tiny_music(at)
    at.run()
    lab = at.session_state["music"]
    assert lab.kind == kind
    assert "Press **Compose** in the tab “Compose & listen”" in texts(at)
    button(at, "Step").click()
    at.run()
    if kind == COURSE:
        at.radio(key="music_gen").set_value("Sampling with temperature")
        at.run()
    at.slider(key="music_n").set_value(20)
    at.button(key="music_generate_btn").click()
    at.run()
    assert not at.exception
    rolls = [
        f for f in figures(at) if "What the prediction of value" in (f["layout"].get("title") or {}).get("text", "")
    ]
    assert len(rolls) == 1
    seq = inf.music_composed(lab)
    res, _ = inf.explain(lab.trainer.token_model(), seq, len(seq) - 1)
    earlier = next(d for d in rolls[0]["data"] if d["name"] == "earlier values")
    colours = np.asarray(earlier["marker"]["color"])
    values = seq.labels[1:]
    expect = [
        res.share[k + 1]
        for k, v in enumerate(values[:-1])
        for _ in (v.split("_")[0][1:].split(".") if not v.startswith("R") else [0])
    ]
    assert np.allclose(colours, expect, atol=1e-6)
    said = "\n".join(c.value for c in at.caption)
    assert "Strongest influence" in said and not re.search(r"\b(?:N\d+|C[\d.]+|R)_d\d+\b", said), said  # C4q
    at.button(key="music_inside_measure").click()
    at.run()
    assert not at.exception
    _, curve, what = at.session_state["inside_music_curves"][lab.run_label()]
    assert curve.distances[0] == 1 and "pieces" in what
