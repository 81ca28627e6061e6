"""ui.inside.neuron_view's Neurons and Gates tabs in AppTest, on tiny models of each lab (untrained, briefly trained)
and on
bad input: empty text, unknown characters, a SimpleRNN's gates, the course RNN's gates, no model yet."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest


def script(kind: str, cell: str = "lstm", train: int = 0, layers: int = 1, no_model: bool = False):
    """An AppTest script: builds one lab in session state (once), then draws both tabs."""
    import streamlit as st

    from ui.inside import neuron_view

    if "lab" not in st.session_state:
        if kind == "text":
            from core.labs.text_lab import TextLab, bundled_corpus
            from core.models.keras_model import RNNConfig

            lab = TextLab()
            if not no_model:
                corpus = bundled_corpus("shakespeare.txt")
                cfg = RNNConfig(cell=cell, hidden=12, layers=layers, embed_dim=8, seq_len=16, batch_size=4)
                lab.configure_text("bundled:shakespeare.txt", "Shakespeare", corpus, cfg)
        elif kind == "music":
            from core.labs.music_lab import MusicLab, make_config
            from core.music import music_codec as mc

            lab = MusicLab()
            lab.use_bundled("bach_chorales", mc.CodecOptions())
            lab.configure_current(make_config(cell, hidden=8, seq_len=10, batch=4, lr=1e-2, seed=0))
        else:
            from core.labs.dino_lab import DinoLab, bundled_names
            from core.models.dino import DinoConfig

            lab = DinoLab()
            lab.configure("bundled", bundled_names(), DinoConfig(n_a=10))
        if train and lab.trainer is not None:
            lab.trainer.train_steps(train)
        st.session_state["lab"] = lab
    lab = st.session_state["lab"]
    neurons, gates = st.tabs(["Neurons", "Gates"])
    with neurons:
        neuron_view.neurons_tab(lab)
    with gates:
        neuron_view.gates_tab(lab)


def run(kind: str, **kw) -> AppTest:
    at = AppTest.from_function(script, default_timeout=120, kwargs=dict(kind=kind, **kw))
    at.run()
    assert not at.exception, at.exception
    return at


def make_text(at: AppTest) -> str:
    parts = (
        [m.value for m in at.markdown]
        + [c.value for c in at.caption]
        + [i.value for i in at.info]
        + [e.value for e in at.error]
    )
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_text_lab_untrained_and_trained(cell):
    at = run("text", cell=cell, layers=2)
    out = make_text(at)
    assert "untrained" in out and "Find interesting units" in out
    assert "<span title=" in out  # the coloured text
    assert len(at.dataframe) == 3  # best per feature, top units, gate summary
    per = at.dataframe[0].value
    assert set(per["tracks"]) <= {
        "inside quotes",
        "inside brackets",
        "position in the line",
        "speaker line",
        "inside a word",
    }
    assert "speaker line" in set(per["tracks"])  # the default text starts after a blank line, at a speaker's name
    gate_rows = at.dataframe[2].value
    expected = {"lstm": {"input", "forget", "output"}, "gru": {"update", "reset"}}[cell]
    assert set(gate_rows["gate"]) == expected and set(gate_rows["layer"]) == {1, 2}
    top = at.dataframe[1].value.iloc[0]["unit"]  # until the student chooses, the strongest unit is shown
    assert f"Showing **{top}**, the strongest" in make_text(at)
    assert not [w for w in at.number_input if w.key == "text_neuron_unit"]  # no unit picker yet
    # choose a unit by number (the range is fixed; a unit beyond this layer's 12 says so and shows the last one)
    at.radio(key="text_neuron_mode").set_value("one I choose").run()
    if cell == "lstm":
        assert at.radio(key="text_neuron_state").options == ["h (hidden)", "c (cell)"]
    assert at.selectbox(key="text_neuron_layer").options == ["layer 1", "layer 2"]
    at.number_input(key="text_neuron_unit").set_value(11).run()
    assert not at.exception and at.number_input(key="text_neuron_unit").value == 11
    at.number_input(key="text_neuron_unit").set_value(40).run()
    assert not at.exception and "This layer has 12 units (0–11): showing unit 11." in make_text(at)
    # the interesting-unit list sets the pickers
    at.radio(key="text_neuron_mode").set_value("the strongest").run()
    jump = at.selectbox(key="text_neuron_jump")
    jump.set_value(jump.options[0]).run()
    assert not at.exception and at.radio(key="text_neuron_mode").value == "one I choose"
    first = at.dataframe[0].value.iloc[0]["unit"]  # "h layer 2 unit 7"
    assert first.endswith(f"unit {at.number_input(key='text_neuron_unit').value}")
    assert f"layer {at.session_state['text_neuron_layer'] + 1}" in first
    assert first.startswith(at.session_state["text_neuron_state"] if cell == "lstm" else "h")
    assert at.selectbox(key="text_neuron_jump").value is None  # back to its placeholder
    # train a few steps: the caption says the step, and the view is recomputed
    lab = at.session_state["lab"]
    lab.trainer.train_steps(3)
    at.run()
    assert not at.exception and "The model at step 3." in make_text(at)
    # while training runs, the tabs keep the weights they read until ↻ Refresh
    lab.running = True
    lab.trainer.train_steps(2)
    at.run()
    out = make_text(at)
    assert "The model at step 3. Training is running: press ↻ Refresh" in out and "The model at step 5" not in out
    at.button(key="text_neuron_refresh").click().run()
    at.button(key="text_gates_refresh").click().run()
    assert not at.exception and make_text(at).count("The model at step 5.") == 2
    lab.running = False


def test_text_lab_bad_input():
    at = run("text", cell="simplernn")
    assert "SimpleRNN has no gates" in make_text(at)  # the Gates tab on a SimpleRNN says why
    at.text_area(key="text_neuron_text").set_value("").run()
    assert not at.exception and "Type or paste a text" in make_text(at)
    at.text_area(key="text_neuron_text").set_value("hello ☃ world \x07").run()
    assert not at.exception and at.error and "never seen" in at.error[0].value and "☃" in at.error[0].value
    at.text_area(key="text_neuron_text").set_value("x" * 1200).run()
    assert not at.exception and "first 1,000 are analysed" in at.warning[0].value
    assert "Not in this input" in make_text(at)  # a text of one repeated letter: no feature varies


def test_no_model_yet():
    at = run("text", no_model=True)
    assert sum("There is no model yet" in i.value for i in at.info) == 2  # both tabs


@pytest.mark.parametrize("model", ["lstm", "course"])
def test_music_lab(model):
    at = run("music", cell=model, train=2)
    out = make_text(at)
    assert "The model at step 2" in out and "counted over" in out
    assert len(at.get("plotly_chart")) == 2  # the coloured piano roll and the gate plot
    per = at.dataframe[0].value
    assert set(per["tracks"]) <= {"position in the bar", "on the downbeat", "pitch height", "note length", "rest"}
    assert set(at.dataframe[-1].value["gate"]) == {"input", "forget", "output"}
    pieces = at.selectbox(key="music_neuron_piece")
    assert any("(held out)" in o for o in pieces.options)
    pieces.set_value(pieces.options[-1]).run()
    assert not at.exception


def test_dino_lab():
    at = run("dino", train=50)
    out = make_text(at)
    assert "The course's RNN, 10 units" in out and "The course's RNN has no gates" in out
    assert "position in the name" in set(at.dataframe[0].value["tracks"])
    assert all(u.startswith("a unit ") for u in at.dataframe[1].value["unit"])  # the course's a⟨t⟩
    at.radio(key="dino_neuron_mode").set_value("one I choose").run()
    assert not at.exception and not [
        r for r in at.radio if r.key == "dino_neuron_state"
    ]  # a⟨t⟩ only: no state to choose
    at.number_input(key="dino_neuron_unit").set_value(9).run()
    assert not at.exception and "This unit against each feature" in make_text(at)
    at.text_area(key="dino_neuron_names").set_value("rex\nt-rex!").run()
    assert not at.exception and "vocabulary has no" in at.error[0].value
    at.text_area(key="dino_neuron_names").set_value("\n\n").run()
    assert not at.exception and "Type a few names" in make_text(at)
    at.text_area(key="dino_neuron_names").set_value("rex").run()
    at.session_state["lab"].trainer.parameters["Waa"][:] = np.nan  # a diverged model
    at.button(key="dino_neuron_refresh").click().run()
    assert not at.exception and "NaN or infinite" in at.warning[0].value


def test_traces_live_on_the_lab_and_go_when_it_sleeps():
    """a closed tab's session outlives it by ~2 minutes, so the views' traces and weight copy are kept on
    the lab, which the reload store's sweep puts to sleep at once; nothing big stays in the session."""
    at = run("text", cell="lstm")
    lab = at.session_state["lab"]
    assert {"net", "_text_neuron_trace", "_text_gate_trace"} <= set(lab.views)
    net = lab.views["net"][1]
    assert (
        lab.views["_text_neuron_trace"][1] is net and lab.views["_text_gate_trace"][1] is net
    )  # one weight copy for both
    assert "_text_neuron_trace" not in at.session_state and "_text_gate_trace" not in at.session_state
    lab.hibernate()
    assert lab.views == {}
    at.run()  # the tab came back (a reload): the views are computed again
    assert not at.exception and "_text_gate_trace" in lab.views
