"""Architecture race: two or three configurations of one lab trained in turns of equal wall-clock time.

A ``Race`` is a lab of its own (a core.labs.lab.Lab kept in the session next to the lab it races for), so ``ui.live``
drives it exactly like normal training: each live tick calls ``run_slice()``, and starting the race pauses the
session's other training (one lab at a time per session) and starting any lab pauses the race.

Each racer's trainer is built by the lab's own ``build_trainer`` on the lab's corpus, so a racer is exactly the
model a student would get from the page with that configuration. Turns: every tick raises a common time target by
``turn_s`` and each racer trains (in chunks sized from its own measured time per step) until its own clock reaches
the target. A racer that overshot (a slow chunk) simply trains less next time, so every racer's clock stays within
about one chunk of the others; ``spent_s`` is each racer's own training time, measured around ``train_steps``
only. The first chunk of each racer (one step: TensorFlow traces its step function then) is timed on its own
(``warmup_s``) and not counted, so the race compares architectures, not tracing.

The chart plots each racer's loss against its own training time (validation loss where the lab has validation,
else the smoothed training loss), one line per configuration; each racer gets a sample at the end
(the lab's short_sample).

A race crowns the lowest loss only when every racer's loss is over the same targets (the lab's ``loss_targets``):
the Music lab's course model predicts its capped vocabulary (the rarer values merged into one), and a loss over
fewer, merged values can be lower for that reason alone, so such a race says why it crowns no winner (``mismatch``).

Simplified on purpose: racers share the lab's corpus and the base settings (learning rate, batch, seed); one
racer at a time trains (turns, not threads), so their speeds are comparable on a shared machine; a racer that
diverges drops out with its reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core import charts, palette, units
from core.labs.lab import Lab, Schedule
from core.models.timelapse import LabSample
from core.models.trainer import Stop, StopKind

MAX_RACERS = 3  # configurations in one race
DEFAULT_SECONDS = 20.0  # training time per configuration
MIN_SECONDS, MAX_SECONDS = 2.0, 300.0  # the page's range of race lengths
EVAL_POINTS = 20  # validation points per racer over a race (and one before its first step)


@dataclass
class Racer:
    """One configuration in a race, with its own clock and curves."""

    label: str  # legend label
    config: Any  # the lab's config type
    trainer: Any  # core.models.trainer.Trainer built by the lab's build_trainer
    extras: dict = field(default_factory=dict)  # what building it set on the lab (e.g. the course's capped vocabulary)
    spent_s: float = 0.0  # training time counted in the race
    warmup_s: float | None = None  # the first chunk's time (not counted); None before it ran
    sec_per_step: float | None = None  # measured time per step (chunk sizing)
    chunks: int = 0  # counted chunks
    longest_chunk_s: float = 0.0  # the longest counted chunk (how far its clock can overshoot a target)
    times: list[float] = field(default_factory=list)  # x of ``smooth``: spent_s at the end of each chunk
    smooth: list[float] = field(default_factory=list)  # the running training loss then
    val_times: list[float] = field(default_factory=list)  # x of ``val``
    val: list[float] = field(default_factory=list)  # validation loss (labs that have it)
    last_eval_s: float = -1.0  # spent_s at the last validation
    ema: float = 0.0  # running average of the training loss, before bias correction
    ema_n: int = 0  # steps in it
    stop: Stop | None = None  # why it dropped out (diverged, failed)
    sample: LabSample | None = None  # its sample at the end

    @property
    def out(self) -> bool:
        return self.stop is not None

    @property
    def steps(self) -> int:
        return int(self.trainer.step)


def racer_label(lab: Lab, config: Any) -> str:
    """A short legend label for a configuration of ``lab`` (the lab words it)."""
    return lab.racer_label(config)


def race_configs(lab: Lab, choices: Sequence[Any]) -> list[Any]:
    """The racers' configs: the lab's current config with the one setting its race varies set to each choice."""
    return lab.race_configs(choices)


def lab_corpus(lab: Lab) -> Any:
    """What the lab's current run trains on, in the form its build_trainer takes."""
    return lab.training_data()


def unavailable(lab: Lab) -> str | None:
    """Why this lab can't race now (None: it can): a race trains on what the lab's current run trains on."""
    if lab.trainer is None:
        return "There is no model yet."
    reason = lab.can_train()
    if reason:
        return reason
    if lab_corpus(lab) is None:
        return "The current run has nothing to train on."
    return None


@dataclass(frozen=True)
class RaceVerdict:
    """Whether the racers fit in the memory budget together."""

    ok: bool  # build them
    need: int  # bytes they need together while training (0: small numpy models)
    message: str  # why not ("" when ok)


def race_verdict(lab: Lab, corpus: Any, configs: Sequence[Any], *, replacing: int = 0) -> RaceVerdict:
    """Check the racers' total memory before anything is built: each racer through the lab's ``budget_verdict``
    with the racers before it counted as in use, and the total against one session's share of the server.
    ``replacing``: bytes of an earlier race that this one replaces (counted as free)."""
    from core.models.keras_model import RNNConfig
    from core.server import budget
    from core.server.memory import rss_bytes

    keras = [c for c in configs if isinstance(c, RNNConfig)]
    if not keras:
        return RaceVerdict(True, 0, "")
    vocab = lab.vocab_size_of(corpus)
    need = sum(budget.training_bytes(vocab, c) for c in keras)
    session_cap = int(budget.SESSION_SHARE * budget.server_budget_bytes())
    if need > session_cap:
        return RaceVerdict(
            False,
            need,
            (
                f"These {len(keras)} models need about {budget.mb(need)} together while they train, more than one "
                "session may use "
                f"on this server ({budget.mb(session_cap)}). Nothing was built: race smaller models."
            ),
        )
    in_use = max(0, rss_bytes() - replacing)
    for c in keras:
        v = budget.check(vocab, c, in_use)
        if not v.ok:
            return RaceVerdict(False, need, f"{racer_label(lab, c)}: {v.message}")
        in_use += v.need
    return RaceVerdict(True, need, "")


class Race(Lab):
    """Several racers of one lab, trained in turns (see the module docstring). ``key``: the lab's key + "_race"."""

    def __init__(self, lab: Lab, seconds: float = DEFAULT_SECONDS) -> None:
        super().__init__()
        self.key = f"{lab.key}_race"  # its place in the session, and its widgets' prefix
        self.smoothing = lab.race_smoothing  # decay per step of the racers' running training loss
        s = lab.schedule
        self.schedule = Schedule(
            slice_s=s.slice_s,
            tick_s=s.tick_s,
            chunk_s=s.chunk_s,
            max_chunk=s.max_chunk,
            first_chunk=1,
            eval_every_s=s.eval_every_s,
        )
        self.seconds = float(np.clip(seconds, MIN_SECONDS, MAX_SECONDS))  # training time per racer
        self.target_s = 0.0  # every racer trains until its clock reaches this; raised by turn_s each tick
        self.racers: list[Racer] = []
        self.has_validation = s.eval_every_s is not None
        self.corpus: Any = None  # what the racers train on
        self.ticks = 0  # run_slice calls
        self._lab = lab  # for the samples at the end (the lab's vocabulary and word check)
        self.need = (
            0  # bytes the racers need together while training (race_verdict), freed when a next race replaces it
        )
        self.for_run = ""  # the legend label of the lab's run the racers were built from (set by build)

    # -- building ---------------------------------------------------------------------------------------------
    def build(self, corpus: Any, configs: Sequence[Any]) -> None:
        """Build one trainer per config through the lab's build_trainer. Anything building sets on the lab (the
        Music lab's untrained model and capped vocabulary) is put back and kept with the racer instead."""
        if not 2 <= len(configs) <= MAX_RACERS:
            raise ValueError(f"a race has 2 to {MAX_RACERS} configurations")
        lab = self._lab
        racers = []
        for i, config in enumerate(configs):
            with lab.lock:  # between two slices of the lab's training thread: only building changes the lab
                before = dict(vars(lab))
                try:
                    trainer = lab.build_trainer(corpus, config)
                finally:
                    after = vars(lab)
                    extras = {k: v for k, v in after.items() if k not in before or before[k] is not v}
                    for k in extras:
                        if k in before:
                            after[k] = before[k]
                        else:
                            del after[k]
            racers.append(Racer(racer_label(lab, config), config, trainer, extras))
        self.racers, self.corpus = racers, corpus
        self.target_s = 0.0
        self.note = None
        self.for_run = lab.run_label()

    @property
    def turn_s(self) -> float:
        """Training time each racer gets per tick."""
        return self.schedule.slice_s

    # -- the Lab interface ui.live drives ---------------------------------------------------------------------
    def can_train(self) -> str | None:
        if not self.racers:
            return "There is no race yet: pick the configurations and press Start race."
        return None

    @property
    def finished(self) -> bool:
        return bool(self.racers) and all(r.out or r.spent_s >= self.seconds for r in self.racers)

    def run_slice(self) -> Stop | None:
        """One tick: raise the common target by one turn, then each racer in turn trains up to it."""
        reason = self.can_train()
        if reason:
            return Stop(StopKind.FAILED, reason)
        self.ticks += 1
        self.target_s = min(self.seconds, self.target_s + self.turn_s)
        order = (
            self.racers[self.ticks % len(self.racers) :] + self.racers[: self.ticks % len(self.racers)]
        )  # who goes first rotates
        for r in order:
            if not r.out:
                self._turn(r)
        if self.finished:
            self.take_samples()
            self.rest()
            return Stop(StopKind.FINISHED, self.result_message())
        if all(r.out for r in self.racers):
            return Stop(
                StopKind.FAILED,
                "Every configuration dropped out of the race: "
                + "; ".join(f"{r.label}: {r.stop.message}" for r in self.racers),
            )
        return None

    def _turn(self, r: Racer) -> None:
        """Train ``r`` until its clock reaches the target (its first step is timed apart: tracing)."""
        t = r.trainer
        if r.warmup_s is None:
            self._evaluate(r)  # the starting point: about ln V for every racer
            c0 = time.perf_counter()
            report = t.train_steps(1)
            r.warmup_s = time.perf_counter() - c0
            self._record(r, report)
            if r.out:
                return
        sch = self.schedule
        while r.spent_s < self.target_s and not r.out:
            left = self.target_s - r.spent_s
            n = (
                sch.first_chunk
                if not r.sec_per_step
                else int(np.clip(min(left, sch.chunk_s) / r.sec_per_step, 1, sch.max_chunk))
            )
            c0, s0 = time.perf_counter(), t.step
            report = t.train_steps(n)
            dt = time.perf_counter() - c0
            r.spent_s += dt
            r.chunks += 1
            r.longest_chunk_s = max(r.longest_chunk_s, dt)
            if t.step > s0 and report.stop is None:
                r.sec_per_step = dt / (t.step - s0)
            if t.step == s0 and report.stop is None:
                r.stop = Stop(StopKind.FINISHED, f"{r.label} can't train further (its budget is used up).")
            self._record(r, report)
        due = r.spent_s - r.last_eval_s >= self.seconds / EVAL_POINTS
        final = r.spent_s >= self.seconds and r.last_eval_s < r.spent_s  # once, at the end
        if not r.out and (due or final):
            self._evaluate(r)

    def _evaluate(self, r: Racer) -> None:
        """A validation point at the racer's clock (not counted in it), when the lab has validation."""
        if not self.has_validation:
            return
        val = r.trainer.evaluate()
        if val is not None and np.isfinite(val):
            r.val_times.append(r.spent_s)
            r.val.append(float(val))
        r.last_eval_s = r.spent_s

    def _record(self, r: Racer, report) -> None:
        """The chunk's losses into the racer's running average (bias-corrected: ema / (1 - decay^n)); one point."""
        if report.stop is not None and report.stop.kind != StopKind.FINISHED:
            r.stop = report.stop
        d = self.smoothing
        for loss in report.losses:
            if np.isfinite(loss):
                r.ema = d * r.ema + (1 - d) * float(loss)
                r.ema_n += 1
        if r.ema_n:
            r.times.append(r.spent_s)
            r.smooth.append(r.ema / (1 - d**r.ema_n))

    def take_samples(self, seed: int = 0) -> None:
        """Each racer's sample (same seed for all), unless it has one."""
        for r in self.racers:
            if r.sample is None:
                r.sample = self._lab.short_sample(r.trainer.token_model(), seed, extras=r.extras, corpus=self.corpus)

    def rest(self) -> None:
        """After the race: every Keras racer keeps only its numpy weights (its TensorFlow objects are freed)."""
        self.hibernate()
        from core.server.memory import release_memory

        release_memory()

    def result_message(self) -> str:
        done = [r for r in self.racers if not r.out]
        best = self.ranking()
        mismatch = self.mismatch()
        if mismatch:
            lead = f" {mismatch}"
        else:
            lead = (
                f" Lowest {self.metric_name()}: {best[0][0].label} ({units.loss(best[0][1], self._lab.unit)})."
                if best
                else ""
            )
        return f"Race finished: {len(done)} configurations trained {self.seconds:g} s each.{lead}"

    def earlier_run(self) -> str | None:
        """What the page says when the lab has moved on to another run since this race was built (None: it has
        not): the race's racers, chart and samples belong to the run it was built from."""
        if not self.racers or self.for_run == self._lab.run_label():
            return None
        return (
            f"This race was built from an earlier run ({self.for_run}), not the run on screen "
            f"({self._lab.run_label()}): press Start race to race from the current one."
        )

    def mismatch(self) -> str | None:
        """Why the racers' losses can't be ranked (they are over different targets), or None when they can."""
        targets = [self._lab.loss_targets(r.extras) for r in self.racers]
        if len(set(targets)) <= 1:
            return None
        unit = self._lab.unit
        over = ", ".join(f"{r.label} over {len(t)} {unit}s" for r, t in zip(self.racers, targets))
        return (
            f"No winner: the losses are over different targets ({over}). A loss over fewer targets, some of them "
            f"merged into one, can be lower for that reason alone, so these numbers don't rank the models: compare "
            f"the samples instead."
        )

    def metric_name(self) -> str:
        return "validation loss" if self.has_validation else "training loss (running average)"

    def ranking(self) -> list[tuple[Racer, float]]:
        """(racer, its last validation loss, else its last smoothed loss), best first; racers without a value left
        out."""
        out = []
        for r in self.racers:
            ys = r.val if self.has_validation and r.val else r.smooth
            if ys:
                out.append((r, ys[-1]))
        return sorted(out, key=lambda x: x[1])

    def spread_s(self) -> float:
        """How far apart the racers' clocks are (the largest minus the smallest, racers still in)."""
        clocks = [r.spent_s for r in self.racers if not r.out]
        return max(clocks) - min(clocks) if clocks else 0.0

    def loss_series(self, transform=lambda v: v) -> list[charts.Series]:
        """One line per configuration against its own training time: validation where the lab has it, else the
        smoothed training loss; each its own colour and dash style."""
        series = []
        for i, r in enumerate(self.racers):
            color, dash = charts.PALETTE[i % len(charts.PALETTE)], palette.DASHES[i % len(palette.DASHES)]
            x, y = (r.val_times, r.val) if self.has_validation and r.val else (r.times, r.smooth)
            what = "validation" if self.has_validation and r.val else "train"
            y = transform(np.asarray(y, dtype=float))
            series.append(charts.Series(f"{r.label} · {what}", list(x), list(y), dash=dash, width=2.5, color=color))
        return series

    @property
    def asleep(self) -> bool:
        return all(getattr(r.trainer, "asleep", True) for r in self.racers)

    def hibernate(self) -> int:
        """Every racer's model reduced to numpy (a closed tab); bytes kept."""
        total = 0
        for r in self.racers:
            sleep = getattr(r.trainer, "hibernate", None)
            total += int(sleep()) if sleep is not None else 8 * r.trainer.param_count()
        return total
