"""The Keras labs' model zip written and loaded: export_model_zip saves a SequenceTrainer with its vocabulary;
import_model_zip runs every check (the outer zip, vocab.json, model.keras without Keras) and only then lets Keras
load the file in safe mode (it never runs code stored in a file); Keras's own errors reach the server log, the
student reads a sentence."""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Sequence

from core.files.model_zip.archive import _open_outer, _read_vocab, _stream
from core.files.model_zip.history import history_to_json
from core.files.model_zip.keras_check import check_keras_archive
from core.files.model_zip.limits import MAX_MODEL_KERAS_BYTES, MAX_MODEL_ZIP_BYTES
from core.files.model_zip.messages import DAMAGED_ZIP, ModelZipError, _lambda_reason
from core.files.model_zip.meta import validate_meta
from core.files.model_zip.vocab import tokens_to_json, vocab_to_json
from core.models.keras_model import ModelFormatError
from core.text.text_data import CorpusError

log = logging.getLogger(__name__)


def export_model_zip(
    trainer, chars: Sequence[str], meta: dict[str, Any] | None = None, *, history=None, tokens: bool = False
) -> bytes:
    """A zip (built in memory) holding ``model.keras`` and ``vocab.json``; ``trainer`` is a SequenceTrainer.

    history: a core.models.trainer.History to keep as history.json (starting points, the Text lab's downloads);
    tokens: the vocabulary is a list of multi-character tokens (the Music lab's values) written under "tokens"
    instead of "chars"."""
    if trainer.vocab_size != len(chars):
        raise ValueError("the vocabulary does not match the model's output size")
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="rnn-export-") as tmp:
        path = Path(tmp) / "model.keras"
        trainer.save(path)
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(path, "model.keras")
            zf.writestr("vocab.json", tokens_to_json(chars, meta) if tokens else vocab_to_json(chars, meta))
            if history is not None:
                zf.writestr("history.json", history_to_json(history))
    return buf.getvalue()


def _no_training_text(rng, batch_size, seq_len):  # placeholder until the page binds a corpus
    raise CorpusError("This model has no training text yet: pick a corpus its vocabulary covers.")


def _load_failure_reason(exc: Exception) -> str:
    """A student-facing reason why Keras (safe mode) refused a model.keras that passed the checks above."""
    if "`Lambda`" in str(exc):
        return _lambda_reason()
    log.warning("Keras refused a checked model.keras", exc_info=exc)  # the details are for the server log
    return (
        "Keras could not load model.keras in safe mode: the file passed every check but its layers or weights "
        "don't fit together. Export it again from the playground or from the same Keras model."
    )


def import_model_zip(
    data: bytes,
    *,
    max_bytes: int = MAX_MODEL_ZIP_BYTES,
    config_override: dict | None = None,
    before_build=None,
    tokens: bool = False,
):
    """Check and load a model zip -> (SequenceTrainer, chars, checked meta). Raises ModelZipError with a reason.

    Every check of the module docstring runs before Keras (or TensorFlow) is imported. ``config_override``
    gives training settings (see SequenceTrainer.load); pass the "config" of ``validate_meta``'s result. The
    trainer's ``sample_batch`` is a placeholder that refuses to train until the caller binds a corpus
    (``trainer.sample_batch = corpus.sample_batch``). ``before_build(config, n_chars)``, when given, runs after
    every check and before Keras builds the model; it may refuse by raising (e.g. a memory budget). ``tokens``: the
    vocabulary is a list of tokens (``tokens_from_json``: the Music lab's values) instead of single characters.
    """
    try:
        zf, infos = _open_outer(data, max_bytes)
        with zf, tempfile.TemporaryDirectory(prefix="rnn-import-") as tmp:
            chars, meta = _read_vocab(zf, infos["vocab.json"], tokens)
            path = Path(tmp) / "model.keras"
            with open(path, "wb") as f:  # streamed to disk with a cap: never held whole in memory
                _stream(zf, infos["model.keras"], MAX_MODEL_KERAS_BYTES, "model.keras", f)
            arch = check_keras_archive(path, len(chars))
            if before_build is not None:
                before_build(arch, len(chars))
            trainer = _keras_load(path, config_override)
    except zipfile.BadZipFile:
        raise ModelZipError(DAMAGED_ZIP) from None
    if trainer.vocab_size != len(chars):
        raise ModelZipError(
            f"vocab.json has {len(chars)} characters but the model predicts {trainer.vocab_size} tokens: they don't "
            "belong together."
        )
    return trainer, chars, validate_meta(meta)[0]


def _keras_load(path: Path, config_override: dict | None):
    """Keras loads the checked file in safe mode -> SequenceTrainer; ModelZipError with the reason."""
    from core.models.keras_trainer import (
        SequenceTrainer,
    )  # lazy: imports TensorFlow (the one line to change if it moves)

    try:
        return SequenceTrainer.load(path, _no_training_text, config_override=config_override)
    except ModelFormatError as exc:
        raise ModelZipError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - keras raises many kinds; the reason is shown
        raise ModelZipError(_load_failure_reason(exc)) from None
