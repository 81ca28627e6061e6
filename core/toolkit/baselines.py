"""Baselines for the loss charts: what a model that knows no more than letter counts would score.

Each baseline is a cross-entropy on the held-out (validation) part, with probabilities counted on the training
part, in the lab's own unit, so a student can see whether the network has learned more than counting:

- **uniform**: every token equally likely, ln V nats per token (V = vocabulary size);
- **unigram**: P(w) from token counts;
- **bigram**: P(w | previous token);
- **trigram** (Text lab): P(w | two previous tokens).

Smoothing: add-k (k = ``ADD_K``, Laplace's add-one): P(w | h) = (c(h, w) + k) / (c(h) + k·V), so a pair never
seen in training still gets a small probability (a cross-entropy is infinite as soon as one held-out token
gets probability 0). With add-one, sparse contexts are pushed hard towards uniform: on a tiny corpus the bigram
line can sit above the unigram line. That is the point of showing the smoothing on the page.

Targets: in every sequence, the tokens from position ``skip`` on are predicted, each from the ``order - 1``
tokens before it; every model of one chart predicts the same targets (``skip`` = the largest order − 1), so
the lines are comparable. Counts are taken over the same positions of the training sequences.

What each lab holds out (its ``held_out()``, core.labs):
- **Text**: the last 10% of the text (the validation part), counted on the first 90%; nats per character.
- **Music**: the held-out pieces, counted on the training pieces; nats per value (the course's model: over its
  capped vocabulary). A corpus of fewer than 5 pieces holds none out: the baselines are then measured on the
  training pieces themselves (said on the page).
- **Dinosaur**: the course trains on every name, so there is no validation part. For the baselines only, every
  10th name is held out and the counts come from the other 90%. The course's loss is per *name* (summed over
  the name's characters and its final newline), so each baseline is converted to that unit: its total
  cross-entropy over the held-out names divided by the number of names. A name starts after a newline (the
  context of its first character).

Simplified on purpose: no back-off or interpolation (add-k only), and V is the lab's vocabulary (every held-out
token is in it, so no unknown-token handling is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from core import charts, palette
from core.labs.dino_lab import held_out_names
from core.labs.dino_lab import split_names as dino_split  # noqa: F401 (which names the Dinosaur lab holds out)
from core.labs.lab import HeldOut
from core.labs.music_lab import held_out_pieces
from core.labs.text_lab import held_out_text

ADD_K = 1.0  # add-k smoothing constant (1 = Laplace's add-one)
NAMES = {1: "unigram", 2: "bigram", 3: "trigram"}
COLORS = palette.BASELINES  # dark: labels sit on the lines


def ref_line(name: str, y: float) -> charts.RefLine:
    """The chart line of baseline ``name`` at ``y`` (in the chart's unit), labelled with its value; each baseline has
    its own colour and dash style."""
    return charts.RefLine(
        f"{name} {y:.2f}", y, COLORS.get(name, palette.MUTED), palette.BASELINE_DASHES.get(name, "dash")
    )


@dataclass(frozen=True)
class Baseline:
    """One horizontal line of a loss chart."""

    name: str  # "uniform", "unigram", "bigram", "trigram"
    value: float  # cross-entropy on the held-out part, in the lab's unit (nats per token, or per name)


@dataclass(frozen=True)
class Baselines:
    """The baselines of one corpus, with the words the page shows under the chart."""

    lines: tuple[Baseline, ...]  # uniform first, then by order
    unit: str  # "character", "value" or "name": the value is in nats per this
    held_out: str  # what the cross-entropy is measured on
    counted_on: str  # what the counts come from
    smoothing: str  # how unseen pairs get a probability

    def describe(self) -> str:
        """One paragraph for under the chart."""
        return (
            "Dashed and dotted lines (one style each): cross-entropy of simple counting models on "
            f"{self.held_out}, with counts from {self.counted_on}; "
            f"{self.smoothing}. Below a line, the network predicts better than that counting model."
        )


# ---------------------------------------------------------------------------------------------- counting
def _keys(seq: np.ndarray, order: int, skip: int, V: int) -> np.ndarray:
    """int64 (n_targets,): the n-gram (context..., target) of every target position t >= skip, as one number
    sum_j seq[t - order + 1 + j] * V**(order - 1 - j)."""
    seq = np.asarray(seq, dtype=np.int64)
    n = len(seq) - skip  # targets in this sequence
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    for j in range(order):  # the token at offset j of the n-gram, for every target
        start = skip - order + 1 + j
        key = key * V + seq[start : start + n]
    return key


def _lookup(train_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """How often each query key occurs among ``train_keys`` (int64, same shape as query)."""
    keys, counts = np.unique(train_keys, return_counts=True)  # sorted distinct keys and their counts
    if keys.size == 0:
        return np.zeros(query.shape, dtype=np.int64)
    i = np.minimum(np.searchsorted(keys, query), keys.size - 1)
    return np.where(keys[i] == query, counts[i], 0)


def ngram_nats(
    train: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    order: int,
    V: int,
    *,
    skip: int | None = None,
    k: float = ADD_K,
) -> tuple[float, int]:
    """(total nats, number of targets) of an add-k n-gram model counted on ``train``, on ``test``.

    train, test: sequences of token ids (each an int array, 0 <= id < V); order: 1 (unigram), 2 (bigram), 3…;
    skip: the first target position in every sequence (>= order - 1; default order - 1).
    P(w | h) = (c(h, w) + k) / (c(h) + k·V), where c(h) counts the training targets that follow context h.
    """
    skip = order - 1 if skip is None else int(skip)
    if skip < order - 1:
        raise ValueError("skip must be at least order - 1 (every target needs its whole context)")
    if order < 1 or V < 1 or V**order >= 2**62:
        raise ValueError("order and vocabulary too large for int64 keys")
    train_keys = np.concatenate([_keys(s, order, skip, V) for s in train] or [np.zeros(0, np.int64)])
    test_keys = np.concatenate([_keys(s, order, skip, V) for s in test] or [np.zeros(0, np.int64)])
    if test_keys.size == 0:
        return 0.0, 0
    c_hw = _lookup(train_keys, test_keys)  # c(h, w) of every test n-gram
    c_h = _lookup(train_keys // V, test_keys // V)  # c(h): training targets after the same context (order 1: all)
    p = (c_hw + k) / (c_h + k * V)
    return float(-np.log(p).sum()), int(test_keys.size)


def baselines(
    train: Sequence[np.ndarray],
    test: Sequence[np.ndarray],
    V: int,
    orders: Sequence[int],
    *,
    per: str = "token",
    k: float = ADD_K,
) -> list[Baseline]:
    """Uniform and add-k n-gram baselines on ``test`` (all predicting the targets from position max(orders) − 1).

    per "token": nats per target token; per "sequence": total nats divided by the number of test sequences
    (the Dinosaur lab's loss per name).
    """
    skip = max(orders) - 1
    n_seq = sum(1 for s in test if len(s) > skip)
    out = []
    n_targets = sum(max(0, len(s) - skip) for s in test)
    if n_targets == 0:
        return out
    denom = n_targets if per == "token" else n_seq
    out.append(Baseline("uniform", n_targets * float(np.log(V)) / denom))
    for o in orders:
        total, n = ngram_nats(train, test, o, V, skip=skip, k=k)
        out.append(Baseline(NAMES.get(o, f"{o}-gram"), total / denom))
    return out


def smoothing_text(k: float = ADD_K) -> str:
    return "add-one (Laplace) smoothing" if k == 1 else f"add-k smoothing with k = {k:g}"


# ---------------------------------------------------------------------------------------------- per lab
def from_held_out(h: HeldOut) -> Baselines:
    """The baselines of a lab's held-out sequences (core.labs.lab.HeldOut), with its words."""
    lines = baselines(h.counted, h.held, h.vocab_size, h.orders, per=h.per)
    return Baselines(tuple(lines), h.unit, h.held_text, h.counted_text, smoothing_text() + h.note)


def for_text(corpus) -> Baselines:
    """Text lab: a core.text.text_data.TextCorpus (validation = its last 10%); uniform, unigram, bigram, trigram."""
    return from_held_out(held_out_text(corpus))


def for_music(corpus, lookup: np.ndarray | None = None) -> Baselines:
    """Music lab: a core.music.music_data.MusicCorpus; ``lookup`` maps full ids to the course model's capped ids."""
    return from_held_out(held_out_pieces(corpus, lookup))


def for_dino(names: Sequence[str], char_to_ix: dict[str, int]) -> Baselines:
    """Dinosaur lab: every 10th name held out; values in nats per name (like the course's loss)."""
    return from_held_out(held_out_names(names, char_to_ix))


def lab_corpus_key(lab: Any) -> Any:
    """What the baselines of ``lab`` depend on (None: no baselines now); equal keys give equal baselines."""
    return lab.held_out_key()


def for_lab(lab: Any) -> Baselines | None:
    """The baselines of a lab's current corpus (None when it has none: no run, or a model that can only sample)."""
    held = lab.held_out() if lab.held_out_key() is not None else None
    return None if held is None else from_held_out(held)
