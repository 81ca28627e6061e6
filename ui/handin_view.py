"""The hand-in button: one download of the lab's current run. The page run takes the snapshot (core.handin.capture:
every file from one step, and the file named by it); the zip is built from that snapshot when the student clicks.
While the lab trains, the page runs only when the student does something, so the section says which step the
hand-in holds and offers a button that takes a newer one."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core import handin
from ui import loss_chart, memorise_view

log = logging.getLogger(__name__)


def _link_and_settings(lab) -> tuple[str | None, dict[str, Any] | None]:
    """The setup's link (ui.links, when this installation has it) and the page's settings widgets, read now:
    the download's callable runs outside the page's script, where the session can't be read."""
    try:
        from ui import links
    except ImportError:
        return None, None
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
    """False when the address hides the "toolkit" group (ui.links, when this installation has it)."""
    try:
        from ui import links
    except ImportError:
        return True
    return links.shown("toolkit")


def render(lab, key: str) -> None:
    """The "Hand in" section: what the zip holds and the download button (nothing before the first run)."""
    if lab.trainer is None or not _shown():
        return
    st.divider()
    st.subheader("Hand in this run")
    midi = " and `composition.mid`" if lab.key == "music" else ""
    st.caption(
        "One .zip: `settings.json` (with the link to this setup), `loss_history.csv`, `samples.txt`" + midi
        + " and `charts.html` (the charts, viewable offline)."
    )
    link, page = _link_and_settings(lab)
    index = memorise_view.built_text_index(lab) if lab.key == "text" else None
    try:
        snap = handin.capture(
            lab, link=link, page_settings=page, text_index=index, baselines=loss_chart.lab_baselines(lab, key)
        )
    except Exception:  # noqa: BLE001 - the page goes on without the download; the server log has why
        log.exception("hand-in snapshot of the %s lab failed", lab.key)
        st.warning("The hand-in could not be put together just now. Your run is not affected: try again in a moment.")
        return
    st.download_button(
        "⬇ Download the hand-in (.zip)", data=snap.zip, file_name=snap.file_name, mime="application/zip",
        key=f"{key}_handin", on_click="ignore",
    )
    if not lab.running:
        st.caption(f"The hand-in is this run at step {snap.step:,}.")
        return
    st.caption(
        f"Training goes on: this hand-in is the run as it was at step {snap.step:,} (everything in it is from that "
        "step). Press the button below for a hand-in of the step training has reached now."
    )
    st.button("📸 Take the hand-in at the current step", key=f"{key}_handin_now")
