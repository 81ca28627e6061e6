"""Links that set up a lab: every settings widget of a lab page <-> a query parameter in the address.

The parameters are the lab's settings (core.labs.settings: ``Lab.settings()``, a ``LabSpec`` of ``Param``s with the
codec between a widget value and its text in an address); this module reads them from the lab and knows no lab's
settings itself.

``parse_query(spec, query)`` turns an address's parameters into widget values; a bad value gives the widget's
default and a message naming the parameter (``Problem``), never an exception. ``encode_values(spec, values)``
is the other way: the current widget values -> query parameters (``setup_query``).

Three names are shared by every lab: ``hide`` (control groups, ``GROUPS``), ``lesson`` (a file in lessons/) and
``sid`` (ui/server/recover.py).

Lessons are Markdown files with a small front matter (``key: value`` lines between ``---``): title, lab, summary,
minutes, params (a query string: the preset, applied like a link) and hide. ``parse_lesson`` reads one.

What is simplified on purpose: uploads can't be in a link (only bundled corpora are), the upload's own
options (a name list's Latin-1 switch, a text's encoding) and view-only widgets (which piece to listen to, which
step the inspector shows) are left out, and a widget whose range depends on the corpus (the Music lab's
playback tempo, the piece to prime from) is checked against a fixed outer range; the page clamps the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode

from core.echo import joined
from core.labs.settings import GROUPS, LABS, PAGES, LabSpec, Param, lab_settings

__all__ = ["GROUPS", "PAGES", "LabSpec", "Param"]  # the settings' types, read here by the features and tests of links

ROOT = Path(__file__).resolve().parents[2]
LESSONS_DIR = ROOT / "lessons"
MIDI_DIR = ROOT / "data" / "midi"  # the Music lab's bundled styles (a lesson's hand-outs are files in them)

RESERVED = ("hide", "lesson", "sid")  # parameters every page shares (sid: ui/server/recover.py's token)
STREAMLIT_OWN = ("embed", "embed_options")  # Streamlit keeps these for itself: st.query_params never shows them
LEFT_OUT = "_left_out"  # how many parameters the server left out of an address too long to read (bounded_query)


def spec(lab: str) -> LabSpec:
    """The link parameters of a lab ("dino", "text", "music"): its settings."""
    return lab_settings(lab)


LABS = tuple(LABS)


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
    if lab_spec.implied is not None:  # what the values imply (the Text lab: a named cell's dropout)
        lab_spec.implied(values)
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
CLAIM = re.compile(r"^(\s*[-*] )\[([a-z0-9][a-z0-9-]{0,40})\] ")  # "- [id] text": a checked claim (lessons/README.md)


@dataclass(frozen=True)
class Claim:
    """One thing a lesson says the app will show, checked by tests/core/toolkit/test_lesson_claims.py."""

    id: str  # unique in its lesson, e.g. "clip-on-trains"; the file writes it as "- [id] text"
    text: str  # the sentence students read (without the id)


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
    claims: tuple[Claim, ...] = ()  # what the steps and questions say the app shows, each checked by a test

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
    body, claims = _claims("\n".join(lines[end + 1 :]).strip())
    seen = [c.id for c in claims]
    twice = sorted({i for i in seen if seen.count(i) > 1})
    if twice:
        raise LessonError(f"lesson {name}: claim ids must be unique, and {', '.join(twice)} appears more than once")
    return Lesson(name, meta["title"], meta["lab"], meta["summary"], minutes, params, body, downloads, order, claims)


def _claims(body: str) -> tuple[str, tuple[Claim, ...]]:
    """(the body as students read it, the claims): a list item "- [id] text" is a claim, shown as "- text"."""
    shown, claims = [], []
    for line in body.splitlines():
        m = CLAIM.match(line)
        if m:
            line = m.group(1) + line[m.end() :]
            claims.append(Claim(m.group(2), line[len(m.group(1)) :].strip()))
        shown.append(line)
    return "\n".join(shown), tuple(claims)


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
