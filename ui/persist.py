"""Widget values that survive a visit to another page.

Streamlit forgets a widget's value when a run doesn't draw that widget, so leaving a lab and coming back
would reset its sliders, and a changed hidden size would then restart the trained model. A page lists the
keys of its settings widgets with ``keep(...)``; app.py calls ``carry_over()`` at the start of every run,
which re-assigns those values so Streamlit treats them as set by the app and keeps them. Buttons and file
uploaders can't be kept this way (Streamlit forbids setting them), so pages store what an upload produced
in their own session-state keys instead.
"""

from __future__ import annotations

import streamlit as st

_REGISTRY = "_persist_keys"


def keep(*keys: str) -> None:
    """Mark these widget keys as settings to keep across pages."""
    st.session_state.setdefault(_REGISTRY, set()).update(keys)


def carry_over() -> None:
    """Re-assign every kept widget value (call once per run, before the page draws its widgets)."""
    for key in st.session_state.get(_REGISTRY, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
