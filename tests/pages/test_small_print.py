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


@pytest.mark.parametrize("page", ["pages/dinosaurs.py", "pages/text.py"])
def test_every_caption_using_a_glossary_word_explains_it_in_its_tooltip(page):
    from core.glossary import explain, found_in
    from tests.support.apptest import open_page

    at = open_page(page)
    seen = set()
    for c in at.caption:
        for term in found_in(c.value):
            if "sid" == term:
                continue  # the sidebar's note (ui/server/recover.py), checked below
            seen.add(term)
            assert explain(term) in c.proto.help, (term, c.value, c.proto.help)
    assert "nats" in seen, seen  # the loss chart's caption at least
    note = [c for c in at.sidebar.caption if "sid" in found_in(c.value)]
    # the sid's explanation is in the note's own text: a tooltip's icon would be one more Tab stop before Start
    assert note and explain("sid") in note[0].value and not note[0].proto.help, note
