"""AppTest drives the Text lab: tiny model, train live, chart data grows, sample, inspect; bad uploads get messages."""

import io
import zipfile

import numpy as np

from core.files.model_zip import vocab_to_json
from core.models.keras_trainer import SequenceTrainer
from tests.support.apptest import button, make_tiny, open_page, upload_text
from tests.support.inputs import literal_text, make_text

PAGE = "pages/text.py"
UPLOAD = "Upload a .txt"


def t_corpus(at):
    return at.session_state["text"].run.corpus


def test_train_live_sample_and_inspect():
    at = open_page(PAGE)
    upload_text(at, make_text().encode())
    assert not at.error, [e.value for e in at.error]
    assert any(m.label == "Vocabulary" for m in at.metric)
    make_tiny(at)
    t: SequenceTrainer = at.session_state["text"].trainer
    assert t.config.hidden == 16 and t.config.seq_len == 16 and t.config.batch_size == 4 and t.step == 0
    assert any("parameters" in c.value for c in at.caption)
    button(at, "▶ Start").click()
    at.run()
    at.run()
    assert at.session_state["text"].running
    assert t.step > 0 and len(t.history) == t.step
    assert len(t.history.val) >= 1  # the starting point of the validation curve
    steps = t.step
    at.run()
    assert t.step > steps  # Start continues every tick
    assert at.session_state["text"].live_sample is not None  # the first live sample comes right away
    assert any("Sample at step" in m.value for m in at.markdown)
    live = at.session_state["text"].live_sample
    text, check = live.text, live.check
    assert check == t_corpus(at).lexicon.check(text)  # the check is of the sample shown
    assert any("real words" in c.value or "No complete words" in c.value for c in at.caption)
    button(at, "■ Stop").click()
    at.run()
    assert not at.session_state["text"].running
    stopped = t.step
    at.run()
    assert t.step == stopped and at.session_state["text"].trainer is t  # stopping keeps the model
    button(at, "▶ Start").click()
    at.run()
    assert at.session_state["text"].trainer is t and t.step > stopped  # starting again continues it
    button(at, "■ Stop").click()
    at.run()
    # sampling + inspector
    at.text_input(key="text_prime").set_value("ROMEO:")
    at.number_input(key="text_len").set_value(150)
    at.slider(key="text_temp").set_value(0.5)
    at.number_input(key="text_topk").set_value(5)
    at.button(key="text_sample_btn").click()
    at.run()
    assert not at.exception, at.exception
    sampled = at.session_state["text"].sampled
    assert len(sampled.records) == 150 and len(sampled.text) == 150
    assert all(np.count_nonzero(r.adjusted) <= 5 for r in sampled.records)
    assert any(c.value.startswith("ROMEO:") for c in at.code)
    assert any(m.label == "Picked" for m in at.metric)
    assert at.slider(key="text_inspect_start") is not None  # 150 > one inspector span
    assert len(at.get("plotly_chart")) >= 2  # loss chart + inspector bars (+ heatmap)
    # temperature 0: the same text every time
    at.slider(key="text_temp").set_value(0.0)
    at.button(key="text_sample_btn").click()
    at.run()
    a = at.session_state["text"].sampled.text
    at.number_input(key="text_sample_seed").set_value(7)
    at.button(key="text_sample_btn").click()
    at.run()
    assert at.session_state["text"].sampled.text == a
    assert not at.exception


def test_changing_architecture_starts_a_new_run_and_keeps_the_old_curve():
    at = open_page(PAGE)
    upload_text(at, make_text().encode())
    make_tiny(at)
    old = at.session_state["text"].trainer
    button(at, "Step").click()
    at.run()
    assert old.step > 0
    at.selectbox(key="text_cell").set_value("gru")
    at.run()
    new = at.session_state["text"].trainer
    assert new is not old and new.step == 0 and new.config.cell == "gru"
    assert any("new run" in i.value for i in at.info)
    runs = at.session_state["text"].runs
    assert len(runs) == 1 and "LSTM 16" in runs[0].label
    # learning rate applies to the running model without a restart
    at.select_slider(key="text_lr").set_value(3e-3)
    at.run()
    assert at.session_state["text"].trainer is new and new.config.learning_rate == 3e-3
    button(at, "Clear earlier runs").click()
    at.run()
    assert at.session_state["text"].runs == []


def test_unknown_priming_characters_get_a_message():
    at = open_page(PAGE)
    upload_text(at, make_text().encode())
    make_tiny(at)
    at.text_input(key="text_prime").set_value("ROMEO@#")
    at.run()
    assert any("never seen" in e.value for e in at.error)
    assert at.button(key="text_sample_btn").disabled


def test_bad_text_uploads_are_refused_with_reasons():
    at = open_page(PAGE)
    upload_text(at, b"too short")
    assert any("at least" in e.value for e in at.error)
    at.file_uploader(key="text_upload").set_value(("b.txt", b"\x00\x01binary" * 200, "text/plain"))
    at.run()
    assert any("binary" in e.value for e in at.error)
    latin = ("café " * 400).encode("latin-1")
    at.file_uploader(key="text_upload").set_value(("l.txt", latin, "text/plain"))
    at.run()
    assert any("not valid UTF-8" in e.value for e in at.error)
    at.radio(key="text_encoding").set_value("Latin-1")
    at.run()
    assert not at.error and not at.exception
    assert any("Latin-1" in i.value for i in at.info)


def _zip(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_bad_model_uploads_are_refused_and_a_good_one_loads():
    at = open_page(PAGE)
    upload_text(at, make_text().encode())
    make_tiny(at)
    for data, msg in [
        (b"not a zip", "not a zip"),
        (_zip({"vocab.json": vocab_to_json(["a", "b"])}), "lacks model.keras"),
        (_zip({"model.keras": b"junk", "vocab.json": vocab_to_json(["a", "b"])}), "could not load"),
    ]:
        at.file_uploader(key="text_model_upload").set_value(("m.zip", data, "application/zip"))
        at.run()
        at.button(key="text_model_load_btn").click()
        at.run()
        assert any(msg in literal_text(e.value) for e in at.error), (msg, [e.value for e in at.error])
        assert not at.exception
    # a real model from this page round-trips and continues training
    t: SequenceTrainer = at.session_state["text"].trainer
    button(at, "Step").click()
    at.run()
    from core.files.model_zip import export_model_zip

    run = at.session_state["text"].run
    data = export_model_zip(t, run.chars, dict(t.summary(), corpus="test"))
    at.file_uploader(key="text_model_upload").set_value(("m.zip", data, "application/zip"))
    at.run()
    at.button(key="text_model_load_btn").click()
    at.run()
    assert not at.exception, at.exception
    loaded = at.session_state["text"].trainer
    assert loaded is not t and loaded.step == t.step and loaded.config.same_architecture(t.config)
    assert any("Loaded the uploaded model" in i.value for i in at.info)
    assert at.session_state["text"].run.corpus is not None
    button(at, "Step").click()
    at.run()
    assert at.session_state["text"].trainer is loaded and loaded.step > t.step  # continued, not restarted
    tokens = list(run.corpus.encode("ROMEO"))
    assert loaded.keras_next_token_probs(tokens).shape == (t.vocab_size,)


def test_the_dropout_follows_the_cell_unless_the_student_chose_one():
    from core.models.keras_model import CELL_DROPOUT

    at = open_page(PAGE)
    assert at.slider(key="text_dropout").value == CELL_DROPOUT["lstm"]
    at.selectbox(key="text_cell").set_value("gru").run()
    assert not at.exception and at.slider(key="text_dropout").value == CELL_DROPOUT["gru"]
    at.selectbox(key="text_cell").set_value("simplernn").run()
    assert at.slider(key="text_dropout").value == CELL_DROPOUT["simplernn"]
    at.slider(key="text_dropout").set_value(0.05).run()  # the student's own rate stays with the next cell
    at.selectbox(key="text_cell").set_value("lstm").run()
    assert not at.exception and at.slider(key="text_dropout").value == 0.05
