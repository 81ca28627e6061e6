"""The app's look where the theme in .streamlit/config.toml cannot reach, and the "Reduce motion" setting.

``apply()`` runs on every page (through ``ui.nav.start_page``) and adds, once per page:

- CSS, from core/palette.py's colours: captions and other faded text at 4.5:1 or more (Streamlit draws them at
  60% opacity: 3.9:1 on white in its default theme); a visible focus ring (3 px, 6.6:1 on white) on every element
  that has keyboard focus, page links, tabs and the table toolbar included (Streamlit's own ring on them is 1.1:1
  or none); elements waiting for a redraw left unfaded (Streamlit fades them, and a faded caption falls below
  4.5:1; while a lab trains, its live area is waiting most of the time); and, when the browser asks for reduced
  motion (``@media (prefers-reduced-motion: reduce)``) or the setting is on, no CSS animation or transition
  (skeletons, expanders, tabs; spinners keep turning) and a still hourglass for Streamlit's running indicator (a
  timer swaps its icon 5 times a second); a roomier first screen (less space above the title while the sidebar is open,
  smaller titles and metric values; Start, Stop and Step side by side on a phone) and labels that wrap instead of
  ending in "…" (buttons, metrics), so nothing is cut on a tablet or a phone.
- a small script: formula areas that scroll sideways (KaTeX displays) become focusable (``tabindex=0``, named
  "formula") so the keyboard can scroll them; and the browser's reduced-motion preference is written to a cookie,
  which the server reads when the next session starts (a reload or a new tab) to set the setting's default.

``reduce_motion()``: the "Reduce motion" toggle in the sidebar. When on, ui/live.py redraws a training lab's
chart about every ``REDUCED_REDRAW_S`` seconds instead of about once a second (training runs as fast; only the
redraws are fewer).

Simplified on purpose: the server cannot read a media query, so the first visit of a browser that prefers reduced
motion gets the CSS at once but the slower redraws only from its next session (or when the toggle is switched on).
"""

from __future__ import annotations

import streamlit as st

from core import palette as pal
from ui import persist

KEY = "reduce_motion"  # the toggle's widget key (kept across pages)
COOKIE = "rnnp_reduce_motion"  # "1" when the browser prefers reduced motion (written by SCRIPT)
REDUCED_REDRAW_S = 5.0  # with reduced motion, a training chart redraws about this often (seconds)

_STILL = """
*:not([data-testid="stSpinnerIcon"]), *::before, *::after {
  animation-duration: 0.001ms !important;
  animation-iteration-count: 1 !important;
  transition-duration: 0.001ms !important;
  transition-delay: 0s !important;
  scroll-behavior: auto !important;
}
[data-testid="stStatusWidgetRunningIcon"] > * {
  display: none !important;
}
[data-testid="stStatusWidgetRunningIcon"]::after {
  content: "⏳";
}
"""  # every CSS animation and transition ends at once, but spinners (work under way: Streamlit slows them itself
# under reduced motion, as a stopped one looks like a hung page); the running indicator, whose icon a timer swaps
# five times a second, shows a still hourglass instead

_CONTROLS_ROW = '[data-testid="stHorizontalBlock"]:has([class*="__start"]):not(:has([data-testid="stHorizontalBlock"]))'
# the row of Start, Stop and Step (ui/live.py: keys "<lab>__start", …): the innermost row that holds Start

CSS = f"""
<style>
[data-testid="stCaptionContainer"],
[data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] small,
[data-testid="stSliderTickBarMin"],
[data-testid="stSliderTickBarMax"],
small,
[data-testid="stMetricDelta"] {{
  color: {pal.MUTED} !important;
  opacity: 1 !important;
}}
[data-stale="true"] {{
  opacity: 1 !important;
}}
*:focus-visible,
[data-testid="stSidebarNav"] a:focus-visible,
[data-baseweb="tab"]:focus-visible,
[data-testid="stElementToolbar"] button:focus-visible {{
  outline: 3px solid {pal.FOCUS} !important;
  outline-offset: 2px !important;
}}
.katex-display:focus-visible {{
  outline-offset: 0 !important;
}}
[data-testid="stApp"]:has([data-testid="stSidebar"][data-collapsed="false"]) [data-testid="stMainBlockContainer"] {{
  padding-top: 2rem !important;
}}
@media (max-width: 639.98px) {{
  {_CONTROLS_ROW} {{
    flex-wrap: nowrap !important;
  }}
  {_CONTROLS_ROW} > [data-testid="stColumn"] {{
    min-width: 0 !important;
    flex: 1 1 0 !important;
  }}
}}
[data-testid="stMetricValue"] {{
  font-size: 1.75rem !important;
}}
[data-testid="stMainBlockContainer"] h1 {{
  font-size: 1.75rem !important;
  padding-top: 0 !important;
}}
button [data-testid="stMarkdownContainer"],
button [data-testid="stMarkdownContainer"] p,
[data-testid="stMetricLabel"],
[data-testid="stMetricLabel"] * {{
  white-space: normal !important;
  overflow: visible !important;
  text-overflow: clip !important;
}}
@media (prefers-reduced-motion: reduce) {{
{_STILL}
}}
</style>
"""

SCRIPT = f"""
<script>
(() => {{
  const w = window.parent && window.parent.document ? window.parent : window;
  const doc = w.document;
  const reduce = w.matchMedia && w.matchMedia("(prefers-reduced-motion: reduce)").matches;
  doc.cookie = "{COOKIE}=" + (reduce ? "1" : "0") + "; path=/; max-age=31536000; SameSite=Lax";
  if (w.__rnnpFocusable) return;
  w.__rnnpFocusable = true;
  const mark = () => {{
    for (const el of doc.querySelectorAll(".katex-display")) {{
      if (el.scrollWidth > el.clientWidth + 1) {{
        if (!el.hasAttribute("tabindex")) {{
          el.setAttribute("tabindex", "0");
          el.setAttribute("role", "group");
          el.setAttribute("aria-label", "formula (scrolls sideways)");
        }}
      }} else if (el.getAttribute("tabindex") === "0") {{
        el.removeAttribute("tabindex");
        el.removeAttribute("role");
        el.removeAttribute("aria-label");
      }}
    }}
  }};
  let queued = false;
  const later = () => {{
    if (queued) return;
    queued = true;
    w.requestAnimationFrame(() => {{ queued = false; mark(); }});
  }};
  new w.MutationObserver(later).observe(doc.body, {{ childList: true, subtree: true }});
  w.addEventListener("resize", later);
  mark();
}})();
</script>
"""


def apply() -> None:
    """The CSS and the script (once per page), and the "Reduce motion" toggle in the sidebar."""
    st.html(CSS + (f"<style>{_STILL}</style>" if reduce_motion() else ""))
    st.sidebar.html(SCRIPT, unsafe_allow_javascript=True)
    persist.keep(KEY)
    if KEY not in st.session_state:
        st.session_state[KEY] = st.context.cookies.get(COOKIE) == "1"
    st.sidebar.toggle(
        "Reduce motion",
        key=KEY,
        help=f"Charts redraw about every {REDUCED_REDRAW_S:g} s while training, with no animations.",
    )


def reduce_motion() -> bool:
    """Whether this session asked for reduced motion (the sidebar's toggle)."""
    return bool(st.session_state.get(KEY, False))
