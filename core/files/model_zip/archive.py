"""Zip archives read safely: member names checked (no absolute path or '..'), sizes checked as declared and
again while each member is decompressed in a stream with a byte cap; the outer zip of a model file opened and its
vocab.json (and the metadata in it) read."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath
from typing import Any

from core.files.model_zip.limits import MAX_MODEL_ZIP_BYTES, MAX_OUTER_MEMBERS, MAX_VOCAB_JSON_BYTES, STREAM_CHUNK
from core.files.model_zip.messages import DAMAGED_ZIP, ModelZipError
from core.files.model_zip.vocab import tokens_from_json, vocab_from_json


def _safe_name(name: str) -> bool:
    """A member name that stays inside the folder it is extracted to: no absolute path, drive or '..'."""
    p = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not p.is_absolute() and ".." not in p.parts and ":" not in name and "\x00" not in name


def _check_names(infos: list[zipfile.ZipInfo], where: str, max_members: int) -> None:
    if len(infos) > max_members:
        raise ModelZipError(f"{where} holds {len(infos):,} files; a model file holds at most {max_members}.")
    names = [i.filename for i in infos]
    bad = [n for n in names if not _safe_name(n)]
    if bad:
        raise ModelZipError(
            f"{where} holds a file with an unsafe name ({bad[0][:80]!r}: an absolute path or '..'); refused."
        )
    if len(set(names)) != len(names):
        raise ModelZipError(f"{where} holds two files with the same name; refused.")


def _check_declared(info: zipfile.ZipInfo, cap: int, what: str) -> None:
    if info.file_size > cap:
        raise ModelZipError(
            f"{what} declares {info.file_size:,} bytes once unpacked; the limit is {cap:,}. Refused before unpacking "
            "it."
        )


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str, sink=None) -> int:
    """Decompress one member in chunks, at most ``cap`` bytes, into ``sink`` (a binary file; None = count only).

    The declared size is checked first, then the actual bytes as they come: a header that lies is caught
    before more than ``cap`` bytes (plus one chunk) have been produced. Returns the member's size.
    """
    _check_declared(info, cap, what)
    n = 0
    with zf.open(info) as f:
        while chunk := f.read(STREAM_CHUNK):
            n += len(chunk)
            if n > cap:
                raise ModelZipError(
                    f"{what} unpacks to more than {cap:,} bytes (the limit); refused while unpacking it."
                )
            if sink is not None:
                sink.write(chunk)
    return n


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str) -> bytes:
    buf = io.BytesIO()
    _stream(zf, info, cap, what, buf)
    return buf.getvalue()


def _open_outer(
    data: bytes, max_bytes: int, model_member: str = "model.keras"
) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """The outer zip and its members by name, after the size, type and name checks."""
    if not data:
        raise ModelZipError("The model file is empty.")
    if len(data) > max_bytes:
        raise ModelZipError(f"The model file is {len(data) / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelZipError(
            "That is not a zip file. Upload the .zip this page's download button produced (model.keras + vocab.json)."
        )
    zf = zipfile.ZipFile(io.BytesIO(data))
    infos = zf.infolist()
    _check_names(infos, "The zip", MAX_OUTER_MEMBERS)
    by_name = {i.filename: i for i in infos}
    missing = [n for n in (model_member, "vocab.json") if n not in by_name]
    if missing and "config.json" in by_name and "model.weights.h5" in by_name:
        raise ModelZipError(
            "This is a bare .keras file. Upload the .zip this page's download button produced: it holds "
            "model.keras and vocab.json (the characters the model knows)."
        )
    if missing:
        raise ModelZipError(
            f"The zip lacks {' and '.join(missing)} (it must hold {model_member} and vocab.json at the top level)."
        )
    return zf, by_name


def _read_vocab(zf: zipfile.ZipFile, info: zipfile.ZipInfo, tokens: bool = False) -> tuple[list[str], dict[str, Any]]:
    try:
        text = _read(zf, info, MAX_VOCAB_JSON_BYTES, "vocab.json").decode("utf-8")
    except UnicodeDecodeError:
        raise ModelZipError("vocab.json is not UTF-8 text.") from None
    return tokens_from_json(text) if tokens else vocab_from_json(text)


def read_meta(
    data: bytes, *, max_bytes: int = MAX_MODEL_ZIP_BYTES, model_member: str = "model.keras", tokens: bool = False
) -> dict[str, Any]:
    """The metadata stored in a model zip's vocab.json, as stored (check it with ``validate_meta``).

    Runs the outer zip's checks and reads only vocab.json (capped); ModelZipError with the reason otherwise.
    """
    try:
        zf, infos = _open_outer(data, max_bytes, model_member)
        with zf:
            return _read_vocab(zf, infos["vocab.json"], tokens)[1]
    except zipfile.BadZipFile:
        raise ModelZipError(DAMAGED_ZIP) from None
