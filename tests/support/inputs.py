"""Crafted inputs, built in memory so that no test file carries data: texts, name lists, MIDI bytes, model zips."""

from __future__ import annotations

import functools
import html
import io
import re
import zipfile

import numpy as np
import pretty_midi

from core.music import midi_io
from core.music.midi_io import midi_bytes
from core.text.text_data import TextCorpus

# dinosaur names for the numpy lab's tests
NAMES = [
    "aardonyx",
    "abelisaurus",
    "achelousaurus",
    "achillobator",
    "acrocanthosaurus",
    "aegyptosaurus",
    "afrovenator",
    "agilisaurus",
    "alamosaurus",
    "albertaceratops",
    "allosaurus",
    "alvarezsaurus",
    "amargasaurus",
    "ammosaurus",
]


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


def make_text(n_lines=200, seed=0) -> str:
    """A play-like text: speaker lines and eight random words each (seeded)."""
    rng = np.random.default_rng(seed)
    words = ["the", "king", "queen", "speaks", "and", "so", "we", "go", "to", "war", "love"]
    return "\n".join(
        f"{['ROMEO', 'JULIET', 'NURSE'][i % 3]}:\n" + " ".join(rng.choice(words, 8)) + ".\n" for i in range(n_lines)
    )


@functools.lru_cache(maxsize=None)
def text_corpus() -> TextCorpus:
    """The corpus of ``make_text()``, built once (a TextCorpus is never changed after it is built)."""
    return TextCorpus(make_text())


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
        inst.notes.extend(
            pretty_midi.Note(70, 36 + 3 * k + (i * 7 + k) % 24, i * 0.25, i * 0.25 + 0.24) for i in range(2400)
        )
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
    from core.models.keras_model import RNNConfig
    from core.models.keras_trainer import SequenceTrainer
    from core.text.text_data import TextCorpus

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
    from core.files.model_zip import vocab_to_json

    path = tmp_path / f"{name}.keras"
    model.save(path)
    return zip_of({"model.keras": path.read_bytes(), "vocab.json": vocab_to_json(chars)})


def chord_100_once() -> bytes:
    """chord_100_once.mid: a single chord of 100 different pitches, struck once."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    inst.notes.extend(pretty_midi.Note(80, p, 0.0, 1.0) for p in range(14, 114))
    pm.instruments.append(inst)
    return midi_bytes(pm)


def one_repeated_note(n: int = 64) -> bytes:
    """one_repeated_note.mid: middle C as n quarter notes in a row (a vocabulary of 1)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    inst.notes.extend(pretty_midi.Note(80, 60, i * 0.5, i * 0.5 + 0.5) for i in range(n))
    pm.instruments.append(inst)
    return midi_bytes(pm)


ACCEPTED_OPTIONS = (  # every option value the model upload accepts, in models a student might build by hand
    "SimpleRNN, float input, other initializers",
    "LSTM, unit_forget_bias off, seed, Dropout",
    "GRU x2, Dropout after each, Dropout(0) first",
    "LSTM over fixed 16-step windows (not unrolled)",
    "GRU without an Input layer",
)


def accepted_option_model(variant: str, vocab: int, *, hidden: int, embed: int):
    """The Keras model (built) of one of ``ACCEPTED_OPTIONS`` over ``vocab`` tokens."""
    import keras

    L = keras.layers
    seq = {"return_sequences": True}
    init = {"kernel_initializer": "he_normal", "recurrent_initializer": "glorot_uniform", "bias_initializer": "ones"}
    tokens = keras.Input(shape=(None,), dtype="int32")
    layers = {
        ACCEPTED_OPTIONS[0]: [
            keras.Input(shape=(None,)),
            L.Embedding(vocab, embed),
            L.SimpleRNN(hidden, **seq, **init),
            L.Dense(vocab),
        ],
        ACCEPTED_OPTIONS[1]: [
            tokens,
            L.Embedding(vocab, embed),
            L.LSTM(hidden, **seq, unit_forget_bias=False, seed=3),
            L.Dropout(0.3, seed=1),
            L.Dense(vocab),
        ],
        ACCEPTED_OPTIONS[2]: [
            tokens,
            L.Embedding(vocab, embed),
            L.Dropout(0.0),
            L.GRU(hidden, **seq),
            L.Dropout(0.2),
            L.GRU(hidden, **seq, zero_output_for_mask=True),
            L.Dropout(0.2),
            L.Dense(vocab, kernel_initializer="zeros"),
        ],
        ACCEPTED_OPTIONS[3]: [
            keras.Input(shape=(16,), dtype="int32"),
            L.Embedding(vocab, embed),
            L.LSTM(hidden, **seq),
            L.Dense(vocab),
        ],
        ACCEPTED_OPTIONS[4]: [L.Embedding(vocab, embed), L.GRU(hidden, **seq), L.Dense(vocab, activation="linear")],
    }[variant]
    model = keras.Sequential(layers)
    if not model.built:
        model.build((None, None))
    return model
