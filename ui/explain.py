"""Explanations kept as Markdown files in assets/explain/ (see its README), shown with live values filled in.

Besides ``show``, this module fills the explanations that need numbers from a model: the Text lab's cells,
parameter count and units (``text_lab``), and the Dinosaur lab's smoothed loss (``dino_values``; drawn by
ui/inside/dino_views.py).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import streamlit as st

from core import units
from core.inside import param_formula

FOLDER = Path(__file__).resolve().parent.parent / "assets" / "explain"


@lru_cache(maxsize=32)
def _text(name: str) -> str:
    return (FOLDER / f"{name}.md").read_text(encoding="utf-8")


def text_of(name: str, **values) -> str:
    """assets/explain/<name>.md with ``values`` filled into its ``{fields}``."""
    return _text(name).format(**values)


def show(name: str, **values) -> None:
    """Draw assets/explain/<name>.md with ``values`` filled into its ``{fields}``."""
    st.markdown(text_of(name, **values))


def param_values(vocab_size: int, config) -> dict:
    """The fields of param_count.md for a core.models.keras_model.RNNConfig: the formula with the live numbers and its
    total."""
    parts = param_formula.parts(vocab_size, config.cell, config.hidden, config.layers, config.embed_dim)
    total = sum(p.count for p in parts)
    lines = [rf"- {p.name}: ${p.latex}$ = {p.count:,}" for p in parts]  # inline math wraps in a narrow column
    formula = "\n".join(lines + [f"- **total: {total:,}**"])
    return dict(total=total, V=vocab_size, e=config.embed_dim, m=config.hidden, formula=formula)


def text_lab(vocab_size: int, config, trainer=None) -> None:
    """The Text lab's explanations in one expander: the cells, the parameter count with its formula (for ``config``),
    and the units with the trainer's latest smoothed loss (a uniform guess's before any training)."""
    with st.expander("Explained: SimpleRNN vs LSTM vs GRU, the parameter count, nats and perplexity, embeddings"):
        show("cells")
        show("param_count", **param_values(vocab_size, config))
        loss = None if trainer is None else trainer.history.last_smooth()
        if loss is None or not np.isfinite(loss):
            loss = float(np.log(vocab_size))
            st.caption("No training loss yet: the numbers below are a uniform guess's.")
        loss = float(loss)
        show(
            "units",
            loss=loss,
            bits=float(units.convert(loss, units.BITS)),
            ppl=float(units.convert(loss, units.PERPLEXITY)),
            V=vocab_size,
            uniform=float(np.log(vocab_size)),
            e=config.embed_dim,
        )


def dino_values(names: list[str], vocab_size: int) -> dict:
    """The fields of dino_smooth_loss.md: the course's starting value 7 ln V and this list's mean name length."""
    mean_len = float(np.mean([len(n) + 1 for n in names])) if names else 0.0  # + the newline
    lnv = float(np.log(vocab_size))
    start, uniform = 7 * lnv, mean_len * lnv
    if uniform > start:
        trend = (
            "more than the starting value. The average moves only 0.1% per name (0.999 × smooth + 0.001 × loss), so "
            "it climbs "
            "towards that for the first thousand names or so, until the model's progress pulls it down (the course's "
            "curve does the same)."
        )
    else:
        trend = "less than the starting value, so with this list the smoothed loss falls from the start."
    return dict(V=vocab_size, start=start, mean_len=mean_len, uniform=uniform, trend=trend)
