"""Issue #5, "Bad input" (upload limits, every lab): every case gets a clear message on the page (never a traceback)
and the page keeps working. The other cases are in tests/test_bad_input_{dino,text,music,models}.py.

Cases already covered elsewhere are not repeated here; the mapping is:
  - decode_text refusals (empty, newlines, binary, limit, Latin-1) ............. test_history_textio.test_decode_refusals_have_reasons
  - 200 MB upload in a real browser (Streamlit's own refusal) ................... tests/e2e/test_bad_input_e2e.py
"""

from __future__ import annotations

import tomllib

import pytest

from core.music import midi_io
from core.text.textio import MB, UploadError, decode_text
from tests.support.apptest import open_page
from tests.support.apptest import MUSIC_UPLOAD, TEXT_UPLOAD, ok
from tests.support import ROOT


# ---------------------------------------------------------------------------------------------- upload limits
@pytest.mark.parametrize(
    "page, setup, key, limit",
    [
        ("pages/dinosaurs.py", ("dino_source", "Upload a name list"), "dino_upload", "5 MB"),
        ("pages/text.py", ("text_source", TEXT_UPLOAD), "text_upload", "10 MB"),
        ("pages/text.py", None, "text_model_upload", "20 MB"),
        ("pages/music.py", ("music_source", MUSIC_UPLOAD), "music_upload", "5 MB"),
    ],
)
def test_each_uploader_label_states_its_size_limit(page, setup, key, limit):
    """Upload size limits are stated on the page: every uploader's label names its MB limit."""
    at = open_page(page)
    if setup:
        at.radio(key=setup[0]).set_value(setup[1])
        at.run()
    ok(at)
    assert limit in at.file_uploader(key=key).label, at.file_uploader(key=key).label


def test_streamlit_upload_limit_is_at_least_every_page_limit():
    """Upload size limits are set in .streamlit/config.toml: Streamlit refuses anything over 20 MB itself, and every
    page limit is at or below it, so a file between a page's limit and 20 MB reaches the page's own message."""
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    max_mb = cfg["server"]["maxUploadSize"]
    assert max_mb == 20
    assert midi_io.MAX_FILE_BYTES <= max_mb * MB
    from core.labs import dino_lab, text_lab

    for limit in (dino_lab.MAX_UPLOAD, text_lab.MAX_UPLOAD, text_lab.MAX_MODEL_UPLOAD):
        assert limit <= max_mb * MB


class _Huge:
    """Claims to be 200 MB long; any other use fails, proving the size check comes before any decoding."""

    def __len__(self):
        return 200 * MB

    def __getattr__(self, name):
        raise AssertionError(f"decode_text touched the data ({name}) before checking its size")


def test_200_mb_text_is_refused_by_size_before_decoding():
    """Text upload, a 200 MB file (core): decode_text refuses it by its size alone, without decoding or allocating it."""
    with pytest.raises(UploadError, match=r"200\.0 MB; the limit here is 10\.0 MB"):
        decode_text(_Huge(), max_bytes=10 * MB, what="text file")


def test_just_over_the_limit_does_not_read_as_equal_to_it():
    """Text upload one byte over the limit: the message must not say "10.0 MB; the limit is 10.0 MB"."""
    with pytest.raises(UploadError, match=r"10,485,761 bytes; the limit here is 10\.0 MB \(10,485,760 bytes\)"):
        decode_text(b"x" * (10 * MB + 1), max_bytes=10 * MB)
