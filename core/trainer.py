"""The one trainer interface every lab implements, and the types it reports with.

A page never trains in a loop of its own: it asks the lab's trainer for a bounded number of steps, shows
what came back, and asks again on the next refresh. Every trainer (the Dinosaur lab's numpy RNN, the Keras
models of the Text and Music labs) therefore offers the same small surface:

    report = trainer.train_steps(n)     # at most n optimizer steps; report.losses, report.stop
    trainer.step                        # steps done so far (a name for the Dinosaur lab, a batch otherwise)
    trainer.history                     # History: train, smoothed and validation series on one step axis
    trainer.done                        # True once the trainer's own budget is used up
    trainer.evaluate()                  # validation loss now (None when the lab has no validation data)
    trainer.token_model()               # a core.sampling.TokenModel of the current weights (sampler, inspector)
    trainer.param_count()               # trainable parameters

``Stop`` is typed: a page colours and words it by ``kind`` (finished / diverged / failed / paused), never
by parsing its message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import numpy as np

from core.history import LossHistory
from core.sampling import TokenModel


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
    """Every series a loss chart draws, bounded (see core.history.LossHistory).

    ``train`` holds the raw loss of each step ("loss") and the trainer's smoothed loss ("smooth"), on the
    step axis; ``val`` holds validation losses at the steps they were measured.
    """

    train: LossHistory = field(default_factory=lambda: LossHistory(names=("loss", "smooth")))
    val: LossHistory = field(default_factory=lambda: LossHistory(names=("val",), max_points=400))

    def record(self, step: int, loss: float, smooth: float) -> None:
        self.train.append(step, loss=loss, smooth=smooth)

    def record_val(self, step: int, val: float) -> None:
        self.val.append(step, val=val)

    def __len__(self) -> int:
        return len(self.train)

    def last_smooth(self) -> float | None:
        return self.train.last("smooth")

    def last_val(self) -> float | None:
        return self.val.last("val")


def mean_token_loss(eval_fn, batches) -> float:
    """Mean loss per token over validation ``batches`` [(x, y)], from ``eval_fn(x, y)`` = a batch's summed loss."""
    total, count = 0.0, 0
    for x, y in batches:
        total += float(eval_fn(np.asarray(x, np.int32), np.asarray(y, np.int32)))
        count += int(np.size(y))
    return total / max(count, 1)


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
