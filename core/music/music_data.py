"""Music corpora for the Music lab: MIDI files -> pieces of values -> id arrays and training snippets.

A bundled corpus is a folder ``data/midi/<style>/*.mid``; an uploaded corpus is a list of (name, bytes).
Every file is encoded with ``core.music.music_codec.midi_to_values`` (the same ``CodecOptions`` for the whole
corpus). The vocabulary is built from all pieces; the last 10% of pieces (in file-name order, at least one
when there are 5 or more pieces) are held out for validation, so the split is deterministic.

Training data, as in the course's jazz exercise: ``sample_batch`` draws random snippets of ``seq_len``
consecutive values from the training pieces (x) and the same snippets shifted by one value (y). Snippets
never cross piece boundaries; pieces shorter than ``seq_len + 1`` values can't give a snippet and are
skipped. A snippet is drawn uniformly among all possible snippets (longer pieces give more of them).

What a corpus needs to be trained on is checked where it is built and before each training chunk, with a
``MusicCorpusError`` a student can act on: at least 2 different values (``MusicCorpus(...)``: a single chord,
or one note repeated, leaves the model nothing to choose between), and at least one training piece of
``seq_len + 1`` values (``check_seq_len``).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from core.music.midi_io import MidiError, estimate_tempo, load_midi_bytes
from core.music.music_codec import CodecOptions, Vocabulary, midi_to_values, parse_value

DATA_ROOT = Path(__file__).resolve().parents[2] / "data" / "midi"
MAX_VALUES_PER_PIECE = 3000  # longer pieces are cut (with a note); keeps uploads quick to train on
MAX_UPLOAD_FILES = 200  # more files in one upload are refused
VAL_FRACTION = 0.1  # share of pieces held out for validation


class MusicCorpusError(ValueError):
    """A user-facing reason why a set of pieces can't be trained on (as it is, or with these settings)."""


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Piece:
    """One encoded file."""

    name: str  # file name, e.g. "bwv101_7.mid"
    values: tuple[str, ...]  # the value tokens, in order
    note: str | None = None  # e.g. "cut to the first 3000 values"
    data: bytes = b""  # the original file (to listen to it); empty when not kept
    tempo: float = 120.0  # the file's first tempo (quarter notes per minute), for playback


# ---------------------------------------------------------------------------------------------- loading
def encode_file(name: str, data: bytes, options: CodecOptions = CodecOptions()) -> Piece:
    """One file -> Piece, or MidiError with the reason. Long pieces are cut to MAX_VALUES_PER_PIECE."""
    pm = load_midi_bytes(data)
    values = midi_to_values(pm, options, max_values=MAX_VALUES_PER_PIECE + 1)
    note = None
    if len(values) > MAX_VALUES_PER_PIECE:
        values = values[:MAX_VALUES_PER_PIECE]
        note = f"{name}: long piece, only its first {MAX_VALUES_PER_PIECE:,} values are used."
    return Piece(name=name, values=tuple(values), note=note, data=bytes(data), tempo=estimate_tempo(pm))


def load_uploads(
    files: Sequence[tuple[str, bytes]], options: CodecOptions = CodecOptions()
) -> tuple[list[Piece], list[str]]:
    """Encode uploaded files: (pieces that loaded, one message per file that didn't). Never raises on bad files."""
    pieces: list[Piece] = []
    problems: list[str] = []
    if len(files) > MAX_UPLOAD_FILES:
        problems.append(f"{len(files)} files were uploaded; only the first {MAX_UPLOAD_FILES} are used.")
        files = list(files)[:MAX_UPLOAD_FILES]
    for name, data in files:
        try:
            pieces.append(encode_file(name, data, options))
        except MidiError as exc:
            problems.append(f"{name}: {exc}")
        except Exception:  # noqa: BLE001 - an unexpected failure on one file must not lose the others
            log.exception("MIDI upload %r could not be encoded", name)
            problems.append(f"{name}: this file could not be turned into notes, so it was left out. Try another file.")
    return pieces, problems


def bundled_styles(root: Path | str = DATA_ROOT) -> list[str]:
    """Folder names under ``root`` that hold at least one .mid file, sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and any(d.glob("*.mid")))


@functools.lru_cache(maxsize=16)
def load_bundled(
    style: str, options: CodecOptions = CodecOptions(), root: str = str(DATA_ROOT)
) -> tuple[tuple[Piece, ...], tuple[str, ...]]:
    """Encode every file of a bundled style (cached per process; the result is immutable)."""
    folder = Path(root) / style
    if not style or "/" in style or "\\" in style or style.startswith(".") or not folder.is_dir():
        raise ValueError(f"no bundled corpus called {style!r}")
    files = [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.mid"))]
    pieces, problems = load_uploads(files, options)
    return tuple(pieces), tuple(problems)


# ---------------------------------------------------------------------------------------------- corpus
class MusicCorpus:
    """Pieces as id arrays over one vocabulary, with a deterministic train/validation split."""

    def __init__(self, pieces: Sequence[Piece], vocab: Vocabulary | None = None):
        """MusicCorpusError when the pieces have no values, or fewer than 2 different ones."""
        pieces = [p for p in pieces if len(p.values) > 0]
        if not pieces:
            raise MusicCorpusError("The corpus has no pieces with notes.")
        self.pieces = list(pieces)
        self.vocab = vocab or Vocabulary.build(p.values for p in self.pieces)
        if len(self.vocab) < 2:
            raise MusicCorpusError(_one_value_message(self.vocab.itos[0], sum(len(p.values) for p in self.pieces)))
        self.ids = [self.vocab.encode(p.values) for p in self.pieces]  # one int32 array (n_values,) per piece
        n = len(self.pieces)
        n_val = int(round(n * VAL_FRACTION)) if n >= 5 else 0
        self.train_idx = list(range(n - n_val))  # piece indices used for training
        self.val_idx = list(range(n - n_val, n))  # held-out piece indices (the last ones)

    def __len__(self) -> int:
        return len(self.pieces)

    @property
    def tempo(self) -> float:
        """The median tempo of the pieces (quarter notes per minute), rounded: the playback default."""
        return float(round(np.median([p.tempo for p in self.pieces])))

    @property
    def n_values(self) -> int:
        return int(sum(len(a) for a in self.ids))

    def _windows(self, idx: Sequence[int], seq_len: int) -> tuple[list[int], np.ndarray]:
        """Pieces with at least one snippet and their snippet counts (n,)."""
        usable = [i for i in idx if len(self.ids[i]) >= seq_len + 1]
        counts = np.array([len(self.ids[i]) - seq_len for i in usable], dtype=np.int64)
        return usable, counts

    def check_seq_len(self, seq_len: int) -> None:
        """Raise MusicCorpusError with a clear message when no training piece gives a snippet of ``seq_len``
        values (a snippet needs ``seq_len + 1``: the inputs and, one value later, the targets)."""
        if int(seq_len) < 1:
            raise MusicCorpusError(f"A snippet must hold at least 1 value, not {seq_len}.")
        usable, _ = self._windows(self.train_idx, seq_len)
        if not usable:
            longest = max(len(self.ids[i]) for i in self.train_idx)
            raise MusicCorpusError(
                f"No training piece is long enough for snippets of {seq_len} values (the longest has {longest}; "
                f"a snippet needs {seq_len + 1}: its values and the one after each). "
                "Lower the snippet length or add longer pieces."
            )

    def sample_batch(self, rng: np.random.Generator, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Random snippets from training pieces: x, y int32 (batch_size, seq_len), y = x shifted by one value.
        MusicCorpusError (``check_seq_len``) when no piece gives a snippet."""
        self.check_seq_len(seq_len)
        usable, counts = self._windows(self.train_idx, seq_len)
        # a uniform draw over all snippets: pick a global snippet number, then find its piece
        cum = np.cumsum(counts)
        g = rng.integers(0, int(cum[-1]), size=batch_size)
        which = np.searchsorted(cum, g, side="right")
        starts = g - np.concatenate([[0], cum[:-1]])[which]
        x = np.empty((batch_size, seq_len), dtype=np.int32)
        y = np.empty((batch_size, seq_len), dtype=np.int32)
        for b in range(batch_size):
            a = self.ids[usable[which[b]]]
            s = int(starts[b])
            x[b] = a[s : s + seq_len]
            y[b] = a[s + 1 : s + seq_len + 1]
        return x, y

    def val_batches(self, batch_size: int, seq_len: int, max_batches: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fixed validation batches from held-out pieces: non-overlapping snippets in order, each x, y int32
        (<= batch_size, seq_len); empty when no held-out piece is long enough."""
        usable, _ = self._windows(self.val_idx, seq_len)
        xs, ys = [], []
        for i in usable:
            a = self.ids[i]
            for s in range(0, len(a) - seq_len, seq_len):
                xs.append(a[s : s + seq_len])
                ys.append(a[s + 1 : s + seq_len + 1])
        batches = []  # the last batch may be smaller
        for k in range(0, len(xs), batch_size):
            batches.append(
                (np.stack(xs[k : k + batch_size]).astype(np.int32), np.stack(ys[k : k + batch_size]).astype(np.int32))
            )
            if len(batches) >= max_batches:
                break
        return batches

    def opening(self, piece: int, n: int) -> list[int]:
        """The first ``n`` ids of a piece (to prime generation)."""
        return [int(i) for i in self.ids[piece][:n]]


def _one_value_message(value: str, n: int) -> str:
    """Why a corpus whose every value is ``value`` (n of them) can't be learned from."""
    pitches, _ = parse_value(value)
    kind = "rest" if not pitches else "note" if len(pitches) == 1 else f"chord of {len(pitches)} notes"
    what = (
        f"The whole corpus is a single value, one {kind} ({value})"
        if n == 1
        else f"All {n:,} values are the same {kind} ({value})"
    )
    return f"{what}: the model would have nothing to choose between. Upload music with at least 2 different values."
