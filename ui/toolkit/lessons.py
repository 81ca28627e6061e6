"""Bundled lessons (lessons/*.md, read by core.toolkit.links): the guide panel next to a lab, the home page's list and
its "Start here" for a student (the first lesson: ``FIRST``).

A lesson opens with ``?lesson=NAME`` on its lab's page (ui.toolkit.links.apply applies its preset like a link); the
panel sits in the sidebar, next to the lab, until the student closes it, and its steps are also in an expander at the
top of the page (``banner``), for screens where the sidebar starts collapsed.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.toolkit import lessons as catalogue
from core.toolkit import links as cl
from ui import persist
from ui.toolkit import links

log = logging.getLogger(__name__)
LAB_PAGES = {lab: f"pages/{page}.py" for lab, page in cl.PAGES.items()}  # app.py's pages
LAB_ICONS = {"dino": "🦕", "text": "📜", "music": "🎵"}
FIRST = "dino-from-scratch"  # the lesson a student new to the playground starts with (the home page's "Start here")


def _close() -> None:
    persist.remember(links.LESSON, None)


def _open_lesson(lab: str):
    """The lesson open on this lab's page (``lab``: the lab's key), or None."""
    open_ = st.session_state.get(links.LESSON)
    if not open_ or open_[0] != lab:
        return None
    lesson, _ = catalogue.find(open_[1])
    return lesson


def _steps(lesson) -> None:
    """What the lesson is and its numbered steps."""
    st.caption(f"{lesson.summary} · about {lesson.minutes} minutes")
    st.markdown(lesson.body)


def banner(lab: str) -> None:
    """The open lesson's steps at the top of its lab's page, in a closed expander: the sidebar is collapsed on tablets
    and phones, and closed the expander costs one Tab stop on the way to Start."""
    lesson = _open_lesson(lab)
    if lesson is None:
        return
    with st.expander(f"📘 Lesson: {lesson.title} — the steps"):
        _steps(lesson)


def panel(lab: str) -> None:
    """The open lesson's guide in the sidebar (only on its own lab's page; ``lab``: the lab's key)."""
    lesson = _open_lesson(lab)
    if lesson is None:
        return
    with st.sidebar:
        st.markdown(f"### 📘 {lesson.title}")
        _steps(lesson)
        for i, d in enumerate(lesson.downloads):
            st.download_button(
                f"⬇ {d.split('/')[-1]}",
                (cl.MIDI_DIR / d).read_bytes(),
                file_name=d.split("/")[-1],
                mime="audio/midi",
                key=f"lesson_download_{i}",
                on_click="ignore",
            )
        with st.expander("The lesson's preset"):
            st.markdown("\n".join(f"- `{k}` = `{v}`" for k, v in lesson.params.items()))
            st.button(
                "Put the preset back",
                key="lesson_preset_again",
                on_click=links.apply_preset,
                args=(lesson,),
                help="Sets the lesson's settings again (your trained model restarts if its shape changes).",
            )
        st.button("Close the lesson", key="lesson_close", on_click=_close)
        st.divider()


def home_list() -> None:
    """The home page's list of lessons: what each is, a link that opens it here, and the address to share."""
    good, bad = catalogue.catalogue()
    st.subheader("Lessons")
    st.markdown(
        "Ready-made lessons for a class: each opens its lab with the settings it needs and a guide in the sidebar "
        "(numbered steps and questions to ask). Share the address with students, or add `&hide=…` to hide "
        f"controls ({', '.join(cl.GROUPS)})."
    )
    for lesson in good:
        with st.container(border=True):
            st.page_link(
                LAB_PAGES[lesson.lab],
                label=f"{LAB_ICONS[lesson.lab]} {lesson.title}",
                query_params={"lesson": lesson.name},
            )
            st.markdown(f"{lesson.summary} *About {lesson.minutes} minutes.*")
            st.code(links.full_url(f"{links.base_path()}{cl.PAGES[lesson.lab]}?{lesson.query()}"), language=None)
    for message in bad:
        st.warning(message)


def start_here() -> None:
    """The home page's first step for a student: which lab and lesson to open, and what to press there."""
    lesson, problem = catalogue.find(FIRST)
    with st.container(border=True):
        st.subheader("Start here", anchor=False)
        if lesson is None:
            st.warning(problem)
            return
        st.markdown("New to recurrent networks? Begin with the Dinosaur lab and its first lesson:")
        st.page_link(
            LAB_PAGES[lesson.lab],
            label=f"{LAB_ICONS[lesson.lab]} Open the lesson: {lesson.title}",
            query_params={"lesson": lesson.name},
        )
        st.markdown(
            "1. The link opens the lab with the lesson's settings, and the lesson's guide opens in the sidebar (on "
            "a narrow screen, open the sidebar with the arrow at the top left).\n"
            "2. Press **Sample names** first: an untrained network's names are random letters.\n"
            "3. Press **▶ Start** and watch the loss fall while it learns, then press **Sample names** again.\n"
            f"4. Follow the guide's numbered steps (about {lesson.minutes} minutes). "
            "The other labs work the same way: press **▶ Start**, then **Generate** (Text) or **🎼 Compose** (Music)."
        )


def open_from_home() -> None:
    """``/?lesson=NAME`` on the home page: go to the lesson's lab with the same address (or say it is unknown)."""
    name = st.query_params.get("lesson")
    if not name:
        return
    lesson, problem = catalogue.find(name)
    if lesson is None:
        st.warning(problem)
        return
    st.switch_page(
        LAB_PAGES[lesson.lab], query_params={k: st.query_params[k] for k in st.query_params.keys() if k != "sid"}
    )
