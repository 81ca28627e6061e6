"""The Dinosaur lab's model zip: the course RNN's numpy weights (trained starting points), written and read with
checks. It has the outer layout of a Keras model zip with ``model.npz`` in place of model.keras:

    model.npz     numpy's .npz (a zip of .npy files): Wax (n_a, V), Waa (n_a, n_a), Wya (V, n_a), b (n_a, 1),
                  by (V, 1) and optionally a_prev (n_a, 1), the hidden state carried to the next name; float32/64
    vocab.json    {"format", "version", "chars": [...], "meta": {...}} (see vocab.py; chars[0] is the newline)
    history.json  optional (core.files.model_zip.history)

model.npz is checked like model.keras: member names and declared sizes first, every member streamed with a cap,
then numpy reads it with allow_pickle=False (an object array is refused, nothing is unpickled), and every array's
dtype, shape and values (finite) are checked against the vocabulary and the hidden-size cap.
"""

from __future__ import annotations

import io
import logging
import zipfile
from typing import Any, Sequence

from core.files.model_zip.archive import _check_names, _open_outer, _read, _read_vocab, _stream
from core.files.model_zip.history import history_to_json, read_history
from core.files.model_zip.limits import MAX_LEARNING_RATE, MAX_MODEL_ZIP_BYTES, MAX_SEED, MAX_VOCAB_SIZE
from core.files.model_zip.messages import DAMAGED_ZIP, ModelZipError
from core.files.model_zip.meta import _check_int, validate_meta
from core.files.model_zip.values import _real, _shown
from core.files.model_zip.vocab import vocab_to_json

log = logging.getLogger(__name__)

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


def validate_numpy_meta(meta: Any, ranges: dict[str, tuple[float, float]] | None = None) -> tuple[dict, list[str]]:
    """A numpy model's metadata -> (usable fields, one note per field dropped or clamped), like ``validate_meta``:
    step, smooth_loss (finite, >= 0) and under "config" n_a, seed, iterations, sample_every, learning_rate and
    clip_value (finite, > 0). ``ranges``: the lab's own (lo, hi) of n_a, iterations, learning_rate and clip_value
    (its settings spec: what its widgets can hold); by default the caps in core.files.model_zip.limits. Corpus and
    app texts as in ``validate_meta``."""
    r = {
        "n_a": (1, MAX_NUMPY_HIDDEN),
        "iterations": (100, MAX_DINO_ITERATIONS),
        "learning_rate": (0, MAX_LEARNING_RATE * 10),
        "clip_value": (0, MAX_LEARNING_RATE * 10),
        **(ranges or {}),
    }
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
        _check_int(cfg, cnotes, src, "n_a", "hidden size", *r["n_a"], "using the weights' own", clamp=False)
        _check_int(cfg, cnotes, src, "seed", "seed", 0, MAX_SEED, "using 0", clamp=False)
        _check_int(cfg, cnotes, src, "iterations", "iteration budget", *r["iterations"], "using the page's", clamp=True)
        _check_int(
            cfg,
            cnotes,
            src,
            "sample_every",
            "sampling interval",
            1,
            r["iterations"][1],
            "using the page's",
            clamp=True,
        )
        for key in ("learning_rate", "clip_value"):
            if key in src:
                f = _real(src[key])
                lo, hi = r[key]
                if f is not None and 0 < f and lo <= f <= hi:
                    cfg[key] = f
                else:
                    cnotes.append(
                        f"{key} {_shown(src[key])} was not valid (above 0, from {lo:g} to {hi:g}); using the page's."
                    )
        out["config"] = cfg
        notes.extend(f"vocab.json: {n}" for n in cnotes)
    return out, notes
