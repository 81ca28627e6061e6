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
  smaller titles and metric values; Start, Stop and Step, and the live area's counters, side by side on a phone,
  and its live sample in a smaller font) and labels that wrap instead of
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

FIRST_SCREEN = "first_screen"  # ui.live.first_screen's container key; its parts' keys add "_<part>"
FIRST_SCREEN_PARTS = ("controls", "live", "settings")  # in the page's order, which is a phone's
_PART = f"[data-testid='stLayoutWrapper']:has(> .st-key-{FIRST_SCREEN}_{{}})"  # a part's box in the grid

_CONTROLS_ROW = '[data-testid="stHorizontalBlock"]:has([class*="__start"]):not(:has([data-testid="stHorizontalBlock"]))'
# the row of Start, Stop and Step (ui/live.py: keys "<lab>__start", …): the innermost row that holds Start
_METRICS_ROW = (
    f".st-key-{FIRST_SCREEN}_live "
    '[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"])'
)
# a row of counters in the live area: on a phone it stays a row (smaller), so the chart comes sooner after Start

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
  {_METRICS_ROW} {{
    flex-wrap: nowrap !important;
    gap: 0.5rem !important;
  }}
  {_METRICS_ROW} > [data-testid="stColumn"] {{
    min-width: 0 !important;
    flex: 1 1 0 !important;
  }}
  {_METRICS_ROW} [data-testid="stMetricLabel"] p {{
    font-size: 0.8rem !important;
  }}
  {_METRICS_ROW} [data-testid="stMetricValue"] {{
    font-size: 1.25rem !important;
  }}
  .st-key-{FIRST_SCREEN}_live [data-testid="stCode"] code {{
    font-size: 0.75rem !important;
  }}
}}
@media (min-width: 640px) {{
  .st-key-{FIRST_SCREEN} {{
    display: grid !important;
    grid-template-columns: minmax(0, 1fr) minmax(0, 2fr);
    grid-template-rows: auto 1fr;
    column-gap: 2rem;
    align-items: start;
  }}
  .st-key-{FIRST_SCREEN} > {_PART.format("controls")} {{ grid-area: 1 / 1; }}
  .st-key-{FIRST_SCREEN} > {_PART.format("settings")} {{ grid-area: 2 / 1; }}
  .st-key-{FIRST_SCREEN} > {_PART.format("live")} {{ grid-area: 1 / 2 / 3 / 3; }}
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
[data-testid="stSidebar"][data-collapsed="true"],
[data-testid="stSidebar"][data-collapsed="true"] * {{
  visibility: hidden !important;
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
    // a chart is one named figure (st.plotly_chart's alt): its tick labels and hover boxes, scattered numbers out of
    // context, are hidden from screen readers; the summary before it and "Show the numbers" carry its values
    for (const el of doc.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {{
      if (!el.hasAttribute("aria-hidden")) el.setAttribute("aria-hidden", "true");
    }}
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
    w.requestAnimationFrame(() => {{ queued = false; mark(); keep(); }});
  }};
  // focus stays where the student works: a rerun that replaces or disables the focused control drops the focus to
  // the page's body; put it back on the control of the same widget key (the "st-key-" + key class Streamlit puts on
  // its container), or, when that control is now disabled (Start while training), on the nearest enabled control
  // of its row, the earlier one on a tie (Stop, then Start again)
  const FOCUSABLE = 'button, input, textarea, select, a[href], [role="slider"], [role="tab"], [tabindex="0"]';
  let last = null;  // the control that had focus: its key class, tag, role, aria-label and text
  const keyOf = (el) => {{
    const box = el.closest('[class*="st-key-"]');
    return box ? [...box.classList].find((c) => c.startsWith("st-key-")) : null;
  }};
  const usable = (el) => !el.disabled && el.getAttribute("aria-disabled") !== "true" && el.checkVisibility()
    && !el.closest('[data-stale="true"]');
  const twin = (d) => {{
    const box = d.key ? doc.querySelector("." + w.CSS.escape(d.key)) : doc;
    if (!box) return null;
    const all = [...box.querySelectorAll(FOCUSABLE)].filter((el) => el.tagName === d.tag
      && (el.getAttribute("role") || "") === d.role);
    const same = all.filter((el) => (el.getAttribute("aria-label") || "") === d.label
      && (d.key || (el.innerText || "").trim() === d.text));
    return same[0] || (d.key ? all[0] : null) || null;
  }};
  const neighbour = (el) => {{
    const row = el.closest('[data-testid="stHorizontalBlock"]');
    if (!row || row.querySelector('[data-stale="true"]')) return null;  // the row is still being redrawn: wait
    const items = [...row.querySelectorAll(FOCUSABLE)];
    const i = items.indexOf(el);
    for (let k = 1; k < items.length; k++) {{
      for (const j of [i - k, i + k]) if (items[j] && usable(items[j])) return items[j];
    }}
    return null;
  }};
  doc.addEventListener("focusin", (e) => {{
    const el = e.target;
    last = el === doc.body ? last : {{ key: keyOf(el), tag: el.tagName, role: el.getAttribute("role") || "",
      label: el.getAttribute("aria-label") || "", text: (el.innerText || "").trim() }};
  }}, true);
  doc.addEventListener("pointerdown", (e) => {{ if (!e.target.closest || !e.target.closest(FOCUSABLE)) last = null; }},
    true);  // a click on the page itself moves the focus there on purpose
  const keep = () => {{
    const now = doc.activeElement;
    if (!last || (now && now !== doc.body) || !doc.hasFocus()) return;
    const el = twin(last);
    if (!el || el.closest('[data-stale="true"]')) return;  // not drawn again yet: try at the next change
    const to = usable(el) ? el : neighbour(el);
    if (to) to.focus({{ preventScroll: true }});
  }};
  new w.MutationObserver(later).observe(doc.body, {{
    childList: true, subtree: true, attributes: true, attributeFilter: ["disabled", "data-stale", "aria-disabled"],
  }});
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
    st.sidebar.toggle("Reduce motion", key=KEY)
    # a caption, not a help icon: the icon would be one more Tab stop before every lab's Start
    st.sidebar.caption(f"Charts redraw about every {REDUCED_REDRAW_S:g} s while training, with no animations.")


def reduce_motion() -> bool:
    """Whether this session asked for reduced motion (the sidebar's toggle)."""
    return bool(st.session_state.get(KEY, False))
