"""Model zips (core.files.model_zip): vocab.json, metadata checks, the inner archive and its config checked before
Keras.

Cases 4 (metadata trusted), 6 (zip bombs inside model.keras) and 7 (declared huge layers built before
they were refused). The memory cases run the upload in a fresh interpreter and compare its resident memory (and
its peak) before and after, so nothing else in the test process blurs the figure.
"""

from __future__ import annotations

import copy
import io
import json
import math
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as np
import pytest

from core.files import model_zip as mz
from core.files.model_zip import (
    ModelZipError,
    check_model_config,
    import_model_zip,
    read_meta,
    validate_meta,
    vocab_from_json,
    vocab_to_json,
)
from core.files.model_zip.keras_zip import _load_failure_reason
from core.files.model_zip.values import _shown
from core.text.text_data import CorpusError
from tests.support import ROOT
from tests.support.inputs import ACCEPTED_OPTIONS, accepted_option_model, text_corpus

CORPUS = text_corpus()
PAGE_LIMIT = 20 * 1024 * 1024  # the Text lab's model-upload limit (core.labs.text_lab.MAX_MODEL_UPLOAD)
GIB = 1 << 30


# ---------------------------------------------------------------------------------------------- builders
def zip_of(files: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def members(keras_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(keras_bytes)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def deflate_of(block: bytes, repeats: int) -> tuple[bytes, int]:
    """(raw deflate stream of ``block`` repeated, its CRC-32) without compressing all of it: after a full flush
    the compressor starts afresh, so every repeat compresses to the same bytes (1 GiB of zeros -> ~1 MB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(block) + c.flush(zlib.Z_FULL_FLUSH) == piece
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(block, crc)
    return piece * repeats + c.flush(), crc


def raw_zip(entries: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip written by hand: entries (name, method 0/8, stored bytes, CRC-32, declared size), so the declared
    size can be anything (zipfile always writes the true one)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, method, payload, crc, size in entries:
        offset = out.tell()
        n = name.encode()
        out.write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(payload), size, len(n), 0)
            + n
            + payload
        )
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(payload),
                size,
                len(n),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + n
        )
    cd = central.getvalue()
    start = out.tell()
    out.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), start, 0))
    return out.getvalue()


def stored(name: str, data: bytes) -> tuple[str, int, bytes, int, int]:
    return name, 0, data, zlib.crc32(data), len(data)


@pytest.fixture(scope="module")
def tiny():
    """A real exported model (LSTM 8, embedding 4) -> (its model.keras members, config.json parsed, the zip)."""
    from core.models.keras_model import RNNConfig
    from core.models.keras_trainer import SequenceTrainer

    t = SequenceTrainer(
        CORPUS.vocab_size, RNNConfig(cell="lstm", hidden=8, embed_dim=4, seq_len=16, batch_size=4), CORPUS.sample_batch
    )
    t.train_steps(1)
    data = mz.export_model_zip(t, CORPUS.chars, t.summary())
    keras_bytes = members(data)["model.keras"]
    inner = members(keras_bytes)
    return inner, json.loads(inner["config.json"]), data


def model_zip_with(inner: dict[str, bytes] | bytes, chars=CORPUS.chars, meta: dict | None = None) -> bytes:
    """An outer zip as the page exports it, around ``inner`` (member -> bytes, or a ready model.keras)."""
    keras_bytes = inner if isinstance(inner, bytes) else zip_of(inner)
    return zip_of({"model.keras": keras_bytes, "vocab.json": vocab_to_json(chars, meta)}, zipfile.ZIP_DEFLATED)


def with_units(cfg: dict, units: int) -> dict:
    """config.json with every recurrent layer (and what reads it) declaring ``units``."""
    cfg = copy.deepcopy(cfg)
    for layer in cfg["config"]["layers"]:
        if layer["class_name"] in ("LSTM", "GRU", "SimpleRNN"):
            layer["config"]["units"] = units
        if layer["class_name"] == "Dense":
            layer["build_config"]["input_shape"][-1] = units
    return cfg


# ---------------------------------------------------------------------------------------------- vocab.json and the
# outer zip
def test_vocab_json_round_trip_and_validation():
    chars = CORPUS.chars
    back, meta = vocab_from_json(vocab_to_json(chars, {"step": 3}))
    assert back == chars and meta == {"step": 3}
    for bad in [
        "not json",
        json.dumps({"chars": "abc"}),
        json.dumps({"chars": ["ab", "c"]}),
        json.dumps({"chars": ["a", "a"]}),
        "[" * 100_000,
    ]:
        with pytest.raises(CorpusError):
            vocab_from_json(bad)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"hello, not a zip", "not a zip"),
        (zip_of({"vocab.json": vocab_to_json(["a", "b"])}), "lacks model.keras"),
        (zip_of({"model.keras": b"x"}), "lacks vocab.json"),
        (zip_of({"model.keras": b"x", "vocab.json": "{oops"}), "not valid JSON"),
        (zip_of({"model.keras": b"not a keras file", "vocab.json": vocab_to_json(["a", "b"])}), "could not load"),
        (zip_of({"model.keras": b"x", "vocab.json": vocab_to_json(["a", "b"]), "../evil.txt": b"x"}), "unsafe name"),
        (zip_of({"model.keras": b"x", "vocab.json": vocab_to_json(["a", "b"]), "/etc/evil": b"x"}), "unsafe name"),
        (
            zip_of({"model.keras": b"x", "vocab.json": vocab_to_json(["a", "b"]), **{f"f{i}": b"" for i in range(20)}}),
            "at most 16",
        ),
        (zip_of({"model.keras": b"x", "vocab.json": "x" * (mz.MAX_VOCAB_JSON_BYTES + 1)}), "vocab.json declares"),
    ],
)
def test_bad_model_zips_are_refused_with_reasons(data, match):
    with pytest.raises(ModelZipError, match=match):
        import_model_zip(data)


def test_bare_keras_file_and_vocab_of_another_size_are_refused(tiny):
    inner, _, _ = tiny
    with pytest.raises(ModelZipError, match="bare .keras file"):
        import_model_zip(zip_of(inner))
    with pytest.raises(ModelZipError, match="don't belong together"):
        import_model_zip(model_zip_with(inner, chars=CORPUS.chars[:-1]))


def test_exported_model_loads_with_its_metadata_checked(tiny):
    inner, _, data = tiny
    meta = read_meta(data)
    checked, notes = validate_meta(meta)
    assert notes == [] and checked == meta and checked["step"] == 1 and checked["config"]["hidden"] == 8
    t, chars, back = import_model_zip(data, max_bytes=PAGE_LIMIT, config_override=checked["config"])
    assert chars == CORPUS.chars and back == checked and t.config.hidden == 8
    tokens = list(CORPUS.encode("ROMEO:\n"))
    assert t.keras_next_token_probs(tokens).shape == (CORPUS.vocab_size,)


def test_weights_cap_holds_real_models(tmp_path):
    """The weights cap derived from an architecture is above what Keras really writes (with Adam state)."""
    from core.models.keras_model import RNNConfig, count_params
    from core.models.keras_trainer import SequenceTrainer

    for cfg in (
        RNNConfig(cell="gru", hidden=16, layers=2, embed_dim=8, dropout=0.2),
        RNNConfig(cell="lstm", hidden=128, layers=2, embed_dim=64),
    ):
        t = SequenceTrainer(CORPUS.vocab_size, cfg, CORPUS.sample_batch)
        t.train_steps(1)
        t.save(tmp_path / "m.keras")
        with zipfile.ZipFile(tmp_path / "m.keras") as zf:
            size = zf.getinfo("model.weights.h5").file_size
        params = count_params(CORPUS.vocab_size, cfg)
        assert 3 * 4 * params < size <= mz.weights_cap(params), (cfg, size, mz.weights_cap(params))
        assert mz.check_keras_archive(tmp_path / "m.keras", CORPUS.vocab_size).same_architecture(cfg)


# ---------------------------------------------------------------------------------------------- metadata (case 4)
@pytest.mark.parametrize(
    "meta, kept, message",
    [
        ({"elapsed_s": math.nan}, {}, "elapsed_s NaN was not a valid training time"),
        ({"elapsed_s": math.inf}, {}, "elapsed_s Infinity was not a valid training time"),
        ({"elapsed_s": -3.5}, {"elapsed_s": 0.0}, "using 0 s"),
        ({"step": "abc"}, {}, 'step "abc" was not a valid step count'),
        ({"step": -5}, {"step": 0}, "vocab.json: step −5 was not a valid step count (0 to 1,000,000,000); using 0."),
        ({"step": 2.5}, {}, "step 2.5 was not a valid step count"),
        ({"step": True}, {}, "step true was not a valid step count"),
        ({"tokens_seen": "1e5"}, {}, 'tokens_seen "1e5" was not a valid token count'),
        (
            {"config": {"seed": 2**40}},
            {"config": {}},
            "seed 1,099,511,627,776 was not a valid seed (a whole number from 0 to 2,147,483,647); using the default "
            "0.",
        ),
        (
            {"config": {"learning_rate": math.inf}},
            {"config": {}},
            "learning_rate Infinity was not a valid learning rate",
        ),
        ({"config": {"learning_rate": 0}}, {"config": {}}, "learning_rate 0 was not a valid learning rate"),
        (
            {"config": {"seq_len": 100_000}},
            {"config": {"seq_len": 256}},
            "seq_len 100,000 was not a valid sequence length (16 to 256); using 256.",
        ),
        (
            {"config": {"batch_size": 1}},
            {"config": {"batch_size": 4}},
            "batch_size 1 was not a valid batch size (4 to 128); using 4.",
        ),
        ({"config": {"hidden": 20_000}}, {"config": {}}, "hidden 20,000 was not a valid hidden size"),
        ({"config": {"cell": "transformer"}}, {"config": {}}, 'cell "transformer" was not one of simplernn, lstm, gru'),
        ({"config": {"dropout": math.nan}}, {"config": {}}, "dropout NaN was not a valid dropout rate"),
        ({"config": [1, 2]}, {"config": {}}, "vocab.json: config list was not an object"),
        ({"corpus": "x" * 5000}, {"corpus": "x" * 200}, "corpus was 5,000 characters long; kept the first 200."),
        ({"corpus": 42}, {}, "corpus 42 was not a text"),
    ],
)
def test_each_bad_metadata_field_is_dropped_or_clamped_with_a_message(meta, kept, message):
    out, notes = validate_meta(meta)
    assert out == kept
    assert len(notes) == 1 and message in notes[0], notes


def test_good_metadata_is_kept_as_is_and_unknown_fields_are_dropped():
    meta = {
        "step": 120,
        "tokens_seen": 7680,
        "elapsed_s": 3.25,
        "corpus": "Shakespeare (bundled)",
        "app": "RNN Playground text lab",
        "config": {
            "cell": "gru",
            "hidden": 64,
            "layers": 2,
            "embed_dim": 32,
            "seq_len": 50,
            "batch_size": 64,
            "learning_rate": 0.01,
            "dropout": 0.1,
            "seed": 7,
        },
        "surprise": {"x": 1},
    }
    out, notes = validate_meta(meta)
    assert notes == [] and out == {k: v for k, v in meta.items() if k != "surprise"}
    assert validate_meta("nonsense") == ({}, ['The metadata in vocab.json is a "nonsense", not an object; ignored it.'])


def test_nan_and_infinity_written_in_vocab_json_are_read_and_refused():
    """Python's json reads the bare words NaN and Infinity; the metadata check treats them as invalid."""
    text = vocab_to_json(CORPUS.chars, {"step": 3}).replace(
        '"step": 3', '"step": 3, "elapsed_s": NaN, "tokens_seen": Infinity'
    )
    data = zip_of({"model.keras": b"x", "vocab.json": text})
    meta = read_meta(data)
    assert math.isnan(meta["elapsed_s"]) and meta["tokens_seen"] == math.inf
    out, notes = validate_meta(meta)
    assert out == {"step": 3} and len(notes) == 2


# ---------------------------------------------------------------------------------------------- config.json (case 7)
@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: with_units(c, 4096),
            "LSTM layer rnn_0 with units = 4,096; this lab's limit is 1 to 1,024 (hidden size)",
        ),
        (lambda c: with_units(c, 20_000), "units = 20,000; this lab's limit is 1 to 1,024 (hidden size)"),
        (lambda c: with_units(c, "8"), 'units = "8", not a whole number'),
        (
            lambda c: _layer(c, "Embedding", output_dim=100_000),
            "output_dim = 100,000; this lab's limit is 1 to 256 (embedding size)",
        ),
        (
            lambda c: _layer(c, "Embedding", input_dim=50_000),
            "input_dim = 50,000; this lab's limit is 2 to 1,000 (vocabulary size)",
        ),
        (lambda c: _layer(c, "Dense", units=500), "The Dense layer predicts 500 tokens but the Embedding reads"),
        (lambda c: _repeat_rnn(c, 4), "The model has 4 recurrent layers; 1 to 3 are supported"),
        (lambda c: _repeat_rnn(c, 0), "The model has 0 recurrent layers"),
        (lambda c: _repeat_rnn(c, 50), "declares 52 layers; this lab's models have at most 9"),
        (lambda c: _dense_built_for(c, 10**7), "is built for inputs of shape"),
        (lambda c: dict(c, class_name="Functional"), "holds a Functional model, not a Sequential one"),
        (
            lambda c: _insert(
                c, {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "l"}, "registered_name": None}
            ),
            "Lambda layer",
        ),
        (
            lambda c: _insert(
                c, {"module": None, "class_name": "Twice", "config": {"name": "t"}, "registered_name": "x>Twice"}
            ),
            "custom layers or code (Twice)",
        ),
        (
            lambda c: _insert(
                c,
                {"module": "keras.layers", "class_name": "Attention", "config": {"name": "a"}, "registered_name": None},
            ),
            "Unsupported layer 'Attention'",
        ),
        (lambda c: _optimizer_lr(c, math.inf), "learning rate Infinity"),
    ],
)
def test_declared_architecture_is_checked_against_the_lab_caps(tiny, edit, message):
    _, cfg, _ = tiny
    assert check_model_config(cfg, CORPUS.vocab_size).hidden == 8  # the real config passes
    with pytest.raises(ModelZipError) as info:
        check_model_config(edit(cfg), CORPUS.vocab_size)
    assert message in str(info.value), str(info.value)


def _layer(cfg: dict, kind: str, **fields) -> dict:
    cfg = copy.deepcopy(cfg)
    for layer in cfg["config"]["layers"]:
        if layer["class_name"] == kind:
            layer["config"].update(fields)
    return cfg


def _repeat_rnn(cfg: dict, n: int) -> dict:
    cfg = copy.deepcopy(cfg)
    layers = cfg["config"]["layers"]
    rnn = next(l for l in layers if l["class_name"] == "LSTM")
    rnns = [copy.deepcopy(rnn) for _ in range(n)]
    for i, l in enumerate(rnns[1:]):
        l["build_config"]["input_shape"][-1] = rnn["config"]["units"]
    cfg["config"]["layers"] = [l for l in layers if l["class_name"] != "LSTM"][:2] + rnns + [layers[-1]]
    return cfg


def _dense_built_for(cfg: dict, features: int) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg["config"]["layers"][-1]["build_config"]["input_shape"][-1] = features
    return cfg


def _insert(cfg: dict, layer: dict) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg["config"]["layers"].insert(-1, layer)
    return cfg


def _optimizer_lr(cfg: dict, lr: float) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg["compile_config"]["optimizer"]["config"]["learning_rate"] = lr
    return cfg


# ---------------------------------------------------------------------------------------------- the inner archive (case
# 6)
def test_inner_archive_members_are_checked(tiny, tmp_path):
    inner, _, _ = tiny
    cases = [
        ({**inner, "assets/vocab.txt": b"a"}, "holds 'assets/vocab.txt'"),
        ({k: v for k, v in inner.items() if k != "model.weights.h5"}, "lacks model.weights.h5"),
        ({**inner, "config.json": b"{not json"}, "config.json is not valid JSON"),
        ({**inner, "config.json": b" " * (mz.MAX_CONFIG_BYTES + 1)}, "config.json declares 1,048,577 bytes"),
        ({**inner, "model.weights.h5": b"\0" * (mz.weights_cap(1) + 10**6)}, "weights (for LSTM 8 × 1) declares"),
    ]
    for files, message in cases:
        with pytest.raises(ModelZipError) as info:
            import_model_zip(model_zip_with(files))
        assert message in str(info.value), (message, str(info.value))
    for name in ("../config.json", "/config.json"):
        keras_bytes = raw_zip(
            [stored(name, inner["config.json"]), stored("model.weights.h5", inner["model.weights.h5"])]
        )
        with pytest.raises(ModelZipError, match="unsafe name"):
            import_model_zip(model_zip_with(keras_bytes))


def bomb_keras(inner: dict[str, bytes], member: str, *, lie: bool) -> bytes:
    """model.keras whose ``member`` expands to 1 GiB (zeros; for config.json spaces). ``lie``: the header declares
    the real member's size instead of 1 GiB."""
    block = b" " if member == "config.json" else b"\0"
    payload, crc = deflate_of(block * (1 << 20), 1024)
    entries = [stored(n, d) for n, d in inner.items() if n != member]
    declared = len(inner[member]) if lie else GIB
    return raw_zip(entries + [(member, 8, payload, crc, declared)])


UPLOAD_IN_FRESH_PROCESS = r"""
import json, resource, sys, time
from pathlib import Path

from core.files.model_zip import ModelZipError, import_model_zip

def rss():  # resident bytes now
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize()

def peak():  # this process's highest resident bytes so far (VmHWM: ru_maxrss would carry the parent's peak over exec)
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

data = Path(sys.argv[1]).read_bytes()
before, peak_before = rss(), peak()
t0 = time.perf_counter()
try:
    import_model_zip(data, max_bytes=int(sys.argv[2]))
    message = None
except ModelZipError as exc:
    message = str(exc)
seconds = time.perf_counter() - t0
print(json.dumps(dict(message=message, growth=rss() - before, peak_growth=peak() - peak_before, seconds=seconds,
                      keras="keras" in sys.modules or "tensorflow" in sys.modules)))
"""


def upload_in_fresh_process(data: bytes, tmp_path) -> dict:
    path = tmp_path / "upload.zip"
    path.write_bytes(data)
    out = subprocess.run(
        [sys.executable, "-c", UPLOAD_IN_FRESH_PROCESS, str(path), str(PAGE_LIMIT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "case, build, message",
    [
        (
            "config.json expands to 1 GiB",
            lambda i, c: bomb_keras(i, "config.json", lie=False),
            "config.json declares 1,073,741,824 bytes once unpacked",
        ),
        (
            "config.json expands to 1 GiB, header says 4 KB",
            lambda i, c: bomb_keras(i, "config.json", lie=True),
            "not a valid Keras archive (a damaged zip)",
        ),
        (
            "weights expand to 1 GiB",
            lambda i, c: bomb_keras(i, "model.weights.h5", lie=False),
            "model.weights.h5 declares 1,073,741,824 bytes once unpacked",
        ),
        (
            "weights expand to 1 GiB, header says 29 KB",
            lambda i, c: bomb_keras(i, "model.weights.h5", lie=True),
            "not a valid Keras archive (a damaged zip)",
        ),
        (
            "LSTM 4,096",
            lambda i, c: zip_of({**i, "config.json": json.dumps(with_units(c, 4096)).encode()}),
            "units = 4,096; this lab's limit is 1 to 1,024",
        ),
        (
            "LSTM 20,000",
            lambda i, c: zip_of({**i, "config.json": json.dumps(with_units(c, 20_000)).encode()}),
            "units = 20,000; this lab's limit is 1 to 1,024",
        ),
    ],
)
def test_crafted_uploads_are_refused_before_keras_without_using_memory(tiny, tmp_path, case, build, message):
    """each crafted upload is refused with its reason, before Keras or TensorFlow is even
    imported, and the process's memory (now and at its peak) grows by less than 50 MB."""
    inner, cfg, _ = tiny
    data = model_zip_with(build(inner, cfg))
    assert len(data) < 2 * 2**20  # the upload itself is small
    r = upload_in_fresh_process(data, tmp_path)
    print(
        f"{case}: refused in {r['seconds'] * 1000:.0f} ms, RSS {r['growth'] / 2**20:+.1f} MB, peak "
        f"{r['peak_growth'] / 2**20:+.1f} MB"
    )
    assert r["message"] is not None and message in r["message"], r["message"]
    assert not r["keras"]
    assert r["growth"] < 50 * 2**20 and r["peak_growth"] < 50 * 2**20, r


def test_a_good_upload_in_a_fresh_process_loads(tiny, tmp_path):
    """The same measurement on the real model: it loads (the refusals above are not the harness failing)."""
    r = upload_in_fresh_process(tiny[2], tmp_path)
    assert r["message"] is None and r["keras"]
    assert r["peak_growth"] > 50 * 2**20  # TensorFlow alone: the measurement sees real growth


def test_model_zip_does_not_import_tensorflow():
    code = "import sys, core.files.model_zip; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_numbers_are_shown_for_students():
    assert (
        _shown(-5) == "−5"
        and _shown(math.inf) == "Infinity"
        and _shown("abc") == '"abc"'
        and _shown(np.float64(0.5)) == "0.5"
    )


# ---------------------------------------------------------------------------------------------- layer options
def _option(cfg: dict, kind: str, **fields) -> dict:
    """config.json with ``fields`` set on the first layer of class ``kind`` ("Sequential": the model's own config)."""
    cfg = copy.deepcopy(cfg)
    layers = cfg["config"]["layers"]
    target = cfg["config"] if kind == "Sequential" else next(l["config"] for l in layers if l["class_name"] == kind)
    target.update(fields)
    return cfg


def _without(cfg: dict, kind: str, key: str) -> dict:
    cfg = copy.deepcopy(cfg)
    next(l["config"] for l in cfg["config"]["layers"] if l["class_name"] == kind).pop(key)
    return cfg


def _with_dropout_layer(cfg: dict, **fields) -> dict:
    cfg = copy.deepcopy(cfg)
    config = dict({"name": "d", "rate": 0.1, "seed": None, "noise_shape": None}, **fields)
    layer = {"module": "keras.layers", "class_name": "Dropout", "config": config, "registered_name": None}
    cfg["config"]["layers"].insert(-1, layer)
    return cfg


def _dropout_first(cfg: dict) -> dict:
    cfg = copy.deepcopy(cfg)
    layers = cfg["config"]["layers"]
    i = next(i for i, l in enumerate(layers) if l["class_name"] == "Dropout")
    layers.insert(2, layers.pop(i))
    return cfg


_L2 = {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": None}
_HALF = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}, "registered_name": None}


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: _option(c, "LSTM", use_bias=False),
            "This model's LSTM layer has use_bias=False; the playground only trains LSTM layers with biases",
        ),
        (lambda c: _option(c, "LSTM", unroll=True), "LSTM layer has unroll=True"),
        (lambda c: _option(c, "LSTM", go_backwards=True), "LSTM layer has go_backwards=True"),
        (lambda c: _option(c, "LSTM", stateful=True), "LSTM layer has stateful=True"),
        (lambda c: _option(c, "LSTM", return_sequences=False), "LSTM layer has return_sequences=False"),
        (lambda c: _option(c, "LSTM", return_state=True), "LSTM layer has return_state=True"),
        (lambda c: _option(c, "LSTM", activation="relu"), "LSTM layer has activation='relu'"),
        (
            lambda c: _option(c, "LSTM", recurrent_activation="hard_sigmoid"),
            "LSTM layer has recurrent_activation='hard_sigmoid'",
        ),
        (lambda c: _option(c, "LSTM", dropout=0.2), "LSTM layer has dropout=0.2"),
        (lambda c: _option(c, "LSTM", recurrent_dropout=0.3), "LSTM layer has recurrent_dropout=0.3"),
        (lambda c: _option(c, "LSTM", kernel_regularizer=_L2), "LSTM layer has kernel_regularizer=L2"),
        (lambda c: _option(c, "LSTM", trainable=False), "LSTM layer has trainable=False"),
        (lambda c: _option(c, "LSTM", dtype=_HALF), "LSTM layer has dtype='mixed_float16'"),
        (lambda c: _option(c, "LSTM", lora_rank=4), "LSTM layer has an option lora_rank"),
        (lambda c: _without(c, "LSTM", "return_sequences"), "LSTM layer has return_sequences=False"),  # Keras's default
        (lambda c: _option(c, "Embedding", mask_zero=True), "Embedding layer has mask_zero=True"),
        (
            lambda c: _option(c, "Embedding", embeddings_constraint={"class_name": "NonNeg", "config": {}}),
            "Embedding layer has embeddings_constraint=NonNeg",
        ),
        (lambda c: _option(c, "Dense", use_bias=False), "Dense layer has use_bias=False"),
        (lambda c: _option(c, "Dense", activation="softmax"), "Dense layer has activation='softmax'"),
        (lambda c: _option(c, "InputLayer", ragged=True), "InputLayer layer has ragged=True"),
        (lambda c: _option(c, "InputLayer", dtype="string"), "InputLayer layer has dtype='string'"),
        (lambda c: _option(c, "Sequential", trainable=False), "Sequential layer has trainable=False"),
        (lambda c: _with_dropout_layer(c, noise_shape=[None, 1, 8]), "Dropout layer has noise_shape=[None, 1, 8]"),
        (lambda c: _with_dropout_layer(c, rate=0.1), "Dropout layers are placed differently"),  # two after the LSTM
        (lambda c: _dropout_first(c), "Dropout layers are placed differently"),  # on the embedding: not rebuilt so
    ],
)
def test_layer_options_the_playground_cannot_run_are_refused_naming_the_option(tiny, edit, message):
    """Every layer option is on an allow-list: a value the playground can't train, sample, inspect and rebuild
    after a hibernation is refused before Keras runs, with a message naming the option and its value."""
    _, cfg, _ = tiny
    with pytest.raises(ModelZipError) as info:
        check_model_config(edit(cfg), CORPUS.vocab_size)
    assert message in str(info.value), str(info.value)


def test_gru_reset_after_false_and_simplernn_options_are_refused(tmp_path):
    """The GRU's reset_after and a SimpleRNN's activation are checked on their own cells' lists."""
    import keras

    L, V = keras.layers, CORPUS.vocab_size
    for rnn, said in [
        (L.GRU(8, return_sequences=True, reset_after=False), "GRU layer has reset_after=False"),
        (L.SimpleRNN(8, return_sequences=True, activation="relu"), "SimpleRNN layer has activation='relu'"),
    ]:
        model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(V, 4), rnn, L.Dense(V)])
        with pytest.raises(ModelZipError, match=said):
            import_model_zip(_keras_model_zip(model, tmp_path))


def _keras_model_zip(model, tmp_path) -> bytes:
    path = tmp_path / "m.keras"
    model.save(path)
    return model_zip_with(path.read_bytes())


def test_lstm_without_biases_and_an_unrolled_lstm_are_refused_at_upload(tmp_path):
    """An LSTM with use_bias=False loaded, then broke the numpy sampler, the inspector and look inside; an unrolled LSTM
    over fixed 16-step inputs loaded, then failed on the first training step. Both are refused at upload, naming the
    option, and Keras never builds them."""
    import keras

    L, V = keras.layers, CORPUS.vocab_size
    lstm = L.LSTM(16, return_sequences=True, use_bias=False)
    nobias = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), L.Embedding(V, 8), lstm, L.Dense(V)])
    with pytest.raises(ModelZipError, match="LSTM layer has use_bias=False; the playground only trains LSTM layers"):
        import_model_zip(_keras_model_zip(nobias, tmp_path))
    lstm = L.LSTM(16, return_sequences=True, unroll=True)
    unrolled = keras.Sequential([keras.Input(shape=(16,), dtype="int32"), L.Embedding(V, 8), lstm, L.Dense(V)])
    with pytest.raises(ModelZipError, match="LSTM layer has unroll=True"):
        import_model_zip(_keras_model_zip(unrolled, tmp_path))


@pytest.mark.parametrize("variant", ACCEPTED_OPTIONS)
def test_every_accepted_layer_option_trains_samples_inspects_exports_and_wakes(variant, tmp_path):
    """Whatever passes the upload checks works everywhere: training, the numpy sampler (against Keras), influence,
    neurons and gates, the download (which loads again), and a hibernation and wake-up with the same predictions."""

    from core.inside import influence, neurons
    from core.models.sampling import generate

    model = accepted_option_model(variant, CORPUS.vocab_size, hidden=8, embed=6)
    data = _keras_model_zip(model, tmp_path)
    trainer, chars, _ = import_model_zip(data, config_override={"seq_len": 16, "batch_size": 4})
    trainer.sample_batch = CORPUS.sample_batch
    trainer.val_batches = lambda: [CORPUS.sample_batch(np.random.default_rng(1), 4, 16)]
    report = trainer.train_steps(3)
    assert report.stop is None and len(report.losses) == 3 and trainer.evaluate() is not None
    tm = trainer.token_model()
    tokens = list(CORPUS.encode("ROMEO: the king"))
    state, probs = tm.initial_state(), None
    for tok in tokens:
        probs, state = tm.next_token_probs(state, tok)
    assert np.allclose(probs, trainer.keras_next_token_probs(tokens), atol=1e-4)
    assert len(generate(tm, 20, temperature=1.0, rng=np.random.default_rng(0))) == 20
    assert len(influence.influence(tm, tokens[:-1], tokens[-1]).norms) == len(tokens) - 1
    trace = neurons.forward(neurons.net_of(tm), tokens)
    assert trace.steps == len(tokens) and np.all(np.isfinite(trace.state("h", 0)))
    again, _, _ = import_model_zip(mz.export_model_zip(trainer, chars, trainer.summary()))
    assert np.allclose(again.keras_next_token_probs(tokens), trainer.keras_next_token_probs(tokens), atol=1e-5)
    before = trainer.keras_next_token_probs(tokens)
    trainer.hibernate()
    assert np.allclose(trainer.keras_next_token_probs(tokens), before, atol=1e-5)
    assert trainer.train_steps(1).stop is None


def test_keras_and_zip_errors_reach_the_student_without_their_exception_text(caplog):
    """What Keras or zipfile says goes to the server log; the student reads a sentence without paths or class names."""
    exc = ValueError("Could not deserialize /tmp/rnn-import-x1y2/model.keras: \x1b[31mshape mismatch\x1b[0m")
    with caplog.at_level("WARNING", logger="core.files.model_zip"):
        said = _load_failure_reason(exc)
    assert "/tmp" not in said and "ValueError" not in said and "\x1b" not in said and "mismatch" not in said
    assert "model.keras" in said and "shape mismatch" in caplog.text
    good = zip_of({"model.keras": b"x" * 64, "vocab.json": vocab_to_json(list("abc")).encode()})
    bad = good.replace(b'"abc"', b'"abd"') if b'"abc"' in good else good.replace(b"xxxx", b"xxxy", 1)  # a CRC mismatch
    with pytest.raises(ModelZipError) as refused:
        import_model_zip(bad)
    assert str(refused.value) == mz.DAMAGED_ZIP
