"""How much of a generated sample is "real": words that occur in the training text, and speaker names.

A class watching a character model learn wants one number for "gibberish is turning into English". The
``Lexicon`` of a text is the set of its words (runs of letters, apostrophes inside a word allowed,
compared lowercased) and of its speaker names: lines of the form ``Name:`` on their own, as in the
bundled plays, that occur at least ``MIN_SPEAKER_LINES`` times. ``check(sample)`` counts the sample's
words that are in the text and lists the real speaker names the sample used.

Simplifications on purpose: a "real word" is any word the training text contains (so "the" counts as
much as "Graymalkin", and a made-up word that happens to be in the text counts too); words are compared
lowercased; a word cut off at the end of the sample is left out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # letters, with inner apostrophes: "ne'er", "king's"
SPEAKER = re.compile(
    r"^([^\W\d_][^\W\d_ .'-]*(?:[ .'-]+[^\W\d_]+){0,4}):[ \t]*$", re.MULTILINE
)  # "Sir Toby:" alone on a line
MIN_SPEAKER_LINES = 2  # a name must head at least this many speeches to count as a speaker


@dataclass(frozen=True)
class SampleCheck:
    """What a sample has in common with the training text."""

    n_words: int  # complete words in the sample
    n_real: int  # of those, words that occur in the training text
    speakers: tuple[str, ...]  # speaker names from the text that the sample used, in order of first use
    speaker_lines: int  # lines in the sample that look like a speaker line ("Name:"), real names or not

    @property
    def real_fraction(self) -> float:
        return self.n_real / self.n_words if self.n_words else 0.0


class Lexicon:
    """The words and speaker names of one text. Read-only after construction."""

    def __init__(self, text: str):
        self.words = frozenset(w.lower() for w in WORD.findall(text))  # lowercased
        counts = Counter(m.group(1) for m in SPEAKER.finditer(text))
        self.speakers = frozenset(name for name, n in counts.items() if n >= MIN_SPEAKER_LINES)  # as written

    @property
    def has_speakers(self) -> bool:
        return bool(self.speakers)

    def check(self, sample: str) -> SampleCheck:
        words = list(WORD.finditer(sample))
        if words and words[-1].end() == len(sample):
            words = words[:-1]  # may be cut off mid-word
        n_real = sum(m.group(0).lower() in self.words for m in words)
        found: list[str] = []
        lines = 0
        for m in SPEAKER.finditer(sample):
            lines += 1
            if m.group(1) in self.speakers and m.group(1) not in found:
                found.append(m.group(1))
        return SampleCheck(n_words=len(words), n_real=n_real, speakers=tuple(found), speaker_lines=lines)


def describe_check(check: SampleCheck, lexicon: Lexicon) -> str:
    """One line under a sample: how many of its words are real, and which real speaker names it used."""
    if not check.n_words:
        line = "No complete words yet."
    else:
        line = (
            f"**{check.real_fraction:.0%} real words**: {check.n_real} of the sample's {check.n_words} words "
            "occur in the training text."
        )
    if lexicon.has_speakers:
        if check.speakers:
            line += " Speaker names from the text: " + ", ".join(check.speakers) + "."
        elif check.speaker_lines:
            line += f" {check.speaker_lines} speaker line(s), with made-up names."
        else:
            line += " No speaker lines yet."
    return line
