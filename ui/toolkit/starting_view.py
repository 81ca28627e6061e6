"""The "Start from the trained model" button (trained starting points), drawn by ui.live.controls.

Shown when the lab has a bundled model for the corpus it trains on now (the lab's starting_point()), unless the
address hides the toolkit group (``hide=toolkit``: ui.toolkit.links.shown). The button's
callback runs before the page's script: it loads the model into the lab (core: safe loading, with its history) and
sets the page's settings widgets to the model's settings, so the page's ``configure`` keeps the loaded run instead
of starting a new one; the lab's restart note says what was loaded.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.text.text_data import CorpusError
from ui import persist

log = logging.getLogger(__name__)
LABEL = "⭐ Start from the trained model"


def _error_key(lab) -> str:
    return f"{lab.key}__starting_point_error"


def _load(lab, name: str) -> None:
    """Button callback: load the starting point, set the widgets, or keep the reason to show."""
    ss = st.session_state
    ss.pop(_error_key(lab), None)
    try:
        loaded = lab.load_starting_point(name)
    except CorpusError as exc:  # ModelZipError is a CorpusError: the file's reason
        ss[_error_key(lab)] = f"The trained model could not be loaded: {exc}"
        return
    except (ValueError, OSError):
        log.exception("starting point %s could not be loaded", name)
        ss[_error_key(lab)] = "The trained model could not be loaded on this server. Train your own model instead."
        return
    for key, value in lab.widget_values_for(loaded.config).items():  # the page then keeps the loaded run
        persist.remember(key, value)
    lab.restart_note = loaded.message


def button(lab, *, disabled: bool = False) -> None:
    """The starting-point button, when the lab has a bundled model for its current corpus (else nothing)."""
    from ui.toolkit.links import shown  # lazily: ui.toolkit.links builds on the pages' modules

    sp = lab.starting_point()
    if sp is None or not shown("toolkit"):  # a teacher's link can hide it (hide=toolkit), e.g. "from scratch" lessons
        return
    st.button(
        LABEL,
        key=f"{lab.key}__starting_point",
        on_click=_load,
        args=(lab, sp.name),
        disabled=disabled,
        width="stretch",
        help=f"Load {sp.title}, trained beforehand on this corpus (assets/models/{sp.filename}), with its loss "
        "history. "
        "Your current run stays on the chart; Start continues training from the trained model.",
    )
    err = st.session_state.pop(_error_key(lab), None)
    if err:
        st.error(err)
