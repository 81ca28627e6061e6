"""Explanations kept as Markdown files in assets/explain/ (see its README), shown with live values filled in."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import streamlit as st

FOLDER = Path(__file__).resolve().parent.parent / "assets" / "explain"


@lru_cache(maxsize=32)
def _text(name: str) -> str:
    return (FOLDER / f"{name}.md").read_text(encoding="utf-8")


def show(name: str, **values) -> None:
    """Draw assets/explain/<name>.md with ``values`` filled into its ``{fields}``."""
    st.markdown(_text(name).format(**values))
