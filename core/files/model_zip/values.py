"""Values read from a file, as the checks read and show them: a whole number, a finite real (never a bool, NaN or
Infinity, which Python's json accepts), and any value as a student reads it in a message."""

from __future__ import annotations

import json
import math
from typing import Any


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
