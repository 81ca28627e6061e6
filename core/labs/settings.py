"""Each lab's settings, in one place: the spec that the page's widgets, links, hide= and the kept settings all read.

A lab's ``LabSpec`` (``Lab.settings()``) lists its settings as ``Param``s: the name in a link, the widget key, the
kind of value, the default, the control group hide= hides it with, the range or the options, the step, and the
widget's label and help as the page shows them. ``ui/settings.py`` draws a widget from a ``Param``;
``core/toolkit/links.py`` turns an address into widget values with the codec below.

The codec is one pair per parameter, ``Param.decode(text) -> value`` and ``Param.encode(value) -> text``, with
``decode(encode(v)) == v`` for every value the widget can hold:

    int     "64"                      whole numbers in [lo, hi] (and on the slider's step grid, counted from lo)
    float   "0.85"                    numbers in [lo, hi] on the step grid (within 1e-9)
    choice  "lstm" / "0.003"          a slug for each option; numeric options are written with :g
    bool    "1" / "0"                 also read: true/false, yes/no, on/off
    text    "To be, or"               any text up to ``max_len`` characters

What is simplified on purpose: a setting whose range depends on the corpus (the Music lab's playback tempo, the
piece to prime from) has a fixed outer range here, and the page narrows it; an upload is a widget option but never a
spec option (a link can't hold one).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from core.models.trainer import MAX_SEED  # noqa: F401 - the seed widgets' range, read here by the pages

GROUPS = ("upload", "architecture", "training", "sampling", "inspector", "inside", "toolkit")  # what hide= can hide
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
WIDGETS = ("slider", "select_slider", "number_input", "selectbox", "radio", "checkbox", "toggle", "text_input")

# lab key -> (module, class, the page's url path): the labs, imported when their settings are first asked for
LABS = {
    "dino": ("core.labs.dino_lab", "DinoLab", "dinosaurs"),
    "text": ("core.labs.text_lab", "TextLab", "text"),
    "music": ("core.labs.music_lab", "MusicLab", "music"),
}
PAGES = {lab: page for lab, (_, _, page) in LABS.items()}  # lab key -> url path (app.py's st.Page url_path)


@dataclass(frozen=True)
class Param:
    """One setting: its name in the address, the widget it sets and how the page draws that widget."""

    name: str  # name in the address, e.g. "hidden"
    key: str  # the widget's session-state key, e.g. "text_hidden"
    kind: str  # "int" | "float" | "choice" | "bool" | "text"
    default: Any  # the widget's default value (None: the page picks it, e.g. from the corpus)
    group: str  # the control group hide= uses for it (one of GROUPS)
    lo: float | None = None  # smallest allowed (int, float)
    hi: float | None = None  # largest allowed (int, float)
    step: float | None = None  # grid counted from lo (slider step); None: any value in range
    options: tuple[tuple[str, Any], ...] = ()  # choice: (slug in the address, widget value)
    max_len: int = 500  # text: longest accepted
    help: str = ""  # the widget's help as the page shows it ("" none)
    hideable: bool = True  # False: drawn by a module that doesn't take hide= yet (its group can't hide it)
    label: str = ""  # the widget's label on the page
    widget: str = ""  # the Streamlit widget that draws it (one of WIDGETS)
    nudge: float | None = None  # a number_input's +/- step when the link takes any value in range (step is None)
    fmt: str = ""  # how the widget writes a number (a format spec: "g"); "" Streamlit's own
    names: tuple[tuple[Any, str], ...] = ()  # choice: (widget value, the words the widget shows for it)

    def values(self) -> list[Any]:
        """A choice's widget values, in order."""
        return [v for _, v in self.options]

    def span(self) -> tuple[Any, Any]:
        """The smallest and largest value the widget can hold: a number's range, a numeric choice's extremes."""
        if self.kind == "choice":
            return min(self.values()), max(self.values())
        return self.lo, self.hi

    def allowed(self) -> str:
        """What the parameter accepts, for messages."""
        if self.kind == "choice":
            return "one of " + ", ".join(s for s, _ in self.options)
        if self.kind == "bool":
            return "1 or 0"
        if self.kind == "text":
            return f"text of at most {self.max_len} characters"
        grid = f" in steps of {self.step:g}" if self.step else ""
        if self.kind == "int":
            return f"a whole number from {int(self.lo)} to {int(self.hi)}{grid}"
        return f"a number from {self.lo:g} to {self.hi:g}{grid}"

    def decode(self, text: str) -> Any:
        """The widget value a parameter's text stands for; ValueError (with a reason) when it isn't allowed."""
        t = text.strip()
        if self.kind == "text":
            if len(text) > self.max_len:
                raise ValueError(f"is {len(text)} characters long; at most {self.max_len} are allowed")
            return text
        if self.kind == "bool":
            if t.lower() in TRUE:
                return True
            if t.lower() in FALSE:
                return False
            raise ValueError("must be 1 or 0")
        if self.kind == "choice":
            for slug, value in self.options:
                if t.lower() == slug.lower():
                    return value
            x = _number(t)
            for slug, value in self.options:  # numeric options also match by value: lr=1e-2 is lr=0.01
                if isinstance(value, float) and x is not None and math.isclose(x, value, rel_tol=1e-9):
                    return value
            raise ValueError(f"must be {self.allowed()}")
        x = _number(t)
        if x is None:
            raise ValueError(f"is not a number (it must be {self.allowed()})")
        if self.kind == "int":
            if x != int(x):
                raise ValueError(f"must be a whole number ({self.allowed()})")
            x = int(x)
        if not self.lo <= x <= self.hi:
            raise ValueError(f"is out of range (it must be {self.allowed()})")
        if self.step:
            k = (x - self.lo) / self.step
            if abs(k - round(k)) > 1e-6:
                raise ValueError(f"must be {self.allowed()}")
            if self.kind == "float":
                x = round(self.lo + round(k) * self.step, 10)  # the grid value itself: 0.8 stays 0.8
        return float(x) if self.kind == "float" else x

    def encode(self, value: Any) -> str | None:
        """The parameter's text for a widget value (None when the value can't be in a link, e.g. an upload)."""
        if self.kind == "choice":
            for slug, v in self.options:
                if v == value:
                    return slug
            return None
        if self.kind == "bool":
            return "1" if value else "0"
        if self.kind == "text":
            return str(value)
        if self.kind == "int":
            return str(int(value))
        short = f"{float(value):g}"
        return short if float(short) == float(value) else repr(float(value))  # 0.05 stays short; 1234567.5 exact

    def nearest(self, value: Any) -> Any:
        """The widget value closest to ``value`` (a loaded model's setting -> a widget position): a numeric
        choice's nearest option on a log scale, a number as the widget's type, anything else as it is (a loaded
        model was checked against the ranges before)."""
        if self.kind == "choice" and all(isinstance(v, (int, float)) and v > 0 for v in self.values()):
            return min(self.values(), key=lambda o: abs(math.log(o) - math.log(value)))
        if self.kind in ("int", "float"):
            return int(value) if self.kind == "int" else float(value)
        return value


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class LabSpec:
    """A lab's settings."""

    lab: str  # the lab's key (core.labs.lab.Lab.key): "dino", "text", "music"
    page: str  # its url path: "dinosaurs", "text", "music"
    title: str  # for messages and the home page
    params: tuple[Param, ...]  # in the order the link lists them
    kept: tuple[str, ...] = ()  # more widget keys kept across pages that a link can't set (an upload's options)
    implied: Callable[[dict[str, Any]], None] | None = None  # fills in what a link's values imply (key -> value)

    def __getitem__(self, name: str) -> Param:
        """The setting called ``name`` in links."""
        return self.by_name()[name]

    def by_name(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    def by_key(self) -> dict[str, Param]:
        return {p.key: p for p in self.params}

    def keys(self, group: str | None = None) -> list[str]:
        return [p.key for p in self.params if group is None or p.group == group]

    def keep(self) -> tuple[str, ...]:
        """Every widget key the page keeps across visits to other pages (ui/persist.py)."""
        return (*self.keys(), *self.kept)

    def widget_values(self, **by_name: Any) -> dict[str, Any]:
        """Widget key -> value for settings given by name, each moved to the nearest value its widget can hold
        (a loaded model's config -> the page's widgets)."""
        return {self[name].key: self[name].nearest(value) for name, value in by_name.items()}


# ---------------------------------------------------------------------------------------------- building a spec
def ints(name, key, default, group, lo, hi, step=None, *, label, widget="slider", help="", nudge=None) -> Param:
    return Param(
        name, key, "int", default, group, lo=lo, hi=hi, step=step, label=label, widget=widget, help=help, nudge=nudge
    )


def floats(name, key, default, group, lo, hi, step=None, *, label, widget="slider", help="", **more) -> Param:
    return Param(
        name, key, "float", default, group, lo=lo, hi=hi, step=step, label=label, widget=widget, help=help, **more
    )


def choice(name, key, default, group, options, *, label, widget="select_slider", help="", names=(), fmt="") -> Param:
    """``options``: (slug, value) pairs, or plain numbers (their slug is :g); ``names``: value -> the words shown."""
    pairs = tuple(o if isinstance(o, tuple) else (f"{o:g}", o) for o in options)
    shown = tuple(names.items()) if isinstance(names, dict) else tuple(names)
    return Param(
        name, key, "choice", default, group, options=pairs, label=label, widget=widget, help=help, names=shown, fmt=fmt
    )


def same(values: Sequence[str]) -> list[tuple[str, str]]:
    """Options whose slug in a link is the widget value itself."""
    return [(v, v) for v in values]


def flag(name, key, default, group, *, label, widget="checkbox", help="") -> Param:
    return Param(name, key, "bool", default, group, label=label, widget=widget, help=help)


def text(name, key, group, max_len, *, label, help="") -> Param:
    return Param(name, key, "text", "", group, max_len=max_len, label=label, widget="text_input", help=help)


def seed(key: str, help: str) -> Param:
    """The seed of a model's weights (and its data order)."""
    return ints("seed", key, 0, "architecture", 0, MAX_SEED, label="Seed", widget="number_input", help=help)


def sample_seed(key: str, name: str = "sample_seed") -> Param:
    """The seed of sampling."""
    return ints(name, key, 0, "sampling", 0, MAX_SEED, label="Sampling seed", widget="number_input")


def unit_choices(unit: str) -> list[str]:
    """The loss chart's units: nats and bits per ``unit``, and perplexity when the loss is per token (not per name)."""
    return [f"nats per {unit}", f"bits per {unit}"] + ([] if unit == "name" else ["perplexity"])


def units(lab: str, unit: str) -> Param:
    """The loss chart's unit switch (ui/loss_chart.py: key ``<lab>_y``); its slug is the choice's first word."""
    options = [(c.split()[0], c) for c in unit_choices(unit)]
    return choice("unit", f"{lab}_y", options[0][1], "training", options, label="Loss unit", widget="radio")


def schedule(key: str) -> Param:
    """The learning-rate schedule picker of the Keras labs (a change keeps the running model)."""
    from core.models.lr_schedule import LABELS, SCHEDULES

    return choice(
        "schedule",
        key,
        SCHEDULES[0],
        "training",
        same(SCHEDULES),
        label="Learning-rate schedule",
        widget="selectbox",
        names=LABELS,
        help="How the learning rate above changes while training. Changing it keeps the current model.",
    )


def stop_best(key: str, default: bool) -> Param:
    """ "Stop at the best validation" of the Keras labs."""
    return flag(
        "stop_best",
        key,
        default,
        "training",
        label="Stop at the best validation",
        widget="toggle",
        help="When the loss on the held-out part has risen clearly above its best (the model is memorising its "
        "training data), training stops by itself and the weights of the best validation come back.",
    )


def lab_class(key: str) -> type:
    """The lab class whose key is ``key`` (KeyError when there is none)."""
    if key not in LABS:
        raise KeyError(f"no lab called {key!r}")
    module, name, _ = LABS[key]
    return getattr(importlib.import_module(module), name)


def lab_settings(key: str) -> LabSpec:
    """The settings of the lab whose key is ``key``."""
    return lab_class(key).settings()
