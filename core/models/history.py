"""Bounded loss histories for live charts.

A class may leave training running for an hour; a chart that re-plots every point forever gets slower
and a session that keeps every point grows without end. ``LossHistory`` keeps at most ``max_points``
points per series: when full, it drops every other point and from then on only records every
``stride``-th step, so the curve keeps its whole shape at a coarser resolution (memory O(max_points)).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LossHistory:
    """Step-indexed series (e.g. raw and smoothed loss) that share one x axis."""

    names: tuple[str, ...] = ("loss",)  # the series recorded at every step
    max_points: int = 2000  # memory bound per series; must be even and >= 4
    steps: list[int] = field(default_factory=list)  # x values kept
    values: dict[str, list[float]] = field(default_factory=dict)  # series name -> kept y values
    stride: int = 1  # only every stride-th step is kept
    _seen: int = 0  # steps offered so far

    def __post_init__(self) -> None:
        if self.max_points < 4:
            raise ValueError("max_points must be >= 4")
        for n in self.names:
            self.values.setdefault(n, [])

    def append(self, step: int, **vals: float) -> None:
        """Offer one step; it is kept if it falls on the current stride."""
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        self.steps.append(int(step))
        for n in self.names:
            self.values[n].append(float(vals[n]))
        if len(self.steps) >= self.max_points:
            self.steps = self.steps[::2]
            for n in self.names:
                self.values[n] = self.values[n][::2]
            self.stride *= 2

    def __len__(self) -> int:
        return len(self.steps)

    def last(self, name: str) -> float | None:
        v = self.values.get(name) or []
        return v[-1] if v else None
