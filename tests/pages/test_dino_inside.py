"""AppTest of the Dinosaur views (the BPTT and clipping view, clip controls, the explosion button and the guard,
the formula view at the inspector's step, the temperature view) and of the temperature view in the Text and Music
labs."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.models import numpy_rnn as nr
from core.models.trainer import StopKind
from tests.support.apptest import button, messages, ok, open_page, tiny_text

PAGE = "pages/dinosaurs.py"


def df(at, columns):
    """The dataframe whose columns are exactly ``columns``."""
    for d in at.dataframe:
        if list(d.value.columns) == list(columns):
            return d.value
    raise AssertionError(f"no table with columns {columns}: {[list(d.value.columns) for d in at.dataframe]}")


def small_dino():
    at = open_page(PAGE)
    at.slider(key="dino_n_a").set_value(12)
    at.run()
    return at


def test_bptt_view_shows_the_last_trained_name_and_its_clip_counts():
    at = small_dino()
    assert any("Train a few names" in i.value for i in at.info)  # untrained: the view says what to do
    button(at, "Step").click()
    at.run()
    ok(at)
    t = at.session_state["dino"].trainer
    trace = t.last_trace
    name = t.decode(trace.inputs[1:])
    assert any(f"name {t.last_trace_at:,} “{name}”" in c.value for c in at.caption), messages(at)
    table = df(at, ["gradient", "entries", "‖g‖ before clip", "largest |entry|", "‖g‖ after clip", "entries clipped"])
    assert list(table["gradient"]) == list(nr.GRAD_NAMES)
    for _, row in table.iterrows():
        g = row["gradient"]
        assert row["entries clipped"] == trace.clipped[g] and row["‖g‖ before clip"] == pytest.approx(
            trace.grad_norm[g]
        )
    # a typed name, and one the model can't read
    at.radio(key="dino_bptt_which").set_value("A name I type")
    at.run()
    assert any("“tyrannosaurus” on the current weights" in c.value for c in at.caption), messages(at)
    at.text_input(key="dino_bptt_name").set_value("rex9")
    at.run()
    ok(at)
    assert any("never seen" in i.value for i in at.info), messages(at)


def test_clip_controls_retune_without_restarting():
    at = small_dino()
    button(at, "Step").click()
    at.run()
    t = at.session_state["dino"].trainer
    steps = t.step
    at.checkbox(key="dino_clip_on").uncheck()
    at.run()
    assert at.session_state["dino"].trainer is t and t.config.clip_value is None and t.step == steps
    assert not any("restarted" in i.value for i in at.info)
    at.checkbox(key="dino_clip_on").check()
    at.run()
    at.number_input(key="dino_clip").set_value(0.01)
    at.run()
    ok(at)
    assert at.session_state["dino"].trainer is t and t.config.clip_value == 0.01
    assert any("learns very slowly" in w.value for w in at.warning), messages(at)
    button(at, "Step").click()
    at.run()
    assert t.last_trace.clip_value == 0.01 and t.last_trace.total_clipped > 0
    assert any("were set to ±0.01" in c.value for c in at.caption), messages(at)
    at.number_input(key="dino_clip").set_value(1e6)  # the largest value the widget takes
    at.run()
    ok(at)
    assert t.config.clip_value == 1e6 and any("as good as off" in c.value for c in at.caption)


def test_show_an_explosion_is_caught_by_the_guard_and_the_course_settings_come_back():
    at = small_dino()
    button(at, "Step").click()
    at.run()
    t = at.session_state["dino"].trainer
    at.button(key="dino_explode").click()
    at.run()
    ok(at)
    lab = at.session_state["dino"]
    assert lab.trainer is t and lab.note.kind is StopKind.DIVERGED and not lab.running
    assert any("exploded" in w.value and "Turn gradient clipping on" in w.value for w in at.warning), messages(at)
    assert any("far above the course's 0.01" in w.value for w in at.warning), messages(at)
    assert at.select_slider(key="dino_lr").value == 1.0 and not at.checkbox(key="dino_clip_on").value
    assert all(np.all(np.isfinite(p)) for p in t.parameters.values())
    assert t.last_trace_exploded and any("the one that exploded" in c.value for c in at.caption), messages(at)
    at.button(key="dino_course_settings").click()
    at.run()
    ok(at)
    assert (
        at.select_slider(key="dino_lr").value == 0.01
        and at.checkbox(key="dino_clip_on").value
        and at.number_input(key="dino_clip").value == 5.0
    )
    assert t.config.clip_value == 5.0 and t.learning_rate == 0.01 and at.session_state["dino"].trainer is t
    button(at, "Step").click()
    at.run()
    assert lab.note is None and not t.last_trace_exploded


def test_formula_view_numbers_equal_a_manual_forward_pass():
    at = small_dino()
    button(at, "Step").click()
    at.run()
    at.number_input(key="dino_how_many").set_value(2)
    at.button(key="dino_sample_btn").click()
    at.run()
    lab = at.session_state["dino"]
    _, records = lab.sampled[0]
    step = min(2, len(records) - 1)
    if len(records) > 1:
        at.slider(key="dino_inspector__step").set_value(step)
        at.run()
    ok(at)
    P, inputs = lab.sampled_parameters, lab.sampled_inputs(0)
    a = np.zeros((12, 1))
    for s in range(step + 1):
        a_prev = a
        z = P["Wax"] @ nr.one_hot(inputs[s], P["Wax"].shape[1]) + P["Waa"] @ a_prev + P["b"]
        a = np.tanh(z)
    hidden = df(at, ["unit", "Wax x⟨t⟩", "Waa a⟨t−1⟩", "b", "sum", "a⟨t⟩ = tanh(sum)"])
    assert len(hidden) == 6
    np.testing.assert_allclose(hidden["Waa a⟨t−1⟩"], (P["Waa"] @ a_prev)[:6, 0])
    np.testing.assert_allclose(hidden["sum"], z[:6, 0])
    np.testing.assert_allclose(hidden["a⟨t⟩ = tanh(sum)"], a[:6, 0])
    logits = P["Wya"] @ a + P["by"]
    y = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    out = df(at, ["letter", "Wya a⟨t⟩", "by", "sum", "ŷ⟨t⟩ = softmax"])
    top = np.argsort(-y.ravel())[:5]
    assert list(out["letter"]) == [lab.trainer.labels[i] for i in top]
    np.testing.assert_allclose(out["ŷ⟨t⟩ = softmax"], y.ravel()[top])
    np.testing.assert_allclose(out["ŷ⟨t⟩ = softmax"], records[step].probs[top])  # the inspector's own numbers
    assert len(at.get("latex")) >= 2 and any(f"Step {step} of the inspector" in c.value for c in at.caption)


def test_dino_temperature_view_and_the_inspector_labels():
    at = small_dino()
    at.slider(key="dino_temp").set_value(0.0)
    at.run()
    ok(at)
    assert any("What temperature 0 does to the first letter" in m.value for m in at.markdown)
    assert any("T = 0 always picks the most likely token" in c.value for c in at.caption)
    at.button(key="dino_sample_btn").click()
    at.run()
    labels = [m.label for m in at.metric]
    assert "Its probability (sampled)" in labels and "Its probability (T=1)" in labels
    assert any(c.value.startswith("Top candidates, model (T=1)") for c in at.caption)
    assert any(
        c.value.startswith("Top candidates, sampled from") and "one candidate only" in c.value for c in at.caption
    )
    at.slider(key="dino_temp").set_value(2.0)
    at.run()
    assert any("T > 1 flattens" in c.value for c in at.caption)


def test_text_page_temperature_view_and_explanations():
    at = open_page("pages/text.py")
    tiny_text(at)
    at.run()
    ok(at)
    assert any("What temperature 0.8 does to the first character" in m.value for m in at.markdown), messages(at)
    assert any("T < 1 sharpens" in c.value for c in at.caption)
    at.text_input(key="text_prime").set_value("ROMEO")
    at.slider(key="text_temp").set_value(0.0)
    at.run()
    ok(at)
    assert any("the character after your priming text" in m.value for m in at.markdown)
    assert any("T = 0 always picks" in c.value for c in at.caption)
    lab = at.session_state["text"]
    n = lab.trainer.param_count()
    assert any("SimpleRNN, LSTM, GRU" in m.value for m in at.markdown)
    assert any(
        f"{n:,} parameters" in m.value and f"total: {n:,}" in m.value and "LSTM layer 1: $4" in m.value
        for m in at.markdown
    ), messages(at)


def _music_script():
    import streamlit as st

    from core.labs.music_lab import LSTM, MusicLab, make_config
    from core.music import music_codec as mc
    from ui import temperature_view

    lab = st.session_state.get("music_test_lab")
    if lab is None:
        lab = MusicLab()
        lab.use_bundled("bach_chorales", mc.CodecOptions(max_chord=1))
        lab.configure_current(make_config(LSTM, hidden=8, seq_len=10, batch=4, lr=0.003, seed=0))
        st.session_state["music_test_lab"] = lab
    T = st.slider("Temperature", 0.0, 2.0, 1.0, 0.05, key="music_temp")
    temperature_view.for_music(lab, tuple(st.session_state.get("music_test_prime", ())), T)


def test_music_temperature_view():
    """The Music lab's call (ui/labs/music_views.py puts it beside its slider): the view shows the distribution
    compose() draws
    its first value from."""
    from core.music import music_data as md

    if "bach_chorales" not in md.bundled_styles():
        pytest.skip("no bundled Bach chorales")
    at = AppTest.from_function(_music_script, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert any("the first value (from silence)" in m.value for m in at.markdown)
    lab = at.session_state["music_test_lab"]
    probs = at.session_state["music_temp_view__probs"][1]
    res = lab.compose(tempo=120.0, n_values=1, temperature=1.0)
    np.testing.assert_allclose(probs, res.trained[0].probs, rtol=1e-6)
    at.slider(key="music_temp").set_value(0.0)
    at.run()
    assert any("T = 0 always picks the most likely token" in c.value for c in at.caption)
    said = "\n".join(c.value for c in at.caption)
    assert not re.search(r"\b(?:N\d+|C[\d.]+|R)_d\d+\b", said), said  # values as the page writes them (C4q)


def test_dino_explanations_are_on_the_page():
    at = small_dino()
    ok(at)
    md = "\n".join(m.value for m in at.markdown)
    assert "The hidden state is carried from one name to the next" in md
    assert (
        "Where the smoothed loss starts" in md and "7 \\ln 27$ = 23.07" in md and "more than the starting value" in md
    )
    assert "Backpropagation through time." in md and "±5 before the update" in md
    assert any(e.label == "Why the smoothed loss starts at 23.07 and rises first" for e in at.expander)
    at.checkbox(key="dino_clip_on").uncheck()
    at.run()
    md = "\n".join(m.value for m in at.markdown)
    assert r"\max(dW, -\infty), \infty)" in md and "∞ (clipping is off)" in md
