"""Figures from the counter values a session received (time, value): training rate, refresh gaps, percentiles, the
capacity criterion (keeps_up), when a session is lost, and when the server's memory has settled after the tabs
closed."""

from __future__ import annotations

import statistics

STALL_S = 10.0  # a session with no training refresh in this many seconds at the end of a phase is lost


def rate(updates: list[tuple[float, int]], t0: float, t1: float) -> float | None:
    """Counter increase per second between the last updates at or before t0 and t1."""
    a = max((u for u in updates if u[0] <= t0), default=None)
    b = max((u for u in updates if u[0] <= t1), default=None)
    if a is None or b is None or b[0] <= a[0]:
        return None
    return (b[1] - a[1]) / (b[0] - a[0])


def gaps_of(updates: list[tuple[float, int]], t0: float, t1: float) -> list[float]:
    times = [t for t, _ in updates if t0 <= t <= t1]
    return [b - a for a, b in zip(times, times[1:])]


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def keeps_up(phase: dict) -> bool:
    """The capacity criterion: every session keeps training, and the live chart refreshes at least once a second
    (median gap within 5% of a second, for the Dinosaur lab's one-second timer's jitter; 9 refreshes in 10 within
    1.5 s)."""
    return (
        not phase["sessions_lost"]
        and phase["gap_median_s"] is not None
        and phase["gap_median_s"] <= 1.05
        and phase["gap_p90_s"] <= 1.5
    )


SETTLE_WINDOW_S = 20.0  # after the tabs close, memory has settled when it moved less than SETTLE_TOL_MB for this long
SETTLE_TOL_MB = 20.0
SETTLE_MIN_S = 12.0  # and at least this long after the close (the reload store's sweep runs every 5 s)


def settled(
    samples: list[tuple[float, float]],
    since: float,
    *,
    window_s: float = SETTLE_WINDOW_S,
    tol_mb: float = SETTLE_TOL_MB,
    min_s: float = SETTLE_MIN_S,
) -> bool:
    """Whether memory samples (time, MB) taken from `since` on have stopped moving: they cover at least
    max(min_s, window_s) seconds, and those of the last window_s seconds lie within tol_mb of each other."""
    after = sorted((t, v) for t, v in samples if t >= since)
    if not after or after[-1][0] - after[0][0] < max(min_s, window_s):
        return False
    last = [v for t, v in after if t >= after[-1][0] - window_s]
    return max(last) - min(last) <= tol_mb


def time_to_return(samples: list[tuple[float, float]], since: float, level: float) -> float | None:
    """Seconds from `since` to the first memory sample (time, MB) at or below `level` (None: never)."""
    return next((t - since for t, v in sorted(samples) if t >= since and v <= level), None)


def session_lost(updates: list[tuple[float, int]], t0: float, t1: float, closed_early: str = "") -> bool:
    """A memory-run session is lost when its connection ended, its counter did not move between t0 and t1, or its
    last refresh is older than STALL_S or three of its own median refresh gaps (a large model's one step can take
    longer than STALL_S when twelve sessions share two cores)."""
    r = rate(updates, t0, t1)
    if closed_early or r is None or r <= 0:
        return True
    g = gaps_of(updates, t0, t1)
    allowed = max(STALL_S, 3 * statistics.median(g)) if g else STALL_S
    last = max((t for t, _ in updates if t <= t1), default=0.0)
    return t1 - last > allowed
