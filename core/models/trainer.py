"""The one trainer interface every lab implements, and the types it reports with.

A page never trains in a loop of its own: it asks the lab's trainer for a bounded number of steps, shows
what came back, and asks again on the next refresh. Every trainer (the Dinosaur lab's numpy RNN, the Keras
models of the Text and Music labs) therefore offers the same small surface:

    report = trainer.train_steps(n)     # at most n optimizer steps; report.losses, report.stop
    trainer.step                        # steps done so far (a name for the Dinosaur lab, a batch otherwise)
    trainer.history                     # History: train, smoothed and validation series on one step axis
    trainer.done                        # True once the trainer's own budget is used up
    trainer.evaluate()                  # validation loss now (None when the lab has no validation data)
    trainer.token_model()               # a core.models.sampling.TokenModel of the current weights (sampler, inspector)
    trainer.param_count()               # trainable parameters

``Stop`` is typed: a page colours and words it by ``kind`` (finished / diverged / failed / paused), never
by parsing its message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import numpy as np

from core import units
from core.models.history import LossHistory
from core.models.sampling import TokenModel


class StopKind(str, Enum):
    """Why training stopped."""

    FINISHED = "finished"  # the step budget is used up: a success
    DIVERGED = "diverged"  # the loss turned NaN/inf or exploded; earlier weights were restored
    FAILED = "failed"  # something else went wrong (a bad corpus, an error); nothing was lost
    PAUSED = "paused"  # stopped from outside (another lab started, the page asked)


@dataclass(frozen=True)
class Stop:
    """A typed reason to stop, with the sentence a student reads."""

    kind: StopKind  # what happened
    message: str  # what the page shows


@dataclass
class TrainReport:
    """What one call of ``train_steps`` did."""

    losses: list[float] = field(default_factory=list)  # training loss of every step done in this call
    stop: Stop | None = None  # set when training has to stop


@dataclass
class History:
    """Every series a loss chart draws, bounded (see core.models.history.LossHistory).

    ``train`` holds the raw loss of each step ("loss") and the trainer's smoothed loss ("smooth"), on the
    step axis; ``val`` holds validation losses at the steps they were measured.
    """

    train: LossHistory = field(default_factory=lambda: LossHistory(names=("loss", "smooth")))
    val: LossHistory = field(default_factory=lambda: LossHistory(names=("val", "acc"), max_points=400))

    def record(self, step: int, loss: float, smooth: float) -> None:
        self.train.append(step, loss=loss, smooth=smooth)

    def record_val(self, step: int, val: float, acc: float = float("nan")) -> None:
        """A validation loss (nats/token) and, when known, next-token accuracy (0..1; NaN when not measured)."""
        self.val.append(step, val=val, acc=acc)

    def __len__(self) -> int:
        return len(self.train)

    def last_smooth(self) -> float | None:
        return self.train.last("smooth")

    def last_val(self) -> float | None:
        return self.val.last("val")

    def last_acc(self) -> float | None:
        a = self.val.last("acc")
        return None if a is None or not np.isfinite(a) else a


def batch_stats(eval_fn, x, y) -> tuple[float, float, int]:
    """(summed loss, correct next-token guesses, tokens) of one validation batch; ``eval_fn(x, y)`` returns
    [summed loss, number of positions where the most likely token is the true one]."""
    out = np.asarray(eval_fn(np.asarray(x, np.int32), np.asarray(y, np.int32)), dtype=np.float64)  # (2,)
    return float(out[0]), float(out[1]), int(np.size(y))


def mean_token_loss(eval_fn, batches) -> float:
    """Mean loss per token over validation ``batches`` [(x, y)] (see ``batch_stats``)."""
    return token_stats(eval_fn, batches)[0]


def token_stats(eval_fn, batches) -> tuple[float, float]:
    """(mean loss per token, next-token accuracy) over validation ``batches`` [(x, y)]."""
    total, correct, count = 0.0, 0.0, 0
    for x, y in batches:
        s, c, n = batch_stats(eval_fn, x, y)
        total, correct, count = total + s, correct + c, count + n
    return total / max(count, 1), correct / max(count, 1)


# ---------------------------------------------------------------------------------------------- best weights
MAX_SEED = 2**31 - 1  # the largest seed a run takes (numpy's and TensorFlow's seeds fit in 32 bits)
MEMORISE_NATS = 0.1  # validation this far above its best ...
MEMORISE_EVALS = 3  # ... at this many evaluations in a row: the model is memorising its training data


@dataclass
class BestWeights:
    """The weights at the lowest validation loss seen so far."""

    val: float  # that validation loss (nats/token)
    acc: float  # its next-token accuracy (NaN when not measured)
    step: int  # the step it was measured at
    weights: list  # the model's variables then, numpy copies


class BestKeeper:
    """Keeps the weights of the best validation loss of a run and tells when validation has risen clearly above it.

    ``observe`` is called after every validation pass with a function that copies the current weights; it copies
    them only when the loss is a new best. ``memorising`` is True once the last ``MEMORISE_EVALS`` evaluations were
    all more than ``MEMORISE_NATS`` above the best: the model is getting better on its training data and worse
    on text it has never seen. Plain numpy: shared by both Keras trainers.
    """

    def __init__(self) -> None:
        self.best: BestWeights | None = None
        self.above = 0  # evaluations in a row clearly above the best
        self.last: float | None = None  # the latest validation loss observed
        self.restored_at: int | None = None  # the step the best weights were last put back at (None: not since)

    def observe(self, step: int, val: float, acc: float, copy_weights) -> bool:
        """Record a validation loss at ``step``; True when it is a new best (its weights were copied)."""
        if not np.isfinite(val):
            return False
        self.last = float(val)
        if self.best is None or val < self.best.val:
            self.best = BestWeights(float(val), float(acc), int(step), copy_weights())
            self.above = 0
            return True
        self.above = self.above + 1 if val > self.best.val + MEMORISE_NATS else 0
        return False

    @property
    def memorising(self) -> bool:
        return self.best is not None and self.above >= MEMORISE_EVALS

    def weights_step(self, step: int) -> int:
        """The step whose weights a model at ``step`` holds: the best's after they were put back, else ``step``."""
        b = self.best
        return int(b.step) if b is not None and self.restored_at == step else int(step)

    def weights_note(self, step: int, unit: str = "token") -> str:
        """Which weights a model at ``step`` holds, for the page (generation says which weights it uses); validation
        losses per ``unit``, drawn in the page's unit (core.units)."""
        b = self.best
        if b is not None and self.restored_at == step:
            return f"the best weights (from step {b.step:,}, validation {units.loss(b.val, unit)})"
        note = f"the latest weights (step {step:,})"
        if b is not None and b.step != step:
            note += f"; the best validation so far was {units.loss(b.val, unit)} at step {b.step:,}"
        return note

    @property
    def gap(self) -> float | None:
        """How far the latest validation loss is above the best (nats/token)."""
        return None if self.best is None or self.last is None else self.last - self.best.val

    def restored(self, step: int) -> None:
        """The best weights were put back at ``step``: validation is back at its best."""
        self.restored_at = int(step)
        self.above = 0
        self.last = self.best.val if self.best is not None else None


def memorising_message(keeper: BestKeeper, unit: str = "token") -> str:
    """What the page says when ``keeper.memorising``, in a student's words (its losses drawn by core.units)."""
    b = keeper.best
    return (
        f"The model is memorising its training data: its loss on the training part keeps falling, but on the "
        f"held-out part it has never trained on it rose from {units.loss(b.val)} (step {b.step:,}) to "
        f"{units.loss(keeper.last, unit)}. "
        f"Training longer now makes it worse at new material. You can go back to the weights of step {b.step:,}."
    )


class Trainer(Protocol):
    """What a lab, ui.live and the benchmark need from a trainer (see the module docstring)."""

    config: Any
    step: int
    history: History
    vocab_size: int

    @property
    def done(self) -> bool: ...

    def train_steps(self, n: int) -> TrainReport: ...

    def evaluate(self) -> float | None: ...

    def token_model(self) -> TokenModel: ...

    def param_count(self) -> int: ...


def stop_at_best_stop(keeper: BestKeeper, unit: str = "token") -> Stop:
    """The stop of "stop at the best validation" (the trainer then puts the best weights back)."""
    b = keeper.best
    return Stop(
        StopKind.FINISHED,
        f"Stopped at the best validation: the held-out loss rose from {units.loss(b.val)} (step {b.step:,}) to "
        f"{units.loss(keeper.last, unit)} while the training loss kept falling, so the model was memorising its "
        "training data. "
        f"The weights of step {b.step:,} are back in place.",
    )
