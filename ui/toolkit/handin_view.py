"""The hand-in button: one download of the lab's current run, one snapshot (core.toolkit.handin.capture: every file from
one
step, and the file named by it).

While the lab is stopped, the page run takes the snapshot and the zip is made from it when the student clicks (a
callable ``data``: Streamlit runs it on a thread of its own). While it trains, the student takes the snapshot with a
button: its callback runs between two slices of training, makes the zip at once and keeps it in the session for the
download button. (A zip made on click would be stored by Streamlit only until the live fragment's next refreshes
end, so a slow browser could miss it.)"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core.toolkit import handin
from ui import loss_chart
from ui.toolkit import links, memorise_view

log = logging.getLogger(__name__)


def _link_and_settings(lab) -> tuple[str | None, dict[str, Any] | None]:
    """The setup's link (ui.toolkit.links) and the page's settings widgets, read now:
    the download's callable runs outside the page's script, where the session can't be read."""
    link = page = None
    try:
        link = links.full_url(links.setup_url(lab))
    except Exception:  # noqa: BLE001 - a link that can't be built leaves the hand-in without it, not broken
        link = None
    try:
        page = links.current_values(lab)
    except Exception:  # noqa: BLE001
        page = None
    return link, page


def _shown() -> bool:
    """False when the address hides the "toolkit" group (ui.toolkit.links)."""
    return links.shown("toolkit")


def render(lab, key: str) -> None:
    """The "Hand in" section: what the zip holds and the download button (nothing before the first run)."""
    if lab.trainer is None or not _shown():
        return
    st.divider()
    st.subheader("Hand in this run")
    extra = "".join(f" and `{name}`" for name in lab.handin_files)
    extra += " and `code/` (the training code from scratch, with this run's settings)" if lab.has_code else ""
    st.caption(
        "One .zip: `settings.json` (with the link to this setup), `loss_history.csv`, `samples.txt`"
        + extra
        + " and `charts.html` (the charts, viewable offline)."
    )
    if lab.running:
        _while_training(lab, key)
        return
    st.session_state.pop(_ready_key(key), None)  # a zip taken while training is not kept once training stops
    snap = _capture(lab, key)
    if snap is None:
        return
    st.download_button(
        "⬇ Download the hand-in (.zip)",
        data=snap.zip,
        file_name=snap.file_name,
        mime="application/zip",
        key=f"{key}_handin",
        on_click="ignore",
    )
    st.caption(f"The hand-in is this run at step {snap.step:,}.")


def _ready_key(key: str) -> str:
    return f"_{key}_handin_ready"


def _capture(lab, key: str) -> handin.HandIn | None:
    """The snapshot of the lab now (None, with a message on the page, when it can't be taken)."""
    link, page = _link_and_settings(lab)
    index = memorise_view.built_text_index(lab)
    try:
        return handin.capture(
            lab, link=link, page_settings=page, text_index=index, baselines=loss_chart.lab_baselines(lab, key)
        )
    except Exception:  # the page goes on without the download; the server log has why
        log.exception("hand-in snapshot of the %s lab failed", lab.key)
        st.warning("The hand-in could not be put together just now. Your run is not affected: try again in a moment.")
        return None


def _take(lab, key: str) -> None:
    """The button's callback (between two slices of training): the snapshot and its zip, kept for this run."""
    snap = _capture(lab, key)
    if snap is not None:
        st.session_state[_ready_key(key)] = (lab.run_number, snap, snap.zip())


def _while_training(lab, key: str) -> None:
    ready = st.session_state.get(_ready_key(key))
    if ready is not None and ready[0] != lab.run_number:  # taken from an earlier run
        del st.session_state[_ready_key(key)]
        ready = None
    if ready is None:
        st.caption("Training goes on: take a snapshot of the step it has reached to hand in (or press Stop).")
    else:
        _, snap, data = ready
        st.download_button(
            "⬇ Download the hand-in (.zip)",
            data=data,
            file_name=snap.file_name,
            mime="application/zip",
            key=f"{key}_handin",
            on_click="ignore",
        )
        st.caption(
            f"Training goes on: this hand-in is the run as it was at step {snap.step:,} (everything in it is from "
            "that step). Press the button below for a hand-in of the step training has reached now."
        )
    st.button("📸 Take the hand-in at the current step", key=f"{key}_handin_now", on_click=_take, args=(lab, key))
