"""Keep Streamlit's script runner from clearing Keras after every run.

After each script run, fragment runs included, Streamlit 1.67 calls ``keras.backend.clear_session()``
(``streamlit.runtime.scriptrunner.script_runner._clean_problem_modules``), meant for apps that build a
new model on every rerun. This app keeps its models in session state, so the call only costs time: it
runs a full garbage collection (~0.15 s with TensorFlow loaded, more with many sessions) and empties
TensorFlow's kernel cache. A lab that trains live reruns its fragment about once a second, so it lost
about a third of its training time to this; and with a class of sessions the server spent whole cores
on it. ``keep_keras_session()`` replaces that cleanup with one that does the rest (closing matplotlib
figures) and leaves Keras alone. The same reason makes ``.streamlit/config.toml`` turn off
``runner.postScriptGC`` (a second full collection after every run); Python's own collector still runs.

This touches a private Streamlit function; the version is pinned in requirements.txt and
tests/ui/test_runner_tweak.py fails if the function disappears or the replacement is not in place.

``read_long_queries()`` is the other tweak: an address over Streamlit's limits is read up to them instead of not at
all, so that a page can say what it left out (tests/test_bad_input_links.py checks it is in place).
"""

from __future__ import annotations

import sys


def _clean_problem_modules_but_keras() -> None:
    """Streamlit's cleanup minus ``keras.backend.clear_session()``."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001, S110 - as in Streamlit: cleanup must never break a run
            pass


def keep_keras_session() -> bool:
    """Install the replacement (idempotent). Returns False when this Streamlit has no such function."""
    from streamlit.runtime.scriptrunner import script_runner

    if not hasattr(script_runner, "_clean_problem_modules"):
        return False
    script_runner._clean_problem_modules = _clean_problem_modules_but_keras
    return True


def read_long_queries() -> bool:
    """Streamlit 1.67 reads no parameter at all from an address over its limits (1,000 parameters, 512 Ki
    characters: ``streamlit.runtime.app_session.sanitize_query_string``), so a page could not say that a link was
    too long. Replace it with one that keeps the first parameters within the same limits and adds how many were left
    out (``core.toolkit.links.bounded_query``); ui.toolkit.links then says so. Returns False when this Streamlit has no
    such
    function."""
    from streamlit.runtime import app_session
    from streamlit.runtime.state import query_params

    from core.toolkit.links import bounded_query

    if not hasattr(app_session, "sanitize_query_string"):
        return False
    limits = (query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH, query_params.CLIENT_STATE_QUERY_STRING_MAX_FIELDS)
    app_session.sanitize_query_string = lambda query: bounded_query(query, *limits)
    return True
