"""Music corpora: bundled folders parse, snippets have the right shapes, uploads mix good and bad files, corpora
that can't be trained on (one value, too short) are refused with a message."""

import numpy as np
import pretty_midi
import pytest

from core.music import music_codec as mc
from core.music import music_data as md
from core.music.midi_io import MAX_FILE_BYTES, midi_bytes
from core.music.music_codec import CodecOptions
from core.music.music_data import MusicCorpusError
from tests.support.inputs import chord_100_once, one_repeated_note


def tune(seed: int, n: int = 60, key_shift: int = 0) -> bytes:
    """A small random C-major tune (as MIDI bytes), optionally shifted to another key."""
    rng = np.random.default_rng(seed)
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    t = 0.0
    for _ in range(n):
        d = float(rng.choice([0.25, 0.5]))
        inst.notes.append(pretty_midi.Note(80, int(rng.choice(scale)) + key_shift, t, t + d))
        t += d
    pm.instruments.append(inst)
    return midi_bytes(pm)


@pytest.mark.skipif(not md.bundled_styles(), reason="no bundled corpus in data/midi")
def test_bundled_corpora_parse_and_yield_values():
    styles = md.bundled_styles()
    assert len(styles) >= 2
    for style in styles:
        files = sorted((md.DATA_ROOT / style).glob("*.mid"))
        pieces, problems = md.load_bundled(style, CodecOptions(max_chord=1))
        assert problems == () and len(pieces) == len(files)
        assert all(len(p.values) > 0 for p in pieces)
        corpus = md.MusicCorpus(pieces)
        corpus.check_seq_len(30)
        x, y = corpus.sample_batch(np.random.default_rng(0), 8, 30)
        assert x.shape == y.shape == (8, 30) and np.array_equal(x[:, 1:], y[:, :-1])
        assert corpus.val_idx and corpus.val_batches(32, 30)


def test_corpus_split_batches_and_validation():
    pieces, problems = md.load_uploads([(f"t{i}.mid", tune(i)) for i in range(10)], CodecOptions(transpose=False))
    assert problems == []
    corpus = md.MusicCorpus(pieces)
    assert len(corpus) == 10 and corpus.train_idx == list(range(9)) and corpus.val_idx == [9]
    assert len(corpus.vocab) <= 16  # 8 pitches x 2 durations
    rng = np.random.default_rng(1)
    x, y = corpus.sample_batch(rng, 4, 30)
    assert x.dtype == np.int32 and x.shape == (4, 30) and np.array_equal(x[:, 1:], y[:, :-1])
    # every snippet lies inside one training piece
    train_text = [",".join(map(str, corpus.ids[i])) for i in corpus.train_idx]
    row = ",".join(map(str, np.concatenate([x[0], y[0, -1:]])))
    assert any(row in t for t in train_text)
    # same seed, same batch
    assert np.array_equal(corpus.sample_batch(np.random.default_rng(1), 4, 30)[0], x)
    vb = corpus.val_batches(4, 30)
    assert vb and all(a.shape[1] == 30 and a.shape[0] <= 4 for a, _ in vb)
    assert corpus.opening(0, 5) == list(corpus.ids[0][:5])


def test_short_pieces_are_skipped_and_too_short_corpus_says_so():
    pieces, _ = md.load_uploads(
        [("long.mid", tune(0, n=80)), ("short.mid", tune(1, n=5))], CodecOptions(transpose=False)
    )
    corpus = md.MusicCorpus(pieces)
    for _ in range(5):
        x, _ = corpus.sample_batch(np.random.default_rng(_), 3, 30)  # only the long piece fits
        assert x.shape == (3, 30)
    with pytest.raises(ValueError, match="No training piece is long enough"):
        corpus.sample_batch(np.random.default_rng(0), 2, 500)
    with pytest.raises(ValueError):
        md.MusicCorpus([])


def test_uploads_mixing_good_and_bad_files():
    drums = pretty_midi.PrettyMIDI()
    kit = pretty_midi.Instrument(0, is_drum=True)
    kit.notes.append(pretty_midi.Note(100, 36, 0, 0.1))
    drums.instruments.append(kit)
    files = [
        ("good1.mid", tune(3)),
        ("notes.txt", b"just some text"),
        ("broken.mid", tune(4)[:40]),
        ("empty.mid", midi_bytes(pretty_midi.PrettyMIDI())),
        ("drums.mid", midi_bytes(drums)),
        ("huge.mid", b"MThd" + bytes(MAX_FILE_BYTES)),
        ("good2.mid", tune(5, key_shift=2)),
    ]
    pieces, problems = md.load_uploads(files)
    assert [p.name for p in pieces] == ["good1.mid", "good2.mid"]
    assert len(problems) == 5
    joined = "\n".join(problems)
    for name, words in [
        ("notes.txt", "not a MIDI"),
        ("broken.mid", "truncated"),
        ("empty.mid", "no notes"),
        ("drums.mid", "drums"),
        ("huge.mid", "MB"),
    ]:
        assert any(p.startswith(name) and words in p for p in problems), (name, joined)
    # transposition puts the D-major tune into C major: both tunes share the same pitch classes
    pcs = {mc.parse_value(v)[0][0] % 12 for p in pieces for v in p.values}
    assert pcs <= {0, 2, 4, 5, 7, 9, 11}


def test_long_pieces_are_cut_with_a_note(monkeypatch):
    monkeypatch.setattr(md, "MAX_VALUES_PER_PIECE", 20)
    pieces, problems = md.load_uploads([("long.mid", tune(0, n=50))])
    assert problems == [] and len(pieces[0].values) == 20 and "first 20 values" in pieces[0].note


# ---------------------------------------------------------------------------------------------- one value
@pytest.mark.parametrize("options", [CodecOptions(), CodecOptions(max_chord=1, transpose=False)])
def test_one_value_corpora_are_refused_with_a_message(options):
    (chord,), problems = md.load_uploads([("chord_100_once.mid", chord_100_once())], options)
    assert problems == [] and len(chord.values) == 1  # the file itself is fine: one value
    with pytest.raises(MusicCorpusError) as info:
        md.MusicCorpus([chord])
    kind = "chord of 4 notes" if options.max_chord == 4 else "note"
    assert str(info.value) == (
        f"The whole corpus is a single value, one {kind} ({chord.values[0]}): the model would have nothing to "
        "choose between. Upload music with at least 2 different values."
    )
    (same,), _ = md.load_uploads([("one_repeated_note.mid", one_repeated_note())], options)
    assert set(same.values) == {same.values[0]} and len(same.values) == 64
    with pytest.raises(
        MusicCorpusError,
        match=rf"All 64 values are the same note \({same.values[0]}\): the model would have nothing to choose",
    ):
        md.MusicCorpus([same])
    with pytest.raises(MusicCorpusError, match="All 65 values are the same note"):
        md.MusicCorpus([same, md.Piece("x.mid", (same.values[0],))])  # one value across several pieces too
    assert len(md.MusicCorpus([chord, same]).vocab) == 2  # together they make two different values


def test_too_short_corpora_are_refused_at_every_step_that_needs_snippets():
    """A corpus needs a training piece of seq_len + 1 values: check_seq_len says so, and sample_batch (what the
    trainer calls) raises the same message instead of failing on an empty array."""
    corpus = md.MusicCorpus([md.Piece("a.mid", ("N60_d4",)), md.Piece("b.mid", ("N62_d4", "R_d4", "N64_d2"))])
    corpus.check_seq_len(2)
    x, y = corpus.sample_batch(np.random.default_rng(0), 4, 2)
    assert x.shape == (4, 2) and np.array_equal(x[:, 1], y[:, 0])
    message = "No training piece is long enough for snippets of 3 values (the longest has 3; a snippet needs 4"
    with pytest.raises(MusicCorpusError, match=message.replace("(", r"\(").replace(")", r"\)")):
        corpus.check_seq_len(3)
    with pytest.raises(MusicCorpusError, match="No training piece is long enough"):
        corpus.sample_batch(np.random.default_rng(0), 4, 3)
    with pytest.raises(MusicCorpusError, match="at least 1 value"):
        corpus.check_seq_len(0)
    assert corpus.val_batches(4, 3) == []  # no held-out piece: no validation, not an error
    with pytest.raises(MusicCorpusError, match="no pieces with notes"):
        md.MusicCorpus([md.Piece("empty.mid", ())])
