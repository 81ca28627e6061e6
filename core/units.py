"""A loss in the unit the student picked on the loss chart: nats, bits or perplexity (the one copy of the rule).

Every loss is computed in nats (the natural log of a probability). ``convert`` turns nats into a choice of the
loss chart's switch (core.labs.settings.unit_choices: "nats per value", "bits per value", "perplexity"): bits are
nats ÷ ln 2, perplexity is e^nats.

Notes written when something happens (a stop, the best weights put back, a loaded starting point, which weights
made a sample) are kept as text and drawn later, after the student may have switched the unit. Such a note does not
write a loss out: ``loss(nats, per)`` puts a marker holding the exact number in the text, and ``in_unit(text,
choice)`` writes every marker in the choice of the moment when the note is drawn ("1.234 nats per value",
"1.780 bits per value" or "perplexity 3.43"). Simplified on purpose: a marker is plain text, so notes stay strings
that f-strings join; whatever shows a note to a student or writes it to a file passes it through ``in_unit`` first.
"""

from __future__ import annotations

import math
import re

import numpy as np

LN2 = math.log(2.0)  # nats in one bit
NATS = "nats"  # the first word of each choice: what in_unit writes
BITS = "bits"
PERPLEXITY = "perplexity"

# ⟦loss <nats> <per or -> <digits>⟧: a loss inside a note ("-": the number alone, its unit said further on)
_MARK = re.compile(r"⟦loss (\S+) (\S+) (\d)⟧")


def kind_of(choice: str | None) -> str:
    """ "nats", "bits" or "perplexity": the first word of a switch's choice (None: nats)."""
    word = (choice or NATS).split()[0]
    return word if word in (BITS, PERPLEXITY) else NATS


def convert(nats, choice: str | None):
    """Losses in nats (a number or an array) -> the same losses in ``choice`` (an array of floats)."""
    v = np.asarray(nats, dtype=float)
    kind = kind_of(choice)
    if kind == BITS:
        return v / LN2
    if kind == PERPLEXITY:
        return np.exp(v)
    return v


def number(nats: float, choice: str | None, digits: int = 2) -> str:
    """A loss in nats written as a number of ``choice``: "1.23", or "3.42" as perplexity."""
    return f"{float(convert(nats, choice)):.{digits}f}"


def phrase(nats: float, choice: str | None, per: str, digits: int = 2) -> str:
    """A loss with its unit: "4.50 nats per value", "6.49 bits per value" or "perplexity 90.00"."""
    kind = kind_of(choice)
    text = number(nats, choice, digits)
    return f"perplexity {text}" if kind == PERPLEXITY else f"{text} {kind} per {per}"


def loss(nats: float, per: str | None = None, digits: int = 3) -> str:
    """A loss inside a note, drawn later by ``in_unit``: with its unit (``per``: "value", "character", …), or the
    number alone (``per`` None) when the note says the unit after a later loss (perplexity: always named)."""
    return f"⟦loss {float(nats)!r} {per or '-'} {int(digits)}⟧"


def in_unit(text: str | None, choice: str | None = None) -> str | None:
    """``text`` with every loss of ``loss`` written in ``choice`` (None: in nats, e.g. for a file)."""
    if not text:
        return text

    def one(m: re.Match) -> str:
        nats, per, digits = float(m.group(1)), m.group(2), int(m.group(3))
        if per == "-" and kind_of(choice) != PERPLEXITY:  # perplexity is named before its number: always said
            return number(nats, choice, digits)
        return phrase(nats, choice, per, digits)

    return _MARK.sub(one, text)
