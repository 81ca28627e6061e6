"""The glossary: one short explanation (at most three sentences) for each word a student meets without one.

Each entry is shown where its word first appears on a page, as the help tooltip (ⓘ) of that caption, heading or
widget (ui/glossary.py draws them). The words are the ones the labs use in their own captions and charts: the loss's
units, the inspector's entropy, the baselines' smoothing, Look inside's gradient norms and correlations, and the
address's sid. Simplified on purpose: an entry explains the idea, not every formula (assets/explain has those).
"""

from __future__ import annotations

import re

TERMS: dict[str, str] = {
    "nats": (
        "A nat is the unit of a loss measured with the natural logarithm: a right answer the model gave probability p "
        "costs −ln p nats. 0 nats means sure and right; ln V nats is a blind guess among V tokens. Divide by ln 2 "
        "(0.693) to get bits."
    ),
    "perplexity": (
        "Perplexity is e raised to the loss in nats: the model is as unsure as a fair choice among that many tokens. "
        "1 means always sure and right; a blind guess among V tokens has perplexity V."
    ),
    "entropy": (
        "The entropy −Σ p ln p of one predicted distribution, in nats, says how spread out the model's belief is. "
        "0 means everything is on one token; ln V means it is spread evenly over all V tokens."
    ),
    "Laplace smoothing": (
        "Add-one (Laplace) smoothing adds 1 to every count before counts become probabilities. A pair of tokens never "
        "seen in training then still gets a small probability, so a counting model's loss stays finite."
    ),
    "gradient norm": (
        "A gradient norm is the length of a gradient: the square root of the sum of its squared entries. It says how "
        "strongly a small change there moves the loss (or the prediction); a very large norm makes a very large "
        "update, which is what clipping keeps in check."
    ),
    "Pearson r": (
        "Pearson's r measures how closely two series rise and fall together along a straight line, from −1 to 1. "
        "Near 1, the unit's activation goes up when the feature does; near −1, it goes down; near 0, no straight-line "
        "link."
    ),
    "sid": (
        "The sid in the address (sid=…) is a random key for this tab's work on this server. Reloading the tab with it "
        "gets the work back for a while, in this browser only; another browser opening the same address starts a "
        "fresh lab."
    ),
}


# how each term is written in the app's text (matched as whole words, any case)
SPELLINGS: dict[str, tuple[str, ...]] = {
    "nats": ("nats", "nat"),
    "perplexity": ("perplexity",),
    "entropy": ("entropy",),
    "Laplace smoothing": ("Laplace",),
    "gradient norm": ("gradient norm", "gradient norms", "gradient's norm"),
    "Pearson r": ("Pearson",),
    "sid": ("sid",),
}
_FIND = {
    term: re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(s) for s in spellings) + r")(?![\w-])", re.IGNORECASE)
    for term, spellings in SPELLINGS.items()
}


def found_in(text: str) -> list[str]:
    """The glossary's terms that ``text`` uses, in the glossary's order ("cross-entropy" is not "entropy")."""
    return [term for term, pattern in _FIND.items() if pattern.search(text)]


def explain(term: str) -> str:
    """The explanation of ``term``; KeyError names the known terms when it has none."""
    try:
        return TERMS[term]
    except KeyError:
        raise KeyError(f"no glossary entry for {term!r}; the glossary has {', '.join(TERMS)}") from None
