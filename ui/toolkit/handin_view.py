"""The hand-in button: one download that bundles the lab's current run (core.toolkit.handin builds the zip on click)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.toolkit import handin
from ui.toolkit import memorise_view


def _link_and_settings(lab) -> tuple[str | None, dict[str, Any] | None]:
    """The setup's link (ui.toolkit.links, when this installation has it) and the page's settings widgets, read now:
    the download's callable runs outside the page's script, where the session can't be read."""
    try:
        from ui.toolkit import links
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
    """False when the address hides the "toolkit" group (ui.toolkit.links, when this installation has it)."""
    try:
        from ui.toolkit import links
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
    st.download_button(
        "⬇ Download the hand-in (.zip)",
        data=lambda: handin.bundle(lab, link=link, page_settings=page, text_index=index),
        file_name=handin.file_name(lab), mime="application/zip", key=f"{key}_handin", on_click="ignore",
    )
