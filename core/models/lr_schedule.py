"""Learning-rate schedules of the Keras labs: the rate Adam uses at each optimizer step.

The student's learning rate is the *peak*. Three schedules:

- ``constant``: the peak at every step (the lessons on learning rates use it);
- ``decay`` (the default): a short linear warm-up from a tenth of the peak, then an exponential decay that
  halves the rate every ``half_life`` steps, down to ``floor`` × the peak:

      rate(s) = peak × (0.1 + 0.9 × s / warmup)                       for s < warmup
      rate(s) = peak × max(floor, 0.5 ** ((s − warmup) / half_life))   afterwards

- ``plateau``: the peak, halved each time the validation loss has not improved by ``min_gain`` nats for
  ``patience`` evaluations in a row (down to ``floor`` × the peak). It follows validation, so it depends on how
  often the page evaluates (wall time), not only on the step.

The schedule is a function of the step (and, for ``plateau``, of the validation history), so a run can
switch schedule mid-run: that is a retune, not a new model. The per-cell half-lives come from
``python -m bench.tune`` (bench/results/tune_schedule*.json, tune_bigger300b.json): GRU at the constant rate 0.01
exploded after about 1,000 steps on tiny Shakespeare, so it never trains long at the peak; at the default size
(384 units, dropout 0.45) a half-life of 900 steps went lower by 300 s than 550.

Simplified on purpose: the schedule counts the run's steps, so a model loaded from a file at step 5,000
continues at its decayed rate; a warm restart is a new run.
"""

from __future__ import annotations

from dataclasses import dataclass

CONSTANT, DECAY, PLATEAU = "constant", "decay", "plateau"
SCHEDULES = (DECAY, PLATEAU, CONSTANT)  # the page's order; the first is the default
LABELS = {
    DECAY: "Warm-up, then decay (default)",
    PLATEAU: "Halve when validation stalls",
    CONSTANT: "Constant",
}


@dataclass(frozen=True)
class LRSchedule:
    """One schedule's shape (the peak rate is the config's learning rate)."""

    kind: str = DECAY  # CONSTANT | DECAY | PLATEAU
    warmup: int = 50  # steps of linear warm-up from 0.1 × peak (DECAY)
    half_life: int = 600  # steps for the rate to halve after the warm-up (DECAY)
    floor: float = 0.1  # the rate never goes below floor × peak (DECAY, PLATEAU)
    patience: int = 4  # evaluations without improvement before halving (PLATEAU)
    min_gain: float = 0.01  # nats: an improvement smaller than this does not count (PLATEAU)

    def validate(self) -> None:
        if self.kind not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, not {self.kind!r}")
        if self.warmup < 0 or self.half_life < 1 or not 0 < self.floor <= 1 or self.patience < 1:
            raise ValueError("warmup >= 0, half_life >= 1, 0 < floor <= 1 and patience >= 1")

    def factor(self, step: int, plateau_halvings: int = 0) -> float:
        """The rate at 0-based optimizer step ``step`` as a fraction of the peak."""
        if self.kind == CONSTANT:
            return 1.0
        if self.kind == PLATEAU:
            return max(self.floor, 0.5 ** int(plateau_halvings))
        if step < self.warmup:
            return 0.1 + 0.9 * step / self.warmup
        return max(self.floor, 0.5 ** ((step - self.warmup) / self.half_life))

    def milestone(self, step: int, plateau_halvings: int = 0) -> int:
        """A counter that moves when the rate has changed enough to mark it on the chart: the end of the warm-up,
        then each halving (DECAY), each halving (PLATEAU); always 0 for CONSTANT."""
        if self.kind == CONSTANT:
            return 0
        if self.kind == PLATEAU:
            return min(int(plateau_halvings), self._max_halvings())
        if step < self.warmup:
            return 0
        return 1 + min(int((step - self.warmup) // self.half_life), self._max_halvings())

    def _max_halvings(self) -> int:
        n, f = 0, 1.0
        while f * 0.5 >= self.floor - 1e-12:
            f *= 0.5
            n += 1
        return n + 1


# Per-cell shapes of the default schedule, from step-budgeted runs on tiny Shakespeare at the 256-unit defaults (rate
# 0.01;
# bench/results/tune_schedule1.json, tune_schedule2.json; validation nats per character after 600 / 1,200 / 2,400
# steps):
# LSTM half-life 600: 1.693 / 1.605 / 1.561, 1,000: 1.694 / 1.617 / 1.559; GRU 400: 1.657 / 1.586 / 1.570, 700: 1.668 /
# 1.595 / 1.556, 550: 1.666 / 1.583 / – (GRU at the constant rate exploded after ~1,000 steps): at 256 units GRU
# halved a little sooner than LSTM. SimpleRNN: 1.782 / 1.691 after 600 / 1,200 steps with the decay, 1.906 / 1.831
# constant.
# At the default size since 24 Nov (384 units, GRU dropout 0.45; 300 s interleaved, bench/results/tune_bigger300*.json):
# GRU half-life 550: 1.568 / 1.526 / 1.519 / 1.515 after 75 / 150 / 225 / 300 s, 900: 1.576 / 1.524 / 1.511 / 1.506.
CELL_DECAY = {
    "simplernn": LRSchedule(DECAY, warmup=50, half_life=600),
    "lstm": LRSchedule(DECAY, warmup=50, half_life=600),
    "gru": LRSchedule(DECAY, warmup=50, half_life=900),
}


def schedule_for(kind: str, cell: str = "lstm") -> LRSchedule:
    """The schedule called ``kind`` for a model of ``cell`` (the course's model has its own, see
    core.models.course_model)."""
    if kind == DECAY:
        s = CELL_DECAY.get(cell, CELL_DECAY["lstm"])
    else:
        s = LRSchedule(kind)
    s.validate()
    return s


def describe(kind: str, cell: str = "lstm") -> str:
    """One sentence for the page: what the schedule does."""
    s = schedule_for(kind, cell)
    if kind == CONSTANT:
        return "The rate stays at the value you set."
    if kind == PLATEAU:
        return (
            f"The rate starts at the value you set and halves whenever the validation loss has not improved by "
            f"{s.min_gain:g} for {s.patience} evaluations (never below {s.floor:g}×)."
        )
    return (
        f"The rate climbs from a tenth of the value you set over the first {s.warmup} steps, then halves every "
        f"{s.half_life:,} steps (never below {s.floor:g}×): big steps early, fine ones later."
    )
