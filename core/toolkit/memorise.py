"""The memorisation meter: the longest stretch of a sample found verbatim in the training data, and where.

A model that memorises its training data writes long stretches copied from it; a model that learned the
patterns writes new text with short common pieces ("the ", "saurus"). The meter finds, for a sample, the
longest run of consecutive tokens that occurs somewhere in the training data, and says where it comes from:

- **names** (Dinosaur lab): characters, in one name of the list (the network trains on every name);
- **text** (Text lab): characters, in the training part of the text (the first 90%), with its line number;
- **music** (Music lab): values, in one training piece: core.music.music_score.CopyIndex (a suffix automaton the
  scorecard already builds) is reused.

``CharIndex`` is a suffix array over the training characters, built once per corpus by prefix doubling in
numpy (O(n log² n) with numpy sorts; about a second for the 1 MB Shakespeare text). A query is scanned once,
left to right, computing its *matching statistics*: the interval of suffixes that start with the current match
is narrowed one character at a time by binary search (O(log n) per character); when the match can't be
extended, its first character is dropped and the interval of the shorter match is found again by binary search
on slices. Sources (the names, or the text) are joined with a separator character that never matches, so no
stretch crosses from one name into the next.

Simplified on purpose: the first occurrence found is reported (the stretch may occur elsewhere too); ties keep
the earliest stretch of the sample.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence

import numpy as np

SEP = "\x00"  # joins the sources; never matches a query character
MAX_INDEX_CHARS = (
    2_000_000  # a longer training text is searched in its first 2 M characters (index build: ~70 MB per M)
)


def suffix_array(codes: np.ndarray) -> np.ndarray:
    """Suffix array of an int sequence (n,): the start positions of its suffixes in lexicographic order, int32 (n,).

    Prefix doubling: after the round with offset k, ``rank[i]`` orders the suffixes by their first 2k tokens; a
    suffix that ends first sorts first (as Python orders strings).
    """
    codes = np.asarray(codes)
    n = len(codes)
    if n == 0:
        return np.zeros(0, dtype=np.int32)
    _, rank = np.unique(codes, return_inverse=True)  # (n,) dense ranks of the single tokens
    rank = rank.astype(np.int64).reshape(-1)
    sa = np.argsort(rank, kind="stable")
    k = 1
    while True:
        second = np.zeros(n, dtype=np.int64)  # rank + 1 of the suffix k further on; 0: past the end
        second[: n - k] = rank[k:] + 1
        key = rank * (n + 1) + second  # (n,) orders by (first k tokens, next k tokens)
        sa = np.argsort(key, kind="stable")
        sk = key[sa]
        new = np.empty(n, dtype=np.int64)
        new[sa] = np.concatenate([[0], np.cumsum(sk[1:] != sk[:-1])])
        rank = new
        if rank[sa[-1]] == n - 1 or k >= n:  # every suffix has its own rank
            break
        k *= 2
    return sa.astype(np.int32)


class CharIndex:
    """Longest stretch of a query found verbatim in one of several sources (strings), via a suffix array."""

    def __init__(self, sources: Sequence[str], labels: Sequence[str] | None = None):
        self.sources = [s.replace(SEP, " ") for s in sources]
        self.labels = list(labels) if labels is not None else [f"source {i + 1}" for i in range(len(sources))]
        self.searched_of: int | None = None  # set by text_index: the length of the text the index was cut from
        self.text = SEP.join(self.sources)  # the concatenation searched
        self.starts = []  # position of each source's first character in self.text
        pos = 0
        for s in self.sources:
            self.starts.append(pos)
            pos += len(s) + 1
        self.sa = (
            suffix_array(np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32))
            if self.text
            else np.zeros(0, np.int32)
        )

    def _char(self, m: int, off: int) -> str:
        """The character at offset ``off`` of the m-th suffix in sorted order ('' past the end)."""
        p = int(self.sa[m]) + off
        return self.text[p] if p < len(self.text) else ""

    def _narrow(self, lo: int, hi: int, off: int, c: str) -> tuple[int, int]:
        """Among sorted suffixes lo..hi-1 (which share their first ``off`` characters), those whose next one is c."""
        a, b = lo, hi
        while a < b:  # first with char >= c
            m = (a + b) // 2
            if self._char(m, off) < c:
                a = m + 1
            else:
                b = m
        first = a
        b = hi
        while a < b:  # first with char > c
            m = (a + b) // 2
            if self._char(m, off) <= c:
                a = m + 1
            else:
                b = m
        return first, a

    def _interval(self, pattern: str) -> tuple[int, int]:
        """The sorted suffixes that start with ``pattern`` (binary search on slices)."""
        L, t, sa = len(pattern), self.text, self.sa
        a, b = 0, len(sa)
        while a < b:
            m = (a + b) // 2
            s = int(sa[m])
            if t[s : s + L] < pattern:
                a = m + 1
            else:
                b = m
        first, b = a, len(sa)
        while a < b:
            m = (a + b) // 2
            s = int(sa[m])
            if t[s : s + L] <= pattern:
                a = m + 1
            else:
                b = m
        return first, a

    def longest_match(self, query: str) -> tuple[int, int | None, int | None, int | None]:
        """(length, source index, start in that source, start in the query) of the longest stretch of ``query``
        found in one source; (0, None, None, None) when no character of the query occurs anywhere."""
        n = len(self.sa)
        best = (0, None, None)  # (length, position in self.text, start in the query)
        i, l, lo, hi = 0, 0, 0, n  # the match query[i:i+l] and its suffix interval
        while i < len(query):
            if i + l < len(query) and query[i + l] != SEP:
                lo2, hi2 = self._narrow(lo, hi, l, query[i + l])
                if lo2 < hi2:
                    lo, hi, l = lo2, hi2, l + 1
                    if l > best[0]:
                        best = (l, int(self.sa[lo]), i)
                    continue
            i += 1  # the match starting at i can't grow: start one character later
            if l > 0:
                l -= 1
                lo, hi = self._interval(query[i : i + l]) if l else (0, n)
            else:
                lo, hi = 0, n
        if best[0] == 0:
            return 0, None, None, None
        length, pos, at = best
        k = bisect.bisect_right(self.starts, pos) - 1
        return length, k, pos - self.starts[k], at


@dataclass(frozen=True)
class Copy:
    """The meter's reading for one sample."""

    length: int  # tokens in the longest stretch copied from the training data
    sample_length: int  # tokens in the sample
    at: int | None  # where the stretch starts in the sample (0-based)
    source: str | None  # where it comes from: a name, "the training text", a piece's file name
    offset: int | None  # where it starts in that source (0-based token index)
    line: int | None  # its line in that source (text: 1-based), None when the source is one line
    stretch: str  # the copied stretch, as shown
    unit: str  # "characters" or "values"

    @property
    def share(self) -> float:
        return self.length / self.sample_length if self.sample_length else 0.0

    def describe(self) -> str:
        """One sentence a student reads."""
        if self.length == 0:
            return f"Nothing in this sample occurs in the training data ({self.sample_length} {self.unit})."
        where = f"from {self.source}" + (
            f", line {self.line:,}" if self.line is not None else f" ({self.unit[:-1]} {self.offset + 1:,})"
        )
        return (
            f"Longest stretch copied from the training data: {self.length} of {self.sample_length} {self.unit} "
            f"({self.share:.0%}), {where}, starting at {self.unit[:-1]} {self.at + 1:,} of the sample."
        )


def names_index(names: Sequence[str]) -> CharIndex:
    """The Dinosaur lab's training data: every name of the list."""
    return CharIndex(list(names), [f"“{n}”" for n in names])


def text_index(train_text: str, max_chars: int = MAX_INDEX_CHARS) -> CharIndex:
    """The Text lab's training data: the training part of the text (its first ``max_chars`` characters: building
    the suffix array takes about 70 MB of temporary memory and a few seconds per million characters)."""
    index = CharIndex([train_text[:max_chars]], ["the training text"])
    index.searched_of = len(train_text)  # characters of the training part (more than the index holds when cut)
    return index


def char_copy(index: CharIndex, sample: str) -> Copy:
    """The meter for a text or a name (in characters)."""
    length, k, offset, at = index.longest_match(sample)
    if length == 0:
        return Copy(0, len(sample), None, None, None, None, "", "characters")
    src = index.sources[k]
    line = src.count("\n", 0, offset) + 1 if "\n" in src else None
    return Copy(length, len(sample), at, index.labels[k], offset, line, sample[at : at + length], "characters")


def music_copy(copies, names: Sequence[str], values: Sequence[str]) -> Copy:
    """The meter for a composition (in values): ``copies`` is a core.music.music_score.CopyIndex over the training
    pieces called ``names``."""
    length, k, offset, at = copies.longest_match(list(values))
    if not length:
        return Copy(0, len(values), None, None, None, None, "", "values")
    return Copy(int(length), len(values), at, names[k], offset, None, " ".join(values[at : at + length]), "values")
