"""The bundled lessons (lessons/*.md) as a catalogue: every lesson that reads, a message for each that doesn't, and
finding one by name. The files are parsed by core.toolkit.links (a lesson is a link preset with a guide); they are
read again when a file in the folder changes. What a lesson says the app will show is listed as claims (``- [id] text``
items, ``Lesson.claims``), each checked by tests/core/toolkit/test_lesson_claims.py (lessons/README.md)."""

from __future__ import annotations

import logging
from pathlib import Path

from core.toolkit import links as cl

log = logging.getLogger(__name__)
_cache: dict[Path, tuple[tuple, tuple[tuple[cl.Lesson, ...], tuple[str, ...]]]] = {}


def _stamp(folder: Path) -> tuple:
    """What changes when a lesson file is added, removed or edited."""
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.md")))


def catalogue(folder: Path = cl.LESSONS_DIR) -> tuple[tuple[cl.Lesson, ...], tuple[str, ...]]:
    """(every lesson that reads, in the home page's order; a message for each that doesn't)."""
    stamp = _stamp(folder)
    kept = _cache.get(folder)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    good, bad = [], []
    for name in cl.lesson_names(folder):
        try:
            good.append(cl.load_lesson(name, folder))
        except cl.LessonError as exc:
            bad.append(str(exc))
        except (OSError, UnicodeDecodeError, ValueError):
            log.exception("lesson %s could not be read", name)
            bad.append(f"The lesson {name} could not be read on this server (its file is missing or not UTF-8 text).")
    result = tuple(sorted(good, key=lambda les: (les.order, les.name))), tuple(bad)
    _cache[folder] = (stamp, result)
    return result


def forget() -> None:
    """Read the lesson files again on the next call (for a test that changes how they read)."""
    _cache.clear()


def find(name: str, folder: Path = cl.LESSONS_DIR) -> tuple[cl.Lesson | None, str]:
    """(the lesson, "") or (None, a message naming it)."""
    lessons = catalogue(folder)[0]
    for lesson in lessons:
        if lesson.name == name:
            return lesson, ""
    known = ", ".join(les.name for les in lessons) or "none"
    return (
        None,
        f"`lesson`: there is no lesson called `{cl.quote(name, 60)}` (the lessons are: {known}); the lab opens "
        "without one.",
    )
