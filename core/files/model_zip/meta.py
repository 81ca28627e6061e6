"""The metadata in vocab.json checked field by field (types, ranges, NaN/Infinity): what is usable is kept, and
each field dropped or clamped gets a message naming it. Simplified on purpose: unknown fields are dropped silently."""

from __future__ import annotations

from typing import Any

from core.files.model_zip.limits import (
    BATCH_RANGE,
    DEFAULT,
    MAX_DROPOUT,
    MAX_ELAPSED_S,
    MAX_EMBED,
    MAX_LEARNING_RATE,
    MAX_META_TEXT,
    MAX_SEED,
    MAX_STEP,
    MAX_TOKENS,
    SEQ_LEN_RANGE,
)
from core.files.model_zip.values import _real, _shown, _whole
from core.models.keras_model import CELLS, MAX_HIDDEN, MAX_LAYERS


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
