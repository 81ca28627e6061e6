"""Trained starting points: each bundled model loads through the safe path, fits its corpus, has the
losses its metadata says, is good by the measured criteria, continues training, and a changed file is refused."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import numpy as np
import pytest

from core import units
from core.files import model_zip as mz
from core.files import starting_points as sp
from core.files.model_zip import ModelZipError
from core.labs.music_lab import music_options

pytestmark = pytest.mark.skipif(not (sp.MODELS_DIR / sp.MANIFEST).exists(), reason="assets/models/ not built")


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def dino_lab():
    from core.labs.dino_lab import DinoLab

    lab = DinoLab()
    lab.load_starting_point("dinosaurs")
    return lab


@pytest.fixture(scope="module")
def text_lab():
    from core.labs.text_lab import TextLab

    lab = TextLab()
    lab.load_starting_point("shakespeare")
    return lab


def music_lab(name):
    from core.labs.music_lab import MusicLab

    lab = MusicLab()
    lab.use_bundled(sp.CATALOG[name].corpus, music_options())
    lab.load_starting_point(name)
    return lab


@pytest.fixture(scope="module")
def music_labs():
    return {name: music_lab(name) for name in ("bach", "irish")}


def facts(name):
    data = sp.read(name)
    member = mz.NUMPY_MEMBER if sp.CATALOG[name].lab == "dino" else "model.keras"
    return sp.origin(mz.read_meta(data, model_member=member, tokens=sp.CATALOG[name].lab == "music"))


# ---------------------------------------------------------------------------------------------- the files
def test_every_model_is_built_listed_and_small():
    m = sp.manifest()
    total = 0
    for entry in sp.CATALOG.values():
        path = sp.MODELS_DIR / entry.filename
        assert path.is_file(), entry.filename
        data = path.read_bytes()
        assert m[entry.filename] == {"bytes": len(data), "sha256": sp.sha256(data)}
        total += len(data)
    assert total <= sp.MAX_TOTAL_BYTES, f"{total:,} bytes"


def test_readme_states_command_time_machine_and_losses():
    readme = (sp.MODELS_DIR / "README.md").read_text(encoding="utf-8")
    assert "scripts/build_models.py" in readme and "AMD EPYC" in readme
    for name in ("shakespeare", "bach", "irish"):
        assert f"{facts(name)['val_loss']:.3f}" in readme, name  # the validation losses the files record
    assert f"{facts('dinosaurs')['loss_per_name']:.2f}" in readme


# ---------------------------------------------------------------------------------------------- loading and
# vocabularies
def test_dinosaur_model_loads_with_the_bundled_names(dino_lab):
    from core.labs.dino_lab import bundled_names
    from core.models.dino import DinoTrainer

    t = dino_lab.trainer
    assert t.chars == DinoTrainer(bundled_names()).chars
    assert t.step == mz.read_meta(sp.read("dinosaurs"), model_member=mz.NUMPY_MEMBER)["step"] > 0
    h = t.history.train
    assert (
        len(h) > 100 and t.step - h.stride < h.steps[-1] <= t.step
    )  # the history shows where it came from (decimated)
    assert (t.step, sp.MARK) in t.events
    assert t.sample_batches and t.sample_batches[-1][0] == t.step  # the loaded model's names are shown at once
    assert t.config.iterations > t.step and not t.done  # room to continue


def test_text_model_loads_with_the_bundled_vocabulary(text_lab):
    from core.labs.text_lab import bundled_corpus

    corpus = bundled_corpus("shakespeare.txt")
    assert text_lab.run.chars == list(corpus.chars) and text_lab.run.corpus is not None
    t = text_lab.trainer
    assert t.config.cell == "lstm" and t.config.hidden == 256
    assert len(t.history.val) > 1 and t.step - t.history.train.stride < t.history.train.steps[-1] <= t.step
    assert sp.MARK in text_lab.run_label()
    assert text_lab.live_sample is not None and text_lab.live_sample.step == t.step


def test_music_models_load_with_the_bundled_values(music_labs):
    for name, lab in music_labs.items():
        t = lab.trainer
        assert t.vocab_size == len(lab.corpus.vocab) and t.config.hidden == 64
        assert lab.labels == tuple(lab.corpus.vocab.itos)
        assert len(t.history.val) > 1 and lab.untrained is not None


# ---------------------------------------------------------------------------------------------- losses match the
# metadata
def test_dinosaur_loss_matches_metadata(dino_lab):
    from core.labs.dino_lab import bundled_names

    t = dino_lab.trainer
    assert sp.dino_mean_loss(t.parameters, bundled_names(), t.chars) == pytest.approx(
        facts("dinosaurs")["loss_per_name"], abs=0.01
    )


def test_text_validation_loss_matches_metadata_and_is_good(text_lab):
    val = sp.full_validation(text_lab.trainer)
    assert val == pytest.approx(facts("shakespeare")["val_loss"], abs=0.01)
    assert val <= 1.6  # Shakespeare validation at 1.6 nats per character or better


def test_music_validation_loss_matches_metadata(music_labs):
    for name, lab in music_labs.items():
        assert sp.full_validation(lab.trainer) == pytest.approx(facts(name)["val_loss"], abs=0.01), name


# ---------------------------------------------------------------------------------------------- good results on the
# first click
def test_dinosaur_samples_mostly_end_like_real_genera(dino_lab):
    from core.labs.dino_lab import bundled_names
    from core.models.dino import DinoTrainer

    endings = sp.genus_endings(bundled_names())
    assert {"urus", "tops", "ptor", "odon"} <= endings
    t = dino_lab.trainer
    shares = [sp.genus_share(sp.dino_samples(t.parameters, t.char_to_ix, n=200, seed=s), endings) for s in range(3)]
    assert np.mean(shares) > 0.5, shares  # "mostly"
    assert shares[0] == pytest.approx(facts("dinosaurs")["genus_share"])
    fresh = DinoTrainer(bundled_names())
    assert (
        sp.genus_share(sp.dino_samples(fresh.parameters, fresh.char_to_ix, n=200), endings) < 0.1
    )  # the untrained model


def test_genus_share_counts_endings():
    endings = sp.genus_endings(["aaasaurus"] * 10 + ["bbtops"] * 9)
    assert endings == {"urus"}
    assert sp.genus_share(["xsaurus", "tops", "", "urus"], endings) == 0.5


def test_music_trained_model_beats_the_untrained_one(music_labs):
    results = {}
    for name, lab in music_labs.items():
        check = sp.music_check(lab)
        f = facts(name)["check"]
        assert check["trained"]["pitch_class_distance"] == pytest.approx(f["trained_pitch_class_distance"], abs=1e-3)
        results[name] = sp.music_better(check)
        assert results[name] == (facts(name)["better_than_untrained"] == "yes")
    assert any(results.values()), results  # Bach or Irish rated above the untrained model


# ---------------------------------------------------------------------------------------------- training continues
def test_start_continues_from_the_loaded_step():
    from core.labs.dino_lab import DinoLab
    from core.labs.text_lab import TextLab

    for lab in (DinoLab(), TextLab()):
        loaded = lab.load_starting_point()
        t = lab.trainer
        before = len(t.history.train)
        lab.start()
        assert lab.run_slice() is None
        assert t.step > loaded.step and len(t.history.train) >= before
        assert t.history.train.steps[0] < loaded.step < t.history.train.steps[-1]  # old and new points on one curve


def test_music_continues_within_its_step_limit(music_labs):
    lab = music_labs["bach"]
    step = lab.trainer.step
    assert lab.step_limit > step
    lab.run_slice()
    assert lab.trainer.step > step


def test_music_needs_its_corpus():
    from core.labs.music_lab import MusicLab

    lab = MusicLab()
    lab.use_bundled("irish_folk", music_options())
    with pytest.raises(ModelZipError, match="bach chorales"):
        lab.load_starting_point("bach")
    assert lab.trainer is None


def test_for_lab_picks_the_bundled_corpus():
    from core.labs.dino_lab import DinoLab
    from core.labs.music_lab import MusicLab
    from core.labs.text_lab import TextLab
    from core.music import music_codec as mc

    d, t, m = DinoLab(), TextLab(), MusicLab()
    d.corpus_id, t.corpus_id = "bundled", "bundled:shakespeare.txt"
    assert d.starting_point().name == "dinosaurs" and t.starting_point().name == "shakespeare"
    d.corpus_id, t.corpus_id = "upload:x", "bundled:dinos.txt"
    assert d.starting_point() is None and t.starting_point() is None
    m.corpus_key = ("bundled", "irish_folk", music_options())
    assert m.starting_point().name == "irish"
    m.corpus_key = ("bundled", "irish_folk", mc.CodecOptions(max_chord=4))
    assert m.starting_point() is None


# ---------------------------------------------------------------------------------------------- changed files are
# refused
@pytest.fixture()
def models_copy(tmp_path):
    shutil.copytree(sp.MODELS_DIR, tmp_path / "models")
    return tmp_path / "models"


def test_a_changed_byte_is_refused_by_the_checksum(models_copy):
    from core.labs.dino_lab import DinoLab

    path = models_copy / sp.CATALOG["dinosaurs"].filename
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelZipError, match="does not match its checksum"):
        sp.read("dinosaurs", models_copy)
    lab = DinoLab()
    with pytest.raises(ModelZipError, match="checksum"):
        lab.load_starting_point("dinosaurs", models_copy)
    assert lab.trainer is None  # nothing changed


def test_a_missing_file_says_how_to_rebuild(models_copy):
    (models_copy / sp.CATALOG["irish"].filename).unlink()
    with pytest.raises(ModelZipError, match="build_models.py"):
        sp.read("irish", models_copy)


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def resign(models_dir, name, data: bytes) -> None:
    """Write a changed model and a manifest that matches it: the loader's own checks must still refuse it."""
    (models_dir / sp.CATALOG[name].filename).write_bytes(data)
    sp.write_manifest(models_dir)


def test_tampered_weights_are_refused_even_with_a_matching_checksum(models_copy):
    from core.labs.dino_lab import DinoLab

    data = sp.read("dinosaurs")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        with np.load(io.BytesIO(z.read(mz.NUMPY_MEMBER))) as npz:
            arrays = {k: npz[k] for k in npz.files}
    arrays["Waa"] = arrays["Waa"].copy()
    arrays["Waa"][0, 0] = np.nan
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    resign(models_copy, "dinosaurs", rezip(data, {mz.NUMPY_MEMBER: buf.getvalue()}))
    with pytest.raises(ModelZipError, match="NaN"):
        DinoLab().load_starting_point("dinosaurs", models_copy)
    arrays["Waa"] = np.array([object()] * 4, dtype=object).reshape(2, 2)  # pickled data inside the .npz
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    resign(models_copy, "dinosaurs", rezip(data, {mz.NUMPY_MEMBER: buf.getvalue()}))
    with pytest.raises(ModelZipError, match="unpickling"):
        DinoLab().load_starting_point("dinosaurs", models_copy)


def test_tampered_vocabulary_or_history_is_refused(models_copy):
    from core.labs.text_lab import TextLab

    data = sp.read("shakespeare")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        vocab = json.loads(z.read("vocab.json"))
        history = json.loads(z.read("history.json"))
    vocab["chars"] = vocab["chars"][:-1]  # a character fewer than the model predicts
    resign(models_copy, "shakespeare", rezip(data, {"vocab.json": json.dumps(vocab).encode()}))
    lab = TextLab()
    with pytest.raises(ModelZipError, match="don't belong together"):
        lab.load_starting_point("shakespeare", models_copy)
    assert lab.trainer is None
    history["val"]["val"][0] = "NaN"
    resign(models_copy, "shakespeare", rezip(data, {"history.json": json.dumps(history).encode()}))
    with pytest.raises(ModelZipError, match="history.json"):
        TextLab().load_starting_point("shakespeare", models_copy)


def test_a_lambda_layer_is_refused(models_copy):
    from core.labs.music_lab import MusicLab

    data = sp.read("bach")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        keras_bytes = z.read("model.keras")
    with zipfile.ZipFile(io.BytesIO(keras_bytes)) as k:
        config = json.loads(k.read("config.json"))
    config["config"]["layers"].insert(
        2, {"class_name": "Lambda", "config": {"name": "x", "function": "print"}, "module": "keras.layers"}
    )
    keras_new = rezip(keras_bytes, {"config.json": json.dumps(config).encode()})
    resign(models_copy, "bach", rezip(data, {"model.keras": keras_new}))
    lab = MusicLab()
    lab.use_bundled("bach_chorales", music_options())
    with pytest.raises(ModelZipError, match="Lambda"):
        lab.load_starting_point("bach", models_copy)
    assert lab.trainer is None


# ---------------------------------------------------------------------------------------------- formats
def test_history_round_trip_keeps_decimation_and_tolerates_extra_series():
    from core.models.trainer import History

    h = History()
    for i in range(1, 4500):
        h.record(i, 3.0 / i, 2.0 / i)
    h.record_val(100, 1.5)
    obj = json.loads(mz.history_to_json(h))
    obj["train"]["future_series"] = [1] * len(obj["train"]["steps"])  # a newer trainer's extra series: ignored
    obj["val"].pop("acc", None)  # an older file without accuracy: comes back as NaN
    back = mz.history_from_json(json.dumps(obj))
    assert back.train.steps == h.train.steps and back.train.stride == h.train.stride
    assert back.train.values["loss"] == pytest.approx(h.train.values["loss"], abs=1e-5)
    assert back.val.steps == [100] and back.val.values["val"] == [1.5]
    back.record(4500, 0.1, 0.1)  # continues with the same decimation
    h.record(4500, 0.1, 0.1)
    assert back.train.steps == h.train.steps


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda o: o["train"]["steps"].__setitem__(0, -1), "whole numbers"),
        (lambda o: o["train"].pop("smooth"), "smooth"),
        (lambda o: o["val"].__setitem__("val", [1.0] * 5), "as long as"),
        (lambda o: o.__setitem__("format", "x"), "not a training history"),
    ],
)
def test_bad_history_is_refused_with_a_message(change, match):
    from core.models.trainer import History

    h = History()
    for i in range(1, 20):
        h.record(i, 1.0, 1.0)
    h.record_val(5, 1.0)
    obj = json.loads(mz.history_to_json(h))
    change(obj)
    with pytest.raises(ModelZipError, match=match):
        mz.history_from_json(json.dumps(obj))


def test_token_vocabulary_round_trip_and_checks():
    tokens, meta = mz.tokens_from_json(mz.tokens_to_json(["N60_d4", "R_d2"], {"step": 1}))
    assert tokens == ["N60_d4", "R_d2"] and meta == {"step": 1}
    for bad in (["a", "a"], ["a"], ["ok", "x" * 41], ["ok", "tab\there"]):
        with pytest.raises(ModelZipError):
            mz.tokens_from_json(mz.tokens_to_json(bad))
    with pytest.raises(ModelZipError, match="tokens"):
        mz.tokens_from_json(mz.vocab_to_json(["a", "b"]))


def test_numpy_zip_round_trip_is_exact():
    from core.models import numpy_rnn as nr

    chars = ["\n", "a", "b"]
    params = nr.initialize_parameters(4, 3, 3, seed=1)
    data = mz.export_numpy_zip(params, chars, {"step": 7, "smooth_loss": 2.5}, a_prev=np.ones((4, 1)))
    back, a_prev, c, meta, history = mz.import_numpy_zip(data)
    assert c == chars and history is None and np.array_equal(a_prev, np.ones((4, 1)))
    assert all(np.array_equal(back[k], params[k]) for k in mz.NUMPY_WEIGHTS)
    assert mz.validate_numpy_meta(meta)[0] == {"step": 7, "smooth_loss": 2.5}
    with pytest.raises(ModelZipError, match="lacks model.npz"):
        mz.import_numpy_zip(mz.export_numpy_zip(params, chars).replace(b"model.npz", b"model.xyz"))


def test_the_loaded_note_keeps_its_validation_loss_for_the_unit_of_the_page():
    point = sp.CATALOG["shakespeare"]
    note = sp.said(point, 1200, {"val_loss": 1.5, "seed": 3}, "character")
    assert "validation 1.500 nats per character." in units.in_unit(note)  # in nats as before
    assert f"validation {1.5 / np.log(2):.3f} bits per character." in units.in_unit(note, "bits per character")
    assert "validation" not in units.in_unit(sp.said(point, 1200, {"seed": 3}, "character"))
