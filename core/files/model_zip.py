"""Model files of the Keras labs: the zip a student downloads and uploads again, checked before Keras opens it.

Layout of the zip (the outer archive):

    model.keras   Keras's native format, itself a zip (the inner archive, members stored as Keras writes them):
                    metadata.json      {"keras_version", "date_saved"}
                    config.json        the architecture and the compile settings (layers, units, optimizer)
                    model.weights.h5   weights and optimizer state (HDF5)
    vocab.json    {"format": "rnn-playground-vocab", "version": 1, "chars": [...], "meta": {...}}

An upload is checked in this order, and nothing reaches Keras before every check has passed:

1. the outer zip: its size, its member names and declared sizes; vocab.json is read with a byte cap and parsed;
2. the inner archive: only the three members above, each within its own cap, checked on the sizes the archive
   declares and again while every member is decompressed in a stream with a byte cap (a crafted header can lie);
3. config.json (at most ``MAX_CONFIG_BYTES``) is parsed and its architecture checked against the lab's caps
   (hidden, layers, embedding, vocabulary) and every layer option against core.models.keras_model.LAYER_OPTIONS (what
   the
   playground can train, sample, look inside and rebuild) before any layer is built; the weights must fit it;
4. Keras loads the file in safe mode (it never runs code stored in a file). Nothing is ever unpickled.

``validate_meta`` checks the metadata in vocab.json field by field (types, ranges, NaN/Infinity) and says
what it dropped or clamped. Simplified on purpose: only Sequential models of Keras's own layers are accepted
(Embedding -> SimpleRNN/LSTM/GRU [+ Dropout] -> Dense), the shape this app saves; anything the checks can't
verify is refused rather than guessed at.
"""

from __future__ import annotations

import io
import json
import logging
import math
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, Sequence

from core.models.keras_model import (
    CELL_NAMES,
    CELLS,
    LAYER_OPTIONS,
    MAX_HIDDEN,
    MAX_LAYERS,
    ModelFormatError,
    RNNConfig,
    check_dropout_layout,
    check_layer_options,
    count_params,
)
from core.text.text_data import MAX_VOCAB, CorpusError

log = logging.getLogger(__name__)
DAMAGED_ZIP = "The zip is damaged: it can't be opened as a zip file. Download the model again and upload that file."

VOCAB_FORMAT = "rnn-playground-vocab"  # marker in vocab.json

# --- caps on an upload (the outer zip)
MAX_MODEL_ZIP_BYTES = 200 * 1024 * 1024  # default upload limit for a model zip; the Text lab passes its own (20 MB)
MAX_VOCAB_JSON_BYTES = 1024 * 1024  # vocab.json: 1,000 characters plus metadata is a few KB
MAX_OUTER_MEMBERS = 16  # members of the outer zip (we write 2) and of model.keras (Keras writes 3)

# --- caps on the model itself, the lab's own limits (the largest model a student can build)
MAX_EMBED = 256  # largest embedding (the Text lab's slider; the Music lab uses 32)
MAX_VOCAB_SIZE = MAX_VOCAB  # Embedding input_dim = Dense units = characters in vocab.json (core.text.text_data)
MAX_LAYER_ENTRIES = 2 + 2 * MAX_LAYERS + 1  # Input, Embedding, (recurrent + Dropout) x layers, Dense
LARGEST = RNNConfig(cell="lstm", hidden=MAX_HIDDEN, layers=MAX_LAYERS, embed_dim=MAX_EMBED)  # LSTM has the most weights
MAX_PARAMS = count_params(MAX_VOCAB_SIZE, LARGEST)  # 23,313,384 trainable parameters
ADAM_COPIES = 3  # weights + Adam's two moment estimates (m, v), all float32, in model.weights.h5

# --- caps on the inner archive (model.keras)
MAX_CONFIG_BYTES = 1024 * 1024  # config.json: ~4 KB per layer for this app's models
MAX_METADATA_BYTES = 64 * 1024  # metadata.json: ~64 bytes
WEIGHTS_SLACK_BYTES = 1024 * 1024  # HDF5 structure (~1 KB per stored array) and the optimizer's counters


def weights_cap(params: int) -> int:
    """Largest model.weights.h5 accepted for a model with ``params`` trainable parameters (float32 + Adam)."""
    return int(ADAM_COPIES * 4 * params * 1.1) + WEIGHTS_SLACK_BYTES  # +10% and 1 MB for HDF5's own structure


MAX_WEIGHTS_BYTES = weights_cap(MAX_PARAMS)  # 308,785,244 bytes (~294 MB) for the largest model
INNER_MEMBER_CAPS = {
    "metadata.json": MAX_METADATA_BYTES,
    "config.json": MAX_CONFIG_BYTES,
    "model.weights.h5": MAX_WEIGHTS_BYTES,
}
MAX_MODEL_KERAS_BYTES = sum(INNER_MEMBER_CAPS.values()) + 64 * 1024  # model.keras as stored by Keras, plus zip headers
STREAM_CHUNK = 1024 * 1024  # bytes decompressed at a time while checking a member

# --- metadata (vocab.json "meta") ranges
MAX_STEP = 10**9  # optimizer steps
MAX_TOKENS = 10**15  # training tokens seen
MAX_ELAPSED_S = 10**9  # seconds of training (~31 years)
MAX_SEED = 2**31 - 1  # the seed widgets' range
MAX_LEARNING_RATE = 10.0  # the largest rate on the Text lab's slider
SEQ_LEN_RANGE = (16, 256)  # the Text lab's window lengths (core.labs.text_lab.SEQ_OPTIONS)
BATCH_RANGE = (4, 128)  # the Text lab's batch sizes (core.labs.text_lab.BATCH_OPTIONS)
MAX_DROPOUT = 0.99  # dropout must stay below 1
MAX_META_TEXT = 200  # characters kept of a text field (corpus name, app)
DEFAULT = RNNConfig()  # what a dropped setting falls back to (said in the message)

ALLOWED = "only models saved by this page (Embedding → SimpleRNN/LSTM/GRU → Dense) can be loaded"


class ModelZipError(CorpusError):
    """A user-facing reason why an uploaded model zip can't be used; nothing was loaded or changed."""


# ---------------------------------------------------------------------------------------------- vocab.json
def vocab_to_json(chars: Sequence[str], meta: dict[str, Any] | None = None) -> str:
    """vocab.json text: {"format", "version", "chars": [...], "meta": {...}}."""
    return json.dumps(
        {"format": VOCAB_FORMAT, "version": 1, "chars": list(chars), "meta": meta or {}}, ensure_ascii=False, indent=1
    )


def vocab_from_json(text: str) -> tuple[list[str], dict[str, Any]]:
    """Parse vocab.json -> (chars, meta as stored: see ``validate_meta``); ModelZipError when it is not one of ours."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelZipError(f"vocab.json is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
    except (ValueError, RecursionError):  # a number too long to convert, or nesting too deep
        raise ModelZipError("vocab.json is not valid JSON (a value is too long or nested too deeply).") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("chars"), list):
        raise ModelZipError('vocab.json must be an object with a list of characters under "chars".')
    chars = obj["chars"]
    if not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise ModelZipError('vocab.json: every entry of "chars" must be a single character.')
    if len(set(chars)) != len(chars):
        raise ModelZipError("vocab.json lists a character twice.")
    if not 2 <= len(chars) <= MAX_VOCAB_SIZE:
        raise ModelZipError(f"vocab.json has {len(chars)} characters; expected 2 to {MAX_VOCAB_SIZE}.")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return chars, meta


MAX_TOKEN_CHARS = 40  # longest token of a token vocabulary (a Music value such as "C60.64.67.72_d16" is 16)


def tokens_to_json(tokens: Sequence[str], meta: dict[str, Any] | None = None) -> str:
    """vocab.json text for a vocabulary of tokens (the Music lab's values): {"format", "version", "tokens", "meta"}."""
    return json.dumps(
        {"format": VOCAB_FORMAT, "version": 1, "tokens": list(tokens), "meta": meta or {}}, ensure_ascii=False, indent=1
    )


def tokens_from_json(text: str) -> tuple[list[str], dict[str, Any]]:
    """Parse a token vocab.json -> (tokens, meta as stored); ModelZipError when it is not one of ours.

    Tokens: 2 to MAX_VOCAB_SIZE distinct printable strings of 1 to MAX_TOKEN_CHARS characters."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelZipError("vocab.json is not valid JSON.") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("tokens"), list):
        raise ModelZipError('vocab.json must be an object with a list of values under "tokens".')
    tokens = obj["tokens"]
    if not all(isinstance(t, str) and 1 <= len(t) <= MAX_TOKEN_CHARS and t.isprintable() for t in tokens):
        raise ModelZipError(
            f'vocab.json: every entry of "tokens" must be printable text of 1 to {MAX_TOKEN_CHARS} characters.'
        )
    if len(set(tokens)) != len(tokens):
        raise ModelZipError("vocab.json lists a value twice.")
    if not 2 <= len(tokens) <= MAX_VOCAB_SIZE:
        raise ModelZipError(f"vocab.json has {len(tokens)} values; expected 2 to {MAX_VOCAB_SIZE}.")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return tokens, meta


# ---------------------------------------------------------------------------------------------- metadata
def _shown(v: Any) -> str:
    """A value as a student reads it in a message: "abc" quoted, −5 with a real minus sign, long text cut."""
    if isinstance(v, str):
        return json.dumps(v[:40] + ("…" if len(v) > 40 else ""), ensure_ascii=False)
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return f"{v:,}".replace("-", "−")
    if isinstance(v, float):
        return {math.inf: "Infinity", -math.inf: "−Infinity"}.get(
            v, "NaN" if math.isnan(v) else f"{v:g}".replace("-", "−")
        )
    return type(v).__name__  # a list or an object: its kind is enough


def _whole(v: Any) -> int | None:
    """v as an int when it is a whole JSON number (3 or 3.0), else None (bools, strings, NaN, 2.5 ...)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    return None


def _real(v: Any) -> float | None:
    """v as a finite float when it is a JSON number, else None (bools, strings, NaN, Infinity)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _check_int(
    out: dict, notes: list[str], src: dict, key: str, what: str, lo: int, hi: int, on_bad: str, *, clamp: bool
) -> None:
    """Copy src[key] into out when it is a whole number in [lo, hi]; clamp it (when ``clamp``) or drop it, with a
    note."""
    if key not in src:
        return
    v, n = src[key], _whole(src[key])
    if n is not None and lo <= n <= hi:
        out[key] = n
    elif n is not None and clamp:
        out[key] = min(max(n, lo), hi)
        notes.append(
            f"{key} {_shown(v)} was not a valid {what} ({_shown(lo)} to {_shown(hi)}); using {_shown(out[key])}."
        )
    else:
        notes.append(
            f"{key} {_shown(v)} was not a valid {what} (a whole number from {_shown(lo)} to {_shown(hi)}); {on_bad}."
        )


def validate_meta(
    meta: Any, *, seq_len_range: tuple[int, int] = SEQ_LEN_RANGE, batch_range: tuple[int, int] = BATCH_RANGE
) -> tuple[dict, list[str]]:
    """Check vocab.json's metadata field by field -> (the usable fields, one message per field dropped or clamped).

    Kept (when valid): step int 0..10^9, tokens_seen int 0..10^15, elapsed_s finite float 0..10^9, corpus and app
    str (cut to 200 characters), and under "config": seq_len and batch_size in the page's ranges (clamped),
    learning_rate finite in (0, 10], seed int 0..2^31-1, cell, hidden, layers, embed_dim, dropout within the lab's
    caps. NaN and Infinity (which Python's json accepts) are invalid everywhere. Out-of-range whole numbers are
    clamped where a nearby value means the same thing (step, counters, window, batch); anything else is dropped,
    so the caller's default (the model's own value) applies. Unknown fields are dropped without a message.
    """
    out: dict[str, Any] = {}
    notes: list[str] = []
    if not isinstance(meta, dict):
        return out, (
            []
            if meta in (None, {})
            else [f"The metadata in vocab.json is a {_shown(meta)}, not an object; ignored it."]
        )
    _check_int(
        out,
        notes,
        meta,
        "step",
        "step count",
        0,
        MAX_STEP,
        "using the model's own count of optimizer steps",
        clamp=True,
    )
    _check_int(out, notes, meta, "tokens_seen", "token count", 0, MAX_TOKENS, "using 0", clamp=True)
    if "elapsed_s" in meta:
        v, f = meta["elapsed_s"], _real(meta["elapsed_s"])
        if f is None:
            notes.append(
                f"elapsed_s {_shown(v)} was not a valid training time (a finite number of seconds); using 0 s."
            )
        else:
            out["elapsed_s"] = min(max(f, 0.0), float(MAX_ELAPSED_S))
            if out["elapsed_s"] != f:
                notes.append(
                    f"elapsed_s {_shown(v)} was not a valid training time (0 to {_shown(MAX_ELAPSED_S)} s); using "
                    f"{out['elapsed_s']:g} s."
                )
    for key in ("corpus", "app"):
        if key in meta:
            v = meta[key]
            if not isinstance(v, str):
                notes.append(f"{key} {_shown(v)} was not a text; ignored it.")
            else:
                out[key] = v[:MAX_META_TEXT]
                if len(v) > MAX_META_TEXT:
                    notes.append(f"{key} was {len(v):,} characters long; kept the first {MAX_META_TEXT}.")
    if "config" in meta:
        cfg, cnotes = _validate_config_meta(meta["config"], seq_len_range, batch_range)
        out["config"] = cfg
        notes.extend(cnotes)
    return out, [f"vocab.json: {n}" for n in notes]


def _validate_config_meta(
    src: Any, seq_len_range: tuple[int, int], batch_range: tuple[int, int]
) -> tuple[dict, list[str]]:
    """The "config" part of the metadata (see ``validate_meta``)."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    if not isinstance(src, dict):
        return out, [
            f"config {_shown(src)} was not an object; using the model's architecture and the default training settings."
        ]
    model_own = "using the model's own"
    _check_int(
        out,
        notes,
        src,
        "seq_len",
        "sequence length",
        *seq_len_range,
        f"using the default {DEFAULT.seq_len}",
        clamp=True,
    )
    _check_int(
        out, notes, src, "batch_size", "batch size", *batch_range, f"using the default {DEFAULT.batch_size}", clamp=True
    )
    _check_int(out, notes, src, "seed", "seed", 0, MAX_SEED, f"using the default {DEFAULT.seed}", clamp=False)
    _check_int(out, notes, src, "hidden", "hidden size", 1, MAX_HIDDEN, f"{model_own} hidden size", clamp=False)
    _check_int(out, notes, src, "layers", "layer count", 1, MAX_LAYERS, f"{model_own} layer count", clamp=False)
    _check_int(out, notes, src, "embed_dim", "embedding size", 1, MAX_EMBED, f"{model_own} embedding size", clamp=False)
    if "learning_rate" in src:
        v, f = src["learning_rate"], _real(src["learning_rate"])
        if f is not None and 0 < f <= MAX_LEARNING_RATE:
            out["learning_rate"] = f
        else:
            notes.append(
                f"learning_rate {_shown(v)} was not a valid learning rate (above 0, at most {MAX_LEARNING_RATE:g}); "
                "using the rate stored with the model's optimizer."
            )
    if "dropout" in src:
        v, f = src["dropout"], _real(src["dropout"])
        if f is not None and 0 <= f <= MAX_DROPOUT:
            out["dropout"] = f
        else:
            notes.append(
                f"dropout {_shown(v)} was not a valid dropout rate (0 to {MAX_DROPOUT:g}); {model_own} dropout."
            )
    if "lr_schedule" in src:  # the learning-rate schedule (core.models.lr_schedule), when this version has one
        from core.models.lr_schedule import SCHEDULES

        if src["lr_schedule"] in SCHEDULES:
            out["lr_schedule"] = src["lr_schedule"]
        elif SCHEDULES:
            notes.append(
                f"lr_schedule {_shown(src['lr_schedule'])} was not one of {', '.join(SCHEDULES)}; using the default "
                "schedule."
            )
    if "cell" in src:
        if src["cell"] in CELLS:
            out["cell"] = src["cell"]
        else:
            notes.append(f"cell {_shown(src['cell'])} was not one of {', '.join(CELLS)}; {model_own} cell.")
    return out, notes


# ---------------------------------------------------------------------------------------------- archives
def _safe_name(name: str) -> bool:
    """A member name that stays inside the folder it is extracted to: no absolute path, drive or '..'."""
    p = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not p.is_absolute() and ".." not in p.parts and ":" not in name and "\x00" not in name


def _check_names(infos: list[zipfile.ZipInfo], where: str, max_members: int) -> None:
    if len(infos) > max_members:
        raise ModelZipError(f"{where} holds {len(infos):,} files; a model file holds at most {max_members}.")
    names = [i.filename for i in infos]
    bad = [n for n in names if not _safe_name(n)]
    if bad:
        raise ModelZipError(
            f"{where} holds a file with an unsafe name ({bad[0][:80]!r}: an absolute path or '..'); refused."
        )
    if len(set(names)) != len(names):
        raise ModelZipError(f"{where} holds two files with the same name; refused.")


def _check_declared(info: zipfile.ZipInfo, cap: int, what: str) -> None:
    if info.file_size > cap:
        raise ModelZipError(
            f"{what} declares {info.file_size:,} bytes once unpacked; the limit is {cap:,}. Refused before unpacking "
            "it."
        )


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str, sink=None) -> int:
    """Decompress one member in chunks, at most ``cap`` bytes, into ``sink`` (a binary file; None = count only).

    The declared size is checked first, then the actual bytes as they come: a header that lies is caught
    before more than ``cap`` bytes (plus one chunk) have been produced. Returns the member's size.
    """
    _check_declared(info, cap, what)
    n = 0
    with zf.open(info) as f:
        while chunk := f.read(STREAM_CHUNK):
            n += len(chunk)
            if n > cap:
                raise ModelZipError(
                    f"{what} unpacks to more than {cap:,} bytes (the limit); refused while unpacking it."
                )
            if sink is not None:
                sink.write(chunk)
    return n


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str) -> bytes:
    buf = io.BytesIO()
    _stream(zf, info, cap, what, buf)
    return buf.getvalue()


def _open_outer(
    data: bytes, max_bytes: int, model_member: str = "model.keras"
) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """The outer zip and its members by name, after the size, type and name checks."""
    if not data:
        raise ModelZipError("The model file is empty.")
    if len(data) > max_bytes:
        raise ModelZipError(f"The model file is {len(data) / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelZipError(
            "That is not a zip file. Upload the .zip this page's download button produced (model.keras + vocab.json)."
        )
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    _check_names(infos, "The zip", MAX_OUTER_MEMBERS)
    by_name = {i.filename: i for i in infos}
    missing = [n for n in (model_member, "vocab.json") if n not in by_name]
    if missing and "config.json" in by_name and "model.weights.h5" in by_name:
        raise ModelZipError(
            "This is a bare .keras file. Upload the .zip this page's download button produced: it holds "
            "model.keras and vocab.json (the characters the model knows)."
        )
    if missing:
        raise ModelZipError(
            f"The zip lacks {' and '.join(missing)} (it must hold {model_member} and vocab.json at the top level)."
        )
    return zf, by_name


def _read_vocab(zf: zipfile.ZipFile, info: zipfile.ZipInfo, tokens: bool = False) -> tuple[list[str], dict[str, Any]]:
    try:
        text = _read(zf, info, MAX_VOCAB_JSON_BYTES, "vocab.json").decode("utf-8")
    except UnicodeDecodeError:
        raise ModelZipError("vocab.json is not UTF-8 text.") from None
    return tokens_from_json(text) if tokens else vocab_from_json(text)


def read_meta(
    data: bytes, *, max_bytes: int = MAX_MODEL_ZIP_BYTES, model_member: str = "model.keras", tokens: bool = False
) -> dict[str, Any]:
    """The metadata stored in a model zip's vocab.json, as stored (check it with ``validate_meta``).

    Runs the outer zip's checks and reads only vocab.json (capped); ModelZipError with the reason otherwise.
    """
    try:
        zf, infos = _open_outer(data, max_bytes, model_member)
        with zf:
            return _read_vocab(zf, infos["vocab.json"], tokens)[1]
    except zipfile.BadZipFile:
        raise ModelZipError(DAMAGED_ZIP) from None


def check_keras_archive(path: str | Path, n_chars: int) -> RNNConfig:
    """Check model.keras at ``path`` without Keras -> the architecture it declares (training settings at defaults).

    Members: only metadata.json, config.json and model.weights.h5, each within INNER_MEMBER_CAPS on its declared
    size and while streamed; config.json parsed and checked by ``check_model_config``; the weights no larger than
    that architecture's weights and Adam state can be (``weights_cap``). ModelZipError with the reason.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_names(infos, "model.keras", MAX_OUTER_MEMBERS)
            by_name = {i.filename: i for i in infos}
            extra = sorted(set(by_name) - set(INNER_MEMBER_CAPS))
            if extra:
                raise ModelZipError(
                    f"model.keras holds {extra[0][:80]!r}, which a model saved by this page doesn't; {ALLOWED}."
                )
            missing = [n for n in ("config.json", "model.weights.h5") if n not in by_name]
            if missing:
                raise ModelZipError(f"model.keras lacks {' and '.join(missing)}; Keras could not load it.")
            for info in infos:  # declared sizes of every member and their sum, before anything is unpacked
                _check_declared(info, INNER_MEMBER_CAPS[info.filename], f"model.keras's {info.filename}")
            declared = sum(i.file_size for i in infos)
            if declared > sum(INNER_MEMBER_CAPS.values()):
                raise ModelZipError(
                    f"model.keras declares {declared:,} bytes once unpacked; the limit is "
                    f"{sum(INNER_MEMBER_CAPS.values()):,}."
                )
            if "metadata.json" in by_name:
                _stream(zf, by_name["metadata.json"], MAX_METADATA_BYTES, "model.keras's metadata.json")
            raw = _read(zf, by_name["config.json"], MAX_CONFIG_BYTES, "model.keras's config.json")
            try:
                cfg = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                raise ModelZipError("Keras could not load model.keras: its config.json is not valid JSON.") from None
            arch = check_model_config(cfg, n_chars)
            cap = weights_cap(count_params(n_chars, arch))
            _stream(
                zf,
                by_name["model.weights.h5"],
                cap,
                f"model.keras's weights (for {CELL_NAMES[arch.cell]} {arch.hidden} × {arch.layers})",
            )
            return arch
    except zipfile.BadZipFile:
        raise ModelZipError(
            "Keras could not load model.keras: it is not a valid Keras archive (a damaged zip)."
        ) from None


# ---------------------------------------------------------------------------------------------- config.json
def _code_in_config(cfg: Any) -> tuple[bool, list[str]]:
    """(has a Lambda layer, names of classes from outside Keras) anywhere in a config tree."""
    has_lambda, custom = False, []
    stack = [cfg]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            name = node.get("class_name")
            if isinstance(name, str):
                module = node.get("module")
                if name == "Lambda":
                    has_lambda = True
                elif "registered_name" in node and not (isinstance(module, str) and module.startswith("keras")):
                    custom.append(name)
            stack.extend(node.values())
    return has_lambda, sorted(set(custom))


def _lambda_reason() -> str:
    return (
        "model.keras contains a Lambda layer (Python code stored inside the model), so it is refused: models are "
        f"loaded in Keras safe mode, which never runs code from a file. Nothing was changed; {ALLOWED}."
    )


def _custom_reason(custom: list[str]) -> str:
    return (
        f"model.keras uses custom layers or code ({', '.join(custom[:5])}), so it is refused: this page only knows "
        f"Keras's own layers and loads files in safe mode. Nothing was changed; {ALLOWED}."
    )


def _int_field(layer: dict, key: str, label: str, lo: int, hi: int, cap_name: str) -> int:
    """layer["config"][key] as an int in [lo, hi]; ModelZipError naming the field and the cap otherwise."""
    v = layer["config"].get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ModelZipError(f"model.keras: {label} has {key} = {_shown(v)}, not a whole number. Nothing was built.")
    if not lo <= v <= hi:
        raise ModelZipError(
            f"model.keras declares {label} with {key} = {v:,}; this lab's limit is {lo:,} to {hi:,} ({cap_name}). "
            "Refused before building anything."
        )
    return v


def _check_build_shape(layer: dict, label: str, features: int) -> None:
    """A layer's build_config (the input shape Keras builds its weights for) must end in ``features``."""
    build = layer.get("build_config")
    if build is None:
        return
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 3
        or shape[-1] != features
        or not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape)
    ):
        raise ModelZipError(
            f"model.keras: {label} is built for inputs of shape {_shown(shape)[:60]}, not (…, {features}). Nothing "
            "was built."
        )


def check_model_config(cfg: Any, n_chars: int) -> RNNConfig:
    """Check a Keras 3 config.json (parsed) against the lab's caps before any layer exists -> its architecture.

    Expects ``{"class_name": "Sequential", "config": {"layers": [{"class_name", "config": {...}}, ...]}}`` with
    layers [InputLayer,] Embedding(input_dim = n_chars <= 1,000, output_dim <= 256), 1 to 3 SimpleRNN/LSTM/GRU
    of the same kind and units <= 1,024 (each optionally followed by Dropout), Dense(units = n_chars). A
    Functional or subclassed model is refused: its graph can't be checked this simply. ModelZipError naming
    the field and its cap; the returned RNNConfig has the declared cell, hidden, layers, embedding and dropout.
    """
    has_lambda, custom = _code_in_config(cfg)
    if has_lambda:
        raise ModelZipError(_lambda_reason())
    if custom:
        raise ModelZipError(_custom_reason(custom))
    if not isinstance(cfg, dict) or cfg.get("class_name") != "Sequential":
        kind = cfg.get("class_name") if isinstance(cfg, dict) else None
        raise ModelZipError(
            f"model.keras holds a {kind if isinstance(kind, str) else 'non-Keras'} model, not a Sequential one; "
            f"{ALLOWED}."
        )
    layers = cfg.get("config", {}).get("layers") if isinstance(cfg.get("config"), dict) else None
    if not isinstance(layers, list) or not all(
        isinstance(l, dict) and isinstance(l.get("config"), dict) and isinstance(l.get("class_name"), str)
        for l in layers
    ):
        raise ModelZipError(f"Keras could not load model.keras: its config.json has no list of layers; {ALLOWED}.")
    _check_options("Sequential", {k: v for k, v in cfg["config"].items() if k != "layers"})
    for layer in layers:
        if layer["class_name"] in LAYER_OPTIONS:  # any other class is refused below, by name
            _check_options(layer["class_name"], layer["config"])
    if layers and layers[0]["class_name"] == "InputLayer":
        layers = layers[1:]
    if len(layers) > MAX_LAYER_ENTRIES:
        raise ModelZipError(
            f"model.keras declares {len(layers):,} layers; this lab's models have at most {MAX_LAYER_ENTRIES}. "
            "Nothing was built."
        )
    if not layers or layers[0]["class_name"] != "Embedding":
        raise ModelZipError("The model must start with an Embedding layer (token ids in).")
    if layers[-1]["class_name"] != "Dense":
        raise ModelZipError("The model must end with a Dense layer (one logit per token).")
    emb, dense, middle = layers[0], layers[-1], layers[1:-1]
    vocab = _int_field(emb, "input_dim", "the Embedding", 2, MAX_VOCAB_SIZE, "vocabulary size")
    embed_dim = _int_field(emb, "output_dim", "the Embedding", 1, MAX_EMBED, "embedding size")
    if vocab != n_chars:
        raise ModelZipError(
            f"vocab.json has {n_chars} characters but the model predicts {vocab} tokens: they don't belong together."
        )
    rnns, dropout, features, rates = [], 0.0, embed_dim, []
    for layer in middle:
        kind, label = layer["class_name"], f"layer {layer['config'].get('name', '?')!s:.40}"
        if kind in ("SimpleRNN", "LSTM", "GRU"):
            units = _int_field(layer, "units", f"the {kind} {label}", 1, MAX_HIDDEN, "hidden size")
            _check_build_shape(layer, f"the {kind} {label}", features)
            rnns.append((kind, units))
            features = units
        elif kind == "Dropout":
            rate = _real(layer["config"].get("rate"))
            if rate is None or not 0 <= rate < 1:
                raise ModelZipError(
                    f"model.keras: the Dropout {label} has rate {_shown(layer['config'].get('rate'))}; it must be "
                    "from 0 to below 1."
                )
            dropout = max(dropout, rate)  # check_dropout_layout: every Dropout above 0 has the same rate
            rates.append(rate)
        else:
            raise ModelZipError(
                f"Unsupported layer {kind!r}: only SimpleRNN, LSTM, GRU and Dropout between Embedding and Dense."
            )
    if not 1 <= len(rnns) <= MAX_LAYERS:
        raise ModelZipError(f"The model has {len(rnns)} recurrent layers; 1 to {MAX_LAYERS} are supported.")
    try:
        check_dropout_layout([layer["class_name"] for layer in middle], rates)
    except ModelFormatError as exc:
        raise ModelZipError(str(exc)) from None
    if len({k for k, _ in rnns}) != 1 or len({u for _, u in rnns}) != 1:
        raise ModelZipError("All recurrent layers must be of the same kind and size.")
    units = _int_field(dense, "units", "the Dense layer", 2, MAX_VOCAB_SIZE, "vocabulary size")
    if units != vocab:
        raise ModelZipError(f"The Dense layer predicts {units} tokens but the Embedding reads {vocab}.")
    _check_build_shape(dense, "the Dense layer", features)
    _check_optimizer(cfg.get("compile_config"))
    cell = {"SimpleRNN": "simplernn", "LSTM": "lstm", "GRU": "gru"}[rnns[0][0]]
    return RNNConfig(cell=cell, hidden=rnns[0][1], layers=len(rnns), embed_dim=embed_dim, dropout=dropout)


def _check_options(kind: str, config: dict) -> None:
    """One layer's options checked on core.models.keras_model.LAYER_OPTIONS before Keras builds it; ModelZipError naming
    it."""
    try:
        check_layer_options(kind, config)
    except ModelFormatError as exc:
        raise ModelZipError(str(exc)) from None


def _check_optimizer(compile_config: Any) -> None:
    """A stored learning rate, when it is a plain number, must be finite and in (0, 10]."""
    if not isinstance(compile_config, dict) or not isinstance(compile_config.get("optimizer"), dict):
        return
    opt = compile_config["optimizer"].get("config")
    lr = opt.get("learning_rate") if isinstance(opt, dict) else None
    if (
        isinstance(lr, (int, float))
        and not isinstance(lr, bool)
        and not (math.isfinite(lr) and 0 < lr <= MAX_LEARNING_RATE)
    ):
        raise ModelZipError(
            f"model.keras's optimizer has learning rate {_shown(lr)}; it must be above 0 and at most "
            f"{MAX_LEARNING_RATE:g}."
        )


# ---------------------------------------------------------------------------------------------- export / import
def export_model_zip(
    trainer, chars: Sequence[str], meta: dict[str, Any] | None = None, *, history=None, tokens: bool = False
) -> bytes:
    """A zip (built in memory) holding ``model.keras`` and ``vocab.json``; ``trainer`` is a SequenceTrainer.

    history: a core.models.trainer.History to keep as history.json (trained starting points); tokens: the vocabulary is
    a list of multi-character tokens (the Music lab's values) written under "tokens" instead of "chars"."""
    if trainer.vocab_size != len(chars):
        raise ValueError("the vocabulary does not match the model's output size")
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="rnn-export-") as tmp:
        path = Path(tmp) / "model.keras"
        trainer.save(path)
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, "model.keras")
            zf.writestr("vocab.json", tokens_to_json(chars, meta) if tokens else vocab_to_json(chars, meta))
            if history is not None:
                zf.writestr("history.json", history_to_json(history))
    return buf.getvalue()


def _no_training_text(rng, batch_size, seq_len):  # placeholder until the page binds a corpus
    raise CorpusError("This model has no training text yet: pick a corpus its vocabulary covers.")


def _load_failure_reason(exc: Exception) -> str:
    """A student-facing reason why Keras (safe mode) refused a model.keras that passed the checks above."""
    if "`Lambda`" in str(exc):
        return _lambda_reason()
    log.warning("Keras refused a checked model.keras", exc_info=exc)  # the details are for the server log
    return (
        "Keras could not load model.keras in safe mode: the file passed every check but its layers or weights "
        "don't fit together. Export it again from the playground or from the same Keras model."
    )


def import_model_zip(
    data: bytes,
    *,
    max_bytes: int = MAX_MODEL_ZIP_BYTES,
    config_override: dict | None = None,
    before_build=None,
    tokens: bool = False,
):
    """Check and load a model zip -> (SequenceTrainer, chars, checked meta). Raises ModelZipError with a reason.

    Every check of the module docstring runs before Keras (or TensorFlow) is imported. ``config_override``
    gives training settings (see SequenceTrainer.load); pass the "config" of ``validate_meta``'s result. The
    trainer's ``sample_batch`` is a placeholder that refuses to train until the caller binds a corpus
    (``trainer.sample_batch = corpus.sample_batch``). ``before_build(config, n_chars)``, when given, runs after
    every check and before Keras builds the model; it may refuse by raising (e.g. a memory budget). ``tokens``: the
    vocabulary is a list of tokens (``tokens_from_json``: the Music lab's values) instead of single characters.
    """
    try:
        zf, infos = _open_outer(data, max_bytes)
        with zf, tempfile.TemporaryDirectory(prefix="rnn-import-") as tmp:
            chars, meta = _read_vocab(zf, infos["vocab.json"], tokens)
            path = Path(tmp) / "model.keras"
            with open(path, "wb") as f:  # streamed to disk with a cap: never held whole in memory
                _stream(zf, infos["model.keras"], MAX_MODEL_KERAS_BYTES, "model.keras", f)
            arch = check_keras_archive(path, len(chars))
            if before_build is not None:
                before_build(arch, len(chars))
            trainer = _keras_load(path, config_override)
    except zipfile.BadZipFile:
        raise ModelZipError(DAMAGED_ZIP) from None
    if trainer.vocab_size != len(chars):
        raise ModelZipError(
            f"vocab.json has {len(chars)} characters but the model predicts {trainer.vocab_size} tokens: they don't "
            "belong together."
        )
    return trainer, chars, validate_meta(meta)[0]


def _keras_load(path: Path, config_override: dict | None):
    """Keras loads the checked file in safe mode -> SequenceTrainer; ModelZipError with the reason."""
    from core.models.keras_trainer import (
        SequenceTrainer,
    )  # lazy: imports TensorFlow (the one line to change if it moves)

    try:
        return SequenceTrainer.load(path, _no_training_text, config_override=config_override)
    except ModelFormatError as exc:
        raise ModelZipError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - keras raises many kinds; the reason is shown
        raise ModelZipError(_load_failure_reason(exc)) from None


# ---------------------------------------------------------------------------------------------- history.json
# (trained starting points) The loss history that travels with a model, so the chart shows where it came
# from. Layout: {"format": "rnn-playground-history", "version": 1, "train": {"steps": [...], "loss": [...],
# "smooth": [...], "stride": int, "seen": int}, "val": {"steps": [...], "val": [...], "stride": int, "seen": int, and
# any other series the trainer records, e.g. "acc"}}. Steps are whole numbers (in the order recorded: a roll-back or a
# restore of the best weights may repeat or go back); the loss
# series ("loss", "smooth", "val") hold finite numbers, other series numbers or null (not measured); at most
# MAX_HISTORY_POINTS per series. A series the file lacks comes back as NaN (not measured); a series the trainer
# does not record is ignored; anything else wrong is refused with a message naming it.
HISTORY_FORMAT = "rnn-playground-history"  # marker in history.json
MAX_HISTORY_JSON_BYTES = 2 * 1024 * 1024  # 2,000 + 400 points of a few numbers: ~100 KB
MAX_HISTORY_POINTS = 4000  # per series (core.models.history.LossHistory keeps at most 2,000)
HISTORY_PARTS = ("train", "val")  # the parts of core.models.trainer.History
REQUIRED_SERIES = {"train": ("loss", "smooth"), "val": ("val",)}  # must be present and finite


def history_to_json(history) -> str:
    """history.json text for a core.models.trainer.History (values rounded to 5 decimals: far below what a chart
    shows)."""
    out: dict[str, Any] = {"format": HISTORY_FORMAT, "version": 1}
    for part in HISTORY_PARTS:
        h = getattr(history, part)
        series: dict[str, Any] = {"steps": [int(s) for s in h.steps], "stride": int(h.stride), "seen": int(h._seen)}
        for n in h.names:
            series[n] = [round(float(v), 5) if math.isfinite(v) else None for v in h.values[n]]
        out[part] = series
    return json.dumps(out, separators=(",", ":"))


def history_from_json(text: str, *, max_step: int = MAX_STEP):
    """Parse and check history.json -> core.models.trainer.History; ModelZipError naming what is wrong."""
    from core.models.trainer import History

    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelZipError("history.json is not valid JSON.") from None
    if not isinstance(obj, dict) or obj.get("format") != HISTORY_FORMAT:
        raise ModelZipError("history.json is not a training history saved by this app.")
    history = History()
    for part in HISTORY_PARTS:
        src = obj.get(part)
        if not isinstance(src, dict):
            raise ModelZipError(f"history.json has no {part!r} series.")
        steps = src.get("steps")
        if not isinstance(steps, list) or len(steps) > MAX_HISTORY_POINTS:
            raise ModelZipError(f"history.json: {part} steps must be a list of at most {MAX_HISTORY_POINTS:,} numbers.")
        whole = [_whole(s) for s in steps]
        if any(s is None or not 0 <= s <= max_step for s in whole):  # not always increasing: a roll-back goes back
            raise ModelZipError(f"history.json: {part} steps must be whole numbers from 0 to {max_step:,}.")
        h = getattr(history, part)
        for n in REQUIRED_SERIES[part]:
            if n not in src:
                raise ModelZipError(f"history.json: {part} has no {n!r} series.")
        for n in h.names:
            vals = src.get(n, [None] * len(steps))
            if not isinstance(vals, list) or len(vals) != len(steps):
                raise ModelZipError(f"history.json: {part} {n!r} must be a list as long as its steps ({len(steps):,}).")
            reals = [_real(v) for v in vals]
            if n in REQUIRED_SERIES[part] and any(v is None for v in reals):
                raise ModelZipError(f"history.json: {part} {n!r} holds a value that is not a finite number.")
            if any(v is None and x is not None for v, x in zip(reals, vals)):
                raise ModelZipError(
                    f"history.json: {part} {n!r} holds a value that is neither a finite number nor null."
                )
            h.values[n] = [math.nan if v is None else v for v in reals]
        h.steps = whole
        stride, seen = _whole(src.get("stride", 1)), _whole(src.get("seen", len(steps)))
        h.stride = stride if stride is not None and 1 <= stride <= max_step else 1
        h._seen = seen if seen is not None and len(steps) <= seen <= max_step else len(steps)
    return history


def read_history(data: bytes, *, max_bytes: int = MAX_MODEL_ZIP_BYTES, model_member: str = "model.keras"):
    """The core.models.trainer.History kept in a model zip's history.json, or None when it has none; ModelZipError
    otherwise."""
    try:
        zf, infos = _open_outer(data, max_bytes, model_member)
        with zf:
            if "history.json" not in infos:
                return None
            try:
                text = _read(zf, infos["history.json"], MAX_HISTORY_JSON_BYTES, "history.json").decode("utf-8")
            except UnicodeDecodeError:
                raise ModelZipError("history.json is not UTF-8 text.") from None
    except zipfile.BadZipFile:
        raise ModelZipError(DAMAGED_ZIP) from None
    return history_from_json(text)


# ---------------------------------------------------------------------------------------------- numpy models (Dinosaur
# lab)
# (trained starting points) The Dinosaur lab's course RNN has numpy weights. Its model zip has the same
# outer layout with ``model.npz`` in place of model.keras:
#
#     model.npz     numpy's .npz (a zip of .npy files): Wax (n_a, V), Waa (n_a, n_a), Wya (V, n_a), b (n_a, 1),
#                   by (V, 1) and optionally a_prev (n_a, 1), the hidden state carried to the next name; float32/64
#     vocab.json    {"format", "version", "chars": [...], "meta": {...}} as above (chars[0] is '\n')
#     history.json  optional, as above
#
# model.npz is checked like model.keras: member names and declared sizes first, every member streamed with a cap,
# then numpy reads it with allow_pickle=False (an object array is refused, nothing is unpickled), and every array's
# dtype, shape and values (finite) are checked against the vocabulary and the hidden-size cap.
NUMPY_MEMBER = "model.npz"  # the weights member of a numpy model zip
NUMPY_WEIGHTS = ("Wax", "Waa", "Wya", "b", "by")  # the course's parameter names (core.models.numpy_rnn)
NUMPY_OPTIONAL = ("a_prev",)  # kept when present
MAX_NUMPY_HIDDEN = 512  # the Dinosaur lab's largest n_a (core.models.dino.MAX_HIDDEN)
MAX_DINO_ITERATIONS = 500_000  # the Dinosaur page's iteration budget
NPY_HEADER_BYTES = 4096  # an .npy header (format version, dtype, shape) is at most this long here


def _numpy_shapes(n_a: int, vocab: int) -> dict[str, tuple[int, int]]:
    return {
        "Wax": (n_a, vocab),
        "Waa": (n_a, n_a),
        "Wya": (vocab, n_a),
        "b": (n_a, 1),
        "by": (vocab, 1),
        "a_prev": (n_a, 1),
    }


def export_numpy_zip(
    parameters: dict, chars: Sequence[str], meta: dict[str, Any] | None = None, *, history=None, a_prev=None
) -> bytes:
    """A numpy model zip (see above) for the course's RNN ``parameters`` over ``chars``."""
    import numpy as np

    arrays = {k: np.asarray(parameters[k], dtype=np.float64) for k in NUMPY_WEIGHTS}
    if a_prev is not None:
        arrays["a_prev"] = np.asarray(a_prev, dtype=np.float64)
    n_a, vocab = arrays["Wax"].shape
    if vocab != len(chars) or any(arrays[k].shape != s for k, s in _numpy_shapes(n_a, vocab).items() if k in arrays):
        raise ValueError("the weights do not match the vocabulary")
    npz = io.BytesIO()
    np.savez(npz, **arrays)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(NUMPY_MEMBER, npz.getvalue())
        zf.writestr("vocab.json", vocab_to_json(chars, meta))
        if history is not None:
            zf.writestr("history.json", history_to_json(history))
    return buf.getvalue()


def import_numpy_zip(data: bytes, *, max_bytes: int = MAX_MODEL_ZIP_BYTES, max_hidden: int = MAX_NUMPY_HIDDEN):
    """Check and read a numpy model zip -> (parameters {name: float64 array}, a_prev or None, chars, meta as stored,
    history or None). ModelZipError with the reason; nothing is unpickled."""
    import numpy as np

    cap = 8 * (
        2 * max_hidden * MAX_VOCAB_SIZE + max_hidden * max_hidden + 2 * max_hidden + MAX_VOCAB_SIZE
    )  # float64 weights
    member_cap = 8 * max(max_hidden * MAX_VOCAB_SIZE, max_hidden * max_hidden) + NPY_HEADER_BYTES
    try:
        zf, infos = _open_outer(data, max_bytes, NUMPY_MEMBER)
        with zf:
            extra = sorted(set(infos) - {NUMPY_MEMBER, "vocab.json", "history.json"})
            if extra:
                raise ModelZipError(
                    f"The zip holds {extra[0][:80]!r}, which a model saved by this app doesn't; refused."
                )
            chars, meta = _read_vocab(zf, infos["vocab.json"])
            raw = _read(
                zf,
                infos[NUMPY_MEMBER],
                cap + len(NUMPY_WEIGHTS + NUMPY_OPTIONAL) * (NPY_HEADER_BYTES + 1024),
                NUMPY_MEMBER,
            )
    except zipfile.BadZipFile:
        raise ModelZipError(DAMAGED_ZIP) from None
    history = read_history(data, max_bytes=max_bytes, model_member=NUMPY_MEMBER)
    allowed = {f"{k}.npy" for k in NUMPY_WEIGHTS + NUMPY_OPTIONAL}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as inner:
            ninfos = inner.infolist()
            _check_names(ninfos, NUMPY_MEMBER, len(allowed))
            names = {i.filename for i in ninfos}
            if names - allowed:
                raise ModelZipError(
                    f"{NUMPY_MEMBER} holds {sorted(names - allowed)[0][:80]!r}; only {', '.join(sorted(allowed))} "
                    "are allowed."
                )
            missing = [k for k in NUMPY_WEIGHTS if f"{k}.npy" not in names]
            if missing:
                raise ModelZipError(f"{NUMPY_MEMBER} lacks {', '.join(missing)}.")
            for info in ninfos:
                _stream(inner, info, member_cap, f"{NUMPY_MEMBER}'s {info.filename}")
    except zipfile.BadZipFile:
        raise ModelZipError(f"{NUMPY_MEMBER} is not a valid .npz archive (a damaged zip).") from None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in NUMPY_WEIGHTS + NUMPY_OPTIONAL if k in npz.files}
    except ValueError as exc:  # an object array (pickled data) or a damaged .npy
        log.info("refused %s: %s", NUMPY_MEMBER, exc)
        raise ModelZipError(
            f"{NUMPY_MEMBER} can't be read without unpickling (or one of its arrays is damaged), so it is refused."
        ) from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        log.info("refused %s: %s", NUMPY_MEMBER, exc)
        raise ModelZipError(f"{NUMPY_MEMBER} is damaged: its arrays can't be read.") from None
    for k, a in arrays.items():
        if a.dtype not in (np.float32, np.float64) or a.ndim != 2:
            raise ModelZipError(
                f"{NUMPY_MEMBER}: {k} is a {a.ndim}-d array of {a.dtype}; expected a 2-d array of float32 or float64."
            )
    n_a, vocab = arrays["Wax"].shape
    if not 1 <= n_a <= max_hidden:
        raise ModelZipError(
            f"{NUMPY_MEMBER}: the hidden size n_a = {n_a:,} is outside this lab's range (1 to {max_hidden})."
        )
    if vocab != len(chars):
        raise ModelZipError(
            f"vocab.json has {len(chars)} characters but the model reads {vocab}: they don't belong together."
        )
    if chars[0] != "\n":
        raise ModelZipError("vocab.json: the first character must be the newline (the end of a name).")
    for k, shape in _numpy_shapes(n_a, vocab).items():
        if k in arrays and arrays[k].shape != shape:
            raise ModelZipError(
                f"{NUMPY_MEMBER}: {k} has shape {arrays[k].shape}; for n_a {n_a} and {vocab} characters it must be "
                f"{shape}."
            )
        if k in arrays and not np.all(np.isfinite(arrays[k])):
            raise ModelZipError(f"{NUMPY_MEMBER}: {k} holds NaN or infinite values; refused.")
    params = {k: arrays[k].astype(np.float64) for k in NUMPY_WEIGHTS}
    a_prev = arrays["a_prev"].astype(np.float64) if "a_prev" in arrays else None
    return params, a_prev, chars, meta, history


def validate_numpy_meta(meta: Any) -> tuple[dict, list[str]]:
    """A numpy model's metadata -> (usable fields, one note per field dropped or clamped), like ``validate_meta``:
    step, smooth_loss (finite, >= 0) and under "config" n_a, seed, iterations, sample_every, learning_rate and
    clip_value (finite, > 0). Corpus and app texts as in ``validate_meta``."""
    out, notes = validate_meta(
        {k: v for k, v in (meta or {}).items() if k in ("step", "corpus", "app")} if isinstance(meta, dict) else meta
    )
    if not isinstance(meta, dict):
        return out, notes
    if "smooth_loss" in meta:
        f = _real(meta["smooth_loss"])
        if f is not None and f >= 0:
            out["smooth_loss"] = f
        else:
            notes.append(
                f"vocab.json: smooth_loss {_shown(meta['smooth_loss'])} was not a valid loss; starting the smoothed "
                "loss afresh."
            )
    src = meta.get("config")
    if isinstance(src, dict):
        cfg: dict[str, Any] = {}
        cnotes: list[str] = []
        _check_int(cfg, cnotes, src, "n_a", "hidden size", 1, MAX_NUMPY_HIDDEN, "using the weights' own", clamp=False)
        _check_int(cfg, cnotes, src, "seed", "seed", 0, MAX_SEED, "using 0", clamp=False)
        _check_int(
            cfg, cnotes, src, "iterations", "iteration budget", 100, MAX_DINO_ITERATIONS, "using the page's", clamp=True
        )
        _check_int(
            cfg,
            cnotes,
            src,
            "sample_every",
            "sampling interval",
            1,
            MAX_DINO_ITERATIONS,
            "using the page's",
            clamp=True,
        )
        for key in ("learning_rate", "clip_value"):
            if key in src:
                f = _real(src[key])
                if f is not None and 0 < f <= MAX_LEARNING_RATE * 10:
                    cfg[key] = f
                else:
                    cnotes.append(
                        f"{key} {_shown(src[key])} was not valid (above 0, at most {MAX_LEARNING_RATE * 10:g}); "
                        "using the page's."
                    )
        out["config"] = cfg
        notes.extend(f"vocab.json: {n}" for n in cnotes)
    return out, notes
