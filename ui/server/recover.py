"""Reloading a tab brings its work back (core.server.recovery), and the page says what is kept and for how long.

``recover()`` runs first on every page (through ``ui.nav.start_page``). On a session's first run it reads the
token in the address (``?sid=…``); if the store holds work under it whose tab is gone (a reload, a dropped
connection), the labs and their settings move into this session. Otherwise the session gets a new token.
Every run then puts the token back in the address (page changes drop query parameters) and registers the
session's labs, and a background sweep hibernates the labs of tabs that left (core.server.recovery).
"""

from __future__ import annotations

import threading
import time
import weakref

import streamlit as st

from core.labs.lab import Lab
from core.server.memory import release_memory
from core.server.recovery import MAX_BYTES, TTL_S, RecoveryStore, new_token

SWEEP_EVERY_S = 5.0  # how often tabs that left are looked for
_TOKEN = "_recovery_token"
_WIDGETS = "_persist_values"  # ui.persist's shadow copy of the settings widgets
_KEYS = "_persist_keys"
NOTE = (
    f"Reloading this tab keeps your work: it stays on this server for {TTL_S // 60} minutes after the tab is "
    "closed or reloaded, under the `sid` in the address. A server restart loses it: download your model to keep it."
)


def _is_active(session_id: str) -> bool:
    """Whether a Streamlit session is connected (unknown, e.g. in tests without a server: yes, never take it over)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(session_id)


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
    s = RecoveryStore(_is_active, ttl_s=TTL_S, max_bytes=MAX_BYTES)
    threading.Thread(target=_sweep_forever, args=(weakref.ref(s),), daemon=True, name="rnnp-recovery-sweep").start()
    return s


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def recover() -> None:
    ss = st.session_state
    owner = _session_id()
    if _TOKEN not in ss:
        token = st.query_params.get("sid")
        entry = store().claim(token, owner) if token else None
        if entry is not None and entry.labs:
            for key, lab in entry.labs.items():
                ss[key] = lab
            ss[_WIDGETS] = dict(entry.widgets)
            ss[_KEYS] = set(entry.widgets)
            for key, value in entry.widgets.items():
                ss[key] = value
            steps = ", ".join(f"{lab.key}: step {lab.trainer.step:,}" for lab in entry.labs.values() if lab.trainer is not None)
            ss["_recovered_note"] = f"Welcome back: this tab's work was restored ({steps})."
        else:
            token = new_token()
        ss[_TOKEN] = token
    if st.query_params.get("sid") != ss[_TOKEN]:
        st.query_params["sid"] = ss[_TOKEN]
    labs = {k: v for k, v in ss.items() if isinstance(v, Lab)}
    store().register(ss[_TOKEN], owner, labs, dict(ss.get(_WIDGETS, {})))
    st.sidebar.caption(NOTE)
    note = ss.pop("_recovered_note", None)
    if note:
        st.success(note)
