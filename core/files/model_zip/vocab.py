"""vocab.json: the characters a model knows (the Text and Dinosaur labs) or its tokens (the Music lab's values),
with the metadata stored beside them, written and parsed with checks (types, duplicates, sizes)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from core.files.model_zip.limits import MAX_VOCAB_SIZE
from core.files.model_zip.messages import ModelZipError

VOCAB_FORMAT = "rnn-playground-vocab"  # marker in vocab.json


def vocab_to_json(chars: Sequence[str], meta: dict[str, Any] | None = None) -> str:
    """vocab.json text: {"format", "version", "chars": [...], "meta": {...}}."""
    return json.dumps(
        {"format": VOCAB_FORMAT, "version": 1, "chars": list(chars), "meta": meta or {}}, ensure_ascii=False, indent=1
    )


def vocab_from_json(text: str) -> tuple[list[str], dict[str, Any]]:
    """Parse vocab.json -> (chars, meta as stored: see ``validate_meta``); ModelZipError when it is not one of ours."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelZipError(f"vocab.json is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
    except (ValueError, RecursionError):  # a number too long to convert, or nesting too deep
        raise ModelZipError("vocab.json is not valid JSON (a value is too long or nested too deeply).") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("chars"), list):
        raise ModelZipError('vocab.json must be an object with a list of characters under "chars".')
    chars = obj["chars"]
    if not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise ModelZipError('vocab.json: every entry of "chars" must be a single character.')
    if len(set(chars)) != len(chars):
        raise ModelZipError("vocab.json lists a character twice.")
    if not 2 <= len(chars) <= MAX_VOCAB_SIZE:
        raise ModelZipError(f"vocab.json has {len(chars)} characters; expected 2 to {MAX_VOCAB_SIZE}.")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return chars, meta


MAX_TOKEN_CHARS = 40  # longest token of a token vocabulary (a Music value such as "C60.64.67.72_d16" is 16)


def tokens_to_json(tokens: Sequence[str], meta: dict[str, Any] | None = None) -> str:
    """vocab.json text for a vocabulary of tokens (the Music lab's values): {"format", "version", "tokens", "meta"}."""
    return json.dumps(
        {"format": VOCAB_FORMAT, "version": 1, "tokens": list(tokens), "meta": meta or {}}, ensure_ascii=False, indent=1
    )


def tokens_from_json(text: str) -> tuple[list[str], dict[str, Any]]:
    """Parse a token vocab.json -> (tokens, meta as stored); ModelZipError when it is not one of ours.

    Tokens: 2 to MAX_VOCAB_SIZE distinct printable strings of 1 to MAX_TOKEN_CHARS characters."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelZipError("vocab.json is not valid JSON.") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("tokens"), list):
        raise ModelZipError('vocab.json must be an object with a list of values under "tokens".')
    tokens = obj["tokens"]
    if not all(isinstance(t, str) and 1 <= len(t) <= MAX_TOKEN_CHARS and t.isprintable() for t in tokens):
        raise ModelZipError(
            f'vocab.json: every entry of "tokens" must be printable text of 1 to {MAX_TOKEN_CHARS} characters.'
        )
    if len(set(tokens)) != len(tokens):
        raise ModelZipError("vocab.json lists a value twice.")
    if not 2 <= len(tokens) <= MAX_VOCAB_SIZE:
        raise ModelZipError(f"vocab.json has {len(tokens)} values; expected 2 to {MAX_VOCAB_SIZE}.")
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return tokens, meta
