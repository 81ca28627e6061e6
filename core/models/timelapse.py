"""Time-lapse: a bounded set of weight snapshots taken while a run trains, to look back at step k.

Spacing. Snapshots are taken every ``every`` steps from the run's first step (``every`` starts at 1). When one more
snapshot would make more than ``MAX_SNAPSHOTS``, ``every`` doubles and every other snapshot is dropped (the first,
the untrained model, always stays). So at most ``MAX_SNAPSHOTS`` are kept at any time, evenly spread over the run
so far, whatever its length: after n steps about 15–30 snapshots are kept, ``every`` ≈ n / 30 … n / 15 steps apart.
A lab's snapshots also stay under ``MAX_BYTES`` (a class server holds many sessions): a large model keeps fewer
snapshots (``capacity()``, at least 2), spaced the same way.
``core.labs.lab.Lab.run_slice`` ends a chunk of training exactly at the next due step, so the spacing is exact.

Memory. A snapshot is a numpy copy of the weights the sampler uses (``trainer.token_model()``, a
core.models.sampling.TokenModel): parameters × 8 bytes for the Dinosaur RNN (float64), × 4 for the Keras models
(float32),
plus whatever that sampler precomputes (the Text lab's sampler keeps each character's input projection). ``nbytes``
counts the arrays actually kept; the bound is ``capacity()`` × one snapshot's bytes. A hibernated lab counts them
in the bytes it reports to the recovery store.

Simplified on purpose: a snapshot holds the sampler's weights only (no optimizer state): you can look at step k,
not resume training from it. Snapshots are read-only (their arrays are marked unwriteable). When a trainer rolls
back (a diverged slice), snapshots after its step are dropped.

This module also draws the short samples a snapshot (or any model of a lab) is shown with: names for the Dinosaur
lab, a text for the Text lab, a few bars for the Music lab (each lab's ``short_sample``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.models.sampling import StepRecord, TokenModel, generate

MAX_SNAPSHOTS = 30  # most snapshots kept at once
MAX_BYTES = 32 * 2**20  # most bytes of snapshots one lab keeps (large models keep fewer snapshots, at least 2)
SAMPLE_NAMES = 8  # names in a Dinosaur sample
SAMPLE_CHARS = 240  # characters in a Text sample
SAMPLE_TEMPERATURE = 0.8  # of a Text or Music sample (the Dinosaur lab samples at 1, as the course does)
SAMPLE_VALUES = 48  # values in a Music sample (at most; a value lasts a sixteenth or more)
SAMPLE_TEMPO = 120.0  # quarter notes a minute, for a Music sample's piano roll


def _arrays(obj: Any) -> list[np.ndarray]:
    """Every numpy array reachable from ``obj`` (attributes, dicts, lists, tuples), each array once."""
    seen: set[int] = set()
    out: list[np.ndarray] = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            out.append(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
        elif hasattr(o, "__dict__"):
            stack.extend(vars(o).values())
    return out


def array_bytes(obj: Any) -> int:
    """Bytes of every numpy array reachable from ``obj``, each array once."""
    return sum(a.nbytes for a in _arrays(obj))


def freeze(model: TokenModel) -> TokenModel:
    """A read-only deep copy of a token model: no array shared with the live trainer, every array unwriteable."""
    frozen = copy.deepcopy(model)
    for a in _arrays(frozen):
        a.flags.writeable = False
    return frozen


@dataclass(frozen=True)
class Snapshot:
    """The weights at one step."""

    step: int  # the trainer's step when it was taken
    model: TokenModel  # read-only sampler of those weights
    nbytes: int  # bytes of its arrays
    itemsize: int  # bytes per weight (8: float64, 4: float32)
    loss: float | None  # the running training loss then (None before any step)


@dataclass
class TimeLapse:
    """The snapshots of one run (see the module docstring)."""

    max_keep: int = MAX_SNAPSHOTS  # most snapshots kept at once
    max_bytes: int = MAX_BYTES  # most bytes kept (fewer snapshots of a large model, at least 2)
    every: int = 1  # steps between kept snapshots (doubles as the run grows)
    snaps: list[Snapshot] = field(default_factory=list)  # oldest first, strictly increasing steps

    def __post_init__(self) -> None:
        if self.max_keep < 2:
            raise ValueError("a time-lapse keeps at least 2 snapshots")

    def __len__(self) -> int:
        return len(self.snaps)

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snaps]

    @property
    def nbytes(self) -> int:
        """Bytes kept now."""
        return sum(s.nbytes for s in self.snaps)

    def per_snapshot_bytes(self) -> int:
        """Bytes of one snapshot (the latest; 0 before the first)."""
        return self.snaps[-1].nbytes if self.snaps else 0

    def capacity(self, each: int | None = None) -> int:
        """How many snapshots of ``each`` bytes (default: the current model's) are kept at most."""
        each = self.per_snapshot_bytes() if each is None else each
        if each <= 0:
            return self.max_keep
        return max(2, min(self.max_keep, self.max_bytes // each))

    def bound_bytes(self) -> int:
        """The most this time-lapse can hold: ``capacity()`` snapshots of the current model's size."""
        return self.capacity() * self.per_snapshot_bytes()

    def next_due(self) -> int | None:
        """The step of the next snapshot (None before the first: it is taken at whatever step the run is)."""
        return self.snaps[-1].step + self.every if self.snaps else None

    def steps_to_due(self, step: int) -> int | None:
        """Steps to train from ``step`` before the next snapshot is due (at least 1; None: no snapshot yet)."""
        due = self.next_due()
        return None if due is None else max(1, due - step)

    def observe(self, trainer: Any) -> bool:
        """Take a snapshot if one is due at the trainer's step (and forget snapshots after it, if it went back).
        Returns whether one was taken."""
        step = int(trainer.step)
        while self.snaps and self.snaps[-1].step > step:  # the trainer rolled back
            self.snaps.pop()
        due = self.next_due()
        if due is not None and step < due:
            return False
        if self.snaps and self.snaps[-1].step == step:
            return False
        if len(self.snaps) >= self.capacity():
            self.snaps = self.snaps[::2]  # every other one, the first included
            self.every *= 2
            if step < self.next_due():
                return False
        model = freeze(trainer.token_model())
        h = getattr(trainer, "history", None)
        loss = h.last_smooth() if h is not None and len(h) else None
        arrays = _arrays(model)
        itemsize = max((a.itemsize for a in arrays), default=8)
        self.snaps.append(
            Snapshot(step, model, sum(a.nbytes for a in arrays), itemsize, None if loss is None else float(loss))
        )
        return True

    def nearest(self, step: int) -> Snapshot | None:
        """The kept snapshot closest to ``step`` (None when there is none)."""
        if not self.snaps:
            return None
        return min(self.snaps, key=lambda s: (abs(s.step - step), s.step))

    def at(self, step: int) -> Snapshot:
        """The snapshot taken at exactly ``step``; KeyError when that step is not kept."""
        for s in self.snaps:
            if s.step == step:
                return s
        raise KeyError(f"no snapshot at step {step:,} (kept: {', '.join(f'{k:,}' for k in self.steps) or 'none'})")

    def spacing(self) -> str:
        """The spacing in words: "every step" or "every 4 steps"."""
        return "every step" if self.every == 1 else f"every {self.every:,} steps"

    def describe_bound(self, params: int) -> str:
        """The memory bound in words, computed from the model: "at most 30 × 10,179 parameters × 8 bytes = 2.4 MB"."""
        each = self.per_snapshot_bytes()
        if not each:
            return f"At most {self.max_keep} snapshots; none is kept yet."
        cap = self.capacity()
        why = (
            ""
            if cap == self.max_keep
            else f" (fewer than {self.max_keep}: a lab keeps at most {self.max_bytes / 2**20:,.0f} MB of them)"
        )
        itemsize = self.snaps[-1].itemsize
        weights = params * itemsize
        extra = each - weights
        dtype = "float64" if itemsize == 8 else "float32"
        tail = f" + {extra / 2**20:,.2f} MB the sampler precomputes" if extra > 0 else ""
        return (
            f"At most {cap} snapshots{why} × {params:,} parameters × {itemsize} bytes ({dtype}){tail} = "
            f"{cap * each / 2**20:,.1f} MB; now {len(self.snaps)} kept, {self.nbytes / 2**20:,.1f} MB."
        )


# ---------------------------------------------------------------------------------------------- samples of a model
@dataclass(frozen=True)
class LabSample:
    """A short sample of one model in one lab, with what the inspector needs."""

    kind: str  # "names" (Dinosaur), "text" or "music"
    items: tuple[str, ...]  # the names; or one text; or the values of a composition
    records: tuple[tuple[StepRecord, ...], ...]  # per name (names) or one sequence (text, music)
    labels: tuple[str, ...]  # a printable label per vocabulary index
    note: str = ""  # a line about it (new names, real words)


def sample_names(
    model: TokenModel, chars: Sequence[str], n: int, seed: int, temperature: float = 1.0
) -> list[tuple[str, list[StepRecord]]]:
    """n names from ``model`` as the course samples them: from the zero vector until '\\n' (or 50 characters)."""
    from core.models.numpy_rnn import MAX_SAMPLE_LENGTH

    nl = list(chars).index("\n")
    rng = np.random.default_rng(int(seed))
    out = []
    for _ in range(int(n)):
        recs = generate(model, MAX_SAMPLE_LENGTH, temperature=temperature, rng=rng, first_input=None, stop_token=nl)
        out.append(("".join(chars[r.picked] for r in recs).rstrip("\n"), recs))
    return out
