"""What a page says back of a user's own input: shown literally, and bounded.

Streamlit renders Markdown (links, images, emphasis, math, colour directives) in st.markdown, st.caption and the
message boxes, so a file name, a link's parameter or a typed motif shown there would become markup.
``literal(text)`` makes any text Markdown that shows exactly those characters: every ASCII punctuation character
gets a backslash (CommonMark lets any of them be escaped), line breaks become spaces, and a long text is cut. Escapes
can't stop what Streamlit finds in the text after parsing (GFM's bare addresses ``https://…``, ``www.…`` and
``a@b.c`` become links; ``:smile:`` becomes an emoji), so an invisible word joiner (U+2060) follows the colon of
``://`` or of such a code, an ``@`` before a name and a ``www`` before a dot (nowhere else: text stays searchable).
``first_few(items)`` bounds a list echoed back to a user: the first few items and "and N more".
"""

from __future__ import annotations

import re
import string
from typing import Iterable

FEW = 5  # items of a list a message repeats before "and N more"
LONGEST = 120  # characters of one user string a message repeats

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
# where a bare link (https://, www., a@b) or an emoji or icon code (:smile:, :material/home:) starts
_FOUND_AFTER_PARSING = re.compile(r"(:(?=//|[\w/+-]+:)|@(?=[-\w])|www(?=\.))", re.IGNORECASE)
JOINER = "\u2060"  # WORD JOINER: invisible, and it breaks those patterns


def cut(text: str, limit: int = LONGEST) -> str:
    """``text`` on one line (control characters and line breaks as spaces), at most ``limit`` characters."""
    text = _BREAKS.sub(" ", str(text))
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def literal(text: str, limit: int = LONGEST) -> str:
    """Markdown that shows ``text`` as typed (cut to ``limit`` characters): never a link, an image or emphasis."""
    return _PUNCTUATION.sub(r"\\\1", _FOUND_AFTER_PARSING.sub(r"\1" + JOINER, cut(text, limit)))


def first_few(items: Iterable[str], limit: int = FEW) -> list[str]:
    """The first ``limit`` items, then "and N more" in place of the rest (a list a message repeats stays short)."""
    items = list(items)
    if len(items) <= limit:
        return items
    return [*items[:limit], f"and {len(items) - limit:,} more"]


def joined(items: Iterable[str], limit: int = FEW) -> str:
    """``first_few`` as one phrase: "a, b, c, d, e and 3 more"."""
    few = first_few(items, limit)
    if len(few) > limit:
        return ", ".join(few[:-1]) + " " + few[-1]
    return ", ".join(few)
