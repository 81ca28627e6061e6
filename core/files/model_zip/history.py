"""history.json: the loss history that travels with a model (a trained starting point, or a model downloaded from
the Text lab), so the chart shows where it came from.

Layout: {"format": "rnn-playground-history", "version": 1, "train": {"steps": [...], "loss": [...],
"smooth": [...], "stride": int, "seen": int}, "val": {"steps": [...], "val": [...], "stride": int, "seen": int, and
any other series the trainer records, e.g. "acc"}}. Steps are whole numbers (in the order recorded: a roll-back or a
restore of the best weights may repeat or go back); the loss
series ("loss", "smooth", "val") hold finite numbers, other series numbers or null (not measured); at most
MAX_HISTORY_POINTS per series. A series the file lacks comes back as NaN (not measured); a series the trainer
does not record is ignored; anything else wrong is refused with a message naming it.
"""

from __future__ import annotations

import json
import math
import zipfile
from typing import Any

from core.files.model_zip.archive import _open_outer, _read
from core.files.model_zip.limits import MAX_MODEL_ZIP_BYTES, MAX_STEP
from core.files.model_zip.messages import DAMAGED_ZIP, ModelZipError
from core.files.model_zip.values import _real, _whole

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
