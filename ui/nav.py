"""What every page does first: stay on the app's navigation, and keep settings across page visits.

``start_page()`` = ``ensure_app_navigation()`` + ``ui.server.replica.note_lost_replica()`` (behind the class server) +
``ui.persist.carry_over()`` + ``ui.server.recover.recover()`` (a reloaded tab gets its work back, with the settings of
its last run).


Streamlit decides once per server process whether the app uses the legacy `pages/` folder. Until some
session has run app.py (which calls st.navigation), a direct link such as /dinosaurs runs
pages/dinosaurs.py on its own, with the legacy sidebar and without app.py's page config. Every page calls
``ensure_app_navigation()`` first: if the legacy mode is still on, it is switched off and the run is
restarted, which then goes through app.py and lands on the same page (v1 and st.Page use the same
url_path, so the page hash matches).
"""

from __future__ import annotations

import streamlit as st

from ui import style
from ui.persist import carry_over
from ui.server.recover import recover
from ui.server.replica import note_lost_replica


def lab_page(cls, title: str, caption: str):
    """The top of a lab's page: ``start_page()``, its kept settings (every widget of the lab's settings,
    core.labs.settings), the address's link or lesson (ui.toolkit.links), its title and caption, the lesson's guide
    and "Link to this setup" in the sidebar; returns this session's lab object (core.labs.lab.Lab subclass ``cls``)."""
    from ui import persist
    from ui.live import session_lab
    from ui.toolkit import lessons, links

    start_page()
    persist.keep(*cls.settings().keep())
    links.apply(cls.key)  # a link or lesson in the address sets the widgets once (ui/toolkit/links.py)
    st.title(title, anchor=False)  # no "link to heading" stop on the way to Start
    st.caption(caption)
    links.show_messages(cls.key)
    lessons.banner(cls.key)  # the open lesson's steps in the page too: the sidebar is collapsed on small screens
    lessons.panel(cls.key)
    links.link_control(cls.key)
    return session_lab(cls)


def start_page() -> None:
    """Call at the top of every page, before it draws any widget."""
    ensure_app_navigation()
    note_lost_replica()  # behind the class server: a tab whose replica stopped is told so (ui/server/replica.py)
    carry_over()  # first: recover() then registers this run's settings (not the run before's) for a reload
    recover()
    style.apply()  # after carry_over (it keeps a setting): contrast, focus and motion beyond the theme (ui/style.py)


def ensure_app_navigation() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    first_run = not st.session_state.get("_app_nav_seen", False)
    st.session_state["_app_nav_seen"] = True
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        # Restart only a session's first run: nothing the user did can be lost then. (streamlit's AppTest
        # resets the flag before every run; later runs just carry on.)
        if first_run:
            st.rerun()
