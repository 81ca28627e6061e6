"""Colour-vision simulations for tests, numpy only: how a colour looks with deuteranopia, protanopia, or in greyscale,
and how far apart two colours look (CIELAB ΔE*ab, 1976).

Deuteranopia and protanopia use the severity-1.0 matrices of Machado, Oliveira & Fernandes (2009), "A
Physiologically-based Model for Simulation of Color Vision Deficiency", applied to linear RGB. Greyscale keeps the
WCAG relative luminance only (a black-and-white print, or a screen with colour filters set to greyscale).
"""

from __future__ import annotations

import numpy as np

from core import palette

MACHADO = {
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
}
SIMULATIONS = ("deuteranopia", "protanopia", "greyscale")
_LUMA = np.array([0.2126, 0.7152, 0.0722])  # linear RGB -> relative luminance (sRGB primaries, as WCAG)
_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)  # linear sRGB -> CIE XYZ (D65)
_WHITE_XYZ = _XYZ @ np.ones(3)


def linear(colour: str) -> np.ndarray:
    """'#rrggbb' -> linear RGB (3,), 0..1."""
    c = np.array(palette.rgb(colour), dtype=float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def simulate(colour: str, how: str) -> np.ndarray:
    """The linear RGB (3,) that someone with ``how`` (one of SIMULATIONS) sees for ``colour``."""
    lin = linear(colour)
    if how == "greyscale":
        return np.full(3, float(lin @ _LUMA))
    return np.clip(MACHADO[how] @ lin, 0.0, 1.0)


def lab(lin: np.ndarray) -> np.ndarray:
    """Linear RGB (3,) -> CIELAB (L*, a*, b*) under D65."""
    t = (_XYZ @ lin) / _WHITE_XYZ
    d = 6 / 29
    f = np.where(t > d**3, np.cbrt(t), t / (3 * d * d) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, how: str) -> float:
    """How far apart colours a and b look with ``how``: CIELAB ΔE*ab (2.3 is about one just-noticeable difference
    between two large patches side by side)."""
    return float(np.linalg.norm(lab(simulate(a, how)) - lab(simulate(b, how))))
