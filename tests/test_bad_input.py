"""Issue #5, "Bad input": every case gets a clear message on the page (never a traceback) and the page keeps working.

Cases already covered elsewhere are not repeated here; the mapping is in the docstrings below and:
  - Dino name list: empty / binary / only newlines / over the limit ........ test_page_dino.test_bad_uploads_get_clear_messages
  - Dino name list: UTF-16 and Latin-1 ......................................... test_page_dino.test_utf16_and_latin1_name_lists
  - Dino name list: blank lines and mixed case ................ test_page_dino.test_uploaded_name_list_with_blank_lines_and_mixed_case_trains
  - Dino temperature 0 ......................................................... test_page_dino.test_temperature_zero_gives_identical_names
  - Text upload: binary / Latin-1 / too short .................................. test_page_text.test_bad_text_uploads_are_refused_with_reasons
  - Text model upload: not a zip, zip without model.keras, junk model.keras ..... test_page_text.test_bad_model_uploads_are_refused_and_a_good_one_loads
  - Text hidden 16 (minimum), temperature 0, top-k within the vocabulary ........ test_page_text.test_train_live_sample_and_inspect
  - decode_text refusals (empty, newlines, binary, limit, Latin-1) ............. test_history_textio.test_decode_refusals_have_reasons
  - MIDI not MIDI / truncated / no notes / drums only / mixed batch (core) ...... test_music_codec.test_bad_files_get_clear_messages,
                                                                                 test_music_data.test_uploads_mixing_good_and_bad_files
  - NaN in the trainers (core) ................................................. test_dino.test_nan_stops_and_keeps_last_good_weights,
                                                                                 test_keras_rnn.test_nan_loss_stops_and_restores_last_good_weights
  - 200 MB upload in a real browser (Streamlit's own refusal) ................... tests/e2e/test_bad_input_e2e.py
"""

from __future__ import annotations

import io
import time
import tomllib
import zipfile

import numpy as np
import pretty_midi
import pytest
from streamlit.testing.v1 import AppTest

from core import music_codec as mc
from core import music_data as md
from core.textio import MB, UploadError, decode_text
from tests.apptest_util import button, open_page, tiny_music, tiny_text
from tests.conftest import ROOT

TEXT_UPLOAD = "Upload a .txt"
MUSIC_UPLOAD = "Upload MIDI files"


# ---------------------------------------------------------------------------------------------- helpers
def messages(at: AppTest) -> str:
    """Every error / warning / info on the page, one per line (for assertions and their failure output)."""
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info])


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception


def text_of(n_lines=200, seed=0) -> str:
    rng = np.random.default_rng(seed)
    words = ["the", "king", "queen", "speaks", "and", "so", "we", "go", "to", "war", "love"]
    return "\n".join(f"{['ROMEO', 'JULIET', 'NURSE'][i % 3]}:\n" + " ".join(rng.choice(words, 8)) + ".\n" for i in range(n_lines))


def tune(seed: int, n: int = 60) -> bytes:
    """A small random C-major melody as MIDI bytes."""
    rng = np.random.default_rng(seed)
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    t = 0.0
    for _ in range(n):
        d = float(rng.choice([0.25, 0.5]))
        inst.notes.append(pretty_midi.Note(80, int(rng.choice([60, 62, 64, 65, 67, 69, 71, 72])), t, t + d))
        t += d
    pm.instruments.append(inst)
    return mc.midi_bytes(pm)


def orchestral_10_minutes() -> bytes:
    """Ten minutes at 120 bpm: 15 pitched instruments in eighth notes plus a drum kit (~40,800 notes)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    for k, program in enumerate([0, 40, 41, 42, 43, 56, 57, 58, 60, 68, 71, 73, 46, 48, 52]):
        inst = pretty_midi.Instrument(program=program)
        inst.notes.extend(pretty_midi.Note(70, 36 + 3 * k + (i * 7 + k) % 24, i * 0.25, i * 0.25 + 0.24) for i in range(2400))
        pm.instruments.append(inst)
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes.extend(pretty_midi.Note(90, 36 + i % 4, i * 0.125, i * 0.125 + 0.05) for i in range(4800))
    pm.instruments.append(kit)
    return mc.midi_bytes(pm)


def drums_only() -> bytes:
    pm = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(0, is_drum=True)
    kit.notes.extend(pretty_midi.Note(100, 36 + i % 3, i * 0.25, i * 0.25 + 0.1) for i in range(16))
    pm.instruments.append(kit)
    return mc.midi_bytes(pm)


def tiny_text_trainer(text: str, hidden: int = 16):
    from core.keras_rnn import RNNConfig, SequenceTrainer
    from core.text_data import TextCorpus

    corpus = TextCorpus(text)
    cfg = RNNConfig(cell="lstm", hidden=hidden, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, seed=0)
    return SequenceTrainer(corpus.vocab_size, cfg, corpus.sample_batch), corpus


def zip_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def keras_zip(model, chars, tmp_path, name="m") -> bytes:
    """A foreign Keras model packed like the page's export (model.keras + vocab.json)."""
    from core.text_data import vocab_to_json

    path = tmp_path / f"{name}.keras"
    model.save(path)
    return zip_of({"model.keras": path.read_bytes(), "vocab.json": vocab_to_json(chars)})


# ---------------------------------------------------------------------------------------------- upload limits
@pytest.mark.parametrize(
    "page, setup, key, limit",
    [
        ("pages/dinosaurs.py", ("dino_source", "Upload a name list"), "dino_upload", "5 MB"),
        ("pages/text.py", ("text_source", TEXT_UPLOAD), "text_upload", "10 MB"),
        ("pages/text.py", None, "text_model_upload", "20 MB"),
        ("pages/music.py", ("music_source", MUSIC_UPLOAD), "music_upload", "5 MB"),
    ],
)
def test_each_uploader_label_states_its_size_limit(page, setup, key, limit):
    """Upload size limits are stated on the page: every uploader's label names its MB limit."""
    at = open_page(page)
    if setup:
        at.radio(key=setup[0]).set_value(setup[1])
        at.run()
    ok(at)
    assert limit in at.file_uploader(key=key).label, at.file_uploader(key=key).label


def test_streamlit_upload_limit_is_at_least_every_page_limit():
    """Upload size limits are set in .streamlit/config.toml: Streamlit refuses anything over 20 MB itself, and every
    page limit is at or below it, so a file between a page's limit and 20 MB reaches the page's own message."""
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    max_mb = cfg["server"]["maxUploadSize"]
    assert max_mb == 20
    assert mc.MAX_FILE_BYTES <= max_mb * MB
    for page, limit in [("dinosaurs.py", "MAX_UPLOAD = 5 * MB"), ("text.py", "MAX_UPLOAD = 10 * MB"), ("text.py", "MAX_MODEL_UPLOAD = 20 * MB")]:
        assert limit in (ROOT / "pages" / page).read_text(), (page, limit)


class _Huge:
    """Claims to be 200 MB long; any other use fails, proving the size check comes before any decoding."""

    def __len__(self):
        return 200 * MB

    def __getattr__(self, name):
        raise AssertionError(f"decode_text touched the data ({name}) before checking its size")


def test_200_mb_text_is_refused_by_size_before_decoding():
    """Text upload, a 200 MB file (core): decode_text refuses it by its size alone, without decoding or allocating it."""
    with pytest.raises(UploadError, match=r"200\.0 MB; the limit here is 10\.0 MB"):
        decode_text(_Huge(), max_bytes=10 * MB, what="text file")


def test_just_over_the_limit_does_not_read_as_equal_to_it():
    """Text upload one byte over the limit: the message must not say "10.0 MB; the limit is 10.0 MB"."""
    with pytest.raises(UploadError, match=r"10,485,761 bytes; the limit here is 10\.0 MB \(10,485,760 bytes\)"):
        decode_text(b"x" * (10 * MB + 1), max_bytes=10 * MB)


# ---------------------------------------------------------------------------------------------- text uploads
def upload_text(at: AppTest, data: bytes, name: str = "t.txt") -> None:
    if at.radio(key="text_source").value != TEXT_UPLOAD:
        at.radio(key="text_source").set_value(TEXT_UPLOAD)
        at.run()
    at.file_uploader(key="text_upload").set_value((name, data, "text/plain"))
    at.run()
    ok(at)


@pytest.mark.parametrize(
    "case, data, needle",
    [
        ("empty", b"", "is empty"),
        ("one repeated character", b"a" * 5000, "single character"),
        ("only newlines", b"\n" * 5000, "no visible text"),
        ("over the page's 10 MB limit", b"x" * (11 * MB), "is 11.0 MB; the limit here is 10.0 MB"),
        ("UTF-16 with BOM is converted", text_of().encode("utf-16"), "UTF-16"),
    ],
)
def test_text_lab_bad_uploads_get_a_message_and_the_page_keeps_working(case, data, needle):
    """Text uploads (Text lab): empty, one repeated character, only newlines, over the size limit (the page's own
    refusal of a big file), UTF-16. Each shows a clear message; a good file uploaded afterwards is used."""
    at = open_page("pages/text.py")
    upload_text(at, data)
    assert needle in messages(at), (case, messages(at))
    if case.startswith("UTF-16"):
        assert not at.error and at.session_state["text_run"]["corpus"].text.startswith("ROMEO:")
        return
    assert at.error and not any(m.label == "Vocabulary" for m in at.metric)  # the page stops at the picker
    upload_text(at, text_of().encode(), name="good.txt")
    assert not at.error, messages(at)
    assert any(m.label == "Vocabulary" for m in at.metric)
    assert at.session_state["text_run"]["corpus_name"] == "good.txt"


def test_dino_lab_one_repeated_character():
    """Text uploads (Dinosaur lab), one repeated character: a single long line is refused (too few names); the same
    letter on many lines is a valid (if dull) list that trains and samples."""
    at = open_page("pages/dinosaurs.py")
    at.radio(key="dino_source").set_value("Upload a name list")
    at.run()
    at.file_uploader(key="dino_upload").set_value(("a.txt", b"a" * 5000, "text/plain"))
    at.run()
    ok(at)
    assert any("at least 10" in e.value for e in at.error), messages(at)
    at.file_uploader(key="dino_upload").set_value(("a.txt", b"a\n" * 50, "text/plain"))
    at.run()
    ok(at)
    assert not at.error, messages(at)
    at.slider(key="dino_n_a").set_value(8)
    at.run()
    t = at.session_state["dino"]
    assert t.vocab_size == 2 and set(t.names) == {"a"}
    button(at, "Step").click()
    at.run()
    at.button(key="dino_sample_btn").click()
    at.run()
    ok(at)
    assert t.iteration > 0 and len(at.session_state["dino_sampled"]) == 10


# ---------------------------------------------------------------------------------------------- MIDI uploads
def test_orchestral_10_minute_midi_loads_quickly():
    """MIDI uploads, a 10-minute orchestral file (core): 16 instruments, ~40,000 notes; it loads (drums dropped, cut
    to the per-piece limit if needed) within a few seconds."""
    data = orchestral_10_minutes()
    t0 = time.perf_counter()
    piece = md.encode_file("orchestra.mid", data, mc.CodecOptions(max_chord=1))
    assert time.perf_counter() - t0 < 10
    assert 0 < len(piece.values) <= md.MAX_VALUES_PER_PIECE
    assert all(mc.parse_value(v)[0] for v in piece.values[:10])  # pitched values, not drums


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_lab_batch_mixing_good_and_bad_midi_files():
    """MIDI uploads (Music lab): not MIDI at all, truncated, no notes, drums only, a 10-minute orchestral file, and a
    batch mixing them with a good file: every bad file is named with its reason, the good ones (tune and orchestra)
    load. A batch of only bad files gets an error, and the page works again with good files."""
    at = open_page("pages/music.py")
    at.radio(key="music_source").set_value(MUSIC_UPLOAD)
    at.run()
    good = tune(1)
    bad = [
        ("not_midi.mid", b"hello, I am a text file", "not a MIDI file"),
        ("truncated.mid", good[: len(good) // 2], "truncated or corrupt"),
        ("no_notes.mid", mc.midi_bytes(pretty_midi.PrettyMIDI()), "no notes"),
        ("drums.mid", drums_only(), "only has drums"),
    ]
    files = [("good.mid", good, "audio/midi")] + [(n, d, "audio/midi") for n, d, _ in bad] + [("orchestra.mid", orchestral_10_minutes(), "audio/midi")]
    at.file_uploader(key="music_upload").set_value(files)
    at.run()
    ok(at)
    warning = "\n".join(w.value for w in at.warning)
    for name, _, reason in bad:
        assert f"{name}: " in warning and reason in warning, (name, warning)
    corpus = at.session_state["music_corpus"]
    assert [p.name for p in corpus.pieces] == ["good.mid", "orchestra.mid"]
    assert any(m.label == "Pieces" and m.value == "2" for m in at.metric)
    # only bad files: a clear error, nothing to train
    at.file_uploader(key="music_upload").set_value([(n, d, "audio/midi") for n, d, _ in bad])
    at.run()
    ok(at)
    assert any("None of the uploaded files could be used" in e.value for e in at.error)
    assert "music" not in at.session_state or at.session_state["music_corpus"] is None
    # and good files again
    at.file_uploader(key="music_upload").set_value([("good.mid", good, "audio/midi")])
    at.run()
    ok(at)
    assert not at.error and len(at.session_state["music_corpus"]) == 1


@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_snippet_length_longer_than_a_tiny_uploaded_corpus():
    """Sequence length longer than the corpus (Music): snippet length 100 on one 40-value upload gives a clear error
    and disables training; a shorter snippet trains."""
    at = open_page("pages/music.py")
    at.radio(key="music_source").set_value(MUSIC_UPLOAD)
    at.run()
    at.file_uploader(key="music_upload").set_value([("short.mid", tune(2, n=40), "audio/midi")])
    at.run()
    at.slider(key="music_hidden").set_value(8)
    at.select_slider(key="music_batch").set_value(4)
    at.slider(key="music_seq_len").set_value(100)
    at.run()
    ok(at)
    assert any("No training piece is long enough for snippets of 100 values" in e.value for e in at.error), messages(at)
    assert button(at, "▶ Start").disabled and button(at, "Step").disabled
    at.slider(key="music_seq_len").set_value(10)
    at.run()
    assert not at.error and not button(at, "Step").disabled
    button(at, "Step").click()
    at.run()
    ok(at)
    assert at.session_state["music"].step > 0


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
    upload_text(at, text_of().encode())
    tiny_text(at)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    return at


def test_model_upload_refusals_are_clear_and_keep_the_current_model(text_lab_with_tiny_model, tmp_path):
    """Model uploads (Text lab): wrong file type (a bare .keras, a PDF renamed .zip), another architecture (no
    recurrent layer; hidden size outside the page's range), a vocab.json from another vocabulary than the model,
    a Lambda layer and an unregistered custom layer (refused by Keras safe mode). Each is refused with a reason,
    and the current model is kept and still trains."""
    import keras

    from core.text_data import export_model_zip, vocab_to_json

    at = text_lab_with_tiny_model
    current = at.session_state["text"]
    chars = at.session_state["text_run"]["chars"]
    V = len(chars)
    inp = lambda: keras.Input(shape=(None,), dtype="int32")  # noqa: E731

    lam = keras.Sequential([inp(), keras.layers.Embedding(V, 8), keras.layers.LSTM(16, return_sequences=True), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(V)])

    @keras.saving.register_keras_serializable(package="bad_input_test")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    custom = keras.Sequential([inp(), keras.layers.Embedding(V, 8), keras.layers.LSTM(16, return_sequences=True), Twice(), keras.layers.Dense(V)])
    custom_zip = keras_zip(custom, chars, tmp_path, "custom")
    keras.saving.get_custom_objects().pop("bad_input_test>Twice")  # the page's process doesn't know this class

    no_rnn = keras.Sequential([inp(), keras.layers.Embedding(V, 8), keras.layers.Dense(V)])
    small, small_corpus = tiny_text_trainer(text_of(), hidden=8)
    bare = tmp_path / "bare.keras"
    current.save(bare)
    cases = [
        ("bare .keras file", bare.read_bytes(), "bare .keras file"),
        ("PDF renamed .zip", b"%PDF-1.4\n" + bytes(range(256)) * 4, "not a zip file"),
        ("no recurrent layer", keras_zip(no_rnn, chars, tmp_path, "norrn"), "recurrent layers"),
        ("hidden 8", export_model_zip(small, small_corpus.chars), "outside this page's settings"),
        ("vocab of another size", zip_of({"model.keras": bare.read_bytes(), "vocab.json": vocab_to_json(chars[:-1])}), "don't belong together"),
        ("Lambda layer", keras_zip(lam, chars, tmp_path, "lam"), "Lambda layer"),
        ("custom layer", custom_zip, "custom layers"),
    ]
    for case, data, needle in cases:
        _upload_model(at, data)
        errors = [e.value for e in at.error]
        assert any(needle in e for e in errors), (case, errors)
        assert at.session_state["text"] is current, case  # nothing was replaced
    assert any("safe mode" in e.value for e in at.error)  # the Lambda/custom refusals say why
    step = current.step
    button(at, "Step").click()
    at.run()
    ok(at)
    assert current.step > step and not at.error


def test_model_from_another_vocabulary_loads_for_sampling_only(text_lab_with_tiny_model):
    """Model uploads (Text lab), a .keras model trained on another vocabulary (lower-case names) that doesn't cover
    the chosen text: it loads with a clear warning, training is disabled, generating works."""
    from core.text_data import export_model_zip

    at = text_lab_with_tiny_model
    names = "\n".join(["aardonyx", "brachiosaurus", "tyrannosaurus", "velociraptor", "stegosaurus"] * 40)
    other, other_corpus = tiny_text_trainer(names)
    _upload_model(at, export_model_zip(other, other_corpus.chars, dict(other.summary())))
    assert any("can only sample" in i.value for i in at.info), messages(at)
    assert any("can't train on the chosen text" in w.value for w in at.warning), messages(at)
    assert button(at, "▶ Start").disabled and button(at, "Step").disabled
    assert at.session_state["text_run"]["chars"] == other_corpus.chars
    at.number_input(key="text_len").set_value(50)
    at.button(key="text_sample_btn").click()
    at.run()
    ok(at)
    assert set(at.session_state["text_sampled"]["text"]) <= set(other_corpus.chars)


def test_lambda_and_custom_layers_refused_by_safe_mode_core(tmp_path):
    """Model uploads (core), Lambda / custom layers: import_model_zip refuses them with a reason naming the layer and
    Keras safe mode, not a raw Keras error."""
    import keras

    from core.text_data import CorpusError, import_model_zip

    chars = list("abcdef")
    lam = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), keras.layers.Embedding(6, 4), keras.layers.GRU(16, return_sequences=True),
                            keras.layers.Lambda(lambda x: x + 1), keras.layers.Dense(6)])
    with pytest.raises(CorpusError, match="Lambda layer .*safe mode") as info:
        import_model_zip(keras_zip(lam, chars, tmp_path))
    assert "safe_mode=False" not in str(info.value)  # no advice to switch the protection off


# ---------------------------------------------------------------------------------------------- sliders: Dinosaur lab
def test_dino_hidden_size_1_and_512_train_and_sample():
    """Sliders at their extremes (Dinosaur): hidden size 1 and 512 both train a step, show their parameter count and
    sample."""
    at = open_page("pages/dinosaurs.py")
    for n_a in (1, 512):
        at.slider(key="dino_n_a").set_value(n_a)
        at.run()
        t = at.session_state["dino"]
        assert t.config.n_a == n_a
        n_params = sum(p.size for p in t.parameters.values())
        assert any(f"{n_params:,} parameters" in c.value for c in at.caption)
        button(at, "Step").click()
        at.run()
        at.number_input(key="dino_how_many").set_value(3)
        at.button(key="dino_sample_btn").click()
        at.run()
        ok(at)
        assert t.iteration > 0 and len(at.session_state["dino_sampled"]) == 3
        assert all(np.all(np.isfinite(p)) for p in t.parameters.values())


def test_dino_nan_stops_training_and_keeps_good_weights():
    """A learning rate that diverges (Dinosaur): the largest learning rate trains without a traceback; a NaN (injected:
    clipping keeps this model finite) stops training with a message, the weights stay finite and training resumes."""
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.select_slider(key="dino_lr").set_value(10.0)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    t = at.session_state["dino"]
    it = t.iteration
    assert it > 0 and all(np.all(np.isfinite(p)) for p in t.parameters.values())
    button(at, "▶ Start").click()
    at.run()
    t.parameters["Waa"][0, 0] = np.nan  # a blow-up between two slices
    it = t.iteration
    at.run()  # the live fragment runs the next slice
    ok(at)
    assert not at.session_state["dino__running"]
    assert any("learning rate" in w.value for w in at.warning), messages(at)
    assert t.iteration == it and all(np.all(np.isfinite(p)) for p in t.parameters.values())
    button(at, "Step").click()
    at.run()
    assert t.iteration > it


def test_dino_sampling_extremes():
    """Temperature the maximum (3.0) and how-many 1 and 100 (Dinosaur): names are sampled and inspectable."""
    at = open_page("pages/dinosaurs.py")
    at.slider(key="dino_n_a").set_value(8)
    at.slider(key="dino_temp").set_value(3.0)
    for k in (1, 100):
        at.number_input(key="dino_how_many").set_value(k)
        at.button(key="dino_sample_btn").click()
        at.run()
        ok(at)
        assert len(at.session_state["dino_sampled"]) == k
        assert any(f"of {k} names are new" in m.value for m in at.markdown)
    at.selectbox(key="dino_inspect_pick").set_value(99)
    at.run()
    ok(at)
    assert any(m.label == "Picked" for m in at.metric)


# ---------------------------------------------------------------------------------------------- sliders: Text lab
def test_text_hidden_1024_renders_and_trains_a_step():
    """Sliders at their extremes (Text): hidden 1024 with 3 layers is built and its parameter count shown (no
    training); 1024 x 1 takes a step."""
    from core.keras_rnn import count_params

    at = open_page("pages/text.py")
    upload_text(at, text_of().encode())
    at.select_slider(key="text_seq").set_value(16)
    at.select_slider(key="text_batch").set_value(4)
    at.slider(key="text_hidden").set_value(1024)
    at.slider(key="text_layers").set_value(3)
    at.run()
    ok(at)
    t = at.session_state["text"]
    assert (t.config.hidden, t.config.layers) == (1024, 3)
    assert any(f"{count_params(t.vocab_size, t.config):,} parameters" in c.value for c in at.caption)
    assert any("over this page's upload limit" in c.value for c in at.caption)  # too big to upload back: said so
    at.slider(key="text_layers").set_value(1)
    at.run()
    t = at.session_state["text"]
    assert (t.config.hidden, t.config.layers) == (1024, 1)
    button(at, "Step").click()
    at.run()
    ok(at)
    assert t.step > 0 and np.isfinite(t.history.last("train"))


def test_text_sequence_longer_than_a_short_text():
    """Sequence length longer than the corpus (Text): a 1,200-character upload with sequence length 256 gets a
    warning, uses the longest window that fits, and trains."""
    at = open_page("pages/text.py")
    upload_text(at, text_of(40)[:1200].encode())
    at.slider(key="text_hidden").set_value(16)
    at.slider(key="text_embed").set_value(8)
    at.select_slider(key="text_batch").set_value(4)
    at.select_slider(key="text_seq").set_value(256)
    at.run()
    ok(at)
    max_seq = at.session_state["text_run"]["corpus"].max_seq_len
    assert max_seq < 256
    assert any(f"only allows windows of {max_seq} characters" in w.value for w in at.warning), messages(at)
    t = at.session_state["text"]
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
    upload_text(at, text_of().encode())
    tiny_text(at)
    at.select_slider(key="text_lr").set_value(10.0)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    t = at.session_state["text"]
    assert all(np.all(np.isfinite(w)) for w in t.model.get_weights())
    # a fresh run at a sane rate for the NaN part (after rate 10 the exploding-loss guard may roll back too)
    button(at, "↺ New run").click()
    at.select_slider(key="text_lr").set_value(1e-3)
    at.run()
    t = at.session_state["text"]
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
    upload_text(at, text_of().encode())
    at.slider(key="text_hidden").set_value(16)
    at.slider(key="text_embed").set_value(8)
    at.run()
    at.number_input(key="text_len").set_value(0)
    at.button(key="text_sample_btn").click()
    at.run()
    ok(at)
    assert at.session_state["text_sampled"]["records"] == []
    assert any("Nothing was generated" in i.value for i in at.info)
    vocab = len(at.session_state["text_run"]["chars"])
    at.number_input(key="text_len").set_value(2000)
    at.slider(key="text_temp").set_value(2.0)
    at.number_input(key="text_topk").set_value(10_000)
    at.button(key="text_sample_btn").click()
    at.run()
    ok(at)
    recs = at.session_state["text_sampled"]["records"]
    assert len(recs) == 2000 and vocab < 10_000
    assert all(np.count_nonzero(r.adjusted) == vocab for r in recs[:50])  # top-k beyond the vocabulary = off
    at.slider(key="text_inspect_start").set_value(2000 - 120)
    at.run()
    ok(at)


# ---------------------------------------------------------------------------------------------- sliders: Music lab
@pytest.mark.skipif(len(md.bundled_styles()) < 1, reason="no bundled corpus in data/midi")
def test_music_nan_and_compose_extremes():
    """A learning rate that diverges (Music: NaN injected) stops training with a message and restores the last good
    weights; composing at the slider extremes (10 and 400 values, temperature 0 and 2) works."""
    at = open_page("pages/music.py")
    tiny_music(at)
    at.select_slider(key="music_lr").set_value(0.03)
    at.run()
    button(at, "Step").click()
    at.run()
    ok(at)
    t = at.session_state["music"]
    good, step = [w.copy() for w in t.model.get_weights()], t.step
    kernel = t.model.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    button(at, "Step").click()
    at.run()
    ok(at)
    assert any("the loss became NaN" in w.value for w in at.warning), messages(at)
    assert t.step == step and all(np.array_equal(a, b) for a, b in zip(t.model.get_weights(), good))
    for n, temp in ((10, 0.0), (400, 2.0)):
        at.slider(key="music_n").set_value(n)
        at.slider(key="music_temp").set_value(temp)
        at.button(key="music_generate_btn").click()
        at.run()
        ok(at)
        res = at.session_state["music_result"]
        assert len(res["trained"]) == n
        if temp == 0:
            assert all(r.picked == int(np.argmax(r.probs)) for r in res["trained"])
