"""The Neurons and Gates tabs of Look inside on the real Text and Music pages (AppTest, tiny models)."""

import pytest

from core.music import music_data as md
from tests.support.apptest import open_page, tiny_music, tiny_text


def texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error])


def tab(at, label: str):
    return next(t for t in at.tabs if t.label == label)


def test_text_page_neurons_and_gates():
    at = open_page("pages/text.py")
    tiny_text(at)
    at.run()
    assert not at.exception, at.exception
    labels = [t.label for t in at.tabs]
    assert "Neurons" in labels and "Gates" in labels
    neurons = tab(at, "Neurons")
    assert any("untrained" in c.value for c in neurons.caption)
    assert any("<span title=" in m.value for m in neurons.markdown)  # the coloured text
    tracks = set(neurons.dataframe[0].value["tracks"])
    assert tracks and tracks <= {
        "inside quotes",
        "inside brackets",
        "position in the line",
        "speaker line",
        "inside a word",
    }
    gates = tab(at, "Gates")
    assert set(gates.dataframe[0].value["gate"]) == {"input", "forget", "output"}  # the page's default cell is an LSTM
    at.session_state["text"].trainer.train_steps(2)
    at.run()
    assert not at.exception and "The model at step" in texts(tab(at, "Neurons"))
    at.text_area(key="text_neuron_text").set_value("").run()
    assert not at.exception and "Type or paste a text" in texts(tab(at, "Neurons"))
    at.selectbox(key="text_cell").set_value("simplernn").run()
    assert not at.exception and "SimpleRNN has no gates" in texts(tab(at, "Gates"))


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_page_neurons_and_gates():
    at = open_page("pages/music.py")
    tiny_music(at)
    at.run()
    assert not at.exception, at.exception
    neurons = tab(at, "Neurons")
    assert any(c.key == "music_neuron_roll" for c in neurons.get("plotly_chart"))
    assert set(neurons.dataframe[0].value["tracks"]) <= {
        "position in the bar",
        "on the downbeat",
        "pitch height",
        "note length",
        "rest",
    }
    gates = tab(at, "Gates")
    assert set(gates.dataframe[0].value["gate"]) == {"input", "forget", "output"}
    assert "held-out piece" in texts(gates)
