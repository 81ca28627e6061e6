"""The "Start from the trained model" button (issue #12, trained starting points), drawn by ui.live.controls.

Shown when the lab has a bundled model for the corpus it trains on now (core.starting_points.for_lab), unless the
address hides the toolkit group (``hide=toolkit``: ui.links.shown). The button's
callback runs before the page's script: it loads the model into the lab (core: safe loading, with its history) and
sets the page's settings widgets to the model's settings, so the page's ``configure`` keeps the loaded run instead
of starting a new one; the lab's restart note says what was loaded.
"""

from __future__ import annotations

import logging

import streamlit as st

from core import starting_points
from core.text_data import CorpusError
from ui import persist

log = logging.getLogger(__name__)
LABEL = "⭐ Start from the trained model"
DINO_LR = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]  # the Dinosaur page's learning rates
DINO_SAMPLE_EVERY = [100, 250, 500, 1000, 2000, 5000]  # the Dinosaur page's sampling intervals
MUSIC_LR = [0.0003, 0.001, 0.003, 0.01, 0.03]  # the Music page's learning rates


def _nearest(options: list, value):
    return min(options, key=lambda o: abs(o - value))


def widget_values(lab, loaded: starting_points.Loaded) -> dict:
    """The page's settings widgets (by key) for a loaded starting point: the page then keeps the loaded run."""
    c = loaded.config
    if lab.key == "dino":
        return {
            "dino_n_a": int(c.n_a), "dino_seed": int(c.seed), "dino_lr": _nearest(DINO_LR, c.learning_rate),
            "dino_iters": int(c.iterations), "dino_sample_every": _nearest(DINO_SAMPLE_EVERY, c.sample_every),
        }
    if lab.key == "text":
        from core.text_lab import widget_values as text_widgets

        return text_widgets(c)
    from core.music_lab import LSTM

    return {
        "music_model": LSTM, "music_hidden": int(c.hidden), "music_seq_len": int(c.seq_len), "music_batch": int(c.batch_size),
        "music_lr": _nearest(MUSIC_LR, c.learning_rate), "music_seed": int(c.seed), "music_max_steps": int(lab.max_steps),
    }


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
    for key, value in widget_values(lab, loaded).items():
        persist.remember(key, value)
    lab.restart_note = loaded.message


def button(lab, *, disabled: bool = False) -> None:
    """The starting-point button, when the lab has a bundled model for its current corpus (else nothing)."""
    from ui.links import shown  # lazily: ui.links builds on the pages' modules

    sp = starting_points.for_lab(lab)
    if sp is None or not shown("toolkit"):  # a teacher's link can hide it (hide=toolkit), e.g. "from scratch" lessons
        return
    st.button(
        LABEL, key=f"{lab.key}__starting_point", on_click=_load, args=(lab, sp.name), disabled=disabled, width="stretch",
        help=f"Load {sp.title}, trained beforehand on this corpus (assets/models/{sp.filename}), with its loss history. "
        "Your current run stays on the chart; Start continues training from the trained model.",
    )
    err = st.session_state.pop(_error_key(lab), None)
    if err:
        st.error(err)
