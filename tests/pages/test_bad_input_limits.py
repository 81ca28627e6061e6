"""Bad input (upload limits, every lab): every case gets a clear message on the page (never a traceback)
and the page keeps working. The other cases are in tests/test_bad_input_{dino,text,music,models}.py.

Cases already covered elsewhere are not repeated here; the mapping is:
  - decode_text refusals (empty, newlines, binary, limit, Latin-1) .............
  test_history_textio.test_decode_refusals_have_reasons
  - 200 MB upload in a real browser (Streamlit's own refusal) ................... tests/e2e/test_bad_input_e2e.py
  - an address copied to another browser, or open in two tabs, in real browsers . tests/e2e/test_isolation_e2e.py
The address's sid (expired, copied from another browser, made up) is here, at the end.
"""

from __future__ import annotations

import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from core.music import midi_io
from core.text.textio import MB, UploadError, decode_text
from tests.support import ROOT
from tests.support.apptest import MUSIC_UPLOAD, TEXT_UPLOAD, messages, ok, open_page


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
    """Upload size limits are stated on the page: every uploader's label names its MB limit, and Streamlit's own
    "Limit … per file" under the uploader (and its refusal in the browser) says the same number."""
    at = open_page(page)
    if setup:
        at.radio(key=setup[0]).set_value(setup[1])
        at.run()
    ok(at)
    uploader = at.file_uploader(key=key)
    assert limit in uploader.label, uploader.label
    assert uploader.proto.max_upload_size_mb == int(limit.split()[0])


def test_streamlit_upload_limit_is_at_least_every_page_limit():
    """The server-wide limit in .streamlit/config.toml (20 MB) is at least every uploader's own, so no uploader's
    limit is cut short by it; each uploader passes its own to Streamlit (above)."""
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
    """Text upload, a 200 MB file (core): decode_text refuses it by its size alone, without decoding or allocating
    it."""
    with pytest.raises(UploadError, match=r"200\.0 MB; the limit here is 10\.0 MB"):
        decode_text(_Huge(), max_bytes=10 * MB, what="text file")


def test_just_over_the_limit_does_not_read_as_equal_to_it():
    """Text upload one byte over the limit: the message must not say "10.0 MB; the limit is 10.0 MB"."""
    with pytest.raises(UploadError, match=r"10,485,761 bytes; the limit here is 10\.0 MB \(10,485,760 bytes\)"):
        decode_text(b"x" * (10 * MB + 1), max_bytes=10 * MB)


# ---------------------------------------------------------------------------------------------- the address's sid
def _open_with_sid(sid: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["sid"] = sid
    at.run()
    ok(at)
    return at


def test_an_expired_sid_says_so_once_and_starts_fresh():
    """An address opened after its kept work expired: one polite message naming the store's real limit."""
    from ui.server.recover import store

    at = _open_with_sid(store().new_token())  # one of ours, with nothing kept under it (any more)
    assert f"has expired (work is kept for {store().ttl_s // 60} minutes" in messages(at)
    at.switch_page("pages/dinosaurs.py")
    at.run()
    ok(at)
    assert "expired" not in messages(at)  # said once
    assert at.session_state["dino"].trainer.step == 0


def test_a_sid_from_another_browser_gives_the_settings_not_the_work():
    """A copied address: the settings a link can carry come along; the models and an upload as the corpus don't."""
    from ui.server.recover import store

    tok, theirs = store().new_token(), object()
    store().register(
        tok,
        "another-browsers-session",
        {"dino": theirs},
        {"dino_n_a": 7, "dino_source": "Upload a name list"},
        browser="another browser's key",
    )
    at = _open_with_sid(tok)
    assert "This link was opened in another browser" in messages(at)
    at.switch_page("pages/dinosaurs.py")
    at.run()
    ok(at)
    assert at.session_state["dino"] is not theirs
    assert at.slider(key="dino_n_a").value == 7
    assert at.radio(key="dino_source").value == "Bundled dinosaur names"
    assert at.session_state["_recovery_token"] != tok


@pytest.mark.parametrize("sid", ["", "x", "<script>alert(1)</script>", "**bold** [a](b)", "é" * 38, "A" * 10_000])
def test_a_made_up_sid_starts_fresh_without_a_word(sid):
    from ui.server.recover import store

    at = _open_with_sid(sid)
    assert not messages(at)
    token = at.session_state["_recovery_token"]
    assert token != sid and store().issued(token) and not store().issued(sid)
