"""Widget values that survive a visit to another page, whatever runs in between.

Streamlit forgets a widget's value when a run doesn't draw that widget, so leaving a lab and coming back
would reset its sliders, and a changed hidden size would then restart the trained model. A page lists the
keys of its settings widgets with ``keep(...)``; every page calls ``carry_over()`` (through
``ui.nav.start_page``) before it draws its widgets.

``carry_over`` keeps a shadow copy of every kept value under a key that is not a widget's (so Streamlit never
cleans it up). A value still in the session is re-assigned (Streamlit then treats it as set by the app and
keeps it) and copied to the shadow; a value the session has lost is put back from the shadow. Re-assigning
alone was not enough: while a lab trained, its live fragment's runs could end after the visit to another
page had begun, and the widgets' values were dropped anyway (the hidden size went back to its
default and the model restarted). With the shadow, a lost value is restored on the next run of any page.

Buttons and file uploaders can't be kept this way (Streamlit forbids setting them), so labs keep what an
upload produced themselves (core.labs.lab.UploadCache).
"""

from __future__ import annotations

import streamlit as st

_REGISTRY = "_persist_keys"  # widget keys to keep
_SHADOW = "_persist_values"  # key -> last value seen


def keep(*keys: str) -> None:
    """Mark these widget keys as settings to keep across pages."""
    st.session_state.setdefault(_REGISTRY, set()).update(keys)


def carry_over() -> None:
    """Restore lost values and re-assign the others (call once per run, before the page draws its widgets)."""
    ss = st.session_state
    shadow = ss.setdefault(_SHADOW, {})
    for key in ss.get(_REGISTRY, ()):
        if key in ss:
            shadow[key] = ss[key]
            ss[key] = shadow[key]
        elif key in shadow:
            ss[key] = shadow[key]


def remember(key: str, value) -> None:
    """Set a kept widget's value from the app (e.g. a loaded model's settings) in the session and the shadow."""
    st.session_state[key] = value
    st.session_state.setdefault(_SHADOW, {})[key] = value
