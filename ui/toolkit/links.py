"""The page side of core.toolkit.links: a link (or a lesson) sets a lab's widgets once, hide= hides control groups, and
the
sidebar offers "Link to this setup".

``apply(lab)`` runs in ``ui.nav.lab_page`` after the kept settings are carried over and before any widget is drawn.
It applies the address's parameters when they differ from the ones this page last saw (so a link applies once,
then the user changes the widgets freely; a reload that recovers the tab's work does not apply it again, because
the parameters seen are kept with the settings: ui/persist.py and ui/server/recover.py). Values go through
``ui.persist.remember``, the same path as every kept setting, so they survive visits to other pages.

``shown(group)`` says whether a control group is visible; ``group(name)`` gives ``st`` when it is, otherwise a
stand-in whose widget calls draw nothing and return the widget's current value (the link's, the kept one, or the
widget's default), so a page hides a group by writing ``arch.slider(...)`` instead of ``st.slider(...)``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from core.echo import first_few
from core.toolkit import lessons
from core.toolkit import links as cl
from ui import persist

SEEN = "_links_seen"  # page -> the query (without sid) last seen on it
HIDE = "_links_hide"  # groups hidden in this session (sorted list)
LESSON = "_links_lesson"  # (lab, lesson name) of the open lesson, or None
MESSAGES = "_links_messages"  # page -> (query, messages about it)


def _lab_key(lab: Any) -> str:
    return lab if isinstance(lab, str) else lab.key


def _query() -> dict[str, str]:
    """The address's parameters (the last of repeated names), without the recovery token."""
    qp = st.query_params
    return {k: qp[k] for k in qp.keys() if k != "sid"}


def _signature(q: dict[str, str]) -> str:
    return urlencode(sorted(q.items()))


# ---------------------------------------------------------------------------------------------- hide
def hidden_groups() -> frozenset[str]:
    return frozenset(st.session_state.get(HIDE, ()))


def shown(group: str) -> bool:
    """False when the session's hide= lists ``group`` (one of core.toolkit.links.GROUPS)."""
    if group not in cl.GROUPS:
        raise ValueError(f"unknown control group {group!r}; the groups are {cl.GROUPS}")
    return group not in hidden_groups()


class Hidden:
    """Stands in for ``st`` (or a column) when a control group is hidden: draws nothing; a widget call returns the
    widget's current value (session state: the link's, the kept one), else the spec's default, else the default
    the call itself gives (so a helper's new widget still gets a sensible value)."""

    def _value(self, kind: str, args: tuple, kwargs: dict) -> Any:
        key = kwargs.get("key")
        ss = st.session_state
        p = next((cl.spec(lab).by_key().get(key) for lab in cl.LABS if key and key.startswith(lab)), None)
        if key is not None and key in ss and (p is None or p.encode(ss[key]) is not None):
            return ss[key]  # (a hidden corpus choice can't stay on "upload": an upload is never in a link)
        if p is not None and p.default is not None:
            return p.default
        return _call_default(kind, args, kwargs)

    def __getattr__(self, name: str):
        if name in _WIDGETS:
            return lambda *args, **kwargs: self._value(name, args, kwargs)
        if name in ("columns", "tabs"):
            return lambda spec, *a, **k: [Hidden() for _ in range(spec if isinstance(spec, int) else len(spec))]
        if name in ("container", "expander", "popover", "empty"):
            return lambda *a, **k: Hidden()
        return lambda *a, **k: None  # subheader, caption, markdown, …: nothing to draw

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_WIDGETS = (
    "slider",
    "select_slider",
    "number_input",
    "selectbox",
    "radio",
    "toggle",
    "checkbox",
    "text_input",
    "segmented_control",
    "pills",
)


def _call_default(kind: str, args: tuple, kwargs: dict) -> Any:
    """The value a widget call starts at, read from its arguments (Streamlit's own positional order)."""
    if kind in ("slider", "number_input"):  # (label, min, max, value)
        if "value" in kwargs:
            return kwargs["value"]
        return args[3] if len(args) > 3 else (args[1] if len(args) > 1 else kwargs.get("min_value"))
    if kind == "select_slider":  # (label, options, value)
        options = list(args[1] if len(args) > 1 else kwargs.get("options", ()))
        return kwargs.get("value", args[2] if len(args) > 2 else (options[0] if options else None))
    if kind in ("selectbox", "radio", "segmented_control", "pills"):  # (label, options, index)
        options = list(args[1] if len(args) > 1 else kwargs.get("options", ()))
        index = kwargs.get("index", args[2] if len(args) > 2 else 0)
        return options[index] if options and index is not None else None
    if kind in ("toggle", "checkbox"):  # (label, value)
        return kwargs.get("value", args[1] if len(args) > 1 else False)
    return kwargs.get("value", args[1] if len(args) > 1 else "")  # text_input


def group(name: str, where: Any = st):
    """``where`` (``st`` or a column) when the group is shown, else a Hidden stand-in."""
    return where if shown(name) else Hidden()


def tabs(titles: dict[str, bool], key: str) -> dict[str, Any]:
    """``st.tabs`` of the titles whose value is True (shown), in order; a hidden title gets an empty container, since
    what it holds checks ``shown()`` itself and draws nothing. Returns title -> where to draw.

    Every tab's content is drawn (a test, a screen reader's page find and a search all see it), but the page knows
    which tab is open (``is_open``: choosing a tab reruns the page), so a view that redraws itself on a timer while
    the lab trains runs its timer only in the open tab: a hidden one would take time from training for nothing."""
    on = [t for t, show in titles.items() if show]
    drawn = dict(zip(on, st.tabs(on, key=key, on_change="rerun"))) if on else {}
    return {t: drawn[t] if t in drawn else st.container() for t in titles}


def is_open(where: Any) -> bool:
    """Whether a container from ``tabs()`` is the open tab (any other container counts as open)."""
    return getattr(where, "open", None) is not False


def new_run_note(settings: dict[str, Any], where: Any = st) -> None:
    """The note "Changing the cell, size … starts a new run", naming only the settings hide= leaves on the page:
    ``settings`` maps the word the note uses to the setting's core.labs.settings.Param. Nothing when all are hidden."""
    words = [word for word, param in settings.items() if shown(param.group)]
    if not words:
        return
    named = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    where.caption(f"Changing the {named} starts a **new run**; the settings below apply to the current run.")


# ---------------------------------------------------------------------------------------------- applying a link
def _apply_values(lab_spec: cl.LabSpec, parsed: cl.Parsed) -> None:
    for key, value in parsed.values.items():
        persist.remember(key, value)
    if parsed.hide is not None:
        persist.remember(HIDE, sorted(parsed.hide))


def apply(lab: Any) -> None:
    """Apply the address's link (or lesson) to this lab's widgets, once. Call before any widget is drawn."""
    ss = st.session_state
    persist.keep(SEEN, HIDE, LESSON)
    lab_spec = cl.spec(_lab_key(lab))
    q = _query()
    sig = _signature(q)
    seen = dict(ss.get(SEEN, {}))
    if seen.get(lab_spec.page) == sig:
        return
    seen[lab_spec.page] = sig
    persist.remember(SEEN, seen)
    if not q:
        return
    problems: list[str] = []
    if "lesson" in q:
        lesson, problem = lessons.find(q["lesson"])
        if lesson is not None and lesson.lab != lab_spec.lab:
            other = dict(q)
            st.switch_page(f"pages/{cl.PAGES[lesson.lab]}.py", query_params=other)
        if lesson is None:
            problems.append(problem)
            q = {k: v for k, v in q.items() if k != "lesson"}
        else:
            persist.remember(LESSON, (lesson.lab, lesson.name))
            q = {**lesson.params, **{k: v for k, v in q.items() if k != "lesson"}}  # the address overrides the preset
    parsed = cl.parse_query(lab_spec, q)
    _apply_values(lab_spec, parsed)
    messages = dict(ss.get(MESSAGES, {}))
    messages[lab_spec.page] = (sig, problems + list(parsed.problems))
    ss[MESSAGES] = messages


def apply_preset(lesson: cl.Lesson) -> None:
    """Put a lesson's preset on the widgets again (a button callback: runs before the page draws)."""
    parsed = cl.parse_query(cl.spec(lesson.lab), lesson.params)
    _apply_values(cl.spec(lesson.lab), parsed)


def show_messages(lab: Any) -> None:
    """The messages about the address's link (bad values, unknown names) while the address still holds it, and
    which control groups are hidden."""
    page = cl.spec(_lab_key(lab)).page
    sig, messages = st.session_state.get(MESSAGES, {}).get(page, ("", []))
    if messages and sig == _signature(_query()):
        listed = "\n".join(f"- {m}" for m in first_few(messages))
        st.warning("**Some of this link's settings could not be used:**\n" + listed)
    hidden = [g for g in cl.GROUPS if g in hidden_groups()]
    if hidden:
        st.sidebar.caption(f"Hidden for this class: {', '.join(hidden)} controls (they keep the link's settings).")


# ---------------------------------------------------------------------------------------------- the setup's link
def current_values(lab: Any) -> dict[str, Any]:
    """The lab's settings widgets' current values (those not drawn yet are left out: their defaults apply)."""
    ss = st.session_state
    return {k: ss[k] for k in cl.spec(_lab_key(lab)).keys() if k in ss}


def base_path() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def setup_url(lab: Any) -> str:
    """The link (path + query) that re-creates the current setup of this lab's page: every setting, the hidden
    groups and the open lesson (lab: a core.labs.lab.Lab or its key)."""
    key = _lab_key(lab)
    lab_spec = cl.spec(key)
    lesson = st.session_state.get(LESSON)
    query = cl.setup_query(
        lab_spec, current_values(key), hide=hidden_groups(), lesson=lesson[1] if lesson and lesson[0] == key else None
    )
    return f"{base_path()}{lab_spec.page}?{query}"


def full_url(path: str) -> str:
    """``path`` with the address's scheme and host in front (as the browser shows it), when known."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # no browser (AppTest, bare mode): the path alone
        return path
    return f"{parts.scheme}://{parts.netloc}{path}" if parts.scheme and parts.netloc else path


def link_control(lab: Any) -> None:
    """The sidebar's "Link to this setup": a copyable URL of the current settings."""
    if not shown("toolkit"):
        return
    with st.sidebar.expander("🔗 Link to this setup"):
        st.code(full_url(setup_url(lab)), language=None, wrap_lines=True)
        st.caption(
            "Opens this lab with these settings (the seed included); a class gets the same start. Add "
            "`&hide=upload,training` to hide control groups, e.g. for a lesson. Trained weights are not in the link."
        )
