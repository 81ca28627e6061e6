"""Text corpora for the Text lab: characters -> ids, a train/validation split, batches of windows.

``TextCorpus(text)`` builds the vocabulary ``chars = sorted(set(text))`` (or uses a given one, e.g. the
vocabulary of an uploaded model), encodes the whole text to int32 ids and splits it: the last 10% is the
validation text, never trained on. ``sample_batch`` draws random windows from the training part
(many-to-many: y is x shifted by one character); ``val_batches`` gives fixed, evenly spaced windows from
the validation part, so successive evaluations are comparable.

Models travel as a zip holding ``model.keras`` (Keras native format, loaded with safe_mode=True) and
``vocab.json`` (the characters plus a little metadata). Nothing is ever unpickled.

Simplifications on purpose: one character = one token; windows may overlap; validation windows are a
bounded, evenly spaced subset of the validation text rather than all of it.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.lexicon import Lexicon, SampleCheck
from core.sampling import TokenModel, generate

MIN_CHARS = 1_000  # shorter texts are refused: nothing to learn and no room for a validation split
MAX_VOCAB = 1_000  # distinct characters; more is almost surely not a plain text (or a CJK text too big for a char RNN here)
VAL_FRACTION = 0.10  # the last 10% of the text is validation
VOCAB_FORMAT = "rnn-playground-vocab"  # marker in vocab.json
MAX_MODEL_ZIP_BYTES = 200 * 1024 * 1024  # upload limit for a model zip (Streamlit's default upload limit)
MAX_VOCAB_JSON_BYTES = 1024 * 1024  # vocab.json can't reasonably be bigger


class CorpusError(ValueError):
    """A user-facing reason why a text can't be used for training."""


def char_label(ch: str) -> str:
    """A printable label for one character: '\\n' -> '⏎', ' ' -> '␣', '\\t' -> '⇥', other controls -> U+XXXX."""
    special = {"\n": "⏎", " ": "␣", "\t": "⇥"}
    if ch in special:
        return special[ch]
    if not ch.isprintable():
        return f"U+{ord(ch):04X}"
    return ch


@dataclass(frozen=True)
class CorpusStats:
    """Counts shown before training."""

    n_chars: int  # characters in the whole text
    vocab_size: int  # distinct characters
    n_train: int  # characters in the training part (first 90%)
    n_val: int  # characters in the validation part (last 10%)
    n_lines: int  # lines of text
    most_common: list[tuple[str, int]] = field(default_factory=list)  # (char, count), most frequent first


class TextCorpus:
    """A text as int32 ids with its vocabulary and a train/validation split. Read-only after construction."""

    def __init__(self, text: str, chars: Sequence[str] | None = None, *, min_chars: int = MIN_CHARS, max_vocab: int = MAX_VOCAB):
        if len(text) < min_chars:
            raise CorpusError(
                f"The text has {len(text):,} characters; at least {min_chars:,} are needed to learn anything "
                f"(and to keep the last 10% for validation)."
            )
        present = sorted(set(text))
        if chars is None:
            chars = present
        else:
            chars = list(chars)
            missing = sorted(set(present) - set(chars))
            if missing:
                shown = " ".join(repr(c) for c in missing[:20])
                raise CorpusError(f"The text has {len(missing)} characters the model's vocabulary lacks: {shown}")
        if len(chars) > max_vocab:
            raise CorpusError(
                f"The text has {len(chars):,} distinct characters; this lab handles at most {max_vocab:,}. "
                "Is it really plain text in one language?"
            )
        if len(chars) < 2:
            raise CorpusError("The text uses a single character; there is nothing to predict.")
        self.text = text  # the whole text
        self.chars: list[str] = list(chars)  # index -> character, sorted
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.chars)}  # character -> index
        self.itos: dict[int, str] = dict(enumerate(self.chars))  # index -> character
        self.ids = self.encode(text)  # (n_chars,) int32
        n_val = max(int(round(len(self.ids) * VAL_FRACTION)), 2)
        self.train_ids = self.ids[:-n_val]  # (n_train,) int32, first 90%
        self.val_ids = self.ids[-n_val:]  # (n_val,) int32, last 10%

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @cached_property
    def lexicon(self) -> Lexicon:
        """The text's words and speaker names (built on first use, ~0.2 s for 1 MB), to check samples against."""
        return Lexicon(self.text)

    @cached_property
    def has_blank_lines(self) -> bool:
        """Whether the text separates paragraphs (in the plays: speeches) by blank lines."""
        return "\n\n" in self.text

    @property
    def labels(self) -> list[str]:
        """Printable label per index, for charts and the inspector."""
        return [char_label(c) for c in self.chars]

    @property
    def max_seq_len(self) -> int:
        """The longest training window that fits in the training part (and one validation window)."""
        return max(1, min(len(self.train_ids), len(self.val_ids)) - 1)

    def encode(self, s: str) -> np.ndarray:
        """str -> (len(s),) int32 ids; raises CorpusError naming characters outside the vocabulary."""
        try:
            return np.fromiter((self.stoi[c] for c in s), dtype=np.int32, count=len(s))
        except KeyError:
            bad = self.unknown_chars(s)
            raise CorpusError("Not in the vocabulary: " + " ".join(repr(c) for c in bad[:20])) from None

    def unknown_chars(self, s: str) -> list[str]:
        """Characters of s that the vocabulary lacks (sorted, distinct)."""
        return sorted(set(s) - set(self.stoi))

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def stats(self, top: int = 10) -> CorpusStats:
        counts = Counter(self.text)
        return CorpusStats(
            n_chars=len(self.text),
            vocab_size=self.vocab_size,
            n_train=len(self.train_ids),
            n_val=len(self.val_ids),
            n_lines=self.text.count("\n") + (0 if self.text.endswith("\n") else 1),
            most_common=counts.most_common(top),
        )

    def check_seq_len(self, seq_len: int) -> None:
        if seq_len < 1 or seq_len > self.max_seq_len:
            raise CorpusError(
                f"Sequence length {seq_len} doesn't fit: the training text allows windows of at most {self.max_seq_len} characters."
            )

    def sample_batch(self, rng: np.random.Generator, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
        """Random windows from the training part: x, y int32 (batch_size, seq_len), y[:, t] = x[:, t + 1]."""
        self.check_seq_len(seq_len)
        windows = np.lib.stride_tricks.sliding_window_view(self.train_ids, seq_len + 1)  # (n_windows, seq_len + 1) view
        starts = rng.integers(0, windows.shape[0], size=batch_size)
        w = windows[starts]  # (batch_size, seq_len + 1) copy
        return np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:])

    def val_batches(self, max_batches: int = 4, batch_size: int = 32, seq_len: int = 100) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fixed windows from the validation part, evenly spaced, non-overlapping when it is long enough.

        At most ``max_batches`` batches of (batch_size, L) with L = min(seq_len, len(val) - 1).
        """
        L = max(1, min(seq_len, len(self.val_ids) - 1))
        n_possible = len(self.val_ids) - L  # number of valid start positions
        n = min(max_batches * batch_size, max(1, (len(self.val_ids) - 1) // L))
        starts = np.linspace(0, n_possible - 1, n).astype(np.int64) if n > 1 else np.zeros(1, dtype=np.int64)
        windows = np.stack([self.val_ids[s : s + L + 1] for s in starts])  # (n, L + 1)
        return [(windows[i : i + batch_size, :-1], windows[i : i + batch_size, 1:]) for i in range(0, n, batch_size)]


def progress_sample(model: TokenModel, corpus: TextCorpus, n_chars: int, temperature: float, rng: np.random.Generator) -> tuple[str, SampleCheck]:
    """The Text lab's live sample and its real-word check.

    ``n_chars`` characters from a fresh state, starting after a blank line when the text has them (in a
    play, where a speaker's name comes next), else after a newline (or from no input at all when the
    vocabulary has no newline). ``model`` must use ``corpus``'s vocabulary.
    """
    nl = corpus.stoi.get("\n")
    prime = [nl] if nl is not None and corpus.has_blank_lines else []
    records = generate(model, n_chars, temperature=temperature, rng=rng, prime=prime, first_input=nl)
    text = corpus.decode([r.picked for r in records])
    return text, corpus.lexicon.check(text)


# ---------------------------------------------------------------------------------------------- vocab / zip
def vocab_to_json(chars: Sequence[str], meta: dict[str, Any] | None = None) -> str:
    """vocab.json text: {"format", "version", "chars": [...], "meta": {...}}."""
    return json.dumps({"format": VOCAB_FORMAT, "version": 1, "chars": list(chars), "meta": meta or {}}, ensure_ascii=False, indent=1)


def vocab_from_json(text: str) -> tuple[list[str], dict[str, Any]]:
    """Parse vocab.json; raises CorpusError with a reason when it is not one of ours."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"vocab.json is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("chars"), list):
        raise CorpusError("vocab.json must be an object with a list of characters under \"chars\".")
    chars = obj["chars"]
    if not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise CorpusError("vocab.json: every entry of \"chars\" must be a single character.")
    if len(set(chars)) != len(chars):
        raise CorpusError("vocab.json lists a character twice.")
    if not 2 <= len(chars) <= MAX_VOCAB:
        raise CorpusError(f"vocab.json has {len(chars)} characters; expected 2 to {MAX_VOCAB}.")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return chars, meta


def save_vocab(path: str | Path, chars: Sequence[str], meta: dict[str, Any] | None = None) -> None:
    Path(path).write_text(vocab_to_json(chars, meta), encoding="utf-8")


def load_vocab(path: str | Path) -> tuple[list[str], dict[str, Any]]:
    return vocab_from_json(Path(path).read_text(encoding="utf-8"))


def export_model_zip(trainer, chars: Sequence[str], meta: dict[str, Any] | None = None) -> bytes:
    """A zip (built in memory) holding ``model.keras`` and ``vocab.json``; ``trainer`` is a SequenceTrainer."""
    if trainer.vocab_size != len(chars):
        raise ValueError("the vocabulary does not match the model's output size")
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="rnn-export-") as tmp:
        path = Path(tmp) / "model.keras"
        trainer.save(path)
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, "model.keras")
            zf.writestr("vocab.json", vocab_to_json(chars, meta))
    return buf.getvalue()


def _no_training_text(rng, batch_size, seq_len):  # placeholder until the page binds a corpus
    raise CorpusError("This model has no training text yet: pick a corpus its vocabulary covers.")


def _code_in_model(model_bytes: bytes) -> tuple[bool, list[str]]:
    """(has a Lambda layer, names of custom classes) from a .keras file's config.json; only used to explain a
    refusal after Keras safe mode has refused the file (nothing here decides what is loaded)."""
    try:
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as zf:
            if zf.getinfo("config.json").file_size > MAX_VOCAB_JSON_BYTES * 8:
                return False, []
            cfg = json.loads(zf.read("config.json").decode("utf-8"))
    except Exception:  # noqa: BLE001 - not a readable .keras file: the generic reason applies
        return False, []
    has_lambda, custom = False, []
    stack = [cfg]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            name = node.get("class_name")
            if isinstance(name, str):
                module = node.get("module")
                if name == "Lambda":
                    has_lambda = True
                elif "registered_name" in node and not (isinstance(module, str) and module.startswith("keras")):
                    custom.append(name)
            stack.extend(node.values())
    return has_lambda, sorted(set(custom))


def _load_failure_reason(exc: Exception, model_bytes: bytes) -> str:
    """A student-facing reason why Keras (safe mode) refused model.keras."""
    has_lambda, custom = _code_in_model(model_bytes)
    allowed = "only models saved by this page (Embedding → SimpleRNN/LSTM/GRU → Dense) can be loaded"
    if has_lambda or "`Lambda`" in str(exc):
        return (
            "model.keras contains a Lambda layer (Python code stored inside the model), so it is refused: models are "
            f"loaded in Keras safe mode, which never runs code from a file. Nothing was changed; {allowed}."
        )
    if custom:
        return (
            f"model.keras uses custom layers or code ({', '.join(custom[:5])}), so it is refused: this page only knows "
            f"Keras's own layers and loads files in safe mode. Nothing was changed; {allowed}."
        )
    return f"Keras could not load model.keras in safe mode: {type(exc).__name__}: {str(exc)[:300]}"


def import_model_zip(data: bytes, *, max_bytes: int = MAX_MODEL_ZIP_BYTES, config_override: dict | None = None):
    """Validate and load a model zip -> (SequenceTrainer, chars, meta). Raises CorpusError with a reason.

    The trainer's ``sample_batch`` is a placeholder that refuses to train until the caller binds a corpus
    (``trainer.sample_batch = corpus.sample_batch``).
    """
    from core import keras_rnn  # lazy: imports keras

    if not data:
        raise CorpusError("The model file is empty.")
    if len(data) > max_bytes:
        raise CorpusError(f"The model file is {len(data) / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CorpusError("That is not a zip file. Upload the .zip this page's download button produced (model.keras + vocab.json).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            missing = [n for n in ("model.keras", "vocab.json") if n not in infos]
            if missing and "config.json" in infos and "model.weights.h5" in infos:
                raise CorpusError(
                    "This is a bare .keras file. Upload the .zip this page's download button produced: it holds "
                    "model.keras and vocab.json (the characters the model knows)."
                )
            if missing:
                raise CorpusError(f"The zip lacks {' and '.join(missing)} (it must hold model.keras and vocab.json at the top level).")
            if infos["vocab.json"].file_size > MAX_VOCAB_JSON_BYTES:
                raise CorpusError("vocab.json is too large.")
            if infos["model.keras"].file_size > 4 * max_bytes:
                raise CorpusError("model.keras is too large once unpacked.")
            try:
                vocab_text = zf.read("vocab.json").decode("utf-8")
            except UnicodeDecodeError:
                raise CorpusError("vocab.json is not UTF-8 text.") from None
            chars, meta = vocab_from_json(vocab_text)
            model_bytes = zf.read("model.keras")
            with tempfile.TemporaryDirectory(prefix="rnn-import-") as tmp:
                path = Path(tmp) / "model.keras"
                path.write_bytes(model_bytes)
                try:
                    trainer = keras_rnn.SequenceTrainer.load(path, _no_training_text, config_override=config_override)
                except keras_rnn.ModelFormatError as exc:
                    raise CorpusError(str(exc)) from None
                except Exception as exc:  # noqa: BLE001 - keras raises many kinds; the reason is shown
                    raise CorpusError(_load_failure_reason(exc, model_bytes)) from None
    except zipfile.BadZipFile as exc:
        raise CorpusError(f"The zip is damaged: {exc}") from None
    if trainer.vocab_size != len(chars):
        raise CorpusError(
            f"vocab.json has {len(chars)} characters but the model predicts {trainer.vocab_size} tokens: they don't belong together."
        )
    return trainer, chars, meta
