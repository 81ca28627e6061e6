"""Text corpora for the Text lab: characters -> ids, a train/validation split, batches of windows.

``TextCorpus(text)`` builds the vocabulary ``chars = sorted(set(text))`` (or uses a given one, e.g. the
vocabulary of an uploaded model), encodes the whole text to int32 ids and splits it: the last 10% is the
validation text, never trained on. ``sample_batch`` draws random windows from the training part
(many-to-many: y is x shifted by one character); ``val_batches`` gives fixed, evenly spaced windows from
the validation part, so successive evaluations are comparable.

Model files (model.keras + vocab.json in a zip) are read and written by core.files.model_zip.

Simplifications on purpose: one character = one token; windows may overlap; validation windows are a
bounded, evenly spaced subset of the validation text rather than all of it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence

import numpy as np

from core.text.lexicon import Lexicon

MIN_CHARS = 1_000  # shorter texts are refused: nothing to learn and no room for a validation split
MAX_VOCAB = (
    1_000  # distinct characters; more is almost surely not a plain text (or a CJK text too big for a char RNN here)
)
VAL_FRACTION = 0.10  # the last 10% of the text is validation


class CorpusError(ValueError):
    """A user-facing reason why a text can't be used for training."""


def char_label(ch: str) -> str:
    """A printable label for one character: '\\n' -> '⏎', ' ' -> '␣', '\\t' -> '⇥', other controls -> U+XXXX."""
    special = {"\n": "⏎", " ": "␣", "\t": "⇥"}
    if ch in special:
        return special[ch]
    if not ch.isprintable():
        return f"U+{ord(ch):04X}"
    return ch


@dataclass(frozen=True)
class CorpusStats:
    """Counts shown before training."""

    n_chars: int  # characters in the whole text
    vocab_size: int  # distinct characters
    n_train: int  # characters in the training part (first 90%)
    n_val: int  # characters in the validation part (last 10%)
    n_lines: int  # lines of text
    most_common: list[tuple[str, int]] = field(default_factory=list)  # (char, count), most frequent first


class TextCorpus:
    """A text as int32 ids with its vocabulary and a train/validation split. Read-only after construction."""

    def __init__(
        self, text: str, chars: Sequence[str] | None = None, *, min_chars: int = MIN_CHARS, max_vocab: int = MAX_VOCAB
    ):
        if len(text) < min_chars:
            raise CorpusError(
                f"The text has {len(text):,} characters; at least {min_chars:,} are needed to learn anything "
                f"(and to keep the last 10% for validation)."
            )
        present = sorted(set(text))
        if chars is None:
            chars = present
        else:
            chars = list(chars)
            missing = sorted(set(present) - set(chars))
            if missing:
                shown = " ".join(repr(c) for c in missing[:20])
                raise CorpusError(f"The text has {len(missing)} characters the model's vocabulary lacks: {shown}")
        if len(chars) > max_vocab:
            raise CorpusError(
                f"The text has {len(chars):,} distinct characters; this lab handles at most {max_vocab:,}. "
                "Is it really plain text in one language?"
            )
        if len(chars) < 2:
            raise CorpusError("The text uses a single character; there is nothing to predict.")
        self.text = text  # the whole text
        self.chars: list[str] = list(chars)  # index -> character, sorted
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.chars)}  # character -> index
        self.itos: dict[int, str] = dict(enumerate(self.chars))  # index -> character
        self.ids = self.encode(text)  # (n_chars,) int32
        n_val = max(int(round(len(self.ids) * VAL_FRACTION)), 2)
        self.train_ids = self.ids[:-n_val]  # (n_train,) int32, first 90%
        self.val_ids = self.ids[-n_val:]  # (n_val,) int32, last 10%

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @cached_property
    def lexicon(self) -> Lexicon:
        """The text's words and speaker names (built on first use, ~0.2 s for 1 MB), to check samples against."""
        return Lexicon(self.text)

    @cached_property
    def has_blank_lines(self) -> bool:
        """Whether the text separates paragraphs (in the plays: speeches) by blank lines."""
        return "\n\n" in self.text

    @property
    def labels(self) -> list[str]:
        """Printable label per index, for charts and the inspector."""
        return [char_label(c) for c in self.chars]

    @property
    def max_seq_len(self) -> int:
        """The longest training window that fits in the training part (and one validation window)."""
        return max(1, min(len(self.train_ids), len(self.val_ids)) - 1)

    def encode(self, s: str) -> np.ndarray:
        """str -> (len(s),) int32 ids; raises CorpusError naming characters outside the vocabulary."""
        try:
            return np.fromiter((self.stoi[c] for c in s), dtype=np.int32, count=len(s))
        except KeyError:
            bad = self.unknown_chars(s)
            raise CorpusError("Not in the vocabulary: " + " ".join(repr(c) for c in bad[:20])) from None

    def unknown_chars(self, s: str) -> list[str]:
        """Characters of s that the vocabulary lacks (sorted, distinct)."""
        return sorted(set(s) - set(self.stoi))

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def stats(self, top: int = 10) -> CorpusStats:
        counts = Counter(self.text)
        return CorpusStats(
            n_chars=len(self.text),
            vocab_size=self.vocab_size,
            n_train=len(self.train_ids),
            n_val=len(self.val_ids),
            n_lines=self.text.count("\n") + (0 if self.text.endswith("\n") else 1),
            most_common=counts.most_common(top),
        )

    def check_seq_len(self, seq_len: int) -> None:
        if seq_len < 1 or seq_len > self.max_seq_len:
            raise CorpusError(
                f"Sequence length {seq_len} doesn't fit: the training text allows windows of at most "
                f"{self.max_seq_len} characters."
            )

    def sample_batch(self, rng: np.random.Generator, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Random windows from the training part: x, y int32 (batch_size, seq_len), y[:, t] = x[:, t + 1]."""
        self.check_seq_len(seq_len)
        windows = np.lib.stride_tricks.sliding_window_view(self.train_ids, seq_len + 1)  # (n_windows, seq_len + 1) view
        starts = rng.integers(0, windows.shape[0], size=batch_size)
        w = windows[starts]  # (batch_size, seq_len + 1) copy
        return np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:])

    def val_batches(
        self, max_batches: int = 4, batch_size: int = 32, seq_len: int = 100
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fixed windows from the validation part, evenly spaced, non-overlapping when it is long enough.

        At most ``max_batches`` batches of (batch_size, L) with L = min(seq_len, len(val) - 1).
        """
        L = max(1, min(seq_len, len(self.val_ids) - 1))
        n_possible = len(self.val_ids) - L  # number of valid start positions
        n = min(max_batches * batch_size, max(1, (len(self.val_ids) - 1) // L))
        starts = np.linspace(0, n_possible - 1, n).astype(np.int64) if n > 1 else np.zeros(1, dtype=np.int64)
        windows = np.stack([self.val_ids[s : s + L + 1] for s in starts])  # (n, L + 1)
        return [(windows[i : i + batch_size, :-1], windows[i : i + batch_size, 1:]) for i in range(0, n, batch_size)]

    def val_window_sets(
        self, n_sets: int, n_windows: int, seq_len: int = 100, batch_size: int = 64
    ) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """Disjoint sets of ``n_windows`` non-overlapping validation windows each (set k takes every m-th window
        from window k, m = the number of sets that fit, at most ``n_sets``), each as batches of (batch_size, L):
        how much a validation estimate of that size depends on which windows it reads (its noise)."""
        L = max(1, min(seq_len, len(self.val_ids) - 1))
        total = (len(self.val_ids) - 1) // L  # non-overlapping windows in the validation text
        m = max(1, min(int(n_sets), total // max(1, int(n_windows))))
        sets = []
        for k in range(m):
            starts = (np.arange(k, total, m)[: int(n_windows)] * L).astype(np.int64)
            w = np.stack([self.val_ids[s : s + L + 1] for s in starts])  # (n_windows, L + 1)
            sets.append([(w[i : i + batch_size, :-1], w[i : i + batch_size, 1:]) for i in range(0, len(w), batch_size)])
        return sets
