"""Look inside: the section every lab page draws once, below the inspector, with one tab per view.

Each tab is a function ``(lab) -> None`` that reads what it needs from the lab object (its trainer, its generated
sequences, its held-out data). Influence and How far back: ui/inside/influence_view.py. Helpers add their tabs to
``tabs()``; a tab that does not fit a lab is left out there.
"""

from __future__ import annotations

import streamlit as st

from ui.inside import influence_view, neuron_view
from ui.toolkit import links


def tabs(lab) -> list[tuple[str, object]]:
    """(title, render function) of the tabs shown for ``lab``, in order."""
    return [
        ("Influence", influence_view.render_influence),
        ("How far back", influence_view.render_distance),
        ("Neurons", neuron_view.neurons_tab),  # colour the input by one unit; find interesting units
        ("Gates", neuron_view.gates_tab),  # gate saturation (says why a SimpleRNN has none)
    ]


def _shown() -> bool:
    """False when the address's hide= lists the "inside" group (ui.toolkit.links)."""
    return links.shown("inside")


def render(lab) -> None:
    """The "Look inside" section for any lab."""
    if not _shown():
        return
    st.divider()
    st.subheader("Look inside")
    if lab.trainer is None:
        st.info("There is no model yet: Look inside needs one.")
        return
    pairs = tabs(lab)
    for (_, draw), tab in zip(pairs, st.tabs([title for title, _ in pairs])):
        with tab:
            draw(lab)
