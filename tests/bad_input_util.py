"""Shared helpers for the bad-input tests (issue #5): tests/test_bad_input_*.py, one file per lab or module.

The page helpers (``messages``, ``ok``, ``upload_text``) drive AppTest; the builders make the crafted inputs (texts,
MIDI bytes, model zips) in memory, so no test file carries data.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

import numpy as np
import pretty_midi
from streamlit.testing.v1 import AppTest

from core import midi_io

TEXT_UPLOAD = "Upload a .txt"
MUSIC_UPLOAD = "Upload MIDI files"


# ---------------------------------------------------------------------------------------------- helpers
def messages(at: AppTest) -> str:
    """Every error / warning / info on the page, one per line (for assertions and their failure output)."""
    return "\n".join(e.value for e in [*at.error, *at.warning, *at.info])


def ok(at: AppTest) -> None:
    assert not at.exception, at.exception


MARKDOWN_NAME = "[click me](https://example.com) ![img](http://127.0.0.1:9/p.png) **bold** $x$ <b>b</b>"  # + ".txt"


def markup_in(markdown: str) -> list[str]:
    """The HTML elements CommonMark makes of ``markdown`` besides its paragraphs, lists and the page's own emphasis
    (links, images, code, raw HTML): what a user's string must never turn into."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(markdown)
    return [t for t in re.findall(r"<(a|img|em|b|code|h\d|blockquote|hr)\b", rendered)]


def literal_text(markdown: str) -> str:
    """The text CommonMark shows for ``markdown`` (tags removed, entities decoded, core.echo's joiners taken out)."""
    from markdown_it import MarkdownIt

    from core.echo import JOINER

    return html.unescape(re.sub(r"<[^>]+>", "", MarkdownIt("commonmark").render(markdown))).replace(JOINER, "")


def text_of(n_lines=200, seed=0) -> str:
    rng = np.random.default_rng(seed)
    words = ["the", "king", "queen", "speaks", "and", "so", "we", "go", "to", "war", "love"]
    return "\n".join(f"{['ROMEO', 'JULIET', 'NURSE'][i % 3]}:\n" + " ".join(rng.choice(words, 8)) + ".\n" for i in range(n_lines))


def tune(seed: int, n: int = 60) -> bytes:
    """A small random C-major melody as MIDI bytes."""
    rng = np.random.default_rng(seed)
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    t = 0.0
    for _ in range(n):
        d = float(rng.choice([0.25, 0.5]))
        inst.notes.append(pretty_midi.Note(80, int(rng.choice([60, 62, 64, 65, 67, 69, 71, 72])), t, t + d))
        t += d
    pm.instruments.append(inst)
    return midi_io.midi_bytes(pm)


def orchestral_10_minutes() -> bytes:
    """Ten minutes at 120 bpm: 15 pitched instruments in eighth notes plus a drum kit (~40,800 notes)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    for k, program in enumerate([0, 40, 41, 42, 43, 56, 57, 58, 60, 68, 71, 73, 46, 48, 52]):
        inst = pretty_midi.Instrument(program=program)
        inst.notes.extend(pretty_midi.Note(70, 36 + 3 * k + (i * 7 + k) % 24, i * 0.25, i * 0.25 + 0.24) for i in range(2400))
        pm.instruments.append(inst)
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes.extend(pretty_midi.Note(90, 36 + i % 4, i * 0.125, i * 0.125 + 0.05) for i in range(4800))
    pm.instruments.append(kit)
    return midi_io.midi_bytes(pm)


def drums_only() -> bytes:
    pm = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(0, is_drum=True)
    kit.notes.extend(pretty_midi.Note(100, 36 + i % 3, i * 0.25, i * 0.25 + 0.1) for i in range(16))
    pm.instruments.append(kit)
    return midi_io.midi_bytes(pm)


def tiny_text_trainer(text: str, hidden: int = 16):
    from core.keras_model import RNNConfig
    from core.keras_trainer import SequenceTrainer
    from core.text_data import TextCorpus

    corpus = TextCorpus(text)
    cfg = RNNConfig(cell="lstm", hidden=hidden, embed_dim=8, seq_len=16, batch_size=4, learning_rate=1e-2, seed=0)
    return SequenceTrainer(corpus.vocab_size, cfg, corpus.sample_batch), corpus


def zip_of(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def keras_zip(model, chars, tmp_path, name="m") -> bytes:
    """A foreign Keras model packed like the page's export (model.keras + vocab.json)."""
    from core.model_zip import vocab_to_json

    path = tmp_path / f"{name}.keras"
    model.save(path)
    return zip_of({"model.keras": path.read_bytes(), "vocab.json": vocab_to_json(chars)})


# ---------------------------------------------------------------------------------------------- text uploads
def upload_text(at: AppTest, data: bytes, name: str = "t.txt") -> None:
    if at.radio(key="text_source").value != TEXT_UPLOAD:
        at.radio(key="text_source").set_value(TEXT_UPLOAD)
        at.run()
    at.file_uploader(key="text_upload").set_value((name, data, "text/plain"))
    at.run()
    ok(at)
