"""Bad input (Text lab: model uploads): every case gets a clear message on the page (never a traceback)
and the page keeps working.

Cases already covered elsewhere are not repeated here; the mapping is:
  - Text model upload: not a zip, zip without model.keras, junk model.keras .....
  test_page_text.test_bad_model_uploads_are_refused_and_a_good_one_loads
  - every layer option value refused at upload, by name .....
      test_model_zip.test_layer_options_the_playground_cannot_run_are_refused_naming_the_option
  - every accepted option in core (train, sampler, influence, neurons, export, wake) .....
      test_model_zip.test_every_accepted_layer_option_trains_samples_inspects_exports_and_wakes
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import button, messages, ok, open_page, tiny_text, upload_text
from tests.support.inputs import MARKDOWN_NAME, keras_zip, literal_text, make_text, markup_in, tiny_text_trainer, zip_of


# ---------------------------------------------------------------------------------------------- model uploads
def _upload_model(at: AppTest, data: bytes, name: str = "m.zip") -> None:
    at.file_uploader(key="text_model_upload").set_value((name, data, "application/zip"))
    at.run()
    at.button(key="text_model_load_btn").click()
    at.run()
    ok(at)


@pytest.fixture(scope="module")
def text_lab_with_tiny_model():
    """The Text lab on an uploaded text with a tiny LSTM that has taken a step (shared by the model-upload tests)."""
    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    return at


def test_model_upload_refusals_are_clear_and_keep_the_current_model(text_lab_with_tiny_model, tmp_path):
    """Model uploads (Text lab): wrong file type (a bare .keras, a PDF renamed .zip), another architecture (no
    recurrent layer; hidden size outside the page's range), a vocab.json from another vocabulary than the model,
    a Lambda layer and an unregistered custom layer (refused by Keras safe mode), layer options the playground can't
    run (an LSTM without biases, an unrolled LSTM over fixed 16-step inputs; each option is in
    test_model_zip.test_layer_options_the_playground_cannot_run_are_refused_naming_the_option). Each is refused with
    a reason naming what is wrong, and the current model is kept and still trains."""
    import keras

    from core.files.model_zip import export_model_zip, vocab_to_json

    at = text_lab_with_tiny_model
    current = at.session_state["text"].trainer
    chars = at.session_state["text"].run.chars
    V = len(chars)
    inp = lambda: keras.Input(shape=(None,), dtype="int32")  # noqa: E731

    lam = keras.Sequential(
        [
            inp(),
            keras.layers.Embedding(V, 8),
            keras.layers.LSTM(16, return_sequences=True),
            keras.layers.Lambda(lambda x: x * 2),
            keras.layers.Dense(V),
        ]
    )

    @keras.saving.register_keras_serializable(package="bad_input_test")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    custom = keras.Sequential(
        [
            inp(),
            keras.layers.Embedding(V, 8),
            keras.layers.LSTM(16, return_sequences=True),
            Twice(),
            keras.layers.Dense(V),
        ]
    )
    custom_zip = keras_zip(custom, chars, tmp_path, "custom")
    keras.saving.get_custom_objects().pop("bad_input_test>Twice")  # the page's process doesn't know this class

    no_rnn = keras.Sequential([inp(), keras.layers.Embedding(V, 8), keras.layers.Dense(V)])
    no_bias = keras.Sequential(
        [
            inp(),
            keras.layers.Embedding(V, 8),
            keras.layers.LSTM(16, return_sequences=True, use_bias=False),
            keras.layers.Dense(V),
        ]
    )
    unrolled = keras.Sequential(
        [
            keras.Input(shape=(16,), dtype="int32"),
            keras.layers.Embedding(V, 8),
            keras.layers.LSTM(16, return_sequences=True, unroll=True),
            keras.layers.Dense(V),
        ]
    )
    small, small_corpus = tiny_text_trainer(make_text(), hidden=8)
    bare = tmp_path / "bare.keras"
    current.save(bare)
    cases = [
        ("bare .keras file", bare.read_bytes(), "bare .keras file"),
        ("PDF renamed .zip", b"%PDF-1.4\n" + bytes(range(256)) * 4, "not a zip file"),
        ("no recurrent layer", keras_zip(no_rnn, chars, tmp_path, "norrn"), "recurrent layers"),
        ("hidden 8", export_model_zip(small, small_corpus.chars), "outside this page's settings"),
        (
            "vocab of another size",
            zip_of({"model.keras": bare.read_bytes(), "vocab.json": vocab_to_json(chars[:-1])}),
            "don't belong together",
        ),
        ("LSTM without biases", keras_zip(no_bias, chars, tmp_path, "nobias"), "LSTM layer has use_bias=False"),
        ("unrolled LSTM over 16 steps", keras_zip(unrolled, chars, tmp_path, "unroll"), "LSTM layer has unroll=True"),
        ("Lambda layer", keras_zip(lam, chars, tmp_path, "lam"), "Lambda layer"),
        ("custom layer", custom_zip, "custom layers"),
    ]
    for case, data, needle in cases:
        _upload_model(at, data)
        errors = [literal_text(e.value) for e in at.error]
        assert any(needle in e for e in errors), (case, errors)
        assert at.session_state["text"].trainer is current, case  # nothing was replaced
    assert any("safe mode" in e.value for e in at.error)  # the Lambda/custom refusals say why
    step = current.step
    button(at, "Step").click()
    at.run()
    ok(at)
    assert current.step > step and not at.error


def test_model_from_another_vocabulary_loads_for_sampling_only(text_lab_with_tiny_model):
    """Model uploads (Text lab), a .keras model trained on another vocabulary (lower-case names) that doesn't cover
    the chosen text: it loads with a clear warning, training is disabled, generating works."""
    from core.files.model_zip import export_model_zip

    at = text_lab_with_tiny_model
    names = "\n".join(["aardonyx", "brachiosaurus", "tyrannosaurus", "velociraptor", "stegosaurus"] * 40)
    other, other_corpus = tiny_text_trainer(names)
    _upload_model(at, export_model_zip(other, other_corpus.chars, dict(other.summary())))
    assert any("can only sample" in i.value for i in at.info), messages(at)
    assert any("can't train on the chosen text" in w.value for w in at.warning), messages(at)
    assert button(at, "▶ Start").disabled and button(at, "Step").disabled
    assert at.session_state["text"].run.chars == other_corpus.chars
    at.number_input(key="text_len").set_value(50)
    at.button(key="text_sample_btn").click()
    at.run()
    ok(at)
    assert set(at.session_state["text"].sampled.text) <= set(other_corpus.chars)


def test_lambda_and_custom_layers_refused_by_safe_mode_core(tmp_path):
    """Model uploads (core), Lambda / custom layers: import_model_zip refuses them with a reason naming the layer and
    Keras safe mode, not a raw Keras error."""
    import keras

    from core.files.model_zip import import_model_zip
    from core.text.text_data import CorpusError

    chars = list("abcdef")
    lam = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(6, 4),
            keras.layers.GRU(16, return_sequences=True),
            keras.layers.Lambda(lambda x: x + 1),
            keras.layers.Dense(6),
        ]
    )
    with pytest.raises(CorpusError, match="Lambda layer .*safe mode") as info:
        import_model_zip(keras_zip(lam, chars, tmp_path))
    assert "safe_mode=False" not in str(info.value)  # no advice to switch the protection off


@pytest.mark.parametrize(
    "field, value, said",
    [
        ("elapsed_s", float("nan"), "elapsed_s"),
        ("elapsed_s", float("inf"), "elapsed_s"),
        ("step", "abc", "step"),
        ("tokens_seen", "1e5", "tokens_seen"),
        ("step", -5, "step"),
        ("seed", 2**40, "seed"),
        ("learning_rate", float("inf"), "learning_rate"),
    ],
)
def test_model_zip_metadata_is_validated_on_the_page(field, value, said):
    """whatever vocab.json's metadata says, the model loads (or is refused) with a message that
    names the field, the page keeps working, and training continues from the loaded model."""
    import json

    from core.files.model_zip import export_model_zip

    at = open_page("pages/text.py")  # a page of its own: the other model-upload tests leave theirs sampling-only
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.run()
    t = at.session_state["text"].trainer
    meta = dict(t.summary(), corpus="test")
    if field in ("seed", "learning_rate"):
        meta["config"] = dict(meta["config"], **{field: value})
    else:
        meta[field] = value
    data = export_model_zip(t, at.session_state["text"].run.chars, meta)
    # json.dumps wrote NaN/Infinity as Python's json reads them: the page must not trust them
    assert json.loads(zipfile.ZipFile(io.BytesIO(data)).read("vocab.json"))["meta"] is not None
    _upload_model(at, data)
    loaded = at.session_state["text"].trainer
    text = literal_text(messages(at))
    assert "Loaded the uploaded model" in text and said in text, text
    assert loaded.step >= 0 and np.isfinite(loaded.elapsed_s) and 0 <= loaded.config.seed < 2**31
    assert 0 < loaded.config.learning_rate <= 10
    button(at, "Step").click()
    at.run()
    ok(at)
    assert loaded.step > 0 and not at.error, messages(at)


def _inside_ok(at: AppTest) -> None:
    """The page has no exception and no error box (look inside, the inspector and the model files all drew)."""
    ok(at)
    assert not at.error, messages(at)


def test_every_accepted_layer_option_works_everywhere_on_the_page(tmp_path):
    """Model uploads (Text lab), each accepted layer option (ACCEPTED_OPTIONS: SimpleRNN over float inputs with other
    initializers, an LSTM with unit_forget_bias off and a Dropout, two GRUs with Dropout(0) first and a Dropout after
    each, an LSTM over fixed 16-step inputs, a model without an Input layer): it loads, Step trains, Generate samples
    and the inspector shows it, Look inside explains the generated text with its neurons and gates, and the
    download loads again. No error box anywhere."""
    from core.files.model_zip import import_model_zip
    from tests.support.inputs import ACCEPTED_OPTIONS, accepted_option_model

    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.run()
    chars = at.session_state["text"].run.chars
    for variant in ACCEPTED_OPTIONS:
        model = accepted_option_model(variant, len(chars), hidden=16, embed=8)
        _upload_model(at, keras_zip(model, chars, tmp_path, "accepted"))
        lab = at.session_state["text"]
        loaded = [i.value for i in at.info if "Loaded the uploaded model" in i.value]
        assert loaded and "continues training" in loaded[0], (variant, messages(at))
        step = lab.trainer.step
        button(at, "Step").click()
        at.run()
        _inside_ok(at)
        assert lab.trainer.step > step, variant
        at.number_input(key="text_len").set_value(30)
        at.button(key="text_sample_btn").click()
        at.radio(key="text_inside_source").set_value("The generated text")
        at.run()
        _inside_ok(at)
        assert len(lab.sampled.records) == 30 and any(m.label == "Picked" for m in at.metric), variant  # the inspector
        assert any("outline:2px solid" in m.value for m in at.markdown), variant  # influence over the generated text
        labels = {t.label for t in at.tabs}
        assert {"Neurons", "Gates"} <= labels, variant
        neurons = next(t for t in at.tabs if t.label == "Neurons")
        assert any("<span title=" in m.value for m in neurons.markdown), variant  # a neuron's colours over the text
        again, _, _ = import_model_zip(lab.export_zip())  # the download button's file
        assert again.config.same_architecture(lab.trainer.config), variant


def test_a_failure_while_training_says_so_in_a_sentence_and_a_new_run_clears_it(caplog):
    """Training (any lab), an exception inside a slice (here the Text lab's trainer raising the unroll error with the
    server's file path and terminal colour codes): the page says in a sentence that training stopped, with no
    exception text, path or traceback; the exception is in the server's log; a New run clears the message."""
    import logging

    at = open_page("pages/text.py")
    upload_text(at, make_text().encode())
    tiny_text(at)
    at.run()
    lab = at.session_state["text"]
    leak = 'in user code:\n    File "/srv/app/core/keras_trainer.py", line 221, in train_fn\x1b[0m'

    def fails(n):
        raise ValueError(leak)

    lab.trainer.train_steps = fails
    with caplog.at_level(logging.ERROR, logger="ui.live"):
        button(at, "Step").click()
        at.run()
    ok(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Training stopped:"), errors
    for bad in ("ValueError", "keras_trainer", "/srv/", "line 221", "\x1b", "Traceback"):
        assert bad not in errors[0], (bad, errors[0])
    assert any(r.exc_info and leak in str(r.exc_info[1]) for r in caplog.records)  # the server's log has it all
    button(at, "↺ New run").click()
    at.run()
    ok(at)
    assert lab.trainer.step == 0 and not at.error, messages(at)
    button(at, "Step").click()
    at.run()
    ok(at)
    assert lab.trainer.step > 0 and not at.error, messages(at)


# ---------------------------------------------------------------------------------------- user strings shown literally
def test_a_model_zip_holding_a_file_named_like_markdown_is_refused_with_the_name_shown_literally(
    text_lab_with_tiny_model,
):
    """Text model upload whose model.keras holds a file called like Markdown (a link, an image): refused, and the
    name in the message is shown as typed, never as a link or an image."""
    from core.files.model_zip import vocab_to_json

    at = text_lab_with_tiny_model
    inner = zip_of({"config.json": "{}", "metadata.json": "{}", "model.weights.h5": b"", MARKDOWN_NAME: b""})
    _upload_model(at, zip_of({"model.keras": inner, "vocab.json": vocab_to_json(sorted(set(make_text())))}), "m.zip")
    errors = [e.value for e in at.error]
    assert errors and all(markup_in(e) == [] for e in errors), errors
    assert any(MARKDOWN_NAME[:40] in literal_text(e) for e in errors), errors
