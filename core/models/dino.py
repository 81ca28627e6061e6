"""The Dinosaur lab's trainer: the course's training loop, cut into bounded slices for a live page.

The course trains in one long loop: shuffle the names, then for iteration j take name j % N, build
X = [None] + indices, Y = X[1:] + ['\\n'], call optimize(), carry the last hidden state over to the next
name, keep a smoothed loss (0.999 * loss + 0.001 * current) and print samples every so often.
``DinoTrainer.train_steps(n)`` runs n of those iterations and returns, so a page can redraw in between; it
implements the shared trainer interface (core.models.trainer), where a step is one name.

As in the course, the hidden state is carried from one name to the next: the last a<t> of a name is the a<0>
of the next one (``a_prev``), so only the very first name starts from zeros. Sampling always starts from zeros.

The guard (not in the course) stops a run that a student would call exploded: a loss that is NaN or infinite,
or a loss per letter that, averaged over the last ``EXPLODE_WINDOW`` names, is more than ``EXPLODE_RATIO`` times
what a blind uniform guess would lose (one bad name is not an explosion; a run that stays far worse than guessing
is). It stops with ``StopKind.DIVERGED`` and puts back the last weights known to be sane: those at the start of a
``train_steps`` call whose first name lost at most ``SANE_RATIO`` times a uniform guess (one copy per call, not
per name). The numpy RNN rarely reaches NaN: its softmax is shifted and its loss floored, so an exploding model
shows up as an enormous loss first.

For the page's look inside, the last name of every ``train_steps`` call, and the name at which training
exploded, keep their backward pass (``last_trace``: numpy_rnn.BPTTTrace), computed with the weights that name
was trained with.

Simplified on purpose: names are lower-cased and stripped; any character that sorts before '\\n'
(control characters) is dropped so that '\\n' keeps index 0 of ``chars = sorted(set(text))``.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from core.models import numpy_rnn as nr
from core.models.trainer import History, Stop, StopKind, TrainReport
from core.text.text_data import char_label

MAX_HIDDEN = 512  # the page's hidden-size ceiling (one name per step stays fast below this)
MAX_NAME_LENGTH = 60  # longer lines are cut when names are loaded
GRAD_LOG = 2000  # traced names whose gradient norms are kept for the chart (one per train_steps call)
EXPLODE_WINDOW = 100  # names the guard averages the loss over
EXPLODE_RATIO = 2.0  # exploded: the loss over the last EXPLODE_WINDOW names averages above this many blind guesses
SANE_RATIO = 1.5  # weights whose first name loses at most this many blind guesses become the guard's fallback


@dataclass(frozen=True)
class DinoConfig:
    n_a: int = 50  # hidden units (n_a); changing it means a new model
    learning_rate: float = 0.01  # SGD step size, as in the course
    iterations: int = 30000  # names to train on before the run stops by itself
    seed: int = 0  # seeds the weights, the name order and the samples
    sample_every: int = 1000  # show a fresh batch of samples every this many names
    samples_per_batch: int = 7  # names in each fresh batch, as in the course
    clip_value: float | None = 5.0  # element-wise gradient clip (the course's 5); None: no clipping

    def problem(self) -> str | None:
        """Why these settings can't train, in a student's words; None when they can."""
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            return f"The learning rate must be a positive number (got {self.learning_rate})."
        if self.clip_value is not None and not (np.isfinite(self.clip_value) and self.clip_value > 0):
            return (
                f"The clip value must be a positive number (got {self.clip_value}); turn clipping off instead of "
                "clipping at 0."
            )
        if self.n_a < 1 or self.n_a > MAX_HIDDEN:
            return f"The hidden size must be between 1 and {MAX_HIDDEN} (got {self.n_a})."
        return None


def clean_names(text: str) -> list[str]:
    """One name per line: lower-case, control characters dropped, stripped (after dropping them, and again after
    the cut at MAX_NAME_LENGTH), blank lines skipped. Cleaning the cleaned names one per line changes nothing (the
    exported program reads its copy of the list back with strip and lower: core.files.get_code.dino)."""
    names = []
    for line in text.splitlines():
        name = "".join(ch for ch in line.lower() if ch >= " " and ch.isprintable()).strip()[:MAX_NAME_LENGTH].rstrip()
        if name:
            names.append(name)
    return names


def load_names(path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return clean_names(f.read())


class DinoTrainer:
    """Owns one model, its data order and its loss history; advances a bounded number of names at a time.

    ``history.train`` holds the loss of every name ("loss") and the course's smoothed loss ("smooth").
    """

    def __init__(self, names: list[str], config: DinoConfig = DinoConfig()):
        if not names:
            raise ValueError("the name list is empty")
        self.config = config
        self.names = list(names)
        self.name_set = set(self.names)
        text = "\n".join(self.names) + "\n"
        self.chars = sorted(set(text))  # '\n' first: every other kept character sorts after it
        self.char_to_ix = {ch: i for i, ch in enumerate(self.chars)}
        self.ix_to_char = {i: ch for i, ch in enumerate(self.chars)}
        vocab_size = len(self.chars)
        self._log_vocab = math.log(vocab_size)  # a blind uniform guess loses this many nats per character
        self._flat: np.ndarray | None = None  # the vector the weights are views of (``_own_weights``)
        self.parameters = nr.initialize_parameters(config.n_a, vocab_size, vocab_size, seed=config.seed)
        self.learning_rate = config.learning_rate  # may be changed between slices
        rng = np.random.default_rng(config.seed)
        self.order = rng.permutation(len(self.names))  # the course shuffles once
        self.sample_rng = np.random.default_rng(config.seed + 1)
        self.a_prev = np.zeros((config.n_a, 1))
        self.step = 0  # names trained on (the course's iteration count)
        # the course starts the smoothed loss at the loss of a uniform guess over ~7 characters
        self.smooth_loss = -np.log(1.0 / vocab_size) * 7
        self.history = History()
        self.sample_batches: list[tuple[int, list[str]]] = []  # (iteration, names) shown during training
        self._good = copy.deepcopy(self.parameters)  # the last weights whose loss was sane (the guard's fallback)
        self._good_step = 0  # the names they had been trained on
        self.last_trace: nr.BPTTTrace | None = None  # the backward pass of the latest traced name (see the module doc)
        self.last_trace_at = 0  # the iteration (1-based) that name was trained at
        self.last_trace_exploded = False  # whether that name is the one the guard stopped at
        self.explosions = 0  # how many times the guard stopped this run
        self.recent = deque(maxlen=EXPLODE_WINDOW)  # loss / a uniform guess's loss of the latest names (the guard)
        # (iteration, ||gradient|| before clipping, after, entries clipped, exploded) of every traced name, bounded
        self.grad_log: list[tuple[int, float, float, int, bool]] = []

    def resume(
        self, parameters: dict, a_prev: np.ndarray | None, step: int, smooth_loss: float | None, history: History | None
    ) -> None:
        """Continue a saved run: its weights, carried state, step, smoothed loss and history; the guard falls back to
        these weights, and a batch of names sampled from them is shown at once."""
        self.parameters = parameters
        self.a_prev = a_prev if a_prev is not None else np.zeros((self.config.n_a, 1))
        self.step = int(step)
        if smooth_loss is not None:
            self.smooth_loss = smooth_loss
        if history is not None:
            self.history = history
        self._good, self._good_step = copy.deepcopy(parameters), self.step
        self.recent.clear()
        batch = self.sample_names(self.config.samples_per_batch, 1.0, self.sample_rng)
        self.sample_batches = [(self.step, [n for n, _ in batch])]

    # --- data -----------------------------------------------------------------------------------
    def example(self, j: int) -> tuple[list, list]:
        """X, Y for iteration j, as in the course."""
        name = self.names[self.order[j % len(self.names)]]
        X = [None] + [self.char_to_ix[ch] for ch in name]
        Y = X[1:] + [self.char_to_ix["\n"]]
        return X, Y

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @property
    def done(self) -> bool:
        return self.step >= self.config.iterations

    # --- training -------------------------------------------------------------------------------
    def train_steps(self, n: int) -> TrainReport:
        """Train on up to n names (fewer if the iteration budget ends); never more."""
        report = TrainReport()
        problem = self.config.problem()
        if problem:
            report.stop = Stop(StopKind.FAILED, problem)
            return report
        n = max(0, min(int(n), self.config.iterations - self.step))
        start = self.step
        self._own_weights()
        P, clip_value, lr = self.parameters, self.config.clip_value, self.learning_rate
        with np.errstate(all="ignore"):  # an overflow is the guard's to report (NaN or inf), not a warning's
            candidate = copy.deepcopy(P) if self._finite() else None  # becomes the fallback once its loss is sane
            for i in range(n):
                X, Y = self.example(self.step)
                if i < n - 1:  # the course's optimize(), unchanged
                    loss, cache = nr.rnn_forward(X, Y, self.a_prev, P)
                    if self._exploded(loss, len(Y)):  # keep this name's backward pass on the weights that exploded
                        return self._diverged(report, X, Y, loss, nr.bptt_trace(X, Y, self.a_prev, P, clip_value)[0])
                    gradients, a = nr.rnn_backward(X, Y, P, cache)
                    nr.clip(gradients, clip_value)
                    a_last = a[len(X) - 1]
                else:  # the last name of the call: the same numbers, with every step of the backward pass kept
                    trace, gradients, a_last = nr.bptt_trace(X, Y, self.a_prev, P, clip_value)
                    loss = trace.loss
                    if self._exploded(loss, len(Y)):
                        return self._diverged(report, X, Y, loss, trace)
                    self._keep_trace(trace, self.step + 1)
                if i == 0 and candidate is not None and self.recent[-1] <= SANE_RATIO:  # sane weights: the new fallback
                    self._good, self._good_step = candidate, start
                nr.update_parameters(P, gradients, lr)  # in place: into the vector ``_finite`` sums
                if not self._finite():
                    return self._diverged(report, X, Y, float("nan"))
                self.a_prev = a_last  # carried to the next name, as in the course
                self.step += 1
                self.smooth_loss = self.smooth_loss * 0.999 + loss * 0.001
                self.history.record(self.step, loss, self.smooth_loss)
                report.losses.append(loss)
                if self.step % self.config.sample_every == 0:
                    batch = self.sample_names(self.config.samples_per_batch, 1.0, self.sample_rng)
                    self.sample_batches.append((self.step, [name for name, _ in batch]))
                    self.sample_batches = self.sample_batches[-20:]  # bounded
        if self.done:
            report.stop = Stop(StopKind.FINISHED, f"Finished: {self.step:,} names trained.")
        return report

    def uniform_loss(self, n_steps: int) -> float:
        """The loss of a uniform guess over the vocabulary on a name of ``n_steps`` characters (with its newline)."""
        return n_steps * self._log_vocab

    def _exploded(self, loss: float, n_steps: int) -> bool:
        """Count this name's loss in the guard's window; True when the run has exploded (see the module doc)."""
        if not math.isfinite(loss):
            return True
        self.recent.append(loss / max(self.uniform_loss(n_steps), 1e-9))
        return len(self.recent) == EXPLODE_WINDOW and self.window_ratio() > EXPLODE_RATIO

    def window_ratio(self) -> float:
        """The loss of the latest names (at most EXPLODE_WINDOW) over what a uniform guess loses on them, averaged."""
        return sum(self.recent) / len(self.recent) if self.recent else 0.0  # (np.mean of a deque: ~10 µs a name)

    def _keep_trace(self, trace: nr.BPTTTrace, iteration: int, exploded: bool = False) -> None:
        self.last_trace = trace
        self.last_trace_at = iteration
        self.last_trace_exploded = exploded
        before = float(np.sqrt(sum(v * v for v in trace.grad_norm.values())))  # ||all gradients|| as one vector
        after = float(np.sqrt(sum(v * v for v in trace.clipped_norm.values())))
        self.grad_log.append((iteration, before, after, trace.total_clipped, exploded))
        del self.grad_log[:-GRAD_LOG]

    def _diverged(
        self, report: TrainReport, X: list, Y: list, loss: float, trace: nr.BPTTTrace | None = None
    ) -> TrainReport:
        """Put the last good weights back, keep the exploding name's backward pass, and say what happened."""
        name = self.decode(i for i in X[1:])
        self.parameters = copy.deepcopy(self._good)
        self.a_prev = np.zeros_like(self.a_prev)
        if trace is not None:
            self._keep_trace(trace, self.step + 1, exploded=True)
        self.explosions += 1
        where = f"name {self.step + 1:,} (“{name}”)"
        if np.isfinite(loss):
            what = (
                f"The loss exploded at {where}: over the last {EXPLODE_WINDOW} names the model lost "
                f"{self.window_ratio():,.1f} times what a blind uniform guess would."
            )
        else:
            what = f"The numbers overflowed at {where}: the loss or the weights stopped being numbers."
        rule = (
            f"(The guard stops a run when a loss is not a number, or when the loss over {EXPLODE_WINDOW} names in a "
            f"row averages more than {EXPLODE_RATIO:g} times a blind guess's.)"
        )
        fix = (
            "Turn gradient clipping on with a small clip value, or pick a smaller learning rate."
            if self.config.clip_value is None
            else "Pick a smaller learning rate or a smaller clip value."
        )
        kept = self._good_step
        back = "the weights it had after name {:,}".format(kept) if kept else "the weights this run started from"
        report.stop = Stop(StopKind.DIVERGED, f"{what} The guard stopped training and put back {back}. {fix} {rule}")
        self.recent.clear()  # the weights put back start a fresh window
        return report

    def name_example(self, name: str) -> tuple[list, list]:
        """X, Y for a name the student typed (cleaned like the list); ValueError with the reason when it can't be
        used."""
        cleaned = clean_names(name)
        if not cleaned:
            raise ValueError("Type a name to follow through the backward pass.")
        unknown = sorted(set(cleaned[0]) - set(self.chars))
        if unknown:
            raise ValueError(
                "The model has never seen "
                + ", ".join(f"“{c}”" for c in unknown)
                + ": use only characters from the name list."
            )
        X = [None] + [self.char_to_ix[ch] for ch in cleaned[0]]
        return X, X[1:] + [self.char_to_ix["\n"]]

    def trace_name(self, name: str) -> nr.BPTTTrace:
        """The backward pass of ``name`` on the current weights, from a<0> = 0, with the current clip (nothing is
        updated)."""
        X, Y = self.name_example(name)
        return nr.bptt_trace(X, Y, np.zeros_like(self.a_prev), self.parameters, self.config.clip_value)[0]

    def evaluate(self) -> None:
        """No validation split in this lab (as in the course): every name is trained on."""
        return None

    def param_count(self) -> int:
        return int(sum(p.size for p in self.parameters.values()))

    def _own_weights(self) -> None:
        """Make the weights views of one vector (``_flat``), unless they are already; the values stay the same.

        Then one sum checks them all after every name (``_finite``: ~1.5 µs at the defaults, against ~5 µs for a sum
        per array). Weights set from outside (a resumed run, the guard's fallback, a copy) are taken over here at the
        start of every ``train_steps`` call; the updates in between are in place, so they stay views.
        """
        P, flat = self.parameters, self._flat
        if flat is not None and all(P[k].base is flat for k in nr.PARAM_NAMES):
            return
        flat = np.concatenate([np.ravel(P[k]) for k in nr.PARAM_NAMES])  # (n_a*n_x + n_a*n_a + n_y*n_a + n_a + n_y,)
        i = 0
        for k in nr.PARAM_NAMES:  # the same dict: whoever holds it (a live model) sees the training
            P[k], i = flat[i : i + P[k].size].reshape(P[k].shape), i + P[k].size
        self._flat = flat

    def _finite(self) -> bool:
        """Whether every weight is finite (after ``_own_weights``): a NaN or inf anywhere makes the sum one (checked
        after every name, so one sum instead of a mask; a finite sum past 1e308 counts as exploded, which it is)."""
        return math.isfinite(np.add.reduce(self._flat))

    # --- sampling -------------------------------------------------------------------------------
    def token_model(self) -> nr.NumpyCharRNN:
        """The current weights as a core.models.sampling.TokenModel (shared, not copied: sample between slices)."""
        return nr.NumpyCharRNN(self.parameters)

    def decode(self, indices) -> str:
        return "".join(self.ix_to_char[i] for i in indices)

    def sample_names(self, k: int, temperature: float, rng: np.random.Generator):
        """k sampled names with their traces: [(name, records)]; the name excludes the final '\\n'."""
        out = []
        for _ in range(max(0, int(k))):
            records = nr.sample_trace(self.parameters, self.char_to_ix, temperature, rng)
            name = self.decode(r.picked for r in records).rstrip("\n")
            out.append((name, records))
        return out

    def is_new(self, name: str) -> bool:
        return name not in self.name_set

    @property
    def labels(self) -> list[str]:
        """Printable labels for the vocabulary (for charts)."""
        return [char_label(c) for c in self.chars]
