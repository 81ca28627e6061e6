"""Turning uploaded bytes into text safely, with a clear reason when it can't be done.

Uploads are only ever decoded as text, never unpickled or executed. Accepted: UTF-8 (with or without a
byte-order mark) and UTF-16 with a byte-order mark; anything else that is not valid UTF-8 may be decoded
as Latin-1 only when the caller allows it (the page offers that as an explicit choice). Files that look
binary (NUL bytes or many control characters) are refused.
"""

from __future__ import annotations

import codecs

MB = 1024 * 1024


def human_size(n: int) -> str:
    """1536 -> '1.5 KB'; 3*MB -> '3.0 MB'."""
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


class UploadError(ValueError):
    """A user-facing reason why an upload can't be used."""


def looks_binary(data: bytes) -> bool:
    """NUL bytes, or more than 10% control characters (other than tab, newline, carriage return, form feed)."""
    head = data[:65536]
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return len(head) > 0 and ctrl / len(head) > 0.10


def decode_text(
    data: bytes, *, max_bytes: int, allow_latin1: bool = False, what: str = "file"
) -> tuple[str, str | None]:
    """Decode uploaded bytes; returns (text with '\\n' line endings, a note about the encoding or None).

    Raises UploadError with a message a student can act on.
    """
    if data is None or len(data) == 0:
        raise UploadError(f"The {what} is empty.")
    if len(data) > max_bytes:
        size, limit = human_size(len(data)), human_size(max_bytes)
        if size == limit:  # just over the limit: "10.0 MB; the limit is 10.0 MB" would read as a contradiction
            size, limit = f"{len(data):,} bytes", f"{limit} ({max_bytes:,} bytes)"
        raise UploadError(f"The {what} is {size}; the limit here is {limit}. Upload a shorter text.")
    note = None
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UploadError(
                f"The {what} starts like UTF-16 but part of it isn't valid UTF-16 (it may be cut off or damaged). "
                "Save it again as UTF-8."
            ) from None
        note = "The file was UTF-16; it was converted to UTF-8."
    else:
        if looks_binary(data):
            raise UploadError(f"The {what} looks binary (not text). Upload a plain-text .txt file.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            if not allow_latin1:
                raise UploadError(
                    f"The {what} is not valid UTF-8. Save it as UTF-8, or choose 'Latin-1' as the encoding to read "
                    "it anyway."
                ) from None
            text = data.decode("latin-1")
            note = "The file was read as Latin-1."
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise UploadError(f"The {what} has no visible text (only spaces or newlines).")
    return text, note
