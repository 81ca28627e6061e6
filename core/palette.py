"""The app's colours, in one place: every chart, coloured token and shaded letter reads them from here.

- ``SERIES``: line and marker colours, Okabe & Ito's colour-blind-safe set (2008), the light members darkened until
  each reaches 3:1 on white (WCAG 2.1 1.4.11, graphics) while keeping its hue. Colour is never the only channel:
  charts also differ by dash style, marker or label (core/charts.py).
- ``TEXT``, ``MUTED``, ``AXIS``, ``GRID``: chart text (4.5:1 or more on white and on the sidebar's grey), axis lines
  (3:1), grid lines (a light reading aid, not information: kept faint on purpose so the data stands out).
- ``diverging(x)``: a neuron's sign and size as an opaque background (blue below 0, white at 0, vermillion above);
  ``shade(s)``: an influence share 0..1 as an opaque background (white to dark red). ``text_on(bg)`` picks black or
  white letters for a background, whichever contrasts more; either always reaches 4.5:1 against an opaque
  background (the worst case, a background of luminance ~0.18, still gives 4.58:1).
- ``contrast(a, b)``: the WCAG 2.1 contrast ratio of two colours; ``luminance`` its relative luminance.

Simplified on purpose: one light theme (the app sets ``[theme]`` in .streamlit/config.toml to the same text colour);
colours are plain ``#rrggbb`` strings so plotly, CSS and the tests read them alike.
"""

from __future__ import annotations

import numpy as np

WHITE = "#ffffff"  # the page and chart background
SIDEBAR = "#f0f2f6"  # the sidebar's background (.streamlit/config.toml secondaryBackgroundColor)
TEXT = "#1f2328"  # body and chart text: 15.8:1 on white
MUTED = "#5e5e5e"  # captions, annotations and faint tokens: 6.5:1 on white, 5.8:1 on the sidebar
AXIS = "#767676"  # axis lines and outlines: 4.5:1 on white
GRID = "#dcdcdc"  # grid lines: a faint reading aid (the data and the axis lines carry the meaning)
LINK = "#0b5cad"  # links and the primary colour: 6.6:1 on white
FOCUS = "#0b5cad"  # the focus ring drawn around whatever has keyboard focus
INK = "#000000"  # letters on a coloured background (pure black: TEXT would fall to 4.0:1 on mid-tone backgrounds)

# Okabe-Ito: blue, vermillion, bluish green, reddish purple, orange, sky blue, black, yellow -> darkened to 3:1+.
SERIES = (
    "#0072b2",  # blue (5.2:1)
    "#c45500",  # vermillion, darkened (4.5:1)
    "#007a5e",  # bluish green, darkened (5.3:1)
    "#a8517f",  # reddish purple, darkened (5.1:1)
    "#9c6500",  # orange, darkened (4.9:1)
    "#2b6f9e",  # sky blue, darkened (5.4:1)
    "#3f3f3f",  # black, softened (10.5:1)
)
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")  # a second channel beside colour
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross")  # markers, one per series

TRAIN, VALIDATION = SERIES[0], SERIES[1]  # a run's training and validation loss
EARLIER = SERIES[2:]  # earlier runs on the loss chart
NEGATIVE, POSITIVE = SERIES[0], SERIES[1]  # a neuron below and above 0
PICKED = SERIES[1]  # the picked token in the inspector's heatmap
LIGHT, DARK = "#8fbde0", "#08519c"  # paired bars: before / after (the model at T = 1, what was sampled from)
INFLUENCE = "#a50f15"  # the darkest influence shade (the largest share)
BOXES = {"cell": "#c6dbef", "dense": "#fdd0a2", "x": "#e5e5e5", "y": "#c7e9c0"}  # the unrolled graph's box fills
DENSE_TEXT = "#a63603"  # the unrolled graph's note on its Dense boxes (6.7:1 on white)
BASELINES = {
    "uniform": "#5e5e5e",
    "unigram": "#8c564b",
    "bigram": "#8a6d00",
    "trigram": "#0e6e7a",
}  # dark enough for their labels, which sit on the lines (4.9:1 or more)
BASELINE_DASHES = {"uniform": "dash", "unigram": "dot", "bigram": "dashdot", "trigram": "longdash"}


def rgb(colour: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b), 0..255."""
    h = colour.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def hex_of(r: float, g: float, b: float) -> str:
    """(r, g, b) 0..255 -> '#rrggbb' (rounded, clipped)."""
    return "#" + "".join(f"{int(round(min(255.0, max(0.0, c)))):02x}" for c in (r, g, b))


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour, 0 (black) .. 1 (white)."""
    c = np.array(rgb(colour), dtype=float) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(lin @ np.array([0.2126, 0.7152, 0.0722]))


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours, 1 .. 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(colour: str, amount: float, base: str = WHITE) -> str:
    """``colour`` laid over ``base`` with opacity ``amount`` (0..1), as an opaque colour (what the eye sees)."""
    a = float(np.clip(amount, 0.0, 1.0))
    c, w = np.array(rgb(colour), float), np.array(rgb(base), float)
    return hex_of(*(a * c + (1.0 - a) * w))


def text_on(background: str) -> str:
    """Black or white letters for ``background``, whichever contrasts more (always 4.58:1 or more)."""
    return INK if contrast(INK, background) >= contrast(WHITE, background) else WHITE


def diverging(x: float) -> str:
    """A signed value x in [-1, 1] (clipped; NaN counts as 0) as an opaque background: blue below 0, vermillion
    above, white at 0, the colour's strength growing with |x|."""
    x = 0.0 if not np.isfinite(x) else float(np.clip(x, -1.0, 1.0))
    return mix(POSITIVE if x >= 0 else NEGATIVE, abs(x))


def shade(share: float) -> str:
    """An influence share in [0, 1] (clipped) as an opaque background, white (none) to dark red (the largest)."""
    s = 0.0 if not np.isfinite(share) else float(np.clip(share, 0.0, 1.0))
    return mix(INFLUENCE, s)


def plotly_scale(colour_of, steps: int = 11, lo: float = 0.0, hi: float = 1.0) -> list[list]:
    """A plotly colour scale sampled from ``colour_of`` at ``steps`` points of [lo, hi] (positions 0..1)."""
    return [[k / (steps - 1), colour_of(lo + (hi - lo) * k / (steps - 1))] for k in range(steps)]


NEURON_SCALE = plotly_scale(diverging, 11, -1.0, 1.0)  # the piano roll's colours, the same as the letters'
INFLUENCE_SCALE = plotly_scale(shade, 11)  # share of the largest gradient norm
