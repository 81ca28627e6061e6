"""The Dinosaur lab's trainer: the course's training loop, cut into bounded slices for a live page.

The course trains in one long loop: shuffle the names, then for iteration j take name j % N, build
X = [None] + indices, Y = X[1:] + ['\\n'], call optimize(), carry the last hidden state over to the next
name, keep a smoothed loss (0.999 * loss + 0.001 * current) and print samples every so often.
``DinoTrainer.train_steps(n)`` runs n of those iterations and returns, so a page can redraw in between; it
implements the shared trainer interface (core.trainer), where a step is one name.

Simplified on purpose: names are lower-cased and stripped; any character that sorts before '\\n'
(control characters) is dropped so that '\\n' keeps index 0 of ``chars = sorted(set(text))``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from core import numpy_rnn as nr
from core.text_data import char_label
from core.trainer import History, Stop, StopKind, TrainReport

MAX_HIDDEN = 512  # the page's hidden-size ceiling (one name per step stays fast below this)
MAX_NAME_LENGTH = 60  # longer lines are cut when names are loaded


@dataclass(frozen=True)
class DinoConfig:
    n_a: int = 50  # hidden units (n_a); changing it means a new model
    learning_rate: float = 0.01  # SGD step size, as in the course
    iterations: int = 30000  # names to train on before the run stops by itself
    seed: int = 0  # seeds the weights, the name order and the samples
    sample_every: int = 1000  # show a fresh batch of samples every this many names
    samples_per_batch: int = 7  # names in each fresh batch, as in the course
    clip_value: float = 5.0  # element-wise gradient clip (the course's 5)


def clean_names(text: str) -> list[str]:
    """One name per line: lower-case, stripped, blank lines and control characters dropped."""
    names = []
    for line in text.splitlines():
        name = "".join(ch for ch in line.strip().lower() if ch >= " " and ch.isprintable())
        if name:
            names.append(name[:MAX_NAME_LENGTH])
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
        self._good = copy.deepcopy(self.parameters)

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
        n = max(0, min(int(n), self.config.iterations - self.step))
        if self._finite():
            self._good = copy.deepcopy(self.parameters)  # the weights to fall back to if this slice diverges
        for _ in range(n):
            X, Y = self.example(self.step)
            loss, _, a_last = nr.optimize(X, Y, self.a_prev, self.parameters, self.learning_rate, self.config.clip_value)
            if not np.isfinite(loss) or not self._finite():
                self.parameters = copy.deepcopy(self._good)
                self.a_prev = np.zeros_like(self.a_prev)
                report.stop = Stop(
                    StopKind.DIVERGED,
                    f"The loss became {loss} at name {self.step + 1:,}: training stopped and the weights from before "
                    "this slice were kept. Try a smaller learning rate.",
                )
                return report
            self.a_prev = a_last
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

    def evaluate(self) -> None:
        """No validation split in this lab (as in the course): every name is trained on."""
        return None

    def param_count(self) -> int:
        return int(sum(p.size for p in self.parameters.values()))

    def _finite(self) -> bool:
        return all(np.all(np.isfinite(p)) for p in self.parameters.values())

    # --- sampling -------------------------------------------------------------------------------
    def token_model(self) -> nr.NumpyCharRNN:
        """The current weights as a core.sampling.TokenModel (shared, not copied: sample between slices)."""
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
