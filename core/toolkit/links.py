"""Links that set up a lab: every settings widget of a lab page <-> a query parameter in the address.

A lab's ``LabSpec`` lists its parameters: the name in the address, the widget key it sets, its type, the allowed
range or options and the widget's default. The codec is one pair per parameter, ``Param.decode(text) -> value``
and ``Param.encode(value) -> text``, with ``decode(encode(v)) == v`` for every value the widget can hold:

    int     "64"                      whole numbers in [lo, hi] (and on the slider's step grid, counted from lo)
    float   "0.85"                    numbers in [lo, hi] on the step grid (within 1e-9)
    choice  "lstm" / "0.003"          a slug for each option; numeric options are written with :g
    bool    "1" / "0"                 also read: true/false, yes/no, on/off
    text    "To be, or"               any text up to ``max_len`` characters

``parse_query(spec, query)`` turns an address's parameters into widget values; a bad value gives the widget's
default and a message naming the parameter (``Problem``), never an exception. ``encode_values(spec, values)``
is the other way: the current widget values -> query parameters (``setup_query``).

``hideable=False`` marks a widget drawn by a module that doesn't take hide= yet (its group can't hide it). Three names
are shared by
every lab: ``hide`` (control groups, ``GROUPS``), ``lesson`` (a file in lessons/) and ``sid`` (ui/server/recover.py).

Lessons are Markdown files with a small front matter (``key: value`` lines between ``---``): title, lab, summary,
minutes, params (a query string: the preset, applied like a link) and hide. ``parse_lesson`` reads one.

What is simplified on purpose: uploads can't be in a link (only bundled corpora are), the upload's own
options (a name list's Latin-1 switch, a text's encoding) and view-only widgets (which piece to listen to, which
step the inspector shows) are left out, and a widget whose range depends on the corpus (the Music lab's
playback tempo, the piece to prime from) is checked against a fixed outer range; the page clamps the rest.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

from core.echo import joined
from core.music import style_label

ROOT = Path(__file__).resolve().parents[2]
LESSONS_DIR = ROOT / "lessons"
MIDI_DIR = (
    ROOT / "data" / "midi"
)  # the Music lab's bundled styles (folders of .mid files, as core.music.music_data reads them)

GROUPS = ("upload", "architecture", "training", "sampling", "inspector", "inside", "toolkit")  # what hide= can hide
RESERVED = ("hide", "lesson", "sid")  # parameters every page shares (sid: ui/server/recover.py's token)
STREAMLIT_OWN = ("embed", "embed_options")  # Streamlit keeps these for itself: st.query_params never shows them
LEFT_OUT = "_left_out"  # how many parameters the server left out of an address too long to read (bounded_query)
MAX_SEED = 2**31 - 1
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class Param:
    """One setting: its name in the address and the widget it sets."""

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
    help: str = ""  # one line for the docs and messages
    hideable: bool = (
        True  # False: drawn by a module that doesn't take hide= yet (ui/loss_chart.py, ui/labs/music_views.py)
    )

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
            for slug, value in self.options:  # numeric options also match by value: lr=1e-2 is lr=0.01
                if (
                    isinstance(value, float)
                    and _number(t) is not None
                    and math.isclose(_number(t), value, rel_tol=1e-9)
                ):
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


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class LabSpec:
    lab: str  # the lab's key (core.labs.lab.Lab.key): "dino", "text", "music"
    page: str  # its url path: "dinosaurs", "text", "music"
    title: str  # for messages and the home page
    params: tuple[Param, ...]  # in the order the link lists them

    def by_name(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    def by_key(self) -> dict[str, Param]:
        return {p.key: p for p in self.params}

    def keys(self, group: str | None = None) -> list[str]:
        return [p.key for p in self.params if group is None or p.group == group]


def _ints(name, key, default, group, lo, hi, step=None, help="", hideable=True):
    return Param(name, key, "int", default, group, lo=lo, hi=hi, step=step, help=help, hideable=hideable)


def _floats(name, key, default, group, lo, hi, step, help="", hideable=True):
    return Param(name, key, "float", default, group, lo=lo, hi=hi, step=step, help=help, hideable=hideable)


def _choice(name, key, default, group, options, help="", hideable=True):
    """``options``: (slug, value) pairs, or plain numbers (their slug is :g)."""
    pairs = tuple(o if isinstance(o, tuple) else (f"{o:g}", o) for o in options)
    return Param(name, key, "choice", default, group, options=pairs, help=help, hideable=hideable)


def _units(lab: str, unit: str, perplexity: bool) -> Param:
    """The loss chart's unit switch (ui/loss_chart.py: key ``<lab>_y``)."""
    options = [("nats", f"nats per {unit}"), ("bits", f"bits per {unit}")] + (
        [("perplexity", "perplexity")] if perplexity else []
    )
    return _choice("unit", f"{lab}_y", options[0][1], "training", options, help="the loss chart's unit")


# The Dinosaur page's inline option lists (pages/dinosaurs.py): the AppTest round trip checks they still match.
DINO_LR_OPTIONS = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DINO_SAMPLE_EVERY = (100, 250, 500, 1000, 2000, 5000)
MUSIC_BATCH = (2, 4, 8, 16, 32, 64, 128)
MUSIC_LR = (0.0003, 0.001, 0.003, 0.01, 0.03)
MUSIC_ARGMAX = "The most likely value, fed back (the course's way)"  # ui/labs/music_views.py's ARGMAX / SAMPLE labels
MUSIC_SAMPLE = "Sampling with temperature"


def music_styles(root: Path = MIDI_DIR) -> list[str]:
    """Folders of data/midi that hold a .mid file (the rule of core.music.music_data.bundled_styles, without
    pretty_midi)."""
    return sorted(d.name for d in root.iterdir() if d.is_dir() and any(d.glob("*.mid"))) if root.is_dir() else []


@functools.lru_cache(maxsize=None)
def spec(lab: str) -> LabSpec:
    """The link parameters of a lab ("dino", "text", "music"). Immutable, built once per process."""
    if lab == "dino":
        return LabSpec(
            "dino",
            "dinosaurs",
            "Dinosaur names",
            (
                _choice(
                    "corpus", "dino_source", "Bundled dinosaur names", "upload", [("dinos", "Bundled dinosaur names")]
                ),
                _ints("hidden", "dino_n_a", 50, "architecture", 1, 512, help="hidden size n_a"),
                _ints("seed", "dino_seed", 0, "architecture", 0, MAX_SEED),
                _choice("lr", "dino_lr", 0.01, "training", DINO_LR_OPTIONS),
                _ints("iterations", "dino_iters", 30_000, "training", 100, 500_000),
                Param(
                    "clip", "dino_clip_on", "bool", True, "training", help="clip gradients element-wise"
                ),  # ui/inside/dino_views.py
                Param("clip_value", "dino_clip", "float", 5.0, "training", lo=0.001, hi=1e6),
                _units("dino", "name", False),
                _choice("sample_every", "dino_sample_every", 1000, "training", DINO_SAMPLE_EVERY),
                _floats("temperature", "dino_temp", 1.0, "sampling", 0.0, 3.0, 0.05),
                _ints("n", "dino_how_many", 10, "sampling", 1, 100, help="names to sample"),
                _ints("sample_seed", "dino_sample_seed", 0, "sampling", 0, MAX_SEED),
            ),
        )
    if lab == "text":
        from core.labs.text_lab import (
            BATCH_OPTIONS,
            BUNDLED,
            HIDDEN_RANGE,
            LR_OPTIONS,
            MAX_DROPOUT,
            MAX_EMBED,
            MAX_PRIME,
            SEQ_OPTIONS,
        )
        from core.models.keras_model import CELL_NAMES, CELLS, RNNConfig
        from core.models.lr_schedule import SCHEDULES

        d = RNNConfig()
        corpora = [(Path(f).stem, label) for label, f in BUNDLED.items()]
        return LabSpec(
            "text",
            "text",
            "Text",
            (
                _choice("corpus", "text_source", next(iter(BUNDLED)), "upload", corpora),
                _choice(
                    "cell",
                    "text_cell",
                    d.cell,
                    "architecture",
                    [(c, c) for c in CELLS],
                    help="/".join(CELL_NAMES.values()),
                ),
                _ints("hidden", "text_hidden", d.hidden, "architecture", HIDDEN_RANGE[0], HIDDEN_RANGE[1], 16),
                _ints("layers", "text_layers", d.layers, "architecture", 1, 3),
                _ints("embedding", "text_embed", d.embed_dim, "architecture", 8, MAX_EMBED, 8),
                _floats("dropout", "text_dropout", d.dropout, "architecture", 0.0, MAX_DROPOUT, 0.05),
                _ints("seed", "text_seed", d.seed, "architecture", 0, MAX_SEED),
                _choice("window", "text_seq", d.seq_len, "training", SEQ_OPTIONS),
                _choice("batch", "text_batch", d.batch_size, "training", BATCH_OPTIONS),
                _choice("lr", "text_lr", d.learning_rate, "training", LR_OPTIONS),
                _choice(
                    "schedule",
                    "text_schedule",
                    SCHEDULES[0],
                    "training",
                    [(k, k) for k in SCHEDULES],
                    help="learning-rate schedule",
                ),
                Param("stop_best", "text_stop_best", "bool", False, "training", help="stop at the best validation"),
                _units("text", "character", True),
                Param("prime", "text_prime", "text", "", "sampling", max_len=MAX_PRIME),
                _ints("length", "text_len", 500, "sampling", 0, 2000),
                _floats("temperature", "text_temp", 0.8, "sampling", 0.0, 2.0, 0.05),
                _ints("top_k", "text_topk", 0, "sampling", 0, 10_000),
                _ints("sample_seed", "text_sample_seed", 0, "sampling", 0, MAX_SEED),
            ),
        )
    if lab == "music":
        from core.models.lr_schedule import SCHEDULES
        from core.music.music_audio import INSTRUMENTS  # pretty_midi: only on the Music page

        styles = music_styles()
        instruments = [(re.sub(r"\W+", "_", label.lower()), label) for label, _ in INSTRUMENTS]
        return LabSpec(
            "music",
            "music",
            "Music",
            (
                _choice(
                    "corpus",
                    "music_source",
                    style_label(styles[0]) if styles else None,
                    "upload",
                    [(s, style_label(s)) for s in styles],
                ),
                _ints("max_chord", "music_max_chord", 1, "architecture", 1, 4, help="notes kept per chord"),
                Param("transpose", "music_transpose", "bool", True, "architecture"),
                _choice("model", "music_model", "lstm", "architecture", [("lstm", "lstm"), ("course", "course")]),
                _ints("hidden", "music_hidden", 64, "architecture", 4, 512),
                _ints("seed", "music_seed", 0, "architecture", 0, MAX_SEED),
                _choice(
                    "graph",
                    "music_graph_mode",
                    "training",
                    "architecture",
                    [("training", "training"), ("inference", "inference")],
                ),
                _ints("window", "music_seq_len", 30, "training", 5, 100, help="snippet length"),
                _choice("batch", "music_batch", 32, "training", MUSIC_BATCH),
                _choice("lr", "music_lr", 0.003, "training", MUSIC_LR),
                _ints("max_steps", "music_max_steps", 2000, "training", 10, 100_000),
                _choice(
                    "schedule",
                    "music_schedule",
                    SCHEDULES[0],
                    "training",
                    [(k, k) for k in SCHEDULES],
                    help="learning-rate schedule (this lab's LSTM)",
                ),
                Param("stop_best", "music_stop_best", "bool", True, "training", help="stop at the best validation"),
                _units("music", "value", True),
                # the Compose controls (ui/labs/music_views.py) are hidden once that module takes hide=
                _choice(
                    "start",
                    "music_start",
                    "silence",
                    "sampling",
                    [("silence", "silence"), ("piece", "piece"), ("motif", "motif")],
                ),
                _ints("n", "music_n", 100, "sampling", 10, 400, help="values to generate"),
                _ints("bars", "music_bars", 4, "sampling", 1, 16),
                _choice(
                    "generation",
                    "music_gen",
                    MUSIC_ARGMAX,
                    "sampling",
                    [("argmax", MUSIC_ARGMAX), ("sample", MUSIC_SAMPLE)],
                ),
                _floats("temperature", "music_temp", 1.0, "sampling", 0.0, 2.0, 0.05),
                _ints("gen_seed", "music_gen_seed", 0, "sampling", 0, MAX_SEED),
                _ints("tempo", "music_tempo", None, "sampling", 40, 240, help="playback tempo (default: the corpus's)"),
                _choice("instrument", "music_instrument", INSTRUMENTS[0][0], "sampling", instruments),
                Param("motif", "music_motif", "text", "", "sampling", max_len=500),
                _ints(
                    "piece", "music_prime_piece", 0, "sampling", 0, 9_999, help="corpus piece to prime from (its index)"
                ),
                _ints("from_bar", "music_prime_from", 1, "sampling", 1, 10_000),
                _ints("prime_bars", "music_prime_bars", 2, "sampling", 1, 8),
            ),
        )
    raise KeyError(f"no lab called {lab!r}")


LABS = ("dino", "text", "music")
PAGES = {"dino": "dinosaurs", "text": "text", "music": "music"}  # lab -> url path (app.py's st.Page url_path)


# ---------------------------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Parsed:
    """What a link asks of a lab page."""

    values: dict[str, Any] = field(default_factory=dict)  # widget key -> value to set
    problems: tuple[str, ...] = ()  # one message per bad parameter, naming it
    hide: frozenset[str] | None = None  # groups to hide (None: the link says nothing about hiding)
    lesson: str | None = None  # lesson name, if any


def quote(text: str, limit: int = 40) -> str:
    """A value from an address, safe inside a Markdown code span (messages show it as typed, never as markup)."""
    text = text.replace("`", "'").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _names(names: list[str]) -> str:
    """Names from an address for a message: the first few as code spans, and how many more."""
    return joined([f"`{quote(n)}`" for n in names])


def parse_hide(text: str) -> tuple[frozenset[str], list[str]]:
    """``hide=upload,training`` -> ({"upload", "training"}, one message naming the unknown group names, bounded)."""
    groups, unknown = set(), []
    for part in text.split(","):
        g = part.strip().lower()
        if not g:
            continue
        if g in GROUPS:
            groups.add(g)
        else:
            unknown.append(part.strip())
    if not unknown:
        return frozenset(groups), []
    groups_are = f"the groups are {', '.join(GROUPS)}"
    if len(unknown) == 1:
        problem = f"`hide`: there is no control group called {_names(unknown)} ({groups_are}); it was ignored."
    else:
        problem = (
            f"`hide`: there are no control groups called {_names(unknown)} ({len(unknown):,} names; "
            f"{groups_are}); they were ignored."
        )
    return frozenset(groups), [problem]


def parse_query(lab_spec: LabSpec, query: Mapping[str, str], *, ignore: Iterable[str] = ()) -> Parsed:
    """Widget values from an address's parameters. A bad value -> the default, with a message naming the parameter.

    ``ignore``: other parameter names that are not this lab's but are not mistakes either (other features' own)."""
    params, values, problems, unknown = lab_spec.by_name(), {}, [], []
    hide = lesson = left_out = None
    skip = set(ignore)
    for name, text in query.items():
        if name == LEFT_OUT:
            left_out = text
        elif name == "hide":
            hide, more = parse_hide(text)
            problems += more
        elif name == "lesson":
            lesson = text.strip()
        elif name in RESERVED or name in skip:
            continue
        elif name in params:
            p = params[name]
            try:
                values[p.key] = p.decode(text)
            except ValueError as exc:
                shown = quote(text)
                if p.default is None:
                    problems.append(f"`{name}={shown}` {exc}; the page's own value is used.")
                else:
                    values[p.key] = p.default
                    problems.append(f"`{name}={shown}` {exc}; the default `{p.encode(p.default)}` is used.")
        else:
            unknown.append(name)
    if unknown:
        many = len(unknown) > 1
        count = f" ({len(unknown):,} names)" if many else ""
        problems.append(
            f"{_names(unknown)}{count}: the {lab_spec.title} lab has no setting called "
            f"{'any of these' if many else 'that'} (it has {', '.join(params)}); "
            f"{'they were' if many else 'it was'} ignored."
        )
    if left_out is not None:  # bounded_query's count (or whatever an address says it is: only a short number is read)
        n = int(left_out) if left_out.isdigit() and len(left_out) <= 9 else None
        some = "Some parameters were" if n is None else f"{n:,} more parameter{' was' if n == 1 else 's were'}"
        problems.append(f"{some} ignored: the address was too long to read them all.")
    if values.get("text_cell") is not None and "text_dropout" not in values:  # a link that names a cell and no dropout
        from core.models.keras_model import CELL_DROPOUT

        values["text_dropout"] = CELL_DROPOUT[
            values["text_cell"]
        ]  # gets that cell's default, as the page's Cell box does
    return Parsed(values, tuple(problems), hide, lesson)


def bounded_query(query: str, max_length: int, max_fields: int) -> str:
    """``query`` when it is within ``max_length`` characters and ``max_fields`` parameters; else its first whole
    parameters within both limits and ``LEFT_OUT=<how many were left out>`` (so that a page can say so)."""
    total = query.count("&") + 1
    if len(query) <= max_length and total <= max_fields:
        return query
    head = query[: max_length - 32]
    parts = head.split("&", max_fields - 1)
    if len(parts) == max_fields or len(head) < len(query):
        parts = parts[:-1]  # the rest of the query, or a parameter cut in the middle
    return "&".join([*parts, f"{LEFT_OUT}={total - len(parts)}"])


def encode_values(lab_spec: LabSpec, values: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters for widget values (key -> value); a missing key takes the widget's default. Values a link
    can't hold (an upload as the corpus) and parameters whose default is the page's own (not yet drawn) are left out."""
    out = {}
    for p in lab_spec.params:
        value = values.get(p.key, p.default)
        if value is None:
            continue
        text = p.encode(value)
        if text is not None:
            out[p.name] = text
    return out


def setup_query(
    lab_spec: LabSpec, values: Mapping[str, Any], *, hide: Iterable[str] = (), lesson: str | None = None
) -> str:
    """The query string of a setup: the lab's parameters, then hide= and lesson= when they are set."""
    q = encode_values(lab_spec, values)
    groups = [g for g in GROUPS if g in set(hide)]
    if groups:
        q["hide"] = ",".join(groups)
    if lesson:
        q["lesson"] = lesson
    return urlencode(q)


def parse_query_string(text: str) -> dict[str, str]:
    """``"a=1&b=x"`` -> {"a": "1", "b": "x"} (the last of repeated names wins, as st.query_params does)."""
    return dict(parse_qsl(text.lstrip("?"), keep_blank_values=True))


# ---------------------------------------------------------------------------------------------- lessons
LESSON_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
DOWNLOAD = re.compile(r"^[a-z0-9_]+/[A-Za-z0-9_.-]+\.mid$")  # a lesson's hand-out: style/file.mid, no paths above


@dataclass(frozen=True)
class Lesson:
    name: str  # file name without .md: what lesson= takes
    title: str  # first line of the panel
    lab: str  # "dino" | "text" | "music"
    summary: str  # one line for the home page
    minutes: int  # how long it takes in class
    params: dict[str, str]  # the preset: link parameters (may include hide)
    body: str  # Markdown: steps and questions
    downloads: tuple[str, ...] = ()  # bundled MIDI files the lesson hands out ("style/file.mid" under data/midi)
    order: int = 99  # place in the home page's list

    def query(self) -> str:
        """The lesson's link query (its preset is in the file; the link names only the lesson)."""
        return urlencode({"lesson": self.name})


class LessonError(ValueError):
    """A lesson file that can't be used, with the reason."""


def parse_lesson(name: str, text: str) -> Lesson:
    """A lesson file: ``---`` front matter (key: value lines) then the Markdown body."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise LessonError(f"lesson {name}: the file must start with a --- front matter block")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise LessonError(f"lesson {name}: the front matter has no closing ---") from None
    meta = {}
    for line in lines[1:end]:
        if line.strip() and not line.lstrip().startswith("#"):
            k, sep, v = line.partition(":")
            if not sep:
                raise LessonError(f"lesson {name}: front matter line without a colon: {line!r}")
            meta[k.strip()] = v.strip()
    missing = [k for k in ("title", "lab", "summary", "params") if k not in meta]
    if missing:
        raise LessonError(f"lesson {name}: front matter lacks {', '.join(missing)}")
    if meta["lab"] not in LABS:
        raise LessonError(f"lesson {name}: lab must be one of {', '.join(LABS)}, not {meta['lab']!r}")
    params = parse_query_string(meta["params"])
    if meta.get("hide"):
        params["hide"] = meta["hide"]
    downloads = tuple(d.strip() for d in meta.get("downloads", "").split(",") if d.strip())
    for d in downloads:
        if not DOWNLOAD.match(d) or not (MIDI_DIR / d).is_file():
            raise LessonError(
                f"lesson {name}: downloads lists {d!r}, which is not a bundled MIDI file (style/file.mid)"
            )
    try:
        minutes, order = int(meta.get("minutes", "20")), int(meta.get("order", "99"))
    except ValueError:
        raise LessonError(f"lesson {name}: minutes and order must be whole numbers") from None
    body = "\n".join(lines[end + 1 :]).strip()
    return Lesson(name, meta["title"], meta["lab"], meta["summary"], minutes, params, body, downloads, order)


def lesson_names(folder: Path = LESSONS_DIR) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.md") if LESSON_NAME.match(p.stem)) if folder.is_dir() else []


def load_lesson(name: str, folder: Path = LESSONS_DIR) -> Lesson:
    """The lesson called ``name``; LessonError when there is none (names are checked: no paths)."""
    if not LESSON_NAME.match(name or "") or name not in lesson_names(folder):
        known = ", ".join(lesson_names(folder)) or "none"
        raise LessonError(f"There is no lesson called “{name}”. The lessons are: {known}.")
    return parse_lesson(name, (folder / f"{name}.md").read_text(encoding="utf-8"))


def load_lessons(folder: Path = LESSONS_DIR) -> list[Lesson]:
    """Every lesson, in the order of their front matter's ``order`` (then by name)."""
    return sorted((load_lesson(n, folder) for n in lesson_names(folder)), key=lambda les: (les.order, les.name))
