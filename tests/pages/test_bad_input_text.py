"""Bad input (Text lab: text uploads and sliders): every case gets a clear message on the page (never a
traceback) and the page keeps working. Model uploads are in tests/pages/test_bad_input_models.py.

Cases already covered elsewhere are not repeated here; the mapping is:
  - Text upload: binary / Latin-1 / too short ..................................
  test_page_text.test_bad_text_uploads_are_refused_with_reasons
  - Text hidden 16 (minimum), temperature 0, top-k within the vocabulary ........
  test_page_text.test_train_live_sample_and_inspect
  - NaN in the trainers (core) .................................................
  test_keras_trainer.test_nan_loss_stops_and_restores_last_good_weights
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.text.textio import MB
from tests.support.apptest import button, messages, ok, open_page, tiny_text, upload_text
from tests.support.inputs import MARKDOWN_NAME, literal_text, make_text, markup_in


# ---------------------------------------------------------------------------------------------- text uploads
@pytest.mark.parametrize(
    "case, data, needle",
    [
        ("empty", b"", "is empty"),
        ("one repeated character", b"a" * 5000, "single character"),
        ("only newlines", b"\n" * 5000, "no visible text"),
        ("over the page's 10 MB limit", b"x" * (11 * MB), "is 11.0 MB; the limit here is 10.0 MB"),
        ("UTF-16 with BOM is converted", make_text().encode("utf-16"), "UTF-16"),
        ("UTF-16 cut in the middle of a character", make_text().encode("utf-16")[:-1], "may be cut off or damaged"),
        ("UTF-16 with a lone surrogate", make_text().encode("utf-16") + b"\x00\xd8a\x00", "may be cut off or damaged"),
    ],
)
def test_text_lab_bad_uploads_get_a_message_and_the_page_keeps_working(case, data, needle):
    """Text uploads (Text lab): empty, one repeated character, only newlines, over the size limit (the page's own
    refusal of a big file), UTF-16. Each shows a clear message; a good file uploaded afterwards is used."""
    at = open_page("pages/text.py")
    upload_text(at, data)
    assert needle in messages(at), (case, messages(at))
    assert "truncated data" not in messages(at) and "surrogate" not in messages(at)  # never the decoder's own words
    if case == "UTF-16 with BOM is converted":
        assert not at.error and at.session_state["text"].run.corpus.text.startswith("ROMEO:")
        return
    assert at.error and not any(m.label == "Vocabulary" for m in at.metric)  # the page stops at the picker
    upload_text(at, make_text().encode(), name="good.txt")
    assert not at.error, messages(at)
    assert any(m.label == "Vocabulary" for m in at.metric)
    assert at.session_state["text"].run.corpus_name == "good.txt"


# ---------------------------------------------------------------------------------------------- sliders: Text lab
def test_text_hidden_1024_renders_and_trains_a_step():
    """Sliders at their extremes (Text): hidden 1024 with 3 layers is built and its parameter count shown (no
    training); 1024 x 1 takes a step."""
    from core.models.keras_model import count_params

    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    at.select_slider(key="text_seq").set_value(16)
    at.select_slider(key="text_batch").set_value(4)
    at.slider(key="text_hidden").set_value(1024)
    at.slider(key="text_layers").set_value(3)
    at.run()
    ok(at)
    t = at.session_state["text"].trainer
    assert (t.config.hidden, t.config.layers) == (1024, 3)
    assert any(f"{count_params(t.vocab_size, t.config):,} parameters" in c.value for c in at.caption)
    assert any("over this page's upload limit" in c.value for c in at.caption)  # too big to upload back: said so
    at.slider(key="text_layers").set_value(1)
    at.run()
    t = at.session_state["text"].trainer
    assert (t.config.hidden, t.config.layers) == (1024, 1)
    button(at, "Step").click()
    at.run()
    ok(at)
    assert t.step > 0 and np.isfinite(t.history.train.last("loss"))


def test_text_sequence_longer_than_a_short_text():
    """Sequence length longer than the corpus (Text): a 1,200-character upload with sequence length 256 gets a
    warning, uses the longest window that fits, and trains."""
    at = open_page("pages/text.py")
    upload_text(at, make_text(40)[:1200].encode())
    at.slider(key="text_hidden").set_value(16)
    at.slider(key="text_embed").set_value(8)
    at.select_slider(key="text_batch").set_value(4)
    at.select_slider(key="text_seq").set_value(256)
    at.run()
    ok(at)
    max_seq = at.session_state["text"].run.corpus.max_seq_len
    assert max_seq < 256
    assert any(f"only allows windows of {max_seq} characters" in w.value for w in at.warning), messages(at)
    t = at.session_state["text"].trainer
    assert t.config.seq_len == max_seq
    button(at, "Step").click()
    at.run()
    ok(at)
    assert t.step > 0 and not at.session_state.get("text__message")


def test_text_nan_stops_training_and_restores_last_good_weights():
    """A learning rate that diverges (Text): the largest learning rate (10) runs without a traceback; a NaN (injected,
    since a huge Adam step doesn't reliably give one) stops training with a message, the last good weights and step
    count are restored, and training continues."""
    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.select_slider(key="text_lr").set_value(10.0)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    t = at.session_state["text"].trainer
    assert all(np.all(np.isfinite(w)) for w in t.model.get_weights())
    # a fresh run at a sane rate for the NaN part (after rate 10 the exploding-loss guard may roll back too)
    button(at, "↺ New run").click()
    at.select_slider(key="text_lr").set_value(1e-3)
    at.run()
    t = at.session_state["text"].trainer
    assert t.step == 0
    button(at, "Step").click()
    at.run()
    good, step = [w.copy() for w in t.model.get_weights()], t.step
    kernel = t.model.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    button(at, "Step").click()
    at.run()
    ok(at)
    assert any("the loss became NaN" in w.value and "rolled back" in w.value for w in at.warning), messages(at)
    assert t.step == step and all(np.array_equal(a, b) for a, b in zip(t.model.get_weights(), good))
    button(at, "Step").click()
    at.run()
    assert t.step > step


def test_text_generation_extremes():
    """Generation length 0 and the maximum 2000, temperature the maximum (2.0), top-k larger than the vocabulary
    (Text): 0 says there is nothing to inspect; 2000 at T=2 with top-k 10,000 samples from the whole vocabulary."""
    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    at.slider(key="text_hidden").set_value(16)
    at.slider(key="text_embed").set_value(8)
    at.run()
    at.number_input(key="text_len").set_value(0)
    at.button(key="text_sample_btn").click()
    at.run()
    ok(at)
    assert at.session_state["text"].sampled.records == []
    assert any("Nothing was generated" in i.value for i in at.info)
    vocab = len(at.session_state["text"].run.chars)
    at.number_input(key="text_len").set_value(2000)
    at.slider(key="text_temp").set_value(2.0)
    at.number_input(key="text_topk").set_value(10_000)
    at.button(key="text_sample_btn").click()
    at.run()
    ok(at)
    recs = at.session_state["text"].sampled.records
    assert len(recs) == 2000 and vocab < 10_000
    assert all(np.count_nonzero(r.adjusted) == vocab for r in recs[:50])  # top-k beyond the vocabulary = off
    at.slider(key="text_inspect_start").set_value(2000 - 120)
    at.run()
    ok(at)


# ---------------------------------------------------------------------------------------- user strings shown literally
def test_text_lab_a_markdown_file_name_shows_literally():
    """Text uploads (Text lab), a text called like Markdown (a link, an image, bold, math, a tag): the corpus caption,
    the note that the model restarted on it, the loss chart's legend and, after a visit to another page, the
    "earlier upload" caption show the name as typed, never a link, an image or bold."""
    name = MARKDOWN_NAME + ".txt"
    at = open_page("pages/text.py")
    tiny_text(at)
    at.run()
    button(at, "Step").click()  # a run on the bundled text, so that the upload restarts it
    at.run()
    upload_text(at, make_text().encode(), name)
    notes = [i.value for i in at.info if "restarted" in i.value]  # shown once, on the run after the upload
    assert notes and markup_in(notes[0]) == [] and name in literal_text(notes[0]), notes
    button(at, "Step").click()
    at.run()
    ok(at)
    legends = [t.get("name", "") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec).get("data", [])]
    assert any("click me" in n for n in legends) and not any("<b>" in n for n in legends), legends
    shown = [c.value for c in at.caption if "lines. Most common characters" in c.value]
    assert shown and markup_in(shown[0].split(":")[0] + ":") == [] and name in literal_text(shown[0]), shown
    at.switch_page("pages/home.py")
    at.run()
    at.switch_page("pages/text.py")
    at.run()
    ok(at)
    captions = [c.value for c in at.caption if "earlier upload" in c.value or "Most common characters" in c.value]
    assert len(captions) == 2, captions
    for caption in captions:
        assert markup_in(caption.split("Most common")[0]) == [] and name in literal_text(caption), caption


def test_text_lab_a_priming_text_of_many_unknown_characters_is_listed_bounded():
    """Priming text (Text lab) with hundreds of characters the model has never seen: the error names the first few
    and counts the rest, each shown literally."""
    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.run()
    at.text_input(key="text_prime").set_value("".join(chr(0x4E00 + i) for i in range(400)) + "[a](http://e.com)")
    at.run()
    ok(at)
    error = next(e.value for e in at.error if "never seen" in e.value)
    assert "and " in error and " more" in error and len(error) < 400 and markup_in(error) == [], error
