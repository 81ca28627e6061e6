"""The Neurons and Gates tabs of Look inside on the real Text and Music pages (AppTest, tiny models)."""

import re

import pytest

from core.echo import literal
from core.music import music_data as md
from tests.support.apptest import button, open_page, tiny_music, tiny_text


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


RAW_VALUE = re.compile(r"\b(?:N\d+|C\d+(?:\.\d+)+|R)_d\d+\b")  # a codec token: N72_d2, C60.64.67_d2, R_d4


def everything_in(node) -> str:
    """Every element under ``node`` as its protobuf text: captions, tables (their Arrow bytes), charts (their spec)."""
    children = getattr(node, "children", None)
    inner = [everything_in(c) for c in children.values()] if isinstance(children, dict) else []
    return "\n".join([str(getattr(node, "proto", "")), *inner])


def inputs_shown(neurons) -> set[str]:
    """The "input" column of the Neurons tab's "Show the numbers" table (position | input | activation)."""
    table = next(m.value for m in neurons.markdown if m.value.startswith("| position | input | activation |"))
    return {line.strip("| ").split(" | ")[1] for line in table.splitlines()[2:]}


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_look_inside_writes_values_as_the_page_does_never_as_codec_tokens():
    at = open_page("pages/music.py")
    tiny_music(at)
    at.run()
    button(at, "Step").click()
    at.run()
    button(at, "🎼 Compose").click()
    at.run()
    assert not at.exception, at.exception
    lab = at.session_state["music"]
    res = lab.result
    assert res is not None and res.trained_values and RAW_VALUE.fullmatch(res.trained_values[0])
    for label in ("Influence", "Neurons", "Gates", "How far back"):
        raw = RAW_VALUE.findall(everything_in(tab(at, label)))
        assert not raw, (label, raw[:5])
    # the composition's values, as the page writes them (A4e, [C4 E4]h, Rq), are what the views show
    names = [lab.token_text(v) for v in (*res.prime, *res.trained_values)]
    composition = next(o for o in at.selectbox(key="music_neuron_piece").options if o.startswith("the last comp"))
    at.selectbox(key="music_neuron_piece").set_value(composition).run()
    assert not at.exception, at.exception
    assert not RAW_VALUE.findall(everything_in(tab(at, "Neurons")))
    assert inputs_shown(tab(at, "Neurons")) <= {literal(n, 120) for n in names}
    assert literal(names[0], 120) in inputs_shown(tab(at, "Neurons"))
    roll = next(c for c in tab(at, "Influence").get("plotly_chart") if c.key == "music_inside_roll")
    assert f"value 0: {names[0]}" in roll.proto.spec
    # a held-out piece of the corpus reads the same way
    piece = next(o for o in at.selectbox(key="music_neuron_piece").options if o.endswith("(held out)"))
    at.selectbox(key="music_neuron_piece").set_value(piece).run()
    assert not at.exception, at.exception
    assert not RAW_VALUE.findall(everything_in(tab(at, "Neurons")))
    values = lab.neuron_input().options[piece]
    assert inputs_shown(tab(at, "Neurons")) <= {literal(lab.token_text(v), 120) for v in values}
