"""Reloading a tab brings its work back (core.server.recovery), and the page says what is kept and for how long.

``recover()`` runs first on every page (through ``ui.nav.start_page``). On a session's first run it reads the
token in the address (``?sid=…``) and this browser's key; if the store holds work under that token, made by
this browser, whose tab is gone (a reload, a dropped connection), the labs and their settings move into this
session. Otherwise the session gets a new token, and the page says why when there was work: the address was
copied from another browser, it is open in another tab, or the work expired. Every run then puts the token back
in the address (page changes drop query parameters) and registers the session's labs, and a background sweep
hibernates the labs of tabs that left (core.server.recovery).

The browser's key: a hash of the random token Streamlit keeps in the browser's ``_streamlit_xsrf`` cookie. The
server sets that cookie over HTTP (on /_stcore/health, which the page calls before it opens its WebSocket) and it
reaches every session's handshake (``st.context.cookies``), so it is there from a session's first run, stays the
same across reloads and tabs of one browser, and no other browser has it; a copied address does not carry it.
A cookie written by a script in the page (``st.html`` with ``unsafe_allow_javascript``, or a component) is
less sure: it is written only once the first run has drawn the page, so a reload right away can miss it, and
nothing tells the server whether it was written at all. With the cookie missing
(``server.enableXsrfProtection`` off) nothing can be claimed, so nothing is handed to the wrong browser.

Two tabs of one browser on the same address: the second starts with a fresh lab and the same settings, not a
copy of the models. A copy would double what a student's work holds in the server's memory, could only be taken
by pausing the first tab's training, and two tabs that look alike and then drift apart confuse more than a fresh
lab that says why it is fresh.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import weakref

import streamlit as st
from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string
from streamlit.web.server.starlette.starlette_server_config import XSRF_COOKIE_NAME

from core.labs.lab import Lab
from core.server.memory import release_memory
from core.server.recovery import EXPIRED, IN_USE, MAX_BYTES, OTHER_BROWSER, TTL_S, Claim, RecoveryStore
from core.toolkit import links
from ui import glossary

SWEEP_EVERY_S = 5.0  # how often tabs that left are looked for
_TOKEN = "_recovery_token"
_BROWSER = "_recovery_browser"  # this browser's key (see the module docstring)
_NOTE = "_recovered_note"  # (kind, text) to show once
_WIDGETS = "_persist_values"  # ui.persist's shadow copy of the settings widgets
_KEYS = "_persist_keys"
NOTE = (
    f"Reloading this tab keeps your work: it stays on this server for {TTL_S // 60} minutes after the tab is "
    "closed or reloaded, for this browser only: the sid in the address finds it. A server restart loses it: "
    "download your model to keep it."
)
OTHER_BROWSER_NOTE = (
    "This link was opened in another browser: your own models start fresh here, with the same settings. "
    "To show someone a model, use the hand-in download."
)
IN_USE_NOTE = (
    "This address is already open in another tab of this browser, which keeps its models: this tab starts "
    "fresh, with the same settings."
)
TAKEN_OVER_NOTE = "Another tab of this browser took this tab's work over: this tab starts fresh."
LOGGER = logging.getLogger(__name__)


def expired_note(minutes: int) -> str:
    return (
        f"The work kept for this address has expired (work is kept for {minutes} minutes after its tab closes, "
        "less when the server runs short of memory): this lab starts fresh."
    )


def _is_active(session_id: str) -> bool:
    """Whether a Streamlit session is connected (unknown, e.g. in tests without a server: yes, never take it over)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(session_id)


def _retire(session_id: str) -> None:
    """A session that is not connected never resumes: its tab, should it reconnect, gets a new session."""
    from streamlit.runtime import Runtime

    if Runtime.exists():
        Runtime.instance().mark_session_nonresumable(session_id)


def _sweep_forever(ref: "weakref.ReferenceType[RecoveryStore]") -> None:
    while (store := ref()) is not None:
        # models of tabs that left were just freed: collect and give the memory back to the system; otherwise only
        # hand back what sessions Streamlit dropped meanwhile let go of (a trim without a collection: cheap)
        release_memory(collect=bool(store.sweep()))
        del store
        time.sleep(SWEEP_EVERY_S)


@st.cache_resource(show_spinner=False)
def store() -> RecoveryStore:
    """The server's one store (shared by sessions only through unguessable tokens), with its sweeper."""
    s = RecoveryStore(_is_active, retire=_retire, ttl_s=TTL_S, max_bytes=MAX_BYTES)
    threading.Thread(target=_sweep_forever, args=(weakref.ref(s),), daemon=True, name="rnnp-recovery-sweep").start()
    return s


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


@functools.cache
def _warn_no_key() -> None:
    LOGGER.warning(
        "No %s cookie (server.enableXsrfProtection off?): reloaded tabs can't get their work back", XSRF_COOKIE_NAME
    )


def browser_key(cookie: str | None) -> str:
    """This browser's key from its XSRF cookie ("" without one). The cookie's mask changes with every response that
    sets it; the token inside does not. Only a hash is kept."""
    token, _ = decode_xsrf_token_string(cookie) if cookie else (None, None)
    if not token:
        _warn_no_key()
        return ""
    return hashlib.sha256(b"rnnp-recovery:" + token).hexdigest()


def link_settings(widgets: dict) -> dict:
    """The settings "Link to this setup" would carry (core.toolkit.links; an upload as the corpus is not one): what
    another
    browser gets from a copied address."""
    params = (p for lab in links.LABS for p in links.spec(lab).params)
    return {p.key: widgets[p.key] for p in params if p.key in widgets and p.encode(widgets[p.key]) is not None}


def _restore_settings(widgets: dict) -> None:
    ss = st.session_state
    ss[_WIDGETS] = dict(widgets)
    ss[_KEYS] = set(widgets)
    for key, value in widgets.items():
        ss[key] = value


def _refused(claim: Claim) -> None:
    """A fresh lab for this session, with the settings it may have and a word on why it is fresh."""
    if claim.refused == OTHER_BROWSER:
        _restore_settings(link_settings(claim.widgets))
        st.session_state[_NOTE] = ("info", OTHER_BROWSER_NOTE)
    elif claim.refused == IN_USE:
        _restore_settings(claim.widgets)
        st.session_state[_NOTE] = ("info", IN_USE_NOTE)
    elif claim.refused == EXPIRED:
        st.session_state[_NOTE] = ("info", expired_note(int(store().ttl_s // 60)))


def _let_go(owner: str, labs: dict) -> None:
    """Another session took this one's token over: drop the labs (they are that session's now), take a new token."""
    ss = st.session_state
    for key in labs:
        del ss[key]
    ss[_TOKEN] = store().new_token()
    st.query_params["sid"] = ss[_TOKEN]
    store().register(ss[_TOKEN], owner, {}, dict(ss.get(_WIDGETS, {})), browser=ss.get(_BROWSER, ""))
    ss[_NOTE] = ("info", TAKEN_OVER_NOTE)


def recover() -> None:
    ss = st.session_state
    owner = _session_id()
    if _TOKEN not in ss:
        ss[_BROWSER] = browser_key(st.context.cookies.get(XSRF_COOKIE_NAME))
        token = st.query_params.get("sid")
        claim = store().claim(token, owner, browser=ss[_BROWSER]) if token else None
        entry = claim.entry if claim is not None else None
        if entry is not None and entry.labs:
            for key, lab in entry.labs.items():
                ss[key] = lab
            _restore_settings(entry.widgets)
            steps = ", ".join(
                f"{lab.key}: step {lab.trainer.step:,}" for lab in entry.labs.values() if lab.trainer is not None
            )
            ss[_NOTE] = ("success", f"Welcome back: this tab's work was restored ({steps}).")
        else:
            if claim is not None:
                _refused(claim)
            token = store().new_token()
        ss[_TOKEN] = token
    if st.query_params.get("sid") != ss[_TOKEN]:
        st.query_params["sid"] = ss[_TOKEN]
    labs = {k: v for k, v in ss.items() if isinstance(v, Lab)}
    if not store().register(ss[_TOKEN], owner, labs, dict(ss.get(_WIDGETS, {})), browser=ss.get(_BROWSER, "")):
        _let_go(owner, labs)
    # the sid's explanation in the text itself, not in a tooltip: a tooltip's icon would be one more Tab stop in the
    # sidebar before every lab's Start
    st.sidebar.caption(NOTE + " " + glossary.help_for("sid"))
    note = ss.pop(_NOTE, None)
    if note:
        kind, text = note
        (st.success if kind == "success" else st.info)(text)
