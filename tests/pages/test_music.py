"""AppTest drives the Music lab with a tiny model: train, compose, piano roll, audio, download, scorecard, inspector;
the course's model (45,530 parameters, its unrolled graph, argmax generation); call and response with a typed motif
(bad syntax, values outside the vocabulary, the nearest values); the playback instrument; the sine fallback's line."""

import json
import sys

import numpy as np
import pytest

from core.labs.music_lab import COURSE, LSTM, MOTIF, PIECE
from core.music import music_data as md
from tests.support.apptest import button, open_page, tiny_music
from tests.support.inputs import literal_text
from ui.labs import music_views

PAGE = "pages/music.py"
pytestmark = pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")


def tiny(at) -> None:
    tiny_music(at)
    at.run()


def figures(at) -> list[dict]:
    """Every plotly figure on the page, as its JSON spec."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def scorecard(at):
    """The scorecard table on the page (a DataFrame)."""
    return next(d.value for d in at.dataframe if "pitch-class distance" in d.value.columns)


def texts(at) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error])


@pytest.fixture
def recorded(monkeypatch):
    """What the page handed to the .mid download and to the audio renderer (the real functions still run)."""
    calls = {"midi": [], "render": []}
    real_midi, real_render = music_views.midi_file, music_views.ma.render

    def midi_file(values, tempo, program=0):
        calls["midi"].append((tuple(values), tempo, program))
        return real_midi(values, tempo, program)

    def render(pm, **kw):
        calls["render"].append(kw.get("program"))
        return real_render(pm, **kw)

    monkeypatch.setattr(music_views, "midi_file", midi_file)
    monkeypatch.setattr(music_views.ma, "render", render)
    music_views._values_clip.clear()
    return calls


def test_train_compose_listen_download_score_and_inspect(recorded):
    at = open_page(PAGE)
    assert any(m.label == "Vocabulary (distinct values)" for m in at.metric)
    assert len(at.get("audio")) >= 2  # a corpus piece: the original file and its decoded values
    tiny(at)
    trainer = at.session_state["music"].trainer
    assert trainer.config.hidden == 8 and trainer.config.batch_size == 4 and trainer.step == 0
    button(at, "▶ Start").click()
    at.run()
    at.run()
    assert at.session_state["music"].running
    first = trainer.step
    assert first > 0 and len(trainer.history) > 0
    at.run()
    assert trainer.step > first and len(trainer.history) > first
    button(at, "■ Stop").click()
    at.run()
    assert not at.session_state["music"].running
    stopped_at = trainer.step
    at.run()
    assert trainer.step == stopped_at  # stopped means stopped

    # call and response with two bars of a corpus piece
    at.radio(key="music_start").set_value(PIECE)
    at.run()
    at.slider(key="music_prime_bars").set_value(2)
    at.slider(key="music_bars").set_value(2)
    at.button(key="music_generate_btn").click()
    at.run()
    assert not at.exception
    lab = at.session_state["music"]
    res = lab.result
    assert res is not None, [e.value for e in list(at.error) + list(at.warning)]
    assert res.prime == lab.piece_bars(0, 0, 2) and res.bars == 2 and res.step == stopped_at
    assert res.prime_label == f"bars 1–2 of {lab.corpus.pieces[0].name}"
    assert (
        16 < sum(int(v.split("_d")[1]) for v in res.trained_values) <= 2 * 16 + 16
    )  # two bars (the last value may ring on)
    assert len(at.get("plotly_chart")) >= 5  # corpus roll, loss, composed roll, untrained roll, inspector
    assert len(at.get("audio")) >= 4
    assert any(m.label == "Picked" for m in at.metric)
    # the download holds the opening and the answer, on the chosen instrument (piano by default)
    assert recorded["midi"][-1] == (res.prime + res.trained_values, float(at.slider(key="music_tempo").value), 0)
    # the scorecard replaced the key/rhythm table: trained, untrained and the held-out pieces
    table = scorecard(at)
    assert list(table[""]) == [
        f"trained model (step {stopped_at:,})",
        "untrained model",
        "chance (values drawn uniformly at random)",
        "held-out validation pieces",
    ]
    assert "what a uniform random choice scores" in texts(at)
    assert {"pitch-class distance", "in key", "interval distance", "duration distance", "longest copy"} <= set(
        table.columns
    )
    assert "Did it learn music? The scorecard" in texts(at) and "key and rhythm" not in texts(at)
    assert "Distances run from 0" in texts(at) and "Training pieces: key" in texts(at)
    # composing again updates it
    at.number_input(key="music_gen_seed").set_value(5)
    at.button(key="music_generate_btn").click()
    at.run()
    assert at.session_state["music"].result is not res and scorecard(at).shape[0] == 4


def test_changing_hidden_size_restarts_and_says_so():
    at = open_page(PAGE)
    tiny(at)
    button(at, "Step").click()
    at.run()
    old = at.session_state["music"].trainer
    assert old.step > 0
    at.slider(key="music_hidden").set_value(12)
    at.run()
    new = at.session_state["music"].trainer
    assert new is not old and new.step == 0 and new.config.hidden == 12
    assert any("restarted" in i.value for i in at.info)


def test_course_mode_counts_45530_draws_its_graph_and_composes_by_argmax():
    at = open_page(PAGE)
    at.radio(key="music_model").set_value(COURSE)
    at.run()
    assert not at.exception
    lab = at.session_state["music"]
    assert lab.kind == COURSE and lab.trainer.layer_sizes() == dict(n_values=90, n_a=64, Tx=30)
    notes = [literal_text(i.value) for i in at.info]
    assert any("model this lab's LSTM (embedding) → the course's model (one-hot, 90 values)" in n for n in notes), notes
    assert any(m.label == "Parameters (counted by Keras)" and m.value == "45,530" for m in at.metric)
    page = texts(at)
    assert "= 39,680 (LSTM) + 5,850 (Dense) = **45,530**: the same as Keras counts ✓" in page
    assert "4 · 64 · (64 + 90 + 1) + 64 · 90 + 90" in page
    assert "The 89 most common values keep their own index; index 89 stands for the other" in page
    assert "Adam, learning rate 0.01 decayed as 0.01 / (1 + 0.01 · step)" in page and "β₁ = 0.9, β₂ = 0.999" in page
    graph = [f for f in figures(at) if "Unrolled" in (f["layout"].get("title") or {}).get("text", "")]
    assert len(graph) == 1 and "shared by all 30 steps = 45,530 parameters" in graph[0]["layout"]["title"]["text"]
    assert not at.get("select_slider") or all(s.key != "music_lr" for s in at.select_slider)  # the course's optimizer
    at.radio(key="music_graph_mode").set_value("inference")
    at.run()
    graph = [f for f in figures(at) if "Unrolled" in (f["layout"].get("title") or {}).get("text", "")]
    assert "the most likely value is fed back" in graph[0]["layout"]["title"]["text"]

    tiny(at)  # n_a 8, Tx 10: a new run, quick to train
    assert lab.trainer.config.n_a == 8 and lab.trainer.param_count() == 4 * 8 * (8 + 90 + 1) + 8 * 90 + 90
    button(at, "Step").click()
    at.run()
    assert lab.trainer.step > 0 and not at.exception
    assert at.radio(key="music_gen").value.startswith("The most likely value")  # the course's way by default
    at.slider(key="music_n").set_value(20)
    composed = []
    assert at.number_input(key="music_gen_seed").disabled  # the seed doesn't matter to argmax
    for seed in (1, 2):
        at.radio(key="music_gen").set_value("Sampling with temperature")
        at.run()
        at.number_input(key="music_gen_seed").set_value(seed)
        at.radio(key="music_gen").set_value("The most likely value, fed back (the course's way)")
        at.run()
        assert at.number_input(key="music_gen_seed").value == seed
        at.button(key="music_generate_btn").click()
        at.run()
        res = lab.result
        assert res.argmax and all(r.picked == int(np.argmax(r.probs)) for r in res.trained)
        composed.append(res.trained_values)
    assert composed[0] == composed[1]  # deterministic: another seed, the same music
    assert set(composed[0]) <= set(lab.course_vocab.itos)
    assert "the most likely value every step" in texts(at)
    at.radio(key="music_gen").set_value("Sampling with temperature")
    at.run()
    at.button(key="music_generate_btn").click()
    at.run()
    assert not lab.result.argmax and lab.result.temperature == 1.0
    # back to the lab's LSTM: a new run, no course panel
    at.radio(key="music_model").set_value(LSTM)
    at.run()
    assert lab.kind == LSTM and not [
        f for f in figures(at) if "Unrolled" in (f["layout"].get("title") or {}).get("text", "")
    ]


def test_motif_call_and_response_with_bad_and_unknown_motifs(recorded):
    at = open_page(PAGE)
    tiny(at)
    button(at, "Step").click()
    at.run()
    at.radio(key="music_start").set_value(MOTIF)
    at.run()
    assert any("Type a motif to continue" in i.value for i in at.info)
    assert at.button(key="music_generate_btn").disabled
    assert "Notes like C4q E4q G4h" in at.text_input(key="music_motif").help
    # a syntax error: its message, no traceback, nothing to compose
    at.text_input(key="music_motif").input("C4q H4q G4h")
    at.run()
    assert not at.exception
    errors = [literal_text(e.value) for e in at.error]
    assert any("Token 2 'H4q' (at character 5)" in e and "not a note name" in e for e in errors), errors
    assert at.button(key="music_generate_btn").disabled
    # values outside the vocabulary: named, with the nearest values, and a button that uses them
    at.text_input(key="music_motif").input("C4q C4:13 E4q")
    at.run()
    assert any(literal_text(w.value).startswith("Not in the model's vocabulary: C4:13 (nearest: ") for w in at.warning)
    assert at.button(key="music_generate_btn").disabled
    button(at, "Use the nearest values").click()
    at.run()
    fixed = at.text_input(key="music_motif").value
    assert fixed.startswith("C4q ") and "C4:13" not in fixed and not at.warning and not at.error
    # a good motif: the model answers it for 2 bars
    at.text_input(key="music_motif").input("C4q E4q G4h")
    at.run()
    assert not at.button(key="music_generate_btn").disabled
    at.slider(key="music_bars").set_value(2)
    at.button(key="music_generate_btn").click()
    at.run()
    assert not at.exception
    res = at.session_state["music"].result
    assert res.prime == ("N60_d4", "N64_d4", "N67_d8") and res.start == MOTIF and res.bars == 2 and res.trained
    roll = next(f for f in figures(at) if any(t.get("name") == "your motif" for t in f["data"]))
    colors = {t["name"]: t["line"]["color"] for t in roll["data"]}
    assert colors == {"your motif": music_views.MOTIF_COLOR, "the model's answer": music_views.GEN_COLOR}
    assert min(x for x in roll["data"][1]["x"] if x is not None) == pytest.approx(
        2.0 * 120 / at.slider(key="music_tempo").value
    )
    assert recorded["midi"][-1][0] == res.prime + res.trained_values
    # the playback instrument: the players and the .mid follow it
    at.selectbox(key="music_instrument").set_value("Violin")
    at.run()
    assert recorded["midi"][-1][2] == 40 and 40 in recorded["render"]
    assert at.session_state["music"].result is res  # a playback choice, not a new composition


def test_sine_fallback_says_why(monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # as on a server without FluidSynth
    at = open_page(PAGE)
    assert any("sine-wave beeps" in c.value for c in at.caption)


def test_upload_choice_asks_for_files():
    at = open_page(PAGE)
    at.radio(key="music_source").set_value("Upload MIDI files")
    at.run()
    assert not at.exception
    assert any("Upload one or more MIDI files" in i.value for i in at.info)
    # AppTest can't drive the file uploader: tests/e2e/test_music_e2e.py uploads good and bad files for real


def test_a_refused_switch_keeps_the_notes_of_the_run_on_screen(monkeypatch):
    """The course's model on screen, a switch to an LSTM the memory budget refuses: the page still describes the
    course's model (its panel and explanation), not the refused LSTM."""
    from core.labs.music_lab import MusicLab
    from core.models.keras_model import RNNConfig
    from core.server.budget import Verdict

    at = open_page(PAGE)
    tiny(at)
    at.radio(key="music_model").set_value(COURSE)
    at.run()
    lab = at.session_state["music"]
    assert lab.kind == COURSE and "The course's model" in [h.value for h in at.subheader]

    def refuse(self, corpus, config, *, vocab_size=None):
        if isinstance(config, RNNConfig):
            return Verdict(False, 1, 0, "Too large for this server now.", None)
        return None

    monkeypatch.setattr(MusicLab, "budget_verdict", refuse)
    at.radio(key="music_model").set_value(LSTM)
    at.run()
    assert not at.exception, at.exception
    assert any("Too large for this server now." in e.value for e in at.error)
    assert lab.kind == COURSE  # the run on screen is still the course's model
    assert "The course's model" in [h.value for h in at.subheader]
    assert any("capped vocabulary" in m.value for m in at.markdown)  # "What is happening" explains the course's
