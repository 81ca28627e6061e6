"""Behind the class server (deploy/serve_class.py): tell a student whose replica stopped that its work is gone.

A class runs several Streamlit processes ("replicas" r1, r2, ...) behind HAProxy; a session lives in one of
them, and HAProxy keeps the tab on it with the RNNP_SRV cookie. When that replica stops, the tab's WebSocket
drops, the browser reconnects, and HAProxy sends it to a live replica, where Streamlit starts a new, empty
session. The models trained in the tab were in the stopped process and are gone; the page must say so.

``note_lost_replica()`` runs at the top of every page (through ``ui.nav.start_page``). Each replica knows its
own id from the RNNP_REPLICA environment variable (set by the class server; absent under plain
``streamlit run``, and then this does nothing). On a session's first run it reads the WebSocket handshake
(``st.context.headers``): a reconnecting tab asks to resume its old Streamlit session (the third entry of the
Sec-WebSocket-Protocol header). If this process never ran that session, the tab came from another replica
(or from this replica before a restart), and the message goes up at the top of the page, on every run, until
the student dismisses it.

Why not HAProxy's cookie: by the time the browser opens the new WebSocket, its health polls
(/_stcore/health) have already been redispatched to a live replica and HAProxy has rewritten the cookie to
that replica, so the handshake's cookie names the new replica, not the stopped one (measured with HAProxy
2.6 and Streamlit 1.67). So the message cannot say which replica stopped; it says which one the tab is on now.

A tab that was away longer than Streamlit keeps a disconnected session (about two minutes) asks to resume a
session this same process ran: that is not a lost replica (and ui.server.recover may bring its work back), so it
gets no message. The session ids this process has run are kept in a ``st.cache_resource`` set (one short
string per session; a class makes a few thousand at most).
"""

from __future__ import annotations

import os
import threading

import streamlit as st

REPLICA_ENV = "RNNP_REPLICA"  # this process's replica id, set by deploy/serve_class.py
_CHECKED = "_replica_checked"  # session_state: this session's first run has looked
_LOST = "_replica_lost_note"  # session_state: the message to show, until dismissed


class SeenSessions:
    """The Streamlit session ids this process has run (thread-safe: sessions run in threads of their own)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, session_id: str) -> None:
        with self._lock:
            self._ids.add(session_id)

    def __contains__(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._ids


@st.cache_resource(show_spinner=False)
def seen_sessions() -> SeenSessions:
    return SeenSessions()


def resume_request(protocol_header: str | None) -> str | None:
    """The session id a reconnecting tab asks to resume: the third entry of Sec-WebSocket-Protocol, else None.

    The frontend sends "streamlit, <xsrf token>, <previous session id>" (entries may be empty); Streamlit's
    server reads the same positions (streamlit/web/server/starlette/starlette_websocket.py).
    """
    if not protocol_header:
        return None
    entries = [e.strip() for e in protocol_header.split(",")]
    return entries[2] if len(entries) >= 3 and entries[2] else None


def came_from_elsewhere(resumed: str | None, session_id: str, seen: SeenSessions) -> bool:
    """Whether a session's first run is a tab that lost a session held by another process.

    ``resumed``: the session id the tab asked to resume (None for a fresh tab or a reload); ``session_id``:
    the session Streamlit gave it; ``seen``: the sessions this process has run.
    """
    return bool(resumed) and resumed != session_id and resumed not in seen


def message(me: str) -> str:
    return (
        f"The server process that held this tab's session has stopped, so this tab now runs on replica {me} in a "
        "fresh session. The models you trained in this tab were in that process and are gone: start training "
        "again here. To keep work from now on, save it with the download and export buttons (the Text lab's "
        "model .zip, the Music lab's MIDI)."
    )


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def note_lost_replica() -> None:
    """Call at the top of every page (ui.nav.start_page). Does nothing unless served by deploy/serve_class.py."""
    me = os.environ.get(REPLICA_ENV)
    if not me:
        return
    ss = st.session_state
    if not ss.get(_CHECKED):
        ss[_CHECKED] = True
        session_id, seen = _session_id(), seen_sessions()
        resumed = resume_request(st.context.headers.get("Sec-WebSocket-Protocol"))
        if came_from_elsewhere(resumed, session_id, seen):
            ss[_LOST] = message(me)
        seen.add(session_id)
    note = ss.get(_LOST)
    if note:
        st.warning(note, icon="⚠️")
        st.button("Dismiss this message", key="_replica_lost_dismiss", on_click=ss.pop, args=(_LOST, None))
