"""The glossary (core/glossary.py) on the page: the text of a help tooltip (ⓘ) for the words a caption or heading
uses, so the explanation sits where the word first appears. ``caption`` finds the words itself."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.glossary import explain, found_in


def help_for(*terms: str) -> str:
    """A tooltip explaining ``terms``: "**term**: explanation", one paragraph each."""
    return "\n\n".join(f"**{term}**: {explain(term)}" for term in terms)


def caption(text: str, where: Any = st) -> None:
    """``st.caption(text)`` with a tooltip explaining the glossary's words it uses (none when it uses none)."""
    terms = found_in(text)
    where.caption(text, help=help_for(*terms) if terms else None)
