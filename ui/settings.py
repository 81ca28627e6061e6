"""Settings widgets drawn from the lab's settings (core.labs.settings): a page says which setting to draw where, and
the key, label, range, step, options, default, help and hide= group come from the lab's spec.

``widget(param, where=st, **overrides)`` draws ``param`` with its widget in ``where`` (``st``, a column, a
container); a hidden group (ui.toolkit.links.group) draws nothing and gives the widget's value. ``overrides`` are
what only the page knows: a corpus-dependent default or label, an upload added to the options, ``disabled``,
``on_change``, ``horizontal``. Options given here replace the spec's (a corpus's pieces).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.labs.settings import Param
from ui.toolkit import links


def arguments(p: Param, **overrides: Any) -> dict[str, Any]:
    """The widget call's keyword arguments for ``p`` (the label included), with ``overrides`` applied."""
    kw: dict[str, Any] = {"label": p.label, "key": p.key}
    if p.help:
        kw["help"] = p.help
    if p.widget in ("slider", "number_input") and p.kind in ("int", "float"):
        num = int if p.kind == "int" else float
        step = p.step if p.widget == "slider" else p.nudge
        kw.update(min_value=num(p.lo), max_value=num(p.hi), value=None if p.default is None else num(p.default))
        if step:
            kw["step"] = num(step)
        if p.fmt:
            kw["format"] = f"%{p.fmt}"
    elif p.widget in ("select_slider", "selectbox", "radio"):
        kw["options"] = p.values()
        if p.names:
            kw["format_func"] = dict(p.names).get
        elif p.fmt:
            kw["format_func"] = lambda v: format(v, p.fmt)
    elif p.widget in ("checkbox", "toggle"):
        kw["value"] = bool(p.default)
    elif p.widget == "text_input" and p.default:
        kw["value"] = p.default  # (Streamlit's own default is empty)
    kw.update(overrides)
    options = kw.get("options")
    if p.widget == "select_slider":
        kw.setdefault("value", p.default)
    elif p.widget in ("selectbox", "radio") and "index" not in kw:
        options = list(options)
        kw["options"] = options
        kw["index"] = options.index(p.default) if p.default in options else 0
    return kw


def widget(p: Param, where: Any = st, **overrides: Any) -> Any:
    """Draw setting ``p`` in ``where`` (hidden with its hide= group); returns the widget's value."""
    kw = arguments(p, **overrides)
    label = kw.pop("label")
    place = links.group(p.group, where) if p.hideable else where
    return getattr(place, p.widget)(label, **kw)
