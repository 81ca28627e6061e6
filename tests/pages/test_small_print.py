"""The small print agrees with the page: the new-run note names only the settings on the page, and every uploader's
limit is the one the lab checks (Streamlit's own "… per file" under the uploader says the same number)."""

from __future__ import annotations

import pytest

from tests.pages.test_links import open_with


def _note(at) -> str:
    said = [c.value for c in at.caption if "starts a **new run**" in c.value]
    return said[0] if said else ""


@pytest.mark.parametrize(
    "hide, named, not_named",
    [
        ("", ["cell", "size", "layers", "embedding", "dropout", "seed", "text"], []),
        ("architecture", ["text"], ["cell", "size", "seed"]),
        ("architecture,upload", [], ["cell", "text"]),
    ],
)
def test_new_run_note_names_only_what_is_shown(hide, named, not_named):
    at = open_with("text", {"hide": hide} if hide else {})
    note = _note(at)
    assert bool(note) == bool(named), note
    for word in named:
        assert word in note
    for word in not_named:
        assert word not in note
